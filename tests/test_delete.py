"""/delete (with confirmation), /restore and /undo of deletes, merges and imports, through the
emulator: a deleted item leaves status, search, lists, /overdue, statistics, export and the
digest, and comes back whole; everything is an event or a stored change, so it holds after a
restart; undo refuses when someone else changed the record since."""

from __future__ import annotations

import io

import openpyxl
import pytest

from bot.lookup import lookup_number
from bot.model import EV_DELETE, EV_RESTORE, Change
from tests.conftest import ADMIN, STAFF, Chat, start_bot, stop_bot, write_config
from tests.office import OFFICE, load_office

# the conversations here reach the bot by webhook POSTs (conftest.receive_mode)
pytestmark = pytest.mark.webhook


OTHER_ADMIN = 1003
TITLE_101 = "关于加快推进城乡融合发展的建议"


@pytest.fixture
async def office_chat(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    load_office(services)
    services.repo.set_user(OTHER_ADMIN, "admin", ADMIN)
    chat = Chat(emulator, app, services, clock)
    chat.config = tmp_path / "config.toml"
    try:
        yield chat
    finally:
        await stop_bot(chat.app)


def live(chat, number="101"):
    return lookup_number(chat.services.repo, f"八届三次 {number}").matches


async def delete(chat, number="101", user=ADMIN):
    (ask,) = await chat.send(f"/delete {number}", user=user)
    assert ask.text.startswith(f"确定删除第{number.split()[-1]}号"), ask.text
    (done,) = await chat.press(ask, "确认删除", user=user)
    return done


PLACES = ("status", "search", "unit", "overdue", "asked", "stats", "export")


async def everywhere(chat) -> dict[str, bool]:
    """Where 第101号 shows: status, search, the unit's list, /overdue, statistics, export."""
    (status,) = await chat.send("/status 八届三次 101")
    (search,) = await chat.send("城乡融合发展")
    (unit,) = await chat.send("/dept 发改委")
    (overdue,) = await chat.send("/overdue")
    (asked,) = await chat.send("发改委逾期了几件")  # a list kept until an item changes
    stats, _chart = await chat.send("/stats 八届三次", expect=2)
    (sent,) = await chat.send("/export 八届三次")
    book = openpyxl.load_workbook(io.BytesIO(sent.document))
    numbers = [str(row[3]) for row in book.worksheets[0].iter_rows(min_row=2, values_only=True)]  # 案号
    chat.seen = (status, search, unit, overdue, stats, sent)
    return {
        "status": TITLE_101 in status.text,
        "search": TITLE_101 in search.text + str(search.reply_markup),
        "unit": " 101 " in unit.text,
        "overdue": "第101号" in overdue.text,
        "asked": "第101号" in asked.text,
        "stats": "交办 30 件" in stats.text,
        "export": "101" in numbers,
    }


async def test_delete_asks_first_hides_everywhere_and_restore_brings_it_back(office_chat):
    chat = office_chat
    assert await everywhere(chat) == dict.fromkeys(PLACES, True)
    (ask,) = await chat.send("/delete 八届三次 101")
    assert "确认删除" in str(ask.reply_markup) and "/restore 101" in ask.text
    (kept,) = await chat.press(ask, "取消")
    assert kept.text == "已取消，未删除。" and live(chat)
    done = await delete(chat, "八届三次 101")
    assert done.text.startswith("已删除第101号") and "/restore 101" in done.text
    assert not live(chat)
    assert await everywhere(chat) == dict.fromkeys(PLACES, False)
    (status,) = await chat.send("/status 八届三次 101")
    assert status.text.startswith("第101号（政协 晋城市八届三次会议）已于 2026-11-23 删除（操作人 1001）")
    assert "/restore 101" in status.text
    (question,) = await chat.send("101号办得怎么样了")
    assert "已于 2026-11-23 删除" in question.text
    (again,) = await chat.send("/delete 八届三次 101")
    assert "删除" in again.text and "/restore 101" in again.text  # not found: says it is deleted
    (restored,) = await chat.send("/restore 101")
    assert restored.text.startswith("已恢复第101号"), restored.text
    assert await everywhere(chat) == dict.fromkeys(PLACES, True)
    (not_deleted,) = await chat.send("/restore 101")
    assert not_deleted.text == "第101号没有被删除，无需恢复。"
    kinds = [e.kind for e in chat.services.repo.events_for(live(chat)[0].id)]
    assert kinds[-2:] == [EV_DELETE, EV_RESTORE]  # the history keeps both
    (timeline,) = await chat.press((await chat.send("/status 八届三次 101"))[0], "全部记录")
    assert "删除" in timeline.text and "恢复" in timeline.text
    actions = [e["action"] for e in chat.services.repo.audit_entries()]
    assert "delete" in actions and "restore" in actions


async def test_only_admins_and_bad_input(office_chat):
    chat = office_chat
    (refused,) = await chat.send("/delete 101", user=STAFF)
    assert "仅限管理员" in refused.text
    (refused,) = await chat.send("/restore 101", user=STAFF)
    assert "仅限管理员" in refused.text
    (usage,) = await chat.send("/delete")
    assert usage.text.startswith("用法：/delete")
    (unknown,) = await chat.send("/delete 999")
    assert unknown.text.startswith("未找到第999号")
    (unknown,) = await chat.send("/restore 999")
    assert unknown.text.startswith("未找到第999号")
    (nothing,) = await chat.send("/undo")
    assert nothing.text == "没有可以撤销的修改。"


async def test_undo_a_delete_and_refusal_after_someone_else_restored(office_chat):
    chat = office_chat
    await delete(chat, "八届三次 101")
    (undone,) = await chat.send("/undo")
    assert undone.text.startswith("已撤销删除：第101号已恢复"), undone.text
    assert live(chat)
    (nothing,) = await chat.send("/undo")
    assert nothing.text == "没有可以撤销的修改。"
    await delete(chat, "八届三次 102")
    await chat.send("/restore 102", user=OTHER_ADMIN)
    (refused,) = await chat.send("/undo")
    assert "已被他人更改" in refused.text and "无法撤销" in refused.text
    assert live(chat, "102")


async def test_a_list_imported_again_leaves_a_deleted_item_deleted(office_chat):
    chat = office_chat
    await delete(chat, "八届三次 101")
    answers = await chat.import_list("八届三次清单.csv", (OFFICE / "zx-8-3.csv").read_bytes())
    assert "第101号已删除，未导入" in answers[-1].text, answers[-1].text
    assert not live(chat)


async def test_delete_and_undo_survive_a_restart(office_chat, emulator, clock):
    chat = office_chat
    await delete(chat, "八届三次 101")
    await stop_bot(chat.app)
    chat.app, chat.services = await start_bot(emulator, chat.config, clock, samples=False)
    (status,) = await chat.send("/status 八届三次 101")
    assert "已于 2026-11-23 删除" in status.text
    (undone,) = await chat.send("/undo")
    assert undone.text.startswith("已撤销删除：第101号已恢复"), undone.text
    assert TITLE_101 in (await chat.send("/status 八届三次 101"))[0].text


LIST = ("（示例数据）晋城市政协八届三次会议提案交办清单\n提案号,案由,提案人,主办单位,交办日期,办理期限,承办人,联系电话\n"
        "101,关于加快推进城乡融合高质量发展的建议,民建晋城市委会,晋城市发展和改革委员会,2026-07-10,2026-12-31,王立新,0356-2021101\n"
        "150,关于新建城市书房的建议,周新委员,晋城市文化和旅游局,2026-09-01,,孙文,13903560150\n"
        "151,关于规范共享单车停放的建议,吴敏委员,晋城市交通运输局,2026-09-01,,,\n")


async def test_undo_an_import_takes_back_exactly_what_it_did(office_chat, emulator, clock):
    chat = office_chat
    svc = chat.services
    before_101 = live(chat)[0]
    due_before = svc.due_date(before_101)
    contacts_before = {c.id for c in svc.repo.contacts()}
    await chat.import_list("补充清单.csv", LIST.encode("utf-8"))
    assert live(chat, "150") and live(chat, "151")
    assert live(chat)[0].title == "关于加快推进城乡融合高质量发展的建议"
    assert svc.due_date(live(chat)[0]).isoformat() == "2026-12-31"
    (change,) = svc.repo.all(Change)
    # a restart in between: the undo works from what is stored
    await stop_bot(chat.app)
    chat.app, chat.services = await start_bot(emulator, chat.config, clock, samples=False)
    svc = chat.services
    (undone,) = await chat.send("/undo")
    assert undone.text.startswith("已撤销“导入 补充清单.csv”"), undone.text
    assert "新增的 2 件已删除" in undone.text
    assert not live(chat, "150") and not live(chat, "151")
    p = live(chat)[0]
    assert p.title == before_101.title and svc.due_date(p) == due_before and p.state == before_101.state
    assert {c.id for c in svc.repo.contacts()} == contacts_before  # 孙文 was the import's
    (timeline,) = await chat.press((await chat.send("/status 八届三次 101"))[0], "全部记录")
    assert "（已撤销）" in timeline.text and "撤销导入" in timeline.text
    (status,) = await chat.send("/status 150")
    assert "撤销导入时删除" in status.text
    (nothing,) = await chat.send("/undo")
    assert nothing.text == "没有可以撤销的修改。"
    # the same list again is a new import: its items come back
    await chat.import_list("补充清单.csv", LIST.encode("utf-8"))
    assert live(chat, "150") and live(chat)[0].title == "关于加快推进城乡融合高质量发展的建议"
    assert change.id in {c.undo_of for c in svc.repo.all(Change)}


async def test_undo_of_an_import_refuses_after_someone_else_changed_its_items(office_chat):
    chat = office_chat
    await chat.import_list("补充清单.csv", LIST.encode("utf-8"))
    (done,) = await chat.send("/reply 150 A 2026-11-20", user=OTHER_ADMIN)
    assert "150" in done.text
    (refused,) = await chat.send("/undo")
    assert refused.text.startswith("无法撤销“导入 补充清单.csv”：之后又有更改的记录：第150号"), refused.text
    assert live(chat, "150") and live(chat, "151")


async def test_undo_a_merge_splits_the_units_back_with_their_items(tmp_path, emulator, clock):
    app, svc = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    chat = Chat(emulator, app, svc, clock)
    try:
        lst = ("（示例数据）晋城市政协八届五次会议提案交办清单\n提案号,案由,提案人,主办单位,交办日期\n"
               "1,关于甲的建议,张三,晋城市教育局,2026-09-15\n"
               "2,关于乙的建议,李四,市教体局,2026-09-15\n")
        await chat.import_list("清单.csv", lst.encode("utf-8"))
        await chat.upload("联系人.csv", "单位,姓名,职务,手机\n市教体局,王丽娟,联络员,13903560001\n".encode("utf-8"))
        await chat.send("/supervisor 市教体局 -100777")
        (done,) = await chat.send("/merge 市教体局 晋城市教育局")
        assert "转移事项 1 件" in done.text
        assert svc.repo.department("市教体局") is None
    finally:
        await stop_bot(app)
    app, svc = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    chat = Chat(emulator, app, svc, clock)
    try:
        (undone,) = await chat.send("/undo")
        assert undone.text.startswith("已撤销“合并单位“市教体局”到“晋城市教育局””"), undone.text
        source, target = svc.repo.department("市教体局"), svc.repo.department("晋城市教育局")
        assert source is not None and source.pending and source.supervisor_chat_id == -100777
        assert "市教体局" not in target.aliases and target.supervisor_chat_id is None
        (item,) = lookup_number(svc.repo, "八届五次 2").matches
        assert item.lead_unit_id == source.id and item.lead_unit == "市教体局"
        (person,) = svc.repo.contacts_of_unit(source.id)
        assert person.name == "王丽娟"
        (dept,) = await chat.send("/dept 市教体局")
        assert dept.text.startswith("市教体局 · 在办 1 件") and "主办 2 关于乙的建议" in dept.text, dept.text
        # the contact list upload before the merge is the next change to undo
        (next_undo,) = await chat.send("/undo")
        assert next_undo.text.startswith("已撤销“导入 联系人.csv”"), next_undo.text
        assert svc.repo.contacts_of_unit(source.id) == []
    finally:
        await stop_bot(app)


LETTER = """晋城市发展和改革委员会

A类

晋发改函〔2026〕77号

关于市政协八届三次会议第102号提案的答复

张明委员：

您提出的《关于持续优化营商环境的建议》收悉。经认真研究，现答复如下：相关工作已列入计划。

负责人：赵建国
承办人：王立新
联系电话：0356-2021101

晋城市发展和改革委员会
2026年11月20日
"""


async def test_undo_a_letter_then_upload_it_again_and_a_letter_for_a_deleted_item(office_chat):
    chat = office_chat
    assert live(chat, "102")[0].is_open
    (answer,) = await chat.upload("第102号答复.txt", LETTER.encode("utf-8"))
    assert "第102号 → 已答复" in answer.text, answer.text
    assert not live(chat, "102")[0].is_open
    (undone,) = await chat.send("/undo")
    assert undone.text.startswith("已撤销“导入 第102号答复.txt”"), undone.text
    p = live(chat, "102")[0]
    assert p.is_open and chat.services.repo.replies_for(p.id) == []
    (again,) = await chat.upload("答复（重发）.txt", LETTER.encode("utf-8"))
    assert "第102号 → 已答复" in again.text, again.text  # the undone letter is not "already recorded"
    await delete(chat, "八届三次 102")
    (third,) = await chat.upload("答复（三）.txt", LETTER.replace("77号", "78号").encode("utf-8"))
    assert "第102号已删除，这封信未登记" in third.text, third.text
    assert not live(chat, "102")
