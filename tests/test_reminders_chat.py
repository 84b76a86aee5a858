"""Issue 5 end to end: linking, pings on the right days, exactly once through faults and
restarts, escalation, reply and feedback, the digest — the real application over real HTTP
against the Bot API emulator, the clock injected, retry waits recorded instead of slept."""

import asyncio
import re
from datetime import date, datetime, time, timedelta

import pytest

from bot.model import Contact, Proposal
from handlers.reminders import reminders_of, sweep_now
from tests.conftest import ADMIN, STAFF, STRANGER, TZ, Chat, start_bot, stop_bot, write_config
from tests.test_webhooks import receiver  # noqa: F401  (the loopback group-robot fixture)

HANDLER, OTHER = 5005, 5006
# the conversations here reach the bot by webhook POSTs (conftest.receive_mode)
pytestmark = pytest.mark.webhook


LEAD = "晋城市农业农村局"
TRANSPORT = "晋城市交通运输局"
PING_MARKS = ("⏰", "⚠", "🚨", "🔁", "📋 2", "📋 3")


class Sleeps(list):
    """Retry waits, recorded instead of slept (deliver's ``sleep``)."""

    async def __call__(self, seconds):
        self.append(seconds)
        await asyncio.sleep(0)


def seed(repo):
    zhang = repo.put(Contact(name="张三", unit=LEAD, phones=["0356-2220001"]))
    li = repo.put(Contact(name="李四", unit=LEAD, phones=["0356-2220002"]))
    wang = repo.put(Contact(name="王五", unit=TRANSPORT, phones=["0356-2220003"]))
    # assigned 2026-09-07 + 3 months: due Monday 2026-12-07
    repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=4, number="301",
                      title="关于完善农村冷链物流设施的建议", proposer="张委员", lead_unit=LEAD,
                      assigned_date="2026-09-07", state="handling", handlers=[zhang.id, li.id]))
    repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=4, number="302",
                      title="关于优化城乡公交线路的建议", proposer="李委员", lead_unit=TRANSPORT,
                      assigned_date="2026-09-07", state="handling", handlers=[wang.id]))


async def boot(emulator, folder, clock, extra="", fresh=True):
    emulator.add_user(ADMIN)  # the admin's private chat exists (digests, escalations)
    app, services = await start_bot(emulator, write_config(folder, extra), clock, samples=False)
    if fresh:
        seed(services.repo)
    rem = reminders_of(app)
    rem.sleep = Sleeps()
    return Chat(emulator, app, services, clock)


@pytest.fixture
async def bot(tmp_path, emulator, clock):
    chat = await boot(emulator, tmp_path, clock)
    try:
        yield chat
    finally:
        await stop_bot(chat.app)


async def link(chat, name, user):
    (answer,) = await chat.send(f"/link {name}")
    token = re.search(r"\?start=([A-Za-z0-9_-]+)", answer.text).group(1)
    (linked,) = await chat.send(f"/start {token}", user=user)
    assert linked.text.startswith("绑定成功"), linked.text
    return token


async def sweep_on(chat, day):
    chat.clock.now = datetime.combine(day, time(9, 0), TZ)
    return await sweep_now(chat.app)


def pings(chat, user):
    return [m.text for m in chat.emulator.sent(user) if m.text.startswith(PING_MARKS)]


def head(text):
    """The head of a ping: 「⏰ 还剩 7 天：第301号 …」 → 「⏰ 还剩 7 天」."""
    return text.split("：", 1)[0]


def digests(chat, user=ADMIN):
    return [m.text for m in chat.emulator.sent(user) if m.text.startswith("📋 提案办理日报")]


# -- who gets pinged, and when ------------------------------------------------------------------

