"""The bottom of the letter: the reply date and the signing unit on or above its line."""

from __future__ import annotations

import re

from .dates import MONTH_ONLY, find_date
from .places import unit_like
from .state import Letter


_SEAL = re.compile(r"\s*[(（](?:盖章|印章|公章|章|签章)[)）]$")


def step_signature(doc: Letter) -> None:
    """The reply date at the bottom and the signing unit on or above its line."""
    k_lines, t_lines, n, result = doc.k_lines, doc.t_lines, doc.n, doc.result
    for i in range(n - 1, max(-1, n - 80), -1):
        if doc.furniture[i]:
            continue
        found = find_date(k_lines[i], standalone=True)
        if found:
            doc.date_idx = i
            result["reply_date"] = found[0]
            before_k = k_lines[i][: found[1]].strip(" \t")
            before_k = re.sub(r"(?:答复日期|复函日期|办理日期|日期|时间)\s*[:：]?$", "", before_k).strip()
            if before_k and unit_like(before_k):
                result["signed_by"] = t_lines[i][: len(before_k)].strip()
            break
    if doc.date_idx is None:
        for i in range(n - 1, max(-1, n - 12), -1):
            if not doc.furniture[i] and MONTH_ONLY.match(k_lines[i].strip()):
                doc.partial_date = t_lines[i].strip()
                doc.date_idx = i  # the signature is above it all the same
                doc.warnings.append(f"答复日期只写到月（{doc.partial_date}），未填写答复日期")
                break
    if doc.date_idx is not None and result["signed_by"] is None:
        units = []
        for i in range(doc.date_idx - 1, max(-1, doc.date_idx - 5), -1):
            k = k_lines[i].strip()
            if doc.furniture[i] or re.fullmatch(r"[(（]?(?:盖章|印章|公章|章)[)）]?", k):
                continue
            seal = _SEAL.search(k)
            if seal:
                k = k[: seal.start()]
            if unit_like(k):
                units.insert(0, t_lines[i].strip()[: len(k)])
                continue
            break
        if units:
            result["signed_by"] = "、".join(units)
