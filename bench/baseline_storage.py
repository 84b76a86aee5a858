"""The storage as it was before issue 9, kept as bench_storage.py's baseline (not used by the bot).

Storage: TinyDB files written atomically, behind a small repository API.

- ``AtomicJSONStorage`` keeps the data in memory and replaces the file atomically on each write
  (temp file in the same folder, fsync, ``os.replace``, fsync the folder), so a crash leaves the
  last good state. Inside ``batch()`` writes are collected and flushed once.
- ``Repository`` owns three files: the main one (proposals, replies, contacts, departments), and
  small high-churn ones beside it for users and the audit trail. Reads are served from
  in-memory records; TinyDB is only touched to write.
"""

from __future__ import annotations

import gc
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from bot.model import Contact, Department, Event, Proposal, Record, Reply, User
from bot.numbers import number_key, number_keys

log = logging.getLogger(__name__)

R = TypeVar("R", bound=Record)


class StorageError(Exception):
    """A database file exists but cannot be used. The message is Chinese and names the path."""


class AtomicJSONStorage(Storage):
    """A TinyDB storage that never leaves a half-written file behind."""

    def __init__(self, path: str | os.PathLike, backups: int = 7, today: Callable[[], date] = date.today):
        self.path = Path(path)
        self.backups = backups
        self._today = today
        self._data: dict[str, Any] | None = self._load()
        self._batch_depth = 0
        self._dirty = False

    def _load(self) -> dict[str, Any] | None:
        if not self.path.exists():
            return None
        try:
            raw = self.path.read_text(encoding="utf-8")
            if not raw.strip():
                # An empty file is what a fresh `touch` leaves; it holds no data to lose.
                return None
            data = json.loads(raw)
            if not isinstance(data, dict):
                raise ValueError("顶层不是 JSON 对象")
            return data
        except (OSError, UnicodeDecodeError, ValueError) as exc:
            raise StorageError(
                f"数据库文件无法读取：{self.path}（{exc.__class__.__name__}: {exc}）。"
                "为避免覆盖数据，程序不会启动；请修复该文件，或从 backups/ 中恢复。"
            ) from exc

    def read(self) -> dict[str, Any] | None:
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        if self._batch_depth:
            self._dirty = True
        else:
            self._flush()

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Collect the writes made inside and put them on disk once, at the end."""
        self._batch_depth += 1
        try:
            yield
        finally:
            self._batch_depth -= 1
            if self._batch_depth == 0 and self._dirty:
                self._dirty = False
                self._flush()

    def _flush(self) -> None:
        self._backup_once_a_day()
        payload = json.dumps(self._data or {}, ensure_ascii=False, separators=(",", ":"))
        atomic_write(self.path, payload.encode("utf-8"))

    def _backup_once_a_day(self) -> None:
        if not self.backups or not self.path.exists():
            return
        folder = self.path.parent / "backups"
        target = folder / f"{self.path.stem}.{self._today().isoformat()}{self.path.suffix}"
        if target.exists():
            return
        folder.mkdir(exist_ok=True)
        shutil.copy2(self.path, target)
        copies = sorted(folder.glob(f"{self.path.stem}.????-??-??{self.path.suffix}"))
        for old in copies[: -self.backups]:
            old.unlink(missing_ok=True)

    def close(self) -> None:
        pass


def atomic_write(path: Path, payload: bytes) -> None:
    """Replace ``path`` with ``payload`` so that readers see either the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def open_db(path: str | os.PathLike, backups: int = 7) -> TinyDB:
    """A TinyDB on an atomic storage (used for the main file and the small side files)."""
    return TinyDB(path, storage=AtomicJSONStorage, backups=backups)


def side_path(main: Path, name: str) -> Path:
    """data/proposals.json → data/proposals.users.json"""
    return main.with_name(f"{main.stem}.{name}{main.suffix}")


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


META = "_meta"  # per-table bookkeeping kept in the same file as the table
_META_IDS = {"proposals": 1, "replies": 2, "contacts": 3, "departments": 4, "users": 5, "events": 6}


def _index_keys(record: Record) -> tuple[tuple[str, Any], ...]:
    """The look-ups each kind of record answers to (kept current on every put)."""
    if isinstance(record, Proposal):
        units = {record.lead_unit, *record.co_units} if record.co_units else (record.lead_unit,)
        return (
            *(("number", key) for key in number_keys(record.number)),
            *(("handler", cid) for cid in record.handlers),
            *(("unit", unit) for unit in units if unit),
        )
    if isinstance(record, Reply):
        return (("replies_of", record.proposal_id),)
    if isinstance(record, Contact):
        if record.telegram_user_id is None:
            return (("contact", record.identity),)
        return (("contact", record.identity), ("contact_user", record.telegram_user_id))
    if isinstance(record, Department):
        return (("department", record.name),)
    if isinstance(record, User):
        return (("user", record.user_id),)
    return ()


