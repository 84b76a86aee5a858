"""Storage: records in memory, every write journalled and fsynced, behind a small repository API.

The files (see ``bot.durable``): a TinyDB snapshot ``proposals.json``, the journal
``proposals.json.journal`` of every write since, the writer lock ``proposals.json.lock`` and
the audit trail ``proposals.audit.jsonl``. A write costs one short append and one fsync,
whatever the size of the database; the journal is folded into the snapshot in a background
thread when it grows, and on ``close()``. Start-up reads the snapshot and replays the journal.

- One process writes: ``Repository(path)`` takes the writer lock (``DatabaseLocked`` when the
  bot already runs); ``Repository(path, read_only=True)`` reads the last committed state
  beside it without the lock.
- No ghost writes: a write that fails (any OSError) leaves memory as it was before and raises
  ``WriteFailed`` (a Chinese line for the user); the journal is cut back to its last good end.
- Every table a ``Record`` subclass declares is stored the same way: nothing here is specific
  to one table except the look-up indexes.

Over 600 lines on purpose: ``Repository`` is one class because every write path (put, delete,
transaction, the rollback of a failed write) must change the same tables and indexes together;
spread over modules, the no-ghost-write rule would have no single place to be checked.
"""

from __future__ import annotations

import gc
import logging
import os
import stat
import sys
import threading
import weakref
from contextlib import contextmanager
from dataclasses import MISSING, fields
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

import orjson

from bot.durable import (
    AuditLog,
    DatabaseLocked,
    Journal,
    StorageError,
    WriteFailed,
    WriterLock,
    atomic_write,
    export,
    journal_header,
    journal_path,
    open_snapshot,
    os_reason,
    read_consistent,
    read_journal,
    remove_stray_temps,
    shape_error,
    snapshot_lines,
    write_merged,
    FORMAT,
)
from bot import load_cache
from bot.model import EV_DELETE, EV_EDIT, EV_RESTORE, Contact, Department, Event, Proposal, Record, Reply, Setting, User
from bot.numbers import number_key, number_keys
from bot.placed import PlacedTable

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)
IN_PLACE = "in place"  # tracking(): a record changed in place before its put (earlier state unknown)

__all__ = ["Repository", "StorageError", "DatabaseLocked", "WriteFailed", "atomic_write", "side_path",
           "record_types", "backup_database", "restore_database"]


def side_path(main: Path, name: str) -> Path:
    """data/proposals.json → data/proposals.users.json"""
    return main.with_name(f"{main.stem}.{name}{main.suffix}")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def record_types() -> dict[str, type[Record]]:
    """table name → record class, for every Record subclass that declares a table."""
    found: dict[str, type[Record]] = {}
    todo = list(Record.__subclasses__())
    while todo:
        cls = todo.pop(0)
        # @dataclass(slots=True) replaces the class it decorates: the stale one may linger
        # among the subclasses until collected; the module's name leads to the real one.
        cls = getattr(sys.modules.get(cls.__module__), cls.__qualname__, cls)
        if cls.table and cls.table not in found:
            found[cls.table] = cls
            todo.extend(cls.__subclasses__())
    return found


def _proposal_units(p: Proposal) -> Iterable[int]:
    if p.co_unit_ids:
        return {p.lead_unit_id, *p.co_unit_ids} - {None}
    return () if p.lead_unit_id is None else (p.lead_unit_id,)


def _proposal_unit_names(p: Proposal) -> Iterable[str]:
    if p.co_units:
        return {p.lead_unit, *p.co_units} - {""}
    return (p.lead_unit,) if p.lead_unit else ()


def _field(name: str, only: tuple = ()) -> Callable[[Any], tuple]:
    """The look-up by one field's value (none while it is None or empty; with ``only``, none
    unless it is one of those)."""
    def values_of(record: Any) -> tuple:
        value = getattr(record, name)
        if value is None or value == "" or (only and value not in only):
            return ()
        return (value,)

    values_of.field, values_of.only = name, only  # type: ignore[attr-defined]  # read from documents kept as JSON
    return values_of


# The look-ups each table answers to: (name, the values a record is found under).
_LOOKUPS: dict[str, tuple[tuple[str, Callable[[Any], Iterable[Any]]], ...]] = {
    Proposal.table: (
        ("number", lambda p: number_keys(p.number)),
        ("handler", lambda p: set(p.handlers) if len(p.handlers) > 1 else p.handlers),
        ("unit", _proposal_units),
        ("unit_name", _proposal_unit_names),
    ),
    Reply.table: (("replies_of", _field("proposal_id")),),
    Contact.table: (
        ("contact", lambda c: (c.identity,)),
        ("unit_contacts", _field("unit_id")),
        ("contact_user", _field("telegram_user_id")),
    ),
    Department.table: (("department", _field("name")),),
    Event.table: (
        ("events_of", _field("proposal_id")),
        ("event_hash", _field("source_hash")),
        ("event_batch", _field("batch")),
        # rare kinds, found without building every event: deleted items, the edits /undo reads
        ("event_kind", _field("kind", only=(EV_DELETE, EV_RESTORE, EV_EDIT))),
    ),
    User.table: (("user", _field("user_id")),),
    Setting.table: (("setting", _field("key")),),
}


