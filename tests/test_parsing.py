"""Reply-letter parser: the two real seeds exactly, composed letters in other real styles, and
garbage that must never raise."""

from __future__ import annotations

import os
import random
import re
import unicodedata
from pathlib import Path

import pytest

from bot import parsing
from bot.parsing import script
from bot.parsing import LETTER_KEYS, parse_date, parse_letter, parse_letter_bytes, split_names

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
if not SEEDS.is_dir():  # the repository may be checked out elsewhere
    SEEDS = Path("/work/shared/seeds")


def seed(name: str) -> str:
    return (SEEDS / name).read_text(encoding="utf-8")


def fields(result: dict) -> dict:
    return {key: result[key] for key in LETTER_KEYS if key != "warnings"}


JINCHENG = {
    "issuer": "晋城市发展和改革委员会", "signed_by": "晋城市发展和改革委员会", "doc_number": None,
    "classification": "A", "body": "政协", "region": "晋城市", "term": 8, "meeting": 3,
    "proposal_number": "125", "proposer": "民建晋城市委会", "addressee": "民建晋城市委会",
    "title": "关于加快推动我市城乡融合发展的建议", "reply_date": "2024-05-23", "handlers": [],
    "leader": None, "phones": ["6999022"], "lead_unit": None, "co_units": [],
}
GAOPING = {
    "issuer": "高平市发展改革和科技局", "signed_by": "高平市发展和改革委员会",
    "doc_number": "高发改发〔2025〕85号", "classification": None, "body": "政协", "region": "高平市",
    "term": 7, "meeting": 5, "proposal_number": "TA0010", "proposer": "九三学社高平市支社", "addressee": "九三学社高平市支社",
    "title": "关于推进我市城乡产业融合发展建议的建议", "reply_date": "2025-08-27",
    "handlers": ["唐志文", "李鹏慧"], "leader": None, "phones": ["0356-5220956"],
    "lead_unit": None, "co_units": [],
}


# ----------------------------------------------------------------------------- the seeds

def test_seed_jincheng_exact():
    result = parse_letter(seed("jincheng-drc-reply-125.txt"))
    assert fields(result) == JINCHENG
    assert "未能识别：承办人（信中为空）" in result["warnings"]
    assert "未能识别：负责人（信中为空）" in result["warnings"]
    assert not any("不一致" in w for w in result["warnings"])


def test_seed_gaoping_exact():
    result = parse_letter(seed("gaoping-drst-reply-TA0010.txt"))
    assert fields(result) == GAOPING
    assert (
        "抬头单位（高平市发展改革和科技局）与落款单位（高平市发展和改革委员会）不一致"
        in result["warnings"]
    )


def test_addressee_is_the_salutation_and_a_unit_is_not_the_proposer():
    text = seed("jincheng-drc-reply-125.txt").replace("民建晋城市委会：", "市发改委：")
    result = parse_letter(text)
    assert (result["addressee"], result["proposer"]) == ("市发改委", None)
    assert "信件称呼的是单位（市发改委），可能是协办单位致主办单位的意见" in result["warnings"]
    result = parse_letter(seed("jincheng-drc-reply-125.txt").replace("民建晋城市委会：", "尊敬的王明代表："))
    assert (result["addressee"], result["proposer"]) == ("王明代表", "王明")


def test_result_has_exactly_the_glossary_keys_plus_extras():
    result = parse_letter(seed("jincheng-drc-reply-125.txt"))
    assert set(LETTER_KEYS) <= set(result)
    assert set(result) - set(LETTER_KEYS) == {"proposers", "split_units", "conflicts", "simplified"}


def test_seed_bytes_and_full_width_digits():
    data = seed("jincheng-drc-reply-125.txt").replace("125", "１２５").encode("utf-8")
    result = parse_letter_bytes(data, "letter.txt")
    assert "error" not in result
    assert result["proposal_number"] == "125"


# ----------------------------------------------------------------------------- composed letters

NPC_SEVERAL_DEPUTIES = """晋城市住房和城乡建设局文件

晋市建函〔2024〕36号              签发人：赵 强

关于市十五届人大二次会议第0224号建议的答复

张三、李四、王五三位代表：

你们提出的“关于加快老旧小区改造的建议”收悉。本件由我局主办，市财政局、市自然资源局协办。现答复如下：

一、工作进展
2023年，全市共改造老旧小区 56 个，惠及居民 1.2 万户（详见《晋城市城镇老旧小区改造实施方案》（晋市建发〔2023〕12 号））。

二、下一步打算
我们将继续加大工作力度，争取更多中央和省级资金支持。

主办单位：晋城市住房和城乡建设局
协办单位：晋城市财政局、晋城市自然资源局
联系人：刘洋  陈晨
联系电话：0356-2036611  13834567890

晋城市住房和城乡建设局
2024年7月15日
"""


