"""The result's keys and ``Letter``, the state one parse passes from step to step."""

from __future__ import annotations

from dataclasses import dataclass, field


LETTER_KEYS = (
    "issuer", "signed_by", "doc_number", "classification", "body", "region", "term", "meeting",
    "proposal_number", "proposer", "addressee", "title", "reply_date", "handlers", "leader", "phones",
    "lead_unit", "co_units", "warnings",
)
_LIST_KEYS = ("handlers", "phones", "co_units", "warnings", "proposers", "split_units")


def empty_result() -> dict:
    result: dict = {key: None for key in LETTER_KEYS}
    for key in _LIST_KEYS:
        result[key] = []
    result["conflicts"] = {}
    result["simplified"] = {}
    return result


@dataclass
class Letter:
    """What the steps know about one letter: its lines (as printed, and the keyword copy in which
    Traditional characters are folded), where its parts are, and the result being filled in."""

    t_lines: list[str]
    k_lines: list[str]
    furniture: list[bool]
    result: dict
    traditional: bool = False
    title_idx: int | None = None
    title_end: int | None = None
    title_t: str = ""
    title_k: str = ""
    title_candidates: list = field(default_factory=list)  # (first line, last line, chars to skip)
    sal_idx: int | None = None
    sal_name_t: str = ""
    para_t: str = ""
    para_k: str = ""
    header_idx: list[int] = field(default_factory=list)
    header_end: int = 0
    date_idx: int | None = None
    footer: int = 0
    labelled: dict = field(default_factory=dict)
    sessions: list = field(default_factory=list)
    blank: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)  # the web page's own metadata: "unit" / "date" / "doc_number"
    partial_date: str | None = None  # the letter's date printed without its day (2024年9月)

    @property
    def n(self) -> int:
        return len(self.t_lines)

    @property
    def warnings(self) -> list[str]:
        return self.result["warnings"]

    @property
    def conflicts(self) -> dict:
        return self.result["conflicts"]

    @property
    def in_title(self) -> range:
        return range(self.title_idx, self.title_end + 1) if self.title_idx is not None else range(0)
