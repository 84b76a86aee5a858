"""The daily reminder plan: who gets which ping today. Pure core: no telegram, no I/O.

``plan_sweep(today, proposals, contacts_by_id, config, calendar, ...)`` once per sweep, then
``bot.reminders.deliver`` sends what it returns. The dates come from ``bot.deadlines``
(``handling_due_date``, ``due_date_of``, ``co_unit_due_date``: the functions its tests check);
this module only caches them per distinct input and decides the steps and recipients. The
running bot keeps a ``SweepPlanner`` (``plan_sweep`` is one with nothing kept): each item's
deadline, recipients and texts stay from one daily sweep to the next until what they read
changes, so a day's sweep costs the day count, the step and the ledger check per item.

(Over 600 lines: it is one planner, and its steps, recipients, texts and what it keeps between
sweeps depend on one another; split, each part would need the others' caches.)

Reminder steps (the ``step`` of a ``Ping``), per deadline cycle (``cycle`` = the deadline):
- ``due-K`` for K in the configured offsets: the step is the *bucket* the item is in today, the
  smallest offset ≥ days left. A sweep after downtime therefore finds the most recent missed
  step only, and the ledger (keyed by proposal, step, recipient, cycle) stops repeats.
- ``overdue-N`` every day while overdue; ``escalate`` once, from ``escalate_after_days`` overdue,
  to the lead unit's supervisor chat, else its linked unit leader, else the admin chat, else
  every admin; never to the admins for an item without any handler (the digest counts those).
- ``co-due-K`` / ``co-overdue``: co-units' opinion to the lead unit (``co_unit_due_date``), one
  overdue reminder only; a co-unit whose opinion is recorded (``co_units_done``) gets no more.
- ``followup-YYYY-MM-DD``: follow-up (回头看) items, every ``follow_up_every_days`` counted back
  from the follow-up date, on that date, then every ``follow_up_every_days`` after it.
- ``calendar-YYYY``: the one-time notice to admins that the holiday calendar ran out.
A new deadline (extension, reopening) is a new cycle: its countdown starts afresh.
"""

from __future__ import annotations

import gc
import logging
from collections import defaultdict
from collections.abc import Container, Iterable, Mapping
from datetime import date, timedelta
from itertools import zip_longest
from typing import NamedTuple

from bot.config import Config, HandlingRule
from bot.deadlines import (
    CALENDAR_WARNING,
    WorkCalendar,
    as_date,
    co_unit_due_date,
    due_date_of,
    handling_due_date,
)
from bot.model import ASSIGNED, FOLLOW_UP, HANDLING, REOPENED, Contact, Department, Proposal
from bot.render import contact_label, esc, short_title
from bot.units import handler_ids

log = logging.getLogger(__name__)

SYSTEM = 0  # proposal_id of pings that concern no proposal (calendar notice, digest, …)
TITLE_MAX = 60


class Ping(NamedTuple):
    """One message to one recipient for one step of one proposal's deadline cycle.

    ``recipient`` is a Telegram chat id, or ``"webhook:<unit>"`` for a unit's group robot.
    ``text`` is Telegram HTML. ``who`` names the recipient for reports ("张三（某单位）").
    (A NamedTuple: immutable, and cheap to create by the hundred thousand.)
    """

    proposal_id: int
    step: str
    recipient: int | str
    text: str
    cycle: str = ""
    who: str = ""

    @property
    def key(self) -> tuple[int, str, int | str, str]:
        return (self.proposal_id, self.step, self.recipient, self.cycle)


def chain_of(step: str) -> str:
    """Steps that succeed one another within a cycle share a chain (the ledger keeps the last)."""
    if step.startswith(("due-", "overdue-")):
        return "deadline"
    if step.startswith("co-"):
        return "co"
    if step.startswith("followup-"):
        return "followup"
    return step


def webhook_recipient(unit: str) -> str:
    return f"webhook:{unit}"


def admin_targets(config: Config, admins: Iterable[int] | None = None) -> list[int]:
    """Where admin notices go: the admin chat, else each admin privately."""
    if config.reminders.admin_chat_id:
        return [config.reminders.admin_chat_id]
    return list(dict.fromkeys(admins if admins is not None else config.admins))


