"""The office's view: due lists (overdue, due in a window, a unit's open items) and the figures
staff report upward (办复率, 按期办复率, class shares, 满意率, overdue by lead unit).

Everything here is computed from :class:`Facts`, one per item, made from its event history
(bot.history) and kept in memory by :class:`OfficeView`, so the lists, the statistics, the
chart and the export all agree.

Definitions (also in the README):
- items: the items in scope (session, unit = lead unit);
- replied: items with a reply dated on or before the as-of date; 办复率 = replied / items;
- replied on time: the first reply on or before the first round's due date (workday-adjusted);
  按期办复率 = replied on time / items;
- class shares: the class of each replied item's latest reply, over replied items;
- feedback received: feedback dated on or before the as-of date; 满意率 = (满意 + 基本满意) /
  feedback received;
- overdue: open items whose due date is before the as-of date; days overdue are calendar days
  after the workday-adjusted due date (the project's one work calendar);
- co-unit opinions outstanding: co-units that have sent no opinion, on items not yet replied.

An earlier as-of date replays each item's history up to that day (bot.history).

Pure core: no telegram.
"""

from __future__ import annotations

import calendar as calendar_module
from bisect import bisect_left, bisect_right, insort
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Callable, Iterable, TypeVar

from bot import history
from bot.deadlines import as_date, handling_due_date
from bot.model import EV_FEEDBACK, Event, Proposal, _cn
from bot.numbers import Session, number_order

T = TypeVar("T")

SATISFIED = ("满意", "基本满意")
NO_UNIT = "（未指定主办单位）"


@dataclass(slots=True)
class Facts:
    """What the office figures need to know about one item: its proposal (state and due date as
    its history leaves them today), its replies and feedback. Its history is not kept: the
    office view lives as long as the bot, and keeping every item's events would hold the whole
    history in memory (an earlier as-of date reads it again: ``as_of_facts``)."""

    proposal: Proposal
    is_open: bool
    due: date | None            # what reminders count down to now
    first_due: date | None      # the first handling round's due date (for 按期办复)
    replies: tuple[tuple[date, str | None], ...]  # (reply date, class), in order
    feedbacks: tuple[tuple[date, str], ...]

    @property
    def lead_unit(self) -> str:
        return self.proposal.lead_unit or NO_UNIT

    def first_reply(self, as_of: date) -> date | None:
        return self.replies[0][0] if self.replies and self.replies[0][0] <= as_of else None

    def last_class(self, as_of: date) -> str | None:
        known = [cls for day, cls in self.replies if day <= as_of and cls]
        return known[-1] if known else None

    def feedback_on(self, as_of: date) -> str | None:
        known = [value for day, value in self.feedbacks if day <= as_of]
        return known[-1] if known else None

    def outstanding_co_units(self) -> list[str]:
        """Co-units whose opinion is not in, while the item waits for its reply."""
        if not self.is_open or self.replies:
            return []
        return [u for u in self.proposal.co_units if u not in self.proposal.co_units_done]


def _day(event: Event) -> date | None:
    return as_date((event.business_date or event.recorded_at or "")[:10] or None)


def history_of(svc, p: Proposal) -> list[Event]:
    """One item's history, corrections applied, in business order (or, for a record from before
    histories, the events that reproduce it); read for the moment, not kept in memory (events
    stay in the snapshot file: README, "Lean start-up")."""
    events = svc.repo.events_for(p.id, keep=False) or history.baseline_events(p, svc.repo.replies_for(p.id))
    return sorted(history.corrected(events), key=history.event_order)


def facts_for(svc, p: Proposal) -> Facts:
    """One item's facts from its history."""
    ordered = history_of(svc, p)
    replies, feedbacks, before_reply = [], [], []
    for event in ordered:
        day = _day(event)
        if event.kind in history.REPLY_KINDS and day is not None:
            replies.append((day, event.classification))
        elif event.kind == EV_FEEDBACK and day is not None and event.feedback:
            feedbacks.append((day, event.feedback))
        if not replies:
            before_reply.append(event)
    first_round = history.replay(p, before_reply, svc.config, svc.calendar)
    replies.sort(key=lambda r: r[0])
    return Facts(
        proposal=p,
        is_open=p.is_open,
        due=svc.due_date(p) if p.is_open else None,
        first_due=handling_due_date(first_round, svc.config, svc.calendar),
        replies=tuple(replies),
        feedbacks=tuple(feedbacks),
    )


