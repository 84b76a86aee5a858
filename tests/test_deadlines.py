"""Deadlines, state transitions and the reminder plan (bot/deadlines.py). No sleeps, no clock:
every date is passed in."""

from datetime import date, timedelta

import pytest

from bot.config import load_config
from bot.deadlines import (
    CALENDAR_WARNING,
    WorkCalendar,
    add_months,
    apply_feedback,
    apply_reply,
    co_unit_due_date,
    due_date_of,
    extend,
)
from bot.reminder_plan import Ping, plan_sweep
from bot.model import CLOSED, FOLLOW_UP, REOPENED, REPLIED, Contact, Department, Proposal

CONFIG = """
[storage]
database = "data/p.json"

[access]
admins = [900, 901]

[class_schemes.ABCD]
labels = { A = "已解决或基本解决", B = "正在解决或列入计划", C = "条件具备时解决", D = "留作参考" }
closes = ["A", "D"]
follow_up = ["B", "C"]

[class_schemes."甲乙丙"]
labels = { "甲" = "已解决或采纳", "乙" = "部分解决或列入计划", "丙" = "留作参考" }
closes = ["甲"]
follow_up = ["乙", "丙"]

[[rules]]
region = "*"
body = "政协"
reply_months = 3
complex_months = 6
co_unit_months = 1
reopen_months = 2
follow_up_days = 90
cutoff_dates = [{cutoffs}]
class_scheme = "ABCD"

[[rules]]
region = "高平市"
body = "政协"
reply_months = 2
complex_months = 3
reopen_months = 1
class_scheme = "甲乙丙"

[[rules]]
region = "*"
body = "人大"
class_scheme = "ABCD"

[reminders]
offsets = [30, 14, 7, 3, 1, 0]
escalate_after_days = 3
follow_up_every_days = 30
workdays_only = {workdays_only}
holidays = [{holidays}]
extra_workdays = []
admin_chat_id = {admin_chat}

{extra}
"""

LEAD = "晋城市发展和改革委员会"
CO = "晋城市财政局"


def make_config(tmp_path, *, cutoffs="", workdays_only=True, holidays="", admin_chat=0, extra=""):
    path = tmp_path / "config.toml"
    text = CONFIG
    for name, value in dict(cutoffs=cutoffs, workdays_only=str(workdays_only).lower(),
                            holidays=holidays, admin_chat=admin_chat, extra=extra).items():
        text = text.replace("{" + name + "}", str(value))
    path.write_text(text, encoding="utf-8")
    return load_config(path)


@pytest.fixture
def config(tmp_path):
    return make_config(tmp_path)


@pytest.fixture
def every_day(tmp_path):
    """Pings on any day (the step arithmetic without the workday rule)."""
    return make_config(tmp_path, workdays_only=False)


def proposal(pid=1, **extra):
    values = dict(body="政协", region="晋城市", term=8, meeting=3, number="125",
                  title="关于加快推动我市城乡融合发展的建议", lead_unit=LEAD, handlers=[1])
    values.update(extra)
    return Proposal(**values, id=pid)


def contacts():
    return {
        1: Contact(name="唐志文", unit=LEAD, telegram_user_id=501, id=1),
        2: Contact(name="李四", unit=LEAD, telegram_user_id=None, id=2),  # not linked
        3: Contact(name="王五", unit=LEAD, telegram_user_id=503, muted=True, id=3),
        4: Contact(name="赵六", unit=LEAD, telegram_user_id=504, id=4),  # not a handler of 125
        5: Contact(name="钱七", unit=CO, telegram_user_id=505, id=5),
    }


class FakeLedger(set):
    """What plan_sweep needs from the ledger: membership of sent keys."""

    def record(self, pings):
        self.update(p.key for p in pings)
        return pings


