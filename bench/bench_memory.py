"""RSS of the bot's core as it runs, not only at start-up: after the load and the search index
(what the start-up goal measures), then after the first sweep's plan (the reminder planner keeps
each item's plan from then on), and how many events were built out of the snapshot file.

    .venv/bin/python bench/bench_memory.py [N]        (default 100000; data of bench_storage.py)

The database is bench_storage's data, put in the line layout with its histories' states stored
and its load cache made (as a running bot leaves it at a stop), then measured in a fresh process.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE)]

MEASURE = textwrap.dedent(
    """
    import sys
    from dataclasses import replace
    from datetime import date
    def rss():
        return next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmRSS:"))
    import bot.app, bot.cli
    from bot.config import load_config
    from bot.model import Event
    from bot.reminder_plan import SweepPlanner
    from bot.search import SearchIndex
    from bot.services import Services
    from bot.storage import Repository
    from bot.units import UnitRegistry
    config = replace(load_config(sys.argv[2]), database=sys.argv[1])
    repo = Repository(config.database, backups=0)
    svc = Services(config=config, repo=repo, clock=None)
    index = SearchIndex.build(repo, config.aliases)
    index.search("发改委")
    print(f"  after load and search index: RSS {rss():.0f} MB (load cache used: {repo._cache_fresh})")
    units = UnitRegistry(repo, config)
    pings = SweepPlanner().watch(repo).plan(
        date(2026, 12, 7), repo.proposals(), {c.id: c for c in repo.contacts()}, config, svc.calendar,
        departments=repo.departments(), liaisons=units.liaisons(), leaders=units.leaders())
    print(f"  after the first sweep's plan ({len(pings):,} pings): RSS {rss():.0f} MB")
    print(f"  events built out of the snapshot file: {len(dict.keys(repo._records[Event])):,}")
    repo.close()
    """
)


def main(argv: list[str]) -> int:
    from bench_storage import bench_config, load_average, make_db

    n = int(argv[0]) if argv else 100_000
    out = HERE / "out"
    out.mkdir(exist_ok=True)
    source = make_db(n, out)
    with tempfile.TemporaryDirectory(dir=out) as work:
        db = Path(work) / "proposals.json"
        shutil.copy(source, db)
        from bot.services import Services
        from bot.storage import Repository

        config = bench_config(db)
        with Repository(db, backups=0) as repo:  # line layout, histories' states stored, the cache made
            Services(config=config, repo=repo, clock=None)
            repo.compact(force=True)
        print(f"{n:,} proposals, load average {load_average()}")
        subprocess.run([sys.executable, "-c", MEASURE, str(db), str(ROOT / "bot" / "config_template.toml")],
                       cwd=ROOT, check=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
