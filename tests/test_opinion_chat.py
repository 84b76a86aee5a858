"""A co-unit's liaison registers their unit's opinion (协办意见) with /opinion, end to end on
the example office (tests/fixtures/make_office.py): No. 12 is led by 市交通局 (liaison 陈海涛)
with co-units 市医保局 and 市教育局 (liaison 王丽娟); No. 33 has 市教育局 as a co-unit too."""

import re
from datetime import datetime

from bot.app import command_menu
from handlers.reminders import sweep_now
from tests.conftest import ADMIN, TZ
from tests.test_office_day import office  # noqa: F401  (the fixture: list and contacts imported)

CO_LIAISON, LEAD_LIAISON, OTHER_LIAISON = 5001, 5012, 5003


async def link(chat, name, user):
    (answer,) = await chat.send(f"/link {name}")
    token = re.search(r"\?start=([A-Za-z0-9_-]+)", answer.text).group(1)
    (linked,) = await chat.send(f"/start {token}", user=user)
    assert linked.text.startswith("绑定成功"), linked.text


async def test_a_co_units_liaison_registers_its_opinion_and_its_pings_stop(office):
    repo = office.services.repo
    for name, user in (("王丽娟", CO_LIAISON), ("陈海涛", LEAD_LIAISON), ("郭晓峰", OTHER_LIAISON)):
        await link(office, name, user)
    item = repo.find_by_number("12")[0]
    state, handlers = item.state, office.services.units.handlers_of(item)
    assert [c.name for c in handlers] == ["陈海涛"]

    # the lead unit's liaison and an unrelated unit's liaison may not
    for user in (LEAD_LIAISON, OTHER_LIAISON):
        (refused,) = await office.send("/opinion 12", user=user)
        assert refused.text == "抱歉，只有管理员或第12号协办单位的联络员可以登记协办意见。"
    # the co-unit's liaison speaks for their own unit only
    (refused,) = await office.send("/opinion 12 市医保局", user=CO_LIAISON)
    assert "您只能登记本单位（晋城市教育局）的协办意见" in refused.text, refused.text
    (bad,) = await office.send("/opinion 12 2026-13-01", user=CO_LIAISON)
    assert "不存在" in bad.text
    assert not [e for e in repo.events_for(item.id) if e.kind == "co_unit_opinion"]

    (done,) = await office.send("/opinion 12 2026-11-10 晋教函〔2026〕8号", user=CO_LIAISON)
    assert done.text.startswith("已登记协办意见：第12号"), done.text
    assert "晋城市教育局 · 意见日期 2026-11-10 · 文号 晋教函〔2026〕8号" in done.text
    assert "尚待意见的协办单位：市医保局" in done.text
    item = repo.find_by_number("12")[0]
    assert item.state == state and item.is_open  # an opinion never replies for the lead unit
    assert item.co_units_done == ["晋城市教育局"]
    assert [c.name for c in office.services.units.handlers_of(item)] == ["陈海涛"]
    (event,) = [e for e in repo.events_for(item.id) if e.kind == "co_unit_opinion"]
    education = office.services.units.find("晋城市教育局")
    assert (event.unit_id, event.by, event.source, event.doc_number) == (education.id, CO_LIAISON, "chat",
                                                                         "晋教函〔2026〕8号")
    (again,) = await office.send("/opinion 12", user=CO_LIAISON)
    assert "已登记过晋城市教育局的协办意见（2026-11-10），未重复登记" in again.text

    # the card and the timeline show it
    (card,) = await office.send("/status 12")
    assert "协办：市医保局、晋城市教育局（已提交意见）" in card.text, card.text
    assert "11-10 协办意见 晋城市教育局" in card.text
    assert "承办人：陈海涛（联络员）" in card.text  # the computed default handler is marked
    (timeline,) = await office.press(card, 0)
    assert re.search(r"2026-11-10 协办意见 晋城市教育局 · 操作人 5001 · 聊天", timeline.text), timeline.text

    # the sweep: the liaison is still pinged about No. 33, never again about No. 12
    office.clock.now = datetime(2026, 12, 28, 9, 0, tzinfo=TZ)
    mark = len(office.emulator.sent(CO_LIAISON))
    await sweep_now(office.app)
    pings = "\n".join(m.text for m in office.emulator.sent(CO_LIAISON)[mark:])
    assert "第33号" in pings and "第12号" not in pings, pings

    # an admin names the unit when the item has several; then every co-unit is in
    (wrong,) = await office.send("/opinion 33 市民政局")  # a unit, but not a co-unit of No. 33
    assert wrong.text.startswith("“市民政局”不是第33号的协办单位（协办："), wrong.text
    (ask,) = await office.send("/opinion 12")
    assert "有多个协办单位" in ask.text  # 医保局 still open, 教育局 done: the admin must say which
    (done,) = await office.send("/opinion 12 市医保局 2026-11-12")
    assert "市医保局 · 意见日期 2026-11-12" in done.text and "协办单位的意见已全部登记" in done.text
    item = repo.find_by_number("12")[0]
    assert sorted(item.co_units_done) == ["市医保局", "晋城市教育局"] and item.state == state
    audit = [e for e in repo.audit_entries() if e["action"] == "co_unit_opinion"]
    assert [(e["user_id"], e["unit"]) for e in audit] == [(CO_LIAISON, "晋城市教育局"), (ADMIN, "市医保局")]


