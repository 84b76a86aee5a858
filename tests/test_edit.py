"""/edit, /cancel and /undo through the emulator: each change an event with before and after,
undo by a reversing event, refusals for bad input, an expired edit and someone else's change."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.lookup import lookup_number
from bot.model import EV_EDIT
from tests.conftest import ADMIN, STAFF, Chat, start_bot, stop_bot, write_config
from tests.office import load_office

OTHER_ADMIN = 1003


@pytest.fixture
async def office_chat(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path, "[access]\n") if False else write_config(tmp_path),
                                    clock, samples=False)
    load_office(services)
    services.repo.set_user(OTHER_ADMIN, "admin", ADMIN)
    try:
        yield Chat(emulator, app, services, clock)
    finally:
        await stop_bot(app)


def item(chat, number="101"):
    (p,) = lookup_number(chat.services.repo, number).matches
    return p


def edits(chat, number="101"):
    return [e for e in chat.services.repo.events_for(item(chat, number).id) if e.kind == EV_EDIT]


async def choose(chat, number: str, label: str, user: int = ADMIN):
    (fields,) = await chat.send(f"/edit {number}", user=user)
    assert fields.text.startswith(f"修改第{number}号")
    (prompt,) = await chat.press(fields, label, user=user)
    return prompt


async def test_edit_then_undo_the_title(office_chat):
    chat = office_chat
    prompt = await choose(chat, "101", "案由")
    assert prompt.text.startswith("请发送第101号的新的案由（标题）")
    (done,) = await chat.send("关于加快推进城乡融合高质量发展的建议")
    assert done.text.startswith("已修改第101号的案由：关于加快推进城乡融合发展的建议 → 关于加快推进城乡融合高质量发展的建议")
    assert item(chat).title == "关于加快推进城乡融合高质量发展的建议"
    (event,) = edits(chat)
    assert event.by == ADMIN and event.changes["before"] == {"title": "关于加快推进城乡融合发展的建议"}
    (undone,) = await chat.send("/undo")
    assert undone.text.startswith("已撤销：第101号的案由恢复为 关于加快推进城乡融合发展的建议")
    assert item(chat).title == "关于加快推进城乡融合发展的建议"
    assert len(edits(chat)) == 2 and edits(chat)[1].changes["undo_of"] == event.id  # the timeline keeps both
    (nothing,) = await chat.send("/undo")
    assert nothing.text == "没有可以撤销的修改。"


async def test_edit_a_due_date_moves_the_deadline_and_undo_restores_it(office_chat):
    chat = office_chat
    before = chat.services.due_date(item(chat))
    await choose(chat, "101", "办理期限")
    (bad,) = await chat.send("2026-02-30")
    assert bad.text.startswith("日期“2026-02-30”无法识别或不存在")
    (early,) = await chat.send("2026-01-01")
    assert "不能早于交办日期" in early.text
    (done,) = await chat.send("2026-12-31")
    # no due date of its own: the old value shown is the one the rules give, not （无）
    assert done.text.startswith(f"已修改第101号的办理期限：（未单独设定，按规则为 {before.isoformat()}） → 2026-12-31")
    assert chat.services.due_date(item(chat)).isoformat() == "2026-12-31"
    await chat.send("/undo")
    assert chat.services.due_date(item(chat)) == before


async def test_cancel_expiry_and_plain_messages_after(office_chat):
    chat = office_chat
    await choose(chat, "102", "提案人")
    (cancelled,) = await chat.send("/cancel")
    assert cancelled.text == "已取消修改，未做更改。"
    (search,) = await chat.send("王立新")  # a plain message is a search again
    assert "王立新" in search.text
    await choose(chat, "102", "提案人")
    chat.clock.now += timedelta(minutes=11)
    (late,) = await chat.send("张明等2位委员")
    assert late.text.startswith("修改已超时")
    assert item(chat, "102").proposer == "张明委员"


async def test_undo_refuses_after_someone_elses_change(office_chat):
    chat = office_chat
    await choose(chat, "103", "提案人")
    await chat.send("李红等2位委员")
    await choose(chat, "103", "复杂件", user=OTHER_ADMIN)
    (done,) = await chat.send("是", user=OTHER_ADMIN)
    assert done.text.startswith("已修改第103号的复杂件：否 → 是")
    (refused,) = await chat.send("/undo")
    assert "已被他人更改" in refused.text and "无法撤销" in refused.text
    assert item(chat, "103").proposer == "李红等2位委员"


async def test_edit_is_for_admins_and_bad_numbers(office_chat):
    chat = office_chat
    (refused,) = await chat.send("/edit 101", user=STAFF)
    assert "仅限管理员" in refused.text
    (missing,) = await chat.send("/edit 999")
    assert missing.text.startswith("未找到第999号")
    (usage,) = await chat.send("/edit")
    assert usage.text.startswith("用法：/edit")
    prompt = await choose(chat, "101", "主办单位")
    (unknown,) = await chat.send("火星局")
    assert unknown.text.startswith("没有找到单位“火星局”")
    (moved,) = await chat.send("财政局")
    assert moved.text.endswith("→ 晋城市财政局\n已记入办理记录；发送 /undo 可撤销。") or "晋城市财政局" in moved.text
    assert item(chat).lead_unit == "晋城市财政局"
    assert prompt.text
