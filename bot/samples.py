"""Sample records for an empty database (console mode, first run of the CLI)."""

from __future__ import annotations

import json
import logging
from pathlib import Path

from bot.model import Contact, Proposal, Reply
from bot.storage import Repository

log = logging.getLogger(__name__)

SAMPLES = Path(__file__).resolve().parent.parent / "data" / "samples"


def load_samples(repo: Repository, folder: Path = SAMPLES) -> int:
    """Load the sample records into an empty repository, in one write. Returns proposals added."""
    if repo.proposals():
        return 0
    data = json.loads((folder / "seed_records.json").read_text(encoding="utf-8"))
    with repo.batch():
        contacts = {}
        for raw in data["contacts"]:
            contact = repo.put(Contact(**raw))
            contacts[contact.name] = contact.id
        proposals = {}
        for raw in data["proposals"]:
            raw = dict(raw)
            key = raw.pop("key")
            raw["handlers"] = [contacts[name] for name in raw.get("handlers", [])]
            proposals[key] = repo.put(Proposal(**raw)).id
        for raw in data["replies"]:
            raw = dict(raw)
            repo.put(Reply(proposal_id=proposals[raw.pop("proposal")], **raw))
    log.info("loaded %d sample proposals into %s", len(proposals), repo.path)
    return len(proposals)
