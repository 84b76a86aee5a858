"""The delivery ledger: which reminder pings went out, durable across crashes. Pure core: no
telegram. ``bot.reminders`` (delivery) holds the policy it serves.

A small file beside the database (``side_path(db, "ledger")``) plus an append-only journal
next to it (``….ledger.json.journal``): one JSON line per state change, ``write`` + ``flush``
each line, ``fsync`` before every send. The snapshot is rewritten atomically only by
``compact`` (which also prunes entries of items no longer open, and superseded steps), so the
cost of a send is one short append and one fsync, whatever the ledger's size.

Entries are keyed ``(proposal_id, step, recipient, cycle)`` (``Ping.key``) and move
``sending`` → ``sent`` | ``failed`` | ``blocked`` | ``uncertain``. Beside them the ledger keeps
a tally per day (sent, resent, unconfirmed, lost) for the admins' digest.
"""

from __future__ import annotations

import json
import logging
import os
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from bot.reminder_plan import SYSTEM, chain_of
from bot.storage import StorageError, atomic_write

log = logging.getLogger(__name__)

SENDING, SENT, FAILED, BLOCKED, UNCERTAIN = "sending", "sent", "failed", "blocked", "uncertain"

Key = tuple  # (proposal_id, step, recipient, cycle)
TALLY_DAYS = 40  # days of delivery figures kept in the snapshot


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _key(raw: Iterable) -> Key:
    return tuple(raw)


class Ledger:
    """Which pings went out. The policy is in ``bot.reminders``' docstring."""

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
