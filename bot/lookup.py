"""Look a proposal up by the number a person typed (/status, the status CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.model import Proposal
from bot.numbers import NumberQuery, near_keys, parse_number_query
from bot.storage import Repository

MAX_QUERY = 200


@dataclass
class NumberLookup:
    query: NumberQuery
    matches: list[Proposal] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)  # nearby numbers as printed
    deleted: list = field(default_factory=list)  # bot.deletion.Deleted items with this number

    def not_found_text(self, restore_hint: bool = True) -> str:
        """未找到第N号 with the nearest numbers, or that it was deleted and how to restore it."""
        if self.deleted:
            from bot.deletion import deleted_line

            text = "".join(deleted_line(d) for d in self.deleted[:3])
            return text + (f"管理员可发送 /restore {self.query.key} 恢复。" if restore_hint else "")
        text = f"未找到第{self.query.typed or self.query.key}号。"
        if self.suggestions:
            text += "相近的有：" + "、".join(self.suggestions) + "。"
        return text


def lookup_number(repo: Repository, text: str) -> NumberLookup:
    """Proposals answering to the typed number (filtered by session when one is given),
    newest session first, and the deleted ones; when none do, the nearest stored numbers."""
    query = parse_number_query(text[:MAX_QUERY])
    result = NumberLookup(query)
    if not query.key:
        return result
    from bot.deletion import deleted_items

    result.matches = _named(repo.find_by_number(query.key), query, lambda p: p)
    result.deleted = _named(deleted_items(repo, query.key), query, lambda d: d.proposal)
    if not result.matches and not result.deleted:
        result.suggestions = nearest_numbers(repo, query.key)
    return result


def _named(found: list, query: NumberQuery, proposal_of) -> list:
    """Those of the found items the query's session and body name."""
    session = query.session
    if session is not None:
        found = [
            x for x in found
            if (proposal_of(x).term, proposal_of(x).meeting) == (session.term, session.meeting)
            and (session.body is None or proposal_of(x).body == session.body)
        ]
    if query.body is not None and any(proposal_of(x).body == query.body for x in found):
        found = [x for x in found if proposal_of(x).body == query.body]  # 人大4号: the 人大 item only
    return found


def nearest_numbers(repo: Repository, key: str, limit: int = 3) -> list[str]:
    """Stored numbers one slip away from the key (1250 → 125, 1205), as printed, in the order of
    :func:`bot.numbers.near_keys`: the same numbers a search offers."""
    printed: list[str] = []
    for near in near_keys(key):
        for proposal in repo.find_by_number(near):
            if proposal.number not in printed:
                printed.append(proposal.number)
                if len(printed) == limit:
                    return printed
    return printed