def as_of_facts(svc, f: Facts, as_of: date) -> Facts:
    """The facts as they stood at the end of ``as_of``: the history up to that day replayed
    (open state and due date then)."""
    known = [e for e in history_of(svc, f.proposal) if (_day(e) or date.min) <= as_of]
    then = history.replay(f.proposal, known, svc.config, svc.calendar)
    return replace(f, proposal=then, is_open=then.is_open, due=svc.due_date(then) if then.is_open else None)


class OfficeView:
    """Every item's facts, kept in memory and current through ``Repository.subscribe``: a change
    to a proposal or to one of its replies marks that item, and only marked items are recomputed
    at the next question. Lists and figures then cost a pass over small records, not a due-date
    computation and a reply look-up per item.

    The facts are also kept grouped by lead unit and by session, and each group's open items
    with a due date sorted as the due lists order them (:func:`by_due`): a recomputed item
    moves in and out of its own groups only, and one unit's or one session's list or figures
    read that group ("overdue as of a day" is a bisect)."""

    def __init__(self, svc) -> None:
        self.svc = svc
        self._facts: dict[int, Facts] | None = None
        self._dirty: set[int] = set()
        self._kept: dict[tuple, Any] = {}  # lists and figures, until the next change
        self._groups: dict[tuple, dict[int, Facts]] = defaultdict(dict)  # (UNIT, name) / (SESSION, term, meeting)
        self._due: dict[tuple, list[tuple]] = defaultdict(list)  # group (and ALL) -> sorted due keys
        self._items: dict[int, DueItem] = {}  # each listed item's entry as of ``_items_as_of``
        self._items_as_of: date | None = None
        svc.repo.subscribe(self._on_change)

    def kept(self, key: tuple, compute: Callable[[], T], unit: str | None = None,
             session: Session | None = None, scoped: bool = False) -> T:
        """A list or figures derived from the items' facts, computed once and kept (``key``
        names it, with its as-of date): a question asked again costs a look-up, not a pass over
        the items. Kept until any item changes; when ``scoped``, only until an item of that
        lead unit (None: any) and that session (None: any) changes."""
        self._refresh()
        if key not in self._kept:
            if len(self._kept) >= 2000:  # earlier days' and rare questions' answers
                self._kept.clear()
            self._kept[key] = (compute(), unit if scoped else _ANY, session)
        return self._kept[key][0]

    def _on_change(self, op: str, record) -> None:
        if isinstance(record, Proposal):
            self._dirty.add(record.id)
        else:
            pid = getattr(record, "proposal_id", None)  # events and replies of one item
            if pid is not None:
                self._dirty.add(pid)
            else:
                self._kept.clear()

    def _forget(self, f: Facts) -> None:
        """Drop what was kept and may count the item (its unit's, its session's, everything's)."""
        p = f.proposal
        for key, (_, unit, session) in list(self._kept.items()):
            if unit is _ANY or ((unit is None or unit == p.lead_unit)
                                and (session is None or (session.term, session.meeting) == (p.term, p.meeting))):
                del self._kept[key]

    @staticmethod
    def _group_keys(f: Facts) -> tuple[tuple, tuple]:
        return (_UNIT, f.proposal.lead_unit), (_SESSION, f.proposal.term, f.proposal.meeting)

    @staticmethod
    def _due_key(f: Facts) -> tuple | None:
        """The item's place in its groups' due lists (by_due's order); None when not listed."""
        if not f.is_open or f.due is None:
            return None
        return due_order(f.due, f.proposal)

    def _refresh(self) -> dict[int, Facts]:
        if self._facts is None:
            self._facts = {}
            self._groups.clear()
            self._due.clear()
            self._kept.clear()
            self._dirty.clear()
            for p in self.svc.repo.proposals():
                f = self._facts[p.id] = facts_for(self.svc, p)
                key = self._due_key(f)
                for group in self._group_keys(f):
                    self._groups[group][p.id] = f
                    if key is not None:
                        self._due[group].append(key)
                if key is not None:
                    self._due[_ALL].append(key)
            for keys in self._due.values():
                keys.sort()
        while self._dirty:
            pid = self._dirty.pop()
            old = self._facts.pop(pid, None)
            if old is not None:
                self._place(old, add=False)
                self._forget(old)
            p = self.svc.repo.get(Proposal, pid)
            if p is not None:
                f = self._facts[pid] = facts_for(self.svc, p)
                self._place(f, add=True)
                self._forget(f)
        return self._facts

    def _place(self, f: Facts, add: bool) -> None:
        """Put one item into (or take it out of) its groups and their due lists."""
        key = self._due_key(f)
        groups = self._group_keys(f)
        self._items.pop(f.proposal.id, None)
        for group in groups:
            if add:
                self._groups[group][f.proposal.id] = f
            else:
                self._groups[group].pop(f.proposal.id, None)
        if key is None:
            return
        for group in (*groups, _ALL):
            keys = self._due[group]
            if add:
                insort(keys, key)
            else:
                at = bisect_left(keys, key)
                if at < len(keys) and keys[at] == key:
                    del keys[at]

    def facts(self) -> list[Facts]:
        return list(self._refresh().values())

    def group(self, unit: str | None = None, session: Session | None = None) -> list[Facts]:
        """Today's facts of one lead unit's items (by name), else of one session's (term and
        meeting; the caller checks the body), else of all items."""
        facts = self._refresh()
        if unit is not None:
            return list(self._groups.get((_UNIT, unit), {}).values())
        if session is not None:
            return list(self._groups.get((_SESSION, session.term, session.meeting), {}).values())
        return list(facts.values())

    def due_between(self, start: date | None, end: date | None, unit: str | None = None,
                    session: Session | None = None) -> list[Facts]:
        """Open items due in [start, end] (either end open when None), in by_due's order, from
        the smallest group that holds them (one unit's, else one session's, else all)."""
        facts = self._refresh()
        if unit is not None:
            group = (_UNIT, unit)
        elif session is not None:
            group = (_SESSION, session.term, session.meeting)
        else:
            group = _ALL
        keys = self._due.get(group, [])
        lo = 0 if start is None else bisect_left(keys, (start,))
        hi = len(keys) if end is None else bisect_right(keys, (end, (2,)))  # past every key due on end
        return [facts[key[2]] for key in keys[lo:hi]]

    def due_item(self, f: Facts, as_of: date) -> DueItem:
        """The item's list entry as of a day, made once per day and item: a long list after a
        change then allocates nothing but itself (tens of thousands of new entries would also
        wake the garbage collector over the whole heap)."""
        if as_of != self._items_as_of:
            self._items.clear()
            self._items_as_of = as_of
        item = self._items.get(f.proposal.id)
        if item is None:
            item = self._items[f.proposal.id] = DueItem(f.proposal, f.due, (f.due - as_of).days)
        return item


