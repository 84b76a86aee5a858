"""Deadlines, state transitions and the daily reminder plan. Pure core: no telegram, no I/O.

Who calls what (the wiring):
- ``WorkCalendar.from_config(config)`` once at start-up; keep it (it caches per date).
- ``due_date_of(proposal, config, calendar)`` wherever a due date is shown or compared.
- ``apply_reply`` / ``apply_feedback`` / ``extend`` return a changed *copy*; the caller puts it
  and writes the audit entry (who, when, old and new due date).
- ``plan_sweep(today, proposals, contacts_by_id, config, calendar, ...)`` once per sweep, then
  ``bot.reminders.deliver`` sends what it returns.

Deadline rules (all numbers come from ``Config.rule_for(region, body)``):
- base = the explicit ``due_date`` when set, else ``assigned_date`` + ``reply_months``
  (``complex_months`` for complex items); months clamp (11-30 + 3 months → 02-28/29).
- a fixed cut-off date applies to items whose handling started before it (assigned, or for a
  reopened item its feedback date): the deadline is the earliest of base and those cut-offs.
- ``extension_days`` is added after that (an extension granted by the office also extends a
  cut-off); then, with a calendar, a deadline on a weekend or holiday moves to the next workday.
- reopened items (不满意) carry their re-reply deadline in ``due_date`` (feedback date +
  ``reopen_months``), set by ``apply_feedback``; follow-up items count down to
  ``follow_up_date``.

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

import calendar as _calendar
import logging
import unicodedata
from collections.abc import Container, Iterable, Mapping
from dataclasses import replace
from datetime import date, timedelta
from itertools import zip_longest
from typing import NamedTuple

from bot.config import ClassScheme, Config, HandlingRule
from bot.model import (
    ASSIGNED,
    CLOSED,
    FEEDBACK_VALUES,
    FOLLOW_UP,
    HANDLING,
    REOPENED,
    REPLIED,
    STATE_LABELS,
    Contact,
    Department,
    Proposal,
)
from bot.render import esc, number_label
from bot.units import handler_ids

log = logging.getLogger(__name__)

SATISFIED = ("满意", "基本满意")
CALENDAR_WARNING = "节假日日历只覆盖到{year}年，请升级 chinesecalendar 或在配置中补充 holidays / extra_workdays"
SYSTEM = 0  # proposal_id of pings that concern no proposal (calendar notice)
TITLE_MAX = 60


# -- dates ---------------------------------------------------------------------------------------

def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the end of the month: 2026-11-30 + 3 → 2027-02-28."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def as_date(value: date | str | None) -> date | None:
    """An ISO string or a date (a datetime is cut to its date)."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return date.fromisoformat(value[:10])
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return value


