"""Field accuracy of the reply-letter parser on real published letters.

    .venv/bin/python bench/letter_accuracy.py [--misses] [--json]

The letters in tests/fixtures/letters/ were copied verbatim from government websites (page chrome
included: breadcrumbs, 索引号 tables, 发布日期, footers); labels.json holds, for each, the source
address, the province and a hand-checked value for every field of the parser's JSON. Each file is
read as an upload is (``parse_letter_bytes``) and compared field by field. Figures are printed,
never asserted here (tests/test_real_letters.py asserts the labels one by one).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.parsing import LETTER_KEYS, parse_letter_bytes  # noqa: E402

LETTERS = ROOT / "tests" / "fixtures" / "letters"
FIELDS = [key for key in LETTER_KEYS if key != "warnings"]


def load_labels() -> dict[str, dict]:
    return json.loads((LETTERS / "labels.json").read_text(encoding="utf-8"))


def measure(which: str | None = None) -> dict:
    """Per field: how many letters got it right, and the misses (file, expected, got). ``which``:
    "tuned" (the letters the parser was improved on), "held-out" (labelled before the parser
    ever saw them, and not tuned on), or None for all."""
    labels = {k: v for k, v in load_labels().items() if which is None or v.get("set") == which}
    right = {key: 0 for key in FIELDS}
    misses: list[tuple[str, str, object, object]] = []
    for name, label in labels.items():
        result = parse_letter_bytes((LETTERS / name).read_bytes(), name)
        for key in FIELDS:
            if result.get(key) == label["expected"][key]:
                right[key] += 1
            else:
                misses.append((name, key, label["expected"][key], result.get(key)))
    provinces = sorted({label["province"] for label in labels.values()})
    bodies = {body: sum(1 for x in labels.values() if x["expected"]["body"] == body) for body in ("政协", "人大")}
    return {"letters": len(labels), "provinces": provinces, "bodies": bodies, "right": right,
            "overall": sum(right.values()) / (len(labels) * len(FIELDS)),
            "perfect": len(labels) - len({name for name, *_ in misses}), "misses": misses}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--misses", action="store_true", help="list every wrong field")
    parser.add_argument("--json", action="store_true", help="the figures as JSON")
    parser.add_argument("--set", choices=("tuned", "held-out"), help="only these letters")
    args = parser.parse_args(argv)
    figures = measure(args.set)
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=1))
        return 0
    n = figures["letters"]
    print(f"{n} real letters{' (' + args.set + ')' if args.set else ''}, {len(figures['provinces'])} provinces ({'、'.join(figures['provinces'])}), "
          f"政协 {figures['bodies']['政协']} / 人大 {figures['bodies']['人大']}")
    print(f"fields right: {figures['overall']:.1%} ({figures['perfect']}/{n} letters perfect)")
    for key in FIELDS:
        print(f"  {key:16} {figures['right'][key]:3}/{n}  {figures['right'][key] / n:6.1%}")
    if args.misses:
        for name, key, want, got in figures["misses"]:
            print(f"  ✗ {name} {key}: want {want!r}, got {got!r}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
