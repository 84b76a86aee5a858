"""Fuzzy look-up in chat, through the emulator: the examples staff must be able to rely on."""

import pytest

from bot.model import Proposal
from tests.conftest import MODES, STRANGER

# every conversation here runs with long polling and with a webhook
pytestmark = pytest.mark.parametrize("chat", MODES, indirect=True)


def labels(message):
    return [label for row in message.buttons for label, _ in row]


async def test_abbreviation_offers_the_reform_units(chat):
    (answer,) = await chat.send("/dept 发改委")
    assert answer.text == "您是要找："
    found = labels(answer)
    for unit in ("晋城市发展和改革委员会", "高平市发展改革和科技局", "高平市发展和改革委员会"):
        assert any(unit in label for label in found), found
    index = next(i for i, label in enumerate(found) if "晋城市发展和改革委员会" in label)
    (listing,) = await chat.press(answer, index)
    assert "晋城市发展和改革委员会" in listing.text
    assert "目前没有在办" in listing.text  # the sample 125 is replied


@pytest.mark.parametrize("typed", ["唐志文", "tangzhiwen", "tzw"])
async def test_contact_spellings_find_tang_zhiwen(chat, typed):
    (card,) = await chat.send(f"/contact {typed}")
    assert card.text.splitlines()[0] == "唐志文 · 高平市发展改革和科技局"
    assert "电话：0356-5220956" in card.text
    assert "TA0010" in card.text


async def test_shared_phone_offers_everyone_on_it(chat):
    # 唐志文 and 李鹏慧 share the office line printed on the letter.
    (answer,) = await chat.send("/contact 5220956")
    assert answer.text == "您是要找："
    assert sorted(labels(answer)) == ["联系人 · 唐志文 · 高平市发展改革和科技局", "联系人 · 李鹏慧 · 高平市发展改革和科技局"]
    (card,) = await chat.press(answer, "唐志文")
    assert "电话：0356-5220956" in card.text


async def test_typo_is_offered_not_asserted(chat):
    (answer,) = await chat.send("/contact 唐志问")
    if answer.buttons:
        assert any("唐志文" in label for label in labels(answer))
        (card,) = await chat.press(answer, 0)
        assert "0356-5220956" in card.text
    else:
        assert "唐志文" in answer.text and "0356-5220956" in answer.text


@pytest.mark.parametrize("typed", ["TA10", "ta-0010"])
async def test_number_forms_find_ta0010(chat, typed):
    (card,) = await chat.send(f"/find {typed}")
    assert "第TA0010号" in card.text and "九三学社高平市支社" in card.text


async def test_status_and_find_suggest_the_same_near_numbers(chat):
    """One reading of a typed number: /status 1250 and /find 1250 offer the same numbers, in
    the same order (a digit too many first, then a swap, a wrong digit, a missing digit)."""
    with chat.services.repo.batch():
        for number in ("1251", "1205", "250", "12500"):
            chat.services.repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number=number,
                                            title=f"关于第{number}号事项的建议"))
    (status,) = await chat.send("/status 1250")
    assert status.text == "未找到第1250号。相近的有：125、250、1205。"
    (found,) = await chat.send("/find 1250")
    assert found.text.startswith("未找到第1250号。相近的有：125、250、1205。")
    numbers = [label.split("第")[1].split("号")[0] for label in labels(found)]
    assert numbers == ["125", "250", "1205"]


async def test_title_phrase_finds_both_seed_proposals(chat):
    (answer,) = await chat.send("/find 城乡融合")
    found = " ".join(labels(answer))
    assert "第125号" in found and "第TA0010号" in found


async def test_plain_messages_are_best_guesses(chat):
    (card,) = await chat.send("九三")
    if card.buttons:
        assert any("TA0010" in label for label in labels(card))
    else:
        assert "九三学社高平市支社" in card.text
    (status,) = await chat.send("125")
    assert status.text.startswith("政协 · 晋城市八届三次会议 · 第125号")
    (person,) = await chat.send("tzw")
    assert "0356-5220956" in person.text


@pytest.mark.parametrize("typed", ["", "查" * 5000, "😀😀\x01\x02", "<b>&amp;"])
async def test_bad_queries_get_a_clear_message(chat, typed):
    (answer,) = await chat.send(f"/find {typed}".strip())
    assert answer.text and "Traceback" not in answer.text and "出错" not in answer.text


async def test_dept_pages_long_lists(chat):
    with chat.services.repo.batch():
        for n in range(23):
            chat.services.repo.put(Proposal(
                body="政协", region="晋城市", term=8, meeting=3, number=str(300 + n),
                title=f"关于第{n}项工作的建议", lead_unit="晋城市教育局", state="handling",
                assigned_date="2026-10-01", due_date=f"2027-01-{n + 1:02d}"))
    (page1,) = await chat.send("/dept 晋城市教育局")
    assert "在办 23 件" in page1.text and "第 1/3 页" in page1.text
    assert page1.text.index("300 ") < page1.text.index("301 ")  # soonest due first
    assert labels(page1) == ["下一页 ▶"]
    (page2,) = await chat.press(page1, 0)
    assert "第 2/3 页" in page2.text and "310 " in page2.text
    assert labels(page2) == ["◀ 上一页", "下一页 ▶"]


async def test_stranger_learns_nothing_from_search(chat):
    (answer,) = await chat.send("唐志文", user=STRANGER)
    assert "尚未获得使用权限" in answer.text and "0356" not in answer.text