class WorkCalendar:
    """Workdays from chinesecalendar, corrected by config, safe beyond the library's years.

    Order of decision: ``extra_workdays`` (调休) → workday; ``holidays`` → not; the library when
    it knows the year; else Monday to Friday. A year past the library's range records one
    warning (``warnings`` / ``take_warnings``) unless config lists holidays for that year.
    Results are cached per date (``cache=False`` exists for the benchmark's baseline).
    """

    def __init__(
        self,
        holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        *,
        use_library: bool = True,
        cache: bool = True,
    ):
        self.holidays = frozenset(holidays)
        self.extra_workdays = frozenset(extra_workdays)
        self._configured_years = {d.year for d in self.holidays | self.extra_workdays}
        self._cache: dict[date, bool] | None = {} if cache else None
        self._next: dict[date, date] | None = {} if cache else None
        self.warnings: list[str] = []
        self._warned_years: set[int] = set()
        self._taken = 0
        self._lib = None
        self.covered: tuple[int, int] | None = None
        if use_library:
            try:
                import chinese_calendar

                self._lib = chinese_calendar
                years = [d.year for d in chinese_calendar.holidays]
                self.covered = (min(years), max(years))
            except Exception:  # missing or broken library: weekends + config only
                log.warning("chinesecalendar unavailable; using weekends and config holidays")
                self._lib = None

    @classmethod
    def from_config(cls, config: Config, **kwargs) -> "WorkCalendar":
        rem = config.reminders
        return cls(rem.holidays, rem.extra_workdays, **kwargs)

    def is_workday(self, day: date) -> bool:
        cache = self._cache
        if cache is not None:
            known = cache.get(day)
            if known is not None:
                return known
        result = self._decide(day)
        if cache is not None:
            cache[day] = result
        return result

    def _decide(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.holidays:
            return False
        if self._lib is not None:
            try:
                return bool(self._lib.is_workday(day))
            except NotImplementedError:
                self._note_uncovered(day.year)
            except Exception:  # never let the library stop a sweep
                log.exception("chinesecalendar failed for %s", day)
        return day.weekday() < 5

    def _note_uncovered(self, year: int) -> None:
        if self.covered is None or year < self.covered[0] or year in self._warned_years:
            return
        self._warned_years.add(year)
        if year in self._configured_years:
            return  # the admin listed that year's holidays: the fallback is informed
        message = CALENDAR_WARNING.format(year=self.covered[1])
        if message not in self.warnings:
            self.warnings.append(message)
            log.warning("%s (first needed for %s)", message, year)

    @property
    def uncovered_years(self) -> list[int]:
        return sorted(y for y in self._warned_years if y not in self._configured_years)

    def take_warnings(self) -> list[str]:
        """Warnings not yet taken by a previous call (for a process-local notice)."""
        new = self.warnings[self._taken:]
        self._taken = len(self.warnings)
        return new

    def next_workday(self, day: date) -> date:
        """``day`` itself when it is a workday, else the first workday after it."""
        memo = self._next
        if memo is not None:
            known = memo.get(day)
            if known is not None:
                return known
        result = day
        for _ in range(60):  # the longest run of rest days is about 10; 60 guards bad config
            if self.is_workday(result):
                break
            result += timedelta(days=1)
        else:
            result = day
        if memo is not None:
            memo[day] = result
        return result

    def previous_workday(self, day: date) -> date:
        """The last workday strictly before ``day``."""
        result = day - timedelta(days=1)
        for _ in range(60):
            if self.is_workday(result):
                return result
            result -= timedelta(days=1)
        return day - timedelta(days=1)


# -- deadlines -----------------------------------------------------------------------------------

def _base_deadline(
    rule: HandlingRule,
    reopened: bool,
    assigned: str | None,
    due: str | None,
    feedback: str | None,
    complex_: bool,
    extension_days: int,
) -> date | None:
    """The deadline before the workday move (see the module docstring)."""
    if due:
        deadline = as_date(due)
    elif assigned:
        deadline = add_months(as_date(assigned), rule.complex_months if complex_ else rule.reply_months)
    else:
        return None
    start = as_date(feedback if reopened else assigned)
    if start is not None:
        for cutoff in rule.cutoff_dates:
            if start < cutoff < deadline:
                deadline = cutoff
    if extension_days:
        deadline += timedelta(days=extension_days)
    return deadline


def _rehandled(proposal: Proposal) -> bool:
    """In a re-handling round (不满意): its deadline runs from the feedback date."""
    return proposal.state == REOPENED or (proposal.feedback == "不满意" and proposal.feedback_date is not None)


def handling_due_date(proposal: Proposal, config: Config, calendar: WorkCalendar | None = None) -> date | None:
    """The reply deadline of the current handling round, whatever the state (for 按期办复)."""
    rule = config.rule_for(proposal.region, proposal.body)
    deadline = _base_deadline(
        rule, _rehandled(proposal), proposal.assigned_date, proposal.due_date,
        proposal.feedback_date, proposal.complex, proposal.extension_days,
    )
    if deadline is not None and calendar is not None:
        deadline = calendar.next_workday(deadline)
    return deadline


def due_date_of(proposal: Proposal, config: Config, calendar: WorkCalendar | None = None) -> date | None:
    """The date reminders count down to: the follow-up date for follow-up items, else the
    handling deadline. ``None`` when nothing is known (no assigned or due date)."""
    if proposal.state == FOLLOW_UP and proposal.follow_up_date:
        deadline = as_date(proposal.follow_up_date)
        return calendar.next_workday(deadline) if calendar is not None else deadline
    return handling_due_date(proposal, config, calendar)


def co_unit_due_date(proposal: Proposal, config: Config, calendar: WorkCalendar | None = None) -> date | None:
    """When co-units' opinions are due at the lead unit: assigned + co_unit_months, never after
    the item's own deadline. ``None`` without co-units or an assigned date."""
    if not proposal.co_units or not proposal.assigned_date:
        return None
    rule = config.rule_for(proposal.region, proposal.body)
    deadline = add_months(as_date(proposal.assigned_date), rule.co_unit_months)
    main = handling_due_date(proposal, config, None)
    if main is not None and main < deadline:
        deadline = main
    return calendar.next_workday(deadline) if calendar is not None else deadline


# -- state transitions ---------------------------------------------------------------------------

def scheme_choices(scheme: ClassScheme) -> str:
    return "、".join(f"{key}（{label}）" for key, label in scheme.labels.items())


def normalize_class(raw: str, scheme: ClassScheme) -> str:
    """'a', 'Ａ', 'A类' → 'A'. Raises ValueError (Chinese, listing the valid classes)."""
    text = unicodedata.normalize("NFKC", str(raw or "")).strip()
    text = text.removesuffix("类").strip()
    for key in scheme.labels:
        if text == key or text.upper() == key.upper():
            return key
    shown = str(raw or "").strip() or "（空）"
    raise ValueError(f"办理类别“{shown}”无效。可用的类别：{scheme_choices(scheme)}")


def _copy(proposal: Proposal, **changes) -> Proposal:
    return replace(
        proposal,
        co_units=list(proposal.co_units),
        handlers=list(proposal.handlers),
        warnings=list(proposal.warnings),
        co_units_done=list(proposal.co_units_done),
        **changes,
    )


def check_not_before_assignment(proposal: Proposal, day: date | str, what: str) -> None:
    """A date typed for a reply or feedback cannot precede the item's assignment (2020 typed for
    2026 would make it thousands of days overdue). Raises ValueError (Chinese)."""
    assigned = as_date(proposal.assigned_date)
    typed = as_date(day)
    if assigned is not None and typed is not None and typed < assigned:
        raise ValueError(f"{what} {typed.isoformat()} 早于交办日期 {assigned.isoformat()}，请检查年份和日期")


def apply_reply(proposal: Proposal, classification: str, reply_date: date | str, config: Config) -> Proposal:
    """A reply in ``classification`` arrived on ``reply_date``; returns the changed copy.

    - a class in the scheme's ``closes``: REPLIED (no more reminders; waits for feedback), or
      CLOSED straight away when satisfied feedback is already on record (a second reply after a
      follow-up, say);
    - a class in ``follow_up``: FOLLOW_UP, ``follow_up_date`` = reply date + ``follow_up_days``;
    - a class in neither: the scheme is treated as closing (config validation keeps this rare).
    Raises ValueError (Chinese) for an unknown class or a CLOSED item.
    """
    rule = config.rule_for(proposal.region, proposal.body)
    scheme = config.class_schemes[rule.class_scheme]
    cls = normalize_class(classification, scheme)
    day = as_date(reply_date)
    if day is None:
        raise ValueError("缺少答复日期")
    if proposal.state == CLOSED:
        raise ValueError(f"{number_label(proposal)}已办结，不能再登记答复")
    if cls in scheme.follow_up:
        return _copy(
            proposal, state=FOLLOW_UP,
            follow_up_date=(day + timedelta(days=rule.follow_up_days)).isoformat(),
        )
    state = CLOSED if proposal.feedback in SATISFIED and proposal.state != REOPENED else REPLIED
    return _copy(proposal, state=state, follow_up_date=None)


def apply_feedback(proposal: Proposal, feedback: str, on_date: date | str, config: Config) -> Proposal:
    """The proposer's feedback on ``on_date``; returns the changed copy.

    满意 / 基本满意: REPLIED → CLOSED (a FOLLOW_UP item stays open until its second reply);
    不满意: REOPENED with ``due_date`` = feedback date + ``reopen_months`` and the extension
    reset (the old values belong in the caller's audit entry).
    """
    value = unicodedata.normalize("NFKC", str(feedback or "")).strip()
    if value not in FEEDBACK_VALUES:
        raise ValueError(f"反馈意见“{value or '（空）'}”无效。可用的意见：{'、'.join(FEEDBACK_VALUES)}")
    day = as_date(on_date)
    if day is None:
        raise ValueError("缺少反馈日期")
    if proposal.state in (ASSIGNED, HANDLING, REOPENED):
        raise ValueError(f"{number_label(proposal)}尚未答复，不能登记反馈")
    changes = {"feedback": value, "feedback_date": day.isoformat()}
    if value == "不满意":
        rule = config.rule_for(proposal.region, proposal.body)
        changes.update(
            state=REOPENED, due_date=add_months(day, rule.reopen_months).isoformat(),
            extension_days=0, follow_up_date=None,
        )
    elif proposal.state in (REPLIED, CLOSED):
        changes["state"] = CLOSED
    return _copy(proposal, **changes)


def extend(proposal: Proposal, days: int, config: Config | None = None,
           calendar: WorkCalendar | None = None) -> Proposal:
    """Push the current deadline by ``days`` (negative corrects an earlier extension).

    With ``config`` and ``calendar`` the new deadline is the current (workday-rolled) due date
    plus ``days``, rolled to a workday: extending an item due on a Monday by one day gives the
    Tuesday, not the same Monday. Handling and reopened items: ``extension_days`` grows by
    what makes the unrolled deadline that day. Follow-up items: ``follow_up_date`` moves.
    Raises ValueError (Chinese) for a closed or replied item, a zero extension, or one that
    would leave the due date where it is.
    """
    if not isinstance(days, int) or isinstance(days, bool) or days == 0:
        raise ValueError("延期天数应为非零整数")
    if not proposal.is_open:
        raise ValueError(f"{number_label(proposal)}{STATE_LABELS.get(proposal.state, proposal.state)}，不能延期")
    roll = calendar.next_workday if calendar is not None else (lambda day: day)
    if proposal.state == FOLLOW_UP and proposal.follow_up_date:
        current = roll(as_date(proposal.follow_up_date))
        moved = roll(current + timedelta(days=days))
        if moved == current:
            raise ValueError(f"延期 {days} 天后截止日期仍是 {current.isoformat()}（顺延到工作日），未作更改")
        return _copy(proposal, follow_up_date=moved.isoformat())
    shift = days
    if config is not None:
        unrolled = handling_due_date(proposal, config, None)
        if unrolled is not None:
            current = roll(unrolled)
            target = roll(current + timedelta(days=days))
            if target == current:
                raise ValueError(f"延期 {days} 天后截止日期仍是 {current.isoformat()}（顺延到工作日），未作更改")
            shift = (target - unrolled).days
    total = proposal.extension_days + shift
    if total < 0:
        raise ValueError(f"延期天数不能为负：当前已延期 {proposal.extension_days} 天")
    return _copy(proposal, extension_days=total)


# -- the reminder plan ---------------------------------------------------------------------------

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


def _title(proposal: Proposal) -> str:
    title = (proposal.title or "").strip() or "（无标题）"
    return title if len(title) <= TITLE_MAX else title[: TITLE_MAX - 1] + "…"


def webhook_recipient(unit: str) -> str:
    return f"webhook:{unit}"


class _Planner:
    """One sweep's worth of caches: rules per (region, body), deadlines per distinct input,
    parsed dates per string, the calendar per date (inside WorkCalendar)."""

    def __init__(self, today, config, calendar, contacts_by_id, departments, admins, sent,
                 liaisons=None, leaders=None):
        self.today = today
        self.liaisons = liaisons or {}  # unit id → its liaison's contact id
        self.leaders = leaders or {}  # unit id → its unit leader's contact id
        self.today_ord = today.toordinal()
        self.config = config
        self.calendar = calendar
        self.contacts = contacts_by_id
        # A ledger can hand over plain sets (keys not to plan, blocked recipients): set look-ups
        # are several times cheaper than a method call per ping.
        view = getattr(sent, "planning_view", None)
        if view is not None:
            sent, blocked = view()
        else:
            blocked = frozenset()
        self.sent = sent
        self.blocked = blocked
        rem = config.reminders
        self.offsets = tuple(sorted(set(o for o in rem.offsets if o >= 0)))
        self.max_offset = self.offsets[-1] if self.offsets else -1
        # bucket[d] = smallest offset >= d, for d in 0..max_offset
        self.bucket: list[int] = []
        for d in range(self.max_offset + 1):
            self.bucket.append(next(o for o in self.offsets if o >= d))
        self.escalate_after = rem.escalate_after_days
        self.every = max(1, rem.follow_up_every_days)
        self.rules: dict[tuple[str, str], HandlingRule] = {}
        self.deadlines: dict[tuple, date | None] = {}
        self.dates: dict[str, date] = {}
        self.supervisors: dict[str, int] = {}
        self.canonical: dict[str, str] = {}
        self.unit_supervisors: dict[int, int] = {}
        for dept in departments:
            for name in (dept.name, *dept.aliases):
                self.canonical.setdefault(name, dept.name)
            if dept.supervisor_chat_id:
                self.supervisors[dept.name] = dept.supervisor_chat_id
                if dept.id is not None:
                    self.unit_supervisors[dept.id] = dept.supervisor_chat_id
        if rem.admin_chat_id:
            self.admin_targets = [rem.admin_chat_id]
        else:
            self.admin_targets = list(dict.fromkeys(admins if admins is not None else config.admins))
        self.webhooks = config.webhooks or {}
        self.pings: list[Ping] = []
        self.errors: list[tuple[int, str]] = []
        self.names: dict[int, str] = {}
        self.isos: dict[date, str] = {}

    # cached look-ups -----------------------------------------------------------------------

    def rule(self, p: Proposal) -> HandlingRule:
        key = (p.region, p.body)
        rule = self.rules.get(key)
        if rule is None:
            rule = self.rules[key] = self.config.rule_for(p.region, p.body)
        return rule

    def date(self, text: str) -> date:
        day = self.dates.get(text)
        if day is None:
            day = self.dates[text] = as_date(text)
        return day

    def deadline(self, p: Proposal) -> date | None:
        reopened = p.state == REOPENED or (p.feedback == "不满意" and p.feedback_date is not None)
        rule = self.rule(p)
        key = (id(rule), reopened, p.assigned_date, p.due_date,
               p.feedback_date if reopened else None, p.complex, p.extension_days)
        try:
            return self.deadlines[key]
        except KeyError:
            pass
        day = _base_deadline(rule, reopened, p.assigned_date, p.due_date, key[4], p.complex,
                             p.extension_days)
        if day is not None and self.calendar is not None:
            day = self.calendar.next_workday(day)
        self.deadlines[key] = day
        return day

    def moved(self, day: date) -> date:
        return self.calendar.next_workday(day) if self.calendar is not None else day

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

    def emit(self, p: Proposal, step: str, cycle: str, recipients, render) -> None:
        """Append one ping per recipient not already in the ledger. ``render(commands)`` runs
        at most twice: with the command hints for chats, without them for group robots."""
        texts: dict[bool, str] = {}
        pid = p.id
        sent = self.sent
        blocked = self.blocked
        for recipient, who in recipients:
            if sent is not None and ((pid, step, recipient, cycle) in sent or recipient in blocked):
                continue
            chat = not isinstance(recipient, str)
            text = texts.get(chat)
            if text is None:
                text = texts[chat] = render(chat)
            self.pings.append(Ping(pid, step, recipient, text, cycle, who))

    def contact_targets(self, contacts: list[Contact]) -> list[tuple[int, str]]:
        names = self.names
        targets = []
        for c in contacts:
            who = names.get(c.id)
            if who is None:
                who = names[c.id] = f"{c.name}（{c.unit}）" if c.unit else c.name
            targets.append((c.telegram_user_id, who))
        return targets

    def iso(self, day: date) -> str:
        text = self.isos.get(day)
        if text is None:
            text = self.isos[day] = day.isoformat()
        return text

    # the plan ------------------------------------------------------------------------------

    def plan(self, proposals: Iterable[Proposal]) -> list[Ping]:
        for p in proposals:
            if p.id is None or p.quiet:  # imported as history: silent until someone acts on it
                continue
            state = p.state
            try:
                if state == ASSIGNED or state == HANDLING or state == REOPENED:
                    self.plan_deadline(p)
                elif state == FOLLOW_UP:
                    self.plan_follow_up(p)
            except Exception as exc:  # one bad record (or a missing rule) never stops a sweep
                log.exception("reminder plan failed for proposal %s", p.id)
                self.errors.append((p.id, f"{exc.__class__.__name__}: {exc}"))
        return self.pings

    def plan_deadline(self, p: Proposal) -> None:
        due = self.deadline(p)
        if due is not None:
            days_left = due.toordinal() - self.today_ord
            step = None
            if days_left < 0:
                step = f"overdue-{-days_left}"
            elif days_left <= self.max_offset:
                step = f"due-{self.bucket[days_left]}"
            if step is not None:
                cycle = self.iso(due)
                lead, co = self.handlers(p)
                targets = self.contact_targets(lead)
                hook = self.webhook_for(p.lead_unit)
                if hook:
                    targets.append((webhook_recipient(hook), hook))
                if targets:
                    self.emit(p, step, cycle, targets,
                              lambda chat: self.deadline_text(p, due, days_left, chat))
                if days_left < 0 and -days_left >= self.escalate_after:
                    self.plan_escalation(p, due, -days_left, cycle)
        if p.co_units and p.state != REOPENED and p.assigned_date:
            self.plan_co_units(p, due)

    def plan_escalation(self, p: Proposal, due: date, overdue: int, cycle: str) -> None:
        """To the lead unit's supervisor chat; else its unit leader when linked; else the admins,
        except for an item no one handles (no handler, no liaison): the admins' digest counts
        those once (「无人承办」) instead of one block each."""
        supervisor = self.unit_supervisors.get(p.lead_unit_id) if p.lead_unit_id is not None else None
        if supervisor is None and p.lead_unit:
            supervisor = self.supervisors.get(self.unit_name(p.lead_unit))
        leader = self.reachable(self.leaders.get(p.lead_unit_id)) if supervisor is None else None
        if supervisor:
            recipients = [(supervisor, "督办")]
        elif leader is not None:
            recipients = [(leader.telegram_user_id, f"单位负责人 {leader.name}")]
        elif not handler_ids(p, self.liaisons):
            return
        else:
            recipients = [(chat, "管理员") for chat in self.admin_targets]
        self.emit(p, "escalate", cycle, recipients, lambda chat: self.escalation_text(p, due, overdue))

    def plan_co_units(self, p: Proposal, main_due: date | None) -> None:
        """Each co-unit whose opinion is not in yet: its liaison (and its people among the
        item's handlers, and its group robot) counts down to the co-unit deadline."""
        done = set(p.co_units_done)
        waiting = [(uid, name) for uid, name in zip_longest(p.co_unit_ids, p.co_units) if name not in done]
        if not waiting:
            return
        co_due = co_unit_due_date(p, self.config, self.calendar)
        if co_due is None:
            return
        days_left = co_due.toordinal() - self.today_ord
        if days_left < 0:
            step = "co-overdue"
        elif days_left <= self.max_offset:
            step = f"co-due-{self.bucket[days_left]}"
        else:
            return
        waiting_ids = {uid for uid, _ in waiting if uid is not None}
        waiting_names = {name for _, name in waiting if name}
        _, co = self.handlers(p)
        co = [c for c in co if (c.unit_id in waiting_ids if c.unit_id is not None else
                                self.unit_name(c.unit) in {self.unit_name(n) for n in waiting_names})]
        # Each co-unit's liaison gets the sub-deadline ping (they are not handlers of the item).
        for unit_id in waiting_ids:
            liaison = self.reachable(self.liaisons.get(unit_id))
            if liaison is not None and liaison not in co:
                co.append(liaison)
        targets = self.contact_targets(co)
        for unit in waiting_names:
            hook = self.webhook_for(unit)
            if hook:
                targets.append((webhook_recipient(hook), hook))
        if targets:
            self.emit(p, step, "co:" + co_due.isoformat(), targets,
                      lambda chat: self.co_text(p, co_due, days_left, chat))

    def plan_follow_up(self, p: Proposal) -> None:
        if not p.follow_up_date:
            return
        raw = self.date(p.follow_up_date)
        due = self.moved(raw)
        replied = raw - timedelta(days=self.rule(p).follow_up_days)
        days_left = due.toordinal() - self.today_ord
        every = self.every
        if days_left > 0:
            point = due - timedelta(days=-(-days_left // every) * every)
            if point <= replied:
                return
        else:
            point = due + timedelta(days=(-days_left // every) * every)
        lead, _ = self.handlers(p)
        targets = self.contact_targets(lead)
        hook = self.webhook_for(p.lead_unit)
        if hook:
            targets.append((webhook_recipient(hook), hook))
        if targets:
            self.emit(p, f"followup-{point.isoformat()}", due.isoformat(), targets,
                      lambda chat: self.follow_up_text(p, due, days_left, chat))

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

    # texts (Telegram HTML; every dynamic value escaped) -----------------------------------

    def example_class(self, p: Proposal) -> str:
        scheme = self.config.class_schemes.get(self.rule(p).class_scheme)
        return next(iter(scheme.labels)) if scheme and scheme.labels else "A"

    def subject(self, p: Proposal) -> str:
        text = f"{esc(number_label(p))} {esc(_title(p))}"
        return text + "（重新办理）" if p.state == REOPENED else text

    def commands(self, p: Proposal) -> str:
        number = esc(p.number)
        return (f"回复 /reply {number} {esc(self.example_class(p))} 登记答复，"
                f"或 /status {number} 查看详情")

    def countdown(self, p: Proposal, days_left: int, what: str = "") -> str:
        """⏰ 还剩 3 天：… / ⏰ 今天截止：… / ⚠ 已逾期 2 天：… (``what`` names a sub-deadline)."""
        if days_left > 0:
            return f"⏰ {what}还剩 {days_left} 天：{self.subject(p)}"
        if days_left == 0:
            return f"⏰ {what}今天截止：{self.subject(p)}"
        return f"⚠ {what}已逾期 {-days_left} 天：{self.subject(p)}"

    def due_line(self, p: Proposal, due: date) -> str:
        line = f"截止 {self.iso(due)}"
        return line + f" · 主办 {esc(p.lead_unit)}" if p.lead_unit else line

    def deadline_text(self, p: Proposal, due: date, days_left: int, commands: bool = True) -> str:
        text = f"{self.countdown(p, days_left)}\n{self.due_line(p, due)}"
        return text + (f"\n{self.commands(p)}" if commands else "")

    def escalation_text(self, p: Proposal, due: date, overdue: int) -> str:
        names = []
        for cid in handler_ids(p, self.liaisons):
            contact = self.contacts.get(cid)
            if contact is None:
                continue
            name = esc(contact.name)
            if contact.unit and contact.unit != p.lead_unit:
                name += f"（{esc(contact.unit)}）"
            if contact.telegram_user_id is None:
                name += "（未绑定）"
            elif contact.muted:
                name += "（已静音）"
            names.append(name)
        who = "、".join(names) if names else "未登记"
        return (f"🚨 督办提醒：{self.subject(p)} 已逾期 {overdue} 天\n{self.due_line(p, due)}\n"
                f"承办人：{who}\n/status {esc(p.number)} 查看详情")

    def co_text(self, p: Proposal, co_due: date, days_left: int, commands: bool = True) -> str:
        head = self.countdown(p, days_left, "协办意见")
        lead = f"主办单位 {esc(p.lead_unit)}" if p.lead_unit else "主办单位"
        text = f"{head}\n请于 {co_due.isoformat()} 前将书面协办意见送{lead}"
        number = esc(p.number)
        return text + (f"\n送出后发送 /opinion {number} 登记（或发来意见函），/status {number} 查看详情"
                       if commands else "")

    def follow_up_text(self, p: Proposal, due: date, days_left: int, commands: bool = True) -> str:
        if days_left > 0:
            head = f"🔁 跟进提醒：{self.subject(p)}\n已答复待跟进（回头看），请于 {due.isoformat()} 前再次答复"
        elif days_left == 0:
            head = f"🔁 今天是跟进期限：{self.subject(p)}\n请再次答复办理结果（回头看）"
        else:
            head = f"⚠ 跟进已超期 {-days_left} 天：{self.subject(p)}\n跟进期限 {due.isoformat()}，请再次答复（回头看）"
        return head + (f"\n{self.commands(p)}" if commands else "")


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
    if calendar is not None and config.reminders.workdays_only and not calendar.is_workday(today):
        return []
    planner = _Planner(today, config, calendar, contacts_by_id, departments, admins, sent, liaisons, leaders)
    pings = planner.plan(proposals)
    planner.system_pings()
    return pings


def open_proposal_ids(proposals: Iterable[Proposal]) -> set[int]:
    """Ids whose ledger entries must be kept (``Ledger.compact``)."""
    return {p.id for p in proposals if p.is_open and p.id is not None}
