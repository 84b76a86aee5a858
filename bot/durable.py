"""The files a database is made of, and how each is written so that a crash never loses an
acknowledged write (pure core: no telegram, no records).

``proposals.json``          the snapshot: a TinyDB database file (tables of documents keyed by
                            id), written one document per line so it can be merged by streaming;
                            its ``_meta`` table says which journal entry it includes (``seq``)
``proposals.json.journal``  every committed write since the snapshot: a header line
                            ``{"base": S}``, then one JSON line per transaction ``{"q": S+1,
                            "w": [[table, id, document or null], ...], "n": {table: next id}}``,
                            appended and fsynced before the write is acknowledged
``proposals.json.lock``     held with ``flock`` by the one process that writes; holds its PID
``proposals.json.cache``    what a start-up needs, made from one snapshot by a child process
                            (``bot.load_cache``); used only while that snapshot is unchanged
``proposals.audit.jsonl``   the audit trail, append-only, rotated by size

Compaction folds the journal into a new snapshot (temp file, fsync, rename) and then replaces
the journal by the lines written meanwhile. Readers that do not hold the lock read the snapshot
and then the journal; a journal whose base is newer than the snapshot they read means a
compaction ran in between, and they read again.

Slightly over 600 lines on purpose: the four files share one write discipline (temp, fsync,
rename; append, fsync; cut back on failure) and one wording of OS errors, kept together here.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

META = "_meta"
FORMAT = 2  # one document per line; 1 = TinyDB's own single-line file
# Where the single-line files written before the journal kept each table's next id.
LEGACY_META_IDS = {"proposals": 1, "replies": 2, "contacts": 3, "departments": 4, "users": 5, "events": 6}


class StorageError(Exception):
    """A database cannot be used as asked. The message is one Chinese line naming the file."""


class DatabaseLocked(StorageError):
    """Another process holds the writer lock."""

    def __init__(self, path: Path, pid: int | None):
        self.path, self.pid = path, pid
        who = f"进程 {pid}" if pid else "另一个进程"
        super().__init__(f"数据库 {path} 正由{who} 写入（机器人已在运行）：同一个数据库只能有一个程序写入。")


_REASONS = {
    errno.ENOSPC: "磁盘空间不足", errno.EDQUOT: "磁盘配额已满", errno.EFBIG: "文件超过大小上限",
    errno.EIO: "磁盘读写错误", errno.EACCES: "没有权限", errno.EPERM: "没有权限",
    errno.EROFS: "文件系统只读", errno.ENOENT: "路径不存在", errno.ENOTDIR: "路径中有一项不是文件夹",
    errno.EISDIR: "是一个文件夹", errno.ENAMETOOLONG: "路径太长", errno.ELOOP: "符号链接循环",
    errno.EMFILE: "打开的文件太多", errno.ENFILE: "打开的文件太多", errno.ENOLCK: "系统不支持文件锁",
}


def os_reason(exc: OSError, writing: bool = False) -> str:
    """The Chinese words for an OSError (the system's own text is English: never shown)."""
    if writing and exc.errno in (errno.EACCES, errno.EPERM):
        return "没有写入权限"
    return _REASONS.get(exc.errno, f"系统错误 {exc.errno}" if exc.errno else "系统错误")


class WriteFailed(StorageError):
    """A write did not reach the disk: memory is as it was before, nothing was saved."""

    def __init__(self, path: Path, exc: OSError, saved: bool = False):
        self.path, self.errno, self.saved = path, exc.errno, saved
        reason = os_reason(exc, writing=True)
        if saved:  # the records were committed; only the audit line after them failed
            super().__init__(f"更改已保存，但审计记录写入 {path} 失败（{reason}），请联系管理员。")
        else:
            super().__init__(f"未保存：写入 {path} 失败（{reason}），这次更改没有生效，请联系管理员处理后重试。")


# -- whole files ----------------------------------------------------------------------------------

def fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _keep_owner_and_mode(fd: int, like: Path) -> None:
    """A replacement keeps the permissions and owner of the file it replaces; a new file gets
    what a plain ``open`` would give it (mkstemp's 0600 would silently hide it from a group)."""
    try:
        st = os.stat(like)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)
        return
    os.fchmod(fd, stat.S_IMODE(st.st_mode))
    if (st.st_uid, st.st_gid) != (os.geteuid(), os.getegid()):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except PermissionError:  # only root may give a file away; the mode is still kept
            pass


