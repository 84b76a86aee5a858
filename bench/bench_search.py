"""Search bench: start-up, memory, latency and precision@1 of the index, of the code at the commit
before issue 13 (``pre-issue13``) and of a fair baseline, measured in the same run.

    .venv/bin/python bench/bench_search.py 100000 [--runs 3] [--before pre-issue13] [--seed 1] [--out DIR]

1. bench/gen_data.py writes a synthetic TinyDB file of N proposals (N/10 contacts, up to 2,000
   units); from the same data this script builds a fixed query mix and a labelled set whose right
   answer is known by construction.
2. Each run starts fresh child processes (so the figures are the application's, not the
   generator's), in turn: today's code, then the ``--before`` commit's ``bot/`` (``git archive``
   into a temporary folder). Each measures start-up (Repository load + SearchIndex build), RSS,
   the latency of every query of the mix (three passes after a warm-up) and precision@1 on the
   labelled set. Today's child also runs the fair baseline over the same queries: what a
   competent engineer already using rapidfuzz would write, exact dicts (number key, name, phone,
   unit name or alias, document number) and else ``rapidfuzz.process.extractOne`` over every
   title, name and unit name.
3. The table gives min / median / max over the runs, ratios of the medians, and the load
   average before each run.

Figures are printed, never asserted (tests/test_search.py runs a tiny size as a smoke test). The
time the cyclic garbage collector takes inside the load and the build is shown apart (gc.callbacks):
it pays for objects made earlier as much as for those of the step it interrupts.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import statistics
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

GOALS = {"p95_ms": 3.0, "cpu_p95_ms": 3.0, "startup_s": 3.0, "rss_mb": 400.0}  # at 100k, 2-core machine
_CN = "零一二三四五六七八九"


def _cn(n: int) -> str:
    if n < 10:
        return _CN[n]
    if n < 20:
        return "十" + (_CN[n % 10] if n % 10 else "")
    return _CN[n // 10] + "十" + (_CN[n % 10] if n % 10 else "")


# -- queries -------------------------------------------------------------------------------------


def build_queries(data, seed: int = 1, per_kind: int = 25) -> tuple[list[dict], list[str]]:
    """(labelled, extra): labelled queries {"q", "kind", "label", "type"} whose answer is known,
    and extra ambiguous queries (abbreviations alone, short phrases) for the latency mix."""
    from bot.search import norm, pinyin_forms

    rng = random.Random(seed * 7 + 3)
    labelled: list[dict] = []

    def add(q: str, kind: str, label, qtype: str) -> None:
        labelled.append({"q": q, "kind": kind, "label": label, "type": qtype})

    proposals = data.proposals
    contacts = data.contacts
    replies = data.replies

    def sample(rows, k):
        return rng.sample(rows, min(k, len(rows)))

    # Numbers with their session: 高平市政协七届五次会议第TA0010号 (unique by identity).
    for p in sample(proposals, per_kind):
        add(f"{p['region']}{p['body']}{_cn(p['term'])}届{_cn(p['meeting'])}次会议第{p['number']}号",
            "proposal", p["id"], "number+session")
    # Year-prefixed numbers are unique on their own; typed without zeros or with letters lower-cased.
    number_count = Counter(p["number"] for p in proposals)
    unique_numbers = [p for p in proposals
                      if len(p["number"]) == 8 and p["number"].isdigit() and number_count[p["number"]] == 1]
    for p in sample(unique_numbers, per_kind // 2):
        add(p["number"], "proposal", p["id"], "number")
    ta = [p for p in proposals if p["number"].startswith("TA")]
    by_key = Counter((p["number"]) for p in ta)
    for p in sample(ta, per_kind // 2):
        if by_key[p["number"]] == 1:  # only when one session uses it
            add(p["number"].lower().replace("ta00", "ta-").replace("ta0", "ta"), "proposal", p["id"], "number")
        else:
            add(f"{p['region']}{_cn(p['term'])}届{_cn(p['meeting'])}次 {p['number'].lower()}", "proposal", p["id"], "number+session")

    # Titles: whole (unique ones), and with one character dropped (a typing slip).
    title_count = Counter(p["title"] for p in proposals)
    unique_titles = [p for p in proposals if title_count[p["title"]] == 1]
    for p in sample(unique_titles, per_kind):
        add(p["title"], "proposal", p["id"], "title")
    norm_titles = Counter(norm(p["title"]) for p in proposals)
    for p in sample(unique_titles, per_kind):
        t = p["title"]
        i = rng.randrange(3, len(t) - 4)
        typo = t[:i] + t[i + 1:]
        if norm_titles[norm(typo)] == 0:
            add(typo, "proposal", p["id"], "title typo")

    # Contacts: name, full pinyin, homophone typo, phone, local number.
    name_count = Counter(c["name"] for c in contacts)
    name_count.update(p["proposer"] for p in proposals)  # a proposer of that name makes it ambiguous
    forms = {c["id"]: pinyin_forms(c["name"]) for c in contacts}
    full_count = Counter(f for fs in forms.values() for f in fs[0])
    unique_people = [c for c in contacts if name_count[c["name"]] == 1]
    for c in sample(unique_people, per_kind):
        add(c["name"], "contact", c["id"], "name")
    py_unique = [c for c in unique_people if all(full_count[f] == 1 for f in forms[c["id"]][0])]
    for c in sample(py_unique, per_kind):
        full = sorted(forms[c["id"]][0])[0]
        add(full, "contact", c["id"], "pinyin")
    # Pinyin with two neighbouring letters swapped; initials where only one person has them.
    for c in sample(py_unique, per_kind // 2):
        full = sorted(forms[c["id"]][0])[0]
        i = rng.randrange(1, len(full) - 1)
        typo = full[:i] + full[i + 1] + full[i] + full[i + 2:]
        if typo != full and full_count[typo] == 0:
            add(typo, "contact", c["id"], "pinyin typo")
    init_count = Counter(f for fs in forms.values() for f in fs[1])
    init_unique = [c for c in contacts if all(init_count[f] == 1 for f in forms[c["id"]][1])]
    for c in sample(init_unique, per_kind // 2):
        add(sorted(forms[c["id"]][1])[0], "contact", c["id"], "initials")
    # Homophone typos: a given-name character replaced by another with the same reading.
    from pypinyin import Style, lazy_pinyin
    reading_chars: dict[str, list[str]] = {}
    pool = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红飞鹏慧志文建国斌宇浩凯晓东雪梅琳婷辉俊峰晨阳海波宁亮瑞欣怡佳雨萱子涵博轩梓睿思源一诺嘉悦曦诗琪立新卫春生" \
           "问闻稳温卫为维薇炜玮丽力利莉立理李礼黎明鸣铭名敏民珉杰洁婕捷节静晶菁京敬景强蔷墙芳方舫坊放"
    for ch in dict.fromkeys(pool):
        reading_chars.setdefault(lazy_pinyin(ch, style=Style.NORMAL)[0], []).append(ch)
    names_set = set(name_count)
    typos = 0
    for c in rng.sample(py_unique, len(py_unique)):
        if typos >= per_kind:
            break
        name = c["name"]
        i = len(name) - 1
        alts = [ch for ch in reading_chars.get(lazy_pinyin(name[i], style=Style.NORMAL)[0], []) if ch != name[i]]
        if not alts:
            continue
        typo = name[:i] + rng.choice(alts) + name[i + 1:]
        if typo in names_set or any(other.startswith(typo) for other in names_set):
            continue  # the slip is itself someone's name, or the start of one: ambiguous
        add(typo, "contact", c["id"], "name typo (homophone)")
        typos += 1
    for c in sample(contacts, per_kind):
        add(c["phones"][0], "contact", c["id"], "phone")
    landlines = [c for c in contacts if "-" in c["phones"][0]]
    all_digits = [re.sub(r"\D", "", p) for c in contacts for p in c["phones"]]
    local_done = 0
    for c in rng.sample(landlines, len(landlines)):
        if local_done >= per_kind // 2:
            break
        local = c["phones"][0].split("-")[1]
        if sum(1 for d in all_digits if local in d) == 1:
            add(local, "contact", c["id"], "phone (local part)")
            local_done += 1

    # Units: full name, region + abbreviation (晋城市发改委 / 晋城发改委), region-free abbreviation
    # only where one unit of that type exists.
    units = data.units
    for u in sample(units, per_kind):
        add(u.name, "unit", u.name, "unit name")
    key_count = Counter((u.region, u.abbr) for u in units)
    for u in sample([u for u in units if key_count[(u.region, u.abbr)] == 1 and u.abbr != u.type_full], per_kind):
        short = u.region[:-1] if len(u.region) >= 3 else u.region
        add(rng.choice([u.region, short]) + u.abbr, "unit", u.name, "unit abbreviation")

    # Document numbers that occur once.
    doc_count = Counter(r["doc_number"] for r in replies)
    for r in sample([r for r in replies if doc_count[r["doc_number"]] == 1], per_kind // 2):
        add(r["doc_number"], "proposal", r["proposal_id"], "doc number")

    extra = ["发改委", "发改局", "人社局", "卫健委", "城乡融合", "老旧小区改造", "乡村振兴", "教育局",
             "民建", "九三学社", "zw", "wang", "125", "TA10", "第1250号", "晋城市", "停车难", "数字化转型",
             "饮水安全", "高平发改局", "垃圾分类", "医共体", "夜间经济", "充电设施"]
    return labelled, extra


# -- the measuring child ---------------------------------------------------------------------------


def _rss_mb() -> tuple[float, float]:
    """(current, peak) resident set size in MB, from /proc."""
    cur = peak = 0.0
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                cur = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                peak = int(line.split()[1]) / 1024
    except OSError:
        import resource
        peak = cur = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return cur, peak


def _pct(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    values = sorted(values)
    return values[min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))]


def _matches(hit, item) -> bool:
    if hit is None or hit.kind != item["kind"]:
        return False
    if item["kind"] == "unit":
        return hit.record.name == item["label"]
    return hit.record.id == item["label"]


class _GCTimer:
    """Seconds the cyclic garbage collector has run so far (gc.callbacks)."""

    def __init__(self) -> None:
        self.total = 0.0
        self._start = 0.0
        gc.callbacks.append(self._on_gc)

    def _on_gc(self, phase: str, info: dict) -> None:
        if phase == "start":
            self._start = time.perf_counter()
        else:
            self.total += time.perf_counter() - self._start


def measure(db: Path, queries_file: Path, code: Path | None, baseline: bool) -> dict:
    """One run in this (fresh) process: start-up, RSS, latency and precision of the index of the
    code in ``code`` (None: today's), and of the fair baseline when asked."""
    if code is not None:
        sys.path.insert(0, str(code))  # ahead of today's tree and the editable install
    gc_timer = _GCTimer()
    t_import = time.perf_counter()
    from bot.search import SearchIndex
    from bot.storage import Repository
    import_s = time.perf_counter() - t_import
    spec = json.loads(queries_file.read_text(encoding="utf-8"))

    rss_before, _ = _rss_mb()
    gc0 = gc_timer.total
    t0 = time.perf_counter()
    repo = Repository(db, backups=0)
    t1 = time.perf_counter()
    gc1 = gc_timer.total
    rss_loaded, _ = _rss_mb()
    index = SearchIndex.build(repo, spec["aliases"])
    index.search("发改委")  # derives the unit forms: part of being ready
    t2 = time.perf_counter()
    gc2 = gc_timer.total
    rss_ready, _ = _rss_mb()

    labelled, extra = spec["labelled"], spec["extra"]
    mix = [item["q"] for item in labelled] + extra

    # Latency: one warm-up pass, then three timed passes over the whole mix.
    for q in mix:
        index.search(q)
    # Wall time is what a person waits; the CPU time of the thread leaves out the time other
    # processes held the core (on a shared, busy machine the two differ several times over).
    latencies: list[float] = []
    cpu: list[float] = []
    per_type: dict[str, list[float]] = {}
    types = [item["type"] for item in labelled] + ["ambiguous"] * len(extra)
    for _ in range(3):
        for q, qtype in zip(mix, types):
            c = time.thread_time()
            t = time.perf_counter()
            index.search(q)
            ms = (time.perf_counter() - t) * 1000
            cpu.append((time.thread_time() - c) * 1000)
            latencies.append(ms)
            per_type.setdefault(qtype, []).append(ms)

    # Precision@1 on the labelled set; a certain answer that is wrong is the failure that matters.
    correct = certain = certain_wrong = 0
    by_type: dict[str, list[int]] = {}
    misses: list[str] = []
    for item in labelled:
        result = index.search(item["q"])
        top = (result.hits or result.suggestions or [None])[0]
        ok = _matches(top, item)
        correct += ok
        certain += result.certain
        if result.certain and not ok:
            certain_wrong += 1
            got = f"{top.kind}:{getattr(top.record, 'name', None) or top.record.title}"
            misses.insert(0, f"CERTAIN BUT WRONG {item['type']}: {item['q']} → {got}")
        stats = by_type.setdefault(item["type"], [0, 0])
        stats[0] += ok
        stats[1] += 1
        if not ok and len(misses) < 15:
            got = "—" if top is None else f"{top.kind}:{getattr(top.record, 'name', None) or top.record.title}"
            misses.append(f"{item['type']}: {item['q']} → {got}")
    figures = {
        "import_s": import_s,
        "load_s": t1 - t0,
        "build_s": t2 - t1,
        "startup_s": t2 - t0,
        "gc_load_s": gc1 - gc0,
        "gc_build_s": gc2 - gc1,
        "rss_mb": rss_ready,
        "rss_repository_mb": rss_loaded - rss_before,
        "rss_index_mb": rss_ready - rss_loaded,
        "queries": len(mix),
        "samples": len(latencies),
        "p50_ms": _pct(latencies, 0.5),
        "p95_ms": _pct(latencies, 0.95),
        "p99_ms": _pct(latencies, 0.99),
        "max_ms": max(latencies) if latencies else 0.0,
        "cpu_p50_ms": _pct(cpu, 0.5),
        "cpu_p95_ms": _pct(cpu, 0.95),
        "p95_by_type_ms": {k: _pct(v, 0.95) for k, v in sorted(per_type.items())},
        "labelled": len(labelled),
        "precision_at_1": correct / len(labelled) if labelled else 0.0,
        "certain": certain,
        "certain_wrong": certain_wrong,
        "precision_by_type": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_type.items())},
        "misses": misses,
    }
    if baseline:
        figures.update(_measure_baseline(repo, labelled, extra))
    return figures


