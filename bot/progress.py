"""Handling progress, the use cases behind /reply, /feedback and /extend: each checks who may do
it, applies the transition (``bot.deadlines``: apply_reply / apply_feedback / extend), records the
event in the item's history (``Services.record``), writes the audit entry (who, the old and the
new state and due date) and returns what happened. The chat handler parses the arguments, calls
one of them and words the result. Pure core: no telegram.

A use case raises ``Refused`` when the user may not act on the item, and ``ValueError`` (in
Chinese) when the step cannot be taken (an unknown class, a closed item, a date before the
assignment, an extension that changes nothing).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime

from bot.deadlines import apply_feedback, apply_reply, check_not_before_assignment, extend, normalize_class
from bot.history import REPLY_KINDS, corrected, event_order, latest_state_date, reply_kind
from bot.model import EV_EDIT, EV_EXTENSION, EV_FEEDBACK, Event, Proposal, Reply
from bot.services import ADMIN, Services

log = logging.getLogger(__name__)

REPLY, FEEDBACK, EXTEND = "reply", "feedback", "extend"
SUPPLEMENT, CORRECT = "s", "c"  # what a second reply is: 补充答复, or a correction of the last one


class Refused(Exception):
    """The user may not do ``action`` on this item (only admins extend; admins and the item's
    linked handler reply and register feedback)."""

    def __init__(self, action: str, proposal: Proposal):
        super().__init__(f"{action} refused on proposal {proposal.id}")
        self.action, self.proposal = action, proposal


@dataclass
class ReplyRecorded:
    proposal: Proposal        # before
    changed: Proposal         # after, as stored
    event: Event              # the reply step (``late`` when dated before later steps)
    class_label: str          # what the class means in the item's scheme
    old_due: date | None
    new_due: date | None


@dataclass
class ReplyQuestion:
    """A reply is on record already: is this one a supplementary reply or a correction?"""

    proposal: Proposal
    classification: str
    reply_date: str
    doc_number: str | None
    last: Event               # the reply on record


@dataclass
class ReplyCorrected:
    proposal: Proposal
    changed: Proposal
    old: dict                 # field → value before (classification, business_date, doc_number)
    new: dict                 # field → value now; equal to ``old`` when nothing changed


@dataclass
class FeedbackRecorded:
    proposal: Proposal
    changed: Proposal
    event: Event
    old_due: date | None
    new_due: date | None


@dataclass
class Extended:
    proposal: Proposal
    changed: Proposal
    days: int
    reason: str
    old_due: date | None
    new_due: date | None
    by: int
    at: datetime


def may_act(svc: Services, user_id: int, proposal: Proposal, action: str) -> bool:
    """Admins always; the linked handler of this proposal (its own, else the lead unit's
    liaison) for reply and feedback."""
    if svc.role_of(user_id) == ADMIN:
        return True
    if action == EXTEND:
        return False
    return svc.units.may_reply(proposal, user_id)


def _check(svc: Services, user_id: int, proposal: Proposal, action: str) -> None:
    if not may_act(svc, user_id, proposal, action):
        log.warning("refused %s on proposal %s for user %s", action, proposal.id, user_id)
        raise Refused(action, proposal)


def _due_text(day: date | None) -> str:
    return day.isoformat() if day else "未知"


def latest_reply(events: list[Event]) -> Event | None:
    replies = [e for e in corrected(events) if e.kind in REPLY_KINDS and not e.late]
    return max(replies, key=event_order, default=None)


def register_reply(svc: Services, user_id: int, p: Proposal, raw_class: str, reply_date: str,
                   doc_number: str | None, mode: str | None = None
                   ) -> ReplyRecorded | ReplyQuestion | ReplyCorrected:
    """A reply was sent. When one is on record already and ``mode`` is not given, ask first
    (``ReplyQuestion``): ``SUPPLEMENT`` records a supplementary reply (补充答复, a new step),
    ``CORRECT`` corrects the last one (an edit of it)."""
    _check(svc, user_id, p, REPLY)
    scheme = svc.config.scheme_for(p.region, p.body)
    classification = normalize_class(raw_class, scheme)
    check_not_before_assignment(p, reply_date, "答复日期")
    events = svc.repo.events_for(p.id)
    last = latest_reply(events)
    if last is None and svc.repo.replies_for(p.id):
        mode = mode or SUPPLEMENT  # a reply stored before histories: never overwritten
    if last is not None and mode is None:
        if latest_state_date(events) > (last.business_date or ""):
            mode = SUPPLEMENT  # feedback came after the last reply: this one answers it (重新答复)
        else:
            return ReplyQuestion(p, classification, reply_date, doc_number, last)
    if mode == CORRECT and last is not None:
        return _correct_reply(svc, user_id, p, last, classification, reply_date, doc_number)
    apply_reply(p, classification, reply_date, svc.config)  # refuses a closed item, in Chinese
    old_due = svc.due_date(p)
    with svc.repo.batch():
        saved_reply = svc.repo.put(Reply(proposal_id=p.id, issuer=p.lead_unit or None, doc_number=doc_number,
                                         classification=classification, reply_date=reply_date,
                                         source_name="chat"))
        event = Event(proposal_id=p.id, kind=reply_kind(events, reply_date), business_date=reply_date,
                      by=user_id, source="chat", unit=p.lead_unit, classification=classification,
                      doc_number=doc_number, reply_id=saved_reply.id)
        changed = svc.record(p, event)
        new_due = svc.due_date(changed)
        svc.repo.audit("reply", user_id, proposal_id=p.id, number=p.number, classification=classification,
                       reply_date=reply_date, doc_number=doc_number, old_state=p.state, kind=event.kind,
                       new_state=changed.state, old_due=_due_text(old_due),
                       new_due=_due_text(new_due), on=svc.today().isoformat())
    return ReplyRecorded(p, changed, event, scheme.labels.get(classification, ""), old_due, new_due)


def _correct_reply(svc: Services, user_id: int, p: Proposal, last: Event, classification: str,
                   reply_date: str, doc_number: str | None) -> ReplyCorrected:
    """A correction is an edit event naming the reply it corrects; the reply record follows."""
    changes = {"classification": classification, "business_date": reply_date}
    if doc_number:
        changes["doc_number"] = doc_number
    old = {k: getattr(last, k) for k in changes}
    if old == changes:
        return ReplyCorrected(p, p, old, changes)
    with svc.repo.batch():
        changed = svc.record(p, Event(proposal_id=p.id, kind=EV_EDIT, business_date=svc.today().isoformat(),
                                      by=user_id, source="chat", target_id=last.id, changes=changes))
        stored = svc.repo.get(Reply, last.reply_id) if last.reply_id is not None else None
        if stored is not None:
            stored.classification, stored.reply_date = classification, reply_date
            stored.doc_number = doc_number or stored.doc_number
            svc.repo.put(stored)
        svc.repo.audit("reply_correction", user_id, proposal_id=p.id, number=p.number, event_id=last.id,
                       old=old, new=changes, old_state=p.state, new_state=changed.state,
                       on=svc.today().isoformat())
    return ReplyCorrected(p, changed, old, changes)


def register_feedback(svc: Services, user_id: int, p: Proposal, value: str, on_date: str) -> FeedbackRecorded:
    """The proposer's verdict (满意 / 基本满意 / 不满意) on ``on_date``."""
    _check(svc, user_id, p, FEEDBACK)
    old_due = svc.due_date(p)
    check_not_before_assignment(p, on_date, "反馈日期")
    checked = apply_feedback(p, value, on_date, svc.config)  # refuses what cannot be, in Chinese
    event = Event(proposal_id=p.id, kind=EV_FEEDBACK, business_date=on_date, by=user_id, source="chat",
                  feedback=checked.feedback)
    with svc.repo.batch():
        changed = svc.record(p, event)
        new_due = svc.due_date(changed)
        svc.repo.audit("feedback", user_id, proposal_id=p.id, number=p.number, feedback=checked.feedback,
                       feedback_date=on_date, old_state=p.state, new_state=changed.state,
                       old_due=_due_text(old_due), new_due=_due_text(new_due), on=svc.today().isoformat())
    return FeedbackRecorded(p, changed, event, old_due, new_due)


def grant_extension(svc: Services, user_id: int, p: Proposal, days: int, reason: str) -> Extended:
    """More (or, negative, fewer) days for the current deadline; admins only."""
    _check(svc, user_id, p, EXTEND)
    old_due = svc.due_date(p)
    extend(p, days, svc.config, svc.calendar)  # refuses an extension that changes nothing
    with svc.repo.batch():
        changed = svc.record(p, Event(proposal_id=p.id, kind=EV_EXTENSION, business_date=svc.today().isoformat(),
                                      by=user_id, source="chat", days=days, reason=reason))
        new_due = svc.due_date(changed)
        svc.repo.audit("extend", user_id, proposal_id=p.id, number=p.number, days=days, reason=reason,
                       old_due=_due_text(old_due), new_due=_due_text(new_due), on=svc.today().isoformat())
    return Extended(p, changed, days, reason, old_due, new_due, user_id, svc.clock())