def temp_name(path: Path) -> str:
    """The prefix of temp files made beside ``path`` (removed at start-up if a crash left them)."""
    return f".{path.name}."


def atomic_write(path: Path, payload: bytes | Iterable[bytes], like: Path | None = None) -> int:
    """Replace ``path`` so that readers see the old or the new file, never a mix: temp file in
    the same folder, fsync, rename, fsync of the folder. Returns the bytes written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=temp_name(path), suffix=".tmp", dir=path.parent)
    size = 0
    try:
        _keep_owner_and_mode(fd, like or path)
        with os.fdopen(fd, "wb", buffering=1 << 20) as handle:
            for chunk in [payload] if isinstance(payload, bytes) else payload:
                handle.write(chunk)
                size += len(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)
    return size


def remove_stray_temps(folder: Path, stem: str) -> list[Path]:
    """Temp files a killed writer left behind (``.proposals.json.x1y2.tmp`` and the like;
    ``stem="*"`` for every one in a folder of our own, such as backups/)."""
    removed = []
    for candidate in folder.glob(f".{stem}.*.tmp"):
        try:
            candidate.unlink()
            removed.append(candidate)
        except FileNotFoundError:
            pass
    return removed


# -- the writer lock ------------------------------------------------------------------------------

def lock_path(db: Path) -> Path:
    return db.with_name(db.name + ".lock")


class WriterLock:
    """``flock`` on ``<database>.lock`` (not an fcntl record lock: those are dropped when any
    descriptor of the file closes). Released when the process ends, however it ends."""

    GRACE = 1.0  # seconds: a process killed a moment ago may still be on its way out

    def __init__(self, db: Path, wait: bool = False):
        self.db = db
        self.path = lock_path(db)
        self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if wait:
                fcntl.flock(self._fd, fcntl.LOCK_EX)
            else:
                self._try_for(self.GRACE)
        except BlockingIOError:
            pid = _read_pid(self._fd)
            os.close(self._fd)
            self._fd = None
            raise DatabaseLocked(db, pid) from None
        except BaseException:
            os.close(self._fd)
            self._fd = None
            raise
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, f"{os.getpid()}\n".encode(), 0)

    def _try_for(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while True:
            try:
                fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise
                time.sleep(0.02)

    def release(self) -> None:
        if self._fd is not None:
            try:
                os.ftruncate(self._fd, 0)
            except OSError:
                pass
            os.close(self._fd)  # closing the only descriptor drops the flock
            self._fd = None


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", "replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def lock_holder(db: Path) -> int | None:
    """The PID holding the writer lock of ``db``, or None when nobody writes."""
    path = lock_path(db)
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_pid(fd) or -1
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


# -- the snapshot ---------------------------------------------------------------------------------
#
#   {
#   "_meta":{
#   "1":{"format":2,"seq":17,"next_id":{"proposals":4}}
#   }
#   ,"proposals":{
#   "1":{...}
#   ,"2":{...}
#   }
#   }
#
# Valid JSON (TinyDB reads it), and each document sits on its own line (JSON strings cannot
# hold a raw newline), so a merge copies unchanged documents as bytes.

_RECORD_LINE = re.compile(rb'^,?"(\d+)":(\{.*\})$')
_TABLE_LINE = re.compile(rb'^,?"([^"\\]+)":\{$')

Row = tuple[str, str, bytes]  # (table, id, document as JSON)


# Where a document sits in a snapshot file, as one int: its offset << 24 | its length (a
# document of 16 MB or more has no place and is kept in memory). See ``read_placed``.
_PLACE_BITS = 24


def place(offset: int, length: int) -> int | None:
    return offset << _PLACE_BITS | length if length < 1 << _PLACE_BITS else None


def read_placed(fd: int, placed: int) -> bytes:
    """The document at ``placed`` (see ``place``) in the snapshot open as ``fd``."""
    length = placed & ((1 << _PLACE_BITS) - 1)
    raw = os.pread(fd, length, placed >> _PLACE_BITS)
    if len(raw) != length:
        raise StorageError(f"数据库文件在读取时变短了（需要 {length} 字节，读到 {len(raw)}）")
    return raw


def snapshot_lines(meta: dict[str, Any], rows: Iterable[Row],
                   placed: dict[str, dict[int, int]] | None = None) -> Iterator[bytes]:
    """The snapshot file as lines, from rows grouped by table. ``placed``: table → a dict this
    fills with id → place of each of its documents in the file (for the tables it names)."""
    head = b'{\n"' + META.encode() + b'":{\n"1":' + orjson.dumps(meta) + b"\n}\n"
    yield head
    position = len(head)
    table = None
    first = False
    places = None
    for name, rid, doc in rows:
        if name != table:
            if table is not None:
                yield b"}\n"
                position += 2
            line = b',"' + name.encode() + b'":{\n'
            yield line
            position += len(line)
            table, first = name, True
            places = placed.get(name) if placed else None
        prefix = (b'"' if first else b',"') + rid.encode() + b'":'
        if places is not None:
            spot = place(position + len(prefix), len(doc))
            if spot is not None:
                places[int(rid)] = spot
        yield prefix + doc + b"\n"
        position += len(prefix) + len(doc) + 1
        first = False
    if table is not None:
        yield b"}\n"
    yield b"}\n"


@dataclass
class Snapshot:
    """A snapshot file opened for reading: its meta now, its rows as they stream."""

    path: Path
    seq: int = 0
    next_ids: dict[str, int] = field(default_factory=dict)
    line_format: bool = True
    _rows: Iterator[tuple[str, str, bytes, int | None]] = field(default_factory=lambda: iter(()))
    _handle: Any = None

    def rows(self) -> Iterator[Row]:
        return ((table, rid, doc) for table, rid, doc, _ in self._rows)

    def placed_rows(self) -> Iterator[tuple[str, str, bytes, int | None]]:
        """Rows with where each document sits in the file (``place``; None in TinyDB's
        single-line layout, which is held in memory, and for a document too large to place)."""
        return self._rows

    def identity(self) -> tuple[int, int, int, int, int] | None:
        """This very file (device, inode, size, modification time) and the journal entry it
        includes: what a load cache made from it is checked against. None in TinyDB's
        single-line layout."""
        if self._handle is None:
            return None
        st = os.fstat(self._handle.fileno())
        return st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, self.seq

    def reader(self) -> int | None:
        """A descriptor of this very file to read placed documents from later (the caller
        closes it): the file stays readable through it after a compaction renames another over
        the path. None in TinyDB's single-line layout."""
        return os.dup(self._handle.fileno()) if self._handle is not None else None

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()


