"""How long deciding a day's reminders takes: ``python bench/bench_sweep.py [N] [--against TAG]``
(default 100000 proposals, against ``pre-issue13``; ``--against ''`` measures this code only).

Builds N open and closed proposals over 40 regions, 10,000 handlers (most linked to Telegram),
200 departments with supervisors, liaisons and leaders, 15 % of the items without handlers of
their own (their lead unit's liaison gets the pings), deadlines spread over 2026 and 2027 (so
the holiday calendar's fallback for 2027 is exercised), then times ``plan_sweep`` on a Monday:

- cold, the first sweep after start-up (a fresh calendar, nothing kept yet), and warm, the
  steady state of the bot's one long-running process: the calendar (and the plans kept between
  sweeps, ``SweepPlanner``, where the code has them) of a process whose previous sweep, on
  Friday, has run; each run starts from a process of its own (made untimed, and alive after the
  timed sweep as the bot's is);
- each with an empty ledger (worst case: every current step is rendered), and with Friday's
  ledger (the normal day: only new steps are rendered); the warm pings are checked to be the
  cold ones;
- the same against the code of ``--against`` (a temporary git worktree of the tag), in a child
  process on the same data, measured in the same run (that code may not know liaisons: it is
  given what its ``plan_sweep`` accepts);
- the ledger's cost per delivered ping (claim → fsync, finish), on this disk.

Every figure is min / median / max of three runs, wall clock and CPU (bench/timing.py).
Target: ≤ 0.8 s for 100,000 proposals, at least 2× the code before issue 13.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import inspect
import json
import logging
import random
import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import timing

timing.use_code()
logging.disable(logging.WARNING)  # the 2027 calendar notice, once per sweep

from bot.config import load_config  # noqa: E402
from bot.deadlines import WorkCalendar  # noqa: E402
from bot.model import (  # noqa: E402
    ASSIGNED, CLOSED, FOLLOW_UP, HANDLING, REOPENED, REPLIED, Contact, Department, Proposal,
)

try:  # where the planner lives: bot.reminder_plan since issue 13, bot.deadlines before
    from bot.reminder_plan import plan_sweep  # noqa: E402
except ImportError:
    from bot.deadlines import plan_sweep  # noqa: E402
try:  # plans kept between sweeps (issue 13): what the running bot's reminder service holds
    from bot.reminder_plan import SweepPlanner  # noqa: E402
except ImportError:
    SweepPlanner = None

TODAY = date(2026, 12, 14)  # a Monday
FRIDAY = TODAY - timedelta(days=3)  # the previous workday
REGIONS = [f"地区{i:02d}" for i in range(40)]

CONFIG = """
[storage]
database = "data/p.json"
[access]
admins = [1, 2]
[class_schemes.ABCD]
labels = { A = "已解决", B = "正在解决", C = "以后解决", D = "留作参考" }
closes = ["A", "D"]
follow_up = ["B", "C"]
RULES
[[rules]]
region = "*"
body = "政协"
cutoff_dates = ["2026-08-05", "2027-08-05"]
[[rules]]
region = "*"
body = "人大"
[reminders]
workdays_only = true
"""


def make(cls, **fields):
    """A record with the fields this checkout's model knows (older models lack the unit ids)."""
    known = cls.__dataclass_fields__
    return cls(**{k: v for k, v in fields.items() if k in known})