def days(start: date, end: date):
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def run_sweeps(start, end, proposals, config, calendar=None, ledger=None, **kwargs):
    """Daily sweeps over [start, end]; returns [(day, step, recipient)] of what went out."""
    ledger = FakeLedger() if ledger is None else ledger
    out = []
    for day in days(start, end):
        for ping in ledger.record(plan_sweep(day, proposals, contacts(), config, calendar, sent=ledger, **kwargs)):
            out.append((day, ping.step, ping.recipient))
    return out


# -- due dates ------------------------------------------------------------------------------

@pytest.mark.parametrize("start, months, expected", [
    (date(2026, 11, 30), 3, date(2027, 2, 28)),
    (date(2027, 11, 30), 3, date(2028, 2, 29)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2026, 8, 31), 1, date(2026, 9, 30)),
    (date(2026, 3, 15), 12, date(2027, 3, 15)),
    (date(2026, 10, 31), 6, date(2027, 4, 30)),
])
def test_month_arithmetic_clamps_to_month_end(start, months, expected):
    assert add_months(start, months) == expected


def test_due_date_three_months_complex_six_explicit_wins(config):
    assert due_date_of(proposal(assigned_date="2026-03-10"), config) == date(2026, 6, 10)
    assert due_date_of(proposal(assigned_date="2026-03-10", complex=True), config) == date(2026, 9, 10)
    explicit = proposal(assigned_date="2026-03-10", due_date="2026-04-01")  # 急事快办
    assert due_date_of(explicit, config) == date(2026, 4, 1)
    assert due_date_of(proposal(), config) is None  # nothing known: no deadline, no pings


def test_due_date_rule_per_jurisdiction(config):
    gaoping = proposal(region="高平市", assigned_date="2026-03-10")
    assert due_date_of(gaoping, config) == date(2026, 5, 10)
    npc = proposal(body="人大", assigned_date="2026-11-30")
    assert due_date_of(npc, config) == date(2027, 2, 28)


def test_cutoff_is_the_earliest_and_applies_to_items_assigned_before_it(tmp_path):
    config = make_config(tmp_path, cutoffs='"2026-05-20", "2026-12-31"')
    assert due_date_of(proposal(assigned_date="2026-03-10"), config) == date(2026, 5, 20)
    # assigned after the first cut-off: only the later one could apply, and it is later still
    assert due_date_of(proposal(assigned_date="2026-06-01"), config) == date(2026, 9, 1)
    # a cut-off after the computed due date changes nothing
    assert due_date_of(proposal(assigned_date="2026-01-05"), config) == date(2026, 4, 5)
    # the explicit due date is cut too
    assert due_date_of(proposal(assigned_date="2026-03-10", due_date="2026-07-01"), config) == date(2026, 5, 20)


def test_extension_pushes_the_due_date(tmp_path):
    config = make_config(tmp_path, cutoffs='"2026-05-20"')
    item = proposal(assigned_date="2026-01-05")
    longer = extend(item, 10)
    assert item.extension_days == 0 and longer.extension_days == 10  # a copy: the caller saves it
    assert due_date_of(longer, config) == date(2026, 4, 15)
    assert due_date_of(extend(longer, 5), config) == date(2026, 4, 20)
    # an extension also extends a cut-off
    assert due_date_of(extend(proposal(assigned_date="2026-03-10"), 7), config) == date(2026, 5, 27)
    with pytest.raises(ValueError, match="不能为负"):
        extend(item, -1)
    with pytest.raises(ValueError, match="不能延期"):
        extend(proposal(state=CLOSED), 5)


def test_co_unit_sub_deadline(config):
    item = proposal(assigned_date="2026-03-10", co_units=[CO])
    assert co_unit_due_date(item, config) == date(2026, 4, 10)
    assert co_unit_due_date(proposal(assigned_date="2026-03-10"), config) is None
    urgent = proposal(assigned_date="2026-03-10", due_date="2026-03-20", co_units=[CO])
    assert co_unit_due_date(urgent, config) == date(2026, 3, 20)  # never after the item's own