async def test_opinion_usage_and_menu(office):
    assert ("opinion", "登记协办意见（协办单位联络员）：/opinion 案号 [单位] [日期] [文号]", False) in command_menu()
    (usage,) = await office.send("/opinion")
    assert usage.text.startswith("用法：/opinion 案号")
    (missing,) = await office.send("/opinion 9999")
    assert missing.text.startswith("未找到第9999号")
    (none,) = await office.send("/opinion 1")  # No. 1 has no co-unit
    assert none.text == "第1号没有协办单位，无需登记协办意见。"


def test_the_card_marks_a_liaison_but_not_the_items_own_handler():
    from datetime import date

    from bot.model import Contact, Proposal
    from bot.render import status_card

    contact = Contact(name="陈海涛", unit="市交通局", id=7)
    liaison_only = Proposal(body="政协", region="晋城市", term=8, meeting=5, number="12", title="关于…的建议", lead_unit="市交通局")
    own = Proposal(body="政协", region="晋城市", term=8, meeting=5, number="12", title="关于…的建议", lead_unit="市交通局", handlers=[7])
    today = date(2026, 11, 23)
    assert "承办人：陈海涛（联络员）" in status_card(liaison_only, [], [contact], None, today)
    card = status_card(own, [], [contact], None, today)
    assert "承办人：陈海涛" in card and "（联络员）" not in card



async def test_a_number_two_sessions_share_asks_which_and_the_button_registers(chat):
    """The button names the proposal; the date and 文号 are read back from the /opinion message
    it answers."""
    lst = ("晋城市政协提案交办清单\n届次,提案号,案由,提案人,主办单位,协办单位,交办日期\n"
           "政协八届四次会议,77,关于甲的建议,张三,晋城市交通运输局,晋城市财政局,2025-03-01\n"
           "政协八届五次会议,77,关于乙的建议,李四,晋城市交通运输局,晋城市财政局,2026-03-01\n")
    (imported,) = await chat.import_list("清单.csv", lst.encode("utf-8"))
    assert "新增提案 2 件" in imported.text, imported.text
    (choice,) = await chat.send("/opinion 77 2026-11-10 晋财函〔2026〕9号")
    assert choice.text == "找到 2 件第77号，要登记协办意见的是：", choice.text
    newest = [label for row in choice.buttons for label, _ in row].index("政协 晋城市八届五次会议 第77号")
    (answer,) = await chat.press(choice, newest)
    assert answer.edited and "关于乙的建议" in answer.text, answer.text
    assert "晋城市财政局 · 意见日期 2026-11-10 · 文号 晋财函〔2026〕9号" in answer.text
    done = {p.title: p.co_units_done for p in chat.services.repo.find_by_number("77")}
    assert done == {"关于甲的建议": [], "关于乙的建议": ["晋城市财政局"]}


async def test_a_co_units_liaison_uploads_their_units_opinion_letter(office):
    from pathlib import Path

    letters = Path(__file__).resolve().parent / "fixtures" / "office_letters"
    opinion = (letters / "教育局-第12号协办意见.txt").read_bytes()
    reply_letter = (letters / "交通局-第12号答复-B类.txt").read_bytes()
    for name, user in (("王丽娟", CO_LIAISON), ("陈海涛", LEAD_LIAISON)):
        await link(office, name, user)
    repo = office.services.repo
    # the lead unit's liaison may not upload the co-unit's opinion, nor a stranger to the item
    (refused,) = await office.upload("意见.txt", opinion, user=LEAD_LIAISON)
    assert refused.text == "抱歉，只有管理员或第12号协办单位的联络员可以上传第12号的协办意见。", refused.text
    # the co-unit's liaison may not upload the lead unit's reply
    (refused,) = await office.upload("答复.txt", reply_letter, user=CO_LIAISON)
    assert "不是本单位（晋城市教育局）的协办意见，未导入" in refused.text, refused.text
    (refused,) = await office.upload("名单.csv", "单位,姓名\n市教育局,张三\n".encode("utf-8"), user=CO_LIAISON)
    assert refused.text == "抱歉，交办清单和联系人名单只能由管理员导入。"
    item = repo.find_by_number("12")[0]
    assert item.co_units_done == [] and not repo.replies_for(item.id)
    # their own unit's opinion: imported, the same event an admin's upload records
    (done,) = await office.upload("意见.txt", opinion, user=CO_LIAISON)
    assert "已登记晋城市教育局的协办意见（2026-11-10）" in done.text, done.text
    item = repo.find_by_number("12")[0]
    assert item.co_units_done == ["晋城市教育局"] and item.is_open and not repo.replies_for(item.id)
    (event,) = [e for e in repo.events_for(item.id) if e.kind == "co_unit_opinion"]
    assert event.source == "意见.txt" and event.unit == "晋城市教育局" and event.by == CO_LIAISON
    # the history names who uploaded it, as it does for /opinion
    (card,) = await office.send("/status 12")
    (timeline,) = await office.press(card, 0)
    assert "2026-11-10 协办意见 晋城市教育局 · 操作人 5001 · 意见.txt" in timeline.text, timeline.text
    # staff (no linked contact) may not upload at all
    (refused,) = await office.upload("意见.txt", opinion, user=1002)
    assert refused.text == "抱歉，此操作仅限管理员。"