class FairBaseline:
    """Search as a competent engineer already using rapidfuzz would first write it: exact dicts
    for what has one right spelling (number key, name, phone, unit name or alias, document
    number), else ``process.extractOne`` (WRatio, rapidfuzz's default processor) over every
    title, contact name and unit name."""

    def __init__(self, repo) -> None:
        from bot.model import Contact, Department, Proposal, Reply
        from bot.numbers import number_key

        self.number_key = number_key
        self.exact: dict[str, tuple] = {}
        choices: dict[str, tuple] = {}
        for p in repo.all(Proposal):
            self.exact.setdefault(number_key(p.number or ""), ("proposal", p.id))
            choices.setdefault(p.title, ("proposal", p.id))
        for r in repo.all(Reply):
            if r.doc_number:
                self.exact.setdefault(r.doc_number, ("proposal", r.proposal_id))
        for c in repo.all(Contact):
            self.exact.setdefault(c.name, ("contact", c.id))
            for phone in c.phones:
                self.exact.setdefault(re.sub(r"\D", "", phone), ("contact", c.id))
            choices.setdefault(c.name, ("contact", c.id))
        units = {d.name: d for d in repo.all(Department)}
        for p in repo.all(Proposal):
            for name in (p.lead_unit, *p.co_units):
                if name and name not in units:
                    units[name] = Department(name=name)
        for name, d in units.items():
            for form in (name, *d.aliases):
                self.exact.setdefault(form, ("unit", name))
            choices.setdefault(name, ("unit", name))
        self.labels = list(choices.values())
        self.choices = list(choices)

    def search(self, q: str) -> tuple | None:
        from rapidfuzz import fuzz, process, utils

        q = q.strip()
        for key in (q, self.number_key(q), re.sub(r"\D", "", q) if re.fullmatch(r"[\d\s\-+()]+", q) else None):
            if key and key in self.exact:
                return self.exact[key]
        best = process.extractOne(q, self.choices, scorer=fuzz.WRatio, processor=utils.default_process)
        return self.labels[best[2]] if best else None


