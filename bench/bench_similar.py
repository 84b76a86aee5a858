"""The similarity pass of an import: a list of new items against every earlier item.

    .venv/bin/python bench/bench_similar.py 100000 [--rows 500] [--rounds 3]

Builds the synthetic data set (gen_data.py) and a new session's list of ROWS items whose titles
are drawn like the data set's (so many have close matches), then times
``SimilarFinder.similar_many`` (one rapidfuzz ``cdist`` over the title cores of the same body's
earlier sessions) against a baseline a competent engineer would write first: ``process.extract``
per row over the same candidates. Prints min / median / max of the rounds and the load.
Target: ≤ 2 s for 500 rows at 100,000 items.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_data import AREAS, SCOPES, SUBJECTS, SUFFIXES, VERBS, generate, write_db  # noqa: E402
from rapidfuzz import fuzz, process  # noqa: E402

from bot.model import Proposal  # noqa: E402
from bot.similar import SIMILAR_MIN, SimilarFinder, title_core  # noqa: E402
from bot.storage import Repository  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--rows", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    rng = random.Random(7)
    folder = Path(tempfile.mkdtemp(prefix="bench-similar-"))
    repo = Repository(write_db(generate(args.n), folder / "proposals.json"))
    rows = [Proposal(body="政协", region="晋城市", term=9, meeting=1, number=str(i + 1),
                     title="关于" + rng.choice(VERBS) + rng.choice(SCOPES) + rng.choice(AREAS)
                     + rng.choice(SUBJECTS) + rng.choice(SUFFIXES), assigned_date="2027-03-01", id=10**9 + i)
            for i in range(args.rows)]
    finder = SimilarFinder(repo)
    t = time.perf_counter()
    finder.similar_many(rows[:1])
    build = time.perf_counter() - t
    ours, found = [], 0
    for _ in range(args.rounds):
        t = time.perf_counter()
        result = finder.similar_many(rows)
        ours.append(time.perf_counter() - t)
        found = len(result)
    # Baseline: one process.extract per row over the same earlier items' cores.
    table = finder._built()["政协"]
    pool = table.earlier_than(rows[0])
    choices = [table.cores[i] for i in pool]
    sample = rows[: max(20, args.rows // 10)]
    t = time.perf_counter()
    for p in sample:
        process.extract(title_core(p.title), choices, scorer=fuzz.ratio, score_cutoff=SIMILAR_MIN, limit=3)
    baseline = (time.perf_counter() - t) * len(rows) / len(sample)
    load = os.getloadavg()
    med = statistics.median(ours)
    print(f"N = {args.n:,} items ({len(choices):,} earlier 政协 items compared), {args.rows} new rows, "
          f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print(f"first build of the title arrays: {build:.2f} s")
    print(f"similar_many: {min(ours):.2f} / {med:.2f} / {max(ours):.2f} s (min / median / max of {args.rounds}); "
          f"{found} of {args.rows} rows have a close match (ratio ≥ {SIMILAR_MIN})")
    print(f"baseline (process.extract per row, extrapolated from {len(sample)} rows): {baseline:.2f} s "
          f"= {baseline / med:.1f}× slower")
    repo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