def shape_error(path: Path, problem: str) -> StorageError:
    return StorageError(
        f"数据库文件格式不对：{path}：{problem}。为避免覆盖数据，程序不会启动；"
        "请修复该文件，或用 proposal-bot restore 从备份恢复。"
    )


def open_snapshot(path: Path) -> Snapshot | None:
    """None when the file does not exist. A 0-byte file, broken JSON or a wrong shape raise
    StorageError naming the file and where the problem is. The open file is read to the end by
    ``rows()``; a rename over the path meanwhile does not affect it."""
    try:
        handle = open(path, "rb")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise StorageError(f"数据库文件无法读取：{path}（{os_reason(exc)}）。") from exc
    try:
        first = handle.readline()
        if not first:
            raise shape_error(path, "文件是空的（0 字节），没有任何表")
        if first == b"{\n":
            head = handle.readline()
            meta_row = handle.readline()
            close = handle.readline()
            match = _RECORD_LINE.match(meta_row.rstrip(b"\n"))
            if head == b'"' + META.encode() + b'":{\n' and match and close == b"}\n":
                meta = orjson.loads(match.group(2))
                snap = Snapshot(path, seq=int(meta.get("seq", 0)), next_ids=dict(meta.get("next_id", {})))
                snap._rows, snap._handle = _stream_rows(path, handle), handle
                return snap
        handle.seek(0)
        data = handle.read()
        handle.close()
    except StorageError:
        handle.close()
        raise
    except OSError as exc:
        handle.close()
        raise StorageError(f"数据库文件无法读取：{path}（{os_reason(exc)}）。") from exc
    except ValueError as exc:
        handle.close()
        raise shape_error(path, f"开头的元数据无法读取（{exc}）") from exc
    return _whole_file_snapshot(path, data)


