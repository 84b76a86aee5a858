"""Smoke test of bench/bench_sweep.py at a tiny size, against this code only (no old checkout):
it runs and prints its figures in the bench format (bench/timing.py). No timing is asserted (the
figures are for people, see bench/README.md)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_sweep_smoke():
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "bench_sweep.py"), "400", "--against", ""],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    out = done.stdout
    for figure in ("load average", "plan_sweep, cold, empty ledger:", "plan_sweep, cold, yesterday's ledger:",
                   "plan_sweep, warm, empty ledger:", "plan_sweep, warm, yesterday's ledger:", "(CPU ",
                   "same pings as cold: checked", "ledger cost per delivered ping", "target ≤ 0.8 s"):
        assert figure in out, figure
