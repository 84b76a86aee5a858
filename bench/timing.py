"""How every bench in bench/ measures and prints (bench/README.md, "How the benches measure").

- A figure is three runs (``measure``): min / median / max of the wall-clock time, and of the CPU
  time of this process beside it. The 2 cores are shared by other jobs: the wall clock then
  includes waiting for a core, the CPU time does not, so quote both.
- The machine's load average is printed with the figures (``load_average``), before and after.
- Speed-ups are against the code before an issue, measured in the same run: ``old_checkout(tag)``
  makes a temporary git worktree of the tag, and ``run_old`` runs a bench script there (the new
  script, the old ``bot/``: ``BENCH_CODE`` names the checkout, ``use_code`` puts it first on
  ``sys.path``). The script prints one JSON line in that mode; ``Runs.from_json`` reads it back.

Use from a script in bench/ (``python bench/x.py`` puts bench/ on ``sys.path``)::

    import timing
    timing.use_code()          # before the first ``import bot...``
    runs = timing.measure(lambda: work())
    print(runs.text(), timing.load_average())
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
CODE_ENV = "BENCH_CODE"  # the checkout whose bot/ a bench measures (default: this one)


def code_root() -> Path:
    return Path(os.environ.get(CODE_ENV) or ROOT)


def use_code() -> Path:
    """Put the measured checkout first on ``sys.path`` (this one, or ``$BENCH_CODE``)."""
    root = str(code_root())
    if root in sys.path:
        sys.path.remove(root)
    sys.path.insert(0, root)
    return Path(root)


@dataclass
class Runs:
    """Wall-clock and CPU seconds of each run, and what the last run returned."""

    wall: list[float]
    cpu: list[float]
    result: Any = None

    @property
    def median(self) -> float:
        return statistics.median(self.wall)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu)

    def text(self, digits: int = 3) -> str:
        """「0.412 / 0.430 / 0.511 s (CPU 0.401 / 0.410 / 0.440 s)」: min / median / max."""
        return f"{spread(self.wall, digits)} s (CPU {spread(self.cpu, digits)} s)"

    def to_json(self) -> dict:
        return {"wall": self.wall, "cpu": self.cpu}

    @classmethod
    def from_json(cls, data: dict) -> "Runs":
        return cls(list(data["wall"]), list(data["cpu"]))


def measure(fn: Callable[..., Any], runs: int = 3, prepare: Callable[[], Any] | None = None) -> Runs:
    """``fn()`` ``runs`` times, each after a full garbage collection; with ``prepare``, each run
    is ``fn(prepare())`` and only ``fn`` is timed (the state a run starts from, made afresh)."""
    wall, cpu, result = [], [], None
    for _ in range(runs):
        result = None  # the previous run's result is not kept alive into the next
        state = prepare() if prepare is not None else None
        gc.collect()
        w0, c0 = time.perf_counter(), time.process_time()
        result = fn(state) if prepare is not None else fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return Runs(wall, cpu, result)


def spread(values: list[float], digits: int = 3) -> str:
    ordered = sorted(values)
    return " / ".join(f"{v:.{digits}f}" for v in (ordered[0], statistics.median(ordered), ordered[-1]))


def ratio(old: Runs, new: Runs) -> str:
    """「2.4× (CPU 2.3×)」: old median over new median."""
    return f"{old.median / new.median:.1f}× (CPU {old.cpu_median / new.cpu_median:.1f}×)"


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} / {five:.2f} / {fifteen:.2f} (1 / 5 / 15 min, {os.cpu_count()} cores)"


@contextlib.contextmanager
def old_checkout(tag: str) -> Iterator[Path]:
    """A temporary worktree of ``tag`` (removed afterwards)."""
    folder = Path(tempfile.mkdtemp(prefix=f"bench-{tag}-"))
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "--quiet", str(folder), tag],
                   check=True)
    try:
        yield folder
    finally:
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(folder)], check=False)


def run_old(checkout: Path, script: Path, args: list[str]) -> dict:
    """Run ``script`` (from this checkout) against ``checkout``'s code; its last output line is
    the JSON it prints in that mode."""
    env = dict(os.environ, **{CODE_ENV: str(checkout)})
    done = subprocess.run([sys.executable, str(script), *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} on {checkout} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])