async def test_pings_arrive_on_the_right_days_only_to_the_linked_handler(bot):
    await link(bot, "张三", HANDLER)  # 李四 handles 301 too, but is not linked
    bot.emulator.add_user(STAFF)
    days = {
        date(2026, 11, 23): "⏰ 还剩 14 天：第301号",
        date(2026, 11, 24): None,  # still in the 14-day step
        date(2026, 11, 30): "⏰ 还剩 7 天：第301号",
        date(2026, 12, 4): "⏰ 还剩 3 天：第301号",
        date(2026, 12, 5): None,  # Saturday
        date(2026, 12, 6): None,  # Sunday: the 1-day step falls on it and is not sent late
        date(2026, 12, 7): "⏰ 今天截止：第301号",
        date(2026, 12, 8): "⚠ 已逾期 1 天：第301号",
    }
    for day, expected in days.items():
        before = len(pings(bot, HANDLER))
        await sweep_on(bot, day)
        new = pings(bot, HANDLER)[before:]
        assert [t.splitlines()[0].split(" 关于")[0] for t in new] == ([expected] if expected else []), day
    first = pings(bot, HANDLER)[0]
    assert "截止 2026-12-07 · 主办 晋城市农业农村局" in first
    assert "/reply 301 A" in first and "/status 301" in first
    # nobody else got a ping: 302's handler is not linked, staff and strangers are not handlers
    assert pings(bot, STAFF) == [] and pings(bot, STRANGER) == []
    assert pings(bot, ADMIN) == []
    # the admin got one digest per workday
    assert [d.splitlines()[0] for d in digests(bot)] == [
        f"📋 提案办理日报 {d.isoformat()}" for d in days if d.weekday() < 5]


async def test_restart_between_steps_sends_nothing_twice(tmp_path, emulator, clock):
    chat = await boot(emulator, tmp_path, clock)
    await link(chat, "张三", HANDLER)
    await sweep_on(chat, date(2026, 11, 23))
    assert len(pings(chat, HANDLER)) == 1
    await stop_bot(chat.app)

    chat = await boot(emulator, tmp_path, clock, fresh=False)  # same day: the catch-up finds nothing
    await sweep_now(chat.app)
    assert len(pings(chat, HANDLER)) == 1
    await stop_bot(chat.app)

    clock.now = datetime(2026, 11, 30, 8, 0, tzinfo=TZ)  # down over the next step
    chat = await boot(emulator, tmp_path, clock, fresh=False)  # the catch-up sends it, once
    assert [t.splitlines()[0][:12] for t in pings(chat, HANDLER)] == ["⏰ 还剩 14 天：第3", "⏰ 还剩 7 天：第30"]
    result = await sweep_now(chat.app)
    assert result.report.sent == [] and len(pings(chat, HANDLER)) == 2
    assert len(digests(chat)) == 2  # 11-23 and 11-30, each once despite three starts
    await stop_bot(chat.app)


@pytest.mark.filterwarnings("ignore:.*retry_after.*")  # PTB 22's own int → timedelta notice
async def test_faults_still_deliver_each_ping_exactly_once(bot):
    await link(bot, "张三", HANDLER)
    rem = reminders_of(bot.app)

    def sends_to_handler():
        return [p for m, p in bot.emulator.calls if m == "sendMessage" and p.get("chat_id") == HANDLER]

    bot.emulator.inject_fault("sendMessage", 429, retry_after=1)
    await sweep_on(bot, date(2026, 11, 23))
    assert len(pings(bot, HANDLER)) == 1  # the rate limiter waited retry_after and sent it again
    assert ("sendMessage", 429, "Too Many Requests: retry after 1") in bot.emulator.errors

    bot.emulator.inject_fault("sendMessage", 500, times=2)
    await sweep_on(bot, date(2026, 11, 30))
    assert len(pings(bot, HANDLER)) == 2 and rem.sleep == [1.0, 2.0]  # backoff

    bot.emulator.inject_delay("sendMessage", 0.3)  # a slow answer is waited for, not resent
    await sweep_on(bot, date(2026, 12, 4))
    assert len(pings(bot, HANDLER)) == 3

    # Telegram took the request but its answer never came: resent once, marked 「补发」
    rem.read_timeout = 0.2
    bot.emulator.inject_delay("sendMessage", 0.6)
    marker = bot.emulator.mark(HANDLER)
    result = await sweep_on(bot, date(2026, 12, 7))
    assert result.unconfirmed == 1 and "未确认 1 条" in result.summary() and "失败" not in result.summary()
    got = sorted(m.text for m in await bot.emulator.await_sent(HANDLER, count=2, since=marker))
    assert got[0].startswith("⏰ 今天截止：第301号") and got[1].startswith("【补发】⏰ 今天截止：第301号")
    notice = [m.text for m in bot.emulator.sent(ADMIN) if "未确认" in m.text and "⚠" in m.text]
    assert len(notice) == 1 and "张三（晋城市农业农村局）" in notice[0] and "失败" not in notice[0]
    rem.read_timeout = 30
    await sweep_on(bot, date(2026, 12, 7))  # the same day again: nothing resent
    attempts = [head(p["text"]) for p in sends_to_handler() if "⏰" in p["text"]]
    assert attempts == ["⏰ 还剩 14 天", "⏰ 还剩 14 天", "⏰ 还剩 7 天", "⏰ 还剩 7 天", "⏰ 还剩 7 天",
                        "⏰ 还剩 3 天", "⏰ 今天截止", "【补发】⏰ 今天截止"]  # 429 + ok, 500 + 500 + ok, slow, lost
    assert [head(t) for t in pings(bot, HANDLER)] == ["⏰ 还剩 14 天", "⏰ 还剩 7 天", "⏰ 还剩 3 天", "⏰ 今天截止"]
    today = reminders_of(bot.app).ledger.tally(date(2026, 12, 7))
    assert today == {"unconfirmed": 1, "resent": 1}  # reminders only, not the admins' notices
    (digest,) = await bot.send("/digest")
    assert "今日：已发 1 条，其中补发 1 条" in digest.text and "未确认 1 条" in digest.text


