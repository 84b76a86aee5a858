"""Uploads under limits: ``python bench/bench_upload.py [--bomb-mb 1000] [--runs 3]``.

- A zip-bomb .docx (one member of ``--bomb-mb`` MB of zeros, about 1 MB on the wire, like the
  0.97 MB file of issue 10 that took 21 s and 1.99 GB when parsed on the event loop) sent to the
  upload worker: the time from the call to the refusal, and the peak memory of the worker
  process and of this (the bot's) process.
- An ordinary reply letter (.docx) through the worker, against parsing it in this process (the
  baseline: what the bot did before), to show what the worker process costs per upload.

Prints min / median / max of ``--runs``; nothing here is asserted (tests/test_uploads.py
checks the refusals).
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import resource
import statistics
import struct
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Uploads  # noqa: E402
from bot.importer import parse_document  # noqa: E402
from bot.uploads import UploadWorker  # noqa: E402

MB = 1024 * 1024


def zip_bomb(megabytes: int, name: str = "word/document.xml") -> bytes:
    """A .docx-shaped zip whose ``name`` inflates to ``megabytes`` MB of zeros, built in well
    under a second for any size: after a full flush deflate starts afresh, so every 1 MB of
    zeros compresses to the same block, written ``megabytes`` times."""
    chunk = bytes(MB)
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    block = compressor.compress(chunk) + compressor.flush(zlib.Z_FULL_FLUSH)
    data = block * megabytes + compressor.flush()
    crc = 0
    for _ in range(megabytes):
        crc = zlib.crc32(chunk, crc)
    types = (b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
             b'package/2006/content-types"/>')
    members = [(b"[Content_Types].xml", 0, types, zlib.crc32(types), len(types)),
               (name.encode(), 8, data, crc, megabytes * MB)]
    out, central = io.BytesIO(), io.BytesIO()
    for filename, method, payload, checksum, size in members:
        offset = out.tell()
        out.write(struct.pack("<IHHHHHIIIHH", 0x04034B50, 20, 0, method, 0, 0x21, checksum, len(payload),
                              size, len(filename), 0) + filename + payload)
        central.write(struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 20, 20, 0, method, 0, 0x21, checksum,
                                  len(payload), size, len(filename), 0, 0, 0, 0, 0, offset) + filename)
    start = out.tell()
    out.write(central.getvalue())
    out.write(struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(members), len(members), len(central.getvalue()),
                          start, 0))
    return out.getvalue()


def letter_docx() -> bytes:
    from docx import Document

    document = Document()
    for line in ("关于市政协八届三次会议第125号提案的答复", "民建晋城市委会：",
                 "你们提出的《关于加快推动我市城乡融合发展的建议》收悉。现答复如下：" + "我们高度重视。" * 200,
                 "晋城市发展和改革委员会", "2024年5月23日", "联系人：唐志文  联系电话：6999022"):
        document.add_paragraph(line)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def rss_kb() -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))


def spread(values: list[float], unit: str, fmt: str = "{:.3f}") -> str:
    return " / ".join(fmt.format(v) for v in (min(values), statistics.median(values), max(values))) + f" {unit}"


async def run(bomb_mb: int = 1000, runs: int = 3, out=print) -> dict:
    worker = UploadWorker(Uploads())
    bomb = zip_bomb(bomb_mb)
    letter = letter_docx()
    await worker.parse(letter, "warm-up.docx")  # the forkserver starts once per bot process
    figures: dict = {"bomb_bytes": len(bomb), "bomb_mb": bomb_mb, "refusal_s": [], "worker_peak_mb": [],
                     "parent_growth_mb": [], "worker_letter_s": [], "inline_letter_s": []}
    for _ in range(runs):
        before = rss_kb()
        started = time.perf_counter()
        parsed = await worker.parse(bomb, "bomb.docx")
        figures["refusal_s"].append(time.perf_counter() - started)
        figures["worker_peak_mb"].append(worker.last.peak_kb / 1024)
        figures["parent_growth_mb"].append(max(0, rss_kb() - before) / 1024)
        figures["error"] = parsed.error
        started = time.perf_counter()
        via_worker = await worker.parse(letter, "letter.docx")
        figures["worker_letter_s"].append(time.perf_counter() - started)
        started = time.perf_counter()
        inline = parse_document(letter, "letter.docx")
        figures["inline_letter_s"].append(time.perf_counter() - started)
        assert via_worker.letter == inline.letter, "the worker parses exactly as the bot did"
    peak_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out(f"zip bomb: {len(bomb) / MB:.2f} MB .docx inflating to {bomb_mb:,} MB; refused: {figures['error']}")
    out(f"  time to refusal      {spread(figures['refusal_s'], 's')}   (min / median / max of {runs})")
    out(f"  worker peak memory   {spread(figures['worker_peak_mb'], 'MB', '{:.0f}')} (the whole process, "
        f"interpreter and parsers included)")
    out(f"  bot process growth   {spread(figures['parent_growth_mb'], 'MB', '{:.1f}')} (peak RSS of this "
        f"process so far {peak_self:.0f} MB)")
    out(f"ordinary letter (.docx, {len(letter) / 1024:.0f} KB): worker {spread(figures['worker_letter_s'], 's')}, "
        f"in-process {spread(figures['inline_letter_s'], 's')} "
        f"({statistics.median(figures['worker_letter_s']) / statistics.median(figures['inline_letter_s']):.1f}× "
        f"the baseline: the price of a process per upload)")
    out(f"load average: {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bomb-mb", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    figures = asyncio.run(run(args.bomb_mb, args.runs))
    return 0 if figures["error"] else 1


if __name__ == "__main__":
    sys.exit(main())