def test_npc_suggestion_with_several_deputies_units_and_phones():
    result = parse_letter(NPC_SEVERAL_DEPUTIES)
    assert fields(result) == {
        "issuer": "晋城市住房和城乡建设局", "signed_by": "晋城市住房和城乡建设局",
        "doc_number": "晋市建函〔2024〕36号", "classification": None, "body": "人大",
        "region": "晋城市", "term": 15, "meeting": 2, "proposal_number": "0224",
        "proposer": "张三、李四、王五", "addressee": "张三、李四、王五三位代表", "title": "关于加快老旧小区改造的建议",
        "reply_date": "2024-07-15", "handlers": ["刘洋", "陈晨"], "leader": "赵强",
        "phones": ["0356-2036611", "13834567890"], "lead_unit": "晋城市住房和城乡建设局",
        "co_units": ["晋城市财政局", "晋城市自然资源局"],
    }
    assert result["proposers"] == ["张三", "李四", "王五"]
    assert result["warnings"] == []


COUNTY_CLASS_AT_BOTTOM = """沁水县教育局

沁教函〔2024〕23号

关于县十七届人民代表大会第三次会议第20240123号建议的答复

尊敬的王明代表：

您提出的《关于改善农村学校供暖条件的建议》收悉。经认真研究，现答复如下：

近年来，我县持续改善农村学校办学条件，2023年投入资金 1200 万元，完成 18 所学校的供暖改造。下一步，我们将按照轻重缓急，逐步解决其余学校的供暖问题。

此致
敬礼

沁水县教育局
二〇二四年五月二十三日

办理类别：B类
（联系人：李华，联系电话：0356-7022345）
"""


def test_county_letter_year_number_class_at_bottom_chinese_date():
    result = parse_letter(COUNTY_CLASS_AT_BOTTOM)
    assert fields(result) == {
        "issuer": "沁水县教育局", "signed_by": "沁水县教育局", "doc_number": "沁教函〔2024〕23号",
        "classification": "B", "body": "人大", "region": "沁水县", "term": 17, "meeting": 3,
        "proposal_number": "20240123", "proposer": "王明", "addressee": "王明代表",
        "title": "关于改善农村学校供暖条件的建议", "reply_date": "2024-05-23", "handlers": ["李华"],
        "leader": None, "phones": ["0356-7022345"], "lead_unit": None, "co_units": [],
    }


TRADITIONAL = """晉城市教育局

B類

關於市政協八屆三次會議第0224號提案的答覆

王明委員：

您提出的《關於加強鄉村教師隊伍建設的建議》收悉，現答覆如下：

近年來，我市高度重視鄉村教師隊伍建設，採取多項措施提升鄉村教師待遇。

負責人：張強
承辦人：李華
聯繫電話：0356-2022011

晉城市教育局
2024年6月10日
"""


def test_traditional_characters_output_as_printed_with_a_simplified_copy_for_matching():
    result = parse_letter(TRADITIONAL)
    assert fields(result) == {
        "issuer": "晉城市教育局", "signed_by": "晉城市教育局", "doc_number": None,
        "classification": "B", "body": "政协", "region": "晉城市", "term": 8, "meeting": 3,
        "proposal_number": "0224", "proposer": "王明", "addressee": "王明委員",
        "title": "關於加強鄉村教師隊伍建設的建議", "reply_date": "2024-06-10", "handlers": ["李華"],
        "leader": "張強", "phones": ["0356-2022011"], "lead_unit": None, "co_units": [],
    }  # every field as printed
    assert result["simplified"] == {
        "region": "晋城市", "issuer": "晋城市教育局", "signed_by": "晋城市教育局", "addressee": "王明委员",
        "title": "关于加强乡村教师队伍建设的建议", "handlers": ["李华"], "leader": "张强",
    }
    matched = parsing.for_matching(result)
    assert (matched["region"], matched["issuer"], matched["proposer"]) == ("晋城市", "晋城市教育局", "王明")
    assert result["warnings"] == ["信件为繁体字：各项按原文输出，与提案和单位匹配时使用简体"]
    gaoping = parse_letter(seed("gaoping-drst-reply-TA0010.txt"))
    assert not any("繁体" in w for w in gaoping["warnings"]) and gaoping["simplified"] == {}


TRADITIONAL_UNITS = """關於澤州縣第十六屆人民代表大會第五次會議第0042號代表建議的覆函
主辦單位：澤州縣發展和改革委員會    協辦單位：澤州縣衛生健康委員會、澤州縣民政局
張偉、劉陽代表：
你們提出的《關於加強鄉村醫療服務的建議》收悉，現答覆如下：
近年來，我縣高度重視鄉村醫療服務，採取多項措施。
承辦人：陳靜
聯繫電話：0356-3022011
澤州縣發展和改革委員會
2025年7月7日
"""


