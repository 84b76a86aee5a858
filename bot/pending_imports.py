"""Assignment lists uploaded in chat, parsed and summed up, waiting for an admin to choose how
to import them (as history, or with reminders). Kept in memory only: a restart forgets them and
the admin sends the file again; nothing is written before the choice."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.importer import ParsedFile

EXPIRY = timedelta(minutes=30)  # the message handlers/upload.py sends says so


@dataclass
class PendingImport:
    parsed: ParsedFile
    user_id: int
    at: datetime


class PendingImports:
    """Parsed uploads by a short id (it goes into button callback data, ≤ 64 bytes)."""

    def __init__(self) -> None:
        self._items: dict[str, PendingImport] = {}
        self._taken: set[str] = set()  # ids already imported: a second press says so

    def add(self, parsed: ParsedFile, user_id: int, now: datetime) -> str:
        self._drop_expired(now)
        key = secrets.token_hex(4)  # random: a button from before a restart never hits a new upload
        self._items[key] = PendingImport(parsed, user_id, now)
        return key

    def take(self, key: str, now: datetime) -> PendingImport | None:
        """The upload under ``key``, removed so that a second press imports nothing; None when
        unknown (already imported, or sent before a restart) or expired."""
        self._drop_expired(now)
        item = self._items.pop(key, None)
        if item is not None:
            self._taken.add(key)
        return item

    def was_taken(self, key: str) -> bool:
        return key in self._taken

    def _drop_expired(self, now: datetime) -> None:
        for key in [k for k, item in self._items.items() if now - item.at > EXPIRY]:
            del self._items[key]
