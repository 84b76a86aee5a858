"""Sample records, for the console demo only (its own database, data/demo.json by default).

They are made by importing the files in bot/sample_data/ (package data: an installed bot has
them too) — the two published seed letters and an example assignment list — through the same
importer staff use, never typed in. A real
database never receives them; ``remove_samples`` takes them out of one that has them (an
older version seeded every empty database).
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from bot.config import Config
from bot.model import Event, Proposal, Reply
from bot.storage import Repository

log = logging.getLogger(__name__)

SAMPLES = Path(__file__).resolve().parent / "sample_data"
DEMO_NAME = "demo.json"


def demo_database(config: Config) -> Path:
    """The console demo's database: beside the configured one, never the same file."""
    return config.database.with_name(DEMO_NAME)


def load_samples(repo: Repository, config: Config, folder: Path = SAMPLES) -> int:
    """Import the sample files into an empty repository, in one write. Returns proposals added."""
    from bot.importer import Importer

    if repo.proposals():
        return 0
    report = Importer(repo, config).import_paths([folder])
    for failed in report.failed:
        log.error("sample file not imported: %s", failed.summary())
    added = report.totals()["proposals"]["created"]
    log.info("loaded %d sample proposals into %s", added, repo.path)
    return added


def _sample_fingerprints(config: Config, folder: Path) -> tuple[set, set, set, set]:
    """What the sample files make: proposal identities, event sources and letter hashes,
    contact names and unit names (imported into a throw-away database)."""
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Repository(Path(tmp) / "samples.json", backups=0)
        try:
            load_samples(scratch, config, folder)
            identities = {p.identity for p in scratch.proposals()}
            sources = {e.source for e in scratch.all(Event)} | {r.source_name for r in scratch.all(Reply)}
            hashes = {e.source_hash for e in scratch.all(Event) if e.source_hash}
            hashes |= {r.source_hash for r in scratch.all(Reply) if r.source_hash}
            contacts = {(c.name, c.unit) for c in scratch.contacts()}
            units = {d.name for d in scratch.departments()}
        finally:
            scratch.close()
    return identities, sources | {"迁移"}, hashes, contacts | {("", u) for u in units}


def sample_proposals(repo: Repository, config: Config, folder: Path = SAMPLES) -> list[Proposal]:
    """The stored proposals that are sample records: a sample's identity, and nothing on
    record from anywhere but the sample files (no chat action, no other file)."""
    identities, sources, hashes, _ = _sample_fingerprints(config, folder)
    found = []
    for p in repo.proposals():
        if p.identity not in identities:
            continue
        events = repo.events_for(p.id)
        replies = repo.replies_for(p.id)
        if any(e.by is not None or e.source not in sources or (e.source_hash and e.source_hash not in hashes)
               for e in events):
            continue
        if any(r.source_hash and r.source_hash not in hashes for r in replies):
            continue
        found.append(p)
    return found


def remove_samples(repo: Repository, config: Config, folder: Path = SAMPLES) -> dict[str, int]:
    """Delete the sample proposals with their replies and history, and the sample contacts
    and units nothing else uses any more; one write. Returns what was removed, by kind."""
    _, _, _, sample_names = _sample_fingerprints(config, folder)
    doomed = sample_proposals(repo, config, folder)
    removed = {"proposals": 0, "replies": 0, "events": 0, "contacts": 0, "units": 0}
    with repo.batch():
        for p in doomed:
            for reply in repo.replies_for(p.id):
                repo.delete(reply)
                removed["replies"] += 1
            for event in repo.events_for(p.id):
                repo.delete(event)
                removed["events"] += 1
            repo.delete(p)
            removed["proposals"] += 1
        if doomed:
            used = {cid for p in repo.proposals() for cid in p.handlers}
            for contact in list(repo.contacts()):
                if ((contact.name, contact.unit) in sample_names and contact.id not in used
                        and contact.telegram_user_id is None):
                    repo.delete(contact)
                    removed["contacts"] += 1
            held = {p.lead_unit_id for p in repo.proposals()} | {u for p in repo.proposals() for u in p.co_unit_ids}
            held |= {c.unit_id for c in repo.contacts()}
            for unit in list(repo.departments()):
                if ("", unit.name) in sample_names and unit.id not in held and not unit.supervisor_chat_id:
                    repo.delete(unit)
                    removed["units"] += 1
    return removed


def removal_text(removed: dict[str, int]) -> str:
    if not removed["proposals"]:
        return "数据库中没有示例数据，未做任何更改。"
    return (f"已删除示例数据：提案 {removed['proposals']} 件、答复 {removed['replies']} 件、"
            f"办理记录 {removed['events']} 条、联系人 {removed['contacts']} 人、单位 {removed['units']} 个。")

