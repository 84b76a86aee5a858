"""Similar proposals from earlier sessions: 并案 candidates, and earlier replies to reuse.

Each item is compared with the items of earlier sessions of the same body, in any region, by
rapidfuzz's ``fuzz.ratio`` on the title without its frame (关于 … 的建议 / 提案 / 议案 / 意见, the
part ``search`` indexes). "Earlier": in the same region an earlier term or meeting; in another
region (whose terms count differently), assigned in an earlier year.

:class:`SimilarFinder` keeps the titles as arrays (one set per body) and follows the repository
(a new item, a deleted one or a changed title marks it stale; it is rebuilt at the next
question). Many items at once (an imported list) go through one ``process.cdist`` call over
all cores, so 500 rows against 100k items take well under the 2 s budget (bench/bench_similar.py).

Pure core: no telegram.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.model import Proposal
from bot.search import norm
from bot.search.text import title_core as without_frame

SIMILAR_MIN = 70       # fuzz.ratio of the title cores, 0-100
SHOWN = 3              # on the card and in the import answer


def title_core(title: str) -> str:
    """The comparable part of a title: 关于加快推进城乡融合发展的建议 → 加快推进城乡融合发展."""
    core = norm(without_frame(norm(title) if title else ""))
    for tail in ("工作", "问题", "建议"):
        if core.endswith(tail) and len(core) > len(tail) + 3:
            core = core[: -len(tail)]
    return core


@dataclass
class Similar:
    proposal: Proposal
    score: float


class _Body:
    """The titles of one body's items as parallel arrays."""

    def __init__(self, items: list[Proposal]) -> None:
        import numpy as np  # imported on first use: numpy is 15 MB at start-up

        self.ids = np.array([p.id for p in items], dtype=np.int64)
        self.cores = [title_core(p.title) for p in items]
        # The same title often comes back (session after session): each distinct core is
        # compared once.
        codes: dict[str, int] = {}
        self.core_id = np.array([codes.setdefault(c, len(codes)) for c in self.cores], dtype=np.int32)
        self.distinct = list(codes)
        regions: dict[str, int] = {}
        self.region = np.array([regions.setdefault(p.region or "", len(regions)) for p in items], dtype=np.int32)
        self.regions = regions
        self.session = np.array([(p.term or 0) * 100 + (p.meeting or 0) for p in items], dtype=np.int32)
        self.year = np.array([int(p.assigned_date[:4]) if p.assigned_date else 0 for p in items], dtype=np.int32)

    def earlier_than(self, p: Proposal) -> np.ndarray:
        """Indexes of the items from sessions before p's."""
        import numpy as np

        region = self.regions.get(p.region or "", -1)
        session = (p.term or 0) * 100 + (p.meeting or 0)
        year = int(p.assigned_date[:4]) if p.assigned_date else 0
        same = self.region == region
        mask = same & (self.session < session) & (self.session > 0)
        if year:
            mask |= ~same & (self.year > 0) & (self.year < year)
        return np.flatnonzero(mask)


class SimilarFinder:
    def __init__(self, repo) -> None:
        self.repo = repo
        self._bodies: dict[str, _Body] | None = None
        self._cores: dict[int, str] = {}
        self._lock = threading.Lock()
        repo.subscribe(self._on_change)

    def _on_change(self, op: str, record) -> None:
        if not isinstance(record, Proposal) or self._bodies is None:
            return
        if op == "delete" or self._cores.get(record.id) != title_core(record.title):
            self._bodies = None  # rebuilt at the next question

    def _built(self) -> dict[str, _Body]:
        with self._lock:
            if self._bodies is None:
                items = self.repo.proposals()
                by_body: dict[str, list[Proposal]] = {}
                for p in items:
                    by_body.setdefault(p.body, []).append(p)
                self._bodies, self._cores = {}, {}
                for body, ps in by_body.items():
                    table = self._bodies[body] = _Body(ps)
                    self._cores.update(zip((p.id for p in ps), table.cores))
            return self._bodies

    def similar(self, proposal: Proposal, limit: int = SHOWN) -> list[Similar]:
        return self.similar_many([proposal], limit).get(proposal.id, [])

    def similar_many(self, proposals: list[Proposal], limit: int = SHOWN) -> dict[int, list[Similar]]:
        """For each item, its closest items of earlier sessions (best first, at most ``limit``)."""
        import numpy as np

        bodies = self._built()
        groups: dict[tuple, list[Proposal]] = {}
        for p in proposals:
            key = (p.body, p.region, p.term, p.meeting, (p.assigned_date or "")[:4])
            groups.setdefault(key, []).append(p)
        out: dict[int, list[Similar]] = {}
        for (body, *_), items in groups.items():
            table = bodies.get(body)
            if table is None:
                continue
            pool = table.earlier_than(items[0])
            if not len(pool):
                continue
            distinct = np.unique(table.core_id[pool])
            choices = [table.distinct[c] for c in distinct]
            queries = [title_core(p.title) for p in items]
            scores = process.cdist(queries, choices, scorer=fuzz.ratio, score_cutoff=SIMILAR_MIN,
                                   dtype=np.uint8, workers=-1)
            members: dict[int, list[int]] | None = None
            for p, row in zip(items, scores):
                hits = np.flatnonzero(row)
                if not len(hits):
                    continue
                if members is None:  # core → the pool's items with it, newest first
                    members = {}
                    for i in pool[np.argsort(-table.session[pool], kind="stable")]:
                        members.setdefault(int(table.core_id[i]), []).append(int(i))
                found: list[Similar] = []
                for j in hits[np.argsort(-row[hits], kind="stable")]:
                    for i in members[int(distinct[j])]:
                        other = self.repo.get(Proposal, int(table.ids[i]))
                        if other is not None and other.id != p.id:
                            found.append(Similar(other, float(row[j])))
                        if len(found) >= limit:
                            break
                    if len(found) >= limit:
                        break
                if found:
                    out[p.id] = found
        return out


def import_note(svc, created_ids: list[int]) -> str | None:
    """The import answer's line: how many new items have a close match in earlier sessions."""
    items = [p for p in (svc.repo.get(Proposal, i) for i in created_ids) if p is not None]
    if not items:
        return None
    matched = svc.similar.similar_many(items)
    if not matched:
        return None
    first = next(p for p in items if p.id in matched)
    return (f"往届相似：{len(matched)} 件新提案与往届提案相近，可考虑并案或参考往届答复"
            f"（如 /similar {first.number}）。")


def short_session(p: Proposal) -> str:
    """八届二次 (the region too when it is not the asking item's)."""
    from bot.model import _cn

    if p.term is None or p.meeting is None:
        return p.region or ""
    return f"{_cn(p.term)}届{_cn(p.meeting)}次"


def card_line(svc, proposal: Proposal) -> str | None:
    """往届相似 on the card: up to three earlier items, with the command that lists them."""
    found = svc.similar.similar(proposal)
    if not found:
        return None
    shown = "、".join(
        f"{'' if s.proposal.region == proposal.region else s.proposal.region}{short_session(s.proposal)}"
        f"第{s.proposal.number}号（{s.score:.0f}%）" for s in found)
    return f"往届相似：{shown} · /similar {proposal.number}"