@pytest.mark.parametrize("converter", ["installed", "table"])
def test_traditional_units_region_and_proposer_printed_and_folded(converter, monkeypatch):
    if converter == "table":  # no converter package: the character table
        monkeypatch.setattr(script, "_T2S", lambda text: text.translate(script._FOLD))
    result = parse_letter(TRADITIONAL_UNITS)
    assert (result["body"], result["region"], result["term"], result["meeting"]) == ("人大", "澤州縣", 16, 5)
    assert result["signed_by"] == "澤州縣發展和改革委員會"
    assert result["lead_unit"] == "澤州縣發展和改革委員會"
    assert result["co_units"] == ["澤州縣衛生健康委員會", "澤州縣民政局"]
    assert (result["proposer"], result["proposers"]) == ("張偉、劉陽", ["張偉", "劉陽"])
    assert result["handlers"] == ["陳靜"] and result["title"] == "關於加強鄉村醫療服務的建議"
    matched = parsing.for_matching(result)
    assert (matched["region"], matched["signed_by"], matched["lead_unit"]) == (
        "泽州县", "泽州县发展和改革委员会", "泽州县发展和改革委员会")
    assert matched["co_units"] == ["泽州县卫生健康委员会", "泽州县民政局"]
    assert (matched["proposer"], matched["proposers"]) == ("张伟、刘阳", ["张伟", "刘阳"])
    assert matched["handlers"] == ["陈静"] and matched["title"] == "关于加强乡村医疗服务的建议"


def test_to_simplified_helper():
    assert parsing.to_simplified("晉城市陽城縣") == "晋城市阳城县"
    assert parsing.to_simplified("運城市鹽湖區") == "运城市盐湖区"
    assert parsing.to_simplified("") == ""
    assert "晋城市" == "晉城市".translate(script._FOLD)
    assert "覆盖" == "覆盖".translate(script._FOLD)  # 覆 is Simplified too


WEB_COPY = """首页 > 政务公开 > 建议提案办理
索引号：11140500MB1234567X/2024-00123    发布机构：晋城市教育局
发布日期：2024-06-03    浏览次数：123
关于市政协八届三次会议第88号提案的答复
字号：【大 中 小】  打印本页  关闭窗口
王明委员：您提出的《关于加强中小学心理健康教育的建议》收悉。现答复如下：
一、加强心理健康教育队伍建设。全市已配备专兼职心理健康教师 320 名。
二、下一步工作。我们将继续推进心理健康教育工作。
联系人：李华
联系电话：0356-2022011
晋城市教育局
20240530
主办单位：晋城市人民政府办公室  承办单位：晋城市大数据应用局
网站标识码：1405000001  晋ICP备05003251号-1
地址：晋城市凤台东街1111号  电话：0356-2196066  邮编：048000
"""


def test_web_copy_ignores_page_furniture_and_footer_phone():
    result = parse_letter(WEB_COPY)
    assert result["phones"] == ["0356-2022011"]
    assert result["reply_date"] == "2024-05-30"  # date line lost its separators; 发布日期 ignored
    assert result["lead_unit"] is None  # the site's 主办单位 is not the letter's
    assert result["proposal_number"] == "88"
    assert result["proposer"] == "王明"
    assert result["title"] == "关于加强中小学心理健康教育的建议"
    assert result["signed_by"] == "晋城市教育局"
    assert result["issuer"] is None
    assert result["region"] == "晋城市"
    assert (result["body"], result["term"], result["meeting"]) == ("政协", 8, 3)
    assert result["handlers"] == ["李华"]


NUMBERS_DISAGREE = """晋城市交通运输局

关于市政协八届三次会议第125号提案的答复

王明委员：

您提出的第126号提案《关于完善农村客运网络的建议》收悉。现答复如下：

我局高度重视农村客运工作。

承办人：李华
联系电话：0356-2022011

晋城市交通运输局
2024年6月10日
"""


def test_title_and_body_numbers_disagree_warn_and_pick_neither():
    result = parse_letter(NUMBERS_DISAGREE)
    assert result["proposal_number"] is None
    assert result["conflicts"]["proposal_number"] == ["125", "126"]
    assert any("125" in w and "126" in w and "不一致" in w for w in result["warnings"])
    assert result["title"] == "关于完善农村客运网络的建议"


SEVEN_DEPUTIES = """晋城市城区人民政府办公室
（A类）
关于区一届人大三次会议第(J027)号建议的答复
赵六等7位代表：
你们提出的关于加强社区养老服务的建议收悉，现答复如下：
……
分管领导：孙强
承办人员：周敏/吴刚
手机：139 1234 5678
晋城市城区人民政府办公室
2024.6.3
"""


