"""The Bot API emulator, driven by a real PTB Bot and Application."""

from __future__ import annotations

import asyncio
import datetime as dtm
import struct
import threading
import zlib

import httpx
import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ApplicationBuilder, CommandHandler, ContextTypes

from bot.emulator import BotApiEmulator, EntityParseError, parse_html, utf16_len

try:
    from tests.emulator_schema import REFERENCE, BotApiSchema
except ImportError:  # tests/ is not a package: pytest puts it on sys.path
    from emulator_schema import REFERENCE, BotApiSchema

TOKEN = "123456:test-token"
USER = 4242


@pytest.fixture
def emu():
    with BotApiEmulator() as emulator:
        yield emulator


@pytest.fixture
async def bot(emu):
    async with Bot(TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as b:
        yield b


def keyboard(*rows: list[tuple[str, str]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(text, callback_data=data) for text, data in row] for row in rows])


def png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(
            ">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = b"".join(b"\0" + b"\0" * width for _ in range(height))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw))
            + chunk(b"IEND", b""))


def seconds(value: int | dtm.timedelta) -> float:
    return value.total_seconds() if isinstance(value, dtm.timedelta) else value


# ------------------------------------------------------------------ basics and polling
async def test_get_me(bot, emu):
    me = await bot.get_me()
    assert (me.id, me.username, me.first_name, me.is_bot) == (
        777000111, "proposal_test_bot", "提案助手", True)
    assert emu.base_url.startswith("http://127.0.0.1:") and emu.base_url.endswith("/bot")
    assert emu.calls[-1] == ("getMe", {})


async def test_updates_delivered_once_with_offset(bot, emu):
    emu.push_text(USER, "你好")
    first = await bot.get_updates(timeout=0)
    assert [u.message.text for u in first] == ["你好"]
    assert first[0].message.from_user.first_name == "测试用户"
    assert first[0].message.chat.type == "private"
    again = await bot.get_updates(timeout=0)  # not confirmed yet: delivered again
    assert [u.update_id for u in again] == [first[0].update_id]
    assert await bot.get_updates(offset=first[0].update_id + 1, timeout=0) == ()
    emu.push_text(USER, "second")
    emu.push_text(USER, "third")
    nxt = await bot.get_updates(offset=first[0].update_id + 1, timeout=0, limit=1)
    assert [u.message.text for u in nxt] == ["second"]
    rest = await bot.get_updates(offset=nxt[0].update_id + 1, timeout=0)
    assert [u.message.text for u in rest] == ["third"]


async def test_long_poll_waits_for_update_and_times_out(bot, emu):
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    while not any(m == "getUpdates" for m, _ in emu.calls):
        await asyncio.sleep(0.01)
    emu.push_text(USER, "wake up")
    updates = await poll  # answered by the push: the 5 s timeout would have answered ()
    assert [u.message.text for u in updates] == ["wake up"]
    # With nothing to send, the poll is held until its timeout, then answered empty. No clock
    # limit here (a busy machine only makes it later); how long it is held: bench/bench_emulator.py
    empty = asyncio.create_task(bot.get_updates(offset=updates[0].update_id + 1, timeout=1))
    await asyncio.sleep(0.2)
    assert not empty.done()
    assert await empty == ()


async def test_command_gets_bot_command_entity(bot, emu):
    emu.push_text(USER, "/echo@proposal_test_bot 你好")
    emu.push_text(USER, "not /a command")
    first, second = await bot.get_updates(timeout=0)
    entity = first.message.entities[0]
    assert (entity.type, entity.offset, entity.length) == ("bot_command", 0, 23)
    assert second.message.entities == ()


# ------------------------------------------------------------------ text validation
async def test_html_accepted_with_entities(bot, emu):
    emu.add_user(USER)
    html = ('<b>第125号</b>提案 &amp; <a href="https://example.org/?a=1&amp;b=2">详情</a> '
            '<i>1 &lt; 2</i> &#x1F600;<tg-spoiler>密</tg-spoiler>')
    msg = await bot.send_message(USER, html, parse_mode="HTML")
    assert msg.text == "第125号提案 & 详情 1 < 2 😀密"
    got = [(e.type, e.offset, e.length) for e in msg.entities]
    assert got == [("bold", 0, 5), ("text_link", 10, 2), ("italic", 13, 5), ("spoiler", 21, 1)]
    assert msg.entities[1].url == "https://example.org/?a=1&b=2"
    sent = emu.sent(USER)[-1]
    assert (sent.html, sent.text, sent.parse_mode) == (html, msg.text, "HTML")


