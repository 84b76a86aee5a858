"""Storage: TinyDB files written atomically, behind a small repository API.

- ``AtomicJSONStorage`` keeps the data in memory and replaces the file atomically on each write
  (temp file in the same folder, fsync, ``os.replace``, fsync the folder), so a crash leaves the
  last good state. Inside ``batch()`` writes are collected and flushed once.
- ``Repository`` owns three files: the main one (proposals, replies, contacts, departments), and
  small high-churn ones beside it for users and the audit trail. Reads are served from
  in-memory records; TinyDB is only touched to write.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import threading
from contextlib import contextmanager
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, TypeVar

from tinydb import TinyDB
from tinydb.storages import Storage
from tinydb.table import Document

from bot.model import Contact, Department, Proposal, Record, Reply, User
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


class Repository:
    """The only way the rest of the bot reads and writes records.

    Reads return the live in-memory records: change one only to ``put`` it back straight away.
    """

    MAIN_TABLES = (Proposal, Reply, Contact, Department)

    def __init__(self, path: str | os.PathLike, backups: int = 7):
        self.path = Path(path)
        self._lock = threading.RLock()
        self._main = open_db(self.path, backups)
        self._users_db = open_db(side_path(self.path, "users"), backups)
        self._audit_db = open_db(side_path(self.path, "audit"), backups)
        self._records: dict[type[Record], dict[int, Record]] = {}
        for cls in (*self.MAIN_TABLES, User):
            db = self._users_db if cls is User else self._main
            table = db.table(cls.table)
            self._records[cls] = {
                doc.doc_id: cls.from_doc(dict(doc), doc.doc_id) for doc in table.all()
            }
        self._by_number: dict[str, set[int]] = {}
        self._keys_of: dict[int, set[str]] = {}
        for proposal in self.proposals():
            self._index_number(proposal)
        self._listeners: list[Callable[[str, Record], None]] = []

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
            table = self._db_for(cls).table(cls.table)
            doc = record.to_doc()
            if record.id is None:
                record.id = table.insert(doc)
            else:
                table.upsert(Document(doc, record.id))
            self._records[cls][record.id] = record
            if isinstance(record, Proposal):
                self._unindex_number(record)
                self._index_number(record)
        self._notify("put", record)
        return record

    def delete(self, record: Record) -> None:
        cls = type(record)
        if record.id is None:
            return
        with self._lock:
            self._db_for(cls).table(cls.table).remove(doc_ids=[record.id])
            self._records[cls].pop(record.id, None)
            if isinstance(record, Proposal):
                self._unindex_number(record)
        self._notify("delete", record)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """Many changes, one write per file (bulk imports)."""
        with self._lock:
            storages = [db.storage for db in (self._main, self._users_db, self._audit_db)]
            with _all_batched(storages):
                yield

    # -- proposals ------------------------------------------------------------------------------

    def proposals(self) -> list[Proposal]:
        return self.all(Proposal)

    def _index_number(self, proposal: Proposal) -> None:
        keys = number_keys(proposal.number)
        self._keys_of[proposal.id] = keys  # type: ignore[index]
        for key in keys:
            self._by_number.setdefault(key, set()).add(proposal.id)  # type: ignore[arg-type]

    def _unindex_number(self, proposal: Proposal) -> None:
        # The keys it was indexed under: the caller may have changed the number in place.
        for key in self._keys_of.pop(proposal.id, set()):  # type: ignore[arg-type]
            self._by_number.get(key, set()).discard(proposal.id)  # type: ignore[arg-type]

    def find_by_number(self, text_or_key: str) -> list[Proposal]:
        """Proposals answering to a number, newest session first. Exact key matches first."""
        key = number_key(text_or_key)
        ids = self._by_number.get(key, set())
        found = [self._records[Proposal][i] for i in ids]
        return sorted(
            found,  # type: ignore[arg-type]
            key=lambda p: (p.number_key != key, -(p.term or 0), -(p.meeting or 0), p.region),
        )

    def proposals_handled_by(self, contact_id: int) -> list[Proposal]:
        return [p for p in self.proposals() if contact_id in p.handlers]

    def open_proposals_of_unit(self, unit: str) -> list[Proposal]:
        """Open items where the unit leads or co-handles."""
        return [p for p in self.proposals() if p.is_open and (p.lead_unit == unit or unit in p.co_units)]

    def number_keys(self) -> list[str]:
        return [key for key, ids in self._by_number.items() if ids]

    def find_proposal(self, identity: tuple) -> Proposal | None:
        body, region, term, meeting, key = identity
        for proposal in self.find_by_number(key):
            if proposal.identity == identity:
                return proposal
        return None

    # -- replies, contacts, departments -------------------------------------------------------

    def replies_for(self, proposal_id: int) -> list[Reply]:
        replies = [r for r in self.all(Reply) if r.proposal_id == proposal_id]
        return sorted(replies, key=lambda r: r.reply_date or "")

    def contacts(self) -> list[Contact]:
        return self.all(Contact)

    def contacts_by_id(self, ids: Iterable[int]) -> list[Contact]:
        return [c for c in (self.get(Contact, i) for i in ids) if c is not None]

    def find_contact(self, name: str, unit: str) -> Contact | None:
        for contact in self.all(Contact):
            if contact.identity == (name, unit):
                return contact
        return None

    def contact_for_user(self, user_id: int) -> Contact | None:
        for contact in self.all(Contact):
            if contact.telegram_user_id == user_id:
                return contact
        return None

    def departments(self) -> list[Department]:
        return self.all(Department)

    # -- users and audit --------------------------------------------------------------------------

    def user(self, user_id: int) -> User | None:
        for user in self.all(User):
            if user.user_id == user_id:
                return user
        return None

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