# -- workdays ---------------------------------------------------------------------------------

def test_due_date_on_national_day_moves_to_next_workday(config):
    calendar = WorkCalendar.from_config(config)
    item = proposal(assigned_date="2026-07-01")  # + 3 months = 2026-10-01, 国庆
    assert due_date_of(item, config) == date(2026, 10, 1)
    assert due_date_of(item, config, calendar) == date(2026, 10, 8)
    weekend = proposal(assigned_date="2026-09-05")  # 2026-12-05 is a Saturday
    assert due_date_of(weekend, config, calendar) == date(2026, 12, 7)
    # 调休: Saturday 2026-10-10 is a workday and stays
    assert due_date_of(proposal(due_date="2026-10-10"), config, calendar) == date(2026, 10, 10)
    assert calendar.warnings == []


def test_2027_falls_back_to_weekends_and_warns_once(config):
    calendar = WorkCalendar.from_config(config)
    # 2027-01-02 is a Saturday: the library cannot say, the fallback moves it to Monday
    assert due_date_of(proposal(due_date="2027-01-02"), config, calendar) == date(2027, 1, 4)
    # 2027-01-01 is a Friday: without configured holidays it counts as a workday
    assert due_date_of(proposal(due_date="2027-01-01"), config, calendar) == date(2027, 1, 1)
    assert calendar.is_workday(date(2027, 3, 1)) is True
    assert calendar.warnings == [CALENDAR_WARNING.format(year=2026)]
    assert "只覆盖到2026年" in calendar.warnings[0]
    assert calendar.take_warnings() == calendar.warnings
    assert calendar.take_warnings() == []


def test_2027_holidays_from_config_are_used_without_warning(tmp_path):
    config = make_config(tmp_path, holidays='"2027-01-01"')
    calendar = WorkCalendar.from_config(config)
    assert due_date_of(proposal(due_date="2027-01-01"), config, calendar) == date(2027, 1, 4)
    assert calendar.is_workday(date(2027, 1, 5))
    assert calendar.warnings == []


def test_sweep_in_2027_never_raises_and_tells_admins_once(config):
    calendar = WorkCalendar.from_config(config)
    item = proposal(assigned_date="2026-10-20")  # due 2027-01-20
    ledger = FakeLedger()
    first = ledger.record(plan_sweep(date(2027, 1, 4), [item], contacts(), config, calendar, sent=ledger))
    notices = [p for p in first if p.step == "calendar-2027"]
    assert {p.recipient for p in notices} == {900, 901}
    assert "只覆盖到2026年" in notices[0].text
    assert any(p.step == "due-30" and p.recipient == 501 for p in first)
    again = plan_sweep(date(2027, 1, 5), [item], contacts(), config, calendar, sent=ledger)
    assert [p for p in again if p.step.startswith("calendar")] == []
    # a 2027 weekend: no pings at all, and still no exception
    assert plan_sweep(date(2027, 1, 9), [item], contacts(), config, calendar) == []


# -- reply classes and feedback --------------------------------------------------------------

def test_class_in_closes_replies_then_feedback_closes(config):
    item = proposal(assigned_date="2026-03-10")
    replied = apply_reply(item, "A", date(2026, 5, 1), config)
    assert replied.state == REPLIED and not replied.is_open
    assert item.state == "assigned"  # pure
    closed = apply_feedback(replied, "满意", date(2026, 5, 20), config)
    assert closed.state == CLOSED and closed.feedback == "满意" and closed.feedback_date == "2026-05-20"
    assert apply_feedback(replied, "基本满意", "2026-05-20", config).state == CLOSED