_UNIT, _SESSION, _ALL = "unit", "session", ("all",)
_ANY = object()  # kept until any item changes


def facts_of(svc, as_of: date | None = None) -> list[Facts]:
    """Every item's facts; as they stood on ``as_of`` when that is before today."""
    facts = svc.office.facts()
    if as_of is not None and as_of < svc.today():
        facts = [as_of_facts(svc, f, as_of) for f in facts]
    return facts


def in_session(p: Proposal, session: Session | None) -> bool:
    if session is None:
        return True
    if (p.term, p.meeting) != (session.term, session.meeting):
        return False
    return session.body is None or p.body == session.body


# -- lists ---------------------------------------------------------------------------------------

OVERDUE, DUE_SOON, OPEN = "overdue", "due_soon", "open"
LIST_TITLES = {OVERDUE: "逾期事项", DUE_SOON: "即将到期", OPEN: "在办事项"}


@dataclass
class DueItem:
    proposal: Proposal
    due: date | None
    days_left: int | None   # negative: days overdue


@dataclass
class DueList:
    kind: str                          # overdue | due_soon | open
    as_of: date
    items: list[DueItem]
    start: date | None = None          # due_soon window, inclusive
    end: date | None = None
    unit: str | None = None
    session: Session | None = None

    def by_unit(self) -> list[tuple[str, list[DueItem]]]:
        return by_lead_unit(self.items)

    @property
    def overdue_count(self) -> int:
        return sum(1 for i in self.items if i.days_left is not None and i.days_left < 0)

    def due_within(self, days: int) -> int:
        return sum(1 for i in self.items if i.days_left is not None and 0 <= i.days_left <= days)


