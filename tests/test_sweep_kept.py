"""The reminder planner keeps each item's plan between sweeps (bot.reminder_plan.SweepPlanner,
held by the running bot's reminder service): over simulated days of the example office, with the
usual changes in between (a reply, an extension, a relinked handler, a muted contact, a unit's
supervisor chat, a new liaison, a reopened item, a unit merge), the kept plans give exactly the
pings a fresh plan gives: keys, texts, recipients. Small size; no timing (bench/bench_sweep.py)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from bot.app import make_services
from bot.config import load_config
from bot.edits import BY_CODE, apply_edit
from bot.links import link_account
from bot.model import Contact, Department, Proposal
from bot.progress import grant_extension, register_feedback, register_reply
from bot.reminder_plan import SweepPlanner, plan_sweep
from bot.reminder_service import set_muted, set_supervisor
from tests.conftest import Clock, write_config
from tests.office import ADMIN, load_office

START = date(2026, 11, 2)  # a Monday


@pytest.fixture
def office(tmp_path):
    svc = make_services(load_config(write_config(tmp_path)), Clock())
    load_office(svc)
    for n, contact in enumerate(svc.repo.contacts()):  # everyone linked: every recipient kind is planned
        contact.telegram_user_id = 7000 + n
        svc.repo.put(contact)
    yield svc
    svc.repo.close()


def second_handler(svc, item: Proposal) -> Contact:
    """A new, linked contact of the item's lead unit (not its liaison), made its only handler."""
    unit = svc.repo.get(Department, item.lead_unit_id)
    contact = svc.repo.put(Contact(name="周副科", unit=unit.name, unit_id=unit.id, telegram_user_id=7800))
    apply_edit(svc, item, BY_CODE["h"], [contact.name], ADMIN)  # the edit names handlers
    return contact


def sweep(svc, planner: SweepPlanner, day: date, sent: set) -> list:
    """The kept planner's pings of ``day``, checked against a fresh plan on the same inputs (the
    inputs ``bot.reminders.run_sweep`` gives it)."""
    repo = svc.repo
    args = (day, repo.proposals(), {c.id: c for c in repo.contacts()}, svc.config, svc.calendar)
    options = {"departments": repo.departments(), "admins": svc.admin_ids(), "sent": sent,
               "liaisons": svc.units.liaisons(), "leaders": svc.units.leaders()}
    kept = planner.plan(*args, **options)
    assert kept == plan_sweep(*args, **options), day
    return kept


def open_items(svc) -> list[Proposal]:
    return [p for p in svc.repo.proposals() if p.is_open and svc.due_date(p) is not None]


def overdue(svc, day: date) -> Proposal:
    return next(p for p in open_items(svc) if svc.due_date(p) < day and p.state != "follow_up")


def test_kept_plans_match_a_fresh_plan_day_after_day(office):
    svc = office
    planner = SweepPlanner().watch(svc.repo)
    sent: set = set()
    day = START
    planned = {}

    # the items the changes act on, chosen before the first sweep: overdue items of different
    # lead units, one without handlers (its unit's liaison is pinged), one of a unit known by
    # name only (an item from before units had ids)
    items = sorted(open_items(svc), key=svc.due_date)
    picked: list[Proposal] = []
    for p in items:
        if p.state == "assigned" and p.handlers and all(p.lead_unit_id != q.lead_unit_id for q in picked):
            picked.append(p)
    replied, extended, handed, muted, liaison, legacy, merged = picked[:7]
    apply_edit(svc, liaison, BY_CODE["h"], [], ADMIN)
    legacy.lead_unit_id = None
    svc.repo.put(legacy)
    helper = second_handler(svc, muted)

    def changes(n: int) -> None:
        """What the office does after day ``n``'s sweep (use cases, as the chat commands call them)."""
        repo = svc.repo
        if n == 0:
            register_reply(svc, ADMIN, replied, "A", day.isoformat(), None)
        elif n == 1:
            grant_extension(svc, ADMIN, extended, 30, "情况复杂")
        elif n == 2:  # the item is handed to another unit's contact
            other = next(c for c in repo.contacts() if c.unit_id != handed.lead_unit_id)
            apply_edit(svc, handed, BY_CODE["h"], [other.name], ADMIN)
        elif n == 3:  # a handler mutes reminders (not a liaison); another relinks to a new account
            set_muted(svc, helper.telegram_user_id, True)
            link_account(svc, repo.get(Contact, extended.handlers[0]), 9901, ADMIN)
        elif n == 4:  # escalations of two units go to supervisor chats from now on
            set_supervisor(svc, ADMIN, legacy.lead_unit, -100_777)
            set_supervisor(svc, ADMIN, repo.get(Department, handed.lead_unit_id).name, -100_778)
        elif n == 5:  # the unit of the item without handlers gets a named liaison
            unit = repo.get(Department, liaison.lead_unit_id)
            repo.put(Contact(name="吴联络", unit=unit.name, unit_id=unit.id, position="联络员", telegram_user_id=7801))
        elif n == 6:  # the proposer is not satisfied: handled again
            item = next(p for p in repo.proposals() if p.state == "replied")
            register_feedback(svc, ADMIN, item, "不满意", day.isoformat())
        elif n == 7:  # two units turn out to be one
            source = repo.get(Department, merged.lead_unit_id)
            svc.units.merge(source, repo.get(Department, replied.lead_unit_id), ADMIN)

    for n in range(12):
        if svc.calendar.is_workday(day):
            pings = sweep(svc, planner, day, sent)
            again = sweep(svc, planner, day, set())  # the same day with an empty ledger: every step
            planned[day] = (len(pings), len(again))
            sent |= {p.key for p in pings}
        changes(n)
        day += timedelta(days=1)
    assert len(planned) >= 8
    assert all(full > 0 for _, full in planned.values())
    assert planner.entries  # plans were kept from day to day


def test_a_change_reaches_the_kept_plan(office):
    """The kept plan is not merely equal to a fresh one on unchanged data: a muted handler and a
    replied item stop their pings in the very next sweep."""
    svc = office
    planner = SweepPlanner().watch(svc.repo)
    day = START
    before = sweep(svc, planner, day, set())
    item = next(p for p in open_items(svc) if p.handlers and any(x.proposal_id == p.id for x in before))
    handler = svc.repo.get(Contact, item.handlers[0])
    assert any(p.recipient == handler.telegram_user_id for p in before)
    set_muted(svc, handler.telegram_user_id, True)
    other = next(p for p in before if p.proposal_id != item.id and p.recipient != handler.telegram_user_id
                 and p.step.startswith(("due-", "overdue-")))
    register_reply(svc, ADMIN, svc.repo.get(Proposal, other.proposal_id), "A", day.isoformat(), None)
    after = sweep(svc, planner, day, set())
    assert not any(p.recipient == handler.telegram_user_id for p in after)
    assert not any(p.proposal_id == other.proposal_id and p.step == other.step for p in after)