def open_proposal_ids(proposals: Iterable[Proposal]) -> set[int]:
    """Ids whose ledger entries must be kept (``Ledger.compact``)."""
    return {p.id for p in proposals if p.is_open and p.id is not None}


MISSING = object()
NOTHING = object()  # the kept plan of an item that plans nothing (closed, quiet, no follow-up date)
new_ping = tuple.__new__  # Ping(...) without NamedTuple's Python-level __new__ (100k pings a sweep)


class _Item:
    """What one open item's pings are made of, none of it depending on the day: its deadline
    (date, ordinal and cycle, shared by the items with the same deadline), and — made on first
    use — its recipients and the body of its deadline text (the one sent daily while overdue).
    Kept by ``SweepPlanner`` until the item or what it reads changes. Texts sent once per cycle
    (escalation, co-unit, follow-up) are not kept: on a normal day the ledger leaves them out."""

    __slots__ = ("p", "follow_up", "due", "due_ord", "cycle", "replied", "targets", "escalation", "co",
                 "chat", "robot")

    def __init__(self, p: Proposal, follow_up: bool, day: tuple, replied: date | None = None):
        self.p = p
        self.follow_up = follow_up
        self.due, self.due_ord, self.cycle = day
        self.replied = replied
        self.targets = self.escalation = self.co = None
        self.chat = self.robot = None  # the deadline text after its countdown, with and without commands


NO_DAY = (None, None, "")


