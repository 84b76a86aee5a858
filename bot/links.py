"""One-time deep-link tokens that link a Telegram user to a contact (``/link``, ``/start``), and
the use cases around them: issue a token, redeem it (link the account, or ask the admins first
when the contact is linked to another account), answer a re-link request, revoke tokens pasted
in a group. Each checks, writes, audits and returns what happened; handlers/link.py words it.

Pure core: no telegram."""

from __future__ import annotations

import json
import os
import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from dataclasses import dataclass
from typing import Any

from bot.config import Config
from bot.model import Contact
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


# -- use cases -----------------------------------------------------------------------------------

LINKED, ALREADY, RELINK, GONE = "linked", "already", "relink", "gone"


@dataclass
class Redeemed:
    """``outcome``: LINKED (``open_items`` in hand), ALREADY (this account is the contact's
    already), RELINK (linked to another account: the admins must confirm), GONE (deleted)."""
    outcome: str
    contact: Contact | None = None
    open_items: int = 0


def issue(svc, links: LinkTokens, contact: Contact, actor: int | None, now: datetime) -> str:
    """A fresh token for the contact (audited)."""
    token = links.issue_link_token(contact.id, actor, now)
    svc.repo.audit("link_issued", actor, contact_id=contact.id, contact=contact.name)
    return token


def redeem(svc, links: LinkTokens, token: str, user_id: int) -> Redeemed:
    """``/start TOKEN``: link the account, or record a re-link request for the admins; raises
    LinkError for a token that cannot be used (unless it already linked this very account)."""
    try:
        contact_id = links.redeem_link_token(token, user_id, svc.clock())
    except LinkError as err:
        if err.code == "used" and err.used_by == user_id:
            contact = svc.repo.get(Contact, err.contact_id)
            if contact is not None and contact.telegram_user_id == user_id:
                return Redeemed(ALREADY, contact)
        raise
    contact = svc.repo.get(Contact, contact_id)
    if contact is None:
        return Redeemed(GONE)
    if contact.telegram_user_id not in (None, user_id):
        svc.repo.audit("relink_requested", user_id, contact_id=contact.id, contact=contact.name,
                       current_user=contact.telegram_user_id)
        return Redeemed(RELINK, contact)
    return Redeemed(LINKED, contact, link_account(svc, contact, user_id, confirmed_by=None))


def link_account(svc, contact: Contact, user_id: int, confirmed_by: int | None) -> int:
    """Link the account to the contact (audited; its reminders resume); the contact's open items."""
    previous = contact.telegram_user_id
    contact.telegram_user_id = user_id
    svc.repo.put(contact)
    svc.repo.audit("link", user_id, contact_id=contact.id, contact=contact.name, previous_user=previous,
                   confirmed_by=confirmed_by)
    if svc.reminders is not None:
        svc.reminders.unblock(user_id)
    return len(svc.units.items_of(contact)[0])


def relink_waiting(svc, contact_id: int, user_id: int) -> bool:
    """Whether the account's re-link request for the contact still waits for an answer: the
    audit trail's last word on it is the request (not a refusal, not a link made since)."""
    waiting = False
    for entry in svc.repo.audit_entries():
        if entry.get("contact_id") != contact_id:
            continue
        if entry["action"] == "relink_requested" and entry["user_id"] == user_id:
            waiting = True
        elif entry["action"] == "link" or (entry["action"] == "relink_refused" and entry.get("user") == user_id):
            waiting = False
    return waiting


@dataclass
class RelinkAnswer:
    contact: Contact
    previous: int | None          # the account linked before
    open_items: int | None = None  # confirmed: the contact's open items; refused: None


def answer_relink(svc, contact_id: int, user_id: int, actor: int, confirm: bool) -> RelinkAnswer | None:
    """An admin's answer to a re-link request (audited); None when it was answered already or the
    contact is gone: only the first answer counts."""
    contact = svc.repo.get(Contact, contact_id)
    if contact is None or not relink_waiting(svc, contact_id, user_id):
        return None
    previous = contact.telegram_user_id
    if not confirm:
        svc.repo.audit("relink_refused", actor, contact_id=contact.id, user=user_id)
        return RelinkAnswer(contact, previous)
    return RelinkAnswer(contact, previous, link_account(svc, contact, user_id, confirmed_by=actor))


def revoke_pasted(svc, links: LinkTokens, text: str, actor: int | None,
                  chat_id: int) -> tuple[list[Contact], list[int]] | None:
    """Tokens pasted in a group are revoked (audited); None when there were none, else the
    contacts they were for and who issued them."""
    revoked = links.revoke_pasted(text, svc.clock())
    if not revoked:
        return None
    contacts = [c for c in (svc.repo.get(Contact, item["contact_id"]) for item in revoked) if c is not None]
    svc.repo.audit("link_revoked", actor, chat_id=chat_id, contact_ids=[c.id for c in contacts])
    issuers = [i for i in dict.fromkeys(item.get("issued_by") for item in revoked) if i is not None]
    return contacts, issuers