class _Index(dict):
    """value → record ids: a bare int while one record has the value (most keys), a list
    beyond (a set per key costs ~200 bytes; a list of three, 88)."""

    def add(self, value: Any, rid: int) -> None:
        current = self.get(value)
        if current is None:
            self[value] = rid
        elif type(current) is int:
            if current != rid:
                self[value] = [current, rid]
        elif current[-1] < rid or rid not in current:  # new ids are the largest: no scan
            current.append(rid)

    def fill(self, values_of: Callable[[Any], Iterable[Any]], records: dict[int, Any]) -> None:
        """``add`` for every record at load (the same steps, without a call per value)."""
        get = self.get
        for rid, record in records.items():
            for value in values_of(record):
                current = get(value)
                if current is None:
                    self[value] = rid
                elif type(current) is int:
                    if current != rid:
                        self[value] = [current, rid]
                elif current[-1] < rid or rid not in current:
                    current.append(rid)

    def discard(self, value: Any, rid: int) -> None:
        current = self.get(value)
        if current == rid:
            del self[value]
        elif type(current) is list and rid in current:
            current.remove(rid)
            if len(current) == 1:
                self[value] = current[0]

    def ids(self, value: Any) -> tuple[int, ...] | list[int]:
        current = self.get(value)
        if current is None:
            return ()
        return (current,) if type(current) is int else current


_STORED_AS_JSON = (Event.table,)  # their look-ups must all be _field ones


def _positional(cls: type[Record]) -> list[str]:
    """The fields ``cls(*values)`` takes, in order (``id`` is keyword-only)."""
    return [f.name for f in fields(cls) if not f.kw_only]


def _required(cls: type[Record]) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls)
                 if f.default is MISSING and f.default_factory is MISSING and f.name != "id")


class _Builder(dict):
    """Records from freshly parsed documents, for a load: one object per distinct value
    (repeated strings such as units, regions, dates, kinds and batches, and the ints records
    point at are stored once), no copy of the document (it is not kept)."""

    def build(self, cls: type[R], doc: dict[str, Any], rid: int) -> R:
        share = self.setdefault
        for key, value in doc.items():
            kind = type(value)
            if kind is str or kind is int:
                doc[key] = share(value, value)
            elif kind is list and value:
                doc[key] = [share(v, v) if type(v) is str or type(v) is int else v for v in value]
        doc.pop("schema", None)
        try:
            return cls(**doc, id=rid)
        except TypeError:  # a key this version no longer has: from_doc leaves it out
            return cls.from_doc(doc, rid)


