"""Statistics against hand-counted figures of the example office, the chart's font and glyphs,
/stats in chat and `proposal-bot stats` (today 2026-11-23)."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from datetime import date

import pytest
from fontTools.ttLib import TTFont
from matplotlib import font_manager
from PIL import Image

from bot.app import make_services
from bot.chart import font_path, stats_chart
from bot.config import load_config
from bot.numbers import Session
from bot.stats import facts_of, figures
from tests.conftest import Chat, Clock, start_bot, stop_bot, write_config
from tests.office import OFFICE, load_office

TODAY = date(2026, 11, 23)


@pytest.fixture
def office(tmp_path):
    svc = make_services(load_config(write_config(tmp_path)), Clock())
    load_office(svc)
    yield svc
    svc.repo.close()


def test_session_figures_by_hand(office):
    f = figures(facts_of(office), TODAY, Session(8, 3))
    # replied: 104 108 112 115 118 120 124; late: 115 (due 08-17, replied 09-01)
    assert (f.items, f.replied, f.reply_rate, f.on_time, f.on_time_rate) == (30, 7, 23.3, 6, 20.0)
    assert f.classes == {"A": 5, "B": 1, "C": 1}
    # feedback: 104 满意, 112 满意, 118 基本满意, 124 不满意
    assert (f.feedback, f.satisfied, f.satisfaction_rate) == (4, 3, 75.0)
    assert (f.open, f.overdue) == (26, 12)
    assert f.overdue_by_unit[:3] == [("晋城市住房和城乡建设局", 2), ("晋城市教育局", 2), ("晋城市生态环境局", 2)]
    assert f.co_unit_pending == 7
    past = figures(facts_of(office), TODAY, Session(8, 2))
    # 204 and 209 replied late; 207 不满意, 208 no feedback
    assert (past.items, past.replied, past.on_time, past.feedback, past.satisfied) == (10, 10, 8, 9, 8)
    assert past.satisfaction_rate == 88.9 and past.open == 0


def test_unit_and_everything(office):
    edu = figures(facts_of(office), TODAY, unit="晋城市教育局")
    # 202 105-108 人大4; open: 105 106 107, and 108 and 人大4 waiting for their follow-up (B)
    assert (edu.items, edu.replied, edu.open, edu.overdue) == (6, 3, 5, 2)
    everything = figures(facts_of(office), TODAY)
    assert (everything.items, everything.replied, everything.overdue) == (44, 18, 13)


def test_as_of_an_earlier_date_replays_the_history(office):
    then = date(2026, 8, 31)
    f = figures(facts_of(office, then), then, Session(8, 3))
    # replies by 08-31: 104 108 112 118 120 124; feedback by then: 112 满意, 118 基本满意
    assert (f.replied, f.feedback, f.satisfied) == (6, 2, 2)
    # open then and past due: 115 only (due 08-17, replied 09-01)
    assert f.overdue == 1 and f.overdue_by_unit == [("晋城市交通运输局", 1)]


def test_chart_is_a_png_in_the_chosen_font_with_every_glyph(office):
    chart = stats_chart(figures(facts_of(office), TODAY, Session(8, 3)))
    image = Image.open(io.BytesIO(chart.png))
    assert image.format == "PNG" and image.size[0] > 500
    assert chart.family == "Noto Sans SC" and chart.font_file == font_path()
    assert "在办与逾期件数（按主办单位）" in chart.labels and "教育局" in chart.labels
    cmap = TTFont(str(chart.font_file), fontNumber=0).getBestCmap()
    missing = {ch for label in chart.labels for ch in label if not ch.isspace() and ord(ch) not in cmap}
    assert not missing
    # The family each label is set in resolves to that file, not to a fallback.
    found = font_manager.findfont(font_manager.FontProperties(family=chart.family), fallback_to_default=False)
    assert os.path.samefile(found, chart.font_file)


async def test_stats_in_chat(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    load_office(services)
    chat = Chat(emulator, app, services, clock)
    try:
        text, photo = await chat.send("/stats 八届三次", expect=2)
        assert text.text.splitlines()[:2] == ["办理统计 · 八届三次会议（截至 2026-11-23）",
                                              "交办 30 件 · 已答复 7 件 · 办复率 23.3%"]
        assert photo.method == "sendPhoto" and photo.document[:8] == b"\x89PNG\r\n\x1a\n"
        text, _ = await chat.send("/stats 教育局", expect=2)
        assert text.text.startswith("办理统计 · 晋城市教育局")
        (none,) = await chat.send("/stats 八届九次")
        assert none.text == "没有找到八届九次会议的提案或建议。"
        (several,) = await chat.send("/stats 市局")
        assert "对应多个单位" in several.text and "用法：/stats" in several.text
        (unknown,) = await chat.send("/stats 火星局")
        assert unknown.text.startswith("没有找到单位“火星局”。")
        (bad,) = await chat.send("/stats 第几届")
        assert bad.text.startswith("没有看懂届次")
    finally:
        await stop_bot(app)


def test_cli_stats_json_as_of_and_chart(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PROPOSAL_BOT_TOKEN"}
    config = str(write_config(tmp_path))
    db = str(tmp_path / "office.json")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "--config", config, "import",
                           *map(str, sorted(OFFICE.glob("*.csv"))), "--db", db],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    chart = tmp_path / "chart.png"
    out = subprocess.run([sys.executable, "-m", "bot.cli", "--config", config, "stats", "--session", "八届三次",
                          "--as-of", "2026-09-01", "--json", "--chart", str(chart), "--db", db],
                         capture_output=True, text=True, env=env, timeout=120)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["as_of"] == "2026-09-01" and result["items"] == 30 and result["replied"] == 0
    # lists only, no replies: past due by 09-01 are those assigned in April and May
    # (104 108 112 115 118 120 124)
    assert result["session"] == "八届三次会议" and result["overdue"] == 7
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    bad = subprocess.run([sys.executable, "-m", "bot.cli", "--config", config, "stats", "--unit", "火星局", "--db", db],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "没有找到单位" in bad.stderr


def test_groups_follow_each_change_item_by_item(office):
    """The lists read per-unit and per-session groups kept current item by item; after changes
    they match a fresh pass over every item's facts."""
    from dataclasses import replace

    from bot.numbers import number_order
    from bot.progress import register_reply
    from bot.questions import answer_question
    from bot.search import SearchIndex
    from bot.stats import due_soon_list, overdue_list, session_facts
    from tests.office import ADMIN

    def fresh(unit=None, session=None, start=None, end=None):
        return [f.proposal.id for f in sorted(
            (f for f in facts_of(office) if f.is_open and f.due is not None
             and (f.due < TODAY if start is None else start <= f.due <= end)
             and (unit is None or f.proposal.lead_unit == unit)
             and (session is None or (f.proposal.term, f.proposal.meeting) == (session.term, session.meeting))),
            key=lambda f: (f.due, number_order(f.proposal.number), f.proposal.id))]

    def check():
        units = {f.proposal.lead_unit for f in facts_of(office)}
        for unit in (None, *units):
            for session in (None, Session(8, 3), Session(8, 2)):
                assert [i.proposal.id for i in overdue_list(office, TODAY, unit, session).items] == fresh(unit, session)
                window = (date(2026, 11, 1), date(2026, 12, 31))
                listed = due_soon_list(office, TODAY, *window, unit=unit, session=session).items
                assert [i.proposal.id for i in listed] == fresh(unit, session, *window)
            whole = figures(facts_of(office), TODAY, Session(8, 3), unit)
            assert figures(session_facts(office, TODAY, Session(8, 3), unit), TODAY, Session(8, 3), unit) == whole

    def asked(text):
        return answer_question(office, index, text).figures

    index = SearchIndex.build(office.repo, office.config.aliases)
    check()
    before = {s: asked(f"八届{s}次办复率") for s in "二三"}
    overdue = overdue_list(office, TODAY, session=Session(8, 3)).items
    first, moved = overdue[0].proposal, overdue[1].proposal
    register_reply(office, ADMIN, first, "A", "2026-11-20", None)   # leaves the overdue lists
    office.repo.put(replace(moved, lead_unit="晋城市教育局"))        # moves to another unit's group
    after = {s: asked(f"八届{s}次办复率") for s in "二三"}
    assert after["二"] == before["二"]          # another session's figures kept
    assert (after["三"].replied, after["三"].overdue) == (before["三"].replied + 1, before["三"].overdue - 1)
    assert after["三"] == figures(facts_of(office), TODAY, Session(8, 3))
    assert first.id not in [i.proposal.id for i in overdue_list(office, TODAY).items]
    assert moved.id in [i.proposal.id for i in overdue_list(office, TODAY, "晋城市教育局").items]
    check()


