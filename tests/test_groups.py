"""The bot in group chats: who gets answers, what they may see, where linking happens."""

import pytest
import asyncio
import logging
import re

from bot.model import Contact
from bot.render import PRIVATE_ONLY
from tests.conftest import MODES, ADMIN, STAFF, STRANGER

# every conversation here runs with long polling and with a webhook
pytestmark = pytest.mark.parametrize("chat", MODES, indirect=True)

GROUP = -1001234
BOT = "proposal_test_bot"
HANDLER_PHONE = "0356-5220956"  # 唐志文, handler of TA0010
REPLY_PHONE = "6999022"  # the 联系电话 of the reply letter to 125


async def until(condition, timeout: float = 10.0) -> None:
    """Wait for something the bot does without answering (a log line, a stored link)."""
    for _ in range(int(timeout / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("condition not met")


def refused(caplog, user: int) -> bool:
    return any(f"refused user {user}" in r.getMessage() for r in caplog.records)


def url_buttons(message) -> list[str]:
    rows = (message.reply_markup or {}).get("inline_keyboard", [])
    return [b["url"] for row in rows for b in row if "url" in b]


async def test_group_unknown_member_silence_and_no_phones_until_allowed(chat, caplog):
    caplog.set_level(logging.WARNING)
    chat.emulator.add_group(GROUP, "发改委工作群")
    chat.emulator.push_text(STRANGER, f"/status@{BOT} 125", chat_id=GROUP)
    await until(lambda: refused(caplog, STRANGER))
    assert chat.emulator.events(GROUP) == []  # an unknown member gets no answer in a group

    (card,) = await chat.send(f"/status@{BOT} 125", user=STAFF, chat_id=GROUP)
    assert "关于加快推动我市城乡融合发展的建议" in card.text
    assert REPLY_PHONE not in card.text and "私聊中查看" in card.text
    proposal_id = chat.services.repo.find_by_number("125")[0].id
    assert url_buttons(card) == [f"https://t.me/{BOT}?start=p{proposal_id}"]
    (contact,) = await chat.send(f"/contact@{BOT} 唐志文", user=STAFF, chat_id=GROUP)
    assert HANDLER_PHONE not in contact.text and PRIVATE_ONLY in contact.text
    (gaoping,) = await chat.send("/status TA10", user=STAFF, chat_id=GROUP)
    assert "唐志文" in gaoping.text and HANDLER_PHONE not in gaoping.text

    (denied,) = await chat.send("/group allow", user=STAFF, chat_id=GROUP)
    assert "仅限管理员" in denied.text
    (allowed,) = await chat.send(f"/group@{BOT} allow", chat_id=GROUP)
    assert "已允许" in allowed.text
    (card,) = await chat.send("/status 125", user=STAFF, chat_id=GROUP)
    assert REPLY_PHONE in card.text and url_buttons(card) == []
    (listing,) = await chat.send("/users")
    assert f"{GROUP} 发改委工作群 · 由 {ADMIN}" in listing.text
    assert re.search(rf"由 {ADMIN} 于 \d{{4}}-\d\d-\d\d \d\d:\d\d 允许", listing.text)  # local time, not UTC ISO
    (in_group,) = await chat.send("/users", chat_id=GROUP)
    assert "私聊" in in_group.text and str(STAFF) not in in_group.text

    (revoked,) = await chat.send("/group deny", chat_id=GROUP)
    assert "不再显示" in revoked.text
    (card,) = await chat.send("/status 125", user=STAFF, chat_id=GROUP)
    assert REPLY_PHONE not in card.text
    actions = [(e["action"], e.get("chat_id")) for e in chat.services.repo.audit_entries()]
    assert ("group_allow", GROUP) in actions and ("group_deny", GROUP) in actions
    # the button's deep link, opened in the private chat, shows the whole card
    (private,) = await chat.send(f"/start p{proposal_id}", user=STAFF)
    assert REPLY_PHONE in private.text
    (refusal,) = await chat.send(f"/start p{proposal_id}", user=STRANGER)
    assert "尚未获得使用权限" in refusal.text and REPLY_PHONE not in refusal.text


async def test_privacy_mode_only_mentions_and_replies_reach_the_bot(chat):
    chat.emulator.add_group(GROUP)
    chat.emulator.push_text(STAFF, "125", chat_id=GROUP)  # plain chatter: withheld by Telegram
    assert [m["text"] for m in chat.emulator.withheld] == ["125"]
    chat.emulator.push_text(STAFF, "/status@other_bot 125", chat_id=GROUP)  # another bot's command
    assert len(chat.emulator.withheld) == 2
    (card,) = await chat.send(f"@{BOT} 125", user=STAFF, chat_id=GROUP)
    assert card.text.startswith("政协 · 晋城市八届三次会议 · 第125号")
    (other,) = await chat.send("TA10", user=STAFF, chat_id=GROUP, reply_to=card.message_id)
    assert "九三学社高平市支社" in other.text
    assert chat.emulator.events(GROUP) == [card, other]


async def test_link_and_token_only_in_private_and_relink_needs_an_admin(chat, caplog):
    caplog.set_level(logging.WARNING)
    chat.emulator.add_group(GROUP)
    (refusal,) = await chat.send(f"/link@{BOT} 唐志文", chat_id=GROUP)
    assert "私聊" in refusal.text and "start=" not in refusal.text
    (issued,) = await chat.send("/link 唐志文")
    token = issued.text.split("start=")[1].split()[0]

    # a token pasted in a group could be used by any member: it is revoked, the group told
    # without the token or the name, the admin who issued it told privately
    told = len(chat.emulator.sent(ADMIN))
    (not_here,) = await chat.send(f"/start {token}", user=STAFF, chat_id=GROUP)
    assert "已作废" in not_here.text and token not in not_here.text and "唐志文" not in not_here.text
    assert "唐志文" in chat.emulator.sent(ADMIN)[told].text and "已作废" in chat.emulator.sent(ADMIN)[told].text
    contact = next(c for c in chat.services.repo.contacts() if c.name == "唐志文")
    (dead,) = await chat.send(f"/start {token}", user=STRANGER)
    assert "已作废" in dead.text and chat.services.repo.get(Contact, contact.id).telegram_user_id is None
    # a new link pasted by a member the bot does not know: revoked all the same
    (issued,) = await chat.send("/link 唐志文")
    token = issued.text.split("start=")[1].split()[0]
    (notice,) = await chat.send(f"/start@{BOT} {token}", user=STRANGER, chat_id=GROUP)
    assert "已作废" in notice.text
    chat.emulator.privacy_mode = False  # a bot that sees every group message: the link itself
    (issued,) = await chat.send("/link 唐志文")
    token = issued.text.split("start=")[1].split()[0]
    (notice,) = await chat.send(f"链接：https://t.me/{BOT}?start={token}", user=STAFF, chat_id=GROUP)
    assert "已作废" in notice.text
    chat.emulator.privacy_mode = True
    (dead,) = await chat.send(f"/start {token}", user=STRANGER)
    assert "已作废" in dead.text
    # a link kept private works
    (issued,) = await chat.send("/link 唐志文")
    token = issued.text.split("start=")[1].split()[0]
    chat.emulator.push_text(STRANGER, f"/status@{BOT} 125", chat_id=GROUP)
    await until(lambda: refused(caplog, STRANGER))
    assert contact.telegram_user_id is None  # the token is still unused
    (linked,) = await chat.send(f"/start {token}", user=STRANGER)
    assert "绑定成功" in linked.text
    assert chat.services.repo.get(Contact, contact.id).telegram_user_id == STRANGER

    # another account with a newer token: nothing changes until an admin confirms
    (issued,) = await chat.send("/link 唐志文")
    assert f"已绑定账号 {STRANGER}" in issued.text and "需管理员确认" in issued.text
    token = issued.text.split("start=")[1].split()[0]
    newcomer = 4343
    marker = chat.emulator.mark(ADMIN)
    (waiting,) = await chat.send(f"/start {token}", user=newcomer)
    assert "已请管理员确认" in waiting.text
    assert chat.services.repo.get(Contact, contact.id).telegram_user_id == STRANGER
    (request,) = await chat.emulator.await_sent(ADMIN, since=marker)
    assert "改绑申请" in request.text and str(newcomer) in request.text
    assert [label for row in request.buttons for label, _ in row] == ["确认改绑", "拒绝"]

    marker = chat.emulator.mark(newcomer)
    (done,) = await chat.press(request, index=0)
    assert "已确认" in done.text
    (welcome,) = await chat.emulator.await_sent(newcomer, since=marker)
    assert "绑定成功" in welcome.text
    assert chat.services.repo.get(Contact, contact.id).telegram_user_id == newcomer
    links = [e for e in chat.services.repo.audit_entries() if e["action"] == "link"]
    assert links[-1]["previous_user"] == STRANGER and links[-1]["confirmed_by"] == ADMIN
    assert any(e["action"] == "relink_requested" for e in chat.services.repo.audit_entries())


async def test_reply_draft_with_phones_only_where_phones_may_be_shown(chat):
    chat.emulator.add_group(GROUP)
    (pointer,) = await chat.send(f"/draft@{BOT} 125", chat_id=GROUP)
    assert "私聊" in pointer.text and pointer.document is None
    (allowed,) = await chat.send("/group allow", chat_id=GROUP)
    (draft,) = await chat.send("/draft 125", chat_id=GROUP)
    assert draft.filename == "答复草稿-第125号.docx" and draft.document
