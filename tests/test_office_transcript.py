"""Issue 11's closing-note conversation, end to end through the emulator on the example office
(tests/data/office, today 2026-11-23): /stats with its chart, /export, /nudge acknowledged by the
handler, ten questions in plain words, an edit then /undo, and /similar.

With OFFICE_TRANSCRIPT=FILE the conversation is written to FILE (the closing note quotes it).
"""

import io

import pytest
from openpyxl import load_workbook

from bot.lookup import lookup_number
from bot.model import EV_NUDGE
from tests.conftest import ADMIN, Chat, start_bot, stop_bot, write_config
from tests.office import link_contact, load_office
from tests.transcript import Transcript, press, send

HANDLER = 5001  # 王立新, 发改委's liaison, linked to this Telegram user
PNG = b"\x89PNG\r\n\x1a\n"

# (question, what the answer must contain): each names the right record
QUESTIONS = [
    ("125号办得怎么样了", ["政协 · 晋城市八届三次会议 · 第125号", "关于加快智慧农业发展的建议"]),
    ("发改委的联系人是谁", ["晋城市发展和改革委员会 · 联系人 1 人", "王立新", "0356-2021101"]),
    ("李晓梅电话多少", ["李晓梅 · 晋城市教育局", "0356-2022202"]),
    ("哪些单位逾期了", ["逾期事项：13 件（截至 2026-11-23）", "晋城市住房和城乡建设局 2 件",
                  "第129号 关于严格耕地保护的建议 · 截止 2026-09-20 · ⚠ 已逾期 64 天"]),
    ("本周到期的有哪些", ["2026-11-23 至 2026-11-29 到期：5 件", "第102号", "第106号", "第111号",
                   "第125号", "第130号"]),
    ("八届三次办复率", ["办理统计 · 八届三次会议（截至 2026-11-23）", "交办 30 件 · 已答复 7 件 · 办复率 23.3%"]),
    ("发改委还有几件没办完", ["晋城市发展和改革委员会：在办 3 件，其中已逾期 1 件、7 天内到期 1 件。"]),
    ("住建局有哪些逾期的", ["逾期事项：2 件（截至 2026-11-23） · 晋城市住房和城乡建设局",
                   "第109号 关于加快老旧小区改造的建议", "第110号 关于完善住宅专项维修资金管理的建议"]),
    ("教育局的办复率", ["办理统计 · 晋城市教育局（截至 2026-11-23）", "交办 6 件 · 已答复 3 件 · 办复率 50%"]),
    ("耕地保护的提案是哪件", ["您是要找：", "[提案 · 第129号 关于严格耕地保护的建议]"]),  # best first
]


@pytest.fixture
async def office(tmp_path, emulator, clock):
    emulator.add_user(ADMIN)
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    load_office(services)
    link_contact(services, emulator, "王立新", HANDLER)
    chat = Chat(emulator, app, services, clock)
    chat.transcript = Transcript()
    try:
        yield chat
    finally:
        await stop_bot(app)
        chat.transcript.write("OFFICE_TRANSCRIPT")


def item(chat, number):
    (p,) = lookup_number(chat.services.repo, number).matches
    return p


async def test_office_transcript(office):
    chat = office
    # /stats: the figures, then the chart as a PNG
    text, chart = await send(chat, "/stats 八届三次", expect=2)
    assert text.text.splitlines()[1] == "交办 30 件 · 已答复 7 件 · 办复率 23.3%"
    assert chart.method in ("sendPhoto", "sendDocument") and chart.document.startswith(PNG)

    # /export: an .xlsx of the session's 30 items
    (sent,) = await send(chat, "/export 八届三次")
    assert sent.method == "sendDocument" and sent.filename.endswith(".xlsx")
    assert sent.text.startswith("八届三次会议 · 内部版：交办 30 件，已答复 7 件（办复率 23.3%）")
    workbook = load_workbook(io.BytesIO(sent.document))
    assert sum(ws.max_row for ws in workbook.worksheets) > 30

    # /nudge: the handler gets it and presses 已收到, which is recorded
    marker = chat.emulator.mark(HANDLER)
    (done,) = await send(chat, "/nudge 101 请本周内报送答复")
    assert done.text.startswith("已催办第101号：已发送给 王立新。")
    # the ping, then its 已收到 button once the nudge is recorded (shown once, as the handler sees it)
    _, ping = await chat.emulator.await_sent(HANDLER, count=2, since=marker)
    chat.transcript.heard("王立新", [ping])
    assert ping.text.startswith("🔔 催办：第101号") and "留言：请本周内报送答复" in ping.text
    assert ping.buttons == [[("已收到", ping.buttons[0][0][1])]]
    *_, thanks = await press(chat, ping, 0, user=HANDLER, who="王立新", expect=2)
    assert thanks.text == "已确认收到（王立新），已记入办理记录。"
    nudges = [e for e in chat.services.repo.events_for(item(chat, "101").id) if e.kind == EV_NUDGE]
    assert [e.changes.get("ack") for e in nudges] == [None, nudges[0].id]

    # ten questions in plain words
    for question, facts in QUESTIONS:
        (answer,) = await send(chat, question)
        shown = answer.text + " ".join(f"[{label}]" for row in answer.buttons for label, _ in row)
        missing = [fact for fact in facts if fact not in shown]
        assert not missing, (question, missing, answer.text)

    # an edit, then /undo restores the value
    (fields,) = await send(chat, "/edit 101")
    (prompt,) = await press(chat, fields, "案由")
    assert prompt.text.startswith("请发送第101号的新的案由")
    (edited,) = await send(chat, "关于加快推进城乡融合高质量发展的建议")
    assert edited.text.startswith("已修改第101号的案由")
    assert item(chat, "101").title == "关于加快推进城乡融合高质量发展的建议"
    (undone,) = await send(chat, "/undo")
    assert undone.text.startswith("已撤销：第101号的案由恢复为 关于加快推进城乡融合发展的建议")
    assert item(chat, "101").title == "关于加快推进城乡融合发展的建议"

    # /similar: items of earlier sessions
    (similar,) = await send(chat, "/similar 101")
    assert similar.text.startswith("往届相似：第101号")
    assert "晋城市八届二次第201号 关于推进城乡融合发展的建议 · 相似度 89% · 已办结" in similar.text