class _Index(dict):
    """value → record ids: a bare int while one record has the value (most keys), a set beyond
    (a set per key would cost ~200 bytes each at 100k records)."""

    def add(self, value: Any, rid: int) -> None:
        current = self.get(value)
        if current is None:
            self[value] = rid
        elif type(current) is int:
            if current != rid:
                self[value] = {current, rid}
        else:
            current.add(rid)

    def discard(self, value: Any, rid: int) -> None:
        current = self.get(value)
        if current == rid:
            del self[value]
        elif type(current) is set:
            current.discard(rid)
            if len(current) == 1:
                self[value] = next(iter(current))

    def ids(self, value: Any) -> tuple[int, ...] | set[int]:
        current = self.get(value)
        if current is None:
            return ()
        return (current,) if type(current) is int else current


# Field values that repeat across many records; interned at load so records share one string.
_SHARED_FIELDS = ("body", "region", "state", "lead_unit", "issuer", "signed_by", "unit",
                  "classification", "assigned_date", "due_date", "reply_date", "feedback")


def _intern_shared(doc: dict[str, Any]) -> dict[str, Any]:
    for name in _SHARED_FIELDS:
        value = doc.get(name)
        if type(value) is str:
            doc[name] = sys.intern(value)
    co_units = doc.get("co_units")
    if co_units:
        doc["co_units"] = [sys.intern(u) for u in co_units]
    return doc