@pytest.mark.parametrize("how", ["garbled", "dropped"])
async def test_an_unreadable_answer_is_unconfirmed_not_failed(bot, how):
    await link(bot, "张三", HANDLER)
    bot.emulator.inject_lost_answer("sendMessage", how)
    result = await sweep_on(bot, date(2026, 11, 23))
    assert [p.recipient for p in result.report.unconfirmed] == [HANDLER] and not result.report.failed
    assert [head(t) for t in [m.text for m in bot.emulator.sent(HANDLER)][-2:]] == ["⏰ 还剩 14 天", "【补发】⏰ 还剩 14 天"]
    (notice,) = [m.text for m in bot.emulator.sent(ADMIN) if "未确认" in m.text and "⚠" in m.text]
    assert "张三" in notice and "失败" not in notice


@pytest.mark.filterwarnings("ignore:.*retry_after.*")  # PTB 22's own int → timedelta notice
async def test_a_chat_reply_hit_by_flood_control_is_retried(bot):
    bot.emulator.inject_fault("sendMessage", 429, retry_after=1)
    (answer,) = await bot.send("/status 302")
    assert "关于优化城乡公交线路的建议" in answer.text
    assert ("sendMessage", 429, "Too Many Requests: retry after 1") in bot.emulator.errors


async def test_blocked_handler_is_reported_and_pinged_again_after_writing(bot):
    await link(bot, "张三", HANDLER)
    bot.emulator.block_user(HANDLER)
    await sweep_on(bot, date(2026, 11, 23))
    (notice,) = [m.text for m in bot.emulator.sent(ADMIN) if "屏蔽" in m.text]
    assert "1 条提醒未送达：对方已屏蔽机器人" in notice and "张三（晋城市农业农村局）" in notice
    await sweep_on(bot, date(2026, 11, 30))
    assert pings(bot, HANDLER) == []  # no tries into a blocked chat
    bot.emulator.unblock_user(HANDLER)
    await bot.send("/due", user=HANDLER)  # writing again lifts the block
    await sweep_on(bot, date(2026, 12, 1))
    assert [t[:9] for t in pings(bot, HANDLER)] == ["⏰ 还剩 6 天："]


# -- calendar and escalation ------------------------------------------------------------------------

async def test_a_holiday_moves_the_due_date_and_skips_the_ping(bot):
    # assigned 07-01 + 3 months = 10-01, National Day (10-01 … 10-07): due the first workday after
    bot.services.repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=4, number="303",
                                   title="关于国庆期间景区交通的建议", lead_unit=LEAD,
                                   assigned_date="2026-07-01", state="handling",
                                   handlers=[bot.services.repo.find_contact("张三", LEAD).id]))
    await link(bot, "张三", HANDLER)
    await sweep_on(bot, date(2026, 9, 30))
    (first,) = pings(bot, HANDLER)
    assert first.startswith("⏰ 还剩 8 天：第303号") and "截止 2026-10-08" in first
    for day in range(1, 8):  # 10-01 … 10-07: the holiday, nothing is sent
        result = await sweep_on(bot, date(2026, 10, day))
        assert result.report.sent == [] and not result.digest_sent
    assert len(pings(bot, HANDLER)) == 1
    await sweep_on(bot, date(2026, 10, 8))
    assert pings(bot, HANDLER)[-1].startswith("⏰ 今天截止：第303号")
    (card,) = await bot.send("/status 303")
    assert "截止 2026-10-08" in card.text