def due_order(due: date | None, p: Proposal) -> tuple:
    """The one order of due lists: soonest due (longest overdue) first, then by number; no due
    date last."""
    return (due or date.max, number_order(p.number), p.id or 0)


def by_due(items: Iterable[DueItem]) -> list[DueItem]:
    return sorted(items, key=lambda i: due_order(i.due, i.proposal))


def by_lead_unit(items: Iterable[DueItem]) -> list[tuple[str, list[DueItem]]]:
    """The one grouping of due lists (/overdue, the digest, questions, the export): lead units
    with the most items first, then by name; in each, the soonest due (the longest overdue)
    first, then by number."""
    groups: dict[str, list[DueItem]] = defaultdict(list)
    for item in by_due(items):
        groups[item.proposal.lead_unit or NO_UNIT].append(item)
    return sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))


def overdue_list(svc, as_of: date, unit: str | None = None, session: Session | None = None) -> DueList:
    return svc.office.kept(("overdue", as_of, unit, session),
                           lambda: _due_list(svc, DueList(OVERDUE, as_of, [], unit=unit, session=session),
                                             None, as_of - timedelta(days=1)),
                           unit, session, scoped=True)


def _due_list(svc, shell: DueList, first: date | None, last: date | None) -> DueList:
    """``shell`` (kind, day, window, scope) filled with its scope's items due from ``first`` to
    ``last``, in due order: the one body of the overdue and due-soon lists."""
    shell.items = [
        svc.office.due_item(f, shell.as_of)
        for f in svc.office.due_between(first, last, shell.unit, shell.session)
        if in_session(f.proposal, shell.session)
    ]
    return shell


def session_facts(svc, as_of: date, session: Session | None, unit: str | None = None) -> list[Facts]:
    """The facts the figures of one session (all when None) and one lead unit (all when None)
    need: today's are read from the unit's or the session's group (``figures`` still checks
    both); an earlier day's are replayed from every item."""
    if as_of < svc.today():
        return [f for f in facts_of(svc, as_of) if in_session(f.proposal, session)]
    return svc.office.group(unit, session)


def overdue_led_by(svc, as_of: date, unit_id: int) -> list[DueItem]:
    """The overdue items the unit (by id) leads, in /overdue's order (longest overdue first):
    what the 催办 button of /overdue offers for one unit."""
    return [i for i in overdue_list(svc, as_of).items if i.proposal.lead_unit_id == unit_id]


def due_soon_list(svc, as_of: date, start: date, end: date, unit: str | None = None,
                  session: Session | None = None) -> DueList:
    return svc.office.kept(("due_soon", as_of, start, end, unit, session),
                           lambda: _due_list(svc, DueList(DUE_SOON, as_of, [], start, end, unit, session), start, end),
                           unit, session, scoped=True)


def due_items(svc, proposals: Iterable[Proposal], as_of: date) -> list[DueItem]:
    """The items with their due dates, soonest first."""
    items = []
    for p in proposals:
        due = svc.due_date(p)
        items.append(DueItem(p, due, (due - as_of).days if due else None))
    return by_due(items)


def open_list(svc, as_of: date, unit: str) -> DueList:
    """The unit's open items, lead or co-unit (as /dept lists them)."""
    return DueList(OPEN, as_of, due_items(svc, svc.units.open_items_named(unit), as_of), unit=unit)


