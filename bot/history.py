"""A proposal's history: dated events, and the state they add up to.

``replay(proposal, events, config, calendar)`` is the one place a proposal's state and due date
come from: a pure function of its events taken in business-date order (kind, then recording
time, break ties), so the same events in any order give the same card. What the proposal
record stores in ``state``, ``due_date`` … is only a cache, rebuilt at load (``rebuild_all``).

Rules the replay keeps:
- ``assigned`` starts the item (its business date is the assigned date; ``changes`` may carry
  the list's explicit ``due_date``); ``edit`` events change ``assigned_date`` / ``due_date`` /
  ``complex``, or, with ``target_id``, correct an earlier event (a reply's class, date, doc
  number) before anything is replayed;
- ``reply`` / ``supplementary_reply`` apply the class scheme (``deadlines.apply_reply``);
  ``feedback`` applies ``deadlines.apply_feedback``; ``extension`` ``deadlines.extend``;
  ``reopen`` starts a re-handling round; ``co_unit_opinion`` marks that co-unit done;
  ``nudge``, ``delete`` and ``restore`` change nothing (a deleted item is out of the table,
  see bot.deletion); an ``edit`` naming ``target_id`` with ``void`` takes its target back (the
  undo of an import): it stays in the timeline, marked, and changes nothing;
- a ``late`` event (recorded with a business date before a step already on record) is part of
  the timeline and never changes the state: history does not move backwards.

``record(repo, …)`` adds events and refreshes the cached proposal; it is the only writer.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import replace
from pathlib import Path
from typing import Iterable

from bot.config import Config
from bot.durable import WriteFailed
from bot.deadlines import (
    SATISFIED,
    WorkCalendar,
    add_months,
    apply_feedback,
    apply_reply,
    as_date,
    extend,
)
from bot.model import (
    ASSIGNED,
    CLOSED,
    EV_ASSIGNED,
    EV_CO_UNIT_OPINION,
    EV_DELETE,
    EV_EDIT,
    EV_EXTENSION,
    EV_FEEDBACK,
    EV_NUDGE,
    EV_REOPEN,
    EV_REPLY,
    EV_RESTORE,
    EV_SUPPLEMENTARY,
    HANDLING,
    REOPENED,
    REPLIED,
    Department,
    Event,
    Proposal,
    Reply,
)

log = logging.getLogger(__name__)

# Same-day order: an assignment before its edits, an opinion before the lead unit's reply,
# a reply before the feedback on it.
KIND_ORDER = {
    EV_ASSIGNED: 0, EV_EDIT: 1, EV_CO_UNIT_OPINION: 2, EV_REPLY: 3, EV_SUPPLEMENTARY: 4,
    EV_EXTENSION: 5, EV_FEEDBACK: 6, EV_REOPEN: 7, EV_NUDGE: 8, EV_DELETE: 9, EV_RESTORE: 9,
}
REPLY_KINDS = (EV_REPLY, EV_SUPPLEMENTARY)
# Steps that move the state: one dated before the latest of these arrives "late".
STATE_KINDS = (EV_REPLY, EV_SUPPLEMENTARY, EV_FEEDBACK, EV_EXTENSION, EV_REOPEN)
EDITABLE = ("assigned_date", "due_date", "complex")
CORRECTABLE = ("classification", "business_date", "doc_number", "unit")
DERIVED = ("state", "assigned_date", "due_date", "feedback", "feedback_date", "follow_up_date",
           "extension_days", "co_units_done", "quiet")


def event_order(event: Event) -> tuple:
    return (event.business_date or "", KIND_ORDER.get(event.kind, 9), event.recorded_at, event.id or 0)


def corrected(events: Iterable[Event]) -> list[Event]:
    """The events with every correction (an ``edit`` naming ``target_id``) applied to a copy of
    its target, in the order the corrections were recorded."""
    events = list(events)
    fixes = sorted((e for e in events if e.kind == EV_EDIT and e.target_id is not None),
                   key=lambda e: (e.recorded_at, e.id or 0))
    if not fixes:
        return events
    by_id = {e.id: e for e in events}
    for fix in fixes:
        target = by_id.get(fix.target_id)
        if target is None:
            continue
        if fix.changes.get("void"):
            by_id[fix.target_id] = replace(target, changes={**target.changes, "voided": True}, late=True)
            continue
        values = {k: v for k, v in fix.changes.items() if k in CORRECTABLE}
        by_id[fix.target_id] = replace(target, changes=dict(target.changes), **values)
    return [by_id.get(e.id, e) if e.id is not None else e for e in events]


def standing(events: Iterable[Event]) -> list[Event]:
    """The events with corrections applied and without those an undo took back (voided)."""
    return [e for e in corrected(events) if not e.changes.get("voided")]


def replay(proposal: Proposal, events: Iterable[Event], config: Config,
           calendar: WorkCalendar | None = None) -> Proposal:
    """The proposal as its events leave it (a copy; static fields such as the title are kept)."""
    ordered = sorted(corrected(events), key=event_order)
    assigned = next((e for e in ordered if e.kind == EV_ASSIGNED and not e.changes.get("voided")), None)
    p = replace(
        proposal, co_units=list(proposal.co_units), handlers=list(proposal.handlers),
        warnings=list(proposal.warnings), co_units_done=[],
        state=ASSIGNED if assigned is not None else HANDLING,
        assigned_date=None, due_date=None, feedback=None, feedback_date=None,
        follow_up_date=None, extension_days=0, quiet=False,
    )
    for event in ordered:
        if event.late:
            continue
        try:
            p = _step(p, event, config, calendar)
        except ValueError as exc:  # recorded, but not a valid step here: kept in the timeline
            log.info("event %s (%s) of proposal %s does not apply: %s", event.id, event.kind, p.id, exc)
    return p


def _step(p: Proposal, event: Event, config: Config, calendar: WorkCalendar | None) -> Proposal:
    kind = event.kind
    if kind == EV_ASSIGNED:
        if event.business_date:
            p.assigned_date = event.business_date
        p.due_date = event.changes.get("due_date") or p.due_date
        p.quiet = event.quiet
        return p
    if kind == EV_EDIT:
        if event.target_id is None:
            for name, value in event.changes.items():
                if name in EDITABLE:
                    setattr(p, name, value)
        return p
    if kind == EV_CO_UNIT_OPINION:
        # by unit id when the item knows it: the name the item shows now (units get renamed)
        name = event.unit
        if event.unit_id is not None and event.unit_id in p.co_unit_ids:
            index = p.co_unit_ids.index(event.unit_id)
            name = p.co_units[index] if index < len(p.co_units) else name
        if name and name not in p.co_units_done:
            p.co_units_done.append(name)
        return p
    if kind in (EV_NUDGE, EV_DELETE, EV_RESTORE):
        return p
    p.quiet = False  # someone acted on it: reminders resume
    day = event.business_date or event.recorded_at[:10]
    if kind in REPLY_KINDS:
        if p.state == CLOSED:
            return p
        if event.classification:
            return apply_reply(p, event.classification, day, config)
        p.state, p.follow_up_date = REPLIED, None
        if p.feedback in SATISFIED:
            p.state = CLOSED
        return p
    if kind == EV_FEEDBACK:
        return apply_feedback(p, event.feedback or "", day, config)
    if kind == EV_EXTENSION:
        return extend(p, event.days, config, calendar)
    if kind == EV_REOPEN:
        rule = config.rule_for(p.region, p.body)
        p.state = REOPENED
        p.due_date = add_months(as_date(day), rule.reopen_months).isoformat()
        p.extension_days, p.follow_up_date = 0, None
        return p
    return p


# -- recording --------------------------------------------------------------------------------

def latest_state_date(events: Iterable[Event]) -> str:
    """The business date of the latest step that moved the state ("" when none)."""
    return max((e.business_date or "" for e in events if e.kind in STATE_KINDS and not e.late), default="")


def is_late(event: Event, events: Iterable[Event]) -> bool:
    if event.kind not in (EV_REPLY, EV_SUPPLEMENTARY, EV_FEEDBACK) or not event.business_date:
        return False
    return event.business_date < latest_state_date(events)


def reply_kind(events: Iterable[Event], business_date: str | None) -> str:
    """A reply dated on or after a reply already on record supplements it (补充答复)."""
    day = business_date or "9999"
    replies = [e for e in standing(events) if e.kind in REPLY_KINDS and (e.business_date or "") <= day]
    return EV_SUPPLEMENTARY if replies else EV_REPLY


def baseline_events(proposal: Proposal, replies: list[Reply]) -> list[Event]:
    """Events that reproduce a proposal stored before histories existed (its first new event
    is recorded on top of them, so nothing it knew is lost)."""
    source = "迁移"
    events = [Event(
        proposal_id=proposal.id, kind=EV_ASSIGNED, business_date=proposal.assigned_date, source=source,
        changes={"due_date": proposal.due_date} if proposal.due_date and proposal.state != REOPENED else {},
    )] if proposal.assigned_date or proposal.due_date or proposal.state == ASSIGNED else []
    last = proposal.assigned_date or ""
    for i, reply in enumerate(sorted(replies, key=lambda r: r.reply_date or "")):
        events.append(Event(
            proposal_id=proposal.id, kind=EV_REPLY if i == 0 else EV_SUPPLEMENTARY,
            business_date=reply.reply_date or proposal.feedback_date, source=reply.source_name or source,
            source_hash=None, unit=reply.issuer or reply.signed_by or "", reply_id=reply.id,
            classification=reply.classification, doc_number=reply.doc_number,
        ))
        last = max(last, reply.reply_date or "")
    if proposal.feedback:
        events.append(Event(proposal_id=proposal.id, kind=EV_FEEDBACK, source=source,
                            business_date=proposal.feedback_date, feedback=proposal.feedback))
        last = max(last, proposal.feedback_date or "")
    if proposal.extension_days:
        events.append(Event(proposal_id=proposal.id, kind=EV_EXTENSION, source=source,
                            business_date=last or None, days=proposal.extension_days))
    return events


def record(repo, config: Config, calendar: WorkCalendar | None, proposal: Proposal,
           new_events: Iterable[Event], *, new: bool = False) -> Proposal:
    """Add events to the proposal's history and put the proposal as they leave it (``proposal``
    may be a working copy carrying changed static fields; it must already have an id; ``new``:
    it was just created, so it has no earlier state to keep).
    A reply or feedback dated before a state step already on record is marked late."""
    from bot.storage import now_iso

    new_events = list(new_events)
    with repo.batch():  # the events and the state they leave: one transaction
        history = list(repo.events_for(proposal.id))
        if not history and not new:
            stored = repo.get(Proposal, proposal.id)
            if stored is not None:  # a record from before histories: keep what it knew
                recording = {e.reply_id for e in new_events}
                replies = [r for r in repo.replies_for(proposal.id) if r.id not in recording]
                history = [repo.put(e) for e in baseline_events(stored, replies)]
        for event in new_events:
            event.proposal_id = proposal.id
            event.recorded_at = event.recorded_at or now_iso()
            event.late = event.late or is_late(event, standing(history))
            history.append(repo.put(event))
        refreshed = replay(proposal, current_units(repo, history), config, calendar)
        return repo.put(refreshed)


DERIVED_FROM = "derived_from"  # the Setting naming what the cached states were computed with


def derived_from(repo, config: Config, calendar: WorkCalendar | None) -> str:
    """A fingerprint of everything a replay depends on besides the events: the bot's code (any
    upgrade), what it reads of the configuration (the rules and class schemes: a replay that
    reads more must add it here; addresses and tokens must not start a replay), the holiday
    tables and the units' ids and names (a renamed or merged unit changes ``current_units``)."""
    digest = hashlib.sha256()
    digest.update(repr(sorted((d.id, d.name) for d in repo.departments())).encode())
    for path in sorted(Path(__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    digest.update(repr((config.rules, config.class_schemes)).encode())
    if calendar is not None:
        digest.update(repr((sorted(calendar.holidays), sorted(calendar.extra_workdays), calendar.covered,
                            getattr(calendar._lib, "__version__", None))).encode())
    return digest.hexdigest()


def rebuild_all(repo, config: Config, calendar: WorkCalendar | None) -> int:
    """At load: recompute every cached state from the events, unless the stored states were
    computed by this same code and configuration (every write of events stores the state they
    leave in the same transaction, see ``record``). Stale states are stored, then the
    fingerprint; a read-only (or closed) repository rebuilds in memory only. Returns how many were stale."""
    mark = derived_from(repo, config, calendar)
    if repo.setting(DERIVED_FROM) == mark:
        return 0
    stale: list[Proposal] = []
    with_events = repo.proposal_ids_with_events()
    for pid in with_events:
        proposal = repo.get(Proposal, pid)
        if proposal is None:
            continue
        fresh = replay(proposal, current_units(repo, repo.events_for(pid, keep=False)), config, calendar)
        if any(getattr(fresh, name) != getattr(proposal, name) for name in DERIVED):
            stale.append(fresh)
    if stale:
        log.warning("%d cached proposal states differed from their history; rebuilt", len(stale))
    if repo.writable and with_events:
        try:
            with repo.batch():
                for fresh in stale:
                    repo.put(fresh)
                repo.set_setting(DERIVED_FROM, mark)
            return len(stale)
        except WriteFailed as exc:  # the states still serve from memory; the next start tries again
            log.error("rebuilt proposal states not stored: %s", exc)
    for fresh in stale:
        proposal = repo.get(Proposal, fresh.id)
        for name in DERIVED:
            setattr(proposal, name, getattr(fresh, name))
    return len(stale)


def timeline(repo, proposal_id: int) -> list[Event]:
    """The events as they happened (corrections applied), oldest first, naming each unit as
    it is called now."""
    return sorted(corrected(current_units(repo, repo.events_for(proposal_id))), key=event_order)


def current_units(repo, events: Iterable[Event]) -> list[Event]:
    """The events with each unit as it is now: by id (a renamed unit shows its new name); a
    unit merged away (/merge deletes it) is the unit that took its name as an alias. Copies:
    a stored event keeps the unit it named then."""
    out, merged = [], None
    for event in events:
        if event.unit_id is None:
            out.append(event)
            continue
        unit = repo.get(Department, event.unit_id)
        if unit is None and event.unit:
            if merged is None:
                merged = {a: d for d in repo.departments() for a in d.aliases}
            unit = merged.get(event.unit)
        if unit is None or unit.name == event.unit and unit.id == event.unit_id:
            out.append(event)
        else:
            out.append(replace(event, unit=unit.name, unit_id=unit.id))
    return out