def build(n: int, seed: int = 7):
    rnd = random.Random(seed)
    rules = "".join(
        f'[[rules]]\nregion = "{region}"\nbody = "人大"\nreply_months = {rnd.choice([2, 3, 5])}\n'
        for region in REGIONS[:30]
    )
    folder = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    (folder / "config.toml").write_text(CONFIG.replace("RULES", rules), encoding="utf-8")
    config = load_config(folder / "config.toml")
    units = [f"单位{i:03d}" for i in range(200)]
    unit_ids = {u: i + 1 for i, u in enumerate(units)}
    departments = [make(Department, name=u, supervisor_chat_id=-1000 - i if i % 3 else None, id=i + 1)
                   for i, u in enumerate(units)]
    contacts = {}
    for cid in range(1, 10_001):
        unit = units[(cid - 1) % 200] if cid <= 400 else rnd.choice(units)
        contacts[cid] = make(
            Contact, name=f"承办人{cid}", unit=unit, unit_id=unit_ids[unit],
            telegram_user_id=10_000_000 + cid if rnd.random() < 0.9 else None,
            muted=rnd.random() < 0.03, id=cid,
        )
    # contacts 1-200 are the units' liaisons (180 units have one), 201-400 their leaders (100)
    liaisons = {unit_ids[units[i]]: i + 1 for i in range(200) if i % 10}
    leaders = {unit_ids[units[i]]: 201 + i for i in range(200) if i % 2}
    states = [ASSIGNED] * 50 + [HANDLING] * 20 + [FOLLOW_UP] * 10 + [REOPENED] * 5 + [REPLIED] * 5 + [CLOSED] * 10
    proposals = []
    start = date(2026, 1, 1)
    for pid in range(1, n + 1):
        assigned = start + timedelta(days=rnd.randrange(540))  # 2026-01 … 2027-06
        state = rnd.choice(states)
        lead = rnd.choice(units)
        co_units = [rnd.choice(units)] if rnd.random() < 0.2 else []
        handlers = rnd.sample(range(401, 10_001), rnd.choice((1, 1, 2, 3))) if rnd.random() < 0.85 else []
        p = make(
            Proposal, body=rnd.choice(("政协", "人大")), region=rnd.choice(REGIONS), term=8, meeting=3,
            number=str(pid), title=f"关于第{pid}件事项的建议", lead_unit=lead, lead_unit_id=unit_ids[lead],
            co_units=co_units, co_unit_ids=[unit_ids[u] for u in co_units],
            assigned_date=assigned.isoformat(), complex=rnd.random() < 0.1,
            due_date=(assigned + timedelta(days=20)).isoformat() if rnd.random() < 0.05 else None,
            state=state, handlers=handlers, extension_days=rnd.choice((0, 0, 0, 15, 30)), id=pid,
        )
        if state == FOLLOW_UP:
            p.follow_up_date = (assigned + timedelta(days=rnd.randrange(60, 200))).isoformat()
        if state == REOPENED:
            p.feedback, p.feedback_date = "不满意", (assigned + timedelta(days=90)).isoformat()
            p.due_date = (assigned + timedelta(days=150)).isoformat()
        proposals.append(p)
    return config, proposals, contacts, departments, liaisons, leaders, folder


def sweeps(n: int) -> dict:
    """The four sweeps, three runs each, on this checkout's code."""
    config, proposals, contacts, departments, liaisons, leaders, folder = build(n)
    gc.freeze()  # as the repository does after its load: the records live as long as the bot
    accepted = inspect.signature(plan_sweep).parameters
    extra = {"liaisons": liaisons, "leaders": leaders} if "liaisons" in accepted else {}

    def process(after_friday: bool):
        """What the running bot keeps from one sweep to the next: its calendar, and its kept
        plans where the code has them; after start-up (nothing done yet) or after Friday's sweep."""
        calendar = WorkCalendar.from_config(config)
        plan = SweepPlanner().plan if SweepPlanner is not None else plan_sweep
        if after_friday:
            plan(FRIDAY, proposals, contacts, config, calendar, departments=departments, **extra)
        return plan, calendar

    def sweep(kept, sent=None):
        plan, calendar = kept
        return plan(TODAY, proposals, contacts, config, calendar, departments=departments, sent=sent, **extra)

    # Monday's ledger: everything planned on Friday was sent
    friday = {p.key for p in plan_sweep(FRIDAY, proposals, contacts, config, WorkCalendar.from_config(config),
                                        departments=departments, **extra)}
    runs = {
        "cold_empty": timing.measure(lambda kept: sweep(kept), prepare=lambda: process(False)),
        "cold_normal": timing.measure(lambda kept: sweep(kept, friday), prepare=lambda: process(False)),
        "warm_empty": timing.measure(lambda kept: sweep(kept), prepare=lambda: process(True)),
        "warm_normal": timing.measure(lambda kept: sweep(kept, friday), prepare=lambda: process(True)),
    }
    for kind in ("empty", "normal"):  # what is kept must plan exactly what a fresh plan does
        if list(map(tuple, runs[f"warm_{kind}"].result)) != list(map(tuple, runs[f"cold_{kind}"].result)):
            raise SystemExit(f"the warm sweep ({kind} ledger) planned other pings than the cold one")
    return {**runs, "pings": runs["cold_empty"].result, "new_pings": len(runs["cold_normal"].result),
            "liaisons": bool(extra), "folder": folder}


