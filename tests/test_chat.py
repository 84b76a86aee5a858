"""The foundation, end to end: real HTTP, real handlers, a real TinyDB file."""

import asyncio
import re

import pytest

from bot.model import Proposal
from bot.render import split_message
from bot.card import card_text
from tests.conftest import MODES, ADMIN, STAFF, STRANGER

# every conversation here runs with long polling and with a webhook
pytestmark = pytest.mark.parametrize("chat", MODES, indirect=True)


async def test_start_and_help_in_chinese(chat):
    (welcome,) = await chat.send("/start")
    assert "提案办理助手" in welcome.text and "管理员" in welcome.text
    (help_text,) = await chat.send("/help")
    assert "/status" in help_text.text and "/grant" in help_text.text
    (staff_help,) = await chat.send("/help", user=STAFF)
    assert "/status" in staff_help.text and "/grant" not in staff_help.text


async def test_command_menu_registered_with_chinese_descriptions(chat):
    common = chat.emulator.commands()
    names = {c["command"]: c["description"] for c in common}
    assert "status" in names and re.search(r"[\u4e00-\u9fff]", names["status"])
    assert "grant" not in names


async def test_status_found(chat):
    (card,) = await chat.send("/status 125")
    lines = card.text.splitlines()
    assert lines[0] == "政协 · 晋城市八届三次会议 · 第125号"
    assert lines[1] == "关于加快推动我市城乡融合发展的建议"
    assert "提案人：民建晋城市委会" in card.text
    assert "主办：晋城市发展和改革委员会" in card.text
    assert "状态：已答复 · A类 · 2024-05-23" in card.text
    assert "6999022" in card.text
    (gaoping,) = await chat.send("/status TA10", user=STAFF)
    assert "九三学社高平市支社" in gaoping.text and "唐志文 0356-5220956" in gaoping.text
    assert "高发改发〔2025〕85号" in gaoping.text


async def test_status_not_found_suggests_nearest(chat):
    (answer,) = await chat.send("/status 1250")
    assert answer.text == "未找到第1250号。相近的有：125。"
    (usage,) = await chat.send("/status")
    assert "用法" in usage.text


async def test_status_ambiguous_offers_sessions_then_pick(chat):
    chat.services.repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=4, number="0125",
                                    title="关于第四次会议的提案", state="handling"))
    chat.services.repo.put(Proposal(body="人大", region="晋城市", term=17, meeting=2, number="125",
                                    title="关于人大建议的建议"))
    (choice,) = await chat.send("/status 125")
    assert choice.text.startswith("找到 3 件第125号，请选择：")
    labels = [label for row in choice.buttons for label, _ in row]
    assert len(labels) == 3 and "十七届二次" in labels[0]  # newest first
    (picked,) = await chat.press(choice, index=1)
    assert picked.message_id == choice.message_id  # the choice is replaced by the card
    assert "关于第四次会议的提案" in picked.text


async def test_unknown_user_is_refused_with_own_id_only(chat):
    (refusal,) = await chat.send("/status 125", user=STRANGER)
    assert refusal.text == f"抱歉，您尚未获得使用权限。请将您的用户编号 {STRANGER} 发给管理员开通。"
    assert "125" not in refusal.text.replace(str(STRANGER), "")
    (refusal2,) = await chat.send("城乡融合", user=STRANGER)
    assert "尚未获得使用权限" in refusal2.text


async def test_grant_and_revoke(chat):
    (denied,) = await chat.send("/grant 4242 staff", user=STAFF)
    assert "仅限管理员" in denied.text
    (granted,) = await chat.send("/grant 4242 staff")
    assert "已授权用户 4242 为工作人员" in granted.text
    (card,) = await chat.send("/status 125", user=STRANGER)
    assert "民建晋城市委会" in card.text
    (listing,) = await chat.send("/users")
    assert "4242 · 工作人员 · 由 1001 授权" in listing.text
    (revoked,) = await chat.send("/revoke 4242")
    assert "已撤销" in revoked.text
    (refused,) = await chat.send("/status 125", user=STRANGER)
    assert "尚未获得使用权限" in refused.text
    (usage,) = await chat.send("/grant abc king")
    assert "用法" in usage.text
    actions = [e["action"] for e in chat.services.repo.audit_entries()]
    assert actions == ["grant", "revoke"]


async def test_markup_characters_in_title_still_send(chat):
    chat.services.repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number="77",
                                    title="关于<b>加强</b> & 改进_停车*管理 </i> 的建议", proposer="张<三>"))
    (card,) = await chat.send("/status 77")
    assert "关于<b>加强</b> & 改进_停车*管理 </i> 的建议" in card.text
    assert "张<三>" in card.text


async def test_ten_thousand_character_card_is_split_into_valid_messages(chat):
    long_title = "关于" + "城乡<融合>&发展" * 1100 + "的建议"
    chat.services.repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number="88",
                                    title=long_title, warnings=["注意" * 30] * 20))
    proposal = chat.services.repo.find_by_number("88")[0]
    expected = len(split_message(card_text(chat.services, proposal)))
    assert expected >= 3
    parts = await chat.send("/status 88", expect=expected)
    assert all(len(p.text) <= 4096 for p in parts)
    assert parts[0].text.startswith("政协 · 晋城市八届三次会议 · 第88号")
    joined = "".join(p.text for p in parts)
    assert long_title in joined.replace("\n", "")


async def test_hundred_simultaneous_writes_none_lost(chat):
    markers = {uid: chat.emulator.mark(ADMIN) for uid in [ADMIN]}
    for n in range(100):
        chat.emulator.push_text(ADMIN, f"/grant {5000 + n} staff")
    await chat.emulator.await_sent(ADMIN, count=100, since=markers[ADMIN], timeout=30)
    from bot.storage import Repository

    again = Repository(chat.services.repo.path, read_only=True)  # beside the running bot
    assert sorted(u.user_id for u in again.all_users()) == list(range(5000, 5100))
    assert len(again.audit_entries()) == 100


async def test_handler_failure_reaches_user_as_chinese_apology(chat, monkeypatch):
    from handlers import status

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(status, "lookup_number", broken)
    (apology,) = await chat.send("/status 125")
    assert "出错" in apology.text and "boom" not in apology.text and "Traceback" not in apology.text
