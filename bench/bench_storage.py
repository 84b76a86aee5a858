"""Storage at 10k / 100k / 300k proposals: the journal beside a snapshot (bot.storage) against
the whole-file rewrite as it was before issue 9 (bench/baseline_storage.py), in the same run.

    .venv/bin/python bench/bench_storage.py [--sizes 10000,100000,300000] [--runs 3] [--startup-only]
        [--pre DIR] [--kill 200]

Data: gen_data.generate(N) (N proposals, their replies, N/10 contacts, units) plus 3 events per
proposal, the records pointing at their units by id and each proposal's state as its history
leaves it (as a running bot stores them), written once per size in TinyDB's single-line layout
(what both load). Per size:

- one chat write (an /extend: a proposal replaced, an audit line): the time the caller (the
  event loop) spends in it, and the time until it is durable (fsynced), p50 / p95;
- ten uploads in a row (each a batch of 50 proposals with a reply and an event each);
- an audit append with 100,000 entries already in the trail;
- the snapshot and journal sizes; a compaction;
- start-up: ``proposal-bot run`` against the Bot API emulator, from process start to its first
  getUpdates (imports, repository, histories, search index, the application), its CPU time and
  RSS then: this code against the code before issue 9 (``--pre DIR``, default a git worktree of
  the tag ``pre-issue9``), taking turns, after one warm-up start each.

With ``--kill N`` it runs the kill -9 harness of tests/test_storage.py for N rounds instead.
Figures are printed, never asserted; tests/test_storage.py runs a tiny size as a smoke test.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for folder in (ROOT, HERE):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from bot.model import Event, Proposal, Reply  # noqa: E402

def add_events(db: Path, proposals: int, regions: dict[str, str] | None = None) -> int:
    """Three events per proposal (assigned, a nudge, a reply for every other), in the file; with
    ``regions`` (unit name → region) the records also point at their units by id, as the bot
    stores them since units became records (else the first start would link 110,000 names)."""
    data = json.loads(db.read_text(encoding="utf-8"))
    if regions is not None:
        unit_ids = {doc["name"]: int(rid) for rid, doc in data["departments"].items()}
        for rid, doc in data["departments"].items():
            doc["region"] = regions[doc["name"]]
        for doc in data["proposals"].values():
            doc["lead_unit_id"] = unit_ids[doc["lead_unit"]]
            doc["co_unit_ids"] = [unit_ids[name] for name in doc["co_units"]]
        for doc in data["contacts"].values():
            doc["unit_id"] = unit_ids[doc["unit"]]
    events, rid = {}, 0
    for pid in range(1, proposals + 1):
        for kind in ("assigned", "nudge", "reply" if pid % 2 else "extension"):
            rid += 1
            events[str(rid)] = {"proposal_id": pid, "kind": kind, "business_date": "2026-03-15",
                                "recorded_at": "2026-03-16T02:00:00+00:00", "source": "import",
                                "batch": f"b{pid // 500}", "schema": 1}
            if kind == "extension":
                events[str(rid)]["days"] = 30
    data["events"] = events
    db.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return rid


def settle(db: Path) -> None:
    """Store every proposal's state as its history leaves it (what a running bot keeps on
    disk: the load then finds nothing stale), in TinyDB's single-line layout (both stores
    read it)."""
    from bot import history
    from bot.deadlines import WorkCalendar
    from bot.durable import journal_path, lock_path
    from bot.storage import Repository

    with Repository(db, backups=0) as repo:
        config = bench_config(db)
        history.rebuild_all(repo, config, WorkCalendar.from_config(config))
        with repo.batch():
            for proposal in repo.all(Proposal):
                repo.put(proposal)
    data = json.loads(db.read_bytes())
    data.pop("_meta", None)
    db.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    for side in (journal_path(db), lock_path(db), db.with_name(f"{db.stem}.audit.jsonl")):
        side.unlink(missing_ok=True)


def bench_config(db: Path):
    """The configuration a new office starts from (the template), on ``db``."""
    from dataclasses import replace

    from bot.config import load_config

    return replace(load_config(ROOT / "bot" / "config_template.toml"), database=db)


def make_db(n: int, folder: Path) -> Path:
    import gen_data

    db = folder / f"storage-{n}.json"  # not bench_search's synthetic-N.json: this one has events and settled states
    if not db.exists():
        data = gen_data.generate(n)
        gen_data.write_db(data, db)
        add_events(db, len(data.proposals), {u.name: u.region for u in data.units})
        settle(db)
    return db


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def chat_writes(repo, samples: int) -> tuple[list[float], list[float]]:
    """(caller time, time to durable) per /extend-like write, ms. put() returns once the write
    is fsynced, so for both stores the two are the same clock; kept apart to say so."""
    ids = [p.id for p in repo.all(Proposal)]
    rng = random.Random(9)
    loop, durable = [], []
    for _ in range(samples):
        proposal = repo.get(Proposal, rng.choice(ids))
        start = time.perf_counter()
        proposal.extension_days += 1
        repo.put(proposal)
        repo.audit("extend", 1001, proposal_id=proposal.id, days=1, reason="bench")
        elapsed = (time.perf_counter() - start) * 1000
        loop.append(elapsed)
        durable.append(elapsed)
    return loop, durable


def ten_uploads(repo, start_number: int) -> float:
    """Ten batched imports of 50 new proposals with a reply and an event each, seconds."""
    started = time.perf_counter()
    for upload in range(10):
        with repo.batch():
            for k in range(50):
                p = repo.put(Proposal(body="政协", region="晋城市", term=9, meeting=1,
                                      number=f"U{start_number + upload * 50 + k}", title="关于上传测试的建议"))
                repo.put(Reply(proposal_id=p.id, issuer="晋城市发展和改革委员会", classification="A"))
                repo.put(Event(proposal_id=p.id, kind="reply", source="bench.xlsx"))
        repo.audit("import", 1001, file=f"upload-{upload}.xlsx")
    return time.perf_counter() - started


def audit_append(kind: str, folder: Path, entries: int = 100_000, samples: int = 5) -> float:
    """ms for one audit entry when the trail already holds ``entries``."""
    db = folder / f"audit-{kind}.json"
    if kind == "journal":
        from bot.storage import Repository
        repo = Repository(db, backups=0)
        lines = b"".join(json.dumps({"at": "2026-12-01T00:00:00+00:00", "action": "extend", "user_id": 1,
                                     "n": i}).encode() + b"\n" for i in range(entries))
        repo.audit_log.path.write_bytes(lines)
    else:
        from baseline_storage import Repository
        repo = Repository(db, backups=0)
        with repo._audit_db.storage.batch():
            repo._audit_db.table("audit").insert_multiple(
                {"at": "2026-12-01T00:00:00+00:00", "action": "extend", "user_id": 1, "n": i} for i in range(entries))
    times = []
    for i in range(samples):
        start = time.perf_counter()
        repo.audit("extend", 1001, n=i)
        times.append((time.perf_counter() - start) * 1000)
    repo.close()
    return statistics.median(times)


def startup(code: Path, db: Path, folder: Path, runs: int, warm_up: bool = True, cold: bool = False) -> list[dict]:
    """The bot's start-up as a person sees it: ``proposal-bot run`` of the code in ``code`` on
    ``db``, against the Bot API emulator, from process start until its first getUpdates (the
    repository loaded, the histories checked, the search index built). Per run: wall seconds,
    CPU seconds of the bot process until then, its RSS then (MB), and the load average. A
    warm-up start first (not counted): the one start after an upgrade that stores what the
    histories were checked with. ``cold``: the load cache is removed before each start (as after
    a crash that followed a compaction, or the first start after an upgrade or a restore)."""
    from bot import load_cache
    from bot.emulator import BotApiEmulator

    results = []
    with BotApiEmulator() as emulator:
        config = folder / "startup.toml"
        config.write_text(f"""