async def ledger_cost(folder: Path, pings, count=500):
    from bot.ledger import Ledger
    from bot.reminders import deliver

    ledger = Ledger(folder / "bench.ledger.json")

    async def send(chat, text):
        return None

    t0 = time.perf_counter()
    await deliver(pings[:count], send, ledger)
    elapsed = time.perf_counter() - t0
    ledger.close()
    return elapsed / max(1, min(count, len(pings)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=100_000)
    parser.add_argument("--against", default="pre-issue13", help="git tag of the old code ('' for none)")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # the old code's run
    args = parser.parse_args()
    kinds = {"cold_empty": "cold, empty ledger:         ", "cold_normal": "cold, yesterday's ledger:   ",
             "warm_empty": "warm, empty ledger:         ", "warm_normal": "warm, yesterday's ledger:   "}
    if args.json:  # a child measuring some checkout's code: one JSON line
        result = sweeps(args.n)
        shutil.rmtree(result["folder"], ignore_errors=True)
        print(json.dumps({**{kind: result[kind].to_json() for kind in kinds},
                          "pings": len(result["pings"]), "new_pings": result["new_pings"],
                          "liaisons": result["liaisons"]}))
        return
    print(f"N = {args.n:,}; {timing.load_average()}")
    old = None
    if args.against:
        with timing.old_checkout(args.against) as checkout:
            old = timing.run_old(checkout, Path(__file__), [str(args.n), "--json"])
    t0 = time.perf_counter()
    new = sweeps(args.n)
    pings = new["pings"]
    steps: dict[str, int] = {}
    for p in pings:
        kind = p.step.split("-")[0] if not p.step.startswith("co-") else "co"
        steps[kind] = steps.get(kind, 0) + 1
    counts = {"empty": f"{len(pings):,} pings", "normal": f"{new['new_pings']:,} new pings"}
    print(f"this code, liaison pings included ({time.perf_counter() - t0:.0f} s with the data); "
          f"warm = plans kept from Friday's sweep, same pings as cold: checked")
    print("  pings, empty ledger: " + ", ".join(f"{k} {v:,}" for k, v in sorted(steps.items())))
    for kind, label in kinds.items():
        print(f"  plan_sweep, {label}{new[kind].text()}  ({counts[kind.split('_')[1]]})")
    if old is not None:
        knows = "with" if old["liaisons"] else "without (it has none)"
        print(f"{args.against}, same data, {knows} liaisons (warm: its calendar kept from Friday's sweep):")
        old_counts = {"empty": f"{old['pings']:,} pings", "normal": f"{old['new_pings']:,} new pings"}
        for kind, label in kinds.items():
            print(f"  plan_sweep, {label}{timing.Runs.from_json(old[kind]).text()}  "
                  f"({old_counts[kind.split('_')[1]]})")
        print("  speed-up, each against the same: " + ", ".join(
            f"{timing.ratio(timing.Runs.from_json(old[kind]), new[kind])} ({kind})" for kind in kinds))
        # the old code has nothing to keep but its calendar: its steady state is the faster of its two
        for ledger in ("empty", "normal"):
            best = min((timing.Runs.from_json(old[f"{state}_{ledger}"]) for state in ("cold", "warm")),
                       key=lambda runs: runs.median)
            print(f"  speed-up, warm against the old code's faster of cold and warm ({ledger} ledger): "
                  f"{timing.ratio(best, new[f'warm_{ledger}'])}")
    per_ping = asyncio.run(ledger_cost(new["folder"], pings))
    shutil.rmtree(new["folder"], ignore_errors=True)
    print(f"ledger cost per delivered ping (claim+fsync, finish): {per_ping * 1000:.2f} ms")
    for state in ("warm", "cold"):
        worst = max(new[f"{state}_empty"].median, new[f"{state}_normal"].median)
        print(f"target ≤ 0.8 s (median) for {args.n:,} proposals, {state}: {'met' if worst <= 0.8 else 'NOT met'}")
    print(timing.load_average())


if __name__ == "__main__":
    main()