async def test_a_configured_holiday_moves_the_due_date(tmp_path, emulator, clock):
    chat = await boot(emulator, tmp_path, clock, '[reminders]\nholidays = ["2026-12-07"]\n')
    try:
        await link(chat, "张三", HANDLER)
        (card,) = await chat.send("/status 301")
        assert "截止 2026-12-08" in card.text
        result = await sweep_on(chat, date(2026, 12, 7))
        assert result.report.sent == [] and pings(chat, HANDLER) == []
        await sweep_on(chat, date(2026, 12, 8))
        assert pings(chat, HANDLER)[0].startswith("⏰ 今天截止：第301号")
    finally:
        await stop_bot(chat.app)


async def test_escalation_on_the_configured_day_once(tmp_path, emulator, clock):
    chat = await boot(emulator, tmp_path, clock, "[reminders]\nescalate_after_days = 2\n")
    group = -100500  # the agriculture bureau's supervision group
    try:
        await link(chat, "张三", HANDLER)
        marker = emulator.mark(group)
        emulator.push_text(ADMIN, f"/supervisor {LEAD}", chat_id=group)
        (answer,) = await emulator.await_sent(group, since=marker)
        assert answer.text.startswith("已把本群设为 晋城市农业农村局 的督办群：该单位主办的事项逾期 2 天后")

        def escalations(chat_id):
            return [m.text for m in emulator.sent(chat_id) if m.text.startswith("🚨")]

        await sweep_on(chat, date(2026, 12, 8))
        assert escalations(group) == [] and pings(chat, HANDLER)[-1].startswith("⚠ 已逾期 1 天")
        await sweep_on(chat, date(2026, 12, 9))
        (escalated,) = escalations(group)
        assert escalated.startswith("🚨 督办提醒：第301号 关于完善农村冷链物流设施的建议 已逾期 2 天")
        assert "承办人：张三、李四（未绑定）" in escalated
        # 302's unit has no supervisor chat: the admins are told instead
        (to_admin,) = escalations(ADMIN)
        assert to_admin.startswith("🚨 督办提醒：第302号") and "王五（未绑定）" in to_admin
        await sweep_on(chat, date(2026, 12, 10))
        assert len(escalations(group)) == 1 and len(escalations(ADMIN)) == 1  # once each
        assert pings(chat, HANDLER)[-1].startswith("⚠ 已逾期 3 天")
        assert not any(t.startswith("🚨") for t in pings(chat, HANDLER))
        (entry,) = [e for e in chat.services.repo.audit_entries() if e["action"] == "supervisor"]
        assert (entry["user_id"], entry["unit"], entry["new_chat"]) == (ADMIN, LEAD, group)
        (staff,) = await chat.send(f"/supervisor {LEAD}", user=STAFF)
        assert "仅限管理员" in staff.text
    finally:
        await stop_bot(chat.app)


# -- reply and feedback ------------------------------------------------------------------------------

async def test_reply_stops_pings_and_unsatisfied_feedback_reopens(bot):
    await link(bot, "张三", HANDLER)
    await sweep_on(bot, date(2026, 11, 23))
    assert len(pings(bot, HANDLER)) == 1
    (refused,) = await bot.send("/reply 301 A", user=STAFF)
    assert "只有管理员或第301号的承办人可以登记答复" in refused.text
    (done,) = await bot.send("/reply 301 a 2026-11-23 晋农函〔2026〕8号", user=HANDLER)
    assert done.text.splitlines()[1] == "A类（已解决或基本解决） · 答复日期 2026-11-23 · 文号 晋农函〔2026〕8号"
    assert "不再发送催办提醒" in done.text
    for day in (date(2026, 11, 30), date(2026, 12, 7), date(2026, 12, 14)):
        await sweep_on(bot, day)
    assert len(pings(bot, HANDLER)) == 1  # nothing for a replied item, not even overdue
    (card,) = await bot.send("/status 301")
    assert "状态：已答复 · A类 · 2026-11-23" in card.text and "晋农函〔2026〕8号" in card.text

    bot.clock.now = datetime(2026, 12, 15, 10, 0, tzinfo=TZ)
    (bad,) = await bot.send("/feedback 301 还行")
    assert "反馈意见“还行”无效" in bad.text
    (reopened,) = await bot.send("/feedback 301 不满意")
    assert "转为重新办理，新的答复期限 2027-02-15" in reopened.text
    await sweep_on(bot, date(2027, 2, 8))  # 7 days before the re-reply deadline
    assert pings(bot, HANDLER)[-1].startswith("⏰ 还剩 7 天：第301号 关于完善农村冷链物流设施的建议（重新办理）")
    audit = [e for e in bot.services.repo.audit_entries() if e["action"] in ("reply", "feedback")]
    assert [(e["action"], e["user_id"], e["old_due"], e["new_due"]) for e in audit] == [
        ("reply", HANDLER, "2026-12-07", "2026-12-07"), ("feedback", ADMIN, "2026-12-07", "2027-02-15")]


