"""Items no one handles (no handler of their own, no liaison of their lead unit) appear once in
the admins' digest as a count with a button that lists them, never as one 🚨 block each."""

from datetime import datetime

from handlers.reminders import sweep_now
from tests.conftest import ADMIN, STAFF, TZ

# due 2026-11-24: not overdue at the import (2026-11-23), escalated from 2026-11-27
LIST = ("（示例数据）晋城市政协八届五次会议提案交办清单\n"
        "提案号,案由,提案人,主办单位,交办日期\n"
        "1,关于统计数据共享的建议,张三,市统计局,2026-08-24\n"
        "2,关于统计执法检查的建议,李四,市统计局,2026-08-24\n"
        "3,关于外事接待规范的建议,王五,市外事办,2026-08-24\n"
        "4,关于加快数字经济发展的建议,赵六,市发改委,2026-08-24\n").encode("utf-8")
CONTACTS = "单位,姓名,职务,手机\n市发改委,郭晓峰,联络员,13903560002\n".encode("utf-8")


async def test_items_without_a_handler_are_one_line_with_a_button_in_the_digest(chat):
    chat.emulator.add_user(ADMIN)
    await chat.import_list("交办清单.csv", LIST)
    await chat.upload("联系人.csv", CONTACTS)
    await sweep_now(chat.app)  # the import's summary goes out on the day of the import
    chat.clock.now = datetime(2026, 11, 30, 9, 0, tzinfo=TZ)  # a Monday, 6 days overdue
    mark = len(chat.emulator.sent(ADMIN))
    await sweep_now(chat.app)
    to_admin = chat.emulator.sent(ADMIN)[mark:]
    blocks = [m.text for m in to_admin if m.text.startswith("🚨")]
    assert len(blocks) == 1 and "第4号" in blocks[0], blocks  # the handled item is escalated, alone
    (digest,) = [m for m in to_admin if "提案办理日报" in m.text]
    assert "无人承办：3 件（主办单位没有联系人或联络员，不会提醒任何人）" in digest.text, digest.text
    assert digest.text.count("无人承办") == 1
    assert [label for row in digest.buttons for label, _ in row] == ["查看 3 件无人承办"]

    (listing,) = await chat.press(digest, 0)
    assert listing.text.startswith("无人承办：3 件")
    assert "· 市统计局（2）：第1号、第2号" in listing.text and "· 市外事办（1）：第3号" in listing.text
    assert "第4号" not in listing.text and "联系人名单" in listing.text and "/link" in listing.text

    # staff read the digest too; once the unit has a liaison its items leave the count
    (staff_digest,) = await chat.send("/digest", user=STAFF)
    assert [label for row in staff_digest.buttons for label, _ in row] == ["查看 3 件无人承办"]
    await chat.upload("联系人2.csv", "单位,姓名,职务,手机\n市统计局,韩梅,联络员,13903560011\n".encode("utf-8"))
    (again,) = await chat.send("/digest")
    assert "无人承办：1 件" in again.text
    assert [label for row in again.buttons for label, _ in row] == ["查看 1 件无人承办"]