def test_district_session_group_of_deputies_bracketed_number():
    result = parse_letter(SEVEN_DEPUTIES)
    assert result["classification"] == "A"
    assert (result["body"], result["term"], result["meeting"]) == ("人大", 1, 3)
    assert result["region"] == "城区"
    assert result["proposal_number"] == "J027"
    assert result["proposer"] == "赵六等7位代表"
    assert result["proposers"] == ["赵六"]
    assert result["title"] == "关于加强社区养老服务的建议"
    assert result["leader"] == "孙强"
    assert result["handlers"] == ["周敏", "吴刚"]
    assert result["phones"] == ["139 1234 5678"]
    assert result["reply_date"] == "2024-06-03"


COUNTY_CPPCC = """阳城县农业农村局
关于对政协阳城县第十届委员会第二次会议第6.11号提案的答复
县工商联：
贵单位提出的关于发展特色农产品加工业的提案已收悉，现答复如下：
一、基本情况
全县现有农产品加工企业 86 家。
阳城县农业农村局
2023-07-20
联系人：郭 伟    电话：0356-4221234；13700001111
"""


def test_county_cppcc_committee_session_dotted_number_plain_title():
    result = parse_letter(COUNTY_CPPCC)
    assert (result["body"], result["region"], result["term"], result["meeting"]) == ("政协", "阳城县", 10, 2)
    assert result["proposal_number"] == "6.11"
    assert result["proposer"] == "县工商联"
    assert result["title"] == "关于发展特色农产品加工业的提案"
    assert result["reply_date"] == "2023-07-20"
    assert result["handlers"] == ["郭伟"]
    assert result["phones"] == ["0356-4221234", "13700001111"]


LABELLED_TABLE_STYLE = """泽州县自然资源局
提案号：A-12	案由：关于加强耕地保护的建议
提案人：泽州县政协农业组
泽州县政协：
现将提案办理情况答复如下：
……
负责人	王刚	承办人	李丽	联系电话	0356-3056789
泽州县自然资源局
2024年8月1日
"""


def test_labelled_number_title_and_table_cells():
    result = parse_letter(LABELLED_TABLE_STYLE)
    assert result["proposal_number"] == "A-12"
    assert result["title"] == "关于加强耕地保护的建议"
    assert result["proposer"] == "泽州县政协农业组"
    assert result["body"] == "政协"
    assert result["region"] == "泽州县"  # no session text: from the unit's name
    assert (result["term"], result["meeting"]) == (None, None)
    assert "未能识别：届次" in result["warnings"]
    assert result["leader"] == "王刚"
    assert result["handlers"] == ["李丽"]
    assert result["phones"] == ["0356-3056789"]


PDF_SPACED = """晋 城 市 文 化 和 旅 游 局

关 于 市 政 协 八 届 三 次 会 议 第 1 3 号 提 案 的 答 复

民 革 晋 城 市 委 会 ：

贵 单 位 提 出 的 《 关 于 打 造 太 行 一 号 旅 游 品 牌 的 建 议 》 收 悉 。

承 办 人 ： 唐 志 文   李 鹏 慧

联 系 电 话 ： 0356 - 2196001

晋 城 市 文 化 和 旅 游 局

2024 年 5 月 20 日
"""


def test_pdf_text_with_every_character_spaced_out():
    result = parse_letter(PDF_SPACED)
    assert result["issuer"] == "晋城市文化和旅游局"
    assert result["proposal_number"] == "13"
    assert result["proposer"] == "民革晋城市委会"
    assert result["title"] == "关于打造太行一号旅游品牌的建议"
    assert result["handlers"] == ["唐志文", "李鹏慧"]
    assert result["phones"] == ["0356-2196001"]
    assert result["reply_date"] == "2024-05-20"


def test_page_break_inside_the_title_quote_is_joined():
    text = seed("jincheng-drc-reply-125.txt").replace(
        "《关于加快推动我市城乡融合发展的建议》", "《关于加快推动我市\n\n城乡融合发展的建议》"
    )
    assert parse_letter(text)["title"] == "关于加快推动我市城乡融合发展的建议"


def test_cited_document_number_in_body_is_not_the_letters_own():
    result = parse_letter(seed("jincheng-drc-reply-125.txt"))
    assert result["doc_number"] is None  # the body cites （晋市发改服务发〔2023〕64 号）


@pytest.mark.parametrize("printed, expected", [
    ("第 125 号", "125"), ("第0224号", "0224"), ("第20240123号", "20240123"), ("第A-12号", "A-12"),
    ("第(J027)号", "J027"), ("第6.11号", "6.11"), ("第TA0010", "TA0010"),
])
def test_number_forms_in_the_title(printed, expected):
    text = f"晋城市教育局\n关于市政协八届三次会议{printed}提案的答复\n王明委员：\n您的提案收悉。\n晋城市教育局\n2024年5月23日\n"
    assert parse_letter(text)["proposal_number"] == expected