async def test_follow_up_class_keeps_the_item_open(bot):
    await link(bot, "张三", HANDLER)
    (answer,) = await bot.send("/reply 301 B", user=HANDLER)
    assert "待跟进（回头看），请于 2027-02-21 前再次答复" in answer.text
    (wrong,) = await bot.send("/reply 302 Z")
    assert "办理类别“Z”无效" in wrong.text
    (other,) = await bot.send("/reply 302 A", user=HANDLER)  # not this handler's item
    assert "只有管理员或第302号的承办人" in other.text


# -- linking -----------------------------------------------------------------------------------------

async def test_link_tokens_expired_reused_and_strangers(bot):
    (refused,) = await bot.send("/due", user=STRANGER)
    assert "尚未获得使用权限" in refused.text
    (bad,) = await bot.send("/start not-a-token", user=STRANGER)
    assert bad.text == "无法绑定：链接无效，请检查链接是否完整，或联系管理员重新生成。"
    (denied,) = await bot.send("/link 张三", user=STAFF)
    assert "仅限管理员" in denied.text

    token = await link(bot, "张三", STRANGER)  # a stranger with a valid token: now a handler
    (mine,) = await bot.send("/due", user=STRANGER)
    assert "第301号" in mine.text and "截止 2026-12-07 · 还剩 14 天" in mine.text
    (again,) = await bot.send(f"/start {token}", user=STRANGER)
    assert again.text.startswith("您已绑定为 张三（晋城市农业农村局）")
    (reused,) = await bot.send(f"/start {token}", user=OTHER)
    assert reused.text == "无法绑定：该链接已使用过。如需重新绑定，请联系管理员生成新链接。"
    (still,) = await bot.send("/due", user=OTHER)
    assert "尚未获得使用权限" in still.text

    (answer,) = await bot.send("/link 李四")
    assert "2026-11-26 10:00 前有效" in answer.text
    late = re.search(r"start=(\S+)", answer.text).group(1)
    bot.clock.now += timedelta(hours=72)
    (expired,) = await bot.send(f"/start {late}", user=OTHER)
    assert expired.text == "无法绑定：该链接已过期，请联系管理员重新生成。"
    assert bot.services.repo.find_contact("李四", LEAD).telegram_user_id is None


async def test_link_offers_choices_when_several_contacts_match(bot):
    (choice,) = await bot.send("/link 0356-222000")
    labels = [label for row in choice.buttons for label, _ in row]
    assert choice.text == "请选择要绑定的联系人：" and "王五（晋城市交通运输局）" in labels
    (answer,) = await bot.press(choice, labels.index("王五（晋城市交通运输局）"))
    assert answer.message_id == choice.message_id and "已生成王五（晋城市交通运输局）的绑定链接" in answer.text
    assert "https://t.me/proposal_test_bot?start=" in answer.text


async def test_admin_linked_as_a_handler_gets_pings_too(bot):
    await link(bot, "张三", ADMIN)  # console mode: the admin opens the link themself
    await sweep_on(bot, date(2026, 11, 23))
    assert [t[:10] for t in pings(bot, ADMIN)] == ["⏰ 还剩 14 天："]
    (help_text,) = await bot.send("/help")
    assert "/link" in help_text.text and "/due" in help_text.text


# -- /due, /overdue, /mute, /unmute, /extend -------------------------------------------------------

