"""JSON of records and results for the CLI (``find`` / ``contact --json``) and ``status --json``."""

from __future__ import annotations

from typing import Any, Iterable, Mapping, Sequence

from bot.model import STATE_LABELS, Contact, Department, Proposal, Record, Reply
from bot.search.index import SearchIndex
from bot.search.results import Hit, SearchResult


def record_to_json(kind: str, record: Record, contacts: Mapping[int, Contact] | None = None,
                   replies: Sequence[Reply] | None = None) -> dict[str, Any]:
    """A record as JSON with glossary keys. Proposals list their handlers (name, unit, phones)
    when ``contacts`` is given, and their replies when ``replies`` is given."""
    if kind == "proposal":
        p: Proposal = record  # type: ignore[assignment]
        handlers = []
        for cid in p.handlers:
            c = (contacts or {}).get(cid)
            if c is not None:
                handlers.append({"id": c.id, "name": c.name, "unit": c.unit, "phones": list(c.phones)})
        out: dict[str, Any] = {
            "id": p.id, "body": p.body, "region": p.region, "term": p.term, "meeting": p.meeting,
            "session": p.session_label, "number": p.number, "title": p.title, "proposer": p.proposer,
            "lead_unit": p.lead_unit, "co_units": list(p.co_units),
            "assigned_date": p.assigned_date, "due_date": p.due_date, "complex": p.complex,
            "extension_days": p.extension_days, "state": p.state,
            "state_label": STATE_LABELS.get(p.state, p.state), "handlers": handlers,
            "feedback": p.feedback, "feedback_date": p.feedback_date,
            "follow_up_date": p.follow_up_date, "warnings": list(p.warnings),
        }
        if replies is not None:
            out["replies"] = [
                {"id": r.id, "issuer": r.issuer, "signed_by": r.signed_by, "doc_number": r.doc_number,
                 "classification": r.classification, "reply_date": r.reply_date,
                 "handlers": list(r.handlers), "leader": r.leader, "phones": list(r.phones),
                 "warnings": list(r.warnings)}
                for r in replies
            ]
        return out
    if kind == "contact":
        c: Contact = record  # type: ignore[assignment]
        return {"id": c.id, "name": c.name, "unit": c.unit, "phones": list(c.phones)}
    if kind == "unit":
        d: Department = record  # type: ignore[assignment]
        return {"id": d.id, "name": d.name, "aliases": list(d.aliases)}
    raise ValueError(f"unknown kind {kind!r}")


def hit_to_json(index: SearchIndex, hit: Hit) -> dict[str, Any]:
    contacts = replies = None
    if hit.kind == "proposal":
        contacts = {cid: c for cid in hit.record.handlers if (c := index.contact(cid)) is not None}
        replies = index.replies_of(hit.record.id)
    return {
        "kind": hit.kind,
        "score": round(hit.score, 1),
        "match": hit.match,
        "record": record_to_json(hit.kind, hit.record, contacts, replies),
    }


def result_to_json(index: SearchIndex, result: SearchResult) -> dict[str, Any]:
    """{"query", "results": [{"kind", "score", "match", "record"}], "certain", "reason",
    "suggestions"}: the JSON of ``find`` and ``contact``."""
    return {
        "query": result.query,
        "results": [hit_to_json(index, h) for h in result.hits],
        "certain": result.certain,
        "reason": result.reason,
        "suggestions": [hit_to_json(index, h) for h in result.suggestions],
    }


def _aliases_of(config) -> Mapping[str, Sequence[str]]:
    return getattr(config, "aliases", None) or {}


def run_find(query: str, repo, config=None, kinds: Iterable[str] | None = None,
             limit: int = 8) -> dict[str, Any]:
    """`proposal-bot find TEXT --json`: one JSON object
    {"query", "results": [{"kind", "score", "match", "record"}], "certain", "reason", "suggestions"}."""
    index = SearchIndex(_aliases_of(config))
    index.load(repo)
    return result_to_json(index, index.search(query, kinds, limit))


def run_contact(query: str, repo, config=None, limit: int = 8) -> dict[str, Any]:
    """`proposal-bot contact TEXT --json`: as run_find, contacts only."""
    return run_find(query, repo, config, ("contact",), limit)