@pytest.mark.parametrize("line, expected", [
    ("2024年5月23日", "2024-05-23"), ("二〇二四年五月二十三日", "2024-05-23"),
    ("二O二四年五月二十三日", "2024-05-23"), ("2024.5.23", "2024-05-23"),
    ("2024-05-23", "2024-05-23"), ("20240523", "2024-05-23"), ("2024 年 5 月 23 日", "2024-05-23"),
])
def test_reply_date_forms(line, expected):
    text = seed("jincheng-drc-reply-125.txt").replace("2024年5月23日", line)
    assert parse_letter(text)["reply_date"] == expected


def test_parse_date_helper():
    assert parse_date("2025年6月1日前") == "2025-06-01"
    assert parse_date("3月1日") is None
    assert parse_date("2025-02-30") is None


def test_class_glued_to_doc_number_and_conflicting_classes():
    text = seed("gaoping-drst-reply-TA0010.txt").replace("高发改发〔2025〕85号", "高发改发〔2025〕85号A类")
    result = parse_letter(text)
    assert result["classification"] == "A"
    assert result["doc_number"] == "高发改发〔2025〕85号"
    text = text.replace("联系电话：0356-5220956", "联系电话：0356-5220956\n\n办理类别：C类")
    result = parse_letter(text)
    assert result["classification"] is None
    assert result["conflicts"]["classification"] == ["A", "C"]


def test_doc_number_with_square_brackets_and_signer_on_the_same_line():
    text = seed("gaoping-drst-reply-TA0010.txt").replace(
        "高发改发〔2025〕85号", "高发改发[2025]85号    签发人：王强")
    result = parse_letter(text)
    assert result["doc_number"] == "高发改发[2025]85号"
    assert result["leader"] == "王强"


def test_missing_fields_are_null_not_guessed():
    result = parse_letter("关于加强城市绿化的建议\n\n收悉，谢谢。")
    assert result["proposal_number"] is None and result["reply_date"] is None
    assert result["issuer"] is None and result["region"] is None
    assert "未能识别：案号" in result["warnings"]
    assert "未能识别：答复日期" in result["warnings"]


# ----------------------------------------------------------------------------- garbage

@pytest.mark.parametrize("text", [
    "", " \n\n ", "\x00\x01\x02" * 1000, "ÿþ" * 5000, "第第第号号" * 210_000,
    random.Random(7).randbytes(2 << 20).decode("utf-16-le", errors="replace"),  # 1M random chars
    "承办人：" * 100_000, "《" * 300_000, "关于" + "第" * 500_000 + "答复",
    "\n".join(["关于市政协八届三次会议第125号提案的答复"] * 30_000),
])
def test_garbage_never_raises(text):
    # How fast it gives up on such input is measured in bench/bench_import.py, not asserted here.
    result = parse_letter(text)
    assert set(LETTER_KEYS) <= set(result)
    assert result["warnings"]
    assert isinstance(result["handlers"], list) and isinstance(result["phones"], list)


@pytest.mark.parametrize("data", [b"", os.urandom(1 << 20), os.urandom(3000), b"PK\x03\x04broken"])
def test_garbage_bytes_never_raise(data):
    result = parse_letter_bytes(data, "upload.txt")
    assert set(LETTER_KEYS) <= set(result)
    assert result.get("error") or result["warnings"]


def test_non_string_input():
    assert parse_letter(None)["warnings"]
    assert parse_letter(b"\xff\xfe\x00")["warnings"]


def test_cited_policy_in_quotes_is_not_the_title():
    text = seed("jincheng-drc-reply-125.txt").replace(
        "《关于加快推动我市城乡融合发展的建议》收悉，",
        "根据《关于建立健全城乡融合发展体制机制的实施意见》，您提出的“关于加快推动我市城乡融合发展的建议”收悉，",
    )
    assert parse_letter(text)["title"] == "关于加快推动我市城乡融合发展的建议"


def test_footer_phone_ignored_even_without_a_date_line():
    text = WEB_COPY.replace("20240530\n", "")
    text += "版权所有：晋城市教育局\n联系电话：0356-2196000\n网站标识码：1405000001\n"
    result = parse_letter(text)
    assert result["phones"] == ["0356-2022011"]
    assert result["reply_date"] == "2024-06-03"  # only the page's 发布日期, and said so
    assert "信中没有日期，答复日期取自网页的发布日期（2024-06-03），请核对" in result["warnings"]


