"""Buttons name what they act on (``handlers.common.button`` / ``on_button``): a button sent
before a restart acts on the right record after it, and data that does not parse gets a
Chinese answer, never a traceback."""

from __future__ import annotations

import asyncio

import pytest

from bot.lookup import lookup_number
from bot.model import EV_NUDGE, Contact, Department, Proposal
from handlers.common import GARBLED_BUTTON, button, chat_id, one_of, parse_button, record_id
from tests.conftest import ADMIN, STRANGER, Chat, start_bot, stop_bot, write_config
from tests.office import link_contact, load_office

# the conversations here reach the bot by webhook POSTs (conftest.receive_mode)
pytestmark = pytest.mark.webhook


EDU = "晋城市教育局"


# -- the data --------------------------------------------------------------------------------------

def test_callback_data_is_the_action_and_its_fields():
    assert button("st", 123) == "st:123"
    assert button("rp", "s", 7, "A", "20261203", "晋发改函〔2026〕12号") == "rp:s:7:A:20261203:晋发改函〔2026〕12号"
    with pytest.raises(ValueError):
        button("rp", "s", 7, "A", "20261203", "文" * 20)  # 60 bytes of text: over Telegram's 64


@pytest.mark.parametrize("data, expected", [
    ("pg:x:125", ["x", 125]),
    ("sv:-1001234:45", [-1001234, 45]),
    ("ed:9", [9, None]),
    ("ed:9:title", [9, "title"]),
    ("rp:s:7:A:doc:with:colons", ["s", 7, "A", "doc:with:colons"]),
])
def test_fields_are_checked_and_converted(data, expected):
    fields = {"pg": (one_of("r", "f", "x"), record_id), "sv": (chat_id, record_id),
              "ed": (record_id, one_of("title", "unit")), "rp": (one_of("s", "c"), record_id, str, str)}
    action = data.split(":")[0]
    assert parse_button(data, action, fields[action], optional=1 if action == "ed" else 0) == expected


@pytest.mark.parametrize("data", ["pg:x", "pg:y:125", "pg:x:12a", "pg:x:-5", "pg:x:", "pg", "pgx:x:1",
                                  "st:x:1:2", "pg:x:" + "9" * 30, "", "pg:x:１２５"])
def test_garbled_data_does_not_parse(data):
    assert parse_button(data, "pg", (one_of("r", "f", "x"), record_id)) is None


# -- in chat ------------------------------------------------------------------------------------------

def shared_number(repo) -> None:
    """Three items numbered 125 (the samples hold one) and 23 open items of one unit (3 pages)."""
    with repo.batch():
        repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=4, number="0125", title="关于第四次会议的提案",
                          lead_unit=EDU, assigned_date="2026-10-01", state="handling"))
        repo.put(Proposal(body="人大", region="晋城市", term=17, meeting=2, number="125", title="关于人大建议的建议",
                          lead_unit=EDU, assigned_date="2026-10-01", state="handling"))
        for n in range(23):
            repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number=str(300 + n),
                              title=f"关于第{n}项工作的建议", lead_unit=EDU, state="handling",
                              assigned_date="2026-10-01", due_date=f"2027-01-{n + 1:02d}"))
        repo.put(Department(name="高平市教育局"))


def labels(message) -> list[str]:
    return [label for row in message.buttons for label, _ in row]


async def answered(emulator, query_id: str) -> dict:
    for _ in range(400):
        found = [a for a in emulator.answered_callbacks if a["callback_query_id"] == query_id]
        if found:
            return found[0]
        await asyncio.sleep(0.025)
    raise AssertionError(f"callback {query_id} not answered")


