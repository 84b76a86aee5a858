"""Delivering reminders exactly once, deep-link tokens, and the admins' daily digest.

Pure core: no telegram import. The wiring injects ``send(chat_id, text)`` (wrapping PTB's
``bot.send_message(chat_id, text, parse_mode=HTML)``) and translates PTB's exceptions into the
ones below (or passes ``classify=``):

    RetryAfter → RetryLater(retry_after)   Forbidden → Blocked
    BadRequest, ChatMigrated → PermanentError (test BadRequest first: it subclasses NetworkError)
    TimedOut, NetworkError → TransientError   anything else → PermanentError

The delivery ledger
-------------------
A small file beside the database (``side_path(db, "ledger")``) plus an append-only journal
next to it (``….ledger.json.journal``): one JSON line per state change, ``write`` + ``flush``
each line, ``fsync`` before every send. The snapshot is rewritten atomically only by
``compact`` (which also prunes entries of items no longer open, and superseded steps), so the
cost of a send is one short append and one fsync, whatever the ledger's size.

Entries are keyed ``(proposal_id, step, recipient, cycle)`` (``Ping.key``) and move
``sending`` → ``sent`` | ``failed`` | ``blocked`` | ``uncertain``. Beside them the ledger keeps
a tally per day (sent, resent, unconfirmed, lost) for the admins' digest.

Policy (the Bot API's sendMessage is not idempotent, so no scheme is exactly-once across every
crash; a missed deadline ping costs more than a marked duplicate, so the rule is: never a
silent duplicate, never a silent loss):
- a ping already ``sent`` is never sent again (restart, second sweep, retry, catch-up);
- ``sending`` is written (and fsynced) before the request and ``sent`` after it, one message
  at a time. A ping whose delivery could not be confirmed may or may not have reached the
  recipient: the process died mid-send (a new Ledger finds it ``sending``), or the request
  went out but Telegram's answer was lost (``Unconfirmed``: read timeout, dropped connection,
  unreadable answer). Such a ping is *uncertain*; it is sent again **marked 「补发」**
  (``resend_mark``), at most ``max_resends`` times (then it stays ``uncertain`` and is
  reported, never sent again). Every later send of a ping that was once uncertain carries
  the mark, so a recipient never sees an unmarked duplicate. The admins are told (未确认), and
  the digest counts the resends;
- several pings for one recipient in one run (``bundle_from``, default 3) go as one combined
  message, most urgent first, so a handler with 20 overdue items gets one message, not 20
  (and Telegram's per-chat flood limit is not hit);
- within one attempt: 429 waits ``retry_after`` and retries; network errors, timeouts before
  the request was out and 5xx retry with exponential backoff; after ``max_attempts`` the entry
  is ``failed`` and planned again by the next run (the wiring schedules same-day retry rounds
  with backoff until the day ends, then reports what is still undelivered as lost). A
  permanent error (bad request, chat not found) is ``failed`` for good and reported once.
- Forbidden (the user blocked the bot) marks the entry and the recipient ``blocked``: no more
  pings to that chat until ``unblock(chat_id)`` (call it when the user writes to the bot again).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from bot import import_summary
from bot.config import Config
from bot.deadlines import (
    SYSTEM,
    Ping,
    WorkCalendar,
    chain_of,
    due_date_of,
    open_proposal_ids,
    plan_sweep,
)
from bot.model import ASSIGNED, FOLLOW_UP, HANDLING, REOPENED, Proposal, Reply
from bot.numbers import number_order
from bot.render import esc, number_label
from bot.storage import StorageError, atomic_write
from bot.units import UnitRegistry

log = logging.getLogger(__name__)

SENDING, SENT, FAILED, BLOCKED, UNCERTAIN = "sending", "sent", "failed", "blocked", "uncertain"

Key = tuple  # (proposal_id, step, recipient, cycle)
TALLY_DAYS = 40  # days of delivery figures kept in the snapshot


# -- what a send can raise -------------------------------------------------------------------

class DeliveryError(Exception):
    """Base of the errors an injected ``send`` raises (translated from PTB or httpx)."""


class RetryLater(DeliveryError):
    """Flood control (HTTP 429): wait ``retry_after`` seconds, then the same request may go."""

    def __init__(self, retry_after: float | timedelta, message: str = ""):
        seconds = retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
        super().__init__(message or f"retry after {seconds:g}s")
        self.retry_after = seconds


class TransientError(DeliveryError):
    """Network error, timeout, 5xx: retry with backoff."""


class Unconfirmed(DeliveryError):
    """The request reached the server but its answer was lost (read timeout, connection
    dropped after the request was written, unreadable answer): it may have been delivered."""


class Blocked(DeliveryError):
    """The user blocked the bot or left (HTTP 403): do not try again."""


class PermanentError(DeliveryError):
    """Bad request, chat not found, …: retrying the same request cannot help."""


def default_classify(exc: BaseException) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return TransientError(str(exc) or exc.__class__.__name__)
    return PermanentError(f"{exc.__class__.__name__}: {exc}")


# -- the ledger ---------------------------------------------------------------------------------

def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _key(raw: Iterable) -> Key:
    return tuple(raw)


class Ledger:
    """Which pings went out. See the module docstring for the policy."""

    def __init__(
        self,
        path: str | os.PathLike,
        *,
        clock: Callable[[], datetime] = _utcnow,
        resend_uncertain: bool = True,
        max_resends: int = 3,
        compact_every: int = 20_000,
    ):
        self.path = Path(path)
        self.journal_path = self.path.with_name(self.path.name + ".journal")
        self.clock = clock
        self.resend_uncertain = resend_uncertain
        self.max_resends = max_resends
        self.compact_every = compact_every
        self._entries: dict[Key, dict[str, Any]] = {}
        self._blocked: dict[Any, str] = {}
        self._tally: dict[str, dict[str, int]] = {}  # day → {"sent": n, "resent": n, …}
        self._inflight: set[Key] = set()
        self._journal_lines = 0
        self._seq = 0
        torn = self._load()
        self._seq = max((e.get("q", 0) for e in self._entries.values()), default=0)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._journal = open(self.journal_path, "a", encoding="utf-8")
        if torn:
            self.compact()

    # loading --------------------------------------------------------------------------------

    def _load(self) -> bool:
        if self.path.exists():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8") or "{}")
                for raw_key, entry in data.get("entries", []):
                    self._entries[_key(raw_key)] = entry
                for recipient, at in data.get("blocked", []):
                    self._blocked[recipient] = at
                self._tally.update(data.get("tally", {}))
            except (OSError, UnicodeDecodeError, ValueError, TypeError) as exc:
                raise StorageError(
                    f"提醒记录文件无法读取：{self.path}（{exc.__class__.__name__}: {exc}）。"
                    "为避免重复发送提醒，程序不会启动；请修复或删除该文件。"
                ) from exc
        torn = False
        if self.journal_path.exists():
            lines = self.journal_path.read_text(encoding="utf-8", errors="replace").split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            else:
                torn = bool(lines)  # no final newline: the last write was cut short
            for number, line in enumerate(lines):
                try:
                    self._replay(json.loads(line))
                    self._journal_lines += 1
                except (ValueError, TypeError, KeyError):
                    torn = True
                    if number != len(lines) - 1:
                        log.warning("ledger journal %s: skipped bad line %d", self.journal_path, number + 1)
        for key, entry in self._entries.items():
            if entry.get("s") == SENDING:  # a send was cut short by a crash
                entry["s"] = UNCERTAIN
        return torn

    def _replay(self, record: dict[str, Any]) -> None:
        if "T" in record:  # a tally riding on an entry
            day, counts = record.pop("T")
            self._tally[day] = dict(counts)
        if "k" in record:
            key = _key(record["k"])
            entry = {k: v for k, v in record.items() if k != "k"}
            self._entries[key] = entry
        elif "block" in record:
            self._blocked[record["block"]] = record.get("t", "")
        elif "unblock" in record:
            self._blocked.pop(record["unblock"], None)
        elif "tally" in record:
            self._tally[record["tally"]] = dict(record["c"])
        else:
            raise KeyError("unknown journal record")

    # writing ----------------------------------------------------------------------------------

    def _append(self, record: dict[str, Any], sync: bool) -> None:
        self._journal.write(json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n")
        self._journal.flush()
        if sync:
            os.fsync(self._journal.fileno())
        self._journal_lines += 1

    def _set(self, key: Key, sync: bool, tally: str | None = None, tally_day: date | None = None,
             **entry: Any) -> None:
        """Write an entry; ``tally`` counts it in the day's figures in the same journal line,
        so a crash cannot leave the entry and the figures disagreeing."""
        entry["t"] = self.clock().isoformat(timespec="seconds")
        self._seq += 1
        entry["q"] = self._seq
        self._entries[key] = entry
        record = {"k": list(key), **entry}
        if tally:
            day, counts = self._counted(tally, 1, tally_day)
            record["T"] = [day, counts]
        self._append(record, sync)

    def sync(self) -> None:
        """Make every line written so far durable (one fsync)."""
        self._journal.flush()
        os.fsync(self._journal.fileno())

    # queries ----------------------------------------------------------------------------------

    def status(self, key: Key) -> str | None:
        entry = self._entries.get(tuple(key))
        return entry.get("s") if entry else None

    def entry(self, key: Key) -> dict[str, Any] | None:
        entry = self._entries.get(tuple(key))
        return dict(entry) if entry else None

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, key: object) -> bool:
        """True when the ping must not be planned again (plan_sweep's ``sent=``)."""
        entry = self._entries.get(key)  # type: ignore[arg-type]
        if key in self._inflight:
            return True
        if isinstance(key, tuple) and len(key) > 2 and key[2] in self._blocked:
            return True
        if entry is None:
            return False
        return self._decide(entry) != "send"

    def planning_view(self) -> tuple[set[Key], set[Any]]:
        """(keys not to plan again, blocked recipients) as plain sets, for plan_sweep: the same
        answers as ``in``, computed once per sweep."""
        keys = {key for key, entry in self._entries.items() if self._decide(entry) != "send"}
        keys |= self._inflight
        return keys, set(self._blocked)

    def _decide(self, entry: dict[str, Any]) -> str:
        status = entry.get("s")
        if status in (SENT, BLOCKED):
            return status
        if status == UNCERTAIN:
            return "send" if self.resend_uncertain and entry.get("u", 0) < self.max_resends else UNCERTAIN
        if status == FAILED and entry.get("p"):
            return "gave_up"  # a permanent error: the same request cannot succeed
        return "send"

    def is_blocked(self, recipient: Any) -> bool:
        return recipient in self._blocked

    def blocked_recipients(self) -> list[Any]:
        return list(self._blocked)

    def uncertain(self) -> list[Key]:
        return [k for k, e in self._entries.items() if e.get("s") == UNCERTAIN]

    # the send protocol ------------------------------------------------------------------------

    def peek(self, key: Key) -> str:
        """What ``claim`` would answer, without claiming."""
        key = tuple(key)
        if key in self._inflight:
            return "inflight"
        if len(key) > 2 and key[2] in self._blocked:
            return BLOCKED
        entry = self._entries.get(key)
        return "send" if entry is None else self._decide(entry)

    def claim(self, key: Key, *, sync: bool = True) -> str:
        """Before a send: "send" (``sending`` is written, and fsynced unless ``sync=False``:
        then call ``sync()`` before sending), or why not: "sent", "inflight", "blocked",
        "uncertain", "gave_up". Claiming an uncertain ping counts a resend (``resends``): its
        text must then carry the 「补发」 mark."""
        key = tuple(key)
        decision = self.peek(key)
        if decision != "send":
            return decision
        entry = self._entries.get(key)
        uncertain_resends = sweeps = 0
        if entry is not None:
            uncertain_resends = entry.get("u", 0) + (1 if entry.get("s") == UNCERTAIN else 0)
            sweeps = entry.get("n", 0)
        self._inflight.add(key)
        self._set(key, sync, s=SENDING, n=sweeps + 1, u=uncertain_resends)
        return "send"

    def resends(self, key: Key) -> int:
        """How many marked resends of this ping were claimed (0: it goes unmarked)."""
        entry = self._entries.get(tuple(key))
        return entry.get("u", 0) if entry else 0

    def resend(self, key: Key) -> bool:
        """The answer to an in-flight send was lost: claim one marked resend now (``sending``
        fsynced, the resend counted), or False when ``max_resends`` are used up."""
        key = tuple(key)
        entry = self._entries.get(key, {})
        if not self.resend_uncertain or entry.get("u", 0) >= self.max_resends:
            return False
        self._set(key, True, s=SENDING, n=entry.get("n", 1), u=entry.get("u", 0) + 1)
        return True

    def finish(self, key: Key, status: str, error: str | None = None, *, permanent: bool = False) -> None:
        """After a send: ``sent``, ``failed``, ``blocked`` or ``uncertain`` (written, not yet
        fsynced: the next claim's fsync or ``sync()`` covers it; a process crash loses nothing
        already written). A ``permanent`` failure is not retried."""
        key = tuple(key)
        previous = self._entries.get(key, {})
        entry: dict[str, Any] = {"s": status, "n": previous.get("n", 1), "u": previous.get("u", 0)}
        if error:
            entry["e"] = error[:300]
        if permanent:
            entry["p"] = 1
        tally = None
        if status == SENT and key[0] != SYSTEM:  # the tally counts reminders, not notices
            tally = "resent" if entry["u"] else "sent"
        self._set(key, False, tally, **entry)
        self._inflight.discard(key)
        if status == BLOCKED and len(key) > 2:
            self.block(key[2])

    def cover(self, key: Key, by_step: str) -> None:
        """Record a ping as done without sending it: another message stood for it (an import's
        summary stands for its items' escalations). Not counted in the day's tally."""
        self._set(tuple(key), False, s=SENT, n=0, u=0, by=by_step)

    def stale_failures(self, today: date) -> dict[date, list[Key]]:
        """Reminders that failed on an earlier day and were never reported lost (the bot was
        down when their day ended), by day."""
        stale: dict[date, list[Key]] = defaultdict(list)
        for key, entry in self._entries.items():
            if (entry.get("s") == FAILED and not entry.get("p") and not entry.get("l")
                    and key[0] != SYSTEM and entry.get("t", "")[:10] < today.isoformat()):
                stale[date.fromisoformat(entry["t"][:10])].append(key)
        return dict(stale)

    def mark_lost(self, keys: Iterable[Key], day: date) -> list[Key]:
        """Failed reminders whose day ended undelivered: each counted once as lost on ``day``
        (a later plan may still send the step; the entry keeps failing-then-sent history)."""
        marked = []
        for key in map(tuple, keys):
            entry = self._entries.get(key)
            if entry is None or entry.get("s") != FAILED or entry.get("l"):
                continue
            fields = {k: v for k, v in entry.items() if k not in ("t", "q")}
            self._set(key, False, "lost", day, **fields, l=1)
            marked.append(key)
        return marked

    # the daily tally ------------------------------------------------------------------------------

    def count(self, kind: str, n: int = 1, day: date | None = None) -> None:
        """Add to the day's tally (default: the ledger clock's day): sent, resent (sent marked
        「补发」), unconfirmed (an answer lost), lost (still undelivered when the day ended)."""
        if n > 0:
            stamp, counts = self._counted(kind, n, day)
            self._append({"tally": stamp, "c": counts}, False)

    def _counted(self, kind: str, n: int, day: date | None = None) -> tuple[str, dict[str, int]]:
        stamp = (day or self.clock().date()).isoformat()
        counts = self._tally.setdefault(stamp, {})
        counts[kind] = counts.get(kind, 0) + n
        return stamp, dict(counts)

    def tally(self, day: date) -> dict[str, int]:
        return dict(self._tally.get(day.isoformat(), {}))

    def abandon(self, key: Key) -> None:
        """The send was cancelled mid-flight: its outcome is unknown."""
        key = tuple(key)
        self._inflight.discard(key)
        entry = self._entries.get(key)
        if entry is not None and entry.get("s") == SENDING:
            entry["s"] = UNCERTAIN

    def block(self, recipient: Any) -> None:
        if recipient not in self._blocked:
            self._blocked[recipient] = self.clock().isoformat(timespec="seconds")
            self._append({"block": recipient, "t": self._blocked[recipient]}, False)

    def unblock(self, recipient: Any) -> bool:
        """The user is back (wrote to the bot, re-linked): pings may go to them again."""
        if recipient not in self._blocked:
            return False
        del self._blocked[recipient]
        self._append({"unblock": recipient}, True)
        return True

    # housekeeping -----------------------------------------------------------------------------

    def compact(self, open_ids: Iterable[int] | None = None) -> int:
        """Rewrite the snapshot atomically and empty the journal. With ``open_ids`` (see
        ``deadlines.open_proposal_ids``) drop entries of items no longer open; always drop steps
        superseded by a later step of the same chain (a countdown only moves forward, so an
        earlier step can never be planned again). Returns the number of entries dropped."""
        before = len(self._entries)
        keep_ids = set(open_ids) if open_ids is not None else None
        latest: dict[tuple, tuple[str, Key]] = {}
        drop: set[Key] = set()
        for key, entry in self._entries.items():
            pid, step, recipient, cycle = key
            if key in self._inflight or entry.get("s") in (SENDING, UNCERTAIN):
                continue
            if keep_ids is not None and pid != SYSTEM and pid not in keep_ids:
                drop.add(key)
                continue
            chain = chain_of(step)
            if chain in ("deadline", "co", "followup"):
                group = (pid, recipient, chain)
                stamp = (cycle, entry.get("q", 0))
                seen = latest.get(group)
                if seen is None:
                    latest[group] = (stamp, key)
                elif stamp > seen[0]:
                    drop.add(seen[1])
                    latest[group] = (stamp, key)
                else:
                    drop.add(key)
        # escalations of older cycles go too: the cycle is the deadline, only the latest matters
        newest_cycle: dict[tuple, str] = {}
        for key in self._entries:
            if key[1] == "escalate" and key not in drop:
                group = (key[0], key[2])
                newest_cycle[group] = max(newest_cycle.get(group, ""), key[3])
        for key in list(self._entries):
            if key[1] == "escalate" and key[3] < newest_cycle.get((key[0], key[2]), ""):
                drop.add(key)
        for key in drop:
            self._entries.pop(key, None)
        payload = {
            "version": 1,
            "entries": [[list(k), e] for k, e in self._entries.items()],
            "blocked": [[r, t] for r, t in self._blocked.items()],
            "tally": {day: self._tally[day] for day in sorted(self._tally)[-TALLY_DAYS:]},
        }
        atomic_write(self.path, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
        self._journal.close()
        self._journal = open(self.journal_path, "w", encoding="utf-8")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        self._journal_lines = 0
        return before - len(self._entries)

    def maybe_compact(self) -> None:
        if self._journal_lines >= self.compact_every:
            self.compact()

    def close(self) -> None:
        if not self._journal.closed:
            self.sync()
            self._journal.close()


# -- delivery -------------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: list[Ping] = field(default_factory=list)
    skipped_already_sent: list[Ping] = field(default_factory=list)  # sent before, or in flight
    failed: list[tuple[Ping, str]] = field(default_factory=list)  # this run; retried unless permanent
    permanent: list[Ping] = field(default_factory=list)  # of the failed: not retried
    skipped_failed: list[Ping] = field(default_factory=list)  # failed for good earlier
    blocked: list[Ping] = field(default_factory=list)  # newly blocked in this run
    skipped_blocked: list[Ping] = field(default_factory=list)  # recipient known to block us
    unconfirmed: list[Ping] = field(default_factory=list)  # an answer lost in this run
    uncertain: list[Ping] = field(default_factory=list)  # resends used up: not sent again
    resent_uncertain: list[Ping] = field(default_factory=list)  # sent marked 「补发」
    skipped_no_channel: list[Ping] = field(default_factory=list)  # webhook ping, no sender

    @property
    def retrying(self) -> list[Ping]:
        """Failed pings a later run may still deliver (not permanent)."""
        permanent = {p.key for p in self.permanent}
        return [p for p, _ in self.failed if p.key not in permanent]

    def admin_notice(self, *, retry_round: bool = False) -> str | None:
        """HTML for the admins when something needs a person: None when all went well. A retry
        round does not repeat that pings are being retried."""
        lines = []
        if self.blocked:
            lines.append(f"⚠ {len(self.blocked)} 条提醒未送达：对方已屏蔽机器人")
            lines += _who_lines(self.blocked)
        retrying = self.retrying
        if retrying and not retry_round:
            lines.append(f"⚠ {len(retrying)} 条提醒发送失败，今天稍后自动重试")
            reasons = dict((p.key, r) for p, r in self.failed)
            for ping in retrying[:10]:
                lines.append(f"· {esc(ping.who or ping.recipient)} · {esc(ping.step)} · {esc(reasons[ping.key][:100])}")
        if self.permanent:
            reasons = dict((p.key, r) for p, r in self.failed)
            lines.append(f"⚠ {len(self.permanent)} 条提醒被 Telegram 拒绝，无法发送（不再重试）")
            for ping in self.permanent[:10]:
                lines.append(f"· {esc(ping.who or ping.recipient)} · {esc(ping.step)} · {esc(reasons[ping.key][:100])}")
        if self.unconfirmed:
            lines.append(f"⚠ {len(self.unconfirmed)} 条提醒已发出，但未收到 Telegram 的确认（未确认）；"
                         f"已标注「补发」重发，收件人可能收到两次")
            lines += _who_lines(self.unconfirmed)
        if self.uncertain:
            lines.append(f"⚠ {len(self.uncertain)} 条提醒未确认送达，已多次补发仍无法确认，不再补发，请人工核实")
            lines += _who_lines(self.uncertain)
        return "\n".join(lines) if lines else None

    def __str__(self) -> str:
        return (f"sent={len(self.sent)} skipped={len(self.skipped_already_sent)} "
                f"failed={len(self.failed)} permanent={len(self.permanent)} blocked={len(self.blocked)} "
                f"skipped_blocked={len(self.skipped_blocked)} unconfirmed={len(self.unconfirmed)} "
                f"uncertain={len(self.uncertain)} resent_uncertain={len(self.resent_uncertain)}")


def _who_lines(pings: list[Ping], limit: int = 10) -> list[str]:
    names = sorted({p.who or str(p.recipient) for p in pings})
    lines = [f"· {esc(who)}" for who in names[:limit]]
    if len(names) > limit:
        lines.append(f"……另有 {len(names) - limit} 人")
    return lines


RESEND_MARK = "【补发】"
RESEND_NOTE = "（此提醒此前可能已送达，如已收到请忽略。）"


def resend_mark(text: str) -> str:
    """A resend of a ping that may already have arrived: never an unmarked duplicate."""
    return f"{RESEND_MARK}{text}\n{RESEND_NOTE}"


Send = Callable[[Any, str], Awaitable[Any]]


async def deliver(
    pings: Iterable[Ping],
    send: Send,
    ledger: Ledger,
    *,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    max_attempts: int = 5,
    webhook_send: Send | None = None,
    classify: Callable[[BaseException], DeliveryError | None] | None = None,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    pace: float = 0.0,
    bundle_from: int | None = 3,
) -> DeliveryReport:
    """Send each ping at most once per the ledger, one message at a time.

    ``send(chat_id, html_text)`` delivers to Telegram; ``webhook_send(unit, html_text)`` to a
    unit's group robot (pings whose recipient is ``"webhook:<unit>"``). A recipient with
    ``bundle_from`` or more pings in this run gets them combined (one message per
    ``BUNDLE_CHARS`` of text) instead of a burst of messages; ``None`` turns that off.
    ``clock`` (if given) replaces the ledger's clock for timestamps; ``pace`` seconds are
    slept between messages. Retries: 429 waits ``retry_after`` (up to ``3 * max_attempts``
    times); network errors, timeouts and 5xx back off exponentially (``base_delay`` doubling,
    at most ``max_delay``), ``max_attempts`` tries in all.
    """
    if clock is not None:
        ledger.clock = clock
    report = DeliveryReport()
    by_recipient: dict[Any, list[Ping]] = {}
    seen: set[Key] = set()
    for ping in pings:
        if ping.key in seen:  # the same ping twice in one list
            continue
        seen.add(ping.key)
        if isinstance(ping.recipient, str) and webhook_send is None:
            done = ledger.status(ping.key) == SENT
            (report.skipped_already_sent if done else report.skipped_no_channel).append(ping)
            continue
        decision = ledger.peek(ping.key)
        if decision != "send":
            _skip(report, ping, decision)
            continue
        by_recipient.setdefault(ping.recipient, []).append(ping)
    messages: list[list[Ping]] = []
    for recipient, group in by_recipient.items():
        if bundle_from and len(group) >= bundle_from:
            messages.extend(_bundles(group))
        else:
            messages.extend([ping] for ping in group)
    first = True
    try:
        for message in messages:
            claimed = []
            for ping in message:
                decision = ledger.claim(ping.key, sync=False)
                if decision == "send":
                    claimed.append(ping)
                else:  # changed since peek (a concurrent deliver, or blocked meanwhile)
                    _skip(report, ping, decision)
            if not claimed:
                continue
            ledger.sync()  # "sending" is durable before the request leaves
            if pace and not first:
                await sleep(pace)
            first = False
            recipient = claimed[0].recipient
            target, sender = recipient, send
            if isinstance(recipient, str):
                target, sender = recipient.split(":", 1)[1], webhook_send
            await _send_message(claimed, target, sender, ledger, report, sleep, max_attempts,
                                classify, base_delay, max_delay)
    finally:
        ledger.sync()
        ledger.maybe_compact()
    return report


BUNDLE_CHARS = 3500  # of HTML source per combined message (Telegram allows 4096 characters)


def _skip(report: DeliveryReport, ping: Ping, decision: str) -> None:
    if decision in (SENT, "inflight"):
        report.skipped_already_sent.append(ping)
    elif decision == BLOCKED:
        report.skipped_blocked.append(ping)
    elif decision == UNCERTAIN:
        report.uncertain.append(ping)
    elif decision == "gave_up":
        report.skipped_failed.append(ping)


def _bundles(group: list[Ping]) -> list[list[Ping]]:
    """Most urgent first (escalations, overdue, due), cut to fit one message each."""
    def urgency(ping: Ping) -> tuple:
        step = ping.step
        rank = 0 if step == "escalate" else 1 if "overdue" in step else 3 if step.startswith("followup") else 2
        return (rank, ping.cycle, ping.proposal_id)

    bundles: list[list[Ping]] = []
    current: list[Ping] = []
    size = 0
    for ping in sorted(group, key=urgency):
        if current and size + len(ping.text) + 2 > BUNDLE_CHARS:
            bundles.append(current)
            current, size = [], 0
        current.append(ping)
        size += len(ping.text) + 2
    if current:
        bundles.append(current)
    return bundles


def message_text(pings: list[Ping], marked: set[Key] = frozenset()) -> str:
    """One ping's text, or a bundle; pings in ``marked`` carry the 「补发」 mark."""
    if len(pings) == 1:
        ping = pings[0]
        return resend_mark(ping.text) if ping.key in marked else ping.text
    return bundle_text(pings, marked)


def bundle_text(pings: list[Ping], marked: set[Key] = frozenset()) -> str:
    resent = sum(1 for p in pings if p.key in marked)
    head = f"📋 {len(pings)} 项提醒" + (f"（其中 {resent} 项为补发）" if resent else "") + "："
    items = [(RESEND_MARK + p.text) if p.key in marked else p.text for p in pings]
    return head + "\n\n" + "\n\n".join(items) + (f"\n\n{RESEND_NOTE}" if resent else "")


async def _send_message(claimed, target, sender, ledger, report, sleep, max_attempts, classify,
                        base_delay, max_delay) -> None:
    """One message carrying one or more claimed pings; every outcome is recorded for each."""
    attempts = transient = waits = 0
    while True:
        marked = {ping.key for ping in claimed if ledger.resends(ping.key)}
        attempts += 1
        try:
            await sender(target, message_text(claimed, marked))
        except asyncio.CancelledError:
            for ping in claimed:
                ledger.abandon(ping.key)
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            error = (classify(exc) if classify else None) or default_classify(exc)
            if isinstance(error, Blocked):
                for ping in claimed:
                    ledger.finish(ping.key, BLOCKED, str(error))
                    report.blocked.append(ping)
                return
            if isinstance(error, Unconfirmed):
                log.warning("message to %s: the answer was lost (%s); resending it marked", target, error)
                ledger.count("unconfirmed", sum(1 for ping in claimed if ping.proposal_id != SYSTEM))
                report.unconfirmed.extend(claimed)
                if all([ledger.resend(ping.key) for ping in claimed]):  # every ping, no short cut
                    attempts -= 1
                    transient += 1
                    await sleep(min(max_delay, base_delay * 2 ** (transient - 1)))
                    continue
                for ping in claimed:
                    ledger.finish(ping.key, UNCERTAIN, str(error))
                    report.uncertain.append(ping)
                return
            if isinstance(error, RetryLater) and waits < 3 * max_attempts:
                waits += 1
                attempts -= 1  # flood control is not the message's fault
                await sleep(max(0.0, error.retry_after))
                continue
            if isinstance(error, TransientError) and attempts < max_attempts:
                transient += 1
                await sleep(min(max_delay, base_delay * 2 ** (transient - 1)))
                continue
            permanent = not isinstance(error, (TransientError, RetryLater))
            reason = f"{error.__class__.__name__}: {error}"
            log.warning("message to %s failed after %d attempts: %s", target, attempts, reason)
            for ping in claimed:
                ledger.finish(ping.key, FAILED, reason, permanent=permanent)
                report.failed.append((ping, reason))
                if permanent:
                    report.permanent.append(ping)
            return
        for ping in claimed:
            if ping.key in marked:
                report.resent_uncertain.append(ping)
            ledger.finish(ping.key, SENT)
            report.sent.append(ping)
        return


async def run_sweep(
    today: date,
    repo,
    config: Config,
    calendar: WorkCalendar | None,
    ledger: Ledger,
    send: Send,
    *,
    webhook_send: Send | None = None,
    admins: Iterable[int] | None = None,
    retry_round: bool = False,
    **deliver_options: Any,
) -> DeliveryReport:
    """The daily job (and the start-up catch-up, and the same-day retry rounds): plan against
    the ledger, deliver, tell the admins about blocked, failed or unconfirmed pings (once,
    through the ledger too), compact the ledger. ``admins``: every admin id (config and
    granted); defaults to ``config.admins``."""
    admins = list(admins) if admins is not None else None
    proposals = repo.proposals()
    contacts = {c.id: c for c in repo.contacts()}
    units = UnitRegistry(repo, config)
    pings = plan_sweep(today, proposals, contacts, config, calendar,
                       departments=repo.departments(), admins=admins, sent=ledger,
                       liaisons=units.liaisons(), leaders=units.leaders())
    # after an import: one summary to the admins stands for its items' escalations
    pings, imported = import_summary.plan(today, repo, config, calendar, ledger, pings,
                                          admin_targets(config, admins), units)
    if imported.pings:
        options = {k: v for k, v in deliver_options.items() if k != "bundle_from"}
        if (await deliver(imported.pings, send, ledger, bundle_from=None, **options)).sent:
            imported.settle(ledger)
    report = await deliver(pings, send, ledger, webhook_send=webhook_send, **deliver_options)
    notice = report.admin_notice(retry_round=retry_round)
    if notice:
        step = f"notice-{ledger.clock().isoformat(timespec='seconds')}"
        notices = [Ping(SYSTEM, step, chat, notice, "system", "管理员") for chat in admin_targets(config, admins)]
        options = {k: v for k, v in deliver_options.items() if k != "bundle_from"}
        await deliver(notices, send, ledger, bundle_from=None, **options)
    ledger.compact(open_proposal_ids(proposals))
    log.info("reminder sweep %s: %s", today, report)
    return report


def admin_targets(config: Config, admins: Iterable[int] | None = None) -> list[int]:
    """Where admin notices go: the admin chat, else each admin privately."""
    if config.reminders.admin_chat_id:
        return [config.reminders.admin_chat_id]
    return list(dict.fromkeys(admins if admins is not None else config.admins))


# -- deep-link tokens -------------------------------------------------------------------------

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
# a link token as it is pasted: t.me/<bot>?start=<token>, or /start <token>
PASTED_TOKEN = re.compile(r"(?:start=|/start(?:@\w+)?\s+)([A-Za-z0-9_-]{16,64})")


class LinkError(ValueError):
    """``code``: unknown | expired | used | replaced | revoked; the message is for the user."""

    MESSAGES = {
        "unknown": "链接无效",
        "expired": "该链接已过期，请联系管理员重新生成",
        "used": "该链接已使用过",
        "replaced": "该链接已失效（管理员已生成新链接），请使用最新的链接",
        "revoked": "该链接曾被发到群里，已作废，请联系管理员重新生成",
    }

    def __init__(self, code: str, contact_id: int | None = None, used_by: int | None = None):
        super().__init__(self.MESSAGES[code])
        self.code, self.contact_id, self.used_by = code, contact_id, used_by


class LinkTokens:
    """One-time tokens for ``t.me/<bot>?start=<token>``, in a small atomic JSON side file.

    A token is 32 URL-safe characters (Telegram allows [A-Za-z0-9_-], at most 64). Issuing a
    new token for a contact replaces its unused earlier ones. Used and expired tokens are kept
    for ``keep_days`` (so "already used" can be told apart from "unknown"), then pruned.
    """

    def __init__(self, path: str | os.PathLike, ttl_hours: int = 72, keep_days: int = 30):
        self.path = Path(path)
        self.ttl = timedelta(hours=ttl_hours)
        self.keep = timedelta(days=keep_days)
        self._tokens: dict[str, dict[str, Any]] = {}
        if self.path.exists():
            try:
                self._tokens = json.loads(self.path.read_text(encoding="utf-8") or "{}").get("tokens", {})
            except (OSError, UnicodeDecodeError, ValueError, AttributeError) as exc:
                raise StorageError(f"绑定链接文件无法读取：{self.path}（{exc}）") from exc

    @classmethod
    def from_config(cls, config: Config, path: str | os.PathLike) -> "LinkTokens":
        return cls(path, config.reminders.link_token_hours)

    def _save(self) -> None:
        payload = json.dumps({"tokens": self._tokens}, ensure_ascii=False, separators=(",", ":"))
        atomic_write(self.path, payload.encode("utf-8"))

    def issue_link_token(self, contact_id: int, admin_id: int | None, now: datetime) -> str:
        stamp = now.timestamp()
        for token, item in list(self._tokens.items()):
            if item["expires"] + self.keep.total_seconds() < stamp:
                del self._tokens[token]
            elif item["contact_id"] == contact_id and item.get("used_by") is None:
                item["replaced"] = True
        token = secrets.token_urlsafe(24)  # 32 chars
        self._tokens[token] = {
            "contact_id": contact_id,
            "issued_by": admin_id,
            "issued_at": now.isoformat(timespec="seconds"),
            "expires": stamp + self.ttl.total_seconds(),
            "used_by": None,
            "used_at": None,
        }
        self._save()
        return token

    def revoke_pasted(self, text: str, now: datetime) -> list[dict[str, Any]]:
        """Every token still usable in ``text`` (a message seen where others can read it) is
        revoked; returns their entries (contact_id, issued_by)."""
        revoked = []
        for token in PASTED_TOKEN.findall(text or ""):
            item = self._tokens.get(token)
            if item is None or item.get("used_by") is not None or item.get("replaced") or item.get("revoked") \
                    or now.timestamp() >= item["expires"]:
                continue
            item["revoked"] = now.isoformat(timespec="seconds")
            revoked.append(item)
        if revoked:
            self._save()
        return revoked

    def redeem_link_token(self, token: str, user_id: int, now: datetime) -> int:
        """The contact id the token links ``user_id`` to; raises LinkError otherwise."""
        token = (token or "").strip()
        item = self._tokens.get(token) if TOKEN_RE.match(token) else None
        if item is None:
            raise LinkError("unknown")
        if item.get("used_by") is not None:
            raise LinkError("used", item["contact_id"], item["used_by"])
        if item.get("revoked"):
            raise LinkError("revoked", item["contact_id"])
        if item.get("replaced"):
            raise LinkError("replaced", item["contact_id"])
        if now.timestamp() >= item["expires"]:
            raise LinkError("expired", item["contact_id"])
        item["used_by"] = user_id
        item["used_at"] = now.isoformat(timespec="seconds")
        self._save()
        return item["contact_id"]


# -- the admins' digest -------------------------------------------------------------------------

def build_digest(
    today: date,
    repo,
    config: Config,
    calendar: WorkCalendar | None,
    *,
    limit: int = 15,
    ledger: Ledger | None = None,
    unassigned: int = 0,
) -> str:
    """HTML for the admin chat: due within 7 days, overdue (by lead unit), replied since the
    last workday (yesterday, or Friday and the weekend on a Monday), and with ``ledger`` the
    reminders sent today and since the last workday: how many were resent marked 「补发」,
    unconfirmed, or still undelivered when their day ended. ``unassigned`` open items without
    any handler are one line (the caller adds the button that lists them: ``unassigned_text``)."""
    week_end = today + timedelta(days=6)
    upcoming: list[tuple[date, Proposal]] = []
    overdue: dict[str, list[tuple[int, Proposal]]] = defaultdict(list)
    proposals = {p.id: p for p in repo.proposals()}
    for p in proposals.values():
        if p.state not in (ASSIGNED, HANDLING, REOPENED, FOLLOW_UP):
            continue
        try:
            due = due_date_of(p, config, calendar)
        except Exception:  # a missing rule must not sink the digest
            log.exception("digest: no due date for proposal %s", p.id)
            continue
        if due is None:
            continue
        if due < today:
            overdue[p.lead_unit or "（未指定主办单位）"].append(((today - due).days, p))
        elif due <= week_end:
            upcoming.append((due, p))
    since = calendar.previous_workday(today) if calendar is not None else today - timedelta(days=1)
    replied = [
        r for r in repo.all(Reply)
        if r.reply_date and since.isoformat() <= r.reply_date[:10] < today.isoformat()
    ]

    def tag(p: Proposal) -> str:
        return "（跟进）" if p.state == FOLLOW_UP else "（重新办理）" if p.state == REOPENED else ""

    lines = [f"📋 <b>提案办理日报 {today.isoformat()}</b>"]
    lines.append(f"\n<b>7 天内到期：{len(upcoming)} 件</b>")
    for due, p in sorted(upcoming, key=lambda x: (x[0], number_order(x[1].number)))[:limit]:
        lines.append(f"· {esc(number_label(p))} {esc(_short(p.title))}{tag(p)} · 截止 {due.isoformat()}"
                     + (f" · {esc(p.lead_unit)}" if p.lead_unit else ""))
    if len(upcoming) > limit:
        lines.append(f"……另有 {len(upcoming) - limit} 件")
    total = sum(len(items) for items in overdue.values())
    lines.append(f"\n<b>已逾期：{total} 件</b>")
    units = sorted(overdue.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for unit, items in units[:limit]:
        items.sort(key=lambda x: (-x[0], number_order(x[1].number)))
        shown = "、".join(f"{esc(number_label(p))}{tag(p)} 逾期 {days} 天" for days, p in items[:5])
        more = f" 等 {len(items)} 件" if len(items) > 5 else ""
        lines.append(f"· {esc(unit)}（{len(items)}）：{shown}{more}")
    if len(units) > limit:
        lines.append(f"……另有 {len(units) - limit} 个单位")
    if unassigned:
        lines.append(f"\n<b>无人承办：{unassigned} 件</b>（主办单位没有联系人或联络员，不会提醒任何人）")
    label = "昨日" if since == today - timedelta(days=1) else f"{since.isoformat()} 以来"
    lines.append(f"\n<b>{label}答复：{len(replied)} 件</b>")
    for r in sorted(replied, key=lambda r: (r.reply_date or "", r.proposal_id))[:limit]:
        p = proposals.get(r.proposal_id)
        name = f"{esc(number_label(p))} {esc(_short(p.title))}" if p else f"#{r.proposal_id}"
        cls = f" · {esc(r.classification)}类" if r.classification else ""
        issuer = f" · {esc(r.issuer)}" if r.issuer else ""
        lines.append(f"· {name}{cls}{issuer}")
    if len(replied) > limit:
        lines.append(f"……另有 {len(replied) - limit} 件")
    if ledger is not None:
        earlier: dict[str, int] = defaultdict(int)
        day = since
        while day < today:
            for kind, n in ledger.tally(day).items():
                earlier[kind] += n
            day += timedelta(days=1)
        rows = [row for row in (delivery_line("今日", ledger.tally(today)), delivery_line(label, earlier)) if row]
        if rows:
            lines.append("\n<b>提醒发送</b>")
            lines += rows
    if calendar is not None and calendar.warnings:
        lines.append("\n" + "\n".join(f"ℹ {esc(w)}" for w in calendar.warnings))
    return "\n".join(lines)


UNASSIGNED_HELP = ("请为这些单位上传联系人名单（单位/姓名/职务/办公电话/手机；职务写“联络员”的人即为默认承办人），"
                   "再用 /link 姓名 生成绑定链接发给本人；/merge 可把重复的单位合并到已有联系人的单位。")


def unassigned_text(items: list[Proposal], limit: int = 40) -> str:
    """HTML: the open items no one handles, by lead unit (most first), and how to fix that."""
    if not items:
        return "目前没有无人承办的在办事项：每件都有承办人或主办单位联络员。"
    by_unit: dict[str, list[Proposal]] = defaultdict(list)
    for p in items:
        by_unit[p.lead_unit or "（未指定主办单位）"].append(p)
    lines = [f"<b>无人承办：{len(items)} 件</b>（主办单位没有联系人或联络员，不会提醒任何人）"]
    units = sorted(by_unit.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for unit, group in units[:limit]:
        group.sort(key=lambda p: number_order(p.number))
        shown = "、".join(esc(number_label(p)) for p in group[:10])
        more = f" 等 {len(group)} 件" if len(group) > 10 else ""
        lines.append(f"· {esc(unit)}（{len(group)}）：{shown}{more}")
    if len(units) > limit:
        lines.append(f"……另有 {len(units) - limit} 个单位")
    lines.append("\n" + esc(UNASSIGNED_HELP))
    return "\n".join(lines)


def delivery_line(label: str, counts: dict[str, int]) -> str | None:
    """「· 今日：已发 12 条，其中补发 1 条……」 from a ledger tally; None when nothing happened."""
    sent, resent = counts.get("sent", 0), counts.get("resent", 0)
    unconfirmed, lost = counts.get("unconfirmed", 0), counts.get("lost", 0)
    if not (sent or resent or unconfirmed or lost):
        return None
    parts = [f"已发 {sent + resent} 条"]
    if resent:
        parts.append(f"其中补发 {resent} 条（此前未确认送达，已标注「补发」）")
    if unconfirmed:
        parts.append(f"未确认 {unconfirmed} 条")
    if lost:
        parts.append(f"当天未能送达 {lost} 条")
    return f"· {label}：" + "，".join(parts)


def _short(title: str, limit: int = 30) -> str:
    title = (title or "").strip() or "（无标题）"
    return title if len(title) <= limit else title[: limit - 1] + "…"
