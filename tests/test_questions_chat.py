"""Questions in plain words, in chat through the emulator and on the command line, on the
example office (tests/data/office; today 2026-11-23)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from bot.search import CERTAIN_MIN
from tests.conftest import STRANGER, Chat, start_bot, stop_bot, write_config
from tests.office import OFFICE, load_office


# the conversations here reach the bot by webhook POSTs (conftest.receive_mode)
pytestmark = pytest.mark.webhook


@pytest.fixture
async def office_chat(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    load_office(services)
    try:
        yield Chat(emulator, app, services, clock)
    finally:
        await stop_bot(app)


async def test_a_proposal_state(office_chat):
    (card,) = await office_chat.send("125号办得怎么样了")
    assert card.text.startswith("政协 · 晋城市八届三次会议 · 第125号")
    assert "关于加快智慧农业发展的建议" in card.text


async def test_a_units_contact(office_chat):
    (answer,) = await office_chat.send("发改委的联系人是谁")
    assert answer.text.splitlines()[0] == "晋城市发展和改革委员会 · 联系人 1 人"
    assert "王立新" in answer.text and "0356-2021101" in answer.text


async def test_a_persons_phone(office_chat):
    (answer,) = await office_chat.send("请问李晓梅的电话是多少？")
    assert answer.text.startswith("李晓梅 · 晋城市教育局") and "0356-2022202" in answer.text


async def test_overdue_by_unit(office_chat):
    (answer,) = await office_chat.send("哪些单位逾期了")
    # Hand-counted: 101 105 108 109 110 113 116 121 123 124 127 129 and 人大 No. 2.
    assert answer.text.startswith("逾期事项：13 件（截至 2026-11-23）")
    assert "晋城市住房和城乡建设局 2 件" in answer.text
    assert "第129号 关于严格耕地保护的建议 · 截止 2026-09-20 · ⚠ 已逾期 64 天" in answer.text


async def test_due_this_week(office_chat):
    (answer,) = await office_chat.send("本周到期的有哪些")
    assert answer.text.startswith("2026-11-23 至 2026-11-29 到期：5 件")
    for number in ("102", "106", "111", "125", "130"):
        assert f"第{number}号" in answer.text
    assert "第122号" not in answer.text  # due Saturday 11-28, moved to Monday 11-30


async def test_a_units_open_items(office_chat):
    (answer,) = await office_chat.send("/find 发改委还有几件没办完")
    assert answer.text.splitlines()[0] == "晋城市发展和改革委员会：在办 3 件，其中已逾期 1 件、7 天内到期 1 件。"


async def test_a_sessions_figures(office_chat):
    (answer,) = await office_chat.send("八届三次办复率")
    lines = answer.text.splitlines()
    assert lines[0] == "办理统计 · 八届三次会议（截至 2026-11-23）"
    assert lines[1] == "交办 30 件 · 已答复 7 件 · 办复率 23.3%"
    assert lines[2] == "按期答复 6 件 · 按期办复率 20%"
    assert "满意率 75%" in answer.text


async def test_unknown_number_unknown_unit_and_several_units(office_chat):
    (answer,) = await office_chat.send("1250号怎么样了")
    assert answer.text.startswith("未找到第1250号。相近的有：")
    assert answer.buttons  # the nearest numbers, to press
    (answer,) = await office_chat.send("火星局逾期了几件")
    assert answer.text.startswith("没有找到单位“火星局”，以下为全部单位。")
    (answer,) = await office_chat.send("市局的办复率")
    assert "对应多个单位" in answer.text and "请写出全称" in answer.text


@pytest.mark.parametrize("typed", ["?", "吗", "请问" * 60, "<b>逾期</b>"])
async def test_odd_questions_get_a_clear_answer(office_chat, typed):
    (answer,) = await office_chat.send(typed)
    assert answer.text and "Traceback" not in answer.text and "出错" not in answer.text


async def test_strangers_get_nothing(office_chat):
    (answer,) = await office_chat.send("哪些单位逾期了", user=STRANGER)
    assert "尚未获得使用权限" in answer.text and "逾期事项" not in answer.text


def cli(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k != "PROPOSAL_BOT_TOKEN"}
    return subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(write_config(tmp_path)), *args],
                          capture_output=True, text=True, timeout=120, env=env)


def test_cli_find_json_lists_and_stats(tmp_path):
    db = str(tmp_path / "office.json")
    done = cli(tmp_path, "import", *map(str, sorted(OFFICE.glob("*.csv"))), "--db", db)
    assert done.returncode == 0, done.stderr
    stats = json.loads(cli(tmp_path, "find", "八届三次一共多少件提案", "--json", "--db", db).stdout)
    assert stats["intent"] == "stats"
    (result,) = stats["results"]
    assert result["kind"] == "stats" and result["record"]["items"] == 30 and result["record"]["replied"] == 0
    assert result["record"]["session"] == "八届三次会议"
    listing = json.loads(cli(tmp_path, "find", "住建局有哪些逾期的", "--json", "--db", db).stdout)
    (result,) = listing["results"]
    record = result["record"]
    assert result["kind"] == "list" and record["list"] == "overdue"
    assert record["unit"] == "晋城市住房和城乡建设局"
    assert record["count"] == len(record["items"])
    assert all(item["days_left"] < 0 and item["lead_unit"] == record["unit"] for item in record["items"])
    person = json.loads(cli(tmp_path, "find", "王立新电话多少", "--json", "--db", db).stdout)
    assert person["intent"] == "contact" and person["results"][0]["kind"] == "contact"
    assert person["results"][0]["record"]["phones"] == ["0356-2021101"]
    assert person["results"][0]["score"] >= CERTAIN_MIN
    text = cli(tmp_path, "find", "八届三次办复率", "--db", db).stdout
    assert text.startswith("办理统计 · 八届三次会议")