class Repository:
    """The only way the rest of the bot reads and writes records.

    Reads return the live in-memory records: change one only to ``put`` it back straight away.
    Hot look-ups go through dict indexes kept beside the records. Each ``put`` / ``delete``
    outside a batch is one transaction; ``batch()`` makes one transaction of many (bulk
    imports, a reply with its audit line). A transaction is durable when the call returns.
    """

    def __init__(
        self,
        path: str | os.PathLike,
        backups: int = 7,
        *,
        read_only: bool = False,
        wait: bool = False,
        compact_bytes: int | None = None,
        audit_bytes: int = 8 << 20,
        today: Callable[[], date] = date.today,
        load_cache_bytes: int = load_cache.MIN_BYTES,
        journal: bool = True,
    ):
        self.path = Path(path)
        self.read_only = read_only
        self.backups = backups
        self.compact_bytes = compact_bytes
        self.load_cache_bytes = load_cache_bytes  # snapshots this large get a load cache
        self._replay_journal = journal  # False: the snapshot alone (what a load cache is made of)
        self._snapshot_identity: tuple | None = None
        self._cache_fresh = False  # the load cache matches the snapshot now on disk
        self._cache_writer: threading.Thread | None = None  # None again once it has decided
        self._cache_again = False  # asked for while a worker ran: it makes another
        self._snapshots = 0  # compactions so far (a load cache is made for one snapshot)
        self._today = today
        self._lock = threading.RLock()  # serialises writes (and the compaction's switch-over)
        self._compacting = threading.Lock()
        self._listeners: list[Callable[[str, Record], None]] = []
        self._types = record_types()
        self.audit_log = AuditLog(self.path.with_name(f"{self.path.stem}.audit.jsonl"), audit_bytes)
        self._writer: WriterLock | None = None
        self._journal_fd: int | None = None
        self._journal_size = self._journal_base = self._seq = 0
        self._journal_torn = False  # a failed append that could not be cut back yet
        self._housekeeper: threading.Thread | None = None
        self._housekeeping_failed_at = 0
        self._closed = False
        self._batch_depth = 0
        self._tx: dict[tuple[type, int], tuple[Record | None, bool, Record | None]] = {}
        self._tx_docs: dict[tuple[type, int], dict | None] = {}
        self._tx_next: dict[type, int] = {}
        self._tx_audit: list[dict[str, Any]] = []
        self._trackers: list[dict[tuple[type, int], Any]] = []
        if not read_only:
            self._writer = _open_writer(self.path, wait)
        try:
            paused = gc.isenabled()
            gc.disable()  # a bulk load builds no cycles; the collector only slows it down
            try:
                legacy_format = self._load()
            finally:
                # The loaded records live as long as the bot: move them out of the collector's
                # sight, or its next passes rescan them all (0.5 s at 100,000 proposals).
                gc.freeze()
                if paused:
                    gc.enable()
            if not read_only:
                self._open_journal()
                self._migrate_legacy_users()
                if legacy_format:
                    self._start_housekeeping(force=True)
                elif self.backups and not self._backup_target().exists():
                    self._start_housekeeping(delay=60.0)  # not while the bot is starting
                if not self._cache_fresh:
                    self._refresh_load_cache(delay=60.0)
        except BaseException:
            self._release()
            raise

    # -- loading ----------------------------------------------------------------------------------

    def _load(self) -> bool:
        """Snapshot plus journal into records; True when the snapshot is in TinyDB's single-line
        layout (it is rewritten one document per line in the background)."""
        self._records: dict[type[Record], dict[int, Record]] = {
            cls: PlacedTable(cls, self._lock) if cls.table in _STORED_AS_JSON else {} for cls in self._types.values()}
        # Records are still read after close (a CLI report): the snapshot readers stay open
        # until the repository is gone.
        weakref.finalize(self, PlacedTable.close_all, self._stored())
        self._index: dict[tuple[str, str], _Index] = {  # (table, look-up name) → index
            (cls.table, name): _Index() for cls in self._types.values() for name, _ in _LOOKUPS.get(cls.table, ())}
        # Tables where a record was changed in place and put back: the values it was indexed
        # under before are unknown, so look-ups there check each record found (stale ids are
        # dropped as they are met) instead of keeping every record's keys beside it.
        self._loose: set[str] = set()
        shared = _Builder()
        if self.read_only:
            snap, journal = read_consistent(self.path)
        else:
            snap, journal = open_snapshot(self.path), read_journal(journal_path(self.path))
        seq = snap.seq if snap else 0
        if not self._replay_journal:
            journal = Journal(None, [], 0)
        if journal.base is not None and journal.base > seq:
            raise StorageError(
                f"数据库 {self.path} 与其日志 {journal_path(self.path)} 不匹配（日志比数据库新）："
                "数据库文件可能被替换过。请用 proposal-bot restore 恢复。"
            )
        saved_next = dict(snap.next_ids) if snap else {}
        self._snapshot_identity = snap.identity() if snap else None
        cached = snap is not None and self._replay_journal and self._from_load_cache(snap)
        if snap and cached:
            snap.close()
        elif snap:
            try:
                keep_json = {cls: self._json_keeper(cls) for cls, records in self._records.items()
                             if type(records) is PlacedTable}
                for records in self._stored():
                    records.reader = snap.reader()
                for table, rid, raw, spot in snap.placed_rows():
                    cls = self._types.get(table)
                    if cls is None:  # tables this version does not know stay in the file
                        continue
                    if cls in keep_json:
                        keep_json[cls](int(rid), raw, spot)
                    else:
                        self._records[cls][int(rid)] = self._build(cls, rid, orjson.loads(raw), self.path, shared)
            except orjson.JSONDecodeError as exc:
                raise shape_error(self.path, f"表 {table} 第 {rid} 条记录不是有效的 JSON（{exc}）") from exc
            finally:
                snap.close()
        self._seq = seq
        for entry in journal.entries:
            if entry["q"] <= seq:
                continue
            for table, rid, doc in entry["w"]:
                cls = self._types.get(table)
                if cls is None:
                    continue
                records = self._records[cls]
                if cached or type(records) is PlacedTable:  # indexed as it goes (the others at the end)
                    before = records.get(int(rid))
                    if before is not None:
                        self._unindex(before)
                        del records[int(rid)]
                    if doc is not None:
                        records[int(rid)] = record = self._build(cls, rid, doc, journal_path(self.path))
                        self._reindex(record)
                elif doc is None:
                    records.pop(int(rid), None)
                else:
                    records[int(rid)] = self._build(cls, rid, doc, journal_path(self.path), shared)
            for table, value in entry.get("n", {}).items():
                saved_next[table] = max(saved_next.get(table, 0), value)
            self._seq = entry["q"]
        self._journal_base, self._journal_size = (journal.base if journal.base is not None else seq), journal.good_size
        self._next_id: dict[type[Record], int] = {}
        for cls, records in self._records.items():
            top = records.top_id() if type(records) is PlacedTable else max(records, default=0)
            self._next_id[cls] = max(top + 1, saved_next.get(cls.table, 1))
            if cached or type(records) is PlacedTable:
                continue
            for name, values_of in _LOOKUPS.get(cls.table, ()):
                self._index[(cls.table, name)].fill(values_of, records)
        return bool(snap) and not snap.line_format

    def _stored(self) -> list[PlacedTable]:
        return [records for records in self._records.values() if type(records) is PlacedTable]

    def _json_keeper(self, cls: type[Record]) -> Callable[[int, bytes, int | None], None]:
        """Keeps a snapshot row of ``cls`` as where it is in the file (or as its JSON when it has
        no place there), after checking its shape and indexing it by the fields its look-ups
        name (read from the document: nothing else is built)."""
        records, required = self._records[cls], frozenset(_required(cls))
        adders = [(values_of.field, values_of.only, self._index[(cls.table, name)].add)  # type: ignore[attr-defined]
                  for name, values_of in _LOOKUPS.get(cls.table, ())]
        store = dict.__setitem__

        def keep(rid: int, raw: bytes, spot: int | None) -> None:
            doc = orjson.loads(raw)
            if type(doc) is not dict or not required <= doc.keys():
                self._build(cls, str(rid), doc, self.path)  # raises, naming the record
            for name, only, add in adders:
                value = doc.get(name)
                if value is not None and value != "" and (not only or value in only):
                    add(value, rid)
            if spot is None:
                store(records, rid, raw)
            else:
                records.place(rid, spot)

        return keep

    @staticmethod
    def _build(cls: type[R], rid: str, doc: Any, where: Path, shared: _Builder | None = None) -> R:
        if not isinstance(doc, dict):
            raise shape_error(where, f"表 {cls.table} 第 {rid} 条记录应是 JSON 对象")
        try:
            if shared is not None:
                return shared.build(cls, doc, int(rid))
            return cls.from_doc(doc, int(rid))
        except (TypeError, ValueError) as exc:
            raise shape_error(where, f"表 {cls.table} 第 {rid} 条记录无法读取（{exc}）") from exc

    # -- the load cache (bot.load_cache) -----------------------------------------------------------

    def _layout(self) -> dict[str, list[str]]:
        return {table: _positional(cls) for table, cls in self._types.items()}

    def load_image(self) -> dict | None:
        """This snapshot-only load as a ``marshal`` image for ``bot.load_cache`` (None when the
        snapshot is not in the line layout): each table's ids and field values by column, events
        as their places, every look-up."""
        if self._replay_journal or self._snapshot_identity is None:
            return None
        records, places, kept = {}, {}, {}
        for cls, table in self._records.items():
            if type(table) is PlacedTable:
                places[cls.table] = table.places.tobytes()
                kept[cls.table] = {rid: v for rid, v in dict.items(table) if type(v) is bytes}
            else:  # by column: a start-up then makes no tuple per record (less memory left behind)
                rows = list(table.values())
                records[cls.table] = [list(table), *[[getattr(r, n) for r in rows] for n in _positional(cls)]]
        return {"version": load_cache.VERSION, "snapshot": list(self._snapshot_identity), "layout": self._layout(),
                "code": load_cache.code_stamp(),
                "records": records, "places": places, "json": kept,
                "index": {f"{table}\0{name}": dict(index) for (table, name), index in self._index.items()}}

    def _from_load_cache(self, snap: Any) -> bool:
        """The snapshot's records and look-ups from its load cache, when the cache was made from
        this very file by this version's layout; False (nothing changed) otherwise."""
        if self._snapshot_identity is None or self._snapshot_identity[2] < self.load_cache_bytes:  # its size
            return False
        image = load_cache.read(self.path)
        if image is None:
            return False
        if (image.get("snapshot") != list(self._snapshot_identity) or image.get("layout") != self._layout()
                or image.get("code") != load_cache.code_stamp()):
            log.info("load cache of %s is for another snapshot or code: loading the snapshot", self.path)
            return False
        try:
            reader = snap.reader()
            for table, (ids, *columns) in image["records"].items():
                records = self._records[self._types[table]]
                for record, rid in zip(map(self._types[table], *columns), ids, strict=True):
                    record.id = rid
                    records[rid] = record
            for table in image["places"]:
                stored = self._records[self._types[table]]
                stored.places.frombytes(image["places"][table])
                stored.placed = len(stored.places) - stored.places.count(0)
                dict.update(stored, image["json"][table])
                stored.reader, reader = reader, None
            for key, values in image["index"].items():
                table, name = key.split("\0")
                self._index[(table, name)].update(values)
            if reader is not None:
                os.close(reader)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            log.warning("load cache of %s unusable (%s): loading the snapshot", self.path, exc)
            for records in self._records.values():
                if type(records) is PlacedTable:
                    records.close()
                records.clear()
            for index in self._index.values():
                index.clear()
            return False
        self._cache_fresh = True
        return True

    def _refresh_load_cache(self, delay: float = 0.0) -> None:
        """A new load cache for the snapshot now on disk, made by a child process from the file
        (in a thread: never on the event loop). Only for snapshots large enough to need one.
        One worker at a time; asked while one has not finished, it makes another when done
        (a compaction replaced the snapshot it was made from). Its decisions are taken under
        the write lock, where a compaction switches snapshots."""
        if self.read_only:
            return
        try:
            if self.path.stat().st_size < self.load_cache_bytes:
                return
        except OSError:
            return
        stop = threading.Event()

        def finish(fresh: bool | None) -> bool:
            """Under the lock: done (``fresh`` recorded, unless None) or asked to run again."""
            with self._lock:
                if fresh is not None and (made_for != self._snapshots or self._cache_again):
                    return False
                if fresh is not None:
                    self._cache_fresh = fresh
                self._cache_writer = None
                return True

        def work() -> None:
            nonlocal made_for
            if delay and stop.wait(delay):
                finish(None)
                return
            while True:
                with self._lock:
                    made_for, self._cache_again = self._snapshots, False
                if finish(load_cache.write_in_child(self.path)):
                    return

        made_for = -1
        with self._lock:
            if self._cache_writer is not None:  # it has not decided yet: it will run again
                self._cache_again = True
                return
            self._cache_writer = threading.Thread(target=work, name="storage-load-cache", daemon=True)
            self._stop_cache_writer = stop
            self._cache_writer.start()

    def _open_journal(self) -> None:
        """The writer's journal: created when missing, a torn tail from a crash cut off."""
        path = journal_path(self.path)
        if not self.path.exists():
            meta = {"format": FORMAT, "seq": self._seq, "next_id": {}}
            atomic_write(self.path, snapshot_lines(meta, ()))
        if not path.exists() or self._journal_size == 0:
            atomic_write(path, journal_header(self._seq), like=self.path)
            self._journal_base, self._journal_size = self._seq, len(journal_header(self._seq))
        elif path.stat().st_size != self._journal_size:
            log.warning("journal %s: cutting a torn tail after byte %d", path, self._journal_size)
            os.truncate(path, self._journal_size)
        self._journal_fd = os.open(path, os.O_WRONLY)
        os.fsync(self._journal_fd)

    def _migrate_legacy_users(self) -> None:
        """Users used to live in proposals.users.json: journal them here once, then drop it."""
        legacy = side_path(self.path, "users")
        if not legacy.exists():
            return
        snap = open_snapshot(legacy)
        users_cls = self._types.get(User.table, User)
        if snap is not None and not self._records[users_cls]:
            with self.batch():
                for table, rid, raw in snap.rows():
                    if table == User.table:
                        user = self._build(users_cls, rid, orjson.loads(raw), legacy)
                        self.put(user)
        if snap is not None:
            snap.close()
        legacy.unlink()
        log.info("moved the users of %s into %s", legacy, self.path)

    # -- change listeners (the search index keeps itself current through this) --------------

    def subscribe(self, listener: Callable[[str, Record], None]) -> None:
        """``listener(op, record)`` is called after each change; op is "put" or "delete" (a
        failed write is undone with the opposite calls)."""
        self._listeners.append(listener)

    def _notify(self, op: str, record: Record) -> None:
        for listener in self._listeners:
            try:
                listener(op, record)
            except Exception:  # a broken listener must not undo a committed write
                log.exception("change listener failed for %s %s", op, record)

    # -- indexes --------------------------------------------------------------------------------

    def _reindex(self, record: Record, before: Record | None = None) -> None:
        """Index ``record`` in place of ``before`` (the record its id held until now)."""
        table, rid = record.table, record.id
        lookups = _LOOKUPS.get(table, ())
        if before is record:
            self._loose.add(table)  # changed in place: what it was indexed under is unknown
        elif before is not None:
            for name, values_of in lookups:
                index = self._index[(table, name)]
                for value in values_of(before):
                    index.discard(value, rid)
        for name, values_of in lookups:
            index = self._index[(table, name)]
            for value in values_of(record):
                index.add(value, rid)

    def _unindex(self, record: Record) -> None:
        for name, values_of in _LOOKUPS.get(record.table, ()):
            index = self._index[(record.table, name)]
            for value in values_of(record):
                index.discard(value, record.id)

    def _lookup(self, cls: type[R], name: str, value: Any, keep: bool = True) -> list[R]:
        """The records found under ``value``, by id; ``keep=False``: records kept as JSON are
        built for this answer only (they stay JSON in memory)."""
        index = self._index.get((cls.table, name))
        if index is None:
            return []
        records = self._records[cls]
        get = records.get if keep or type(records) is not PlacedTable else records.peek
        ids = sorted(index.ids(value))
        if cls.table not in self._loose:
            return [r for r in map(get, ids) if r is not None]  # type: ignore[misc]
        values_of = dict(_LOOKUPS[cls.table])[name]
        found = []
        for i in ids:
            record = get(i)
            if record is not None and value in values_of(record):
                found.append(record)
            else:
                index.discard(value, i)  # indexed under a value it no longer has
        return found  # type: ignore[return-value]

    def _index_values(self, cls: type[Record], name: str) -> list[Any]:
        """Every value some record of ``cls`` is found under."""
        index = self._index.get((cls.table, name), {})
        if cls.table not in self._loose:
            return list(index)
        return [value for value in list(index) if self._lookup(cls, name, value, keep=False)]

    # -- generic record access ----------------------------------------------------------------

    def all(self, cls: type[R]) -> list[R]:
        return list(self._records[cls].values())  # type: ignore[arg-type]

    def get(self, cls: type[R], record_id: int) -> R | None:
        return self._records[cls].get(record_id)  # type: ignore[return-value]

    def put(self, record: R) -> R:
        """Insert (no id) or replace (with id) one record; returns it with its id. Durable when
        it returns (outside a batch); raises WriteFailed, with nothing changed, when not."""
        cls = type(record)
        with self._lock:
            self._check_writable()
            assigned = record.id is None
            if assigned:
                record.id = self._next_id[cls]
            live = self._records[cls].get(record.id)
            if self._trackers:
                self._track(cls, record.id, live, live is record)
            self._remember(cls, record.id, live, live is record, record if assigned else None)
            self._next_id[cls] = max(self._next_id[cls], record.id + 1)
            self._tx_docs[(cls, record.id)] = record.to_stored()
            self._records[cls][record.id] = record
            self._reindex(record, live)
            if not self._batch_depth:
                self._commit()
        self._notify("put", record)
        return record

    def delete(self, record: Record) -> None:
        cls = type(record)
        with self._lock:
            live = self._records[cls].get(record.id) if record.id is not None else None
            if live is None:
                return
            self._check_writable()
            if self._trackers:
                self._track(cls, record.id, live, False)
            self._remember(cls, record.id, live, True, None)
            self._tx_docs[(cls, record.id)] = None
            del self._records[cls][record.id]
            self._unindex(live)
            if not self._batch_depth:
                self._commit()
        self._notify("delete", live)

    @contextmanager
    def tracking(self) -> Iterator[dict[tuple[type, int], Any]]:
        """Inside, every record first put or deleted is noted with its document before: None
        when it was created here, ``IN_PLACE`` when the caller changed the live record before
        putting it (its earlier state is not known). What an undo of the whole needs."""
        touched: dict[tuple[type, int], Any] = {}
        self._trackers.append(touched)
        try:
            yield touched
        finally:
            self._trackers.remove(touched)

    def _track(self, cls: type, rid: int, live: Record | None, in_place: bool) -> None:
        for touched in self._trackers:
            if (cls, rid) not in touched:
                touched[(cls, rid)] = None if live is None else IN_PLACE if in_place else live.to_doc()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many changes, one transaction: one journal line, one fsync (bulk imports). Reads
        inside see the changes; if the write fails they are all undone."""
        with self._lock:
            self._batch_depth += 1
            try:
                yield
            finally:
                self._batch_depth -= 1
                if not self._batch_depth:
                    self._commit()

    # -- transactions ---------------------------------------------------------------------------

    @property
    def writable(self) -> bool:
        return not self.read_only and not self._closed

    def _check_writable(self) -> None:
        if self.read_only:
            raise StorageError(f"数据库 {self.path} 以只读方式打开，不能写入。")
        if self._closed:
            raise StorageError(f"数据库 {self.path} 已关闭，不能写入。")

    def _remember(self, cls: type, rid: int, live: Record | None, in_place: bool, assigned: Record | None) -> None:
        """What a record was before this transaction touched it (to undo a failed write)."""
        if (cls, rid) not in self._tx:
            self._tx[(cls, rid)] = (live, in_place, assigned)
        self._tx_next.setdefault(cls, self._next_id[cls])

    def _commit(self) -> None:
        docs, audit = self._tx_docs, self._tx_audit
        if docs:
            touched = {cls for cls, _ in docs}
            entry = {
                "q": self._seq + 1,
                "w": [[cls.table, str(rid), doc] for (cls, rid), doc in docs.items()],
                "n": {cls.table: self._next_id[cls] for cls in touched},
            }
            try:
                self._append_journal(orjson.dumps(entry) + b"\n")
            except OSError as exc:
                log.error("write to %s failed, undone in memory: %s", journal_path(self.path), exc)
                self._rollback()
                raise WriteFailed(self.path, exc) from exc
            self._seq += 1
        self._tx, self._tx_docs, self._tx_next, self._tx_audit = {}, {}, {}, []
        if audit:
            try:
                self.audit_log.append(audit)
            except OSError as exc:
                log.error("audit append to %s failed: %s (%s)", self.audit_log.path, exc, audit)
                raise WriteFailed(self.audit_log.path, exc, saved=bool(docs)) from exc
        if docs:
            self._maybe_compact()

    def _append_journal(self, payload: bytes) -> None:
        fd = self._journal_fd
        if self._journal_torn:  # the last failure could not cut the file back: do it first
            os.ftruncate(fd, self._journal_size)
            os.fdatasync(fd)
            self._journal_torn = False
        try:
            if os.pwrite(fd, payload, self._journal_size) != len(payload):
                raise OSError(28, "No space left on device (short write)")
            os.fdatasync(fd)
        except OSError:
            try:
                os.ftruncate(fd, self._journal_size)
                os.fdatasync(fd)
            except OSError:
                self._journal_torn = True
            raise
        self._journal_size += len(payload)

    def _rollback(self) -> None:
        """Memory back to the last committed state, for every record the transaction touched."""
        changed_in_place = [(cls, rid) for (cls, rid), (live, in_place, _) in self._tx.items()
                            if live is not None and in_place]
        durable = self._durable_docs(changed_in_place) if changed_in_place else {}
        undone: list[tuple[str, Record]] = []
        unassign: list[Record] = []  # inserts get back the id-less state they came with
        for (cls, rid), (live, in_place, assigned) in self._tx.items():
            current = self._records[cls].get(rid)
            if live is None:
                if current is not None:
                    del self._records[cls][rid]
                    self._unindex(current)
                    undone.append(("delete", current))
                if assigned is not None:
                    unassign.append(assigned)
                continue
            doc = durable.get((cls.table, str(rid)))
            if in_place and doc is not None:
                fresh = cls.from_doc(doc, rid)
                for f in fields(cls):
                    setattr(live, f.name, getattr(fresh, f.name))
            self._records[cls][rid] = live
            self._reindex(live, current)
            undone.append(("put", live))
        for cls, value in self._tx_next.items():
            self._next_id[cls] = value
        self._tx, self._tx_docs, self._tx_next, self._tx_audit = {}, {}, {}, []
        for op, record in undone:
            self._notify(op, record)
        for record in unassign:
            record.id = None

    def _durable_docs(self, keys: list[tuple[type, int]]) -> dict[tuple[str, str], dict]:
        """The committed documents of some records, read back from the files (only after a
        failed write, to undo changes a caller made to a live record before putting it)."""
        wanted = {(cls.table, str(rid)) for cls, rid in keys}
        found: dict[tuple[str, str], dict] = {}
        snap = open_snapshot(self.path)
        with open(journal_path(self.path), "rb") as handle:
            data = handle.read(self._journal_size)
        journal = read_journal(journal_path(self.path), data)
        if snap is not None:
            try:
                for table, rid, raw in snap.rows():
                    if (table, rid) in wanted:
                        found[(table, rid)] = orjson.loads(raw)
            finally:
                snap.close()
        for entry in journal.entries:
            if entry["q"] > (snap.seq if snap else 0):
                for table, rid, doc in entry["w"]:
                    if (table, str(rid)) in wanted:
                        found[(table, str(rid))] = doc
        return {k: v for k, v in found.items() if v is not None}

    # -- compaction, backups, closing -------------------------------------------------------------

    def _compact_threshold(self) -> int:
        if self.compact_bytes is not None:
            return self.compact_bytes
        try:
            snapshot = self.path.stat().st_size
        except OSError:
            snapshot = 0
        return max(4 << 20, snapshot // 4)  # replay stays a small part of start-up

    def _maybe_compact(self) -> None:
        grown = self._journal_size - self._housekeeping_failed_at
        if grown > self._compact_threshold():
            self._start_housekeeping()

    def _start_housekeeping(self, force: bool = False, delay: float = 0.0) -> None:
        """Compaction (and the daily backup) in a background thread: never on the event loop."""
        if self._housekeeper is not None and self._housekeeper.is_alive():
            return
        stop = threading.Event()
        self._stop_housekeeping = stop

        def work() -> None:
            if delay and stop.wait(delay):
                return
            try:
                if not delay or force:
                    self.compact(force=force)
                self._housekeeping_failed_at = 0
                self.backup_if_due()
            except Exception:  # the journal still holds everything; try again when it grows
                self._housekeeping_failed_at = self._journal_size
                log.exception("background compaction or backup of %s failed", self.path)

        self._housekeeper = threading.Thread(target=work, name="storage-housekeeping", daemon=True)
        self._housekeeper.start()

    def compact(self, force: bool = False, between: Callable[[], None] | None = None) -> bool:
        """Fold the journal into a new snapshot: built from the files (the committed state), the
        snapshot replaced atomically, then the journal replaced by the entries written meanwhile.
        Writes go on during the build; they wait only for the short switch-over. ``between`` is
        called after the new snapshot is in place and before the journal is switched (tests
        read the database there). False when there was nothing to fold."""
        self._check_writable()
        with self._compacting:
            with self._lock:
                seq, size = self._seq, self._journal_size
            if seq == self._journal_base and not force:
                return False
            with open(journal_path(self.path), "rb") as handle:
                journal = read_journal(journal_path(self.path), handle.read(size))
            snap = open_snapshot(self.path)
            placed: dict[str, dict[int, int]] = {records.cls.table: {} for records in self._stored()}
            try:
                write_merged(snap, journal, self.path, placed=placed)
            finally:
                if snap is not None:
                    snap.close()
            if between is not None:
                between()
            with self._lock:
                for records in self._stored():  # read from the new file from now on
                    records.move_to(os.open(self.path, os.O_RDONLY), placed[records.cls.table])
                del placed
                with open(journal_path(self.path), "rb") as handle:
                    handle.seek(size)
                    tail = handle.read(self._journal_size - size)
                header = journal_header(seq)
                atomic_write(journal_path(self.path), header + tail, like=self.path)
                old_fd, self._journal_fd = self._journal_fd, os.open(journal_path(self.path), os.O_WRONLY)
                os.close(old_fd)
                self._journal_base, self._journal_size, self._journal_torn = seq, len(header) + len(tail), False
                self._cache_fresh = False
                self._snapshots += 1
        self._refresh_load_cache()
        return True

    def flush(self) -> None:
        """Every acknowledged write is already durable; this also folds the journal into the
        snapshot now (before a planned stop or an outside copy of the file)."""
        self._wait_housekeeping()
        self.compact()

    def _backup_target(self) -> Path:
        return self.path.parent / "backups" / f"{self.path.stem}.{self._today().isoformat()}{self.path.suffix}"

    def backup_if_due(self) -> Path | None:
        """Today's copy in backups/ (written atomically and read back), the oldest beyond
        ``backups`` removed. None when backups are off or today's exists."""
        if not self.backups:
            return None
        target = self._backup_target()
        if target.exists():
            return None
        export(self.path, target)
        copies = sorted(target.parent.glob(f"{self.path.stem}.????-??-??{self.path.suffix}"))
        for old in copies[: -self.backups]:
            old.unlink(missing_ok=True)
        return target

    def _wait_housekeeping(self) -> None:
        worker = self._housekeeper
        if worker is not None and worker.is_alive():
            self._stop_housekeeping.set()
            worker.join()

    def close(self) -> None:
        """Fold the journal into the snapshot, close the files and release the writer lock
        (every acknowledged write was durable before: this only makes the next start faster).
        While the load cache matches the snapshot, the journal is left as it is: the next start
        reads the cache and replays the journal (it stays under the compaction threshold), and
        a stop does not rewrite a large snapshot and make a new cache for a few writes."""
        if self._closed:
            return
        try:
            if self._writer is not None:
                self._wait_housekeeping()
                self._wait_load_cache()
                if not self._cache_fresh:
                    try:
                        self.compact()
                    except Exception:
                        log.exception("compaction at close of %s failed; the journal keeps every write", self.path)
                    self._refresh_load_cache()  # unless the compaction started one
                    self._wait_load_cache(cancel=False)
        finally:
            self._closed = True
            self._release()

    def _wait_load_cache(self, cancel: bool = True) -> None:
        """Until the load cache's child is done (a stop waits for it: a service manager may kill
        what is left). ``cancel``: one still waiting out its delay is called off instead."""
        worker = self._cache_writer
        if worker is not None and worker.is_alive():
            if cancel:
                self._stop_cache_writer.set()
            worker.join()

    def _release(self) -> None:
        if self._journal_fd is not None:
            os.close(self._journal_fd)
            self._journal_fd = None
        if self._writer is not None:
            self._writer.release()
            self._writer = None

    def __enter__(self) -> "Repository":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- proposals ------------------------------------------------------------------------------

    def proposals(self) -> list[Proposal]:
        return self.all(Proposal)

    def find_by_number(self, text_or_key: str) -> list[Proposal]:
        """Proposals answering to a number, newest session first. Exact key matches first."""
        key = number_key(text_or_key)
        return sorted(
            self._lookup(Proposal, "number", key),
            key=lambda p: (p.number_key != key, -(p.term or 0), -(p.meeting or 0), p.region),
        )

    def proposals_handled_by(self, contact_id: int) -> list[Proposal]:
        return self._lookup(Proposal, "handler", contact_id)

    def proposals_of_unit(self, unit_id: int) -> list[Proposal]:
        """Items where the unit (by id) leads or co-handles."""
        return self._lookup(Proposal, "unit", unit_id)

    def open_proposals_of_unit(self, unit_id: int) -> list[Proposal]:
        return [p for p in self._lookup(Proposal, "unit", unit_id) if p.is_open]

    def proposals_naming_unit(self, name: str) -> list[Proposal]:
        """Items whose lead or co-unit is written ``name`` (records without unit ids)."""
        return self._lookup(Proposal, "unit_name", name)

    def number_keys(self) -> list[str]:
        return self._index_values(Proposal, "number")

    def find_proposal(self, identity: tuple) -> Proposal | None:
        body, region, term, meeting, key = identity
        for proposal in self.find_by_number(key):
            if proposal.identity == identity:
                return proposal
        return None

    # -- replies, contacts, departments -------------------------------------------------------

    def replies_for(self, proposal_id: int) -> list[Reply]:
        return sorted(self._lookup(Reply, "replies_of", proposal_id), key=lambda r: r.reply_date or "")

    def contacts(self) -> list[Contact]:
        return self.all(Contact)

    def contacts_by_id(self, ids: Iterable[int]) -> list[Contact]:
        return [c for c in (self.get(Contact, i) for i in ids) if c is not None]

    def find_contact(self, name: str, unit: str | int) -> Contact | None:
        """By name and unit: its id, or its name (the unit record's, else as written)."""
        if isinstance(unit, str):
            dept = self.department(unit)
            unit = dept.id if dept is not None else unit
        found = self._lookup(Contact, "contact", (name, unit))
        return found[0] if found else None

    def contacts_of_unit(self, unit_id: int) -> list[Contact]:
        return self._lookup(Contact, "unit_contacts", unit_id)

    def contact_for_user(self, user_id: int) -> Contact | None:
        found = self._lookup(Contact, "contact_user", user_id)
        return found[0] if found else None

    def departments(self) -> list[Department]:
        return self.all(Department)

    # -- events (a proposal's history) --------------------------------------------------------

    def events_for(self, proposal_id: int, keep: bool = True) -> list[Event]:
        """In the order they were recorded (bot.history sorts them by business date).
        ``keep=False``: for reading only (a pass over every history keeps memory as it was)."""
        return self._lookup(Event, "events_of", proposal_id, keep)

    def events_with_hash(self, source_hash: str) -> list[Event]:
        return self._lookup(Event, "event_hash", source_hash)

    def events_of_batch(self, batch: str, keep: bool = True) -> list[Event]:
        return self._lookup(Event, "event_batch", batch, keep)

    def events_of_kind(self, kind: str) -> list[Event]:
        """Only ``delete``, ``restore`` and ``edit`` events are indexed by kind."""
        return self._lookup(Event, "event_kind", kind)

    def event_batches(self) -> list[str]:
        return self._index_values(Event, "event_batch")

    def proposal_ids_with_events(self) -> list[int]:
        return self._index_values(Event, "events_of")

    def department(self, name: str) -> Department | None:
        found = self._lookup(Department, "department", name)
        return found[0] if found else None

    # -- users and audit --------------------------------------------------------------------------

    def user(self, user_id: int) -> User | None:
        found = self._lookup(User, "user", user_id)
        return found[0] if found else None

    def all_users(self) -> list[User]:
        return self.all(User)

    def setting(self, key: str) -> str | None:
        found = self._lookup(Setting, "setting", key)
        return found[0].value if found else None

    def set_setting(self, key: str, value: str) -> None:
        found = self._lookup(Setting, "setting", key)
        self.put(Setting(key=key, value=value, id=found[0].id if found else None))

    def set_user(self, user_id: int, role: str, granted_by: int | None, name: str = "") -> User:
        current = self.user(user_id)
        user = User(user_id=user_id, role=role, name=current.name if current else "")
        user.id = current.id if current else None
        user.granted_by, user.granted_at = granted_by, now_iso()
        user.name = name or user.name
        return self.put(user)

    def remove_user(self, user_id: int) -> bool:
        user = self.user(user_id)
        if user is None:
            return False
        self.delete(user)
        return True

    def audit(self, action: str, user_id: int | None, **details: Any) -> None:
        """Append to the audit trail: who did what, when (inside a batch: after its commit)."""
        entry = {"at": now_iso(), "action": action, "user_id": user_id, **details}
        with self._lock:
            self._check_writable()
            if self._batch_depth:
                self._tx_audit.append(entry)
                return
            try:
                self.audit_log.append([entry])
            except OSError as exc:
                log.error("audit append to %s failed: %s (%s)", self.audit_log.path, exc, entry)
                raise WriteFailed(self.audit_log.path, exc, saved=False) from exc

    def audit_entries(self) -> list[dict[str, Any]]:
        """The whole trail, oldest first (the TinyDB audit file of earlier versions first)."""
        entries: list[dict[str, Any]] = []
        legacy = side_path(self.path, "audit")
        snap = open_snapshot(legacy) if legacy.exists() else None
        if snap is not None:
            entries.extend(orjson.loads(raw) for table, _, raw in snap.rows() if table == "audit")
            snap.close()
        return entries + self.audit_log.entries()