@pytest.mark.parametrize("html, reason", [
    ("<b>unclosed", "Can't find end tag corresponding to start tag \"b\""),
    ("a < b", 'Unsupported start tag "" at byte offset 2'),
    ("<script>alert(1)</script>", 'Unsupported start tag "script"'),
    ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
    ("AT&T", 'Bare "&"'),
    ("a&nbsp;b", "Unsupported HTML entity"),
    ("x</b>", "Unexpected end tag"),
    ("<span>x</span>", "tg-spoiler"),
    ("<a href=http://x>y</a>", "Unexpected end of name token"),
    ("a<b", "Unclosed start tag"),
])
async def test_malformed_html_rejected(bot, emu, html, reason):
    emu.add_user(USER)
    with pytest.raises(BadRequest, match="(?i)can't parse entities") as err:
        await bot.send_message(USER, html, parse_mode="HTML")
    # PTB strips "Bad Request: " and str.capitalize()s the rest, lowering all other letters.
    assert reason.lower() in str(err.value).lower()
    assert reason in emu.errors[-1][2]
    assert emu.sent(USER) == []


def test_parse_html_offsets_in_utf16_and_pre_language():
    text, entities = parse_html('😀<b>x</b><pre><code class="language-python">p</code></pre>'
                                '<blockquote expandable>q</blockquote>')
    assert text == "😀xpq"
    assert entities == [{"type": "bold", "offset": 2, "length": 1},
                        {"type": "pre", "offset": 3, "length": 1, "language": "python"},
                        {"type": "expandable_blockquote", "offset": 4, "length": 1}]
    with pytest.raises(EntityParseError):
        parse_html("<b>data from user: <b></b>")


async def test_text_length_limits(bot, emu):
    emu.add_user(USER)
    assert len((await bot.send_message(USER, "x" * 4096)).text) == 4096
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(USER, "x" * 4097)
    tagged = await bot.send_message(USER, "<b>" + "提" * 4096 + "</b>", parse_mode="HTML")
    assert len(tagged.text) == 4096
    assert len((await bot.send_message(USER, "&lt;" * 4096, parse_mode="HTML")).text) == 4096
    assert utf16_len("😀" * 2049) == 4098
    with pytest.raises(BadRequest, match="(?i)message is too long"):
        await bot.send_message(USER, "😀" * 2049)  # 2049 code points, 4098 UTF-16 units
    for empty in ("", "  \n", "<b></b>"):
        with pytest.raises(BadRequest, match="(?i)message text is empty"):
            await bot.send_message(USER, empty, parse_mode="HTML")


async def test_inline_keyboard_validation(bot, emu):
    emu.add_user(USER)
    ok = await bot.send_message(USER, "ok", reply_markup=keyboard([("a", "x" * 64)]))
    assert ok.reply_markup.inline_keyboard[0][0].callback_data == "x" * 64
    for data in ("x" * 65, "提" * 22):  # 65 and 66 bytes of UTF-8
        with pytest.raises(BadRequest, match="(?i)BUTTON_DATA_INVALID"):
            await bot.send_message(USER, "bad", reply_markup=keyboard([("a", data)]))
    with pytest.raises(BadRequest, match="(?i)Text buttons are unallowed"):
        await bot.send_message(USER, "bad", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("only text")]]))
    with pytest.raises(BadRequest, match="(?i)exactly one"):
        await bot.send_message(USER, "bad", reply_markup=InlineKeyboardMarkup(
            [[InlineKeyboardButton("two", url="https://x.org", callback_data="y")]]))


