"""How long the Bot API emulator holds an empty long poll, and an immediate poll's round trip.

    .venv/bin/python bench/bench_emulator.py

The test suite only checks that an empty poll is held and answered empty
(tests/test_emulator.py); the time it is held is measured here, where a busy machine makes a
figure late instead of a test red. A 1 s poll should be held about 1 s.
"""

from __future__ import annotations

import asyncio

import timing

timing.use_code()

from telegram import Bot  # noqa: E402

from bot.emulator import BotApiEmulator  # noqa: E402


def main() -> None:
    print("load before:", timing.load_average())
    with BotApiEmulator() as emu:
        async def poll(timeout: int) -> None:
            async with Bot("123:bench", base_url=emu.base_url, base_file_url=emu.base_file_url) as bot:
                assert await bot.get_updates(timeout=timeout) == ()

        held = timing.measure(lambda: asyncio.run(poll(1)))
        immediate = timing.measure(lambda: asyncio.run(poll(0)))
    print("empty long poll, timeout 1 s, held (wall, min / median / max):", timing.spread(held.wall), "s")
    print("immediate poll, timeout 0 (with the client's start-up):", timing.spread(immediate.wall), "s")
    print("load after:", timing.load_average())


if __name__ == "__main__":
    main()