def _measure_baseline(repo, labelled: list[dict], extra: list[str]) -> dict:
    t = time.perf_counter()
    base = FairBaseline(repo)
    build_s = time.perf_counter() - t
    latencies: list[float] = []
    cpu: list[float] = []
    correct = 0
    for q, item in [(item["q"], item) for item in labelled] + [(q, None) for q in extra]:
        c = time.thread_time()
        t = time.perf_counter()
        top = base.search(q)
        latencies.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
        correct += item is not None and top == (item["kind"], item["label"])
    return {
        "baseline_cpu_p50_ms": _pct(cpu, 0.5),
        "baseline_cpu_p95_ms": _pct(cpu, 0.95),
        "baseline_build_s": build_s,
        "baseline_p50_ms": _pct(latencies, 0.5),
        "baseline_p95_ms": _pct(latencies, 0.95),
        "baseline_p99_ms": _pct(latencies, 0.99),
        "baseline_precision_at_1": correct / len(labelled) if labelled else 0.0,
    }


# -- driver ------------------------------------------------------------------------------------------


def _child(db: Path, queries_file: Path, code: Path | None, baseline: bool) -> dict:
    """One measuring process, on its own copy of the data file (opening it may rewrite it: a
    newer code's layout that older code cannot read)."""
    import shutil

    copy = db.with_name(f"run-{db.name}")
    shutil.copyfile(db, copy)
    args = [sys.executable, str(Path(__file__).resolve()), "--measure", str(copy), str(queries_file),
            str(code or ""), "baseline" if baseline else ""]
    child = subprocess.run(args, capture_output=True, text=True, cwd=str(ROOT),
                           env={**os.environ, "PYTHONHASHSEED": "0"})
    for leftover in copy.parent.glob(copy.name + "*"):  # the copy, its journal and lock file
        leftover.unlink()
    if child.returncode != 0:
        raise RuntimeError(f"measuring child failed:\n{child.stderr}")
    return json.loads(child.stdout.strip().splitlines()[-1])


