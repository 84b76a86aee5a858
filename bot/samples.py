"""Sample records for an empty database (console mode, first run of the CLI).

They are made by importing the files in bot/sample_data/ (package data: an installed bot has
them too) — the two published seed letters and an example assignment list — through the same
importer staff use, never typed in.
"""

from __future__ import annotations

import logging
from pathlib import Path

from bot.config import Config
from bot.storage import Repository

log = logging.getLogger(__name__)

SAMPLES = Path(__file__).resolve().parent / "sample_data"


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
