"""Real reply letters as published on government websites (tests/fixtures/letters/, page chrome
kept): every field of the parser's JSON against its hand-checked label, and composed letters for
the web-page cases the real set shows (chrome, titles only in the salutation, numbers, people)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.parsing import LETTER_KEYS, for_matching, parse_letter, parse_letter_bytes

LETTERS = Path(__file__).resolve().parent / "fixtures" / "letters"
LABELS = json.loads((LETTERS / "labels.json").read_text(encoding="utf-8"))
FIELDS = [key for key in LETTER_KEYS if key != "warnings"]

# What the parser does not read, with why (each must still fail: strict).
KNOWN_MISSES = {
    ("hunan-xiangyin-cppcc-letter.txt", "doc_number"): "the sequence is 来信 (a letter), not a number",
    ("hunan-xiangyin-cppcc-letter.txt", "proposal_number"): "the item is numbered 来信, not a number",
}


def _cases() -> list:
    cases = []
    for name in LABELS:
        for key in FIELDS:
            marks = []
            if (name, key) in KNOWN_MISSES:
                marks = [pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[name, key])]
            cases.append(pytest.param(name, key, marks=marks, id=f"{name}-{key}"))
    return cases


_PARSED: dict[str, dict] = {}


def parsed(name: str) -> dict:
    if name not in _PARSED:
        _PARSED[name] = parse_letter_bytes((LETTERS / name).read_bytes(), name)
    return _PARSED[name]


@pytest.mark.parametrize("name, key", _cases())
def test_real_letter_field(name, key):
    assert parsed(name)[key] == LABELS[name]["expected"][key]


def test_real_set_spans_provinces_and_both_bodies():
    assert len(LABELS) >= 12
    assert len({x["province"] for x in LABELS.values()}) >= 8
    bodies = [x["expected"]["body"] for x in LABELS.values()]
    assert bodies.count("政协") >= 5 and bodies.count("人大") >= 5
    assert set(LABELS) == {p.name for p in LETTERS.glob("*.txt")}


def test_chrome_never_becomes_a_field():
    for name in LABELS:
        result = parsed(name)
        values = [v for k in FIELDS if isinstance(v := result[k], str)] + [x for k in FIELDS
                                                                             if isinstance(result[k], list)
                                                                             for x in result[k]]
        for word in ("访问", "浏览", "索引号", "发布", "字体", "首页", "网站"):
            assert not any(word in v for v in values), (name, word)


def test_traditional_real_letters_printed_and_matched_simplified():
    result = parsed("yunnan-zhenkang-npc-school-trad.txt")
    assert result["region"] == "鎮康縣" and result["signed_by"] == "鎮康縣教育局"
    matched = for_matching(result)
    assert (matched["region"], matched["signed_by"], matched["proposer"]) == ("镇康县", "镇康县教育局", "罗瑞等代表")


# ----------------------------------------------------------------------------- composed web pages

PAGE = """首页 > 政务公开 > 建议提案办理 > 政协提案
关于对政协晋城市第八届委员会第三次会议第(J031)号提案的复函
索引号：11140500MB1234567X/2024-00123
发布机构：晋城市交通运输局
发文字号：晋市交函〔2024〕12号
成文日期：2024-06-01    发布日期：2024-06-05
访问量：1024    字体：[大 中 小]
类 别:B
签发人：王强
晋市交函〔2024〕12号
关于对政协晋城市第八届委员会第三次会议第(J031)号提案的复函
九三学社晋城市委员会城区支社：
贵支社提出的关于加快农村公路养护的提案收悉，现将办理情况答复如下：
一、养护情况。2023年全市完成农村公路养护 1200 公里。
感谢贵支社对交通运输工作的关心和支持。
联系人：李华  张伟
联系电话：（0356） 6999022，0356-2021234转8012，138 1234 5678
晋城市交通运输局
2024年6月3日
主办：晋城市人民政府办公室  地址：晋城市凤台东街1111号  电话：0356-2196066
"""


def test_web_page_with_chrome_tables_class_and_signer():
    result = parse_letter(PAGE)
    assert {k: result[k] for k in FIELDS} == {
        "issuer": None, "signed_by": "晋城市交通运输局", "doc_number": "晋市交函〔2024〕12号",
        "classification": "B", "body": "政协", "region": "晋城市", "term": 8, "meeting": 3,
        "proposal_number": "J031", "proposer": "九三学社晋城市委员会城区支社",
        "addressee": "九三学社晋城市委员会城区支社", "title": "关于加快农村公路养护的提案",
        "reply_date": "2024-06-03",  # the letter's own date, not the page's 发布日期 two days later
        "handlers": ["李华", "张伟"], "leader": "王强",
        "phones": ["（0356）6999022", "0356-2021234转8012", "138 1234 5678"],
        "lead_unit": None, "co_units": [],
    }


def test_unsigned_web_page_takes_issuer_and_date_from_the_page():
    text = PAGE.replace("晋城市交通运输局\n2024年6月3日\n", "")
    result = parse_letter(text)
    assert result["signed_by"] is None and result["issuer"] == "晋城市交通运输局"
    assert result["reply_date"] == "2024-06-01"  # the page's 成文日期 rather than its 发布日期
    assert "信件没有落款，答复单位取自网页的发布机构（晋城市交通运输局）" in result["warnings"]
    assert "信中没有日期，答复日期取自网页的成文日期（2024-06-01），请核对" in result["warnings"]


@pytest.mark.parametrize("salutation, proposer, proposers, body", [
    ("张某等5位代表", "张某等5位代表", ["张某"], "人大"),
    ("李甲、王乙、赵丙三位代表", "李甲、王乙、赵丙", ["李甲", "王乙", "赵丙"], "人大"),
    ("尊敬的陈国华委员", "陈国华", ["陈国华"], "政协"),
    ("九三学社高平市支社", "九三学社高平市支社", ["九三学社高平市支社"], None),
])
def test_proposers_in_the_salutation(salutation, proposer, proposers, body):
    text = (f"关于市十五届人大二次会议第5.07号建议的答复\n{salutation}：\n"
            "你们在市十五届人大二次会议期间所提的《关于加强老旧小区改造的建议》（人大建议212号）收悉。\n"
            "现答复如下：……\n晋城市住房和城乡建设局\n2024年7月15日\n")
    result = parse_letter(text)
    assert (result["proposer"], result["proposers"]) == (proposer, proposers)
    assert result["title"] == "关于加强老旧小区改造的建议"
    assert result["conflicts"].get("proposal_number") == ["5.07", "212"]  # title and body disagree: said


@pytest.mark.parametrize("opening, title", [
    ("您提出的《关于加强乡村教师队伍建设的建议》收悉，现答复如下：", "关于加强乡村教师队伍建设的建议"),
    ("您提出的关于加强乡村教师队伍建设的建议》收悉。现答复如下：", "关于加强乡村教师队伍建设的建议"),
    ("现将您提出的关于加强乡村教师队伍建设的提案办理情况答复如下：", "关于加强乡村教师队伍建设的提案"),
    ("您提出的“关于加强乡村教师队伍建设”的建议收悉。现答复如下：", "关于加强乡村教师队伍建设的建议"),
    ("您提出的关于“县管校聘”执行中的问题及建议已收悉，现答复如下：", "关于“县管校聘”执行中的问题及建议"),
])
def test_the_title_only_in_the_salutation_paragraph(opening, title):
    text = f"关于对市政协八届三次会议第9号提案的复函\n王明委员：\n{opening}\n……\n晋城市教育局\n2024年5月23日\n"
    result = parse_letter(text)
    assert result["title"] == title  # never the letter's own heading (关于对…第9号提案的复函)
    assert (result["proposal_number"], result["proposer"]) == ("9", "王明")


@pytest.mark.parametrize("printed, iso", [("2022711", "2022-07-11"), ("20240530", "2024-05-30"),
                                          ("二〇二四年五月二十三日", "2024-05-23"), ("2022111", None)])
def test_dates_that_lost_their_separators(printed, iso):
    text = f"关于市政协八届三次会议第9号提案的答复\n王明委员：\n您的提案收悉。\n晋城市教育局\n{printed}\n"
    assert parse_letter(text)["reply_date"] == iso  # 2022111 is 1月11日 or 11月1日: not guessed


def test_a_month_only_date_is_not_completed_from_the_page():
    text = ("发布日期：2024-12-19\n关于对县十七届人大四次会议第36号建议的答复\n尊敬的李勇军代表：\n"
            "您提出的建议已收悉，现答复如下：……\n承办人：李晓斌\n联系电话：8322355\n2024年9月\n")
    result = parse_letter(text)
    assert result["reply_date"] is None
    assert "答复日期只写到月（2024年9月），未填写答复日期" in result["warnings"]
