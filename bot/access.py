"""Who may use the bot, the admins' use cases: /grant, /revoke and /group allow|deny. Each checks,
writes the user table, audits and returns what happened; handlers/access.py parses and words it.

Pure core: no telegram.
"""

from __future__ import annotations

from bot.services import ADMIN, GROUP_DETAILS, STAFF

GRANTABLE = (STAFF, ADMIN)
IN_CONFIG, REVOKED, NOT_GRANTED = "in_config", "revoked", "not_granted"


def grant(svc, actor: int, user_id: int, role: str) -> None:
    """Give ``user_id`` a role (staff or admin), audited."""
    if role not in GRANTABLE:
        raise ValueError(f"role {role!r} cannot be granted")
    svc.repo.set_user(user_id, role, granted_by=actor)
    svc.repo.audit("grant", actor, target=user_id, role=role)


def revoke(svc, actor: int, user_id: int) -> str:
    """Take a granted role away: IN_CONFIG (written in config.toml, nothing changes), REVOKED, or
    NOT_GRANTED (no /grant to undo; audited all the same)."""
    if user_id in svc.config.admins or user_id in svc.config.staff:
        return IN_CONFIG
    removed = svc.repo.remove_user(user_id)
    svc.repo.audit("revoke", actor, target=user_id, found=removed)
    return REVOKED if removed else NOT_GRANTED


def allow_group(svc, actor: int, chat_id: int, title: str | None) -> None:
    """Allowed users in the group may see phone numbers there (audited)."""
    svc.repo.set_user(chat_id, GROUP_DETAILS, granted_by=actor, name=title or "")
    svc.repo.audit("group_allow", actor, chat_id=chat_id, title=title)


def deny_group(svc, actor: int, chat_id: int, title: str | None) -> bool:
    """No phone numbers in the group any more (audited); whether it was allowed before."""
    allowed = svc.group_shows_details(chat_id)
    if allowed:
        svc.repo.remove_user(chat_id)
    svc.repo.audit("group_deny", actor, chat_id=chat_id, title=title, was_allowed=allowed)
    return allowed
