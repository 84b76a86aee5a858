"""Working days, deadline rules and state transitions. Pure core: no telegram, no I/O.

Who calls what (the wiring):
- ``WorkCalendar.from_config(config)`` once at start-up; keep it (it caches per date).
- ``due_date_of(proposal, config, calendar)`` wherever a due date is shown or compared.
- ``apply_reply`` / ``apply_feedback`` / ``extend`` return a changed *copy*; the caller puts it
  and writes the audit entry (who, when, old and new due date).

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

The reminder plan built on these rules is ``bot.reminder_plan``.
"""

from __future__ import annotations

import calendar as _calendar
import functools
import logging
import unicodedata
from collections.abc import Iterable
from dataclasses import replace
from datetime import date, timedelta

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
    Proposal,
)
from bot.render import number_label

log = logging.getLogger(__name__)

SATISFIED = ("满意", "基本满意")
CALENDAR_WARNING = "节假日日历只覆盖到{year}年，请升级 chinesecalendar 或在配置中补充 holidays / extra_workdays"


# -- dates ---------------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8192)  # a sweep asks for the same few hundred assignment dates
def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the end of the month: 2026-11-30 + 3 → 2027-02-28."""
    years, month0 = divmod(day.month - 1 + months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, _calendar.monthrange(year, month)[1]))


def as_date(value: date | str | None) -> date | None:
    """An ISO string or a date (a datetime is cut to its date)."""
    if value.__class__ is str:  # the common case first: dates are stored as ISO strings
        return date.fromisoformat(value[:10]) if value else None
    if value is None:
        return None
    if hasattr(value, "date") and callable(value.date):
        return value.date()
    return value


class WorkCalendar:
    """Workdays from chinesecalendar, corrected by config, safe beyond the library's years.

    Order of decision: ``extra_workdays`` (调休) → workday; ``holidays`` → not; the library when
    it knows the year; else Monday to Friday. A year past the library's range records one
    warning (``warnings`` / ``take_warnings``) unless config lists holidays for that year.
    Results are cached per date.
    """

    def __init__(
        self,
        holidays: Iterable[date] = (),
        extra_workdays: Iterable[date] = (),
        *,
        use_library: bool = True,
    ):
        self.holidays = frozenset(holidays)
        self.extra_workdays = frozenset(extra_workdays)
        self._configured_years = {d.year for d in self.holidays | self.extra_workdays}
        self._cache: dict[date, bool] = {}
        self._next: dict[date, date] = {}
        self.warnings: list[str] = []
        self._warned_years: set[int] = set()
        self._taken = 0
        self._lib = None
        self.covered: tuple[int, int] | None = None
        if use_library:
            try:
                import chinese_calendar

                # Its tables, read directly: the library's own is_workday recomputes its year
                # range from every holiday on each call (a few thousand comparisons a date).
                self._lib = (chinese_calendar.holidays, chinese_calendar.workdays)
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
        known = self._cache.get(day)
        if known is None:
            known = self._cache[day] = self._decide(day)
        return known

    def _decide(self, day: date) -> bool:
        if day in self.extra_workdays:
            return True
        if day in self.holidays:
            return False
        if self._lib is not None:
            first, last = self.covered
            if first <= day.year <= last:  # chinese_calendar.is_workday, without the range check
                holidays, workdays = self._lib
                return day in workdays or (day.weekday() < 5 and day not in holidays)
            self._note_uncovered(day.year)
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
        known = self._next.get(day)
        if known is not None:
            return known
        result = day
        for _ in range(60):  # the longest run of rest days is about 10; 60 guards bad config
            if self.is_workday(result):
                break
            result += timedelta(days=1)
        else:
            result = day
        self._next[day] = result
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

def is_rehandled(proposal: Proposal) -> bool:
    """In a re-handling round (不满意): its deadline runs from the feedback date."""
    return proposal.state == REOPENED or (proposal.feedback == "不满意" and proposal.feedback_date is not None)


def handling_due_date(proposal: Proposal, config: Config, calendar: WorkCalendar | None = None, *,
                      rule: HandlingRule | None = None) -> date | None:
    """The reply deadline of the current handling round, whatever the state (for 按期办复), by
    the rules in the module docstring. ``rule``: ``config.rule_for(region, body)`` when the
    caller has it already. Reads only the rule, ``is_rehandled``, the assigned, due and (when
    rehandled) feedback dates, ``complex`` and ``extension_days`` (the planner caches on them)."""
    if rule is None:
        rule = config.rule_for(proposal.region, proposal.body)
    assigned = as_date(proposal.assigned_date)
    if proposal.due_date:
        deadline = as_date(proposal.due_date)
    elif assigned is not None:
        deadline = add_months(assigned, rule.complex_months if proposal.complex else rule.reply_months)
    else:
        return None
    if rule.cutoff_dates:
        start = as_date(proposal.feedback_date) if is_rehandled(proposal) else assigned
        if start is not None:
            for cutoff in rule.cutoff_dates:
                if start < cutoff < deadline:
                    deadline = cutoff
    if proposal.extension_days:
        deadline += timedelta(days=proposal.extension_days)
    if calendar is not None:
        deadline = calendar.next_workday(deadline)
    return deadline


def due_date_of(proposal: Proposal, config: Config, calendar: WorkCalendar | None = None) -> date | None:
    """The date reminders count down to: the follow-up date for follow-up items, else the
    handling deadline. ``None`` when nothing is known (no assigned or due date)."""
    if proposal.state == FOLLOW_UP and proposal.follow_up_date:
        deadline = as_date(proposal.follow_up_date)
        return calendar.next_workday(deadline) if calendar is not None else deadline
    return handling_due_date(proposal, config, calendar)


def co_unit_due_date(proposal: Proposal, config: Config, calendar: WorkCalendar | None = None, *,
                     rule: HandlingRule | None = None, main: date | None = None) -> date | None:
    """When co-units' opinions are due at the lead unit: assigned + co_unit_months, never after
    the item's own deadline, moved to a workday. ``None`` without co-units or an assigned date.
    ``rule`` and ``main`` (``handling_due_date`` with the same calendar): when the caller has
    them already. (With a calendar, capping at the workday-moved deadline or at the unmoved one
    gives the same day: the days between the two are rest days.)"""
    if not proposal.co_units or not proposal.assigned_date:
        return None
    if rule is None:
        rule = config.rule_for(proposal.region, proposal.body)
    deadline = add_months(as_date(proposal.assigned_date), rule.co_unit_months)
    if main is None:
        main = handling_due_date(proposal, config, calendar, rule=rule)
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