def _open_writer(path: Path, wait: bool) -> WriterLock:
    """The writer lock, after checking the file and its folder can be written (a read-only one
    is reported, never replaced) and removing temp files a crash left."""
    folder = path.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(f"无法创建数据库文件夹 {folder}（{os_reason(exc, writing=True)}）。") from exc
    if not os.access(folder, os.W_OK | os.X_OK):
        raise StorageError(
            f"数据库所在文件夹不可写：{folder}。程序不能在这里保存更改，也不会启动；"
            "请给运行机器人的用户写权限（查询命令仍可使用）。"
        )
    if path.exists():
        mode = stat.S_IMODE(path.stat().st_mode)
        if not os.access(path, os.W_OK) or not mode & 0o222:
            raise StorageError(
                f"数据库文件是只读的：{path}（权限 {mode:04o}）。程序不会替换它，也不会启动；"
                "请改为可写（如 chmod u+w）后重试（查询命令仍可使用）。"
            )
    try:
        lock = WriterLock(path, wait)
    except OSError as exc:
        raise StorageError(f"无法锁定数据库 {path}（{os_reason(exc)}）。") from exc
    for removed in [*remove_stray_temps(folder, path.stem), *remove_stray_temps(folder / "backups", "*")]:
        log.warning("removed a temp file left by a crash: %s", removed)
    return lock