async def test_mute_unmute_extend_and_overdue(bot):
    await link(bot, "张三", HANDLER)
    (muted,) = await bot.send("/mute", user=HANDLER)
    assert muted.text.startswith("已暂停您的办理提醒")
    await sweep_on(bot, date(2026, 11, 30))
    assert pings(bot, HANDLER) == []
    (due_list,) = await bot.send("/due", user=HANDLER)
    assert "提醒已暂停" in due_list.text
    await bot.send("/unmute", user=HANDLER)
    await sweep_on(bot, date(2026, 12, 1))
    assert [t[:9] for t in pings(bot, HANDLER)] == ["⏰ 还剩 6 天："]

    (refused,) = await bot.send("/extend 301 10 需协调", user=HANDLER)
    assert "仅限管理员" in refused.text
    (usage,) = await bot.send("/extend 301 10")
    assert "原因必填" in usage.text
    (extended,) = await bot.send("/extend 301 10 需协调省级部门")
    assert "截止日期：2026-12-07 → 2026-12-17" in extended.text and "需协调省级部门" in extended.text
    (entry,) = [e for e in bot.services.repo.audit_entries() if e["action"] == "extend"]
    assert (entry["user_id"], entry["days"], entry["reason"], entry["old_due"], entry["new_due"]) == (
        ADMIN, 10, "需协调省级部门", "2026-12-07", "2026-12-17") and entry["at"]
    await sweep_on(bot, date(2026, 12, 7))  # a new cycle: the countdown starts afresh
    assert pings(bot, HANDLER)[-1].startswith("⏰ 还剩 10 天：第301号")

    bot.clock.now = datetime(2026, 12, 18, 10, 0, tzinfo=TZ)
    (overdue,) = await bot.send("/overdue")
    lines = overdue.text.splitlines()
    assert lines[0] == "逾期事项：2 件（2026-12-18）"
    assert "晋城市交通运输局（1 件）" in overdue.text and "王五（未绑定）" in overdue.text
    assert "第301号 关于完善农村冷链物流设施的建议 · 截止 2026-12-17 · ⚠ 已逾期 1 天 · 承办人 张三、李四（未绑定）" in overdue.text
    (staff,) = await bot.send("/overdue", user=STAFF)  # staff may read it (issue 8)
    assert staff.text == overdue.text
    (handler,) = await bot.send("/overdue", user=HANDLER)
    assert handler.text == "抱歉，此操作仅限工作人员和管理员。"


async def test_due_for_someone_without_items(bot):
    (answer,) = await bot.send("/due", user=STAFF)
    assert "还没有绑定承办人身份" in answer.text
    (mute,) = await bot.send("/mute", user=STAFF)
    assert "还没有绑定承办人身份" in mute.text


# -- digest and webhooks -----------------------------------------------------------------------------

async def test_digest_once_a_workday_and_on_demand(bot):
    (summary,) = await bot.send("/sweep")  # 2026-11-23: already swept at start-up
    assert summary.text.startswith("已完成 2026-11-23 的提醒检查：新发送 0 条提醒。")
    assert "日报" not in summary.text and len(digests(bot)) == 1
    await sweep_on(bot, date(2026, 12, 1))
    text = digests(bot)[-1]
    assert text.startswith("📋 提案办理日报 2026-12-01")
    assert "7 天内到期：2 件" in text and "第301号" in text and "第302号" in text
    assert "已逾期：0 件" in text and "昨日答复：0 件" in text
    await sweep_on(bot, date(2026, 12, 1))
    assert len(digests(bot)) == 2  # not twice on one day
    (on_demand,) = await bot.send("/digest")
    assert on_demand.text.startswith("📋 提案办理日报 2026-12-01")


async def test_webhook_channel_for_a_unit_not_on_telegram(tmp_path, emulator, clock, receiver):  # noqa: F811
    extra = f'[webhooks."{TRANSPORT}"]\nkind = "wecom"\nurl = "{receiver.base}/wecom?key=abc"\n'
    chat = await boot(emulator, tmp_path, clock, extra)
    try:
        await sweep_on(chat, date(2026, 11, 23))
        (post,) = receiver.posts
        content = post[2]["text"]["content"]
        assert content.startswith("⏰ 还剩 14 天：第302号 关于优化城乡公交线路的建议")
        assert "<" not in content and "/reply" not in content  # plain text, no chat commands
        receiver.status_script = [500]
        await sweep_on(chat, date(2026, 11, 30))  # 500, retried: one more message
        assert [p[2]["text"]["content"][:9] for p in receiver.posts[1:]] == ["⏰ 还剩 7 天：", "⏰ 还剩 7 天："]
        await sweep_on(chat, date(2026, 11, 30))
        assert len(receiver.posts) == 3
    finally:
        await stop_bot(chat.app)


