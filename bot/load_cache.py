"""The load cache: a snapshot's records, look-ups and event places as one ``marshal`` image, so
that a start-up builds records from columns instead of parsing every document (100,000 items:
about 0.3 s instead of 2).

It is derived from the snapshot file alone, never from a running bot's memory: a child process
(``python -m bot.load_cache DB``) loads the snapshot the way a cold start does, without the
journal, and writes the image atomically beside it, stamped with the snapshot's identity
(device, inode, size, modification time, journal entry) and the code that made it.
``Repository`` uses it only while that snapshot and that code are unchanged, then replays the
journal on top as usual; anything else (no cache, a stale or unreadable one, other code) is a
cold start, which stays correct. The writer starts the child after each compaction, at a clean
stop and a minute after a cold start (``Repository``). marshal: the standard library's fastest
reader of plain values; it keeps strings shared between records shared.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import marshal
import os
import subprocess
import sys
from pathlib import Path

log = logging.getLogger(__name__)

VERSION = 1
MIN_BYTES = 16 << 20  # below this a cold load is quick (a 16 MB snapshot: about 0.3 s)
_CODE_ROOT = Path(__file__).resolve().parents[1]


# The code that decides what an image holds: the records' fields, the look-ups and the keys
# they are found under (a number's keys, say). An image made by other code is not used.
_CODE = ("model.py", "storage.py", "placed.py", "durable.py", "numbers.py", "load_cache.py")


@functools.cache
def code_stamp() -> str:
    digest = hashlib.sha256()
    for name in _CODE:
        digest.update((Path(__file__).parent / name).read_bytes())
    return digest.hexdigest()[:16]


def cache_path(db: Path) -> Path:
    return db.with_name(db.name + ".cache")


def read(db: Path) -> dict | None:
    """The image beside ``db``, or None (missing or unreadable: a cold start)."""
    try:
        data = cache_path(db).read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        log.warning("load cache %s unreadable, loading the snapshot instead: %s", cache_path(db), exc)
        return None
    try:
        image = marshal.loads(data)
    except (EOFError, ValueError, TypeError) as exc:
        log.warning("load cache %s is damaged, loading the snapshot instead: %s", cache_path(db), exc)
        return None
    return image if type(image) is dict and image.get("version") == VERSION else None


def write(db: Path) -> bool:
    """Make the image of ``db``'s current snapshot (in this process). False when there is no
    snapshot in the line layout to make one from."""
    from bot.durable import atomic_write
    from bot.storage import Repository

    repo = Repository(db, read_only=True, journal=False)
    try:
        image = repo.load_image()
    finally:
        repo.close()
    if image is None:
        return False
    atomic_write(cache_path(db), marshal.dumps(image), like=db)
    return True


def write_in_child(db: Path, timeout: float = 600.0) -> bool:
    """``write`` in a child process, so that the bot's own memory never holds a second copy."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(_CODE_ROOT), os.environ.get("PYTHONPATH")]))}
    try:
        done = subprocess.run([sys.executable, "-m", "bot.load_cache", str(db)], capture_output=True, text=True,
                              timeout=timeout, env=env)
    except (OSError, subprocess.SubprocessError) as exc:
        log.warning("load cache for %s not written: %s", db, exc)
        return False
    if done.returncode != 0:
        log.warning("load cache for %s not written: %s", db, done.stderr.strip()[-2000:])
        return False
    return True


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.WARNING)
    if len(argv) != 1:
        print("usage: python -m bot.load_cache DATABASE", file=sys.stderr)
        return 2
    return 0 if write(Path(argv[0])) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
