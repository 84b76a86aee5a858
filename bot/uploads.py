"""Bounded uploads, parsed off the event loop: worker processes, with limits.

A chat upload is parsed in a child process of its own (``multiprocessing``'s forkserver: a clean, single-
threaded process forked from a server that has the parsers imported), so that

- the bot's event loop keeps answering chats and sending reminders meanwhile (the parent waits
  for the child in a thread);
- a time limit can stop it (the parent kills the child after ``timeout_seconds``) and a memory
  limit too (``RLIMIT_AS`` set in the child: its allocation fails, it reports and exits);
- cheap checks refuse a bomb before anything is decompressed (``bot.limits``: zip members'
  stated sizes, compression ratio and count; a PDF's pages).

The CLI's ``import`` parses its files one after another in one such process (``session()``),
under the same limits, a new process replacing one that was stopped or ran out of memory.

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


def _peak_kb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _child(conn, limits: Uploads, hold, parse) -> None:
    """Entry point of the worker process: parse each ``(data, filename)`` it is sent, answering
    ("ok", ParsedFile, peak KiB) or ("error", message, peak KiB), until it is sent None. Once out
    of memory it answers and exits (a new process takes the next file).
    ``parse`` is ``parse_bounded`` (tests pass a slow or greedy one, by reference)."""
    if hold is not None:
        hold.wait()  # tests hold the worker here to show the bot answers meanwhile
    _limit_memory(limits.memory_mb)
    out_of_memory = ("error", f"{REFUSED}解析所需内存超过上限 {limits.memory_mb} MB")
    while True:
        try:
            job = conn.recv()
            if job is None:
                return
            result: tuple = ("ok", parse(*job, limits))
        except (EOFError, OSError):
            return
        except MemoryError:  # the file alone, or its parse: the heap is not to be trusted now
            job = None
            conn.send((*out_of_memory, _peak_kb()))
            return
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which logs it
            result = ("error", f"内部错误（{exc.__class__.__name__}），已记录日志")
        job = None
        try:
            conn.send((*result, _peak_kb()))
        except MemoryError:
            conn.send((*out_of_memory, _peak_kb()))
            return


@dataclass
class WorkerRun:
    """What one parse cost (for logs and the bench)."""

    seconds: float = 0.0
    peak_kb: int = 0  # the worker process's peak resident memory
    outcome: str = ""  # ok | refused | timeout | crashed | error


class WorkerSession:
    """Files parsed one after another in a worker process, each under the time limit (blocking:
    the CLI calls it directly, the bot from a thread). A fresh process replaces one that was
    stopped (time limit), died, or ran out of memory; a file refused for memory by a process that
    had parsed others is tried once more in a fresh one, so the limit means the same as in chat."""

    def __init__(self, worker: "UploadWorker"):
        self.worker = worker
        self.last = WorkerRun()
        self._child = self._conn = None
        self._parsed = 0  # files the current process has parsed

    def __enter__(self) -> "WorkerSession":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def parse(self, data: bytes, filename: str, started: threading.Event | None = None) -> ParsedFile:
        """The file's ParsedFile (``error`` says why when a limit refused it); ``started`` is set
        once its worker process runs."""
        parsed, self.last = self._parse(data, filename, started)
        spent = self.last.outcome == "crashed" or parsed.error == self._out_of_memory
        if spent and self._parsed:  # perhaps the fault of the heap the earlier files left
            self.close()
            parsed, self.last = self._parse(data, filename, None)
            spent = self.last.outcome == "crashed" or parsed.error == self._out_of_memory
        if spent:
            self.close()  # dead, or its heap is not to be trusted: the next file gets a new one
        else:
            self._parsed += 1
        log.info("upload %s parsed in %.2f s, worker peak %d KiB: %s", filename, self.last.seconds,
                 self.last.peak_kb, self.last.outcome)
        return parsed

    @property
    def _out_of_memory(self) -> str:
        return f"{REFUSED}解析所需内存超过上限 {self.worker.limits.memory_mb} MB"

    def _start(self) -> None:
        worker = self.worker
        context = worker.context()
        self._conn, child_end = context.Pipe()
        self._child = context.Process(target=_child, args=(child_end, worker.limits, worker.hold,
                                                           worker.parse_function),
                                      name="upload-worker", daemon=True)
        try:
            self._child.start()
        finally:
            child_end.close()
        self._parsed = 0

    def _parse(self, data: bytes, filename: str, started: threading.Event | None) -> tuple[ParsedFile, WorkerRun]:
        limits, run = self.worker.limits, WorkerRun()
        try:
            if self._child is None:
                self._start()
        finally:
            if started is not None:
                started.set()
        hold = self.worker.hold
        begin = time.monotonic()
        answer = None
        try:
            self._conn.send((data, filename))
            if hold is not None:
                hold.wait()  # the time limit starts when the held child may run
                begin = time.monotonic()
            if self._conn.poll(limits.timeout_seconds):
                answer = self._conn.recv()
        except (EOFError, OSError):
            answer = None  # the child died without answering
        run.seconds = time.monotonic() - begin
        if answer is None and self._child.is_alive():
            self._child.kill()
            self.close()
            run.outcome = "timeout"
            return ParsedFile(filename, sha256(data), error=f"{REFUSED}解析超过 {limits.timeout_seconds} 秒仍未完成"), run
        if answer is None:
            self._child.join(5)
            run.outcome = "crashed"
            log.error("upload worker for %s died (exit code %s)", filename, self._child.exitcode)
            error = f"{REFUSED}解析进程异常退出（可能超过内存上限 {limits.memory_mb} MB）"
            return ParsedFile(filename, sha256(data), error=error), run
        kind, payload, run.peak_kb = answer
        if kind == "ok":
            run.outcome = "refused" if payload.error and payload.error.startswith(REFUSED) else "ok"
            return payload, run
        run.outcome = "refused" if payload == self._out_of_memory else "error"
        if run.outcome == "error":
            log.error("upload worker for %s: %s", filename, payload)
        return ParsedFile(filename, sha256(data), error=payload), run

    def close(self) -> None:
        """Stop the worker process (it finishes nothing more)."""
        child, conn, self._child, self._conn = self._child, self._conn, None, None
        if child is None:
            return
        try:
            if child.is_alive():
                conn.send(None)
        except OSError:
            pass
        conn.close()
        child.join(5)
        if child.is_alive():
            child.kill()
            child.join(5)
        child.close()


class UploadWorker:
    """Parses uploads in worker processes: ``await worker.parse(data, filename)`` in the bot (a
    new process per upload); ``with worker.session() as s: s.parse(data, filename)`` for many
    files in turn (the CLI's import)."""

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

    def session(self) -> WorkerSession:
        return WorkerSession(self)

    async def parse(self, data: bytes, filename: str) -> ParsedFile:
        async with self._slots:
            started = threading.Event()
            waiting = asyncio.ensure_future(asyncio.to_thread(self._parse_one, data, filename, started))
            await asyncio.to_thread(started.wait)
            self.started.set()
            parsed, self.last = await waiting
            return parsed

    def _parse_one(self, data: bytes, filename: str, started: threading.Event) -> tuple[ParsedFile, WorkerRun]:
        """In a thread: one upload in a process of its own."""
        with self.session() as session:
            return session.parse(data, filename, started), session.last