def _stream_rows(path: Path, handle) -> Iterator[tuple[str, str, bytes, int | None]]:
    table: str | None = None
    position = handle.tell()
    with handle:
        for number, raw in enumerate(handle, start=5):
            line = raw.rstrip(b"\n")
            start, position = position, position + len(raw)
            if table is not None:
                match = _RECORD_LINE.match(line)
                if match:
                    doc = match.group(2)
                    yield table, match.group(1).decode(), doc, place(start + match.start(2), len(doc))
                    continue
                if line == b"}":
                    table = None
                    continue
            else:
                match = _TABLE_LINE.match(line)
                if match:
                    table = match.group(1).decode()
                    continue
                if line == b"}":
                    return
            raise shape_error(path, f"第 {number} 行不是预期的内容（{line[:60].decode('utf-8', 'replace')}）")
        raise shape_error(path, "文件在中途结束（缺少结尾的 }）")


def _whole_file_snapshot(path: Path, data: bytes) -> Snapshot:
    """A file in TinyDB's own single-line layout (or edited by hand): parsed whole."""
    try:
        parsed = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        raise StorageError(
            f"数据库文件无法读取：{path}（JSON 有误：{exc}）。为避免覆盖数据，程序不会启动；"
            "请修复该文件，或用 proposal-bot restore 从备份恢复。"
        ) from exc
    if not isinstance(parsed, dict):
        raise shape_error(path, f"顶层应是 JSON 对象（表名 → 记录），实际是 {_kind(parsed)}")
    for name, table in parsed.items():
        if not isinstance(table, dict):
            raise shape_error(path, f"表 {name} 应是 JSON 对象（编号 → 记录），实际是 {_kind(table)}")
        for rid, doc in table.items():
            if not rid.isdigit():
                raise shape_error(path, f"表 {name} 的记录编号“{rid[:20]}”不是数字")
            if not isinstance(doc, dict):
                raise shape_error(path, f"表 {name} 第 {rid} 条记录应是 JSON 对象，实际是 {_kind(doc)}")
    meta_table = parsed.pop(META, {})
    meta = meta_table.get("1", {})
    snap = Snapshot(path, line_format=False)
    if "seq" in meta:
        snap.seq, snap.next_ids = int(meta["seq"]), dict(meta.get("next_id", {}))
    else:
        for name, doc_id in LEGACY_META_IDS.items():
            doc = meta_table.get(str(doc_id))
            if doc and "next_id" in doc:
                snap.next_ids[name] = int(doc["next_id"])

    def rows() -> Iterator[tuple[str, str, bytes, None]]:
        for name, table in parsed.items():
            for rid, doc in table.items():
                yield name, rid, orjson.dumps(doc), None

    snap._rows = rows()
    return snap


def _kind(value: Any) -> str:
    return {list: "数组", str: "字符串", int: "数字", float: "数字", bool: "布尔值", type(None): "null"}.get(
        type(value), type(value).__name__)


# -- the journal ----------------------------------------------------------------------------------

def journal_path(db: Path) -> Path:
    return db.with_name(db.name + ".journal")


