"""Search bench: start-up, memory, latency against a naive baseline, and precision@1.

    .venv/bin/python bench/bench_search.py 100000 [--baseline-sample 20] [--seed 1] [--out DIR]

1. bench/gen_data.py writes a synthetic TinyDB file of N proposals (N/10 contacts, up to 2,000
   units); from the same data this script builds a fixed query mix and a labelled set whose right
   answer is known by construction.
2. A fresh child process (so the figures are the application's, not the generator's) measures
   start-up (Repository load + SearchIndex build), RSS, the latency of every query of the mix,
   precision@1 on the labelled set, and the naive baseline (TinyDB ``Query.search`` + difflib) on
   a sample of the queries, which it says.

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

GOALS = {"p95_ms": 5.0, "speedup": 20.0, "startup_s": 3.0, "rss_mb": 400.0}
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


def measure(db: Path, queries_file: Path, baseline_sample: int, seed: int) -> dict:
    gc_timer = _GCTimer()
    t_import = time.perf_counter()
    from bot.config import TEMPLATE, load_config
    from bot.search import SearchIndex
    from bot.storage import Repository
    import_s = time.perf_counter() - t_import

    rss_before, _ = _rss_mb()
    gc0 = gc_timer.total
    t0 = time.perf_counter()
    repo = Repository(db, backups=0)
    t1 = time.perf_counter()
    gc1 = gc_timer.total
    rss_loaded, _ = _rss_mb()
    index = SearchIndex.build(repo, load_config(TEMPLATE).aliases)
    index.search("发改委")  # derives the unit forms: part of being ready
    t2 = time.perf_counter()
    gc2 = gc_timer.total
    rss_ready, peak_ready = _rss_mb()

    spec = json.loads(queries_file.read_text(encoding="utf-8"))
    labelled, extra = spec["labelled"], spec["extra"]
    mix = [item["q"] for item in labelled] + extra

    # Latency: one warm-up pass, then three timed passes over the whole mix.
    for q in mix:
        index.search(q)
    latencies: list[float] = []
    per_type: dict[str, list[float]] = {}
    types = [item["type"] for item in labelled] + ["ambiguous"] * len(extra)
    for _ in range(3):
        for q, qtype in zip(mix, types):
            t = time.perf_counter()
            index.search(q)
            ms = (time.perf_counter() - t) * 1000
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

    # Naive baseline on a sample: TinyDB Query.search plus difflib, as a first version would do it.
    rng = random.Random(seed)
    sample = rng.sample(range(len(labelled)), min(baseline_sample, len(labelled)))
    base_ms: list[float] = []
    ours_ms: list[float] = []
    base_correct = 0
    db_tiny = _baseline_db(db)
    for i in sample:
        item = labelled[i]
        t = time.perf_counter()
        top = _baseline_search(db_tiny, item["q"])
        base_ms.append((time.perf_counter() - t) * 1000)
        base_correct += top == (item["kind"], item["label"])
        t = time.perf_counter()
        index.search(item["q"])
        ours_ms.append((time.perf_counter() - t) * 1000)
    _, peak_end = _rss_mb()

    return {
        "import_s": import_s,
        "load_s": t1 - t0,
        "build_s": t2 - t1,
        "startup_s": t2 - t0,
        "gc_load_s": gc1 - gc0,
        "gc_build_s": gc2 - gc1,
        "rss_mb": rss_ready,
        "rss_repository_mb": rss_loaded - rss_before,
        "rss_index_mb": rss_ready - rss_loaded,
        "rss_peak_mb": peak_end,
        "queries": len(mix),
        "samples": len(latencies),
        "p50_ms": _pct(latencies, 0.5),
        "p95_ms": _pct(latencies, 0.95),
        "p99_ms": _pct(latencies, 0.99),
        "max_ms": max(latencies) if latencies else 0.0,
        "p95_by_type_ms": {k: _pct(v, 0.95) for k, v in sorted(per_type.items())},
        "baseline_sample": len(sample),
        "baseline_p50_ms": _pct(base_ms, 0.5),
        "baseline_mean_ms": statistics.fmean(base_ms) if base_ms else 0.0,
        "ours_on_sample_p50_ms": _pct(ours_ms, 0.5),
        "speedup": (statistics.fmean(base_ms) / statistics.fmean(ours_ms)) if ours_ms and base_ms else 0.0,
        "speedup_p50": (_pct(base_ms, 0.5) / _pct(ours_ms, 0.5)) if ours_ms and base_ms else 0.0,
        "baseline_precision_at_1": base_correct / len(sample) if sample else 0.0,
        "labelled": len(labelled),
        "precision_at_1": correct / len(labelled) if labelled else 0.0,
        "certain": certain,
        "certain_wrong": certain_wrong,
        "precision_by_type": {k: f"{v[0]}/{v[1]}" for k, v in sorted(by_type.items())},
        "misses": misses,
        "stats": index.stats(),
    }


def _baseline_db(db: Path):
    from tinydb import TinyDB
    from tinydb.storages import JSONStorage

    return TinyDB(db, storage=JSONStorage, access_mode="r", encoding="utf-8")


def _baseline_search(db, q: str):
    """Scan with TinyDB queries for exact and substring matches; if none, difflib over every
    name, title and unit. Returns (kind, label) of the first answer."""
    import difflib

    from tinydb import Query

    Q = Query()
    needle = re.escape(q)
    proposals, contacts, units = db.table("proposals"), db.table("contacts"), db.table("departments")
    found = proposals.search((Q.number == q) | Q.title.search(needle) | Q.proposer.search(needle))
    if found:
        return ("proposal", found[0].doc_id)
    found = contacts.search((Q.name == q) | Q.phones.test(lambda phones: any(q in p for p in phones)))
    if found:
        return ("contact", found[0].doc_id)
    found = units.search(Q.name.search(needle) | Q.aliases.any([q]))
    if found:
        return ("unit", found[0]["name"])
    choices: dict[str, tuple] = {}
    for doc in proposals.all():
        choices.setdefault(doc["title"], ("proposal", doc.doc_id))
    for doc in contacts.all():
        choices.setdefault(doc["name"], ("contact", doc.doc_id))
    for doc in units.all():
        choices.setdefault(doc["name"], ("unit", doc["name"]))
    close = difflib.get_close_matches(q, list(choices), n=1, cutoff=0.6)
    return choices[close[0]] if close else None


# -- driver ------------------------------------------------------------------------------------------


def run(n: int, out_dir: Path, baseline_sample: int = 20, seed: int = 1) -> dict:
    """Generate, measure in a child process, print the figures, return them."""
    from gen_data import generate, write_db

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    data = generate(n, seed)
    db = write_db(data, out_dir / f"synthetic-{n}.json")
    gen_s = time.perf_counter() - t
    labelled, extra = build_queries(data, seed)
    queries_file = out_dir / f"queries-{n}.json"
    queries_file.write_text(json.dumps({"labelled": labelled, "extra": extra}, ensure_ascii=False), encoding="utf-8")
    counts = (len(data.proposals), len(data.replies), len(data.contacts), len(data.departments))
    del data

    child = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--measure", str(db), str(queries_file),
         str(baseline_sample), str(seed)],
        capture_output=True, text=True, cwd=str(ROOT), env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    if child.returncode != 0:
        raise RuntimeError(f"measuring child failed:\n{child.stderr}")
    figures = json.loads(child.stdout.strip().splitlines()[-1])
    figures["generate_s"] = gen_s
    figures["data"] = dict(zip(("proposals", "replies", "contacts", "units"), counts))
    report(n, figures)
    return figures


def report(n: int, f: dict) -> None:
    def goal(key: str, value: float, better: str) -> str:
        target = GOALS.get(key)
        if target is None:
            return ""
        ok = value <= target if better == "low" else value >= target
        return f"goal {'≤' if better == 'low' else '≥'} {target:g}: {'met' if ok else 'NOT met'}"

    d = f["data"]
    print(f"Search bench, {n} proposals ({d['proposals']} proposals, {d['replies']} replies, "
          f"{d['contacts']} contacts, {d['units']} units; data generated in {f['generate_s']:.1f} s)")
    rows = [
        ("repository load", f"{f['load_s']:.2f} s", ""),
        ("index build (+ first query)", f"{f['build_s']:.2f} s", ""),
        ("  of which the cyclic GC (load / build)", f"{f['gc_load_s']:.2f} / {f['gc_build_s']:.2f} s", ""),
        ("start-up (load + build)", f"{f['startup_s']:.2f} s", goal("startup_s", f["startup_s"], "low")),
        ("imports", f"{f['import_s']:.2f} s", ""),
        ("RSS after start-up", f"{f['rss_mb']:.0f} MB", goal("rss_mb", f["rss_mb"], "low")),
        ("  growth: repository load", f"{f['rss_repository_mb']:.0f} MB", ""),
        ("  growth: index build", f"{f['rss_index_mb']:.0f} MB", ""),
        ("RSS peak (incl. baseline)", f"{f['rss_peak_mb']:.0f} MB", ""),
        (f"latency p50 ({f['samples']} runs, {f['queries']} queries)", f"{f['p50_ms']:.2f} ms", ""),
        ("latency p95", f"{f['p95_ms']:.2f} ms", goal("p95_ms", f["p95_ms"], "low")),
        ("latency p99 / max", f"{f['p99_ms']:.2f} / {f['max_ms']:.2f} ms", ""),
        (f"baseline p50 (TinyDB + difflib, sample of {f['baseline_sample']})", f"{f['baseline_p50_ms']:.1f} ms", ""),
        ("speed-up (mean baseline / mean ours, same sample)", f"{f['speedup']:.0f}×", goal("speedup", f["speedup"], "high")),
        ("speed-up at p50", f"{f['speedup_p50']:.0f}×", ""),
        (f"precision@1 ({f['labelled']} labelled queries)", f"{f['precision_at_1']:.3f}", ""),
        ("  certain answers / certain but wrong", f"{f['certain']} / {f['certain_wrong']}", ""),
        ("baseline precision@1 (on its sample)", f"{f['baseline_precision_at_1']:.3f}", ""),
    ]
    width = max(len(r[0]) for r in rows)
    for label, value, note in rows:
        print(f"  {label:<{width}}  {value:>12}  {note}")
    print("  p95 by query type (ms): " + ", ".join(f"{k} {v:.2f}" for k, v in f["p95_by_type_ms"].items()))
    print("  precision@1 by type: " + ", ".join(f"{k} {v}" for k, v in f["precision_by_type"].items()))
    if f["misses"]:
        print("  misses (first few):")
        for miss in f["misses"]:
            print(f"    {miss}")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--measure"]:
        db, queries, sample, seed = argv[1:5]
        print(json.dumps(measure(Path(db), Path(queries), int(sample), int(seed)), ensure_ascii=False))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int, help="number of proposals")
    parser.add_argument("--baseline-sample", type=int, default=20, help="queries timed on the baseline")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=HERE / "out")
    parser.add_argument("--json", action="store_true", help="also print the figures as JSON")
    args = parser.parse_args(argv)
    figures = run(args.n, args.out, args.baseline_sample, args.seed)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
