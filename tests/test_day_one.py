"""A city office's day one, end to end through the emulator on the example office
(tests/fixtures/make_office.py and tests/fixtures/office_letters/): import the list and the
contacts, link a liaison, /due, a sweep with the clock moved (one summary to the admin, the
liaison's pings bundled), the lead unit's reply and a co-unit's opinion uploaded, /status with
its timeline, 不满意 feedback and the old letter uploaded again under another name.

With DAY_ONE_TRANSCRIPT=FILE the conversation is written to FILE (the closing note quotes it).
"""

import re
from datetime import datetime
from pathlib import Path

import pytest

from handlers.reminders import sweep_now
from tests.conftest import ADMIN, TZ, Chat, start_bot, stop_bot, write_config
from tests.fixtures.make_office import ITEMS, build
from tests.transcript import Transcript, seen, send, upload

LETTERS = Path(__file__).resolve().parent / "fixtures" / "office_letters"
REPLY = "交通局-第12号答复-B类.txt"
OPINION = "教育局-第12号协办意见.txt"
LIAISON_USER = 5012  # 陈海涛, 市交通局's liaison (lead unit of No. 12)
CO_LIAISON_USER = 5001  # 王丽娟, 市教育局's liaison (a co-unit of No. 12)


@pytest.fixture
async def day(tmp_path, emulator, clock):
    emulator.add_user(ADMIN)
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    chat = Chat(emulator, app, services, clock)
    chat.transcript = Transcript()
    chat.files = build(tmp_path / "office")
    try:
        yield chat
    finally:
        await stop_bot(app)
        chat.transcript.write("DAY_ONE_TRANSCRIPT")


async def test_day_one(day):
    repo = day.services.repo
    assert repo.proposals() == []  # a configured database starts empty: no sample records
    list_path, contacts_path = day.files
    name = list_path.name
    day.transcript.said("管理员", f"（发送文件 {name}，按“导入并提醒”）")
    (answer,) = day.transcript.heard("管理员", await day.import_list(name, list_path.read_bytes()))
    assert f"新增提案 {ITEMS} 件" in answer.text
    (answer,) = await upload(day, contacts_path)
    assert "联系人" in answer.text
    assert all(day.services.units.handlers_of(p) for p in repo.proposals())

    # link the lead unit's liaison and the co-unit's liaison
    for name, user in (("陈海涛", LIAISON_USER), ("王丽娟", CO_LIAISON_USER)):
        (link,) = await send(day, f"/link {name}")
        token = re.search(r"\?start=([A-Za-z0-9_-]+)", link.text).group(1)
        (linked,) = await send(day, f"/start {token}", user=user, who=name)
        assert linked.text.startswith("绑定成功"), linked.text
    (due,) = await send(day, "/due", user=LIAISON_USER, who="陈海涛")
    assert "您的在办事项" in due.text and "第12号" in due.text

    # the first sweep after the import, on a day every item is overdue: one summary for the
    # admin, no escalation one by one; each liaison gets their pings in one message
    day.clock.now = datetime(2026, 12, 28, 9, 0, tzinfo=TZ)
    admin_mark, liaison_mark = seen(day, ADMIN), seen(day, LIAISON_USER)
    co_mark = seen(day, CO_LIAISON_USER)
    day.transcript.said("系统", "（时钟拨到 2026-12-28 09:00，运行每日提醒）")
    await sweep_now(day.app)
    to_admin = day.emulator.sent(ADMIN)[admin_mark:]
    summaries = [m for m in to_admin if m.text.startswith("📋 新导入")]
    assert len(summaries) == 1, [m.text[:40] for m in to_admin]
    assert summaries[0].text.startswith(f"📋 新导入 {ITEMS} 件，其中 {ITEMS} 件已逾期（最长 13 天）")
    assert not [m for m in to_admin if m.text.startswith("🚨")]
    day.transcript.heard("管理员", summaries)
    to_liaison = day.emulator.sent(LIAISON_USER)[liaison_mark:]
    assert len(to_liaison) == 1 and "第12号" in to_liaison[0].text
    day.transcript.heard("陈海涛", to_liaison)
    to_co = day.emulator.sent(CO_LIAISON_USER)[co_mark:]
    assert to_co and any("协办意见" in m.text and "第12号" in m.text for m in to_co), to_co[0].text
    assert "送出后发送 /opinion 12 登记" in to_co[-1].text
    day.transcript.heard("王丽娟", to_co)
    # a second sweep the same day sends no second summary
    await sweep_now(day.app)
    assert len([m for m in day.emulator.sent(ADMIN) if m.text.startswith("📋 新导入")]) == 1

    # the lead unit's reply (class B) and a co-unit's opinion, sent by that unit's liaison
    (answer,) = await upload(day, LETTERS / REPLY)
    assert "第12号 → 已答复 B类（待跟进" in answer.text, answer.text
    (answer,) = await upload(day, LETTERS / OPINION, who="王丽娟", user=CO_LIAISON_USER)
    assert "协办意见" in answer.text and "状态 待跟进" in answer.text, answer.text
    # recorded as the co-unit's opinion: no reply checks, no "no proposer" or "maybe an opinion"
    assert "提案人" not in answer.text and "可能是协办" not in answer.text and "核对" not in answer.text, answer.text
    item = repo.find_by_number("12")[0]
    assert item.is_open and item.state == "follow_up"  # the opinion left it open
    education = day.services.units.resolve("晋城市教育局", "晋城市").unit
    assert education is not None and education.id in item.co_unit_ids
    assert item.co_units_done == [item.co_units[item.co_unit_ids.index(education.id)]]
    assert all(c.name != "王丽娟" for c in repo.contacts_by_id(item.handlers))  # never a handler
    # the co-unit's countdown stops once its opinion is in
    day.clock.now = datetime(2026, 12, 29, 9, 0, tzinfo=TZ)
    co_mark = seen(day, CO_LIAISON_USER)
    await sweep_now(day.app)
    assert not [m for m in day.emulator.sent(CO_LIAISON_USER)[co_mark:] if "第12号" in m.text]

    (card,) = await send(day, "/status 12")
    assert "状态：待跟进" in card.text
    assert re.search(r"最近：11-20 答复 B类 晋市交函〔2026〕36号 · 11-10 协办意见 \S*教育局 · 09-15 交办", card.text)
    (timeline,) = day.transcript.heard("管理员", await day.press(card, 0))
    assert "办理记录（共 3 条）" in timeline.text

    # 不满意, then the old letter again under another name: nothing changes
    (fed,) = await send(day, "/feedback 12 不满意 2026-12-29")
    assert "转为重新办理" in fed.text
    before = [(e.kind, e.business_date, e.late) for e in repo.events_for(item.id)]
    (again,) = await upload(day, LETTERS / REPLY, name="第12号答复（旧）.txt")
    assert "这封信已登记过" in again.text and "当前状态 重新办理" in again.text, again.text
    assert [(e.kind, e.business_date, e.late) for e in repo.events_for(item.id)] == before
    (card,) = await send(day, "/status 12")
    assert "状态：重新办理" in card.text
    assert re.search(r"最近：12-29 反馈 不满意 · 11-20 答复 B类 晋市交函〔2026〕36号 · 11-10 协办意见 \S*教育局", card.text)