def test_two_line_title_and_salutation_with_honorific():
    text = (
        "晋城市民政局\n关于市政协八届三次会议第77号\n提案的答复\n尊敬的刘芳委员：\n"
        "您提出的关于加强农村养老服务的提案收悉。\n联系人：王丽\n电话：0356-2020202\n晋城市民政局\n2024年6月1日\n"
    )
    result = parse_letter(text)
    assert result["proposal_number"] == "77"
    assert result["proposer"] == "刘芳"
    assert result["title"] == "关于加强农村养老服务的提案"
    assert (result["body"], result["region"]) == ("政协", "晋城市")


def test_lead_and_split_units():
    text = NPC_SEVERAL_DEPUTIES.replace(
        "主办单位：晋城市住房和城乡建设局\n协办单位：晋城市财政局、晋城市自然资源局\n",
        "分办单位：晋城市住房和城乡建设局、晋城市民政局\n",
    )
    result = parse_letter(text)
    assert result["lead_unit"] is None and result["co_units"] == []
    assert result["split_units"] == ["晋城市住房和城乡建设局", "晋城市民政局"]


@pytest.mark.parametrize("printed, expected", [
    ("A 类", "A"), ("A类（所提问题已经解决或基本解决）", "A"), ("答复类型：B类（正在解决）", "B"),
    ("（B）", "B"), ("办理结果：C类", "C"), ("类别：A", "A"), ("甲类", "甲"), ("办理结果：已解决", None),
])
def test_classification_forms(printed, expected):
    result = parse_letter(seed("jincheng-drc-reply-125.txt").replace("A 类", printed))
    assert result["classification"] == expected


@pytest.mark.parametrize("salutation, proposer, names", [
    ("尊敬的王明代表", "王明", ["王明"]),
    ("张三、李四代表", "张三、李四", ["张三", "李四"]),
    ("张三、李四、王三三位代表", "张三、李四、王三", ["张三", "李四", "王三"]),
    ("赵六等7位代表", "赵六等7位代表", ["赵六"]),
    ("赵六等代表", "赵六等代表", ["赵六"]),
    ("民盟晋城市委会、农工党晋城市委会", "民盟晋城市委会、农工党晋城市委会", ["民盟晋城市委会", "农工党晋城市委会"]),
    ("各位代表", None, []),
])
def test_salutation_forms(salutation, proposer, names):
    result = parse_letter(NPC_SEVERAL_DEPUTIES.replace("张三、李四、王五三位代表", salutation))
    assert result["proposer"] == proposer
    assert result["proposers"] == names


def test_reply_with_unit_in_title_and_notes_after_the_date():
    text = (
        "晋城市城市管理局关于对市十五届人大三次会议第120号建议的答复\n\n张三代表：\n\n"
        "您提出的《关于加快推进城区停车场建设的建议》收悉，现答复如下：\n……\n\n"
        "晋城市城市管理局\n二〇二三年七月二十日\n\n（联系人：王五，联系电话：0356-2196123）\n"
        "抄送：市人大常委会人代工委，市政府督查室。\n"
    )
    result = parse_letter(text)
    assert result["issuer"] == "晋城市城市管理局"
    assert result["region"] == "晋城市"
    assert (result["body"], result["term"], result["meeting"], result["proposal_number"]) == ("人大", 15, 3, "120")
    assert result["reply_date"] == "2023-07-20"
    assert result["handlers"] == ["王五"] and result["phones"] == ["0356-2196123"]
    assert not any("不一致" in w for w in result["warnings"])


# ----------------------------------------------------------------------------- numbers split by a space

@pytest.mark.parametrize("printed, expected", [
    ("第 TA05 34 提案", "TA0534"), ("第 TA 0133 提案", "TA0133"), ("第TA0010提案", "TA0010"),
    ("第 125 号提案", "125"), ("第 12 5 号提案", "125"), ("第 TA019 9 提案", "TA0199"),
])
def test_number_with_a_space_inside_and_no_hao(printed, expected):
    text = (f"关于市政协八届一次会议{printed}的答复\n王明委员：\n您的提案收悉，现答复如下：\n"
            "……\n晋城市教育局\n2024年5月23日\n")
    result = parse_letter(text)
    assert result["proposal_number"] == expected
    assert (result["body"], result["term"], result["meeting"]) == ("政协", 8, 1)


def test_number_with_a_space_inside_before_a_deputy_suggestion():
    text = ("关于市十五届人大二次会议第 12 5 代表建议的答复\n王明代表：\n您的建议收悉。\n"
            "晋城市教育局\n2024年5月23日\n")
    assert parse_letter(text)["proposal_number"] == "125"
    traditional = "關於市政協八屆一次會議第 TA05 34 提案的覆函\n王明委員：\n您的提案收悉。\n晉城市教育局\n2024年5月23日\n"
    assert parse_letter(traditional)["proposal_number"] == "TA0534"


# ----------------------------------------------------------------------------- PDF line wrapping