@dataclass
class Journal:
    """A journal as read: its base, its complete transactions, and where the good part ends."""

    base: int | None
    entries: list[dict[str, Any]]
    good_size: int  # bytes up to the end of the last complete line (a torn tail is beyond)


def read_journal(path: Path, data: bytes | None = None) -> Journal:
    if data is None:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return Journal(None, [], 0)
    base: int | None = None
    entries: list[dict[str, Any]] = []
    offset = 0
    lines = data.split(b"\n")
    for number, line in enumerate(lines, start=1):
        last = number == len(lines)
        if last:  # text after the final newline: a write cut short, never acknowledged
            break
        try:
            record = orjson.loads(line)
            if number == 1:
                base = int(record["base"])
            else:
                expected = (entries[-1]["q"] if entries else base) + 1
                if record["q"] != expected or not isinstance(record["w"], list):
                    raise ValueError(f"expected entry {expected}")
                entries.append(record)
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(lines) - 1 and number > 1:
                break  # the last line, complete but garbled: a torn write
            raise StorageError(
                f"数据库日志文件损坏：{path} 第 {number} 行（{exc}）。为避免丢失数据，程序不会启动；"
                "请用 proposal-bot restore 从备份恢复，或联系开发者。"
            ) from exc
        offset += len(line) + 1
    return Journal(base, entries, offset)


def journal_header(base: int) -> bytes:
    return orjson.dumps({"base": base}) + b"\n"


def changes_after(journal: Journal, seq: int) -> tuple[dict[tuple[str, str], bytes | None], dict[str, int], int]:
    """What the journal adds to a snapshot that includes entry ``seq``: the latest document (or
    None: deleted) per (table, id), the next ids, and the last entry number."""
    changes: dict[tuple[str, str], bytes | None] = {}
    next_ids: dict[str, int] = {}
    last = seq
    for entry in journal.entries:
        if entry["q"] <= seq:
            continue
        for table, rid, doc in entry["w"]:
            changes[(table, str(rid))] = None if doc is None else orjson.dumps(doc)
        for table, value in entry.get("n", {}).items():
            next_ids[table] = max(next_ids.get(table, 0), value)
        last = entry["q"]
    return changes, next_ids, last


def merged_rows(rows: Iterable[Row], changes: dict[tuple[str, str], bytes | None]) -> Iterator[Row]:
    """The snapshot's rows with the journal's changes applied: replaced in place, deleted ones
    left out, new ones at the end of their table (ids only grow)."""
    by_table: dict[str, dict[str, bytes | None]] = {}
    for (table, rid), doc in changes.items():
        by_table.setdefault(table, {})[rid] = doc
    current: str | None = None
    for table, rid, doc in rows:
        if table != current:
            if current is not None:
                yield from _inserts(current, by_table.pop(current, {}))
            current = table
        pending = by_table.get(table)
        if pending is not None and rid in pending:
            doc = pending.pop(rid)
            if doc is None:
                continue
        yield table, rid, doc
    if current is not None:
        yield from _inserts(current, by_table.pop(current, {}))
    for table in by_table:
        yield from _inserts(table, by_table[table])


def _inserts(table: str, docs: dict[str, bytes | None]) -> Iterator[Row]:
    for rid in sorted(docs, key=int):
        if docs[rid] is not None:
            yield table, rid, docs[rid]


def read_consistent(db: Path, attempts: int = 20) -> tuple[Snapshot | None, Journal]:
    """Snapshot and journal that belong together, for a process that does not hold the lock
    (the writer may compact meanwhile: then read again)."""
    for _ in range(attempts):
        snap = open_snapshot(db)
        journal = read_journal(journal_path(db))
        seq = snap.seq if snap else 0
        if journal.base is not None and journal.base > seq:
            if snap:
                snap.close()
            continue  # a compaction replaced both between our two reads
        return snap, journal
    raise StorageError(f"数据库 {db} 一直在变化，无法读到一致的内容，请稍后重试。")