async def test_reports_read_the_history_without_keeping_it(tmp_path, emulator, clock):
    """Events stay in the snapshot file until someone looks at one item's history (README,
    "Lean start-up"): the office view behind /overdue, /stats and the questions, /export, a
    list uploaded again, and the
    sweep's import summary, read many items' histories and must not keep them in memory
    afterwards (at 30,000 items the office view kept 92,000 events, +71 MB for as long as the
    bot ran; the summary of an import no admin has received yet kept its events every sweep)."""
    from bot.model import Event

    config = write_config(tmp_path)
    app, services = await start_bot(emulator, config, clock, samples=False)
    load_office(services)
    await stop_bot(app)  # the clean stop writes the events into the snapshot
    app, services = await start_bot(emulator, config, clock, samples=False)
    chat = Chat(emulator, app, services, clock)
    events = services.repo._records[Event]
    try:
        assert events.placed == len(events) > 50  # the start-up's sweep and summary kept none
        (overdue,) = await chat.send("/overdue")
        assert "逾期" in overdue.text
        text, _ = await chat.send("/stats 八届三次", expect=2)
        assert "交办 30 件" in text.text
        (answer,) = await chat.send("/find 哪些单位逾期了")
        assert "逾期" in answer.text
        (workbook,) = await chat.send("/export")
        assert workbook.method == "sendDocument"
        again = (OFFICE / "zx-8-3.csv").read_bytes()  # the same list again: nothing new
        (report,) = await chat.import_list("八届三次交办清单（再次）.csv", again)
        assert "新增提案" not in report.text, report.text
        assert events.placed == len(events) and not dict.__len__(events)
    finally:
        await stop_bot(app)