def wrapped(text: str, width: int = 36, columns: bool = False) -> str:
    """What pypdf reads from a PDF printed with ``width`` characters a line (as reportlab draws
    it in bench/bench_import.py), or ``width`` display columns with ``columns`` (a CJK character
    is two, as a word processor fills a justified line): long lines cut at the width, a run of
    digits or letters moved whole to the next line, no blank lines."""
    out = []
    for line in text.split("\n"):
        while line.strip():
            cut, used = 0, 0
            while cut < len(line):
                size = 2 if columns and unicodedata.east_asian_width(line[cut]) in "WF" else 1
                if used + size > width:
                    break
                used, cut = used + size, cut + 1
            if cut < len(line) and re.match(r"[0-9A-Za-z]{2}", line[cut - 1: cut + 1]):
                run = re.search(r"[0-9A-Za-z.\-]+$", line[:cut])
                cut = run.start() if run and run.start() > 0 else cut
            out.append(line[:cut])
            line = line[cut:]
    return "\n".join(out)


PDF_BODY = ("近年来，我区高度重视城乡融合发展工作，不断深化改革，建立健全体制机制和政策体系，细化落实重点工作任务，"
            "促进城乡要素双向自由流动和公共资源合理配置，加快农业农村现代化和乡村振兴。2023年，全区新改建农村公路"
            "416公里，其中自然村通硬化路140公里，乡镇通三级及以上公路37公里，使农村居民出行更加便利。")
PDF_LETTER = """小店区教育局
{title}
{units}
民盟太原市委会：
{opening}
{body}
{body}
感谢贵单位对我区工作的关心和支持。
{contacts}
{footer}小店区教育局
2024年5月4日
"""
PDF_FIELDS = {
    "issuer": "小店区教育局", "signed_by": "小店区教育局", "doc_number": None, "classification": None,
    "body": "政协", "region": "小店区", "term": 8, "meeting": 4, "proposal_number": "TA0419",
    "proposer": "民盟太原市委会", "addressee": "民盟太原市委会", "title": "关于加快推进城乡融合发展的提案", "reply_date": "2024-05-04",
    "handlers": ["李华", "张伟", "赵敏"], "leader": "王强", "phones": ["0351-2015955", "13912345678"],
    "lead_unit": None, "co_units": [],
}
PDF_DEFAULTS = {
    "title": "关于小店区第八届政治协商会议第四次会议第TA0419提案的答复",
    "units": "",
    "opening": "贵单位提出的“关于加快推进城乡融合发展的提案”收悉，现答复如下：",
    "contacts": "负责人：王强\n承办人：李华、张伟、赵敏\n联系电话：0351-2015955，13912345678",
    "footer": "",
}


@pytest.mark.parametrize("case, parts, split, changes", [
    ("second phone on the next line",
     {"contacts": "负责人：王强\n承办人：李华、张伟、赵敏    电话：0351-2015955，13912345678"},
     "0351-2015955，\n13912345678", {}),
    ("a phone number cut after its area code",
     {"contacts": "负责人：王强    承办人：李华、张伟、赵敏    联系电话：0351-2015955，13912345678"},
     "联系电话：0351-\n2015955", {}),
    ("the whole phone value on the next line",
     {"contacts": "负责人：王强    承办人：李华、张伟、赵敏、陈晨    联系电话：0351-2015955，13912345678"},
     "联系电话：\n0351-2015955", {"handlers": ["李华", "张伟", "赵敏", "陈晨"]}),
    ("the label's colon on the next line",
     {"contacts": "负责人：王强    承办人：李华、张伟、赵敏、陈晨、刘洋    联系电话：0351-2015955，13912345678"},
     "联系电话\n：0351", {"handlers": ["李华", "张伟", "赵敏", "陈晨", "刘洋"]}),
    ("a co-unit cut inside its name",
     {"units": "主办单位：小店区教育局    协办单位：小店区农业农村局、小店区卫生健康委员会"},
     "小店区卫生健康\n委员会", {"lead_unit": "小店区教育局", "co_units": ["小店区农业农村局", "小店区卫生健康委员会"]}),
    ("a co-unit line cut just above the signature",
     {"footer": "主办单位：小店区教育局    协办单位：小店区农业农村局、小店区发展和改革委员会\n"},
     "小店区发展和改\n革委员会", {"lead_unit": "小店区教育局", "co_units": ["小店区农业农村局", "小店区发展和改革委员会"]}),
    ("the first paragraph cut before its comma",
     {"opening": "贵单位在区政协八届四次会议上提出的“关于加快推进城乡融合发展的提案”收悉，经我局认真研究，现答复如下："},
     "收悉\n，经我局认真研究", {}),
    ("the title cut before its last character",
     {"title": "小店区教育局关于小店区第八届政治协商会议第四次会议第TA0419提案的答复"},
     "的答\n复", {}),
    ("the class line under wrapped phones",
     {"contacts": "负责人：王强    承办人：李华、张伟、赵敏    电话：0351-2015955，13912345678\n【D类】"},
     "13912345678\n【D类】", {"classification": "D"}),
])
def test_pdf_line_wrapping_keeps_values_whole(case, parts, split, changes):
    text = wrapped(PDF_LETTER.format(body=PDF_BODY, **{**PDF_DEFAULTS, **parts}))
    assert split in text, case  # the wrap falls where this case needs it
    result = parse_letter(text)
    assert fields(result) == {**PDF_FIELDS, **changes}, case
    assert not any("未能识别" in w for w in result["warnings"]), case


