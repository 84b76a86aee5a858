"""What a search returns (:class:`Hit`, :class:`SearchResult`) and how hits are collected and
ranked (:class:`Found`): one hit per record, exact > prefix > substring > fuzzy, a clear winner
marked ``certain``."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.model import Proposal, Record
from bot.search.text import norm

KINDS = ("proposal", "contact", "unit")

RESULT_CUTOFF = 55.0    # below this a hit is only a suggestion
SUGGEST_CUTOFF = 35.0   # below this nothing is shown at all
CERTAIN_MIN = 90.0      # a clear winner scores at least this ...
CERTAIN_MARGIN = 10.0   # ... and beats the runner-up by this much
S_EXACT = 100.0         # an exact match (number, name, phone ...); the top of the scale

@dataclass
class Hit:
    kind: str            # "proposal" | "contact" | "unit"
    score: float         # 0-100
    record: Record       # Proposal, Contact or Department (a unit without record: id None)
    match: str           # the field that matched: number, title, proposer, name, pinyin, ...
    order: tuple = field(default=(), repr=False, compare=False)

    @property
    def key(self) -> tuple:
        if self.kind == "unit":
            return ("unit", norm(self.record.name))  # type: ignore[attr-defined]
        return (self.kind, self.record.id)


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]                 # good matches, best first (choices when not certain)
    certain: bool = False           # one clear winner: answer with hits[0] directly
    reason: str | None = None       # Chinese, when nothing (good) was found or the query is unusable
    suggestions: list[Hit] = field(default_factory=list)  # nearest records when hits is empty

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.certain and self.hits else None



class Found:
    """Collects hits, one per record (best score wins), and ranks them."""

    def __init__(self, limit: int = 8) -> None:
        self.hits: dict[tuple, Hit] = {}
        self.truncated = False
        self.limit = max(1, limit)

    def add(self, kind: str, record: Record, score: float, match: str, order: tuple) -> None:
        if score < SUGGEST_CUTOFF:
            return
        hit = Hit(kind, min(100.0, score), record, match, order)
        key = hit.key
        old = self.hits.get(key)
        if old is None or hit.score > old.score:
            self.hits[key] = hit

    def result(self, query: str, limit: int) -> SearchResult:
        kind_rank = {"contact": 0, "unit": 1, "proposal": 2}  # a person before the proposals they filed
        ranked = sorted(self.hits.values(), key=lambda h: (-h.score, kind_rank[h.kind], h.order))
        good = [h for h in ranked if h.score >= RESULT_CUTOFF][:limit]
        if not good:
            near = ranked[:limit]
            reason = "没有找到可靠的匹配。" + ("以下是相近的结果，请确认。" if near else "请换个说法，或输入案号、单位简称、姓名、拼音或电话。")
            return SearchResult(query=query, hits=[], certain=False, reason=reason, suggestions=near)
        top = good[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        certain = (
            top.score >= CERTAIN_MIN
            and top.score - runner_up >= CERTAIN_MARGIN
            and (not self.truncated or top.score >= S_EXACT)
        )
        return SearchResult(query=query, hits=good, certain=certain)


def newest(p: Proposal) -> tuple:
    return (-(p.term or 0), -(p.meeting or 0), p.region or "", -(p.id or 0))