async def test_the_daily_job_is_scheduled_at_the_configured_time_and_sweeps(tmp_path, emulator, clock):
    emulator.add_user(ADMIN)
    app, services = await start_bot(emulator, write_config(tmp_path, '[reminders]\ndaily_time = "08:30"\n'),
                                    clock, samples=False, jobs=True)
    try:
        seed(services.repo)
        chat = Chat(emulator, app, services, clock)
        (job,) = app.job_queue.get_jobs_by_name("reminders")
        assert job.next_t.astimezone(TZ).time() == time(8, 30)
        job.schedule_removal()  # fired by hand below, on the injected clock
        await link(chat, "张三", HANDLER)
        clock.now = datetime(2026, 11, 30, 8, 30, tzinfo=TZ)
        await job.run(app)
        assert [head(t) for t in pings(chat, HANDLER)] == ["⏰ 还剩 7 天"]
        assert digests(chat)[-1].startswith("📋 提案办理日报 2026-11-30")
    finally:
        await stop_bot(app)


async def test_reply_asks_which_session_when_a_number_is_shared(bot):
    repo = bot.services.repo
    repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number="301", title="上一次会议的第301号",
                      lead_unit=LEAD, assigned_date="2025-09-01", state="handling"))
    (choice,) = await bot.send("/reply 301 A")
    assert choice.text == "找到 2 件第301号，要登记答复的是："
    labels = [label for row in choice.buttons for label, _ in row]
    assert labels == ["政协 晋城市八届四次会议 第301号", "政协 晋城市八届三次会议 第301号"]
    (done,) = await bot.press(choice, 1)
    assert done.message_id == choice.message_id and "已登记答复：第301号 上一次会议的第301号" in done.text
    states = sorted((p.meeting, p.state) for p in repo.find_by_number("301"))
    assert states == [(3, "replied"), (4, "handling")]
    assert bot.emulator.message(ADMIN, choice.message_id).buttons == []  # the choice is used up


async def test_overdue_list_stays_short(bot):
    with bot.services.repo.batch():
        for n in range(12):
            bot.services.repo.put(Proposal(body="人大", region="晋城市", term=17, meeting=3, number=str(400 + n),
                                           title=f"第{n}项建议", lead_unit="晋城市教育局",
                                           assigned_date="2026-08-01", state="handling"))
    (listing,) = await bot.send("/overdue")
    assert listing.text.startswith("逾期事项：12 件（2026-11-23）")
    assert "晋城市教育局（12 件）" in listing.text and "……另有 2 件（/dept 晋城市教育局 查看全部）" in listing.text


# -- same-day retries after a 5xx burst ----------------------------------------------------------

async def retry_rounds(chat):
    """Move the injected clock to each scheduled retry round and run it; the rounds' times."""
    rem = reminders_of(chat.app)
    times = []
    while rem.retry_at is not None:
        chat.clock.now = rem.retry_at
        times.append(rem.retry_at)
        await rem.retry_if_due()
    return times


async def test_a_5xx_burst_longer_than_the_retries_still_delivers_every_ping_the_same_day(bot):
    await link(bot, "张三", HANDLER)
    await link(bot, "王五", OTHER)
    bot.emulator.inject_fault("sendMessage", 502, times=32)  # the first sweep and a few rounds
    first = await sweep_on(bot, date(2026, 11, 23))
    assert not first.report.sent and len(first.report.retrying) == 2
    assert "失败 2 条（今天稍后自动重试）" in first.summary()
    times = await retry_rounds(bot)
    assert [t.strftime("%H:%M") for t in times][:3] == ["09:05", "09:15", "09:35"]  # backoff
    assert all(t.date() == date(2026, 11, 23) for t in times)
    assert [head(t) for t in pings(bot, HANDLER)] == ["⏰ 还剩 14 天"]
    assert [head(t) for t in pings(bot, OTHER)] == ["⏰ 还剩 14 天"]
    assert len(digests(bot)) == 1  # sent at start-up, not repeated by the rounds
    tally = reminders_of(bot.app).ledger.tally(date(2026, 11, 23))
    assert tally == {"sent": 2}
    assert not [m for m in bot.emulator.sent(ADMIN) if "仍未送达" in m.text]