class Repository:
    """The only way the rest of the bot reads and writes records.

    Reads return the live in-memory records: change one only to ``put`` it back straight away.
    Hot look-ups go through dict indexes kept beside the records; TinyDB is only written to.
    Inside ``batch()`` record writes are collected and handed to TinyDB once per table (its
    per-insert update copies the whole table, which is quadratic over a bulk import).
    """

    MAIN_TABLES = (Proposal, Reply, Contact, Department, Event)  # events: as issue 8 added them

    def __init__(self, path: str | os.PathLike, backups: int = 7):
        self.path = Path(path)
        self._lock = threading.RLock()
        paused = gc.isenabled()
        gc.disable()  # a bulk load builds no cycles; the collector only slows it down
        try:
            self._load(backups)
        finally:
            # The loaded records live as long as the bot: move them out of the collector's
            # sight, or its next passes rescan them all (0.5 s at 100,000 proposals).
            gc.freeze()
            if paused:
                gc.enable()
        self._listeners: list[Callable[[str, Record], None]] = []

    def _load(self, backups: int) -> None:
        self._main = open_db(self.path, backups)
        self._users_db = open_db(side_path(self.path, "users"), backups)
        self._audit_db = open_db(side_path(self.path, "audit"), backups)
        self._records: dict[type[Record], dict[int, Record]] = {}
        self._index: dict[tuple[str, str], _Index] = {}  # (table, look-up name) → index
        self._keys_of: dict[tuple[type, int], tuple[tuple[str, Any], ...]] = {}
        self._next_id: dict[type[Record], int] = {}
        self._stored_ids: dict[type[Record], set[int]] = {}  # ids TinyDB holds right now
        self._pending: dict[type[Record], dict[int, dict | None]] = {}  # a batch's writes
        self._batch_depth = 0
        for cls in (*self.MAIN_TABLES, User):
            raw = (self._db_for(cls).storage.read() or {}).get(cls.table, {})
            self._records[cls] = {
                int(i): cls.from_doc(_intern_shared(doc), int(i)) for i, doc in raw.items()
            }
            self._stored_ids[cls] = set(self._records[cls])
            self._next_id[cls] = max(max(self._records[cls], default=0) + 1, self._saved_next_id(cls))
            for record in self._records[cls].values():
                self._reindex(record)

    # -- change listeners (the search index keeps itself current through this) --------------

    def subscribe(self, listener: Callable[[str, Record], None]) -> None:
        """``listener(op, record)`` is called after each committed change; op is "put" or "delete"."""
        self._listeners.append(listener)

    def _notify(self, op: str, record: Record) -> None:
        for listener in self._listeners:
            try:
                listener(op, record)
            except Exception:  # a broken listener must not undo a committed write
                log.exception("change listener failed for %s %s", op, record)

    # -- indexes --------------------------------------------------------------------------------

    def _reindex(self, record: Record, remove_only: bool = False) -> None:
        cls, rid = type(record), record.id
        # The keys it was indexed under: the caller may have changed the record in place.
        for name, value in self._keys_of.pop((cls, rid), ()):
            self._index[(cls.table, name)].discard(value, rid)
        if remove_only:
            return
        keys = _index_keys(record)
        self._keys_of[(cls, rid)] = keys
        for name, value in keys:
            index = self._index.get((cls.table, name))
            if index is None:
                index = self._index[(cls.table, name)] = _Index()
            index.add(value, rid)

    def _lookup(self, cls: type[R], name: str, value: Any) -> list[R]:
        index = self._index.get((cls.table, name))
        if index is None:
            return []
        records = self._records[cls]
        return [records[i] for i in sorted(index.ids(value))]  # type: ignore[misc]

    # -- generic record access ----------------------------------------------------------------

    def _db_for(self, cls: type[Record]) -> TinyDB:
        return self._users_db if cls is User else self._main

    def all(self, cls: type[R]) -> list[R]:
        return list(self._records[cls].values())  # type: ignore[arg-type]

    def get(self, cls: type[R], record_id: int) -> R | None:
        return self._records[cls].get(record_id)  # type: ignore[return-value]

    def put(self, record: R) -> R:
        """Insert (no id) or replace (with id) one record; returns it with its id."""
        cls = type(record)
        with self._lock:
            if record.id is None:
                record.id = self._next_id[cls]
            self._next_id[cls] = max(self._next_id[cls], record.id + 1)
            self._write(cls, record.id, record.to_stored())
            self._records[cls][record.id] = record
            self._reindex(record)
        self._notify("put", record)
        return record

    def delete(self, record: Record) -> None:
        cls = type(record)
        if record.id is None or record.id not in self._records[cls]:
            return
        with self._lock:
            self._write(cls, record.id, None)
            del self._records[cls][record.id]
            self._reindex(record, remove_only=True)
        self._notify("delete", record)

    def _write(self, cls: type[Record], record_id: int, doc: dict | None) -> None:
        """One document to TinyDB now, or into the batch (None deletes)."""
        if self._batch_depth:
            self._pending.setdefault(cls, {})[record_id] = doc
            return
        self._apply(cls, {record_id: doc})

    def _apply(self, cls: type[Record], docs: dict[int, dict | None]) -> None:
        """Replace and delete documents with two TinyDB updates, however many there are, and
        remember the next id (so a deleted record's id is never handed out again): one flush."""
        db = self._db_for(cls)
        table = db.table(cls.table)
        stored = self._stored_ids[cls]
        replaced = [i for i in docs if i in stored]
        inserts = [Document(doc, i) for i, doc in docs.items() if doc is not None]
        with db.storage.batch():
            if replaced:
                table.remove(doc_ids=replaced)
            if inserts:
                table.insert_multiple(inserts)
            if self._saved_next_id(cls) != self._next_id[cls]:
                db.table(META).upsert(Document({"next_id": self._next_id[cls]}, _META_IDS[cls.table]))
        stored.difference_update(replaced)
        stored.update(doc.doc_id for doc in inserts)

    def _saved_next_id(self, cls: type[Record]) -> int:
        doc = self._db_for(cls).table(META).get(doc_id=_META_IDS[cls.table])
        return doc["next_id"] if doc else 1

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many changes, one write per file (bulk imports)."""
        with self._lock:
            storages = [db.storage for db in (self._main, self._users_db, self._audit_db)]
            with _all_batched(storages):
                self._batch_depth += 1
                try:
                    yield
                finally:
                    self._batch_depth -= 1
                    if not self._batch_depth:
                        pending, self._pending = self._pending, {}
                        for cls, docs in pending.items():
                            self._apply(cls, docs)

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

    def open_proposals_of_unit(self, unit: str) -> list[Proposal]:
        """Open items where the unit leads or co-handles."""
        return [p for p in self._lookup(Proposal, "unit", unit) if p.is_open]

    def number_keys(self) -> list[str]:
        return list(self._index.get((Proposal.table, "number"), {}))

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

    def find_contact(self, name: str, unit: str) -> Contact | None:
        found = self._lookup(Contact, "contact", (name, unit))
        return found[0] if found else None

    def contact_for_user(self, user_id: int) -> Contact | None:
        found = self._lookup(Contact, "contact_user", user_id)
        return found[0] if found else None

    def departments(self) -> list[Department]:
        return self.all(Department)

    def department(self, name: str) -> Department | None:
        found = self._lookup(Department, "department", name)
        return found[0] if found else None

    # -- users and audit --------------------------------------------------------------------------

    def user(self, user_id: int) -> User | None:
        found = self._lookup(User, "user", user_id)
        return found[0] if found else None

    def all_users(self) -> list[User]:
        return self.all(User)

    def set_user(self, user_id: int, role: str, granted_by: int | None, name: str = "") -> User:
        user = self.user(user_id) or User(user_id=user_id, role=role)
        user.role, user.granted_by, user.granted_at = role, granted_by, now_iso()
        user.name = name or user.name
        return self.put(user)

    def remove_user(self, user_id: int) -> bool:
        user = self.user(user_id)
        if user is None:
            return False
        self.delete(user)
        return True

    def audit(self, action: str, user_id: int | None, **details: Any) -> None:
        """Append to the audit trail: who did what, when."""
        with self._lock:
            self._audit_db.table("audit").insert(
                {"at": now_iso(), "action": action, "user_id": user_id, **details}
            )

    def audit_entries(self) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self._audit_db.table("audit").all()]

    def close(self) -> None:
        for db in (self._main, self._users_db, self._audit_db):
            db.close()


@contextmanager
def _all_batched(storages: list[AtomicJSONStorage]) -> Iterator[None]:
    if not storages:
        yield
        return
    with storages[0].batch(), _all_batched(storages[1:]):
        yield