def test_pdf_line_wrapping_at_other_widths_and_the_txt_unchanged():
    parts = {**PDF_DEFAULTS,
             "units": "主办单位：小店区教育局    协办单位：小店区农业农村局、小店区卫生健康委员会",
             "contacts": "负责人：王强    承办人：李华、张伟、赵敏    联系电话：0351-2015955，13912345678\n【D类】"}
    text = PDF_LETTER.format(body=PDF_BODY, **parts)
    want = {**PDF_FIELDS, "classification": "D", "lead_unit": "小店区教育局",
            "co_units": ["小店区农业农村局", "小店区卫生健康委员会"]}
    assert fields(parse_letter(text)) == want
    for width in (28, 32, 36, 40, 44):
        assert fields(parse_letter(wrapped(text, width))) == want, width
    for width in (60, 72, 84):
        assert fields(parse_letter(wrapped(text, width, columns=True))) == want, width


def test_values_carried_on_the_next_line_without_a_page_width():
    # Too short to tell a page width: the value rules alone.
    text = (
        "关于市政协八届三次会议第125号提案的答\n复\n王明委员：\n您的提案收悉，现答复如下：\n……\n"
        "承办人：李华、张伟    联系电话\n：0356-2021234，\n13812345678\n【B类】\n"
        "协办单位：晋城市农业农村局、晋城市卫\n生健康委员会\n晋城市教育局\n2024年5月23日\n"
    )
    result = parse_letter(text)
    assert result["proposal_number"] == "125" and result["proposer"] == "王明"
    assert result["handlers"] == ["李华", "张伟"]
    assert result["phones"] == ["0356-2021234", "13812345678"]
    assert result["classification"] == "B"
    assert result["co_units"] == ["晋城市农业农村局", "晋城市卫生健康委员会"]
    assert result["signed_by"] == "晋城市教育局"
    result = parse_letter("关于市政协八届三次会议第125号提案的答复\n王明委员：\n您的提案收悉。\n"
                          "承办人：李华\n13812345678\n联系电话：0356-2022011\n20240530\n")
    assert result["handlers"] == ["李华"]
    assert result["phones"] == ["13812345678", "0356-2022011"]
    assert result["reply_date"] == "2024-05-30"  # a date line after the phones is not a phone


def test_a_first_paragraph_cut_before_its_comma_is_not_a_title():
    text = ("王明委员：\n您在市政协八届三次会议上提出的“关于加强乡村教师队伍建设的提案”收悉\n"
            "，经我局认真研究，现答复如下：\n……\n晋城市教育局\n2024年5月23日\n")
    result = parse_letter(text)
    assert result["proposer"] == "王明"
    assert result["title"] == "关于加强乡村教师队伍建设的提案"
    assert (result["term"], result["meeting"], result["region"]) == (8, 3, "晋城市")


def test_a_label_word_is_never_a_name():
    assert split_names("李华、张伟 联系电话") == ["李华", "张伟"]
    assert split_names("何娟涛聯繫電話") == ["何娟涛"]
    result = parse_letter("关于市政协八届三次会议第125号提案的答复\n王明委员：\n您的提案收悉。\n"
                          "承办人：李华 联系电话\n晋城市教育局\n2024年5月23日\n")
    assert result["handlers"] == ["李华"]


def test_a_full_title_line_is_not_joined_to_the_salutation():
    title = "关于潞州区第十八届人民代表大会第二次会议第C-389号代表建议的答复"
    text = wrapped(PDF_LETTER.format(body=PDF_BODY, **{
        **PDF_DEFAULTS, "title": title + "\n关于加快推进城乡融合发展的建议",
        "opening": "您提出的建议收悉，现答复如下：",
    }).replace("民盟太原市委会：", "尊敬的黄琪凯代表："), width=len(title))
    result = parse_letter(text)
    assert (result["body"], result["proposal_number"], result["proposer"]) == ("人大", "C-389", "黄琪凯")
    assert result["title"] == "关于加快推进城乡融合发展的建议"
