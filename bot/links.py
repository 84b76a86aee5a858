"""One-time deep-link tokens that link a Telegram user to a contact (``/link``, ``/start``).
Pure core: no telegram."""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.config import Config
from bot.storage import StorageError, atomic_write

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
