"""Delivery under crashes and outages: ``python bench/bench_delivery.py [--rounds 100] [--handlers 24]``.

Two runs, each printing rounds, pings, duplicates, resends and lost pings:

- **kill -9 during the sweep.** The bot runs as a child process (``proposal-bot run``, forked
  from a warm parent so a round costs a fraction of a second) against the Bot API emulator,
  which lives in this process. Each round the child starts, its start-up sweep delivers what is
  still missing, and it is killed with SIGKILL at a random moment (after a random number of
  messages, plus a random part of the time one message takes). A last round runs to the end of its sweep. Then every ping must
  have arrived exactly once unmarked, or (when a kill left it in flight) also marked 「补发」, never
  twice unmarked and never not at all; and the ledger's figures must match what arrived.
- **a 5xx burst longer than the retries.** The real application in this process, every
  sendMessage answered 502 for longer than a sweep's retries last; the same-day retry rounds run
  on the injected clock until all is delivered: every ping arrives once, the same day.

tests/test_delivery_kill.py runs both at 20 rounds; no figure here is a timing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator import BotApiEmulator  # noqa: E402
from bot.model import Contact, Proposal  # noqa: E402
from bot.ledger import SENT, Ledger  # noqa: E402
from bot.reminders import RESEND_MARK  # noqa: E402
from bot.storage import Repository, side_path  # noqa: E402

DAY = date(2026, 11, 30)  # a Monday: items assigned 2026-09-07 are due 12-07, the 7-day step
ADMIN = 1001
TOKEN = "123456:BENCH"
PING = re.compile(r"(【补发】)?⏰ 还剩 \d+ 天：第(\d+)号")
SWEEP_DONE = "reminder sweep 2026-11-30"

# A warm parent for the bot processes: it imports the bot once, then forks one child per round
# (the children run bot.cli.main exactly as `proposal-bot run` does).
ZYGOTE = r"""
import json, os, sys
sys.path.insert(0, sys.argv[1])
import bot.cli, bot.app  # the expensive imports, done once
for line in sys.stdin:
    job = json.loads(line)
    pid = os.fork()
    if pid == 0:
        fd = os.open(job["log"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        os.dup2(fd, 1)
        os.dup2(fd, 2)
        os.environ.update(job["env"])
        os._exit(bot.cli.main(job["argv"]))
    print(pid, flush=True)
    while True:  # reap the killed ones
        try:
            done, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if done == 0:
            break
"""


def seed(folder: Path, emulator: BotApiEmulator, handlers: int) -> tuple[Path, dict[int, list[str]]]:
    """config.toml and a database: ``handlers`` linked handlers with 1, 2 or 4 open items each
    (4 go as one bundled message). Returns the config path and {chat: [numbers]}."""
    (folder / "data").mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(f"""
[storage]
database = "data/proposals.json"
[bot]
base_url = "{emulator.base_url}"
base_file_url = "{emulator.base_file_url}"
[access]
admins = [{ADMIN}]
""", encoding="utf-8")
    repo = Repository(folder / "data" / "proposals.json")
    expected: dict[int, list[str]] = {}
    number = 100
    emulator.add_user(ADMIN)
    with repo.batch():
        for i in range(handlers):
            chat = 7000 + i
            emulator.add_user(chat)
            contact = repo.put(Contact(name=f"承办人{i}", unit="晋城市农业农村局", telegram_user_id=chat))
            for _ in range((1, 2, 4)[i % 3]):
                number += 1
                repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=4, number=str(number),
                                  title=f"关于第{number}项工作的建议", lead_unit="晋城市农业农村局",
                                  assigned_date="2026-09-07", state="handling", handlers=[contact.id]))
                expected.setdefault(chat, []).append(str(number))
    repo.close()
    return config, expected


def arrivals(emulator: BotApiEmulator, expected: dict[int, list[str]]) -> dict[tuple[int, str], Counter]:
    """(chat, number) → Counter(plain=…, marked=…) over every message the handlers received."""
    got: dict[tuple[int, str], Counter] = {}
    for chat in expected:
        for message in emulator.sent(chat):
            for mark, number in PING.findall(message.text or ""):
                got.setdefault((chat, number), Counter())["marked" if mark else "plain"] += 1
    return got


def kill_run(rounds: int = 20, handlers: int | None = None, seed_value: int = 1, folder: Path | None = None,
             out=print) -> dict:
    """The kill -9 rounds; returns the figures (see the module docstring). Default: three
    handlers per round (about four messages; a round sends one to five), so that there is still
    work to kill until the last round."""
    handlers = handlers or 3 * rounds + 4
    rng = random.Random(seed_value)
    with tempfile.TemporaryDirectory() as tmp, BotApiEmulator() as emulator:
        folder = Path(folder or tmp)
        config, expected = seed(folder, emulator, handlers)
        pings = sum(len(v) for v in expected.values())
        zygote = subprocess.Popen([sys.executable, "-c", ZYGOTE, str(ROOT)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, text=True)
        env = {"PROPOSAL_BOT_TOKEN": TOKEN}
        argv = ["--config", str(config), "run", "--today", DAY.isoformat()]
        killed_mid_sweep = 0
        period = 0.005  # seconds per message, measured as the rounds go (load changes it)
        try:
            for number in range(rounds + 1):
                log = folder / f"round-{number}.log"
                zygote.stdin.write(json.dumps({"log": str(log), "env": env, "argv": argv}) + "\n")
                zygote.stdin.flush()
                pid = int(zygote.stdout.readline())
                before = len(emulator.sent())
                last = number == rounds
                # a few messages in, so most rounds die mid-sweep; at least one, so a round does
                # not keep dying on its first message (the previous round's resend): a crash
                # loop on one message is what max_resends stops, not what this measures
                target = before + rng.randint(1, 4)
                first = None  # (time, count) of the round's first message seen
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    done = log.exists() and SWEEP_DONE in log.read_text(encoding="utf-8", errors="replace")
                    count = len(emulator.sent())
                    if count > before and first is None:
                        first = (time.monotonic(), count)
                    if done or (not last and count >= target):
                        break
                    time.sleep(0.002)
                else:
                    raise RuntimeError(f"round {number}: the bot did not finish its sweep:\n{log.read_text()}")
                if not last:
                    if first is not None and count > first[1]:
                        period = (time.monotonic() - first[0]) / (count - first[1])
                    # then a random moment within about one message's time: anywhere in the
                    # ledger-write / request / answer cycle, while the sweep still has work (a
                    # fixed pause would let a fast machine finish the sweep before the kill)
                    time.sleep(rng.uniform(0, period))
                    killed_mid_sweep += SWEEP_DONE not in log.read_text(encoding="utf-8", errors="replace")
                os.kill(pid, signal.SIGKILL)
        finally:
            zygote.stdin.close()
            zygote.wait(30)
        time.sleep(0.1)  # the killed child's last request, if any, is answered
        got = arrivals(emulator, expected)
        ledger = Ledger(side_path(folder / "data" / "proposals.json", "ledger"))
        entries = {(key[2], key[0]): entry for key, entry in ledger._entries.items() if key[1] == "due-7"}
        tally = ledger.tally(DAY)
        ledger.close()
    keys = [(chat, n) for chat, ns in expected.items() for n in ns]
    lost = [k for k in keys if sum(got.get(k, Counter()).values()) == 0]
    duplicates = [k for k in keys if got.get(k, Counter())["plain"] > 1]
    resent = [k for k in keys if got.get(k, Counter())["marked"]]
    sent_entries = [e for e in entries.values() if e.get("s") == SENT]
    figures = {
        "rounds": rounds, "killed_mid_sweep": killed_mid_sweep, "pings": pings,
        "duplicates": len(duplicates), "resends": sum(got.get(k, Counter())["marked"] for k in keys),
        "pings_resent": len(resent), "lost": len(lost),
        "ledger_sent": len(sent_entries), "ledger_resent": sum(1 for e in sent_entries if e.get("u")),
        "tally_sent": tally.get("sent", 0), "tally_resent": tally.get("resent", 0),
        "unexpected": sorted(set(got) - set(keys)),
    }
    out(f"kill -9 during the sweep: {rounds} rounds ({killed_mid_sweep} killed before the sweep ended), "
        f"{pings} pings to {handlers} handlers")
    out(f"  duplicates (unmarked): {figures['duplicates']}   resends (marked 「补发」): {figures['resends']} "
        f"of {figures['pings_resent']} pings   lost: {figures['lost']}")
    out(f"  ledger: {figures['ledger_sent']} sent, {figures['ledger_resent']} of them resent; "
        f"tally: sent {figures['tally_sent']}, resent {figures['tally_resent']}")
    return figures


async def burst_run(burst: int = 60, handlers: int = 6, out=print) -> dict:
    """A 5xx burst longer than one sweep's retries; the same-day retry rounds on the injected
    clock deliver everything. Returns the figures."""
    from bot.app import build_application, make_services, started
    from bot.config import load_config
    from handlers.reminders import reminders_of

    with tempfile.TemporaryDirectory() as tmp, BotApiEmulator() as emulator:
        config_path, expected = seed(Path(tmp), emulator, handlers)
        config = load_config(config_path)
        now = [datetime(2026, 11, 30, 9, 0, tzinfo=config.tzinfo)]
        services = make_services(config, lambda: now[0])
        app = build_application(services, TOKEN, emulator.base_url, emulator.base_file_url)
        emulator.inject_fault("sendMessage", 502, times=burst)
        await app.initialize()
        await app.post_init(app)
        rem = reminders_of(app)

        async def no_wait(seconds):  # retry backoff within a sweep: recorded, not slept
            await asyncio.sleep(0)

        rem.sleep = no_wait
        try:
            await started(app)
            rounds = []
            while rem.retry_at is not None:
                now[0] = rem.retry_at
                rounds.append(now[0])
                await rem.retry_if_due()
        finally:
            await app.shutdown()
            await app.post_shutdown(app)
            services.repo.close()
        got = arrivals(emulator, expected)
        errors = sum(1 for method, status, _ in emulator.errors if method == "sendMessage" and status == 502)
    keys = [(chat, n) for chat, ns in expected.items() for n in ns]
    figures = {
        "burst": burst, "errors": errors, "retry_rounds": len(rounds), "pings": len(keys),
        "delivered": sum(1 for k in keys if sum(got.get(k, Counter()).values()) >= 1),
        "duplicates": sum(1 for k in keys if got.get(k, Counter())["plain"] > 1),
        "resends": sum(got.get(k, Counter())["marked"] for k in keys),
        "lost": sum(1 for k in keys if not got.get(k)),
        "same_day": all(t.date() == DAY for t in rounds),
        "last_round": rounds[-1].strftime("%H:%M") if rounds else None,
    }
    out(f"5xx burst: {errors} answers 502 (a sweep retries each message 5 times), {len(keys)} pings to "
        f"{handlers} handlers; {len(rounds)} same-day retry rounds, the last at {figures['last_round']}")
    out(f"  delivered: {figures['delivered']}   duplicates: {figures['duplicates']}   "
        f"resends: {figures['resends']}   lost: {figures['lost']}   all the same day: {figures['same_day']}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--handlers", type=int, default=None, help="default: 3 per round, plus 4")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--burst", type=int, default=120)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)  # the 5xx run's warnings are the point, not news
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # requests cut by the kills
    started = time.monotonic()
    kill = kill_run(args.rounds, args.handlers, args.seed)
    burst = asyncio.run(burst_run(args.burst))
    print(f"({time.monotonic() - started:.1f} s in all)")
    bad = kill["duplicates"] or kill["lost"] or burst["lost"] or burst["duplicates"]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
