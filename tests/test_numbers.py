import pytest

from bot.numbers import cn_to_int, near_keys, number_key, number_keys, parse_number_query, parse_session


@pytest.mark.parametrize("typed", ["125", "125号", "第125号", "１２５", "提案第125号", "第 125 号", " 125 "])
def test_plain_number_forms_share_one_key(typed):
    assert number_key(typed) == "125"


@pytest.mark.parametrize("typed", ["TA0010", "ta10", "TA-0010", "ＴＡ００１０", "第TA0010提案", "ta 0010"])
def test_letter_number_forms_share_one_key(typed):
    assert number_key(typed) == "TA10"


def test_other_printed_forms():
    assert number_key("0224") == number_key("224") == "224"
    assert number_key("第6.11号") == "6.11"
    assert number_key("第(J027)号") == number_key("J27") == "J27"
    assert number_key("A-12") == "A12"
    assert number_key("") == ""
    assert number_key("第号") == ""


def test_year_prefixed_number_answers_to_its_sequence():
    assert number_keys("20190017") == {"20190017", "17"}
    assert number_keys("125") == {"125"}


@pytest.mark.parametrize(
    "text,term,meeting,body",
    [
        ("关于市政协八届三次会议第 125 号提案的答复", 8, 3, "政协"),
        ("关于高平市第七届政治协商会议第五次会议 第TA0010提案的答复", 7, 5, "政协"),
        ("县十七届人民代表大会第三次会议", 17, 3, "人大"),
        ("区一届人大三次会议", 1, 3, "人大"),
        ("政协XX县第十届委员会第二次会议", 10, 2, "政协"),
    ],
)
def test_session_text(text, term, meeting, body):
    session = parse_session(text)
    assert (session.term, session.meeting, session.body) == (term, meeting, body)


def test_chinese_numerals():
    assert cn_to_int("八") == 8
    assert cn_to_int("十七") == 17
    assert cn_to_int("二十一") == 21
    assert cn_to_int("二〇二四") == 2024
    assert cn_to_int("abc") is None


def test_query_with_session():
    query = parse_number_query("八届三次 125")
    assert query.key == "125" and (query.session.term, query.session.meeting) == (8, 3)
    query = parse_number_query("第七届第五次会议 TA10")
    assert query.key == "TA10" and query.session.term == 7
    assert parse_number_query("125").session is None


def test_one_reading_of_a_typed_number():
    query = parse_number_query("晋城市政协八届三次会议第125号", [("晋城市", "晋城市"), ("晋城", "晋城市")])
    assert (query.key, query.region, query.body, query.only_number) == ("125", "晋城市", "政协", True)
    assert (query.session.term, query.session.meeting) == (8, 3)
    assert parse_number_query("人大4号").body == "人大" and parse_number_query("提案第4号").body == "政协"
    assert parse_number_query("第(J027)号").key == "J27" and parse_number_query("6.11").only_number
    # Words besides the number: still a key for /status, not a number for a search.
    assert parse_number_query("城乡融合 125").only_number is False
    assert parse_number_query("ta 10").key == "TA10" and not parse_number_query("ta 10").only_number
    assert not parse_number_query("关于").only_number


def test_near_keys_in_the_order_offered():
    near = near_keys("1250")
    # a digit too many, then two neighbours swapped, each in number order
    assert near[:7] == ["120", "125", "150", "250", "1205", "1520", "2150"]
    assert near.index("1251") < near.index("12500") and "1250" not in near
    assert len(near) == len(set(near)) and not any(k.startswith("0") for k in near)
    assert near_keys("TA10")[:2] == ["TA0", "TA1"] and "TA100" in near_keys("TA10")  # keys have no leading 0
