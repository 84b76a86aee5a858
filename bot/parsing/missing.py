"""The last check: say in ``warnings`` which fields could not be read, and whether the letter
left them blank."""

from __future__ import annotations

from .places import is_government_unit
from .state import Letter


def step_missing(doc: Letter) -> None:
    """Say what could not be read (and whether the letter left it blank)."""
    result, warnings, blank, conflicts = doc.result, doc.warnings, doc.blank, doc.conflicts

    def missing(name: str, key: str) -> None:
        if blank.get(key):
            warnings.append(f"未能识别：{name}（信中为空）")
        elif key not in blank:
            warnings.append(f"未能识别：{name}")

    if result["proposal_number"] is None and "proposal_number" not in conflicts:
        warnings.append("未能识别：案号")
    if result["term"] is None and "session" not in conflicts:
        warnings.append("未能识别：届次")
    if result["body"] is None and "body" not in conflicts:
        warnings.append("未能识别：政协提案还是人大建议")
    to_unit = bool(result["addressee"]) and is_government_unit(result["addressee"])
    if result["proposer"] is None and "proposer" not in conflicts and not to_unit:  # said by step_proposer
        warnings.append("未能识别：提案人")
    if result["title"] is None and "title" not in conflicts:
        warnings.append("未能识别：案由（提案标题）")
    if result["reply_date"] is None:
        warnings.append("未能识别：答复日期")
    if result["issuer"] is None and result["signed_by"] is None:
        warnings.append("未能识别：答复单位")
    if result["leader"] is None and blank.get("leader"):
        missing("负责人", "leader")
    if not result["handlers"]:
        missing("承办人", "handler")
    if not result["phones"]:
        missing("联系电话", "phone")