async def test_buttons_sent_before_a_restart_act_on_their_records_after_it(tmp_path, emulator, clock):
    config = write_config(tmp_path)
    app, services = await start_bot(emulator, config, clock)
    try:
        chat = Chat(emulator, app, services, clock)
        shared_number(services.repo)
        (card_choice,) = await chat.send("/status 125")
        (extend_choice,) = await chat.send("/extend 125 15 需协调省级部门 和市财政局")
        (find_choice,) = await chat.send("/find 125")
        (page1,) = await chat.send(f"/dept {EDU}")
        (unit_choice,) = await chat.send("/supervisor 教育局 -100777")
        # a re-link request: the contact is linked to one account, another redeems a new link
        contact = next(c for c in services.repo.contacts() if c.name == "唐志文")
        contact.telegram_user_id = STRANGER
        services.repo.put(contact)
        (issued,) = await chat.send("/link 唐志文")
        token = issued.text.split("start=")[1].split()[0]
        newcomer, marker = 4343, emulator.mark(ADMIN)
        await chat.send(f"/start {token}", user=newcomer)
        (request,) = await emulator.await_sent(ADMIN, since=marker)
        ids = {p.meeting: p.id for p in services.repo.find_by_number("125")}
    finally:
        await stop_bot(app)

    app, services = await start_bot(emulator, config, clock, samples=False)  # the same database file
    try:
        chat = Chat(emulator, app, services, clock)
        assert labels(card_choice)[1] == "政协 晋城市八届四次会议 第0125号"
        (card,) = await chat.press(card_choice, 1)
        assert "关于第四次会议的提案" in card.text

        assert labels(extend_choice)[0] == "人大 晋城市十七届二次会议 第125号"
        (extended,) = await chat.press(extend_choice, 0)
        assert extended.text.startswith("已延期 15 天：第125号 关于人大建议的建议"), extended.text
        assert "原因：需协调省级部门 和市财政局" in extended.text  # read back from the command it answers
        events = [e for e in services.repo.events_for(ids[2]) if e.kind == "extension"]
        assert [(e.days, e.reason) for e in events] == [(15, "需协调省级部门 和市财政局")]
        assert not any(e.kind == "extension" for e in services.repo.events_for(ids[4]))

        index = next(i for i, label in enumerate(labels(find_choice)) if "关于人大建议的建议" in label)
        (found,) = await chat.press(find_choice, index)
        assert "关于人大建议的建议" in found.text

        (page2,) = await chat.press(page1, 0)
        assert "第 2/3 页" in page2.text and "310 " in page2.text

        index = labels(unit_choice).index("高平市教育局")
        (chosen,) = await chat.press(unit_choice, index)
        assert "高平市教育局" in chosen.text and "会话 -100777" in chosen.text
        assert services.repo.department("高平市教育局").supervisor_chat_id == -100777

        marker = emulator.mark(newcomer)
        (confirmed,) = await chat.press(request, 0)
        assert "已确认" in confirmed.text
        assert services.repo.get(Contact, contact.id).telegram_user_id == newcomer
        await emulator.await_sent(newcomer, since=marker)
        refuse = request.buttons[0][1][1]  # another admin's copy of the request: answered already
        query = emulator.push_callback(ADMIN, request.message_id, refuse)
        assert "已处理" in (await answered(emulator, query))["text"]
        assert services.repo.get(Contact, contact.id).telegram_user_id == newcomer
    finally:
        await stop_bot(app)


async def test_a_nudge_note_survives_a_restart(tmp_path, emulator, clock):
    config = write_config(tmp_path)
    app, services = await start_bot(emulator, config, clock, samples=False)
    try:
        load_office(services)
        link_contact(services, emulator, "王立新", 5001)
        chat = Chat(emulator, app, services, clock)
        await chat.send("/nudge 102")
        (again,) = await chat.send("/nudge 102 请本周内报送答复")
        assert again.text.startswith("第102号今天已催办过")
    finally:
        await stop_bot(app)
    app, services = await start_bot(emulator, config, clock, samples=False)
    try:
        marker = emulator.mark(5001)
        (done,) = await Chat(emulator, app, services, clock).press(again, 0)
        assert done.text.startswith("已催办第102号")
        (ping,) = await emulator.await_sent(5001, since=marker)
        assert "留言：请本周内报送答复" in ping.text
        (p,) = lookup_number(services.repo, "102").matches
        assert [e.reason for e in services.repo.events_for(p.id) if e.kind == EV_NUDGE] == ["", "请本周内报送答复"]
    finally:
        await stop_bot(app)


@pytest.mark.parametrize("data", ["st:abc", "st:", "pg:x:1:2", "pg:q:1", "fd:p:=名字", "sv:h:x", "rl:1:2:maybe",
                                  "ed:1:nofield", "zz:1", "garbage", "dp:-1:3", "ex:p:nonsense"])
async def test_forged_or_garbled_data_gets_a_chinese_answer(chat, data):
    (card,) = await chat.send("/status 125")
    query = chat.emulator.push_callback(ADMIN, card.message_id, data)
    assert (await answered(chat.emulator, query))["text"] == GARBLED_BUTTON
    (after,) = await chat.send("/status 125")  # the bot answers on, and never apologised for an error
    assert not any("出错" in m.text for m in chat.emulator.sent(ADMIN))


async def test_a_button_for_a_record_gone_says_so(chat):
    (card,) = await chat.send("/status 125")
    query = chat.emulator.push_callback(ADMIN, card.message_id, button("tl", 987654))
    assert (await answered(chat.emulator, query))["text"] == "该提案已不存在，请重新查询。"


async def test_the_access_gate_still_checks_pressed_buttons(chat):
    (card,) = await chat.send("/status 125")
    pid = chat.services.repo.find_by_number("125")[0].id
    chat.emulator.add_user(STRANGER)
    query = chat.emulator.push_callback(STRANGER, card.message_id, button("st", pid), chat_id=ADMIN)
    assert "尚未获得使用权限" in (await answered(chat.emulator, query))["text"]