async def test_pings_still_failing_when_the_day_ends_are_reported_as_lost(bot):
    await link(bot, "张三", HANDLER)
    bot.emulator.inject_fault("sendMessage", 500, times=10_000)
    await sweep_on(bot, date(2026, 11, 23))
    times = await retry_rounds(bot)
    assert times[-1].strftime("%H:%M") == "23:55" and len(times) < 30
    assert pings(bot, HANDLER) == []
    rem = reminders_of(bot.app)
    assert rem.ledger.tally(date(2026, 11, 23)) == {"lost": 1}
    bot.emulator.clear_faults()  # Telegram is back the next morning
    await sweep_on(bot, date(2026, 11, 24))
    digest = digests(bot)[-1]
    assert digest.startswith("📋 提案办理日报 2026-11-24")
    assert "昨日：已发 0 条，当天未能送达 1 条" in digest


async def test_the_day_ending_before_a_retry_round_reports_the_pings_lost(bot):
    await link(bot, "张三", HANDLER)
    bot.emulator.inject_fault("sendMessage", 500, times=40)
    await sweep_on(bot, date(2026, 11, 23))
    rem = reminders_of(bot.app)
    assert rem.retry_at is not None
    bot.clock.now = datetime(2026, 11, 24, 0, 1, tzinfo=TZ)  # the bot was busy or asleep until past midnight
    bot.emulator.clear_faults()
    assert await rem.retry_if_due() is None and rem.retry_at is None
    assert rem.ledger.tally(date(2026, 11, 23)) == {"lost": 1}
    (notice,) = [m.text for m in bot.emulator.sent(ADMIN) if "仍未送达" in m.text]
    assert "2026-11-23" in notice and "张三" in notice


async def test_pings_failed_on_a_day_the_bot_did_not_outlive_are_reported_after_the_restart(tmp_path, emulator, clock):
    chat = await boot(emulator, tmp_path, clock)
    await link(chat, "张三", HANDLER)
    emulator.inject_fault("sendMessage", 500, times=40)
    await sweep_on(chat, date(2026, 11, 23))
    assert reminders_of(chat.app).retry_at is not None  # … and the bot stops before the round
    await stop_bot(chat.app)
    emulator.clear_faults()
    clock.now = datetime(2026, 11, 24, 9, 0, tzinfo=TZ)
    chat = await boot(emulator, tmp_path, clock, fresh=False)
    try:
        (notice,) = [m.text for m in emulator.sent(ADMIN) if m.text.startswith("⚠") and "未能送达" in m.text]
        assert notice.startswith("⚠ 1 条提醒 2026-11-23 当天未能送达") and "张三（晋城市农业农村局） · 第301号" in notice
        ledger = reminders_of(chat.app).ledger
        assert ledger.tally(date(2026, 11, 23)) == {"lost": 1} and ledger.stale_failures(date(2026, 11, 24)) == {}
        assert "昨日：已发 0 条，当天未能送达 1 条" in digests(chat)[-1]
    finally:
        await stop_bot(chat.app)
    chat = await boot(emulator, tmp_path, clock, fresh=False)  # reported once, not at every start
    try:
        assert len([m for m in emulator.sent(ADMIN) if m.text.startswith("⚠") and "未能送达" in m.text]) == 1
    finally:
        await stop_bot(chat.app)


async def test_the_catch_up_waits_for_the_first_getUpdates(tmp_path, emulator, clock):
    """run_polling's order: post_init, polling, start. The catch-up sweep (here: the admin's
    digest) sends nothing until the bot polls; ``started`` still means it is done."""
    from bot.app import build_application, make_services, polling_args, started
    from bot.config import load_config
    from bot.samples import load_samples
    from tests.conftest import TOKEN

    emulator.add_user(ADMIN)
    config = load_config(write_config(tmp_path))
    services = make_services(config, clock)
    load_samples(services.repo, config)
    app = build_application(services, TOKEN, emulator.base_url, emulator.base_file_url, startup_retry=0.05)
    await app.initialize()
    await app.post_init(app)
    await app.updater.start_polling(**polling_args(config))
    while not any(method == "getUpdates" for method, _ in emulator.calls):
        await asyncio.sleep(0.01)  # the polling task's first request
    assert not reminders_of(app).catch_up.done()
    assert digests(Chat(emulator, app, services, clock)) == []
    await app.start()
    await started(app)
    assert len(digests(Chat(emulator, app, services, clock))) == 1
    await stop_bot(app)