def test_class_in_follow_up_then_second_reply_closes(config):
    item = proposal(assigned_date="2026-03-10")
    follow = apply_reply(item, "B", date(2026, 5, 1), config)
    assert follow.state == FOLLOW_UP and follow.is_open
    assert follow.follow_up_date == "2026-07-30"  # + follow_up_days (90)
    assert due_date_of(follow, config) == date(2026, 7, 30)
    satisfied = apply_feedback(follow, "满意", date(2026, 5, 20), config)
    assert satisfied.state == FOLLOW_UP  # still owes the second reply
    assert apply_reply(satisfied, "A", date(2026, 7, 1), config).state == CLOSED
    assert apply_reply(follow, "A", date(2026, 7, 1), config).state == REPLIED  # feedback still due
    # lenient spelling of the class
    assert apply_reply(item, "ａ类", date(2026, 5, 1), config).state == REPLIED
    assert apply_reply(item, " c ", date(2026, 5, 1), config).state == FOLLOW_UP


def test_dissatisfied_reopens_with_a_new_due_date(config):
    calendar = WorkCalendar.from_config(config)
    replied = apply_reply(proposal(assigned_date="2026-03-10", extension_days=20), "A", "2026-05-01", config)
    reopened = apply_feedback(replied, "不满意", date(2026, 7, 15), config)
    assert reopened.state == REOPENED and reopened.is_open
    assert reopened.due_date == "2026-09-15" and reopened.extension_days == 0
    assert due_date_of(reopened, config, calendar) == date(2026, 9, 15)
    assert apply_reply(reopened, "A", "2026-09-01", config).state == REPLIED  # new feedback due


def test_invalid_class_lists_the_valid_ones_in_chinese(config):
    with pytest.raises(ValueError) as err:
        apply_reply(proposal(), "E", date(2026, 5, 1), config)
    message = str(err.value)
    assert "“E”无效" in message
    assert "A（已解决或基本解决）" in message and "D（留作参考）" in message
    with pytest.raises(ValueError, match="甲（已解决或采纳）、乙"):
        apply_reply(proposal(region="高平市"), "A", date(2026, 5, 1), config)
    assert apply_reply(proposal(region="高平市"), "乙类", date(2026, 5, 1), config).state == FOLLOW_UP


def test_feedback_rules(config):
    with pytest.raises(ValueError, match="尚未答复"):
        apply_feedback(proposal(), "满意", date(2026, 5, 1), config)
    with pytest.raises(ValueError, match="满意、基本满意、不满意"):
        apply_feedback(proposal(state=REPLIED), "还行", date(2026, 5, 1), config)
    with pytest.raises(ValueError, match="已办结"):
        apply_reply(proposal(state=CLOSED), "A", date(2026, 5, 1), config)


# -- the sweep plan ---------------------------------------------------------------------------

def test_pings_on_the_right_days_only_to_linked_handlers(every_day):
    depts = [Department(name=LEAD, supervisor_chat_id=-1001)]
    item = proposal(assigned_date="2026-09-07", handlers=[1, 2, 3])  # due Mon 2026-12-07
    sent = run_sweeps(date(2026, 10, 1), date(2026, 12, 12), [item], every_day, departments=depts)
    to_handler = [(d, step) for d, step, r in sent if r == 501]
    assert to_handler == [
        (date(2026, 11, 7), "due-30"), (date(2026, 11, 23), "due-14"), (date(2026, 11, 30), "due-7"),
        (date(2026, 12, 4), "due-3"), (date(2026, 12, 6), "due-1"), (date(2026, 12, 7), "due-0"),
        (date(2026, 12, 8), "overdue-1"), (date(2026, 12, 9), "overdue-2"), (date(2026, 12, 10), "overdue-3"),
        (date(2026, 12, 11), "overdue-4"), (date(2026, 12, 12), "overdue-5"),
    ]
    escalations = [(d, step, r) for d, step, r in sent if step == "escalate"]
    assert escalations == [(date(2026, 12, 10), "escalate", -1001)]  # once, on the configured day
    assert {r for _, _, r in sent} == {501, -1001}  # not the unlinked, the muted, or a non-handler


