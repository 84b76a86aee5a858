"""What answering questions in plain words adds to a message's cost.

    .venv/bin/python bench/bench_questions.py 100000 [--rounds 3] [--per-intent 40]

Builds the synthetic data set (gen_data.py), then for questions of every intent made from its
records (王某电话多少, 发改委还有几件没办完, 125号办得怎么样了, 哪些单位逾期了, 本周到期的有哪些,
八届三次办复率, and plain search words) times, per question:

- parse: placing the question and stripping its words (what every plain message now pays);
- answer: the whole answer (look-ups, lists, figures);
- search: what the same message cost before questions were understood: ``index.search(text)``;
- added = answer − search;
- answer after a change: the same answer right after an item was written. Lists and figures
  are kept by ``OfficeView.kept`` until an item of their unit / session changes (the whole
  lists and everything's figures: until any item changes), and computed afresh from that
  unit's or session's group; the written item is always the same one, so this column is the
  cost for its unit and session (and the whole lists) and a look-up for the others.

Prints p50 / p95 per intent for each, min / median / max over the rounds, and the load.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from gen_data import generate, write_db  # noqa: E402

from bot.config import load_config  # noqa: E402
from bot.model import _cn  # noqa: E402
from bot.questions import answer_question, parse_question  # noqa: E402
from bot.search import SearchIndex  # noqa: E402
from bot.services import Services  # noqa: E402
from bot.storage import Repository  # noqa: E402

TODAY = date(2026, 11, 23)


def questions(data, per_intent: int, seed: int = 1) -> dict[str, list[str]]:
    rng = random.Random(seed)
    people = rng.sample(data.contacts, per_intent)
    units = rng.sample(data.units, per_intent)
    props = rng.sample(data.proposals, per_intent)
    sessions = rng.sample(data.sessions, per_intent)
    return {
        "contact": [rng.choice(["{}电话多少", "{}的联系方式", "请问{}的手机是多少"]).format(c["name"]) for c in people[: per_intent // 2]]
        + [rng.choice(["{}的联系人是谁", "找一下{}联系人", "谁负责{}的提案"]).format(u.abbr) for u in units[: per_intent // 2]],
        "status": [rng.choice(["{}号办得怎么样了", "第{}号提案进展", "{}号答复了吗"]).format(p["number"]) for p in props],
        "unit_open": [rng.choice(["{}还有几件没办完", "{}在办的提案有哪些", "{}还有多少件未答复"]).format(u.name) for u in units],
        "overdue": rng.choices(["哪些单位逾期了", "逾期清单", "有哪些逾期的提案"], k=per_intent // 2)
        + [f"{u.name}逾期了几件" for u in units[: per_intent // 2]],
        "due_soon": rng.choices(["本周到期的有哪些", "7天内到期的", "下周到期的提案", "本月到期的"], k=per_intent),
        "stats": [f"{_cn(term)}届{_cn(meeting)}次{body}办复率" for _, body, term, meeting in sessions],
        "search": [p["title"][2:10] for p in props],
    }


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("n", type=int)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--per-intent", type=int, default=40)
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="bench-questions-"))
    data = generate(args.n)
    asked = questions(data, args.per_intent)
    db = write_db(data, folder / "proposals.json")
    del data
    (folder / "config.toml").write_text('[storage]\ndatabase = "proposals.json"\n', encoding="utf-8")
    config = load_config(folder / "config.toml")
    repo = Repository(db)
    tz = ZoneInfo("Asia/Shanghai")
    svc = Services(config, repo, lambda: datetime(2026, 11, 23, 10, tzinfo=tz))
    index = SearchIndex.build(repo, config.aliases)
    touched = repo.proposals()[0]
    for texts in asked.values():  # warm the caches both paths use
        for text in texts[:3]:
            answer_question(svc, index, text)
            index.search(text)

    runs: dict[str, dict[str, list[float]]] = {}
    for _ in range(args.rounds):
        for intent, texts in asked.items():
            parse, answer, search, added, fresh = [], [], [], [], []
            for text in texts:
                t0 = time.perf_counter()
                parse_question(text, TODAY)
                t1 = time.perf_counter()
                answer_question(svc, index, text)
                t2 = time.perf_counter()
                index.search(text)
                t3 = time.perf_counter()
                repo.put(touched)  # a change: lists and figures kept since are computed afresh
                t4 = time.perf_counter()
                answer_question(svc, index, text)
                fresh.append((time.perf_counter() - t4) * 1e3)
                parse.append((t1 - t0) * 1e3)
                answer.append((t2 - t1) * 1e3)
                search.append((t3 - t2) * 1e3)
                added.append(answer[-1] - search[-1])
            row = runs.setdefault(intent, {"parse": [], "answer": [], "search": [], "added": [], "fresh": []})
            for key, values in (("parse", parse), ("answer", answer), ("search", search), ("added", added),
                                ("fresh", fresh)):
                row[key].append(pct(values, 0.95))
    load = os.getloadavg()
    print(f"N = {args.n:,} proposals, {args.per_intent} questions per intent, {args.rounds} rounds, "
          f"load {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    print("p95 in ms, min / median / max over the rounds")
    print(f"{'intent':10} {'parse':>18} {'answer':>22} {'search (before)':>22} {'added':>22} "
          f"{'answer after a change':>24}")

    def cell(values: list[float]) -> str:
        return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"

    for intent, row in runs.items():
        print(f"{intent:10} {cell(row['parse']):>18} {cell(row['answer']):>22} {cell(row['search']):>22} "
              f"{cell(row['added']):>22} {cell(row['fresh']):>24}")
    repo.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