def backup_database(db: Path, target: Path) -> int:
    """A consistent copy of every committed write, while the bot runs or not: the number of
    documents written (the copy is read back before it counts)."""
    if not db.exists():
        raise StorageError(f"数据库文件不存在：{db}")
    return export(db, target)


def restore_database(db: Path, source: Path, backups_folder: Path | None = None) -> tuple[int, Path | None]:
    """Put ``source`` (a backup) in place of ``db``; the bot must be stopped. The source is
    loaded first (every record must build); the data it replaces is kept as a backup.
    Returns (records restored, where the replaced data went)."""
    lock = _open_writer(db, wait=False)
    try:
        checked = Repository(source, read_only=True)
        count = sum(len(records) for records in checked._records.values())
        kept = None
        current = open_snapshot(db)
        journal = read_journal(journal_path(db))
        if current is not None or journal.entries:
            stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
            kept = (backups_folder or db.parent / "backups") / f"{db.stem}.before-restore-{stamp}{db.suffix}"
            write_merged(current, journal, kept, like=db)
        top = max([current.seq if current else 0, *(e["q"] for e in journal.entries)]) + 1
        if current is not None:
            current.close()
        # a sequence number past every journal entry: the old entries can never be replayed onto it
        write_merged(open_snapshot(source), Journal(None, [], 0), db, like=db if db.exists() else None, seq=top)
        atomic_write(journal_path(db), journal_header(top), like=db)
        return count, kept
    finally:
        lock.release()