def test_ping_text_follows_ux_and_escapes_html(every_day):
    item = proposal(assigned_date="2026-09-07", title="关于<b>城乡</b> & 融合的建议", lead_unit="发改<委>")
    ping = plan_sweep(date(2026, 12, 4), [item], contacts(), every_day, None)[0]
    assert isinstance(ping, Ping) and ping.step == "due-3" and ping.recipient == 501
    assert ping.text == (
        "⏰ 还剩 3 天：第125号 关于&lt;b&gt;城乡&lt;/b&gt; &amp; 融合的建议\n"
        "截止 2026-12-07 · 主办 发改&lt;委&gt;\n"
        "回复 /reply 125 A 登记答复，或 /status 125 查看详情"
    )
    overdue = plan_sweep(date(2026, 12, 10), [item], contacts(), every_day, None)
    assert overdue[0].text.startswith("⚠ 已逾期 3 天：第125号")
    today = plan_sweep(date(2026, 12, 7), [item], contacts(), every_day, None)
    assert today[0].text.startswith("⏰ 今天截止：")


def test_escalation_names_handlers_and_goes_to_admins_without_supervisor(tmp_path):
    item = proposal(assigned_date="2026-09-07", handlers=[1, 2])
    config = make_config(tmp_path, workdays_only=False)
    pings = plan_sweep(date(2026, 12, 10), [item], contacts(), config, None)
    esc = [p for p in pings if p.step == "escalate"]
    assert {p.recipient for p in esc} == {900, 901}  # every admin
    assert "🚨" in esc[0].text and "已逾期 3 天" in esc[0].text
    assert "唐志文" in esc[0].text and "李四（未绑定）" in esc[0].text
    config = make_config(tmp_path, workdays_only=False, admin_chat=-2002)
    pings = plan_sweep(date(2026, 12, 10), [item], contacts(), config, None, admins=[900, 903])
    assert {p.recipient for p in pings if p.step == "escalate"} == {-2002}
    # escalation even when no handler is linked at all
    lonely = proposal(assigned_date="2026-09-07", handlers=[2])
    assert [p.step for p in plan_sweep(date(2026, 12, 11), [lonely], contacts(), config, None)] == ["escalate"]


def test_nothing_for_replied_or_closed_items(every_day):
    for state in (REPLIED, CLOSED):
        item = proposal(assigned_date="2026-09-07", state=state)
        assert run_sweeps(date(2026, 11, 1), date(2026, 12, 20), [item], every_day) == []
    follow = apply_reply(proposal(assigned_date="2026-09-07"), "B", "2026-11-01", every_day)
    assert not any(step.startswith(("due", "overdue", "escalate"))
                   for _, step, _ in run_sweeps(date(2026, 11, 1), date(2026, 12, 20), [follow], every_day))


def test_no_ping_on_non_workdays_and_next_workday_picks_up(config):
    calendar = WorkCalendar.from_config(config)
    item = proposal(due_date="2026-12-16")  # Wednesday; due-3 falls on Sunday 12-13
    assert plan_sweep(date(2026, 12, 13), [item], contacts(), config, calendar) == []
    assert plan_sweep(date(2026, 12, 12), [item], contacts(), config, calendar) == []  # Saturday
    national = proposal(due_date="2026-10-09")
    assert plan_sweep(date(2026, 10, 6), [national], contacts(), config, calendar) == []  # 国庆
    sent = run_sweeps(date(2026, 12, 1), date(2026, 12, 16), [item], config, calendar)
    assert [(d, s) for d, s, _ in sent] == [
        (date(2026, 12, 1), "due-30"), (date(2026, 12, 2), "due-14"), (date(2026, 12, 9), "due-7"),
        (date(2026, 12, 14), "due-3"),  # Monday: the bucket missed on Sunday
        (date(2026, 12, 15), "due-1"), (date(2026, 12, 16), "due-0"),
    ]
    monday = plan_sweep(date(2026, 12, 14), [item], contacts(), config, calendar)
    assert monday[0].text.startswith("⏰ 还剩 2 天")


