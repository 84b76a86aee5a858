"""An assignment list sent in chat is summed up first, with 作为历史导入 / 导入并提醒; nothing is
written until an admin presses one, and each upload imports once."""

import asyncio
from datetime import datetime, timedelta

from handlers.reminders import sweep_now
from tests.conftest import ADMIN, STAFF, TZ, Chat, start_bot, stop_bot, write_config

LIST = ("（示例数据）晋城市政协八届五次会议提案交办清单\n"
        "提案号,案由,提案人,主办单位,交办日期\n"
        "1,关于加快数字经济发展的建议,张三,市发改委,2026-06-01\n"  # due 2026-09-01: overdue
        "2,关于农村饮水安全的建议,李四,市水务局,2026-09-15\n"
        "合计,,,,\n").encode("utf-8")
CONTACTS = "单位,姓名,职务,手机\n市发改委,郭晓峰,联络员,13903560002\n".encode("utf-8")
LIAISON = 5006


async def answered(emulator, query_id, timeout=10.0):
    """The bot's answerCallbackQuery for ``query_id`` (the alert text a user sees)."""
    for _ in range(int(timeout / 0.05)):
        found = [a for a in emulator.answered_callbacks if a["callback_query_id"] == query_id]
        if found:
            return found[0]
        await asyncio.sleep(0.05)
    raise AssertionError(f"callback {query_id} not answered")


def stored(repo):
    return (repo.proposals(), repo.departments(), repo.contacts(), repo.audit_entries())


async def test_nothing_is_written_before_a_button_is_pressed(chat):
    repo = chat.services.repo
    before = stored(repo)
    (summary,) = await chat.upload("交办清单.csv", LIST)
    text = summary.text
    assert "交办清单共 2 件（新增 2 件，已有 0 件），其中 1 件已逾期；跳过 1 行" in text, text
    assert "八届五次会议（政协）" in text and "主办单位 2 个：市发改委、市水务局" in text, text
    assert "尚未写入任何内容" in text
    await asyncio.sleep(0.3)
    assert stored(repo) == before  # no proposal, unit, contact or audit line
    (report,) = await chat.press(summary, "导入并提醒")
    assert report.text.startswith("已导入交办清单.csv：新增提案 2 件"), report.text
    assert report.edited and not report.reply_markup  # the summary became the report
    (entry,) = [e for e in repo.audit_entries() if e["action"] == "import"]
    assert entry["file"] == "交办清单.csv" and entry["history"] is False


async def test_a_second_press_imports_nothing_twice(chat):
    repo = chat.services.repo
    (summary,) = await chat.upload("交办清单.csv", LIST)
    data = summary.reply_markup["inline_keyboard"][0][1]["callback_data"]
    assert data.startswith("imp:r:") and len(data.encode()) <= 64
    await chat.press(summary, "导入并提醒")
    count = len(repo.proposals())
    query = chat.emulator.push_callback(ADMIN, summary.message_id, data)  # a stale double press
    assert "不会重复导入" in (await answered(chat.emulator, query))["text"]
    assert len(repo.proposals()) == count
    assert len([e for e in repo.audit_entries() if e["action"] == "import"]) == 1


async def test_an_expired_or_unknown_upload_must_be_sent_again(chat):
    repo = chat.services.repo
    before = stored(repo)
    (summary,) = await chat.upload("交办清单.csv", LIST)
    chat.clock.now += timedelta(minutes=31)
    (answer,) = await chat.press(summary, "作为历史导入")
    assert "已过期" in answer.text and "请重新发送文件" in answer.text, answer.text
    assert stored(repo) == before
    # a button from before a restart: the id is unknown
    (summary,) = await chat.upload("交办清单.csv", LIST)
    del chat.services.pending_imports  # a restart forgets the summed-up lists
    (answer,) = await chat.press(summary, "导入并提醒")
    assert "请重新发送文件" in answer.text
    assert stored(repo) == before


async def test_only_admins_may_choose(chat):
    repo = chat.services.repo
    before = stored(repo)
    (summary,) = await chat.upload("交办清单.csv", LIST)
    query = chat.emulator.press_button(STAFF, summary.message_id, "导入并提醒", chat_id=ADMIN)
    assert "仅限管理员" in (await answered(chat.emulator, query))["text"]
    await asyncio.sleep(0.3)
    assert stored(repo)[:3] == before[:3]
    (report,) = await chat.press(summary, "导入并提醒")  # still waiting for an admin
    assert "新增提案 2 件" in report.text


async def _import_and_sweep(tmp_path, emulator, clock, button):
    """A fresh office: the list imported with ``button``, the contacts, the liaison linked, one
    sweep the day before item 2 falls due; what the admin and the liaison received."""
    app, svc = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    chat = Chat(emulator, app, svc, clock)
    try:
        (report,) = await chat.import_list("交办清单.csv", LIST, button=button)
        await chat.upload("联系人.csv", CONTACTS)
        liaison = next(c for c in svc.repo.contacts() if c.name == "郭晓峰")
        liaison.telegram_user_id = LIAISON
        svc.repo.put(liaison)
        emulator.add_user(LIAISON)
        clock.now = datetime(2026, 12, 14, 10, 0, tzinfo=TZ)
        admin, pinged = emulator.mark(ADMIN), emulator.mark(LIAISON)
        await sweep_now(app)
        await asyncio.sleep(0.5)
        return report, emulator.events(ADMIN)[admin:], emulator.events(LIAISON)[pinged:]
    finally:
        await stop_bot(app)


async def test_history_press_sends_nothing_about_the_items(tmp_path, emulator, clock):
    report, to_admin, to_liaison = await _import_and_sweep(tmp_path, emulator, clock, "作为历史导入")
    assert "已作为历史记录导入" in report.text, report.text
    assert to_liaison == []
    assert not any("🚨" in m.text for m in to_admin), [m.text for m in to_admin]
    (summary,) = [m for m in to_admin if "新导入" in m.text]
    # what came in, without an alarm about the overdue items a past session has
    assert summary.text == "📋 新导入 2 件（作为历史记录，不发送提醒）。其中 2 件未办结，可用 /overdue、/dept 查看。"


async def test_remind_press_imports_as_usual(tmp_path, emulator, clock):
    report, to_admin, to_liaison = await _import_and_sweep(tmp_path, emulator, clock, "导入并提醒")
    assert "已作为历史记录导入" not in report.text
    assert to_liaison and "第1号" in to_liaison[0].text, [m.text for m in to_liaison]
    (summary,) = [m for m in to_admin if "新导入" in m.text]
    assert "新导入 2 件，其中 1 件已逾期" in summary.text and "作为历史记录" not in summary.text, summary.text
