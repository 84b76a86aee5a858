"""Deleting and restoring an item (/delete, /restore): nothing is ever lost.

A deleted item leaves the proposals table, so every look-up, list, search, figure, export and
reminder stops seeing it without a filter anyone could forget; the ``delete`` event in its
history keeps the whole record, and a restore puts it back under the same id (its events,
replies and reminder ledger never moved). Both are events, so the timeline and /undo know them,
and both are audited. A list imported again leaves a deleted item deleted (bot.importer asks
``deleted_identities``). Pure core: no telegram.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot import history
from bot.model import EV_DELETE, EV_RESTORE, Contact, Department, Event, Proposal
from bot.numbers import number_key
from bot.storage import now_iso


@dataclass(frozen=True)
class Deleted:
    proposal: Proposal  # as it was when deleted
    event: Event  # the delete event


def _order(event: Event) -> tuple:
    return event.recorded_at, event.id or 0


def deleted_items(repo, key: str | None = None) -> list[Deleted]:
    """Items deleted and not restored since, the latest deletion first (``key``: only those
    with that number key)."""
    latest: dict[int, Event] = {}
    for event in (*repo.events_of_kind(EV_DELETE), *repo.events_of_kind(EV_RESTORE)):
        known = latest.get(event.proposal_id)
        if known is None or _order(event) > _order(known):
            latest[event.proposal_id] = event
    found = [Deleted(Proposal.from_doc(e.changes["record"], pid), e) for pid, e in latest.items()
             if e.kind == EV_DELETE and (key is None or number_key(e.changes["record"]["number"]) == key)
             and repo.get(Proposal, pid) is None]
    return sorted(found, key=lambda d: _order(d.event), reverse=True)


def deleted_identities(repo) -> set[tuple]:
    """Identities deleted by someone (an import's undo does not count: importing that list
    again is meant to bring its items back)."""
    return {d.proposal.identity for d in deleted_items(repo) if not d.event.changes.get("change")}


def delete_item(svc, p: Proposal, user_id: int | None, reason: str = "", *, undo_of: int | None = None,
                change: int | None = None) -> Event:
    """Take the item out of the table; its delete event keeps it whole."""
    changes = {"record": p.to_doc()}
    if undo_of is not None:
        changes["undo_of"] = undo_of
    if change is not None:
        changes["change"] = change  # the undo of that import
    event = Event(proposal_id=p.id, kind=EV_DELETE, business_date=svc.today().isoformat(), by=user_id,
                  source="chat", reason=reason[:200], recorded_at=now_iso(), changes=changes)
    with svc.repo.batch():
        svc.repo.put(event)
        svc.repo.delete(p)
        svc.repo.audit("delete", user_id, proposal_id=p.id, number=p.number, session=p.session_label,
                       body=p.body, undo_of=undo_of, change=change)
    return event


def restore_item(svc, item: Deleted, user_id: int | None, *, undo_of: int | None = None) -> tuple[Proposal | None, str]:
    """Put a deleted item back: (the item, "") or (None, why not, in Chinese)."""
    p = Proposal.from_doc(item.event.changes["record"], item.event.proposal_id)
    if svc.repo.get(Proposal, p.id) is not None:
        return None, f"第{p.number}号没有被删除。"
    clash = svc.repo.find_proposal(p.identity)
    if clash is not None:
        return None, (f"无法恢复：{p.body}{p.session_label}第{p.number}号已有一件同号提案（删除后又导入的），"
                      "请先核对，必要时删除其中一件。")
    # Units may have been merged or renamed, contacts removed, while it was away.
    units = [u for u in (p.lead_unit_id, *p.co_unit_ids) if u is not None]
    if any(svc.repo.get(Department, u) is None for u in units):
        p.lead_unit_id, p.co_unit_ids = None, []
        svc.units.assign_units(p, p.lead_unit, list(p.co_units), p.region)
    else:
        svc.units.refresh_names(p)
    p.handlers = [c for c in p.handlers if svc.repo.get(Contact, c) is not None]
    changes = {"undo_of": undo_of} if undo_of is not None else {}
    event = Event(proposal_id=p.id, kind=EV_RESTORE, business_date=svc.today().isoformat(), by=user_id,
                  source="chat", changes=changes)
    with svc.repo.batch():
        restored = history.record(svc.repo, svc.config, svc.calendar, p, [event])
        svc.repo.audit("restore", user_id, proposal_id=p.id, number=p.number, session=p.session_label,
                       body=p.body, undo_of=undo_of)
    return restored, ""


def deleted_line(item: Deleted) -> str:
    """第125号（政协 晋城市八届三次会议）已于 2026-11-23 删除（操作人 1001）。"""
    p, e = item.proposal, item.event
    who = f"（操作人 {e.by}）" if e.by else ""
    why = "，撤销导入时删除" if e.changes.get("change") else ""
    return f"第{p.number}号（{p.body} {p.session_label}）已于 {e.business_date or e.recorded_at[:10]} 删除{who}{why}。"