def handler_lists(svc, contacts: Iterable, as_of: date) -> tuple[list[DueItem], list[DueItem]]:
    """What a handler (their linked contacts) has open: (items they handle, their units' co-unit
    items they do not handle themselves), soonest due first (/due)."""
    own: dict[int, Proposal] = {}
    co: dict[int, Proposal] = {}
    for contact in contacts:
        handled, helped = svc.units.items_of(contact)
        own.update((p.id, p) for p in handled)
        co.update((p.id, p) for p in helped)
    return (due_items(svc, own.values(), as_of),
            due_items(svc, (p for p in co.values() if p.id not in own), as_of))


# -- windows people name -------------------------------------------------------------------------

def week_window(today: date, weeks_ahead: int = 0) -> tuple[date, date]:
    monday = today - timedelta(days=today.weekday()) + timedelta(weeks=weeks_ahead)
    return (max(today, monday), monday + timedelta(days=6))


def month_window(today: date, months_ahead: int = 0) -> tuple[date, date]:
    year, month = today.year + (today.month - 1 + months_ahead) // 12, (today.month - 1 + months_ahead) % 12 + 1
    first = date(year, month, 1)
    last = date(year, month, calendar_module.monthrange(year, month)[1])
    return (max(today, first), last)


# -- figures -------------------------------------------------------------------------------------

@dataclass
class Figures:
    as_of: date
    session: Session | None
    unit: str | None
    items: int = 0
    replied: int = 0
    on_time: int = 0
    classes: dict[str, int] = field(default_factory=dict)
    feedback: int = 0
    satisfied: int = 0
    open: int = 0
    overdue: int = 0
    co_unit_pending: int = 0    # co-units' opinions not in, on items still waiting for their reply
    overdue_by_unit: list[tuple[str, int]] = field(default_factory=list)
    open_by_unit: list[tuple[str, int]] = field(default_factory=list)
    reply_rate_by_unit: list[tuple[str, int, int]] = field(default_factory=list)  # unit, replied, items

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        return round(100.0 * part / whole, 1) if whole else None

    @property
    def reply_rate(self) -> float | None:
        return self.rate(self.replied, self.items)

    @property
    def on_time_rate(self) -> float | None:
        return self.rate(self.on_time, self.items)

    @property
    def satisfaction_rate(self) -> float | None:
        return self.rate(self.satisfied, self.feedback)


def figures(facts: Iterable[Facts], as_of: date, session: Session | None = None,
            unit: str | None = None) -> Figures:
    out = Figures(as_of, session, unit)
    classes: Counter[str] = Counter()
    overdue: Counter[str] = Counter()
    open_: Counter[str] = Counter()
    units: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for f in facts:
        if not in_session(f.proposal, session) or (unit is not None and f.proposal.lead_unit != unit):
            continue
        out.items += 1
        per_unit = units[f.lead_unit]
        per_unit[1] += 1
        first_reply = f.first_reply(as_of)
        if first_reply is not None:
            out.replied += 1
            per_unit[0] += 1
            if f.first_due is None or first_reply <= f.first_due:
                out.on_time += 1
            last_class = f.last_class(as_of)
            if last_class:
                classes[last_class] += 1
        feedback = f.feedback_on(as_of)
        if feedback:
            out.feedback += 1
            out.satisfied += feedback in SATISFIED
        out.co_unit_pending += len(f.outstanding_co_units())
        if f.is_open:
            out.open += 1
            open_[f.lead_unit] += 1
            if f.due is not None and f.due < as_of:
                out.overdue += 1
                overdue[f.lead_unit] += 1
    out.classes = dict(sorted(classes.items()))
    out.overdue_by_unit = sorted(overdue.items(), key=lambda kv: (-kv[1], kv[0]))
    out.open_by_unit = sorted(open_.items(), key=lambda kv: (-kv[1], kv[0]))
    out.reply_rate_by_unit = sorted(((u, r, n) for u, (r, n) in units.items()),
                                    key=lambda t: (t[1] / t[2], t[0]))
    return out


def session_text(session: Session | None) -> str:
    if session is None:
        return "全部届次"
    body = session.body or ""
    return f"{body}{_cn(session.term)}届{_cn(session.meeting)}次会议"