def export(db: Path, target: Path, verify: bool = True) -> int:
    """Write one file holding every committed write of ``db`` (snapshot plus journal), checked
    by reading it back; usable while the writer runs. Returns the number of documents."""
    for attempt in range(3):
        snap, journal = read_consistent(db)
        count = write_merged(snap, journal, target)
        if not verify or verify_snapshot(target) == count:
            return count
    raise StorageError(f"备份 {target} 写入后校验不通过（三次），请检查磁盘。")


def write_merged(snap: Snapshot | None, journal: Journal, target: Path, like: Path | None = None,
                 seq: int | None = None, placed: dict[str, dict[int, int]] | None = None) -> int:
    """The merge of ``snap`` and ``journal`` written atomically to ``target``; returns the
    number of documents. ``placed``: see ``snapshot_lines``."""
    base = snap.seq if snap else 0
    changes, next_ids, last = changes_after(journal, base)
    meta = {"format": FORMAT, "seq": last if seq is None else seq,
            "next_id": {**(snap.next_ids if snap else {}), **next_ids}}
    count = 0

    def rows() -> Iterator[Row]:
        nonlocal count
        for row in merged_rows(snap.rows() if snap else (), changes):
            count += 1
            yield row

    atomic_write(target, snapshot_lines(meta, rows(), placed), like=like)
    return count


def verify_snapshot(path: Path) -> int:
    """Read a written snapshot back, every document parsed: the number of documents (raises
    StorageError when it does not load)."""
    snap = open_snapshot(path)
    if snap is None:
        raise StorageError(f"备份文件不存在：{path}")
    count = 0
    for table, rid, doc in snap.rows():
        if not isinstance(orjson.loads(doc), dict):
            raise shape_error(path, f"表 {table} 第 {rid} 条记录不是 JSON 对象")
        count += 1
    return count


# -- the audit trail --------------------------------------------------------------------------------

class AuditLog:
    """Append-only JSON lines, fsynced; when the file passes ``max_bytes`` it is renamed to
    ``….audit.N.jsonl`` (N counting up) and a new one begins. Nothing is ever rewritten."""

    def __init__(self, path: Path, max_bytes: int = 8 << 20):
        self.path = path
        self.max_bytes = max_bytes

    def rotated(self) -> list[Path]:
        stem = self.path.name[: -len(".jsonl")]
        found = []
        for candidate in self.path.parent.glob(f"{stem}.*.jsonl"):
            middle = candidate.name[len(stem) + 1: -len(".jsonl")]
            if middle.isdigit():
                found.append((int(middle), candidate))
        return [p for _, p in sorted(found)]

    def append(self, entries: list[dict[str, Any]]) -> None:
        payload = b"".join(orjson.dumps(e) + b"\n" for e in entries)
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            size = 0
        if size and size + len(payload) > self.max_bytes:
            numbers = [int(p.name.rsplit(".", 2)[-2]) for p in self.rotated()]
            target = self.path.with_name(f"{self.path.name[:-len('.jsonl')]}.{max(numbers, default=0) + 1}.jsonl")
            os.rename(self.path, target)
            fsync_dir(self.path.parent)
            size = 0
        append_durably(self.path, payload, size)

    def entries(self) -> list[dict[str, Any]]:
        out = []
        for path in [*self.rotated(), self.path]:
            try:
                data = path.read_bytes()
            except FileNotFoundError:
                continue
            for line in data.split(b"\n"):
                if line:
                    try:
                        out.append(orjson.loads(line))
                    except orjson.JSONDecodeError:  # a torn last line after a crash
                        pass
        return out


def append_durably(path: Path, payload: bytes, size: int | None = None) -> None:
    """Append and fsync; on failure cut the file back to where it was, so a half-written line
    can never join the next one."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o666)
    try:
        end = os.fstat(fd).st_size if size is None else size
        try:
            written = os.pwrite(fd, payload, end)
            if written != len(payload):
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            os.fdatasync(fd)
        except OSError:
            try:
                os.ftruncate(fd, end)
            except OSError:
                pass
            raise
    finally:
        os.close(fd)