# ------------------------------------------------------------------ faults and chats
@pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")  # PTB 22.2+ warns by itself
async def test_injected_429_raises_retry_after(bot, emu):
    emu.add_user(USER)
    emu.inject_fault("sendMessage", 429, retry_after=7, times=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as err:
            await bot.send_message(USER, "hi")
        assert seconds(err.value.retry_after) == 7
    assert (await bot.send_message(USER, "hi")).text == "hi"
    assert [e.text for e in emu.sent(USER)] == ["hi"]  # faulted calls had no effect
    assert emu.errors[0] == ("sendMessage", 429, "Too Many Requests: retry after 7")


async def test_injected_500_raises_network_error(bot, emu):
    emu.inject_fault("*", 500)
    with pytest.raises(NetworkError, match="(?i)Internal Server Error"):
        await bot.get_me()
    assert (await bot.get_me()).username == "proposal_test_bot"


async def test_injected_delay_times_out_client(bot, emu):
    emu.add_user(USER)
    emu.inject_delay("sendMessage", 5)
    with pytest.raises(TimedOut):
        await bot.send_message(USER, "slow", read_timeout=0.2)
    # Like Telegram, the request still takes effect once the delay is over.


async def test_blocked_user_and_unknown_chat(bot, emu):
    emu.push_text(USER, "hi")
    emu.block_user(USER)
    with pytest.raises(Forbidden, match="(?i)bot was blocked by the user"):
        await bot.send_message(USER, "hello")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(USER, "typing")
    emu.unblock_user(USER)
    assert (await bot.send_message(USER, "hello")).chat.id == USER
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(999, "nobody")


async def test_unknown_method_is_400_not_404(bot, emu):
    async with httpx.AsyncClient() as client:
        res = await client.post(f"{emu.base_url}{TOKEN}/sendTelepathy", data={"x": "1"})
    assert res.status_code == 400
    assert res.json() == {"ok": False, "error_code": 400,
                          "description": "Bad Request: method not found"}
    with pytest.raises(BadRequest, match="(?i)method not found"):
        await bot.do_api_request("send_telepathy")


async def test_wire_formats_query_json_urlencoded_multipart(emu):
    emu.add_user(USER)
    url = f"{emu.base_url}{TOKEN}"
    markup = {"inline_keyboard": [[{"text": "好", "callback_data": "ok"}]]}
    async with httpx.AsyncClient() as client:
        by_query = await client.get(f"{url}/sendMessage", params={"chat_id": USER, "text": "q"})
        by_json = await client.post(f"{url}/sendMessage",
                                    json={"chat_id": USER, "text": "123", "reply_markup": markup})
        by_form = await client.post(f"{url}/sendMessage", data={
            "chat_id": str(USER), "text": "[1]", "entities": '[{"type":"bold","offset":0,'
                                                             '"length":3}]'})
        by_multipart = await client.post(f"{url}/sendDocument", data={"chat_id": str(USER)},
                                         files={"document": ("报告.txt", b"abc", "text/plain")})
    assert [r.status_code for r in (by_query, by_json, by_form, by_multipart)] == [200] * 4
    assert by_json.json()["result"]["text"] == "123"  # strings stay strings
    assert by_json.json()["result"]["reply_markup"] == markup
    assert by_form.json()["result"]["entities"] == [{"type": "bold", "offset": 0, "length": 3}]
    assert by_multipart.json()["result"]["document"]["file_name"] == "报告.txt"
    assert emu.sent(USER)[-1].document == b"abc"


# ------------------------------------------------------------------ files, edits, buttons
async def test_documents_both_ways(bot, emu):
    emu.add_user(USER)
    sent = await bot.send_document(USER, document=b"%PDF-1.4 answer", filename="答复.pdf",
                                   caption="<b>答复</b>", parse_mode="HTML")
    assert (sent.document.file_name, sent.document.file_size) == ("答复.pdf", 15)
    assert sent.document.mime_type == "application/pdf"
    assert (sent.caption, sent.caption_entities[0].type) == ("答复", "bold")
    record = emu.sent(USER)[-1]
    assert (record.method, record.document, record.filename) == (
        "sendDocument", b"%PDF-1.4 answer", "答复.pdf")
    again = await bot.send_document(USER, document=sent.document.file_id)  # resend by file_id
    assert again.document.file_id == sent.document.file_id

    content = "提案编号,标题\n125,关于加强社区养老服务的建议\n".encode("utf-8")
    emu.push_document(USER, "提案清单.csv", content, caption="请导入")
    (update,) = await bot.get_updates(timeout=0)
    document = update.message.document
    assert (document.file_name, document.mime_type, update.message.caption) == (
        "提案清单.csv", "text/csv", "请导入")
    file = await bot.get_file(document.file_id)
    assert file.file_size == len(content)
    assert bytes(await file.download_as_bytearray()) == content
    with pytest.raises(BadRequest, match="(?i)invalid file_id"):
        await bot.get_file("nope")


async def test_photo(bot, emu):
    emu.add_user(USER)
    msg = await bot.send_photo(USER, photo=png(3, 2), caption="图")
    assert (msg.photo[-1].width, msg.photo[-1].height) == (3, 2)
    assert emu.sent(USER)[-1].method == "sendPhoto"


async def test_edit_and_press_button(bot, emu):
    emu.push_text(USER, "/vote")
    await bot.get_updates(timeout=0)
    msg = await bot.send_message(USER, "是否同意？", reply_markup=keyboard(
        [("同意", "v:yes"), ("拒绝", "v:no")], [("稍后", "v:later")]))
    assert emu.sent(USER)[-1].buttons == [[("同意", "v:yes"), ("拒绝", "v:no")],
                                          [("稍后", "v:later")]]
    query_id = emu.press_button(USER, msg.message_id, "拒绝")
    emu.press_button(USER, msg.message_id, 2)
    updates = await bot.get_updates(offset=-2, timeout=0)
    assert [u.callback_query.data for u in updates] == ["v:no", "v:later"]
    query = updates[0].callback_query
    assert (query.id, query.message.message_id, query.from_user.id) == (
        query_id, msg.message_id, USER)
    assert query.message.reply_markup.inline_keyboard[0][1].text == "拒绝"
    assert await bot.answer_callback_query(query_id, text="已记录")
    assert emu.answered_callbacks[0]["text"] == "已记录"
    with pytest.raises(BadRequest, match="(?i)query ID is invalid"):
        await bot.answer_callback_query(query_id)

    edited = await bot.edit_message_text("已拒绝", chat_id=USER, message_id=msg.message_id)
    assert (edited.text, edited.reply_markup, edited.edit_date is not None) == (
        "已拒绝", None, True)  # no reply_markup in the edit: keyboard removed, like Telegram
    assert emu.message(USER, msg.message_id).buttons == []
    assert [e.method for e in emu.edits] == ["editMessageText"]
    with pytest.raises(BadRequest, match="(?i)message is not modified"):
        await bot.edit_message_text("已拒绝", chat_id=USER, message_id=msg.message_id)
    with pytest.raises(BadRequest, match="(?i)message to edit not found"):
        await bot.edit_message_text("x", chat_id=USER, message_id=9999)
    with pytest.raises(LookupError, match="no inline keyboard"):
        emu.press_button(USER, msg.message_id, 0)
    await bot.edit_message_reply_markup(USER, msg.message_id,
                                        reply_markup=keyboard([("撤回", "v:undo")]))
    assert emu.message(USER, msg.message_id).buttons == [[("撤回", "v:undo")]]
    assert emu.message(USER, msg.message_id).text == "已拒绝"


async def test_commands_per_scope(bot, emu):
    from telegram import BotCommand, BotCommandScopeChat
    await bot.set_my_commands([BotCommand("start", "开始"), BotCommand("help", "帮助")])
    await bot.set_my_commands([BotCommand("admin", "管理")], scope=BotCommandScopeChat(USER))
    assert [c["command"] for c in emu.commands()] == ["start", "help"]
    assert emu.commands(f"chat:{USER}") == [{"command": "admin", "description": "管理"}]
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeChat(USER))] == [
        "admin"]
    await bot.delete_my_commands()
    assert await bot.get_my_commands() == ()
    with pytest.raises(BadRequest, match="(?i)BOT_COMMAND_INVALID"):
        await bot.set_my_commands([BotCommand("Bad-Cmd", "x")])