def _before_code(ref: str, into: Path) -> Path:
    """The ``bot/`` package as it was at ``ref``, unpacked into ``into``."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", ref, "bot"],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive, check=True)
    return into


def run(n: int, out_dir: Path, runs: int = 3, before: str | None = "pre-issue13", seed: int = 1) -> dict:
    """Generate, measure ``runs`` times in child processes, print the figures, return them:
    the medians at the top level, every run under "runs" / "before_runs"."""
    import shutil
    import tempfile

    from bot.config import TEMPLATE, load_config
    from bot.storage import Repository
    from gen_data import generate, write_db

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    data = generate(n, seed)
    db = write_db(data, out_dir / f"synthetic-{n}.json")
    gen_s = time.perf_counter() - t
    labelled, extra = build_queries(data, seed)
    queries_file = out_dir / f"queries-{n}.json"
    aliases = load_config(TEMPLATE).aliases  # today's, for both codes
    queries_file.write_text(json.dumps({"labelled": labelled, "extra": extra, "aliases": aliases}, ensure_ascii=False),
                            encoding="utf-8")
    counts = (len(data.proposals), len(data.replies), len(data.contacts), len(data.departments))
    del data

    # gen_data writes the original TinyDB layout; today's repository moves a file in that layout
    # to its own (snapshot + journal) in a background thread right after opening it, which would
    # run beside the index build. A running bot's database is in today's layout already: so is
    # the copy today's code measures. The older code reads the original.
    current = out_dir / f"current-{n}.json"
    for stale in out_dir.glob(current.name + "*"):  # an earlier run's journal would be replayed
        stale.unlink()
    shutil.copyfile(db, current)
    Repository(current, backups=0).close()

    ours: list[dict] = []
    old: list[dict] = []
    loads: list[str] = []
    with tempfile.TemporaryDirectory(prefix="bench-search-before-") as tmp:
        code = _before_code(before, Path(tmp)) if before else None
        for _ in range(runs):
            loads.append(" ".join(f"{x:.2f}" for x in os.getloadavg()))
            ours.append(_child(current, queries_file, None, baseline=True))
            if code is not None:
                old.append(_child(db, queries_file, code, baseline=False))
    figures = {key: statistics.median(r[key] for r in ours) for key, value in ours[0].items()
               if isinstance(value, (int, float))}
    figures["speedup"] = figures["baseline_p50_ms"] / figures["p50_ms"] if figures["p50_ms"] else 0.0
    figures.update(runs=ours, before_runs=old, before=before, loads=loads, generate_s=gen_s,
                   data=dict(zip(("proposals", "replies", "contacts", "units"), counts)))
    report(n, figures)
    return figures


def report(n: int, f: dict) -> None:
    ours, old = f["runs"], f["before_runs"]

    def spread(runs: list[dict], key: str, fmt: str) -> str:
        values = sorted(r[key] for r in runs)
        if len(values) == 1:
            return format(values[0], fmt)
        return " / ".join(format(v, fmt) for v in (values[0], statistics.median(values), values[-1]))

    def ratio(runs: list[dict], key: str, other: list[dict], other_key: str) -> str:
        if not runs or not other:
            return ""
        mine = statistics.median(r[key] for r in runs)
        theirs = statistics.median(r[other_key] for r in other)
        return f"{theirs / mine:.1f}×" if mine else ""

    def goal(key: str) -> str:
        target = GOALS.get(key)
        if target is None:
            return ""
        return f"≤ {target:g}: {'met' if f[key] <= target else 'NOT met'}"

    d = f["data"]
    print(f"Search bench, {n} proposals ({d['proposals']} proposals, {d['replies']} replies, "
          f"{d['contacts']} contacts, {d['units']} units; data generated in {f['generate_s']:.1f} s), "
          f"{len(ours)} run(s), {os.cpu_count()} cores")
    print(f"load average (1/5/15 min) before each run: {' | '.join(f['loads'])}")
    print("min / median / max over the runs; ratios of the medians (how many times the other is slower)")
    before = f["before"] or "—"
    head = ("", "now", before, f"{before} / now", "fair baseline", "baseline / now", "goal")
    rows = [
        ("start-up: load + build (s)", spread(ours, "startup_s", ".2f"), spread(old, "startup_s", ".2f") if old else "",
         ratio(ours, "startup_s", old, "startup_s"), "", "", goal("startup_s")),
        ("  index build + first query (s)", spread(ours, "build_s", ".2f"), spread(old, "build_s", ".2f") if old else "",
         ratio(ours, "build_s", old, "build_s"), spread(ours, "baseline_build_s", ".2f"),
         ratio(ours, "build_s", ours, "baseline_build_s"), ""),
        ("RSS after start-up (MB)", spread(ours, "rss_mb", ".0f"), spread(old, "rss_mb", ".0f") if old else "",
         ratio(ours, "rss_mb", old, "rss_mb"), "", "", goal("rss_mb")),
        ("  of which the index (MB)", spread(ours, "rss_index_mb", ".0f"), spread(old, "rss_index_mb", ".0f") if old else "",
         "", "", "", ""),
        ("latency p50 (ms)", spread(ours, "p50_ms", ".2f"), spread(old, "p50_ms", ".2f") if old else "",
         ratio(ours, "p50_ms", old, "p50_ms"), spread(ours, "baseline_p50_ms", ".1f"),
         ratio(ours, "p50_ms", ours, "baseline_p50_ms"), ""),
        ("latency p95 (ms)", spread(ours, "p95_ms", ".2f"), spread(old, "p95_ms", ".2f") if old else "",
         ratio(ours, "p95_ms", old, "p95_ms"), spread(ours, "baseline_p95_ms", ".1f"),
         ratio(ours, "p95_ms", ours, "baseline_p95_ms"), goal("p95_ms")),
        ("CPU time p50 (ms)", spread(ours, "cpu_p50_ms", ".2f"), spread(old, "cpu_p50_ms", ".2f") if old else "",
         ratio(ours, "cpu_p50_ms", old, "cpu_p50_ms"), spread(ours, "baseline_cpu_p50_ms", ".1f"),
         ratio(ours, "cpu_p50_ms", ours, "baseline_cpu_p50_ms"), ""),
        ("CPU time p95 (ms)", spread(ours, "cpu_p95_ms", ".2f"), spread(old, "cpu_p95_ms", ".2f") if old else "",
         ratio(ours, "cpu_p95_ms", old, "cpu_p95_ms"), spread(ours, "baseline_cpu_p95_ms", ".1f"),
         ratio(ours, "cpu_p95_ms", ours, "baseline_cpu_p95_ms"), goal("cpu_p95_ms")),
        ("latency p99 (ms)", spread(ours, "p99_ms", ".2f"), spread(old, "p99_ms", ".2f") if old else "",
         ratio(ours, "p99_ms", old, "p99_ms"), spread(ours, "baseline_p99_ms", ".1f"),
         ratio(ours, "p99_ms", ours, "baseline_p99_ms"), ""),
        (f"precision@1 ({f['labelled']:.0f} labelled)", f"{f['precision_at_1']:.3f}",
         f"{statistics.median(r['precision_at_1'] for r in old):.3f}" if old else "", "",
         f"{f['baseline_precision_at_1']:.3f}", "", ""),
        ("certain but wrong", f"{f['certain_wrong']:.0f}",
         f"{statistics.median(r['certain_wrong'] for r in old):.0f}" if old else "", "", "", "", ""),
    ]
    widths = [max(len(str(row[i])) for row in [head, *rows]) for i in range(len(head))]
    for row in [head, *rows]:
        print("  " + "  ".join(f"{cell:<{w}}" if i == 0 else f"{cell:>{w}}" for i, (cell, w) in enumerate(zip(row, widths))))
    last = ours[-1]
    print(f"  ({last['samples']} timed searches a run: {last['queries']} queries × 3 passes; "
          f"GC in load / build {last['gc_load_s']:.2f} / {last['gc_build_s']:.2f} s)")
    print("  p95 by query type (ms, last run): " + ", ".join(f"{k} {v:.2f}" for k, v in last["p95_by_type_ms"].items()))
    print("  precision@1 by type: " + ", ".join(f"{k} {v}" for k, v in last["precision_by_type"].items()))
    if last["misses"]:
        print("  misses (first few):")
        for miss in last["misses"]:
            print(f"    {miss}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:
        db, queries, code, baseline = argv[1:5]
        print(json.dumps(measure(Path(db), Path(queries), Path(code) if code else None, baseline == "baseline"),
                         ensure_ascii=False))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of proposals")
    parser.add_argument("--runs", type=int, default=3, help="fresh measuring processes per code (default 3)")
    parser.add_argument("--before", default="pre-issue13",
                        help="git ref whose bot/ is measured alongside (default pre-issue13; '' for none)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.n, args.out, args.runs, args.before or None, args.seed)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
