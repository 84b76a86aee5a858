"""How long deciding a day's reminders takes: ``python bench/bench_sweep.py [N]`` (default 100000).

Builds N open and closed proposals over 40 regions, 10,000 handlers (most linked to Telegram),
200 departments with supervisors, deadlines spread over 2026 and 2027 (so the holiday
calendar's fallback for 2027 is exercised), then times:

- ``plan_sweep`` as shipped (rules cached per (region, body), deadlines per distinct input,
  calendar per date), with an empty ledger (worst case: every current step is rendered) and
  with yesterday's ledger (the normal day: only new steps are rendered);
- the naive baseline: the same planner with every cache off (``config.rule_for`` per proposal,
  a chinesecalendar call per date, exceptions for 2027 every time);
- the ledger's cost per delivered ping (claim → fsync, finish), on this disk.

Target: ≤ 1 s for 100,000 proposals.
"""

from __future__ import annotations

import asyncio
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from bot.deadlines import WorkCalendar, _Planner, as_date, plan_sweep  # noqa: E402
from bot.model import (  # noqa: E402
    ASSIGNED, CLOSED, FOLLOW_UP, HANDLING, REOPENED, REPLIED, Contact, Department, Proposal,
)
from bot.reminders import Ledger, deliver  # noqa: E402

TODAY = date(2026, 12, 14)  # a Monday
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
    departments = [Department(name=u, supervisor_chat_id=-1000 - i if i % 3 else None, id=i + 1)
                   for i, u in enumerate(units)]
    contacts = {}
    for cid in range(1, 10_001):
        contacts[cid] = Contact(
            name=f"承办人{cid}", unit=rnd.choice(units),
            telegram_user_id=10_000_000 + cid if rnd.random() < 0.9 else None,
            muted=rnd.random() < 0.03, id=cid,
        )
    states = [ASSIGNED] * 50 + [HANDLING] * 20 + [FOLLOW_UP] * 10 + [REOPENED] * 5 + [REPLIED] * 5 + [CLOSED] * 10
    proposals = []
    start = date(2026, 1, 1)
    for pid in range(1, n + 1):
        assigned = start + timedelta(days=rnd.randrange(540))  # 2026-01 … 2027-06
        state = rnd.choice(states)
        lead = rnd.choice(units)
        p = Proposal(
            body=rnd.choice(("政协", "人大")), region=rnd.choice(REGIONS), term=8, meeting=3,
            number=str(pid), title=f"关于第{pid}件事项的建议", lead_unit=lead,
            co_units=[rnd.choice(units)] if rnd.random() < 0.2 else [],
            assigned_date=assigned.isoformat(), complex=rnd.random() < 0.1,
            due_date=(assigned + timedelta(days=20)).isoformat() if rnd.random() < 0.05 else None,
            state=state, handlers=rnd.sample(range(1, 10_001), rnd.choice((1, 1, 2, 3))),
            extension_days=rnd.choice((0, 0, 0, 15, 30)), id=pid,
        )
        if state == FOLLOW_UP:
            p.follow_up_date = (assigned + timedelta(days=rnd.randrange(60, 200))).isoformat()
        if state == REOPENED:
            p.feedback, p.feedback_date = "不满意", (assigned + timedelta(days=90)).isoformat()
            p.due_date = (assigned + timedelta(days=150)).isoformat()
        proposals.append(p)
    return config, proposals, contacts, departments, folder


class NaivePlanner(_Planner):
    """The same decisions with no caching at all (the baseline)."""

    def rule(self, p):
        return self.config.rule_for(p.region, p.body)

    def date(self, text):
        return as_date(text)

    def deadline(self, p):
        from bot.deadlines import handling_due_date
        return handling_due_date(p, self.config, self.calendar)


def naive_sweep(today, proposals, contacts, config, departments, sent=None):
    calendar = WorkCalendar.from_config(config, cache=False)
    if config.reminders.workdays_only and not calendar.is_workday(today):
        return []
    planner = NaivePlanner(today, config, calendar, contacts, departments, None, sent)
    pings = planner.plan(proposals)
    planner.system_pings()
    return pings


def timed(fn, repeat=3):
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


async def ledger_cost(folder: Path, pings, count=500):
    ledger = Ledger(folder / "bench.ledger.json")

    async def send(chat, text):
        return None

    t0 = time.perf_counter()
    await deliver(pings[:count], send, ledger)
    elapsed = time.perf_counter() - t0
    ledger.close()
    return elapsed / max(1, min(count, len(pings)))


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    t0 = time.perf_counter()
    config, proposals, contacts, departments, folder = build(n)
    print(f"built {n:,} proposals, {len(contacts):,} handlers "
          f"({sum(c.telegram_user_id is not None for c in contacts.values()):,} linked) "
          f"in {time.perf_counter() - t0:.1f}s")

    def fresh():
        # a new calendar per run: the per-date cache is part of what is measured
        return plan_sweep(TODAY, proposals, contacts, config, WorkCalendar.from_config(config),
                          departments=departments)

    cold, pings = timed(fresh)
    yesterday = {p.key for p in plan_sweep(TODAY - timedelta(days=3), proposals, contacts, config,
                                           WorkCalendar.from_config(config), departments=departments)}

    ledger = Ledger(folder / "yesterday.ledger.json")
    for key in yesterday:  # as if delivered (bypassing the journal: this measures look-ups)
        ledger._entries[key] = {"s": "sent", "n": 1, "u": 0}

    def normal_day():
        return plan_sweep(TODAY, proposals, contacts, config, WorkCalendar.from_config(config),
                          departments=departments, sent=ledger)

    warm, new = timed(normal_day)
    naive, naive_pings = timed(lambda: naive_sweep(TODAY, proposals, contacts, config, departments), repeat=1)
    same = sorted(p.key for p in pings) == sorted(p.key for p in naive_pings)
    steps: dict[str, int] = {}
    for p in pings:
        kind = p.step.split("-")[0] if not p.step.startswith("co-") else "co"
        steps[kind] = steps.get(kind, 0) + 1
    print(f"plan_sweep, empty ledger:     {cold:.3f}s  ({len(pings):,} pings: "
          + ", ".join(f"{k} {v:,}" for k, v in sorted(steps.items())) + ")")
    print(f"plan_sweep, yesterday's ledger: {warm:.3f}s  ({len(new):,} new pings)")
    print(f"naive baseline (no caches):   {naive:.3f}s  (same pings: {same})")
    print(f"speed-up: {naive / cold:.1f}x (empty ledger), {naive / warm:.1f}x (normal day)")
    per_ping = asyncio.run(ledger_cost(folder, pings))
    print(f"ledger cost per delivered ping (claim+fsync, finish): {per_ping * 1000:.2f} ms")
    verdict = "OK" if max(cold, warm) <= 1.0 else "TOO SLOW"
    print(f"target ≤ 1 s for {n:,} proposals: {verdict}")


if __name__ == "__main__":
    main()
