"""Bounded uploads, parsed off the event loop: a worker process per file, with limits.

A chat upload is parsed in a child process (``multiprocessing``'s forkserver: a clean, single-
threaded process forked from a server that has the parsers imported), so that

- the bot's event loop keeps answering chats and sending reminders meanwhile (the parent waits
  for the child in a thread);
- a time limit can stop it (the parent kills the child after ``timeout_seconds``) and a memory
  limit too (``RLIMIT_AS`` set in the child: its allocation fails, it reports and exits);
- cheap checks refuse a bomb before anything is decompressed (``bot.limits``: zip members'
  stated sizes, compression ratio and count; a PDF's pages).

The child returns the importer's plain ``ParsedFile``; the bot process (the only writer)
applies it in one batched write. Pure core: no telegram import.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import resource
import threading
import time
from dataclasses import dataclass

from bot.config import Uploads
from bot.importer import ParsedFile, parse_document, sha256
from bot.limits import MB, REFUSED

log = logging.getLogger(__name__)

CONCURRENT_WORKERS = 2  # parses at once; more uploads wait their turn
# imported once in the forkserver, so a worker does not import them per upload (a missing
# optional one is skipped by multiprocessing)
PRELOAD = ["bot.uploads", "pypdf", "openpyxl", "charset_normalizer", "lxml.etree"]


def parse_bounded(data: bytes, filename: str, limits: Uploads) -> ParsedFile:
    """What the worker process runs: the importer's parse step, limits first."""
    return parse_document(data, filename, limits)


def _limit_memory(megabytes: int) -> None:
    """RLIMIT_AS: this process's current address space plus ``megabytes``."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            size_kb = next(int(line.split()[1]) for line in status if line.startswith("VmSize:"))
        limit = size_kb * 1024 + megabytes * MB
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (OSError, StopIteration, ValueError) as exc:  # no /proc: the time limit still holds
        log.warning("upload worker: no memory limit (%s)", exc)


def _child(conn, data: bytes, filename: str, limits: Uploads, hold, parse) -> None:
    """Entry point of the worker process: answer ("ok", ParsedFile, peak KiB) or ("error", …).
    ``parse`` is ``parse_bounded`` (tests pass a slow or greedy one, by reference)."""
    if hold is not None:
        hold.wait()  # tests hold the worker here to show the bot answers meanwhile
    _limit_memory(limits.memory_mb)
    try:
        result: tuple = ("ok", parse(data, filename, limits))
    except MemoryError:
        result = ("error", f"{REFUSED}解析所需内存超过上限 {limits.memory_mb} MB")
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which logs it
        result = ("error", f"内部错误（{exc.__class__.__name__}），已记录日志")
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        conn.send((*result, peak_kb))
    except MemoryError:
        conn.send(("error", f"{REFUSED}解析所需内存超过上限 {limits.memory_mb} MB", peak_kb))
    conn.close()


@dataclass
class WorkerRun:
    """What one parse cost (for logs and the bench)."""

    seconds: float = 0.0
    peak_kb: int = 0  # the worker process's peak resident memory
    outcome: str = ""  # ok | refused | timeout | crashed | error


class UploadWorker:
    """Parses uploads in worker processes: ``await worker.parse(data, filename)``."""

    _context = None

    def __init__(self, limits: Uploads):
        self.limits = limits
        self.hold = None  # a multiprocessing Event the children wait on (tests)
        self.parse_function = parse_bounded  # what the child runs (a module-level function)
        self.started = asyncio.Event()  # set when a child has been started (tests)
        self.last = WorkerRun()
        self._slots = asyncio.Semaphore(CONCURRENT_WORKERS)

    @classmethod
    def context(cls):
        """One forkserver for the process, its parsers imported once."""
        if cls._context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(PRELOAD)
            cls._context = context
        return cls._context

    def new_hold(self):
        """Make the next children wait until ``hold.set()`` (tests)."""
        self.hold = self.context().Event()
        return self.hold

    async def parse(self, data: bytes, filename: str) -> ParsedFile:
        async with self._slots:
            started = threading.Event()
            waiting = asyncio.ensure_future(asyncio.to_thread(self._run, data, filename, started))
            await asyncio.to_thread(started.wait)
            self.started.set()
            parsed, run = await waiting
            self.last = run
            log.info("upload %s parsed in %.2f s, worker peak %d KiB: %s", filename, run.seconds,
                     run.peak_kb, run.outcome)
            return parsed

    def _run(self, data: bytes, filename: str, started: threading.Event) -> tuple[ParsedFile, WorkerRun]:
        """In a thread: start the child, wait for its answer or the time limit, clean up."""
        limits, run = self.limits, WorkerRun()
        receiver, sender = self.context().Pipe(duplex=False)
        child = self.context().Process(target=_child, args=(sender, data, filename, limits, self.hold,
                                                                  self.parse_function),
                                       name=f"upload-worker {filename}", daemon=True)
        begin = time.monotonic()
        try:
            child.start()
        finally:
            started.set()
        sender.close()
        try:
            if self.hold is not None:
                self.hold.wait()  # the time limit starts when the held child may run
                begin = time.monotonic()
            answer = None
            if receiver.poll(limits.timeout_seconds):
                try:
                    answer = receiver.recv()
                except (EOFError, OSError):
                    answer = None  # the child died without answering
            run.seconds = time.monotonic() - begin
            if answer is None and child.is_alive():
                child.kill()
                run.outcome = "timeout"
                error = f"{REFUSED}解析超过 {limits.timeout_seconds} 秒仍未完成"
                return ParsedFile(filename, sha256(data), error=error), run
            if answer is None:
                child.join(5)
                run.outcome = "crashed"
                log.error("upload worker for %s died (exit code %s)", filename, child.exitcode)
                error = f"{REFUSED}解析进程异常退出（可能超过内存上限 {limits.memory_mb} MB）"
                return ParsedFile(filename, sha256(data), error=error), run
            kind, payload, run.peak_kb = answer
            if kind == "ok":
                run.outcome = "refused" if payload.error and payload.error.startswith(REFUSED) else "ok"
                return payload, run
            run.outcome = "error"
            log.error("upload worker for %s: %s", filename, payload)
            return ParsedFile(filename, sha256(data), error=payload), run
        finally:
            receiver.close()
            child.join(5)
            if child.is_alive():
                child.kill()
                child.join(5)
            child.close()