def test_catch_up_after_downtime_sends_only_the_latest_missed_step(every_day):
    item = proposal(assigned_date="2026-09-07")  # due 2026-12-07
    ledger = FakeLedger()
    before = run_sweeps(date(2026, 11, 1), date(2026, 11, 6), [item], every_day, ledger=ledger)
    assert before == []
    # down from 11-07 to 12-04; the start-up sweep on 12-05 (2 days left)
    catch_up = run_sweeps(date(2026, 12, 5), date(2026, 12, 5), [item], every_day, ledger=ledger)
    assert [s for _, s, _ in catch_up] == ["due-3"]  # not due-30, due-14, due-7
    # a second sweep that day (or a restart) sends nothing more
    assert run_sweeps(date(2026, 12, 5), date(2026, 12, 5), [item], every_day, ledger=ledger) == []
    # down again until 4 days overdue: one overdue ping and the (single) escalation
    late = run_sweeps(date(2026, 12, 11), date(2026, 12, 11), [item], every_day, ledger=ledger)
    assert sorted(s for _, s, _ in late) == ["escalate", "escalate", "overdue-4"]


def test_extension_and_reopening_start_a_new_countdown(every_day):
    item = proposal(assigned_date="2026-09-07")
    ledger = FakeLedger()
    run_sweeps(date(2026, 11, 1), date(2026, 11, 10), [item], every_day, ledger=ledger)
    longer = extend(item, 30)  # due 2027-01-06
    steps = run_sweeps(date(2026, 11, 11), date(2026, 12, 10), [longer], every_day, ledger=ledger)
    assert [(d, s) for d, s, _ in steps] == [(date(2026, 12, 7), "due-30")]
    assert steps and all(p[0] >= date(2026, 12, 7) for p in steps)
    reopened = apply_feedback(apply_reply(item, "A", "2026-11-01", every_day), "不满意", "2026-11-20", every_day)
    again = run_sweeps(date(2026, 12, 20), date(2026, 12, 21), [reopened], every_day, ledger=ledger)
    assert [s for _, s, _ in again] == ["due-30"]  # due 2027-01-20, a new cycle
    assert "（重新办理）" in plan_sweep(date(2026, 12, 21), [reopened], contacts(), every_day, None)[0].text


def test_follow_up_reminded_less_often(every_day):
    follow = apply_reply(proposal(assigned_date="2026-03-10"), "B", "2026-05-01", every_day)  # F = 07-30
    sent = run_sweeps(date(2026, 5, 1), date(2026, 9, 30), [follow], every_day)
    assert [(d, s) for d, s, _ in sent] == [
        (date(2026, 5, 31), "followup-2026-05-31"), (date(2026, 6, 30), "followup-2026-06-30"),
        (date(2026, 7, 30), "followup-2026-07-30"), (date(2026, 8, 29), "followup-2026-08-29"),
        (date(2026, 9, 28), "followup-2026-09-28"),
    ]
    text = plan_sweep(date(2026, 6, 30), [follow], contacts(), every_day, None)[0].text
    assert text.startswith("🔁 跟进提醒：第125号") and "2026-07-30 前再次答复" in text


def test_co_unit_handlers_get_their_own_sub_deadline(every_day):
    item = proposal(assigned_date="2026-09-07", co_units=[CO], handlers=[1, 5])  # co due 10-07
    sent = run_sweeps(date(2026, 9, 7), date(2026, 11, 10), [item], every_day)
    co = [(d, s) for d, s, r in sent if r == 505]
    assert co[0] == (date(2026, 9, 7), "co-due-30")
    assert (date(2026, 10, 7), "co-due-0") in co and (date(2026, 10, 8), "co-overdue") in co
    assert len([s for _, s in co if s == "co-overdue"]) == 1
    assert not any(s.startswith(("due-", "overdue")) for _, s in co)  # the lead unit replies
    assert [s for d, s, r in sent if r == 501] == ["due-30"]
    text = plan_sweep(date(2026, 10, 4), [item], contacts(), every_day, None)
    co_ping = next(p for p in text if p.recipient == 505)
    assert "协办意见还剩 3 天" in co_ping.text and LEAD in co_ping.text


