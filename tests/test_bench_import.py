"""Smoke test of bench/bench_import.py at a tiny size: it runs, prints its figures, and the
imported counts are right. No timing is asserted (the figures are for people, see bench/README.md)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _load(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_bench_import_smoke(tmp_path, capsys):
    bench = _load("bench_import")
    assert bench.main(["--letters", "30", "--rows", "200", "--formats", "4", "--baseline-rows", "20",
                       "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    for figure in ("letters/s", "rows/s", "of .txt", "× faster", "field accuracy", "database file:", "goals:"):
        assert figure in out, figure
    assert "counts right" in out


def test_bench_import_counts(tmp_path, capsys):
    bench = _load("bench_import")
    f = bench.run(letters=30, rows=200, formats=4, baseline_rows=20, seed=3, out=tmp_path)
    capsys.readouterr()

    letters = f["letters_import"]
    assert letters["files"] == 30
    created = letters["proposals"]["created"]
    assert created + letters["failed"] == 30  # every letter is a new proposal, or a reported failure
    # a letter issued by a co-unit of its item is that unit's opinion (issue 8), every other one a reply
    assert letters["opinions"] == letters["expected_opinions"] > 0
    assert letters["replies"]["created"] + letters["opinions"] == created == letters["stored_proposals"]
    assert letters["replies"]["created"] == letters["stored_replies"]

    rows = f["list"]
    assert rows["error"] is None
    assert rows["expected_skipped"] == 1  # one bad row in 500, the first at row 17
    assert (rows["created"], rows["skipped"]) == (rows["expected_created"], rows["expected_skipped"]) == (199, 1)
    assert rows["stored_proposals"] == 199
    assert rows["contacts_created"] == rows["expected_contacts"] == rows["stored_contacts"]
    assert rows["reimport_unchanged"] == 199 and not rows["reimport_changed"] and rows["reimport_file_untouched"]
    assert f["baseline"]["rows"] == 20 and f["baseline"]["same_result"]
    assert set(f["formats"]) == {"txt", "docx", "pdf"} and all(x["n"] == 4 for x in f["formats"].values())


def test_bench_apply_smoke(capsys):
    """bench/bench_apply.py: a small list through the real application; it prints both stalls."""
    bench = _load("bench_apply")
    assert bench.main(["--rows", "60", "--runs", "1"]) == 0
    out = capsys.readouterr().out
    assert "60-row list" in out and "proposals stored" in out, out
    assert "longest event-loop stall, upload to summary" in out and "导入并提醒 to report (the apply)" in out
