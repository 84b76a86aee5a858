"""The reply's class (A/B/C/D or 甲乙丙丁): in the header, glued to the doc number, labelled, or
alone near the date."""

from __future__ import annotations

import re

from .state import Letter
from .text import MAX_LINE


CLASS_ALONE = re.compile(r"^[(（【\[]?\s*(?P<c>[A-Da-d甲乙丙丁])\s*(?P<lei>类)?\s*[)）】\]]?$")
_CLASS_INLINE = re.compile(
    r"(?:^|(?<=[\s\t(（【\[]))(?P<c>[A-D甲乙丙丁])\s*类(?=$|[\s\t(（)）】\]])"
    r"|号\s*[(（【]?(?P<g>[A-D])\s*(?:类[)）】]?|[)）】]\s*类?)?\s*$"
)


def step_classification(doc: Letter) -> None:
    """The class: in the header, glued to the doc number, labelled, or alone at the bottom."""
    k_lines = doc.k_lines
    classes: list[str] = []
    for i in doc.header_idx + ([doc.title_idx] if doc.title_idx is not None else []):
        k = k_lines[i].strip()
        match = CLASS_ALONE.match(k)
        if match and (i != doc.title_idx):
            classes.append(match.group("c").upper())
            continue
        for match in _CLASS_INLINE.finditer(k[:MAX_LINE]):
            classes.append((match.group("c") or match.group("g")).upper())
    for _i, _label, _vt, value_k in doc.labelled.get("class", []):
        match = re.match(r"^[(（]?([A-Da-d甲乙丙丁])\s*类?(?![A-Za-z])", value_k)
        if match:
            classes.append(match.group(1).upper())
    if doc.date_idx is not None:
        for i in range(max(doc.date_idx - 8, doc.header_end), min(doc.footer, doc.date_idx + 6)):
            match = CLASS_ALONE.match(k_lines[i].strip())
            if match and match.group("lei") and not doc.furniture[i]:
                classes.append(match.group("c").upper())
    distinct = list(dict.fromkeys(classes))
    if len(distinct) == 1:
        doc.result["classification"] = distinct[0]
    elif len(distinct) > 1:
        doc.conflicts["classification"] = distinct
        doc.warnings.append(f"信中的办理类别不一致（{'、'.join(distinct)}），未采用任何一个")
