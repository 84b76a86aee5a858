"""How long a big assignment list upload stalls the bot's event loop:
``python bench/bench_apply.py [--rows 10000] [--runs 3]``.

The real application (handlers, job queue, a fresh TinyDB file in a temporary folder) runs
against the Bot API emulator; a ticker task on the bot's event loop wakes every 5 ms and notes
the longest gap between wake-ups. An admin sends a ``--rows``-row .xlsx list (bench_import.py's
generator), the bot answers with its summary (parsed in the upload worker, summed up on the
loop), the admin presses 导入并提醒, the bot applies the list and answers with the report. It
prints, min / median / max of ``--runs`` fresh runs: the longest stall while the list is parsed
and summed up, the longest while it is applied, and the time from the press to the report.
Nothing is asserted (tests/test_uploads.py shows a /status answered during an upload).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import timing  # noqa: E402

timing.use_code()
if str(HERE.parent) not in sys.path:  # else bench_import puts this checkout first, before $BENCH_CODE
    sys.path.append(str(HERE.parent))

from bench_import import list_xlsx, make_list_rows  # noqa: E402
from bot.app import build_application, make_services, started  # noqa: E402
from bot.config import load_config  # noqa: E402
from bot.emulator import BotApiEmulator  # noqa: E402

ADMIN = 1001
TOKEN = "123456:bench-apply"
CONFIG = '[storage]\ndatabase = "data/proposals.json"\n[access]\nadmins = [1001]\n'


class Ticker:
    """The longest gap between wake-ups of a task that sleeps 5 ms at a time."""

    def __init__(self):
        self.longest = 0.0
        self._task: asyncio.Task | None = None

    async def _run(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.longest = max(self.longest, now - last - 0.005)
            last = now

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    def take(self) -> float:
        """The longest stall since the last take."""
        longest, self.longest = self.longest, 0.0
        return longest

    def stop(self) -> None:
        self._task.cancel()


async def one_run(data: bytes) -> dict:
    with tempfile.TemporaryDirectory() as folder, BotApiEmulator() as emulator:
        path = Path(folder) / "config.toml"
        path.write_text(CONFIG, encoding="utf-8")
        services = make_services(load_config(path))
        app = build_application(services, TOKEN, emulator.base_url, emulator.base_file_url)
        await app.initialize()
        await app.post_init(app)
        await app.start()
        await app.updater.start_polling(poll_interval=0.0, timeout=1)
        await started(app)  # the start-up catch-up (an admin digest) is sent before we begin
        ticker = Ticker()
        ticker.start()
        try:
            marker = emulator.mark(ADMIN)
            emulator.push_document(ADMIN, "交办清单.xlsx", data)
            (summary,) = await emulator.await_sent(ADMIN, since=marker, timeout=600)
            assert (summary.reply_markup or {}).get("inline_keyboard"), summary.text[:300]
            parse_stall = ticker.take()
            marker = emulator.mark(ADMIN)
            pressed = time.perf_counter()
            emulator.press_button(ADMIN, summary.message_id, "导入并提醒")
            (report,) = await emulator.await_sent(ADMIN, since=marker, timeout=600)
            applied = time.perf_counter() - pressed
            apply_stall = ticker.take()
            assert report.text.startswith("已导入交办清单.xlsx：新增提案"), report.text[:200]
            return {"parse_stall": parse_stall, "apply_stall": apply_stall, "applied": applied,
                    "proposals": len(services.repo.proposals())}
        finally:
            ticker.stop()
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            await app.post_shutdown(app)


def spread(values: list[float]) -> str:
    return f"{min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f} s"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    rows, meta = make_list_rows(args.rows, 1)
    data = list_xlsx(rows, meta)
    print(f"code: {timing.code_root()}; load before: {timing.load_average()}")
    runs = [asyncio.run(one_run(data)) for _ in range(args.runs)]
    print(f"{args.rows:,}-row list ({len(data) / 1024:.0f} KB), {runs[0]['proposals']:,} proposals stored; "
          f"min / median / max of {args.runs} runs")
    print(f"  longest event-loop stall, upload to summary (parse in the worker, summary on the loop): "
          f"{spread([r['parse_stall'] for r in runs])}")
    print(f"  longest event-loop stall, 导入并提醒 to report (the apply):  {spread([r['apply_stall'] for r in runs])}")
    print(f"  导入并提醒 to report:                                        {spread([r['applied'] for r in runs])}")
    print(f"load after: {timing.load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