[storage]
database = "{db}"
backups = 0
[bot]
base_url = "{emulator.base_url}"
base_file_url = "{emulator.base_file_url}"
""", encoding="utf-8")
        env = {**os.environ, "PROPOSAL_BOT_TOKEN": "123456:BENCH", "PYTHONPATH": str(code)}
        for run in range(runs + (1 if warm_up else 0)):
            seen = len(emulator.calls)
            if cold:
                load_cache.cache_path(db).unlink(missing_ok=True)
            load = load_average()
            started = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config), "run"], cwd=code,
                                     env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            try:
                while not any(method == "getUpdates" for method, _ in emulator.calls[seen:]):
                    if child.poll() is not None:
                        raise RuntimeError(f"the bot stopped during start-up: {child.stderr.read()[-2000:]}")
                    time.sleep(0.005)
                wall = time.perf_counter() - started
                rss = cpu = 0.0
                for line in open(f"/proc/{child.pid}/status"):
                    if line.startswith("VmRSS:"):
                        rss = int(line.split()[1]) / 1024
                fields = open(f"/proc/{child.pid}/stat").read().rsplit(")", 1)[1].split()
                cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
            finally:
                child.send_signal(signal.SIGKILL)
                child.communicate()
            if run or not warm_up:
                results.append({"startup_s": wall, "startup_cpu_s": cpu, "rss_mb": rss, "load": load})
            elif code == ROOT:  # what the warm-up stored (states rebuilt, their fingerprint), folded in
                from bot.storage import Repository
                with Repository(db, backups=0) as repo:
                    repo.compact(force=True)
    return results


PHASES = textwrap.dedent(
    """
    import sys, time
    sys.path.insert(0, sys.argv[2])
    def mark(what, last=[0.0]):
        cpu = time.process_time()
        rss = next(int(l.split()[1]) / 1024 for l in open("/proc/self/status") if l.startswith("VmRSS:"))
        print(f"| {what} | {cpu - last[0]:.2f} | {rss:.0f} |", flush=True)
        last[0] = cpu
    mark("interpreter")
    import bot.app, bot.cli
    from bot.config import load_config
    mark("imports (telegram, handlers, search, storage)")
    from bot.services import Services
    from bot.storage import Repository
    config = load_config(sys.argv[3])
    repo = Repository(config.database, backups=config.backups)
    mark("repository: snapshot + journal into records and look-ups")
    services = Services(config=config, repo=repo, clock=None)
    mark("services: units, histories checked (replayed only after an upgrade)")
    services.units.link_legacy()
    from bot.search import SearchIndex
    index = SearchIndex.build(repo, config.aliases)
    index.search("发改委")
    mark("search index built, first query")
    """
)


def phases(db: Path, folder: Path, out=print) -> None:
    """CPU seconds and RSS after each step of a start-up (a fresh process, steady state)."""
    config = folder / "phases.toml"
    config.write_text(f'[storage]\ndatabase = "{db}"\nbackups = 0\n', encoding="utf-8")
    out(f"load average {load_average()}")
    out("| step | CPU (s) | RSS after (MB) |\n|---|---|---|")
    done = subprocess.run([sys.executable, "-c", PHASES, str(db), str(ROOT), str(config)], capture_output=True,
                          text=True, check=True)
    out(done.stdout.rstrip())


def pre_issue9_code(folder: Path) -> Path:
    """A checkout of the code before issue 9 (tag ``pre-issue9``) to start the baseline bot from."""
    target = folder / "pre-issue9"
    if not (target / "bot").exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-f", str(target), "pre-issue9"],
                       check=True, capture_output=True)
    return target


def measure(kind: str, source: Path, work: Path, samples: int) -> dict:
    db = work / f"{kind}.json"
    shutil.copy(source, db)
    if kind == "journal":
        from bot.durable import journal_path
        from bot.storage import Repository
        repo = Repository(db, backups=0)
        repo.compact(force=True)  # the single-line file as the bot leaves it: one document per line
    else:
        from baseline_storage import Repository
        repo = Repository(db, backups=0)
    f: dict = {}
    loop, durable = chat_writes(repo, samples)
    f["write_loop_p50"], f["write_loop_p95"] = pct(loop, 0.5), pct(loop, 0.95)
    f["write_durable_p50"], f["write_durable_p95"] = pct(durable, 0.5), pct(durable, 0.95)
    f["uploads_s"] = ten_uploads(repo, 10_000_000)
    if kind == "journal":
        f["journal_mb"] = journal_path(db).stat().st_size / 1e6
        started = time.perf_counter()
        repo.compact()
        f["compact_s"] = time.perf_counter() - started
    repo.close()
    f["file_mb"] = db.stat().st_size / 1e6
    return f


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def run(sizes: list[int], runs: int, folder: Path, out=print, pre: Path | None = None,
        writes: bool = True) -> dict:
    """Per size and store, one dict of figures per run. ``pre``: a checkout of the code before
    issue 9, whose bot is started beside ours (no start-up baseline without it)."""
    results: dict = {}
    for n in sizes:
        source = make_db(n, folder)
        for r in range(runs if writes else 0):  # the stores take turns: a change in the load hits both
            for kind in ("journal", "baseline"):
                samples = 60 if kind == "journal" else (20 if n <= 10_000 else 6 if n <= 100_000 else 3)
                with tempfile.TemporaryDirectory(dir=folder) as work:
                    load = load_average()
                    f = measure(kind, source, Path(work), samples)
                    f["load"] = load
                    results.setdefault((n, kind), []).append(f)
                    out(f"{n:>7} {kind:8} run {r + 1}: " + ", ".join(
                        f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in f.items()), flush=True)
        with tempfile.TemporaryDirectory(dir=folder) as work:
            work = Path(work)
            codes = {"journal": ROOT, "cold": ROOT, **({"baseline": pre} if pre else {})}
            dbs = {kind: work / kind / "proposals.json" for kind in codes}
            for db in dbs.values():
                db.parent.mkdir()
                shutil.copy(source, db)
            from bot.storage import Repository
            with Repository(dbs["journal"], backups=0) as repo:
                repo.compact(force=True)  # as the bot leaves the single-line file: one document per line
            for r in range(runs):
                for kind, code in codes.items():
                    (f,) = startup(code, dbs[kind], work, 1, warm_up=r == 0, cold=kind == "cold")
                    out(f"{n:>7} {kind:8} start-up {r + 1}: {f['startup_s']:.2f} s, CPU {f['startup_cpu_s']:.2f} s, "
                        f"RSS {f['rss_mb']:.0f} MB, load {f['load']}", flush=True)
                    if kind == "cold":  # this code without its load cache: rows of their own
                        kind, f = "journal", {f"cold_{k}": v for k, v in f.items()}
                    figures = results.setdefault((n, kind), [])
                    if len(figures) <= r:
                        figures.append({})
                    figures[r].update({k if k != "load" else "startup_load": v for k, v in f.items()})
    return results


def table(results: dict, audit: dict, out=print) -> None:
    def mmm(values: list[float], fmt: str) -> str:
        if len(values) == 1:
            return fmt.format(values[0])
        return "{} / {} / {}".format(*(fmt.format(v) for v in (min(values), statistics.median(values), max(values))))

    rows = [("one chat write, loop time p50 (ms)", "write_loop_p50", "{:.1f}"),
            ("one chat write, loop time p95 (ms)", "write_loop_p95", "{:.1f}"),
            ("one chat write, time to durable p50 (ms)", "write_durable_p50", "{:.1f}"),
            ("one chat write, time to durable p95 (ms)", "write_durable_p95", "{:.1f}"),
            ("ten uploads in a row (s)", "uploads_s", "{:.2f}"),
            ("start-up: process start to first getUpdates (s)", "startup_s", "{:.2f}"),
            ("— CPU time of the bot process until then (s)", "startup_cpu_s", "{:.2f}"),
            ("RSS of the bot process then (MB)", "rss_mb", "{:.0f}"),
            ("start-up without the load cache (s)", "cold_startup_s", "{:.2f}"),
            ("— CPU time until then (s)", "cold_startup_cpu_s", "{:.2f}"),
            ("— RSS then (MB)", "cold_rss_mb", "{:.0f}"),
            ("database file (MB)", "file_mb", "{:.1f}")]
    sizes = sorted({n for n, _ in results})
    out("| | " + " | ".join(f"{n:,} journal | {n:,} before | ratio" for n in sizes) + " |")
    out("|---|" + "---|---|---|" * len(sizes))
    for label, key, fmt in rows:
        cells = []
        for n in sizes:
            new = [f[key] for f in results.get((n, "journal"), []) if key in f]
            old = [f[key.removeprefix("cold_")] for f in results.get((n, "baseline"), []) if key.removeprefix("cold_") in f]
            if not new or not old:
                cells += [mmm(new, fmt) if new else "—", mmm(old, fmt) if old else "—", ""]
                continue
            ratio = statistics.median(old) / statistics.median(new) if statistics.median(new) else float("nan")
            cells += [mmm(new, fmt), mmm(old, fmt), f"{ratio:.1f}×"]
        out(f"| {label} | " + " | ".join(cells) + " |")
    cells = []
    for n in sizes:
        compactions = [f["compact_s"] for f in results.get((n, "journal"), []) if "compact_s" in f]
        cells += [mmm(compactions, "{:.2f}") if compactions else "—", "—", ""]
    out("| compaction, background thread (s) | " + " | ".join(cells) + " |")
    if audit:
        out(f"\naudit append with 100,000 entries: journal {audit['journal']:.2f} ms, before {audit['baseline']:.0f} ms "
            f"({audit['baseline'] / audit['journal']:.0f}×)")
    loads = sorted({f[k] for fs in results.values() for f in fs for k in ("load", "startup_load", "cold_startup_load")
                    if k in f})
    out(f"load averages (1/5/15 min) at the start of each measurement: {loads[0]} … {loads[-1]}")


KILL_CHILD = textwrap.dedent(
    """
    import sys
    sys.path.insert(0, sys.argv[4])
    from pathlib import Path
    from bot.durable import export
    from bot.model import Proposal
    from bot.storage import Repository
    path, mode, start = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "backup":
        while True:
            export(Path(path), Path(path).parent / "backups" / "copy.json")
            print("B", flush=True)
    repo = Repository(path, backups=0, compact_bytes=4000)
    for n in range(start, start + 100000):
        repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number=str(n), title="标题" * 20))
        print(n, flush=True)
        if mode == "compact":
            repo.compact()
    """
)


def kill_rounds(folder: Path, rounds: int, seed: int = 20261201, preset: int = 2000) -> dict:
    """kill -9 at random moments: during chat writes (background compactions running), during
    compactions and during backups. After each kill the database is opened by a writer (which
    cuts a torn journal tail and removes temp files) and must hold every write acknowledged
    before the kill; every backup must load. Raises AssertionError on the first loss."""
    from bot.durable import verify_snapshot
    from bot.storage import Repository

    path = folder / "p.json"
    with Repository(path, backups=0) as repo, repo.batch():
        for n in range(preset):
            repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number=f"S{n}", title="预置" * 30))
    rng = random.Random(seed)
    modes = [("write", "compact", "write", "compact", "backup")[i % 5] for i in range(rounds)]
    rng.shuffle(modes)
    acknowledged: set[str] = set()
    next_number, temps_removed = 0, 0
    for mode in modes:
        child = subprocess.Popen([sys.executable, "-c", KILL_CHILD, str(path), mode, str(next_number), str(ROOT)],
                                 stdout=subprocess.PIPE, text=True)
        for _ in range(rng.randint(1, 12)):
            line = child.stdout.readline().strip()
            if not line:
                break
            if line != "B":
                acknowledged.add(line)
        time.sleep(rng.random() * 0.02)
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        acknowledged.update(n for n in rest.split() if n != "B")  # printed before the kill landed
        temps_removed += len(list(folder.glob(".*.tmp"))) + len(list((folder / "backups").glob(".*.tmp")))
        with Repository(path, backups=0) as repo:
            stored = {p.number for p in repo.proposals()}
            assert not list(folder.glob(".*.tmp")) and not list((folder / "backups").glob(".*.tmp")), "temp files left"
        missing = acknowledged - stored
        assert not missing, f"{mode}: acknowledged writes lost after SIGKILL: {sorted(missing)[:5]}"
        assert len([n for n in stored if n.startswith("S")]) == preset
        for copy in (folder / "backups").glob("*.json"):
            assert verify_snapshot(copy) >= preset
        next_number = max((int(n) for n in stored if n.isdigit()), default=-1) + 1
    return {"rounds": rounds, "acknowledged": len(acknowledged), "temps_removed": temps_removed,
            "modes": {m: modes.count(m) for m in set(modes)}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,300000")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--out", default=str(HERE / "out"))
    parser.add_argument("--no-audit", action="store_true")
    parser.add_argument("--kill", type=int, default=0, help="run N kill -9 rounds instead")
    parser.add_argument("--startup-only", action="store_true", help="measure only the start-ups")
    parser.add_argument("--phases", action="store_true", help="CPU and RSS per start-up step instead")
    parser.add_argument("--pre", help="a checkout of the code before issue 9 (default: git worktree of the tag "
                                      "pre-issue9 in the output folder)")
    args = parser.parse_args(argv)
    folder = Path(args.out)
    folder.mkdir(parents=True, exist_ok=True)
    if args.kill:
        with tempfile.TemporaryDirectory(dir=folder) as work:
            started = time.perf_counter()
            f = kill_rounds(Path(work), args.kill)
            print(f"kill -9: {f['rounds']} rounds {f['modes']}, {f['acknowledged']} acknowledged writes, none lost; "
                  f"{f['temps_removed']} temp files left by kills, all removed at the next start "
                  f"({time.perf_counter() - started:.0f} s)")
        return 0
    if args.phases:
        for n in (int(s) for s in args.sizes.split(",")):
            with tempfile.TemporaryDirectory(dir=folder) as work:
                db = Path(work) / "proposals.json"
                shutil.copy(make_db(n, folder), db)
                from bot.storage import Repository
                with Repository(db, backups=0) as repo:
                    repo.compact(force=True)  # as the bot leaves the single-line file: one document per line
                for start in range(2):  # the first start after an upgrade checks every history
                    print(f"\n{n:,} proposals, {'first start (histories replayed)' if not start else 'next start'}")
                    phases(db, Path(work))
                    with Repository(db, backups=0) as repo:
                        repo.compact(force=True)  # what the first start stored, folded in
        return 0
    print(f"load average {load_average()}, {os.cpu_count()} cores")
    pre = Path(args.pre) if args.pre else pre_issue9_code(folder)
    results = run([int(s) for s in args.sizes.split(",")], args.runs, folder, pre=pre, writes=not args.startup_only)
    audit = {}
    if not args.no_audit and not args.startup_only:
        with tempfile.TemporaryDirectory(dir=folder) as work:
            audit = {kind: audit_append(kind, Path(work)) for kind in ("journal", "baseline")}
    print()
    table(results, audit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