# ------------------------------------------------------------------ sync and async waits
def test_wait_sent_from_sync_code_and_subscribe(emu):
    emu.add_user(USER)
    seen = []
    unsubscribe = emu.subscribe(seen.append)

    def send(text: str) -> None:
        httpx.post(f"{emu.base_url}{TOKEN}/sendMessage", data={"chat_id": USER, "text": text})

    threading.Thread(target=send, args=("one",)).start()
    assert [m.text for m in emu.wait_sent(USER, timeout=5)] == ["one"]
    send("two")
    send("three")
    assert [m.text for m in emu.wait_sent(USER, timeout=5)] == ["two"]  # exactly `count`
    assert [m.text for m in emu.wait_sent(USER, timeout=5)] == ["three"]
    marker = emu.mark(USER)
    send("four")
    assert [m.text for m in emu.wait_sent(USER, since=marker, timeout=5)] == ["four"]
    assert [m.text for m in emu.wait_sent(USER, count=2, since=0, timeout=5)] == ["one", "two"]
    assert [m.text for m in seen] == ["one", "two", "three", "four"]
    unsubscribe()
    with pytest.raises(TimeoutError, match=r"got 0") as err:
        emu.wait_sent(USER, timeout=0.05)
    assert "last calls" in str(err.value)


async def test_application_echo_round_trip(emu):
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        await update.message.reply_text(" ".join(context.args) or "(空)")

    app = (ApplicationBuilder().token(TOKEN).base_url(emu.base_url)
           .base_file_url(emu.base_file_url).build())
    app.add_handler(CommandHandler("echo", echo))
    await app.initialize()
    await app.start()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    try:
        emu.push_text(USER, "/echo hi")
        (reply,) = await emu.await_sent(USER)
        assert (reply.text, reply.method) == ("hi", "sendMessage")
        emu.push_text(USER, "/echo@proposal_test_bot 你好 世界")
        emu.push_text(USER, "/echo@other_bot ignored")
        emu.push_text(USER, "/echo")
        replies = await emu.await_sent(USER, count=2)
        assert [r.text for r in replies] == ["你好 世界", "(空)"]
        with pytest.raises(TimeoutError):
            await emu.await_sent(USER, timeout=0.05)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
    assert "deleteWebhook" in [m for m, _ in emu.calls]
    assert emu.errors == []


