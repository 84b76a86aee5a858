"""Similar proposals of earlier sessions: the pairs in the example office, the card's line,
/similar in chat, and the count in an import's answer."""

from __future__ import annotations

import subprocess
import sys
import os

import pytest

from bot.app import make_services
from bot.config import load_config
from bot.lookup import lookup_number
from bot.model import Proposal
from bot.similar import SimilarFinder, title_core
from tests.conftest import Chat, Clock, start_bot, stop_bot, write_config
from tests.office import OFFICE, load_office

NEW_LIST = """示例数据（虚构，仅供测试）：晋城市政协八届四次会议提案交办清单
提案号,案由,提案人,主办单位,交办日期
301,关于进一步推进城乡融合发展的建议,民建晋城市委会,晋城市发展和改革委员会,2027-03-20
302,关于加快推进老旧小区改造的建议,刘素珍委员,晋城市住房和城乡建设局,2027-03-20
303,关于建设智慧停车场的建议,李刚委员,晋城市住房和城乡建设局,2027-03-20
"""


@pytest.fixture
def office(tmp_path):
    svc = make_services(load_config(write_config(tmp_path)), Clock())
    load_office(svc)
    yield svc
    svc.repo.close()


def one(svc, text) -> Proposal:
    (p,) = lookup_number(svc.repo, text).matches
    return p


def test_title_core_drops_the_frame():
    assert title_core("关于加快推进城乡融合发展的建议") == "加快推进城乡融合发展"
    assert title_core("关于加强中小学心理健康教育工作的建议") == "加强中小学心理健康教育"
    assert title_core("关于加快推进老旧小区改造的提案") == "加快推进老旧小区改造"


def test_earlier_sessions_only(office):
    finder = SimilarFinder(office.repo)
    assert [(s.proposal.number, s.score) for s in finder.similar(one(office, "八届三次 101"))] == [("201", 89.0)]
    assert [s.proposal.number for s in finder.similar(one(office, "八届三次 105"))] == ["202"]
    assert [s.proposal.number for s in finder.similar(one(office, "八届三次 121"))] == ["206"]
    assert finder.similar(one(office, "八届二次 201")) == []          # nothing earlier
    assert finder.similar(one(office, "八届三次 113")) == []          # 公交线路 vs 公交线网布局: not close
    # Another region counts by the year items were assigned.
    other = office.repo.put(Proposal(body="政协", region="高平市", term=7, meeting=6, number="TA0101",
                                     title="关于推进城乡融合发展的建议", assigned_date="2024-03-01"))
    assert [s.proposal.number for s in finder.similar(one(office, "八届三次 101"))] == ["201", "TA0101"]
    office.repo.put(Proposal(body="人大", region="晋城市", term=17, meeting=2, number="9",
                             title="关于加快推进城乡融合发展的建议", assigned_date="2025-03-01"))
    assert "9" not in [s.proposal.number for s in finder.similar(one(office, "八届三次 101"))]  # other body
    assert other.id is not None


async def test_similar_in_chat_and_on_the_card(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    load_office(services)
    chat = Chat(emulator, app, services, clock)
    try:
        (card,) = await chat.send("/status 101")
        assert "往届相似：八届二次第201号（89%） · /similar 101" in card.text
        (answer,) = await chat.send("/similar 101")
        assert answer.text.startswith("往届相似：第101号")
        assert "晋城市八届二次第201号 关于推进城乡融合发展的建议 · 相似度 89% · 已办结" in answer.text
        assert answer.buttons[0][0][1].startswith("st:")  # the record id: works after a restart
        (old,) = await chat.press(answer, 0)
        assert old.text.startswith("政协 · 晋城市八届二次会议 · 第201号")
        (none,) = await chat.send("/similar 113")
        assert "往届没有相近的提案或建议" in none.text
        (missing,) = await chat.send("/similar 999")
        assert missing.text.startswith("未找到第999号")
        (usage,) = await chat.send("/similar")
        assert usage.text.startswith("用法：/similar")
        (imported,) = await chat.import_list("八届四次交办清单.csv", NEW_LIST.encode("utf-8"))
        assert "往届相似：2 件新提案与往届提案相近" in imported.text
    finally:
        await stop_bot(app)


def test_cli_import_counts_similar(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PROPOSAL_BOT_TOKEN"}
    config = str(write_config(tmp_path))
    db = str(tmp_path / "office.json")
    new = tmp_path / "八届四次.csv"
    new.write_text(NEW_LIST, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bot.cli", "--config", config, "import",
                           *map(str, sorted(OFFICE.glob("*.csv"))), str(new), "--db", db],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    # 八届三次 items match 八届二次 ones too: every new item with an earlier close title counts.
    assert "往届相似：" in done.stdout and "件新提案与往届提案相近" in done.stdout
