"""催办 through the emulator: the handler gets it with 已收到, the history records both, a second
nudge the same day asks first, bad input gets a clear answer."""

from __future__ import annotations

import pytest

from bot.model import EV_NUDGE
from bot.lookup import lookup_number
from tests.conftest import STAFF, Chat, start_bot, stop_bot, write_config
from tests.test_webhooks import receiver  # noqa: F401  (the robot server fixture)
from tests.office import link_contact, load_office

HANDLER = 5001
SUPERVISOR = -100555


@pytest.fixture
async def office_chat(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    load_office(services)
    link_contact(services, emulator, "王立新", HANDLER)
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


async def test_overdue_nudge_reaches_the_supervisor_chat(office_chat):
    chat = office_chat
    svc = chat.services
    chat.emulator.add_group(SUPERVISOR, "发改委督办群")
    unit = svc.repo.department("晋城市发展和改革委员会")
    unit.supervisor_chat_id = SUPERVISOR
    svc.repo.put(unit)
    marker = chat.emulator.mark(SUPERVISOR)
    (done,) = await chat.send("/nudge 101")
    assert done.text.startswith("已催办第101号：已发送给 王立新、督办群。"), done.text
    assert "未送达" not in done.text
    (copy,) = await chat.emulator.await_sent(SUPERVISOR, count=1, since=marker)
    assert copy.text.startswith("🔔 催办（逾期，抄送单位负责人）：第101号") and "承办人：王立新" in copy.text
    (event,) = nudges(chat, "101")
    assert event.changes["to"] == ["王立新", "督办群"]


async def test_nobody_linked_goes_to_the_units_group_robot_and_names_who_was_missed(tmp_path, emulator, clock, receiver):
    extra = f'[webhooks."晋城市教育局"]\nkind = "wecom"\nurl = "{receiver.base}/wecom?key=abc"\n'
    app, svc = await start_bot(emulator, write_config(tmp_path, extra), clock, samples=False)
    load_office(svc)
    chat = Chat(emulator, app, svc, clock)
    try:
        (p,) = lookup_number(svc.repo, "八届三次 108").matches  # 教育局, its liaison not on Telegram
        assert p.lead_unit == "晋城市教育局" and p.is_open
        (done,) = await chat.send("/nudge 108 请尽快")
        assert done.text.startswith("已催办第108号：已发送给 晋城市教育局群机器人。"), done.text
        assert "未送达：李晓梅（未绑定）" in done.text
        (post,) = [body for kind, _, body in receiver.posts if kind == "wecom"]
        assert post["msgtype"] == "text" and "第108号" in post["text"]["content"] and "留言：请尽快" in post["text"]["content"]
        (event,) = nudges(chat, "八届三次 108")
        assert event.changes == {"to": ["晋城市教育局群机器人"],
                                 "unreached": ["李晓梅（未绑定）", "单位负责人（未登记或未绑定）"]}
    finally:
        await stop_bot(app)


async def test_nudge_buttons_under_overdue_and_dept_work_after_a_restart(tmp_path, emulator, clock):
    config = write_config(tmp_path)
    app, svc = await start_bot(emulator, config, clock, samples=False)
    load_office(svc)
    chat = Chat(emulator, app, svc, clock)
    try:
        (staff_view,) = await chat.send("/overdue", user=STAFF)
        assert staff_view.reply_markup is None  # 催办 is for admins
        (overdue,) = await chat.send("/overdue")
        labels = [b["text"] for row in overdue.reply_markup["inline_keyboard"] for b in row]
        datas = [b["callback_data"] for row in overdue.reply_markup["inline_keyboard"] for b in row]
        assert labels[0].startswith("催办 ") and all(d.startswith("ndu:") and len(d.encode()) <= 64 for d in datas)
        (dept,) = await chat.send("/dept 发改委")
        dept_labels = [b["text"] for row in dept.reply_markup["inline_keyboard"] for b in row]
        assert dept_labels[:3] == ["催办 第101号", "催办 第102号", "催办 第103号"]
    finally:
        await stop_bot(app)
    app, svc = await start_bot(emulator, config, clock, samples=False)  # buttons name record ids
    chat = Chat(emulator, app, svc, clock)
    try:
        unit = svc.repo.department("晋城市发展和改革委员会")
        index = next(i for i, row in enumerate(overdue.reply_markup["inline_keyboard"])
                     for b in row if b["callback_data"] == f"ndu:{unit.id}")
        row = overdue.reply_markup["inline_keyboard"][index]
        flat = [b["callback_data"] for r in overdue.reply_markup["inline_keyboard"] for b in r]
        (items,) = await chat.press(overdue, flat.index(f"ndu:{unit.id}"))
        assert items.text.startswith("晋城市发展和改革委员会 逾期 1 件，请选择要催办的事项：") and row
        assert "第101号" in items.text
        (done,) = await chat.press(items, "催办 第101号")
        assert done.text.startswith("未能催办第101号") or done.text.startswith("已催办第101号"), done.text
        (from_dept,) = await chat.press(dept, "催办 第102号")
        assert "第102号" in from_dept.text
    finally:
        await stop_bot(app)


async def test_acknowledging_a_nudge_of_an_item_deleted_since(office_chat):
    from tests.test_buttons import answered

    chat = office_chat
    marker = chat.emulator.mark(HANDLER)
    await chat.send("/nudge 101")
    (ping,) = await chat.emulator.await_sent(HANDLER, count=1, since=marker)
    (event,) = nudges(chat, "101")
    (ask,) = await chat.send("/delete 八届三次 101")
    await chat.press(ask, "确认删除")
    query = chat.emulator.push_callback(HANDLER, ping.message_id, f"ack:{event.id}")
    assert (await answered(chat.emulator, query))["text"] == "该提案已被删除，无需处理。"
    assert [e.id for e in chat.services.repo.events_for(event.proposal_id) if e.kind == EV_NUDGE] == [event.id]
