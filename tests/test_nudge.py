"""催办 through the emulator: the handler gets it with 已收到, the history records both, a second
nudge the same day asks first, bad input gets a clear answer."""

from __future__ import annotations

import pytest

from bot.model import EV_NUDGE
from bot.lookup import lookup_number
from tests.conftest import STAFF, Chat, start_bot, stop_bot, write_config
from tests.office import load_office

HANDLER = 5001


@pytest.fixture
async def office_chat(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    load_office(services)
    contact = next(c for c in services.repo.contacts() if c.name == "王立新")
    contact.telegram_user_id = HANDLER
    services.repo.put(contact)
    emulator.add_user(HANDLER)
    try:
        yield Chat(emulator, app, services, clock)
    finally:
        await stop_bot(app)


def nudges(chat, number: str):
    (p,) = lookup_number(chat.services.repo, number).matches
    return [e for e in chat.services.repo.events_for(p.id) if e.kind == EV_NUDGE]


async def test_nudge_reaches_the_handler_and_is_acknowledged(office_chat):
    chat = office_chat
    marker = chat.emulator.mark(HANDLER)
    (done,) = await chat.send("/nudge 101 请本周内报送答复")
    assert done.text.startswith("已催办第101号：已发送给 王立新。")
    assert "该件已逾期 44 天。" in done.text
    assert "未送达：单位负责人（未登记或未绑定）" in done.text
    (ping,) = await chat.emulator.await_sent(HANDLER, count=1, since=marker)
    assert ping.text.startswith("🔔 催办：第101号 关于加快推进城乡融合发展的建议")
    assert "留言：请本周内报送答复" in ping.text
    (event,) = nudges(chat, "101")
    assert event.by == 1001 and event.changes == {"to": ["王立新"], "unreached": ["单位负责人（未登记或未绑定）"]}
    assert event.business_date == "2026-11-23" and event.reason == "请本周内报送答复"
    *_, thanks = await chat.press(ping, 0, user=HANDLER, expect=2)  # the button goes, then the thanks
    assert thanks.text == "已确认收到（王立新），已记入办理记录。"
    acks = [e for e in nudges(chat, "101") if e.changes.get("ack") == event.id]
    assert len(acks) == 1 and acks[0].by == HANDLER


async def test_twice_a_day_needs_confirming(office_chat):
    chat = office_chat
    await chat.send("/nudge 102")
    (again,) = await chat.send("/nudge 102 再催一次")
    assert again.text.startswith("第102号今天已催办过") and again.buttons[0][0][0] == "再次催办"
    assert len(nudges(chat, "102")) == 1
    (done,) = await chat.press(again, 0)
    assert done.text.startswith("已催办第102号")
    assert [e.reason for e in nudges(chat, "102")] == ["", "再催一次"]


async def test_bad_nudges(office_chat):
    chat = office_chat
    (usage,) = await chat.send("/nudge")
    assert usage.text.startswith("用法：/nudge")
    (missing,) = await chat.send("/nudge 999")
    assert missing.text.startswith("未找到第999号")
    (closed,) = await chat.send("/nudge 104")
    assert closed.text == "第104号已答复或已办结，无需催办。"
    (nobody,) = await chat.send("/nudge 人大2")
    assert nobody.text.startswith("未能催办第2号：没有可送达的人。")
    assert nudges(chat, "人大2") == []
    (refused,) = await chat.send("/nudge 101", user=STAFF)
    assert "仅限管理员" in refused.text
    assert nudges(chat, "101") == []
