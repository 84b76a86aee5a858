"""Records as JSON-ready dicts with the glossary's keys (CLI output, exports).

A proposer's own phone is never part of these: only handlers' phones, as printed on
published letters.
"""

from __future__ import annotations

from typing import Any

from bot.model import Contact, Proposal, Reply
from bot.storage import Repository


def contact_json(contact: Contact) -> dict[str, Any]:
    return {"name": contact.name, "unit": contact.unit, "phones": list(contact.phones)}


def reply_json(reply: Reply) -> dict[str, Any]:
    doc = reply.to_doc()
    for internal in ("schema", "proposal_id", "source_hash"):
        doc.pop(internal, None)
    return doc


def proposal_json(repo: Repository, proposal: Proposal, due_date: str | None = None) -> dict[str, Any]:
    doc = proposal.to_doc()
    doc.pop("schema", None)
    doc["handlers"] = [contact_json(c) for c in repo.contacts_by_id(proposal.handlers)]
    if due_date is not None:
        doc["due_date"] = due_date
    doc["replies"] = [reply_json(r) for r in repo.replies_for(proposal.id)]
    return doc
