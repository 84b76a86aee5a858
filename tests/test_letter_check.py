"""The check of each reply letter: letters built to break each rule, the rules a jurisdiction
switches off, the two seeds, the upload answer and the card, and `proposal-bot check`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import TEMPLATE, ConfigError, load_config
from bot.letter_check import check_letter
from bot.model import Proposal
from bot.parsing import parse_letter
from tests.conftest import write_config

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
if not SEEDS.exists():
    SEEDS = Path(__file__).resolve().parents[1] / "bot" / "sample_data" / "letters"
JINCHENG = (SEEDS / "jincheng-drc-reply-125.txt").read_text(encoding="utf-8")
GAOPING = (SEEDS / "gaoping-drst-reply-TA0010.txt").read_text(encoding="utf-8")
CONFIG = load_config(TEMPLATE)

# The record the Jincheng letter answers, assigned so that 2024-05-23 is on time.
P125 = Proposal(body="政协", region="晋城市", term=8, meeting=3, number="125",
                title="关于加快推动我市城乡融合发展的建议", proposer="民建晋城市委会",
                lead_unit="晋城市发展和改革委员会", assigned_date="2024-03-01")
# The letter with everything a check asks for.
COMPLETE = JINCHENG.replace("A 类", "A 类\n晋市发改函〔2024〕12号").replace(
    "承办人: \n", "承办人: 李华\n")


def rules(letter: str, proposal: Proposal | None = P125, config=CONFIG) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for finding in check_letter(parse_letter(letter), proposal, config):
        out.setdefault(finding.rule, []).append(finding.message)
    return out


def test_a_complete_letter_on_time_has_no_finding():
    assert rules(COMPLETE) == {}


@pytest.mark.parametrize("change, rule, message", [
    (("A 类\n", ""), "class", "未标明办理类别（本地方案：A、B、C）"),
    (("A 类\n", "甲类\n"), "class", "办理类别“甲”不在本地方案（A、B、C）中"),
    (("承办人: 李华\n", "承办人: \n"), "handler", "未写承办人（联系人）"),
    (("联系电话: 6999022\n", ""), "phone", "未写联系电话"),
    (("晋市发改函〔2024〕12号\n", ""), "doc_number", "没有发文字号"),
    (("民建晋城市委会：", "民盟晋城市委会："), "proposer", "信中的提案人“民盟晋城市委会”与记录“民建晋城市委会”不符"),
    (("《关于加快推动我市城乡融合发展的建议》", "《关于加强城市绿化管理的建议》"), "title",
     "信中的标题“关于加强城市绿化管理的建议”与记录“关于加快推动我市城乡融合发展的建议”不符"),
    (("晋城市发展和改革委员会\n\n2024", "晋城市教育局\n\n2024"), "issuer",
     "抬头单位（晋城市发展和改革委员会）与落款单位（晋城市教育局）不一致"),
])
def test_each_rule_caught_on_a_letter_built_to_break_it(change, rule, message):
    letter = COMPLETE.replace(*change)
    assert letter != COMPLETE
    assert rules(letter) == {rule: [message]}


def test_late_by_how_many_days():
    # assigned 2024-01-10 → due 2024-04-10 (3 months); signed 2024-05-23: 43 days late
    late = replace(P125, assigned_date="2024-01-10")
    assert rules(COMPLETE, late) == {"late": ["答复日期 2024-05-23 晚于办理期限 2024-04-10，逾期 43 天"]}
    assert rules(COMPLETE, replace(P125, assigned_date="2024-01-10", complex=True)) == {}  # 6 months


def test_issuer_not_the_lead_unit():
    other = replace(P125, lead_unit="晋城市教育局")
    assert rules(COMPLETE, other) == {"issuer": ["答复单位（晋城市发展和改革委员会）不是主办单位（晋城市教育局）"]}
    assert rules(COMPLETE, replace(P125, lead_unit="市发展改革委")) == {}  # an abbreviation is the same unit


def test_addressed_to_the_lead_unit_is_a_co_unit_opinion():
    opinion = COMPLETE.replace("民建晋城市委会：", "晋城市发展和改革委员会：").replace("A 类\n", "")
    # an opinion has no class and no deadline of the item's own: only the addressee is said
    assert rules(opinion, replace(P125, assigned_date="2024-01-10")) == {
        "addressee": ["信是写给主办单位（晋城市发展和改革委员会）的：这是协办意见，不是给提案人的答复"]}
    unknown_unit = COMPLETE.replace("民建晋城市委会：", "市财政局：")
    assert rules(unknown_unit)["addressee"] == ["信的称呼是单位（市财政局），不是提案人：可能是协办意见"]


def test_without_the_proposal_only_the_letters_own_rules():
    assert rules(JINCHENG, None) == {"handler": ["未写承办人（联系人）"], "doc_number": ["没有发文字号"]}


def test_traditional_letters_are_compared_through_their_simplified_copy():
    trad = (COMPLETE.replace("关于加快推动我市城乡融合发展的建议", "關於加快推動我市城鄉融合發展的建議")
            .replace("民建晋城市委会", "民建晉城市委會").replace("晋城市发展和改革委员会", "晉城市發展和改革委員會")
            .replace("联系电话", "聯繫電話").replace("答复", "答覆"))
    assert rules(trad) == {}


def test_the_checks_a_jurisdiction_asks_for(tmp_path):
    config = load_config(write_config(tmp_path, '''
[[rules]]
region = "晋城市"
body = "政协"
reply_checks = ["late"]
'''))
    assert rules(JINCHENG, replace(P125, assigned_date="2024-01-10"), config) == {
        "late": ["答复日期 2024-05-23 晚于办理期限 2024-04-10，逾期 43 天"]}
    with pytest.raises(ConfigError, match="reply_checks 中有未知的检查项：spelling"):
        load_config(write_config(tmp_path, '[[rules]]\nbody = "政协"\nreply_checks = ["spelling"]\n'))


def test_the_two_seeds():
    gaoping = Proposal(body="政协", region="高平市", term=7, meeting=5, number="TA0010",
                       title="关于推进我市城乡产业融合发展建议的建议", proposer="九三学社高平市支社",
                       lead_unit="高平市发展改革和科技局", assigned_date="2025-06-01")
    assert rules(GAOPING, gaoping) == {
        "class": ["未标明办理类别（本地方案：A、B、C）"],
        "issuer": ["抬头单位（高平市发展改革和科技局）与落款单位（高平市发展和改革委员会）不一致"],
    }
    assert rules(JINCHENG) == {"handler": ["未写承办人（联系人）"], "doc_number": ["没有发文字号"]}


# ----------------------------------------------------------------------------- where it shows

async def test_upload_answer_and_card_show_the_check(chat):
    (answer,) = await chat.upload("gaoping.txt", GAOPING.replace("TA0010", "TA0099").encode())
    assert "第TA0099号 核对：抬头单位（高平市发展改革和科技局）与落款单位（高平市发展和改革委员会）不一致" in answer.text
    assert "核对：未标明办理类别" in answer.text
    (card,) = await chat.send("/status TA0099")
    assert "⚑ 核对：抬头单位（高平市发展改革和科技局）与落款单位（高平市发展和改革委员会）不一致" in card.text


def cli(tmp_path, *args):
    env = {k: v for k, v in os.environ.items() if k != "PROPOSAL_BOT_TOKEN"}
    return subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(write_config(tmp_path)), *args],
                          capture_output=True, text=True, env=env, timeout=120)


def test_cli_check_changes_nothing(tmp_path):
    letter = tmp_path / "late.txt"
    letter.write_text(JINCHENG.replace("2024年5月23日", "2024年12月30日"), encoding="utf-8")
    # no database yet: only the letter's own rules, and no database is created
    done = cli(tmp_path, "check", str(letter))
    assert done.returncode == 0, done.stderr
    assert "库中没有这件提案，只核对了信件本身" in done.stdout and "核对：没有发文字号" in done.stdout
    assert not (tmp_path / "data" / "proposals.json").exists()
    # with the sample database: compared with the record too, the file untouched
    from tests.test_cli import with_samples

    with_samples(tmp_path)  # a configured database never gets the samples by itself (issue 8)
    assert cli(tmp_path, "status", "125").returncode == 0
    db = tmp_path / "data" / "proposals.json"
    before = (db.read_bytes(), db.stat().st_mtime_ns, sorted(p.name for p in db.parent.iterdir()))
    done = cli(tmp_path, "check", "--json", str(letter), str(SEEDS / "gaoping-drst-reply-TA0010.txt"))
    assert done.returncode == 0, done.stderr
    first, second = (json.loads(line) for line in done.stdout.splitlines())
    assert first["proposal_found"] and second["proposal_found"]
    assert {f["rule"] for f in first["findings"]} == {"handler", "doc_number"}
    assert "抬头单位（高平市发展改革和科技局）与落款单位（高平市发展和改革委员会）不一致" in [
        f["message"] for f in second["findings"]]
    assert (db.read_bytes(), db.stat().st_mtime_ns, sorted(p.name for p in db.parent.iterdir())) == before
    assert cli(tmp_path, "check", str(tmp_path / "missing.txt")).returncode == 1
