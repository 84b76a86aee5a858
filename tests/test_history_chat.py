"""Issue 8 commands end to end: /status with its last steps and the whole timeline, a second
/reply asks (by button) whether it is a supplementary reply or a correction, impossible dates,
/extend from the rolled due date, staff reading /overdue and /digest, unknown commands."""

from datetime import datetime

import pytest

from bot.model import Proposal
from tests.conftest import ADMIN, STAFF, TZ, Chat, start_bot, stop_bot, write_config

LEAD = "晋城市教育局"


@pytest.fixture
async def bot(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    # assigned 2026-08-21 + 3 months = Saturday 2026-11-21 → due Monday 2026-11-23 (today)
    services.repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=4, number="12",
                               title="关于加强中小学心理健康教育的建议", proposer="张三等3位委员",
                               lead_unit=LEAD, co_units=["晋城市民政局"], assigned_date="2026-08-21"))
    services.repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=4, number="13",
                               title="关于规范校外培训的建议", proposer="李四", lead_unit=LEAD,
                               assigned_date="2026-06-01"))
    try:
        yield Chat(emulator, app, services, clock)
    finally:
        await stop_bot(app)


async def test_reply_twice_asks_supplementary_or_correction(bot):
    (bad,) = await bot.send("/reply 12 B 2025-13-01")
    assert "日期“2025-13-01”不存在" in bad.text
    assert not bot.services.repo.events_for(bot.services.repo.find_by_number("12")[0].id)

    (first,) = await bot.send("/reply 12 B 2026-11-20 晋市教函〔2026〕36号")
    assert first.text.startswith("已登记答复：第12号") and "待跟进" in first.text

    (question,) = await bot.send("/reply 12 A 2026-11-22")
    labels = [label for row in question.buttons for label, _ in row]
    assert labels == ["补充答复", "更正上一次答复"] and "已有答复（B类 · 2026-11-20" in question.text
    assert all(len(data.encode()) <= 64 for row in question.buttons for _, data in row)
    (done,) = await bot.press(question, 0)
    assert done.text.startswith("已登记补充答复：第12号") and "已答复" in done.text

    (again,) = await bot.send("/reply 12 C 2026-11-22")
    (fixed,) = await bot.press(again, 1)
    assert fixed.text.startswith("已更正答复：第12号") and "类别 A → C" in fixed.text

    (card,) = await bot.send("/status 12")
    assert "状态：待跟进 · C类" in card.text
    assert "最近：11-23 更正答复 类别 C、日期 2026-11-22 · 11-22 补充答复 C类 · 11-20 答复 B类 晋市教函〔2026〕36号" in card.text
    (timeline,) = await bot.press(card, 0)
    assert timeline.text.startswith("政协 · 晋城市八届四次会议 · 第12号 办理记录（共 4 条）")
    assert "2026-11-20 答复 B类 晋市教函〔2026〕36号 · 操作人 1001 · 聊天" in timeline.text


async def test_timeline_button_works_after_a_restart(bot, emulator, tmp_path, clock):
    await bot.send("/reply 13 A 2026-11-20")
    (card,) = await bot.send("/status 13")
    await stop_bot(bot.app)
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    bot.app, bot.services = app, services
    (timeline,) = await bot.press(card, 0)
    assert "办理记录（共 2 条）" in timeline.text and "答复 A类" in timeline.text


async def test_extend_counts_from_the_rolled_due_date(bot):
    (card,) = await bot.send("/status 12")
    assert "截止 2026-11-23" in card.text
    (extended,) = await bot.send("/extend 12 1 需协调")
    assert "截止日期：2026-11-23 → 2026-11-24" in extended.text
    (shorter,) = await bot.send("/extend 12 -1 更正")
    assert "截止日期：2026-11-24 → 2026-11-23" in shorter.text
    (nothing,) = await bot.send("/extend 12 -1 再缩短")  # Sunday 11-22 rolls back to Monday 11-23
    assert nothing.text.startswith("未能延期：延期 -1 天后截止日期仍是 2026-11-23")


async def test_staff_read_overdue_and_digest(bot):
    (overdue,) = await bot.send("/overdue", user=STAFF)
    assert overdue.text.startswith("逾期事项：1 件") and "第13号" in overdue.text
    (digest,) = await bot.send("/digest", user=STAFF)
    assert "提案办理日报" in digest.text
    (refused,) = await bot.send("/sweep", user=STAFF)
    assert refused.text == "抱歉，此操作仅限管理员。"


async def test_an_unknown_command_suggests_the_nearest(bot):
    (answer,) = await bot.send("/stat 125", user=STAFF)
    assert answer.text.startswith("没有 /stat 这个命令。\n您是不是要找：\n/status 125 · 查询办理状态")
    assert answer.text.endswith("发送 /help 查看全部命令。")
    (other,) = await bot.send("/xyzzy")
    assert other.text == "没有 /xyzzy 这个命令。\n发送 /help 查看全部命令。"
