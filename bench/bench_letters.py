"""Letter parse speed: .txt and .docx reply letters per second, against the code before issue 13.

    .venv/bin/python bench/bench_letters.py [--letters 1000] [--docx 300] [--runs 3] [--baseline REF ...] [--seed 1]

The letters are ``bench_import.py``'s (varied templates, about 2,000 characters each, a third of
the .txt in GB18030, 8 % Traditional; the .docx with label lines in a table half the time), written
to a temp folder once. Each run parses every file with ``parse_letter_bytes`` (reading included:
decoding, the .docx package) in a fresh process, once with this checkout's ``bot/`` and once with
each baseline's (``--baseline``, repeatable, default the tag ``pre-issue13``: a temporary
worktree, ``timing.old_checkout``), in turn, so all meet the same load. A few files are parsed
first, untimed (imports, regex compilation). Conventions: ``bench/timing.py``.

Printed: letters/s as min / median / max of the runs, wall clock and CPU time of the parsing
process (on 2 shared cores the wall clock includes waiting for a core, CPU time does not), the
load average before and after, the ratio of the medians, and how many letters' fields differ
from each baseline's (a refactor must show 0). Goals (issue 13, 2-core machine): .txt ≥ 400 letters/s, .docx ≥ 200.
Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import random
import sys
import tempfile
import time
from pathlib import Path

import timing

HERE = Path(__file__).resolve().parent
WARM_UP = 10


def write_letters(folder: Path, n_txt: int, n_docx: int, seed: int) -> None:
    import bench_import  # in this process only: a worker imports bot/ from the code it measures

    letters = bench_import.make_letters(max(n_txt, n_docx), seed)
    (folder / "txt").mkdir()
    (folder / "docx").mkdir()
    for i, letter in enumerate(letters[:n_txt]):
        (folder / "txt" / f"reply-{i:05d}.txt").write_bytes(letter.data())
    rng = random.Random(seed + 99)
    for i, letter in enumerate(letters[:n_docx]):
        (folder / "docx" / f"reply-{i:05d}.docx").write_bytes(bench_import.docx_bytes(letter, rng))


def worker(folder: Path) -> dict:
    """Parse every file with the parser of ``timing.code_root()``: seconds (wall, CPU) per format
    and a digest of each letter's fields."""
    code = timing.use_code()
    import bot.parsing
    from bot.parsing import LETTER_KEYS, parse_letter_bytes

    assert Path(bot.parsing.__file__).resolve().is_relative_to(code.resolve()), bot.parsing.__file__
    out: dict = {}
    digests: list[str] = []
    for kind in ("txt", "docx"):
        files = [(p.name, p.read_bytes()) for p in sorted((folder / kind).iterdir())]
        for name, data in files[:WARM_UP]:
            parse_letter_bytes(data, name)
        wall, cpu = time.perf_counter(), time.process_time()
        results = [parse_letter_bytes(data, name) for name, data in files]
        out[kind] = {"n": len(files), "wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}
        digests += [hashlib.sha256(json.dumps([result.get(k) for k in LETTER_KEYS], ensure_ascii=False).encode())
                    .hexdigest()[:16] for result in results]
    out["digests"] = digests
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=1000, help=".txt letters")
    parser.add_argument("--docx", type=int, default=300, help=".docx letters")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline", action="append",
                        help="git ref of code to compare with (repeatable; default pre-issue13)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--worker", type=Path, metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker)))
        return 0

    timing.use_code()
    from bench_import import GOALS

    baselines = args.baseline or ["pre-issue13"]
    goals = {"txt": GOALS["letters_per_s"], "docx": GOALS["docx_letters_per_s"]}
    with tempfile.TemporaryDirectory(prefix="bench-letters-") as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        write_letters(folder, args.letters, args.docx, args.seed)
        codes = {"now": timing.ROOT, **{ref: stack.enter_context(timing.old_checkout(ref)) for ref in baselines}}
        load_before = timing.load_average()
        runs: dict[str, list[dict]] = {name: [] for name in codes}
        for _ in range(args.runs):
            for name, code in codes.items():
                runs[name].append(timing.run_old(code, Path(__file__), ["--worker", str(folder)]))
        load_after = timing.load_average()

    print(f"{args.letters} .txt and {args.docx} .docx letters, {args.runs} runs each")
    print(f"before: {load_before}\nafter:  {load_after}")
    print("letters/s, min / median / max (wall clock; CPU time of the parsing process)")
    for kind in ("txt", "docx"):
        rates = {name: timing.Runs([r[kind]["n"] / r[kind]["wall"] for r in rs],
                                   [r[kind]["n"] / r[kind]["cpu"] for r in rs]) for name, rs in runs.items()}
        now = rates["now"]  # rates, not times: timing.ratio(now, base) is then now's median over base's
        for name, rate in rates.items():
            versus = "" if name == "now" else f"  now is {timing.ratio(now, rate)}"
            print(f"  .{kind:<4} {name:<12} {timing.spread(rate.wall, 0)}  (CPU {timing.spread(rate.cpu, 0)}){versus}")
        met = "met" if now.median >= goals[kind] else "NOT met"
        print(f"  .{kind:<4} goal ≥ {goals[kind]:.0f}/s (wall clock, median): {met}")
    for ref in baselines:
        now_fields, ref_fields = runs["now"][0]["digests"], runs[ref][0]["digests"]
        differ = sum(a != b for a, b in zip(now_fields, ref_fields))
        print(f"letters whose fields differ from {ref}'s: {differ} of {len(now_fields)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
