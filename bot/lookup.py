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


def lookup_number(repo: Repository, text: str) -> NumberLookup:
    """Proposals answering to the typed number (filtered by session when one is given),
    newest session first; when none do, the nearest stored numbers."""
    query = parse_number_query(text[:MAX_QUERY])
    result = NumberLookup(query)
    if not query.key:
        return result
    matches = repo.find_by_number(query.key)
    session = query.session
    if session is not None:
        matches = [
            p for p in matches
            if (p.term, p.meeting) == (session.term, session.meeting)
            and (session.body is None or p.body == session.body)
        ]
    if query.body is not None and any(p.body == query.body for p in matches):
        matches = [p for p in matches if p.body == query.body]  # 人大4号: the 人大 item only
    result.matches = matches
    if not matches:
        result.suggestions = nearest_numbers(repo, query.key)
    return result


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