class SweepPlanner:
    """The reminder planner, keeping each item's plan (``_Item``) between sweeps: the bot sweeps
    daily in one process, and an item's deadline, recipients and texts rarely change between
    two days. Only the day count, the step and the ledger check are done for every item each day.

    What an item's plan reads, and how a change reaches it:
    - the proposal record: ``on_change`` (subscribed to ``Repository.subscribe`` with ``watch``)
      drops the plan of a proposal put or deleted; events are history and not read;
    - contacts (linked, muted, name, unit), liaisons, unit leaders, supervisor chats: compared
      with the previous sweep's at the start of each sweep (a few thousand small records: cheap,
      and nothing depends on a notification being sent), and only the items that read a changed
      one are planned afresh (the items it handles, the items of the units it is liaison or
      leader of);
    - the config, the calendar, the admins (config and granted) and the departments' names and
      aliases: when any of them differs (rare), every plan is made afresh.
    Like the search index and the office view, it follows the repository's writes: a record
    changed in memory but never put is not seen (nor stored).
    ``plan_sweep`` is the same planner with nothing kept. What is kept costs about 40 MB at
    100,000 items (bench/README.md, "Reminder sweep"); a day's sweep then costs about a third of
    a fresh plan.
    """

    def __init__(self) -> None:
        self.config: Config | None = None
        self.calendar: WorkCalendar | None = None
        self.entries: dict[int, _Item | object] = {}
        # proposals put or deleted since the last sweep: added to by the writers' thread while a
        # sweep may run in another, so only ever added to and popped from, never swapped
        self.dirty: set[int] = set()
        self.contact_facts: dict[int, tuple] = {}
        self.liaisons: dict[int, int] = {}  # unit id → its liaison's contact id
        self.leaders: dict[int, int] = {}  # unit id → its unit leader's contact id
        self.canonical: dict[str, str] = {}
        self.supervisors: dict[str, int] = {}
        self.unit_supervisors: dict[int, int] = {}
        self.admin_targets: list[int] = []
        # which items read a contact, a unit id, a unit name: made at the first change that needs it
        self.by_contact: defaultdict[int, set[int]] | None = None
        self.by_unit: defaultdict[int, set[int]] = defaultdict(set)
        self.by_name: defaultdict[str, set[int]] = defaultdict(set)
        self.pings: list[Ping] = []
        self.append = None  # self.pings.append during a sweep
        self.sent = None
        self.overdue_steps: dict[int, str] = {}
        self.heads: dict[str, dict[int, str]] = {"": {}, "协办意见": {}}
        self.escaped: dict[str, str] = {}
        self.errors: list[tuple[int, str]] = []

    def watch(self, repo) -> "SweepPlanner":
        repo.subscribe(self.on_change)
        return self

    def on_change(self, op: str, record) -> None:
        if isinstance(record, Proposal):
            self.dirty.add(record.id)

    # one sweep -----------------------------------------------------------------------------

    def plan(
        self,
        today: date,
        proposals: Iterable[Proposal],
        contacts_by_id: Mapping[int, Contact],
        config: Config,
        calendar: WorkCalendar | None,
        *,
        departments: Iterable[Department] = (),
        admins: Iterable[int] | None = None,
        sent: Container | None = None,
        liaisons: Mapping[int, int] | None = None,
        leaders: Mapping[int, int] | None = None,
    ) -> list[Ping]:
        """What is due today, as pings (``plan_sweep`` says what is planned for whom)."""
        if calendar is not None and config.reminders.workdays_only and not calendar.is_workday(today):
            return []
        paused = gc.isenabled()
        gc.disable()  # 100,000 pings make no cycles: the collector's passes would only slow the plan
        try:
            self.begin(today, config, calendar, contacts_by_id, departments, admins, sent,
                       dict(liaisons or {}), dict(leaders or {}))
            self.plan_items(proposals)
            self.system_pings()
        finally:
            if paused:
                gc.enable()
        pings, self.pings, self.append, self.sent = self.pings, [], None, None  # nothing of the day kept
        return pings

    def begin(self, today, config, calendar, contacts, departments, admins, sent, liaisons, leaders) -> None:
        self.today_ord = today.toordinal()
        self.contacts = contacts
        # A ledger can hand over plain sets (keys not to plan, blocked recipients): set look-ups
        # are several times cheaper than a method call per ping.
        view = getattr(sent, "planning_view", None)
        if view is not None:
            sent, blocked = view()
        else:
            blocked = frozenset()
        self.sent = sent
        self.blocked = blocked
        self.pings: list[Ping] = []
        self.append = self.pings.append
        self.errors = []
        canonical: dict[str, str] = {}
        supervisors: dict[str, int] = {}
        unit_supervisors: dict[int, int] = {}
        for dept in departments:
            for name in (dept.name, *dept.aliases):
                canonical.setdefault(name, dept.name)
            if dept.supervisor_chat_id:
                supervisors[dept.name] = dept.supervisor_chat_id
                if dept.id is not None:
                    unit_supervisors[dept.id] = dept.supervisor_chat_id
        targets = admin_targets(config, admins)
        facts = {cid: (c.telegram_user_id, c.muted, c.unit, c.unit_id, c.name) for cid, c in contacts.items()}
        if (config is not self.config or calendar is not self.calendar or canonical != self.canonical
                or targets != self.admin_targets):
            self.reset(config, calendar)
        else:
            self.forget_changed(facts, liaisons, leaders, supervisors, unit_supervisors)
        self.contact_facts, self.liaisons, self.leaders = facts, liaisons, leaders
        self.canonical, self.supervisors, self.unit_supervisors = canonical, supervisors, unit_supervisors
        self.admin_targets = targets

    def reset(self, config: Config, calendar: WorkCalendar | None) -> None:
        """Nothing kept: a new config or calendar, other admins, renamed or merged units."""
        self.config, self.calendar = config, calendar
        self.entries = {}
        self.dirty.clear()  # everything is planned afresh (after the writes notified so far)
        self.by_contact, self.by_unit, self.by_name = None, defaultdict(set), defaultdict(set)
        self.rules: dict[tuple[str, str], HandlingRule] = {}
        self.example_classes: dict[int, str] = {}
        self.deadlines: dict[tuple, tuple] = {}  # (due, its ordinal, its cycle) or NO_DAY
        self.days: dict[date, tuple] = {}
        self.shared: dict[tuple, list] = {}  # one recipient list per recipient (escalations)
        self.last_parts: tuple[Proposal | None, tuple[str, str, str, str]] = (None, ("", "", "", ""))
        self.targets: dict[int, tuple[int, str] | None] = {}
        self.escalation_names: dict[int, tuple[str, str, str]] = {}
        rem = config.reminders
        offsets = sorted(set(o for o in rem.offsets if o >= 0))
        self.max_offset = offsets[-1] if offsets else -1
        # the step of each day count: "due-K" for K the smallest offset ≥ days left
        self.due_steps = [f"due-{next(o for o in offsets if o >= d)}" for d in range(self.max_offset + 1)]
        self.co_steps = ["co-" + step for step in self.due_steps]
        self.escalate_after = rem.escalate_after_days
        self.every = max(1, rem.follow_up_every_days)
        self.webhooks = config.webhooks or {}

    def forget_changed(self, facts, liaisons, leaders, supervisors, unit_supervisors) -> None:
        """Drop the kept plans of the proposals put or deleted since the last sweep, and of the
        items that read a contact, liaison, leader or supervisor chat that differs from then."""
        dirty = set()
        old = self.contact_facts
        contacts = {cid for cid, fact in facts.items() if old.get(cid) != fact}
        contacts.update(old.keys() - facts.keys())
        units = set()
        for before, now in ((self.liaisons, liaisons), (self.leaders, leaders),
                            (self.unit_supervisors, unit_supervisors)):
            if before != now:
                units.update(uid for uid in before.keys() | now.keys() if before.get(uid) != now.get(uid))
            if contacts:  # a changed liaison or leader changes the plans of their units' items
                units.update(uid for uid, cid in (*before.items(), *now.items()) if cid in contacts)
        names = {name for name in self.supervisors.keys() | supervisors.keys()
                 if self.supervisors.get(name) != supervisors.get(name)}
        for cid in contacts:
            self.targets.pop(cid, None)
            self.escalation_names.pop(cid, None)
        if contacts or units or names:
            if self.by_contact is None:
                self.by_contact = defaultdict(set)
                for item in self.entries.values():
                    if item is not NOTHING:
                        self.depend(item.p)
            for cid in contacts:
                dirty.update(self.by_contact.pop(cid, ()))
            for uid in units:
                dirty.update(self.by_unit.pop(uid, ()))
            for name in names:
                dirty.update(self.by_name.pop(name, ()))
        pop = self.entries.pop
        for pid in dirty:
            pop(pid, None)
        written = self.dirty
        while written:
            pop(written.pop(), None)

    def depend(self, p: Proposal) -> None:
        """Note what the item's plan reads besides the proposal: its handlers, its units (their
        liaisons, leaders, supervisor chats by unit id) and its lead unit's name (supervisor chat
        by name)."""
        pid = p.id
        for cid in p.handlers:
            self.by_contact[cid].add(pid)
        if p.lead_unit_id is not None:
            self.by_unit[p.lead_unit_id].add(pid)
        for uid in p.co_unit_ids:
            self.by_unit[uid].add(pid)
        if p.lead_unit:
            self.by_name[self.unit_name(p.lead_unit)].add(pid)

    # cached look-ups -----------------------------------------------------------------------

    def rule(self, p: Proposal) -> HandlingRule:
        key = (p.region, p.body)
        rule = self.rules.get(key)
        if rule is None:
            rule = self.rules[key] = self.config.rule_for(p.region, p.body)
        return rule

    def unit_name(self, unit: str) -> str:
        return self.canonical.get(unit, unit)

    def webhook_for(self, unit: str) -> str | None:
        if not unit or not self.webhooks:
            return None
        if unit in self.webhooks:
            return unit
        name = self.canonical.get(unit)
        return name if name in self.webhooks else None

    # recipients ----------------------------------------------------------------------------

    def reachable(self, cid: int | None) -> Contact | None:
        contact = self.contacts.get(cid) if cid is not None else None
        if contact is None or contact.telegram_user_id is None or contact.muted:
            return None
        return contact

    def target(self, cid: int) -> tuple[int, str] | None:
        """(chat id, "张三（某单位）") of a contact a ping can reach, else None; once per contact."""
        try:
            return self.targets[cid]
        except KeyError:
            contact = self.reachable(cid)
            found = self.targets[cid] = (
                (contact.telegram_user_id, contact_label(contact)) if contact is not None else None)
            return found

    def handlers(self, p: Proposal) -> tuple[list[Contact], list[Contact]]:
        """(lead-unit handlers, co-unit handlers) that can receive a ping: the item's own
        handlers, else its lead unit's liaison (bot.units.handler_ids, the one rule)."""
        lead, co = [], []
        co_units = p.co_units
        co_names = None
        for cid in handler_ids(p, self.liaisons):
            contact = self.reachable(cid)
            if contact is None:
                continue
            if contact.unit_id is not None and contact.unit_id in p.co_unit_ids:
                co.append(contact)
                continue
            unit = contact.unit
            if co_units and unit and unit != p.lead_unit:
                if co_names is None:
                    co_names = {self.unit_name(u) for u in co_units}
                if unit in co_units or self.unit_name(unit) in co_names:
                    co.append(contact)
                    continue
            lead.append(contact)
        return lead, co

    def lead_targets(self, p: Proposal) -> list[tuple[int | str, str]]:
        """Recipients of the item's own reminders: its lead-unit handlers and the lead unit's
        group robot. Without co-units every reachable handler is a lead-unit handler."""
        if p.co_units or p.co_unit_ids:
            targets = [self.target(c.id) for c in self.handlers(p)[0]]
        else:
            known, target = self.targets, self.target
            targets = []
            for cid in handler_ids(p, self.liaisons):
                found = known.get(cid, MISSING)
                if found is MISSING:
                    found = target(cid)
                if found is not None:
                    targets.append(found)
        if self.webhooks:
            hook = self.webhook_for(p.lead_unit)
            if hook:
                targets.append((webhook_recipient(hook), hook))
        return targets

    def emit(self, p: Proposal, item: _Item, step: str, cycle: str, recipients, text, days_left: int) -> None:
        """Append one ping per recipient not already in the ledger; each text is rendered at
        most twice: with the command hints for chats, without them for group robots."""
        chat_text = robot_text = None
        pid = p.id
        sent = self.sent
        append = self.append
        for recipient, who in recipients:
            if sent is not None and ((pid, step, recipient, cycle) in sent or recipient in self.blocked):
                continue
            if recipient.__class__ is not str:
                if chat_text is None:
                    chat_text = text(p, item, days_left, True)
                append(new_ping(Ping, (pid, step, recipient, chat_text, cycle, who)))
            else:
                if robot_text is None:
                    robot_text = text(p, item, days_left, False)
                append(new_ping(Ping, (pid, step, recipient, robot_text, cycle, who)))

    # the plan ------------------------------------------------------------------------------

    def item(self, p: Proposal) -> _Item | object:
        """The item's plan facts that do not depend on the day (NOTHING: it plans nothing)."""
        if p.quiet:  # imported as history: silent until someone acts on it
            return NOTHING
        state = p.state
        if state == ASSIGNED or state == HANDLING or state == REOPENED:
            # self.deadline(p), inlined: one call and one rule look-up fewer per open item
            rule = self.rules.get((p.region, p.body)) or self.rule(p)
            if state == REOPENED or (p.feedback == "不满意" and p.feedback_date is not None):  # is_rehandled
                key = (id(rule), True, p.assigned_date, p.due_date, p.feedback_date, p.complex, p.extension_days)
            else:
                key = (id(rule), False, p.assigned_date, p.due_date, None, p.complex, p.extension_days)
            day = self.deadlines.get(key)
            if day is None:
                day = self.deadlines[key] = self.day(handling_due_date(p, self.config, self.calendar, rule=rule))
            return _Item(p, False, day)
        if state == FOLLOW_UP and p.follow_up_date:
            due = due_date_of(p, self.config, self.calendar)
            return _Item(p, True, self.day(due), as_date(p.follow_up_date) - timedelta(days=self.rule(p).follow_up_days))
        return NOTHING

    def day(self, due: date | None) -> tuple:
        """(due, its ordinal, its ISO form): one tuple per date, shared by the items' plans."""
        if due is None:
            return NO_DAY
        day = self.days.get(due)
        if day is None:
            day = self.days[due] = (due, due.toordinal(), due.isoformat())
        return day

    def plan_items(self, proposals: Iterable[Proposal]) -> None:
        entries = self.entries
        get = entries.get
        for p in proposals:
            pid = p.id
            if pid is None:
                continue
            try:
                item = get(pid)
                if item is None:
                    item = entries[pid] = self.item(p)
                    if self.by_contact is not None and item is not NOTHING:
                        self.depend(p)
                if item is NOTHING:
                    continue
                if item.follow_up:
                    self.plan_follow_up(p, item)
                else:
                    self.plan_deadline(p, item)
            except Exception as exc:  # one bad record (or a missing rule) never stops a sweep
                log.exception("reminder plan failed for proposal %s", pid)
                self.errors.append((pid, f"{exc.__class__.__name__}: {exc}"))

    def plan_deadline(self, p: Proposal, item: _Item) -> None:
        due_ord = item.due_ord
        if due_ord is not None:
            days_left = due_ord - self.today_ord
            if days_left < 0:
                step = self.overdue_steps.get(days_left)
                if step is None:
                    step = self.overdue_steps[days_left] = f"overdue-{-days_left}"
            elif days_left <= self.max_offset:
                step = self.due_steps[days_left]
            else:
                step = None
            if step is not None:
                targets = item.targets
                if targets is None:
                    targets = item.targets = self.lead_targets(p)
                if targets:
                    self.emit(p, item, step, item.cycle, targets, self.deadline_text, days_left)
                if days_left < 0 and -days_left >= self.escalate_after:
                    recipients = item.escalation
                    if recipients is None:
                        recipients = item.escalation = self.escalation_recipients(p)
                    if recipients:
                        self.emit(p, item, "escalate", item.cycle, recipients, self.escalation_text, days_left)
        if p.co_units and p.state != REOPENED and p.assigned_date:
            self.plan_co_units(p, item)

    def escalation_recipients(self, p: Proposal) -> list[tuple[int, str]]:
        """To the lead unit's supervisor chat; else its unit leader when linked; else the admins,
        except for an item no one handles (no handler, no liaison): the admins' digest counts
        those once (「无人承办」) instead of one block each."""
        supervisor = self.unit_supervisors.get(p.lead_unit_id) if p.lead_unit_id is not None else None
        if supervisor is None and p.lead_unit:
            supervisor = self.supervisors.get(self.unit_name(p.lead_unit))
        leader = self.reachable(self.leaders.get(p.lead_unit_id)) if supervisor is None else None
        if supervisor:
            return self.one((supervisor, "督办"))
        if leader is not None:
            return self.one((leader.telegram_user_id, f"单位负责人 {leader.name}"))
        if not handler_ids(p, self.liaisons):
            return []
        return self.one(("admins", *self.admin_targets), [(chat, "管理员") for chat in self.admin_targets])

    def one(self, key: tuple, recipients: list | None = None) -> list:
        """The same list for every item with these recipients (kept plans: memory per item)."""
        found = self.shared.get(key)
        if found is None:
            found = self.shared[key] = recipients if recipients is not None else [key]
        return found

    def plan_co_units(self, p: Proposal, item: _Item) -> None:
        """Each co-unit whose opinion is not in yet: its liaison (and its people among the
        item's handlers, and its group robot) counts down to the co-unit deadline."""
        co = item.co
        if co is None:
            co = item.co = self.co_deadline(p, item)
        if not co:
            return
        days_left = co[0] - self.today_ord
        if days_left < 0:
            step = "co-overdue"
        elif days_left <= self.max_offset:
            step = self.co_steps[days_left]
        else:
            return
        targets = co[3]
        if targets is None:
            targets = co[3] = self.co_targets(p)
        if targets:
            self.emit(p, item, step, co[2], targets, self.co_text, days_left)

    def co_waiting(self, p: Proposal) -> list[tuple[int | None, str | None]]:
        done = p.co_units_done
        return [(uid, name) for uid, name in zip_longest(p.co_unit_ids, p.co_units) if name not in done]

    def co_deadline(self, p: Proposal, item: _Item) -> list | tuple:
        """[co-unit deadline as an ordinal, the date, its cycle, its targets (made on first use)];
        () when no co-unit waits or no date is known."""
        if not self.co_waiting(p):
            return ()
        co_due = co_unit_due_date(p, self.config, self.calendar, rule=self.rule(p), main=item.due)
        if co_due is None:
            return ()
        return [co_due.toordinal(), co_due, "co:" + co_due.isoformat(), None]

    def co_targets(self, p: Proposal) -> list[tuple[int | str, str]]:
        waiting = self.co_waiting(p)
        waiting_ids = {uid for uid, _ in waiting if uid is not None}
        waiting_names = {name for _, name in waiting if name}
        waiting_canonical = {self.unit_name(n) for n in waiting_names}
        _, co = self.handlers(p)
        co = [c for c in co if (c.unit_id in waiting_ids if c.unit_id is not None else
                                self.unit_name(c.unit) in waiting_canonical)]
        # Each co-unit's liaison gets the sub-deadline ping (they are not handlers of the item).
        for unit_id in waiting_ids:
            liaison = self.reachable(self.liaisons.get(unit_id))
            if liaison is not None and liaison not in co:
                co.append(liaison)
        targets = [self.target(c.id) for c in co]
        for unit in waiting_names:
            hook = self.webhook_for(unit)
            if hook:
                targets.append((webhook_recipient(hook), hook))
        return targets

    def plan_follow_up(self, p: Proposal, item: _Item) -> None:
        due = item.due
        days_left = item.due_ord - self.today_ord
        every = self.every
        if days_left > 0:
            point = due - timedelta(days=-(-days_left // every) * every)
            if point <= item.replied:
                return
        else:
            point = due + timedelta(days=(-days_left // every) * every)
        targets = item.targets
        if targets is None:
            targets = item.targets = self.lead_targets(p)
        if targets:
            self.emit(p, item, f"followup-{point.isoformat()}", item.cycle, targets, self.follow_up_text, days_left)

    def system_pings(self) -> None:
        if self.calendar is None:
            return
        for year in self.calendar.uncovered_years:
            text = esc(CALENDAR_WARNING.format(year=self.calendar.covered[1])) + \
                f"\n（{year} 年的日期暂按周末和配置中的假日计算）"
            self.pings.extend(
                Ping(SYSTEM, f"calendar-{year}", chat, text, "system", "管理员")
                for chat in self.admin_targets
                if self.sent is None or not (
                    (SYSTEM, f"calendar-{year}", chat, "system") in self.sent or chat in self.blocked)
            )

    # texts (Telegram HTML; every dynamic value escaped): a countdown head made per day count,
    # then the item's body, made once and kept with its plan -------------------------------------

    def parts(self, p: Proposal) -> tuple[str, str, str, str]:
        """(number, 第125号 关于…的建议（重新办理）, lead unit, example class), escaped, for the
        texts of one item; the last item's are kept (its pings are made one after another)."""
        last = self.last_parts
        if last[0] is p:
            return last[1]
        number = esc(p.number)
        subject = f"第{number}号 {esc(short_title(p.title, TITLE_MAX))}"
        if p.state == REOPENED:
            subject += "（重新办理）"
        lead = p.lead_unit
        if lead:
            lead = self.escaped.get(lead) or self.escaped.setdefault(lead, esc(lead))
        rule = self.rules.get((p.region, p.body)) or self.rule(p)
        example = self.example_classes.get(id(rule))
        if example is None:
            scheme = self.config.class_schemes.get(rule.class_scheme)
            example = self.example_classes[id(rule)] = esc(next(iter(scheme.labels)) if scheme and scheme.labels else "A")
        parts = (number, subject, lead, example)
        self.last_parts = (p, parts)
        return parts

    def countdown(self, days_left: int, what: str = "") -> str:
        """「⏰ 还剩 3 天：」/「⏰ 今天截止：」/「⚠ 已逾期 2 天：」 (``what`` names a sub-deadline)."""
        heads = self.heads[what]
        head = heads.get(days_left)
        if head is None:
            head = heads[days_left] = (f"⏰ {what}还剩 {days_left} 天：" if days_left > 0 else
                                       f"⏰ {what}今天截止：" if days_left == 0 else
                                       f"⚠ {what}已逾期 {-days_left} 天：")
        return head

    def deadline_text(self, p: Proposal, item: _Item, days_left: int, commands: bool = True) -> str:
        body = item.chat if commands else item.robot
        if body is None:
            number, subject, lead, example = self.parts(p)
            due_line = f"截止 {item.cycle} · 主办 {lead}" if lead else f"截止 {item.cycle}"
            if commands:
                body = item.chat = (f"{subject}\n{due_line}\n"
                                    f"回复 /reply {number} {example} 登记答复，或 /status {number} 查看详情")
            else:
                body = item.robot = f"{subject}\n{due_line}"
        return self.countdown(days_left) + body

    def escalation_name(self, cid: int, lead_unit: str) -> str:
        """A handler as the escalation names them: with their unit when it is not the lead
        unit, and whether a ping can reach them (both forms made once per contact)."""
        names = self.escalation_names.get(cid)
        if names is None:
            contact = self.contacts.get(cid)
            if contact is None:
                names = ("", "", "")
            else:
                state = ("（未绑定）" if contact.telegram_user_id is None else
                         "（已静音）" if contact.muted else "")
                names = (contact.unit, esc(contact.name) + state, esc(contact_label(contact)) + state)
            self.escalation_names[cid] = names
        unit, plain, labelled = names
        return labelled if unit and unit != lead_unit else plain

    def escalation_text(self, p: Proposal, item: _Item, days_left: int, commands: bool = True) -> str:
        number, subject, lead, _ = self.parts(p)
        lead_unit = p.lead_unit
        names = [name for cid in handler_ids(p, self.liaisons) if (name := self.escalation_name(cid, lead_unit))]
        who = "、".join(names) if names else "未登记"
        due_line = f"截止 {item.cycle} · 主办 {lead}" if lead else f"截止 {item.cycle}"
        return (f"🚨 督办提醒：{subject} 已逾期 {-days_left} 天\n{due_line}\n"
                f"承办人：{who}\n/status {number} 查看详情")

    def co_text(self, p: Proposal, item: _Item, days_left: int, commands: bool = True) -> str:
        number, subject, lead, _ = self.parts(p)
        text = (f"{self.countdown(days_left, '协办意见')}{subject}\n请于 {item.co[1].isoformat()} 前将书面协办意见送"
                f"{f'主办单位 {lead}' if lead else '主办单位'}")
        return text + (f"\n送出后发送 /opinion {number} 登记（或发来意见函），/status {number} 查看详情"
                       if commands else "")

    def follow_up_text(self, p: Proposal, item: _Item, days_left: int, commands: bool = True) -> str:
        number, subject, _, example = self.parts(p)
        due = item.cycle
        if days_left > 0:
            head = f"🔁 跟进提醒：{subject}\n已答复待跟进（回头看），请于 {due} 前再次答复"
        elif days_left == 0:
            head = f"🔁 今天是跟进期限：{subject}\n请再次答复办理结果（回头看）"
        else:
            head = f"⚠ 跟进已超期 {-days_left} 天：{subject}\n跟进期限 {due}，请再次答复（回头看）"
        return head + (f"\n回复 /reply {number} {example} 登记答复，或 /status {number} 查看详情" if commands else "")


def plan_sweep(
    today: date,
    proposals: Iterable[Proposal],
    contacts_by_id: Mapping[int, Contact],
    config: Config,
    calendar: WorkCalendar | None,
    *,
    departments: Iterable[Department] = (),
    admins: Iterable[int] | None = None,
    sent: Container | None = None,
    liaisons: Mapping[int, int] | None = None,
    leaders: Mapping[int, int] | None = None,
) -> list[Ping]:
    """What is due today, as pings. Pure: reads nothing but its arguments.

    - nothing on a non-workday when ``reminders.workdays_only`` (needs a calendar);
    - only open items; only their handlers (``proposal.handlers``, else the lead unit's liaison
      from ``liaisons``: unit id → contact id) with a ``telegram_user_id`` and not ``muted``;
      co-unit sub-deadlines also to each co-unit's liaison; escalations to the supervisor chat,
      else the lead unit's leader (``leaders``) when linked, else the admins; plus the unit's
      group robot when ``config.webhooks`` has one;
    - ``sent`` (the ledger) leaves out pings already delivered, so a restart, a second sweep on
      the same day or a catch-up after downtime sends only what is still missing;
    - ``admins`` defaults to ``config.admins`` (pass granted admins too).
    """
    return SweepPlanner().plan(today, proposals, contacts_by_id, config, calendar, departments=departments,
                               admins=admins, sent=sent, liaisons=liaisons, leaders=leaders)