def test_unit_webhook_gets_plain_pings_without_commands(tmp_path):
    extra = f'[webhooks."{LEAD}"]\nkind = "wecom"\nurl = "http://127.0.0.1:9/hook"\n'
    config = make_config(tmp_path, workdays_only=False, extra=extra)
    item = proposal(assigned_date="2026-09-07", handlers=[])
    pings = plan_sweep(date(2026, 12, 4), [item], contacts(), config, None)
    assert [(p.step, p.recipient) for p in pings] == [("due-3", f"webhook:{LEAD}")]
    assert "/reply" not in pings[0].text and "还剩 3 天" in pings[0].text


def test_a_bad_record_does_not_stop_the_sweep(tmp_path):
    config = make_config(tmp_path, workdays_only=False)
    broken = proposal(pid=1, body="未知", assigned_date="2026-09-07")  # no rule for this body
    fine = proposal(pid=2, assigned_date="2026-09-07")
    pings = plan_sweep(date(2026, 12, 4), [broken, fine], contacts(), config, None)
    assert [(p.proposal_id, p.step) for p in pings] == [(2, "due-3")]


def test_reopened_round_keeps_its_deadline_after_the_re_reply(tmp_path):
    config = make_config(tmp_path, cutoffs='"2026-08-05"')
    replied = apply_reply(proposal(assigned_date="2026-03-10"), "A", "2026-05-01", config)
    reopened = apply_feedback(replied, "不满意", "2026-07-15", config)
    assert due_date_of(reopened, config) == date(2026, 8, 5)  # the cut-off falls in the new round
    again = apply_reply(reopened, "A", "2026-08-01", config)
    assert due_date_of(again, config) == date(2026, 8, 5)  # 按期: the same deadline after replying


def test_sweep_keeps_apart_deadlines_that_share_their_dates(tmp_path):
    """The planner caches deadlines per distinct input within a sweep: items with the same rule
    and dates but another handling round (reopened, or 不满意 recorded while handling) or another
    extension each get their own deadline, the one handling_due_date gives, as their ping cycle
    (with a cut-off date the round decides whether the cut-off applies)."""
    from dataclasses import replace

    from bot.deadlines import handling_due_date
    from bot.model import HANDLING

    config = make_config(tmp_path, cutoffs='"2026-12-10"', workdays_only=False)
    base = proposal(pid=1, assigned_date="2026-09-07", due_date="2026-12-31")  # cut to 12-10
    items = [
        base,
        replace(base, id=2, number="126", state=REOPENED, feedback="不满意", feedback_date="2026-12-15"),
        replace(base, id=3, number="127", state=HANDLING, feedback="不满意", feedback_date="2026-12-15"),
        replace(base, id=4, number="128", state=HANDLING, feedback="满意", feedback_date="2026-12-15"),
        replace(base, id=5, number="129", extension_days=5),
    ]
    cycles: dict[int, set[str]] = {}
    for ping in plan_sweep(date(2026, 12, 21), items, contacts(), config, None):
        cycles.setdefault(ping.proposal_id, set()).add(ping.cycle)
    for item in items:
        assert cycles[item.id] == {handling_due_date(item, config).isoformat()}, item.number
    assert cycles[1] == cycles[4] == {"2026-12-10"} and cycles[5] == {"2026-12-15"}
    assert cycles[2] == cycles[3] == {"2026-12-31"}