# ------------------------------------------------------------------ honesty vs. the reference
@pytest.mark.skipif(not REFERENCE.exists(), reason="Bot API reference not available")
async def test_results_conform_to_bot_api_reference(bot, emu):
    schema = BotApiSchema()
    assert schema.version == "Bot API 10.1"
    assert schema.check({"message_id": 1, "chat": {"id": 1, "type": "x"}, "oops": 1}, "Message")
    from telegram import BotCommand, LinkPreviewOptions

    emu.push_text(USER, "/start", username="staff01")
    emu.push_document(USER, "a.docx", b"PK\x03\x04")
    await bot.get_me()
    await bot.delete_webhook()
    await bot.get_webhook_info()
    await bot.set_my_commands([BotCommand("start", "开始")])
    await bot.get_my_commands()
    await bot.get_chat(USER)
    await bot.send_chat_action(USER, "typing")
    first = await bot.send_message(
        USER, '<b>a</b> <a href="https://x.org">b</a> <code>c</code>', parse_mode="HTML",
        reply_markup=keyboard([("按钮", "k:1")]), link_preview_options=LinkPreviewOptions(True),
        reply_parameters=ReplyParameters(1))
    emu.press_button(USER, first.message_id, "按钮")
    updates = await bot.get_updates(timeout=0)
    await bot.answer_callback_query(updates[-1].callback_query.id)
    await bot.edit_message_text("<i>x</i>", chat_id=USER, message_id=first.message_id,
                                parse_mode="HTML", reply_markup=keyboard([("再按", "k:2")]))
    await bot.edit_message_reply_markup(USER, first.message_id)
    doc = await bot.send_document(USER, b"data", filename="d.txt", caption="c")
    await bot.get_file(doc.document.file_id)
    await bot.send_photo(USER, png(2, 2))
    with pytest.raises(BadRequest):
        await bot.send_message(USER, "<b>", parse_mode="HTML")

    checked = set()
    for method, status, body in emu.responses:
        if body["ok"]:
            assert schema.check_result(method, body["result"]) == [], method
            checked.add(method)
        else:
            assert isinstance(body["error_code"], int) and body["error_code"] == status
            assert body["description"].startswith("Bad Request: ")
    assert {"getUpdates", "sendMessage", "editMessageText", "sendDocument", "sendPhoto",
            "getFile", "getChat", "getMe", "answerCallbackQuery"} <= checked
