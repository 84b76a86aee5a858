"""Loopback Telegram Bot API emulator, used by the tests and by the console mode.

An aiohttp server on 127.0.0.1 (ephemeral port) runs in a daemon thread with its own event
loop. Point python-telegram-bot at it with
``ApplicationBuilder().token("123:abc").base_url(emu.base_url).base_file_url(emu.base_file_url)``
(any token is accepted). It answers like Telegram does, including its errors: HTML entity
parsing, the 4096 UTF-16 unit text limit, ``callback_data`` of 1-64 bytes, "message is not
modified", "chat not found", blocked users, plus injected faults (429, 500, slow answers).

The other side of the chat is driven by thread-safe sync methods (``push_text``,
``press_button``, ``push_document`` ...) and observed with ``sent()``, ``edits``,
``wait_sent()``/``await_sent()`` and ``subscribe()``.

Which wait to use:

* ``wait_sent()`` blocks the calling thread. Use it from sync code: the terminal console, sync
  pytest tests, or a bot running in another thread. Never call it on the event loop that runs
  the PTB application (that loop could not process the update: deadlock until timeout) nor
  from a ``subscribe`` callback (that runs on the emulator thread).
* ``await_sent()`` waits without blocking the loop. Use it in async tests where the PTB
  application runs on the test's own event loop.

Both read a per-chat event log (every message the bot sends *or edits*, in order). Each returns
exactly ``count`` events after the chat's read cursor (or after ``since``, a marker from
``mark()``), and moves the cursor past them (never backwards), so
``push_text(...); wait_sent(chat)`` reads like a transcript. ``mark(chat)`` returns the
current log length and moves the cursor there.

Updates reach the bot by ``getUpdates`` (honouring ``offset`` and the long-poll ``timeout``) or,
once ``setWebhook`` is called, by POST to the webhook address with the
``X-Telegram-Bot-Api-Secret-Token`` header (``getUpdates`` then answers 409, as Telegram does).
Groups follow privacy mode: only commands, mentions of the bot and replies to it are delivered.

Telegram behaviours worth knowing: ``editMessageText`` without ``reply_markup`` removes the
inline keyboard; a delayed call (``inject_delay``) still takes effect after the delay even if
the client timed out; an injected fault answers without any effect. Unlike Telegram (which
tolerates a bare ``&``), the HTML parser rejects ``&`` that does not start a valid entity.
Markdown/MarkdownV2 text is passed through without validation or entities.
"""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import mimetypes
import os
import re
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiohttp import web

__all__ = ["BotApiEmulator", "SentMessage", "EntityParseError", "parse_html", "utf16_len"]

log = logging.getLogger(__name__)

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_UPLOAD = 50 * 1024 * 1024
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
_JSON_PARAMS = {"reply_markup", "entities", "caption_entities", "commands", "scope",
                "reply_parameters", "link_preview_options", "allowed_updates"}
_INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "user_id", "cache_time",
               "message_thread_id", "reply_to_message_id"}
_BOOL_PARAMS = {"disable_notification", "protect_content", "show_alert", "drop_pending_updates",
                "disable_content_type_detection", "has_spoiler", "allow_sending_without_reply"}
_BUTTON_KINDS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                 "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                 "copy_text", "callback_game", "pay")
_ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
            "upload_voice", "upload_document", "choose_sticker", "find_location",
            "record_video_note", "upload_video_note"}
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?(?![A-Za-z0-9_@])")
_DEFAULT_DESCRIPTIONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                         404: "Not Found", 409: "Conflict", 500: "Internal Server Error",
                         502: "Bad Gateway"}


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- entity parsing
class EntityParseError(ValueError):
    """Markup that Telegram would answer with "can't parse entities"."""


_HTML_TAGS = {"a": "text_link", "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
              "u": "underline", "ins": "underline", "s": "strikethrough",
              "strike": "strikethrough", "del": "strikethrough", "span": "spoiler",
              "tg-spoiler": "spoiler", "tg-emoji": "custom_emoji", "code": "code", "pre": "pre",
              "blockquote": "blockquote"}
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHARREF = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]*));")


def _decode_ref(src: str, i: int, where: Callable[[int], int]) -> tuple[str, int]:
    m = _CHARREF.match(src, i)
    if m is None:
        raise EntityParseError(f'Bare "&" at byte offset {where(i)}: escape it as "&amp;"')
    if m.group(3):
        if m.group(3) not in _NAMED_REFS:
            raise EntityParseError(f'Unsupported HTML entity "{m.group(0)}" at byte offset '
                                   f"{where(i)}")
        return _NAMED_REFS[m.group(3)], m.end()
    code = int(m.group(1), 10) if m.group(1) else int(m.group(2), 16)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise EntityParseError(f'Invalid character reference "{m.group(0)}" at byte offset '
                               f"{where(i)}")
    return chr(code), m.end()


def parse_html(src: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML like tdlib does: return (plain text, MessageEntity dicts)."""
    out: list[str] = []
    entities: list[dict] = []
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, len(out)
    pos16, i, n = 0, 0, len(src)

    def where(k: int) -> int:
        return len(src[:k].encode())

    def fail(msg: str) -> None:
        raise EntityParseError(msg)

    while i < n:
        c = src[i]
        if c == "&":
            ch, i = _decode_ref(src, i, where)
            out.append(ch)
            pos16 += utf16_len(ch)
            continue
        if c != "<":
            j = i
            while j < n and src[j] not in "<&":
                j += 1
            out.append(src[i:j])
            pos16 += utf16_len(src[i:j])
            i = j
            continue
        begin = i
        i += 1
        if i < n and src[i] == "/":  # end tag
            i += 1
            j = i
            while i < n and not src[i].isspace() and src[i] != ">":
                i += 1
            name = src[j:i].lower()
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != ">":
                fail(f"Unclosed end tag at byte offset {where(begin)}")
            i += 1
            if not stack:
                fail(f"Unexpected end tag at byte offset {where(begin)}")
            tag, arg, start16, start_out = stack.pop()
            if name and name != tag:
                fail(f'Unmatched end tag at byte offset {where(begin)}, expected "</{tag}>", '
                     f'found "</{name}>"')
            if pos16 > start16:
                _close_entity(entities, tag, arg, start16, pos16 - start16,
                              "".join(out[start_out:]))
            continue
        j = i  # start tag
        while i < n and not src[i].isspace() and src[i] != ">":
            i += 1
        if i >= n:
            fail(f"Unclosed start tag at byte offset {where(begin)}")
        name = src[j:i].lower()
        if name not in _HTML_TAGS:
            fail(f'Unsupported start tag "{name}" at byte offset {where(begin)}')
        attrs: dict[str, str] = {}
        while True:
            while i < n and src[i].isspace():
                i += 1
            if i >= n:
                fail(f'Unclosed start tag "{name}" at byte offset {where(begin)}')
            if src[i] == ">":
                i += 1
                break
            j = i
            while i < n and not src[i].isspace() and src[i] not in "=>":
                i += 1
            attr = src[j:i].lower()
            if not attr:
                fail(f'Empty attribute name in the tag "{name}" at byte offset {where(begin)}')
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != "=":
                if name == "blockquote" and attr == "expandable":
                    attrs[attr] = ""
                    continue
                fail(f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                     f"at byte offset {where(begin)}")
            i += 1
            while i < n and src[i].isspace():
                i += 1
            if i < n and src[i] in "'\"":
                end = src.find(src[i], i + 1)
                if end < 0:
                    fail(f'Unclosed start tag "{name}" at byte offset {where(begin)}')
                raw, value, k = src[i + 1:end], [], 0
                while k < len(raw):  # entities inside attribute values are decoded leniently
                    m = _CHARREF.match(raw, k) if raw[k] == "&" else None
                    if m and (m.group(1) or m.group(2) or m.group(3) in _NAMED_REFS):
                        value.append(_decode_ref(raw, k, where)[0])
                        k = m.end()
                    else:
                        value.append(raw[k])
                        k += 1
                attrs[attr] = "".join(value)
                i = end + 1
            else:
                j = i
                while i < n and (src[i].isalnum() or src[i] in ".-"):
                    i += 1
                if i >= n or not (src[i].isspace() or src[i] == ">"):
                    fail(f"Unexpected end of name token at byte offset {where(j)}")
                attrs[attr] = src[j:i].lower()
        arg = ""
        if name == "a":
            arg = attrs.get("href", "")
        elif name == "span" and attrs.get("class") != "tg-spoiler":
            fail(f'Tag "span" must have class "tg-spoiler" at byte offset {where(begin)}')
        elif name == "code" and attrs.get("class", "").startswith("language-"):
            arg = attrs["class"][len("language-"):]
        elif name == "tg-emoji":
            arg = attrs.get("emoji-id", "")
            if not arg:
                fail(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                     f"{where(begin)}")
        elif name == "blockquote" and "expandable" in attrs:
            arg = "expandable"
        stack.append((name, arg, pos16, len(out)))
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for e in entities:
        e.pop("_language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _close_entity(entities: list[dict], tag: str, arg: str, offset: int, length: int,
                  inner: str) -> None:
    entity: dict[str, Any] = {"type": _HTML_TAGS[tag], "offset": offset, "length": length}
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag == "a":
        entity["url"] = arg or inner
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = arg
    elif tag == "blockquote" and arg:
        entity["type"] = "expandable_blockquote"
    elif tag == "code" and arg:
        entity["_language"] = arg
    elif tag == "pre" and same_span and last["type"] == "code" and last.get("_language"):
        entities[-1] = {**entity, "language": last["_language"]}
        return
    entities.append(entity)


# --------------------------------------------------------------------------- records
class ApiError(Exception):
    """An error answer: HTTP status, Telegram description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def payload(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.status,
                                "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad(description: str) -> ApiError:
    return ApiError(400, "Bad Request: " + description)


@dataclass(frozen=True)
class SentMessage:
    """One message the bot sent or edited, as a snapshot at that moment."""

    index: int  # position in the chat's event log (see mark/since)
    method: str  # sendMessage, sendDocument, sendPhoto, editMessageText, ...
    chat_id: int
    message_id: int
    text: str | None  # plain text (or caption) after entity parsing
    html: str | None  # text (or caption) exactly as sent
    parse_mode: str | None
    reply_markup: dict | None  # as sent: inline or reply keyboard
    buttons: list[list[tuple[str, str | None]]]  # rows of (text, callback_data)
    document: bytes | None = None  # uploaded document/photo content
    filename: str | None = None
    mime_type: str | None = None
    message: dict = field(default_factory=dict)  # the Message object Telegram returned

    @property
    def edited(self) -> bool:
        return self.method.startswith("edit")


@dataclass
class _Stored:
    message: dict
    html: str | None = None
    parse_mode: str | None = None
    markup: dict | None = None
    file: _File | None = None


@dataclass
class _File:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    filename: str | None
    mime_type: str | None
    width: int = 0
    height: int = 0


def _buttons(markup: dict | None) -> list[list[tuple[str, str | None]]]:
    if not markup:
        return []
    if "inline_keyboard" in markup:
        return [[(b.get("text", ""), b.get("callback_data")) for b in row]
                for row in markup["inline_keyboard"]]
    return [[(b if isinstance(b, str) else b.get("text", ""), None) for b in row]
            for row in markup.get("keyboard", [])]


def _image_size(content: bytes) -> tuple[int, int]:
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return struct.unpack(">II", content[16:24])
    return 320, 240


def _decode_param(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise _bad(f"can't parse {name} JSON object") from None
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            return value
    if name in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    if name == "timeout":
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value


def _as_int(value: Any, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise _bad("wrong integer value") from None


# --------------------------------------------------------------------------- emulator
class BotApiEmulator:
    """A Telegram Bot API server on 127.0.0.1 for one bot, plus the users talking to it."""

    def __init__(self, bot_id: int = 777000111, bot_username: str = "proposal_test_bot",
                 bot_first_name: str = "提案助手"):
        self.bot_user = {"id": bot_id, "is_bot": True, "first_name": bot_first_name,
                         "username": bot_username}
        self._lock = threading.RLock()
        self._cond = threading.Condition(self._lock)
        self._users: dict[int, dict] = {}
        self._chats: dict[int, dict] = {}
        self._blocked: set[int] = set()
        self._messages: dict[tuple[int, int], _Stored] = {}
        self._next_mid: dict[int, int] = {}
        self._updates: list[dict] = []
        self._update_seq = itertools.count(1)
        self._files: dict[str, _File] = {}
        self._paths: dict[str, _File] = {}
        self._file_seq = itertools.count(1)
        self._query_seq = itertools.count(1)
        self._open_queries: set[str] = set()
        self._events: dict[int, list[SentMessage]] = {}
        self._all_events: list[SentMessage] = []
        self._cursor: dict[int, int] = {}
        self._outbox: list[SentMessage] = []
        self._commands: dict[tuple[str, str], list[dict]] = {}
        self._calls: list[tuple[str, dict]] = []
        self._responses: list[tuple[str, int, dict]] = []
        self._answered: list[dict] = []
        self._faults: list[list] = []  # [method, ApiError, remaining]
        self._delays: list[list] = []  # [method, seconds, remaining]
        self._lost: list[list] = []  # [method, "garbled" | "dropped", remaining]
        self._subscribers: list[Callable[[SentMessage], None]] = []
        self._async_waiters: set[Callable[[], None]] = set()
        self._poll_gen = 0
        self._webhook: dict | None = None  # {"url", "secret_token"} while a webhook is set
        self._webhook_error: tuple[int, str] | None = None
        self.webhook_posts: list[tuple[int, str | None]] = []  # (update_id, error or None)
        self.privacy_mode = True  # Telegram's default for bots in groups (see push_text)
        self.withheld: list[dict] = []  # group messages privacy mode kept from the bot
        self._handlers = {name.lower(): getattr(self, "_m_" + name) for name in (
            "getMe", "deleteWebhook", "getWebhookInfo", "setWebhook", "setMyCommands",
            "getMyCommands", "deleteMyCommands", "sendMessage", "editMessageText",
            "editMessageReplyMarkup", "answerCallbackQuery", "sendDocument", "sendPhoto",
            "getFile", "sendChatAction", "getChat", "close", "logOut")}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._start_error: BaseException | None = None
        self._port = 0

    # ----------------------------------------------------------------- lifecycle
    def start(self) -> BotApiEmulator:
        """Start serving in a daemon thread; return once the port is bound."""
        if self._thread is not None:
            raise RuntimeError("emulator already started")
        self._thread = threading.Thread(target=self._run, name="bot-api-emulator", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._start_error is not None:
            raise RuntimeError("Bot API emulator failed to start") from self._start_error
        log.info("Bot API emulator serving on %s", self.base_url)
        return self

    def stop(self) -> None:
        """Stop the server, cut short pending long polls and delays, join the thread."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not thread.is_alive():
            return
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)

    def __enter__(self) -> BotApiEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self._port}/file/bot"

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            loop.run_until_complete(self._serve())
        except BaseException as exc:  # reported by start()
            self._start_error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
            loop.run_until_complete(self._shutdown())
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
        finally:
            loop.close()

    async def _serve(self) -> None:
        self._stopping = asyncio.Event()
        self._updates_event = asyncio.Event()
        self._webhook_event = asyncio.Event()
        self._webhook_task = asyncio.get_running_loop().create_task(self._deliver_by_webhook())
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.5)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self._port = self._runner.addresses[0][1]

    async def _shutdown(self) -> None:
        self._stopping.set()
        self._updates_event.set()
        self._webhook_event.set()
        await self._webhook_task
        await self._runner.cleanup()

    # ----------------------------------------------------------------- HTTP layer
    async def _read_params(self, request: web.Request) -> tuple[dict, dict]:
        params: dict[str, Any] = dict(request.query)
        files: dict[str, tuple[str | None, bytes, str | None]] = {}
        if request.body_exists:
            if request.content_type == "application/json":
                try:
                    body = await request.json()
                except ValueError:
                    raise _bad("can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise _bad("JSON request body must be an object")
                params.update(body)
            else:
                try:
                    form = await request.post()
                except web.HTTPRequestEntityTooLarge:
                    raise ApiError(413, "Request Entity Too Large") from None
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        files[key] = (value.filename, value.file.read(), value.content_type)
                    else:
                        params[key] = value
        return {k: _decode_param(k, v) for k, v in params.items()}, files

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict = {}
        try:
            params, files = await self._read_params(request)
            shown = dict(params)
            shown.update({k: f"<file {f[0]!r}, {len(f[1])} bytes>" for k, f in files.items()})
            with self._lock:
                self._calls.append((method, shown))
                fault = self._take(self._faults, method)
                delay = self._take(self._delays, method)
                lost = None if fault is not None else self._take(self._lost, method)
            if delay:
                await self._sleep(delay)
            if fault is not None:
                raise fault
            if method.lower() == "getupdates":
                with self._lock:
                    if self._webhook is not None:
                        raise ApiError(409, "Conflict: can't use getUpdates method while webhook "
                                            "is active; use deleteWebhook to delete the webhook first")
                result = await self._get_updates(params)
            else:
                handler = self._handlers.get(method.lower())
                if handler is None:
                    raise _bad("method not found")  # not 404: PTB maps 404 to InvalidToken
                with self._lock:
                    result = handler(params, files)
            status, payload = 200, {"ok": True, "result": result}
        except ApiError as exc:
            status, payload = exc.status, exc.payload()
        log.debug("%s %s -> %s", method, params, status)
        with self._lock:
            self._responses.append((method, status, payload))
        self._flush()
        if lost == "dropped":  # the request took effect, the connection breaks before the answer
            request.transport.close()
            raise ConnectionResetError("answer dropped (fault injection)")
        if lost == "garbled":  # the request took effect, the answer cannot be read
            return web.Response(status=200, text="<html>502 Bad Gateway</html>", content_type="text/html")
        return web.json_response(payload, status=status,
                                 dumps=lambda o: json.dumps(o, ensure_ascii=False))

    async def _handle_file(self, request: web.Request) -> web.Response:
        with self._lock:
            fault = self._take(self._faults, "file")
            record = self._paths.get(request.match_info["path"])
        if fault is not None or record is None:
            error = fault or ApiError(404, "Not Found")
            return web.json_response(error.payload(), status=error.status)
        return web.Response(body=record.content,
                            content_type=record.mime_type or "application/octet-stream")

    def _take(self, table: list[list], method: str) -> Any:
        for entry in table:
            if entry[0] in ("*", method.lower()) and entry[2] > 0:
                entry[2] -= 1
                if entry[2] == 0:
                    table.remove(entry)
                return entry[1]
        return None

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._stopping.wait(), seconds)
        except TimeoutError:
            pass

    def _flush(self) -> None:
        """Deliver new events to subscribers and async waiters (outside the lock)."""
        with self._lock:
            events, self._outbox = self._outbox, []
            subscribers, waiters = list(self._subscribers), list(self._async_waiters)
        for event in events:
            for callback in subscribers:
                try:
                    callback(event)
                except Exception:
                    log.exception("emulator subscriber %r failed", callback)
        if events:
            for wake in waiters:
                wake()

    def _wake_pollers(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._updates_event.set)
                loop.call_soon_threadsafe(self._webhook_event.set)
            except RuntimeError:  # loop closed meanwhile
                pass

    async def _deliver_by_webhook(self) -> None:
        """While a webhook is set, POST each pending update to it in order, with the secret
        header; an update leaves the queue only on a 2xx answer, otherwise it is retried with a
        growing pause (like Telegram) and the error shows in getWebhookInfo."""
        from aiohttp import ClientError, ClientSession, ClientTimeout

        pause = 0.05
        async with ClientSession(timeout=ClientTimeout(total=10)) as session:
            while not self._stopping.is_set():
                with self._lock:
                    hook, update = self._webhook, (self._updates[0] if self._updates else None)
                if hook is None or update is None:
                    self._webhook_event.clear()
                    await self._webhook_event.wait()
                    continue
                headers = {"X-Telegram-Bot-Api-Secret-Token": hook["secret_token"]} if hook["secret_token"] else {}
                try:
                    async with session.post(hook["url"], json=update, headers=headers) as answer:
                        status = answer.status
                        error = None if 200 <= status < 300 else f"Wrong response from the webhook: {status} {answer.reason}"
                except (ClientError, OSError, TimeoutError) as exc:
                    error = f"Connection failed: {exc.__class__.__name__}"
                with self._lock:
                    self.webhook_posts.append((update["update_id"], error))
                    if error is None:
                        if self._updates and self._updates[0] is update:
                            self._updates.pop(0)
                        pause = 0.05
                        continue
                    self._webhook_error = (int(time.time()), error)
                await self._sleep(pause)
                pause = min(pause * 2, 2.0)

    # ----------------------------------------------------------------- Bot API methods
    async def _get_updates(self, p: dict) -> list[dict]:
        offset = _as_int(p.get("offset"), 0)
        limit = min(max(_as_int(p.get("limit"), 100), 1), 100)
        try:
            timeout = max(float(p.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            raise _bad("wrong timeout value") from None
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        with self._lock:
            self._poll_gen += 1
            generation = self._poll_gen
            if offset > 0:
                self._updates = [u for u in self._updates if u["update_id"] >= offset]
            elif offset < 0:
                self._updates = self._updates[offset:]
        # A newer poll ends an older one with [] (Telegram answers it 409, but here the older
        # one is nearly always an orphan of a stopped PTB updater, and 409 would be noise).
        self._updates_event.set()
        while True:
            self._updates_event.clear()
            with self._lock:
                if generation != self._poll_gen:
                    return []
                if self._updates:
                    return copy.deepcopy(self._updates[:limit])
            remaining = deadline - loop.time()
            if remaining <= 0 or self._stopping.is_set():
                return []
            try:
                await asyncio.wait_for(self._updates_event.wait(), remaining)
            except TimeoutError:
                pass

    def _m_getMe(self, p: dict, files: dict) -> dict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    def _m_deleteWebhook(self, p: dict, files: dict) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook, self._webhook_error = None, None
        return True

    def _m_getWebhookInfo(self, p: dict, files: dict) -> dict:
        info: dict[str, Any] = {"url": self._webhook["url"] if self._webhook else "",
                                "has_custom_certificate": False,
                                "pending_update_count": len(self._updates)}
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
        if self._webhook_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _m_setWebhook(self, p: dict, files: dict) -> bool:
        """Unlike Telegram (HTTPS on ports 443, 80, 88, 8443 only), any http(s) address is
        accepted, so that tests can point it at a bot on 127.0.0.1."""
        url = str(p.get("url") or "")
        if not url:  # Telegram: an empty url removes the webhook
            return self._m_deleteWebhook(p, files)
        if not re.match(r"https?://[^\s/]+", url):
            raise _bad("bad webhook: Failed to resolve host: Name or service not known")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise _bad("bad webhook: secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": url, "secret_token": secret and str(secret),
                         "max_connections": _as_int(p.get("max_connections"), 40)}
        self._webhook_error = None
        self._wake_pollers()
        return True

    def _m_close(self, p: dict, files: dict) -> bool:
        return True

    _m_logOut = _m_close

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if scope is None or scope == "default":
            return "default"
        if isinstance(scope, str):
            return scope
        if not isinstance(scope, dict) or "type" not in scope:
            raise _bad("can't parse BotCommandScope JSON object")
        key = scope["type"]
        for part in ("chat_id", "user_id"):
            if part in scope:
                key += f":{scope[part]}"
        return key

    def _m_setMyCommands(self, p: dict, files: dict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad("can't parse commands JSON object")
        for cmd in commands:
            if not isinstance(cmd, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}",
                                                             str(cmd.get("command", ""))):
                raise _bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise _bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(p.get("scope")), p.get("language_code") or "")
        if commands:
            self._commands[key] = [{"command": c["command"], "description": c["description"]}
                                   for c in commands]
        else:
            self._commands.pop(key, None)
        return True

    def _m_getMyCommands(self, p: dict, files: dict) -> list[dict]:
        key = (self._scope_key(p.get("scope")), p.get("language_code") or "")
        return copy.deepcopy(self._commands.get(key, []))

    def _m_deleteMyCommands(self, p: dict, files: dict) -> bool:
        self._commands.pop((self._scope_key(p.get("scope")), p.get("language_code") or ""), None)
        return True

    def _target_chat(self, p: dict) -> dict:
        chat_id = p.get("chat_id")
        if chat_id in (None, ""):
            raise _bad("chat_id is empty")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return self._chats[chat_id]

    @staticmethod
    def _format(raw: Any, parse_mode: Any, entities: Any, limit: int,
                kind: str) -> tuple[str | None, list[dict]]:
        """Validate text or caption like Telegram; return (plain text, entities)."""
        if raw is None or raw == "":
            if kind == "text":
                raise _bad("message text is empty")
            return None, []
        raw = str(raw)
        if entities is not None:
            if not isinstance(entities, list) or not all(
                    isinstance(e, dict) and {"type", "offset", "length"} <= e.keys()
                    for e in entities):
                raise _bad("can't parse entities JSON object")
            text, ents = raw, entities
        elif parse_mode:
            mode = str(parse_mode).lower()
            try:
                if mode == "html":
                    text, ents = parse_html(raw)
                elif mode in ("markdownv2", "markdown"):
                    text, ents = raw, []  # not validated: the bot sends HTML
                else:
                    raise _bad("unsupported parse_mode")
            except EntityParseError as exc:
                raise _bad(f"can't parse entities: {exc}") from None
        else:
            text, ents = raw, []
        if not text.strip():
            if kind == "text":
                raise _bad("message text is empty")
            return None, []
        if utf16_len(text) > limit:
            raise _bad("message is too long" if kind == "text" else "message caption is too long")
        return text, ents

    @staticmethod
    def _check_markup(markup: Any) -> dict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad("can't parse inline keyboard button: InlineKeyboardButton must be "
                           "an Array of Arrays")
            if sum(len(r) for r in rows) > 100:
                raise _bad("reply markup is too long")
            for button in (b for row in rows for b in row):
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise _bad('can\'t parse inline keyboard button: Field "text" must be of '
                               "type String")
                kinds = [k for k in _BUTTON_KINDS if k in button]
                if not kinds:
                    raise _bad("can't parse inline keyboard button: Text buttons are unallowed "
                               "in the inline keyboard")
                if len(kinds) > 1:
                    raise _bad(f"can't parse inline keyboard button: exactly one of "
                               f"{', '.join(kinds)} must be used")
                data = button.get("callback_data")
                if "callback_data" in button and not (
                        isinstance(data, str) and 1 <= len(data.encode()) <= 64):
                    raise _bad("BUTTON_DATA_INVALID")
                url = button.get("url")
                if "url" in button and (not isinstance(url, str) or not url
                                        or any(ch.isspace() for ch in url)):
                    raise _bad(f"inline keyboard button URL '{url}' is invalid")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise _bad("can't parse keyboard button: keyboard must be an Array of Arrays")
        elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
            raise _bad("can't parse reply keyboard markup JSON object")
        return markup

    def _new_message(self, chat: dict, sender: dict, **fields: Any) -> dict:
        mid = self._next_mid.get(chat["id"], 1)
        self._next_mid[chat["id"]] = mid + 1
        message = {"message_id": mid, "from": dict(sender), "chat": dict(chat),
                   "date": int(time.time())}
        message.update({k: v for k, v in fields.items() if v not in (None, [])})
        return message

    def _reply_to(self, chat_id: int, p: dict) -> dict | None:
        params = p.get("reply_parameters")
        if params is None and p.get("reply_to_message_id"):
            params = {"message_id": p["reply_to_message_id"],
                      "allow_sending_without_reply": p.get("allow_sending_without_reply")}
        if not params:
            return None
        if not isinstance(params, dict):
            raise _bad("can't parse reply parameters JSON object")
        stored = self._messages.get((chat_id, _as_int(params.get("message_id"), 0)))
        if stored is None:
            if params.get("allow_sending_without_reply"):
                return None
            raise _bad("message to be replied not found")
        replied = copy.deepcopy(stored.message)
        replied.pop("reply_to_message", None)
        return replied

    def _store_bot_message(self, method: str, message: dict, html: str | None,
                           parse_mode: str | None, markup: dict | None,
                           file: _File | None = None) -> dict:
        stored = _Stored(message, html, parse_mode, markup, file)
        self._messages[(message["chat"]["id"], message["message_id"])] = stored
        self._record_event(method, stored)
        return copy.deepcopy(message)

    def _record_event(self, method: str, stored: _Stored) -> None:
        message = stored.message
        chat_id = message["chat"]["id"]
        chat_log = self._events.setdefault(chat_id, [])
        file = stored.file
        event = SentMessage(
            index=len(chat_log), method=method, chat_id=chat_id,
            message_id=message["message_id"],
            text=message.get("text", message.get("caption")), html=stored.html,
            parse_mode=stored.parse_mode, reply_markup=copy.deepcopy(stored.markup),
            buttons=_buttons(stored.markup), document=file.content if file else None,
            filename=file.filename if file else None, mime_type=file.mime_type if file else None,
            message=copy.deepcopy(message))
        chat_log.append(event)
        self._all_events.append(event)
        self._outbox.append(event)
        self._cond.notify_all()

    def _m_sendMessage(self, p: dict, files: dict) -> dict:
        chat = self._target_chat(p)
        text, entities = self._format(p.get("text"), p.get("parse_mode"), p.get("entities"),
                                      MAX_TEXT, "text")
        markup = self._check_markup(p.get("reply_markup"))
        message = self._new_message(
            chat, self.bot_user, reply_to_message=self._reply_to(chat["id"], p), text=text,
            entities=entities, reply_markup=markup if markup and "inline_keyboard" in markup
            else None)
        return self._store_bot_message("sendMessage", message, p.get("text"),
                                       p.get("parse_mode"), markup)

    def _input_file(self, kind: str, p: dict, files: dict) -> _File:
        upload = files.get(kind)
        if upload is None:
            value = p.get(kind)
            if isinstance(value, str) and value.startswith("attach://"):
                upload = files.get(value[len("attach://"):])
            elif isinstance(value, str) and value in self._files:
                return self._files[value]
            elif isinstance(value, str) and value.startswith(("http://", "https://")):
                return self._add_file(kind, b"", os.path.basename(value) or None, None)
            if upload is None:
                if value in (None, ""):
                    raise _bad(f"there is no {kind} in the request")
                raise _bad("wrong file identifier/HTTP URL specified")
        filename, content, mime_type = upload
        if not content:
            raise _bad("file must be non-empty")
        if len(content) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(filename or "")[0] or mime_type
        return self._add_file(kind, content, filename, mime_type)

    def _add_file(self, kind: str, content: bytes, filename: str | None,
                  mime_type: str | None) -> _File:
        n = next(self._file_seq)
        photo = kind == "photo"
        ext = os.path.splitext(filename or "")[1] or (".jpg" if photo else "")
        width, height = _image_size(content) if photo else (0, 0)
        record = _File(f"{'AgAC' if photo else 'BQAC'}emu{n:08d}", f"AQAD{n:08d}",
                       f"{'photos' if photo else 'documents'}/file_{n}{ext}", content,
                       filename, mime_type, width, height)
        self._files[record.file_id] = self._paths[record.file_path] = record
        return record

    @staticmethod
    def _document(record: _File) -> dict:
        doc = {"file_id": record.file_id, "file_unique_id": record.file_unique_id,
               "file_name": record.filename, "mime_type": record.mime_type,
               "file_size": len(record.content) or None}
        return {k: v for k, v in doc.items() if v is not None}

    @staticmethod
    def _photo(record: _File) -> list[dict]:
        size = {"file_id": record.file_id, "file_unique_id": record.file_unique_id,
                "width": record.width, "height": record.height}
        return [{**size, "file_size": len(record.content)} if record.content else size]

    def _send_media(self, kind: str, p: dict, files: dict) -> dict:
        chat = self._target_chat(p)
        record = self._input_file(kind, p, files)
        caption, entities = self._format(p.get("caption"), p.get("parse_mode"),
                                         p.get("caption_entities"), MAX_CAPTION, "caption")
        markup = self._check_markup(p.get("reply_markup"))
        media = self._document(record) if kind == "document" else self._photo(record)
        message = self._new_message(
            chat, self.bot_user, reply_to_message=self._reply_to(chat["id"], p),
            **{kind: media}, caption=caption, caption_entities=entities,
            reply_markup=markup if markup and "inline_keyboard" in markup else None)
        method = "sendDocument" if kind == "document" else "sendPhoto"
        return self._store_bot_message(method, message, p.get("caption"), p.get("parse_mode"),
                                       markup, record)

    def _m_sendDocument(self, p: dict, files: dict) -> dict:
        return self._send_media("document", p, files)

    def _m_sendPhoto(self, p: dict, files: dict) -> dict:
        return self._send_media("photo", p, files)

    def _editable(self, p: dict) -> _Stored:
        if p.get("inline_message_id"):
            raise _bad("MESSAGE_ID_INVALID")
        chat_id = p.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad("chat not found")
        stored = self._messages.get((chat_id, _as_int(p.get("message_id"), 0)))
        if stored is None:
            raise _bad("message to edit not found")
        if stored.message["from"]["id"] != self.bot_user["id"]:
            raise _bad("message can't be edited")
        return stored

    def _apply_edit(self, method: str, stored: _Stored, changes: dict, markup: dict | None,
                    html: str | None, parse_mode: str | None) -> dict:
        if markup is not None and "inline_keyboard" not in markup:
            raise _bad("inline keyboard expected")
        message = stored.message
        if all(message.get(k) == (v or None) for k, v in changes.items()) and \
                message.get("reply_markup") == markup:
            raise _bad(NOT_MODIFIED)
        for key, value in {**changes, "reply_markup": markup}.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())
        stored.markup, stored.html, stored.parse_mode = markup, html, parse_mode
        self._record_event(method, stored)
        return copy.deepcopy(message)

    def _m_editMessageText(self, p: dict, files: dict) -> dict:
        stored = self._editable(p)
        if "text" not in stored.message:
            raise _bad("there is no text in the message to edit")
        text, entities = self._format(p.get("text"), p.get("parse_mode"), p.get("entities"),
                                      MAX_TEXT, "text")
        markup = self._check_markup(p.get("reply_markup"))
        return self._apply_edit("editMessageText", stored, {"text": text, "entities": entities},
                                markup, p.get("text"), p.get("parse_mode"))

    def _m_editMessageReplyMarkup(self, p: dict, files: dict) -> dict:
        stored = self._editable(p)
        markup = self._check_markup(p.get("reply_markup"))
        return self._apply_edit("editMessageReplyMarkup", stored, {}, markup, stored.html,
                                stored.parse_mode)

    def _m_answerCallbackQuery(self, p: dict, files: dict) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise _bad("query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(query_id)
        self._answered.append({"callback_query_id": query_id, "text": p.get("text"),
                               "show_alert": bool(p.get("show_alert")), "url": p.get("url"),
                               "cache_time": p.get("cache_time")})
        return True

    def _m_getFile(self, p: dict, files: dict) -> dict:
        record = self._files.get(str(p.get("file_id", "")))
        if record is None:
            raise _bad("invalid file_id")
        return {"file_id": record.file_id, "file_unique_id": record.file_unique_id,
                "file_size": len(record.content), "file_path": record.file_path}

    def _m_sendChatAction(self, p: dict, files: dict) -> bool:
        self._target_chat(p)
        if p.get("action") not in _ACTIONS:
            raise _bad("wrong parameter action in request")
        return True

    def _m_getChat(self, p: dict, files: dict) -> dict:
        chat_id = p.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise _bad("chat not found")
        return {**self._chats[chat_id], "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}

    # ----------------------------------------------------------------- users' side (any thread)
    def add_user(self, user_id: int, *, first_name: str | None = None,
                 username: str | None = None) -> dict:
        """Register a user and their private chat (as if they had pressed Start)."""
        with self._lock:
            user = self._users.setdefault(user_id, {"id": user_id, "is_bot": False,
                                                    "first_name": "测试用户",
                                                    "language_code": "zh-hans"})
            if first_name:
                user["first_name"] = first_name
            if username:
                user["username"] = username
            if user_id > 0:
                chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
                if "username" in user:
                    chat["username"] = user["username"]
                self._chats[user_id] = chat
            return dict(user)

    def _chat_for(self, user: dict, chat_id: int | None) -> dict:
        if chat_id is None or chat_id == user["id"]:
            return self._chats[user["id"]]
        return self._chats.setdefault(chat_id, {"id": chat_id, "type": "group",
                                                "title": "测试群组"})

    def _enqueue(self, body: dict) -> None:
        self._updates.append({"update_id": next(self._update_seq), **body})
        self._wake_pollers()

    def add_group(self, chat_id: int, title: str = "测试群组", kind: str = "group") -> dict:
        """Register a group (negative id; kind "group" or "supergroup") the bot is a member of."""
        with self._lock:
            self._chats[chat_id] = {"id": chat_id, "type": kind, "title": title}
            return dict(self._chats[chat_id])

    def _for_bot(self, chat: dict, text: str, command: re.Match | None,
                 replied: dict | None) -> bool:
        """Whether Telegram hands a group message to the bot. With privacy mode on (the
        default) only commands (not those addressed to another bot), messages mentioning the
        bot and replies to its messages get through."""
        if chat["type"] == "private" or not self.privacy_mode:
            return True
        if command:
            addressee = command.group(0).partition("@")[2]
            return not addressee or addressee.lower() == self.bot_user["username"].lower()
        if f"@{self.bot_user['username']}".lower() in text.lower():
            return True
        return replied is not None and replied["from"]["id"] == self.bot_user["id"]

    def push_text(self, user_id: int, text: str, *, first_name: str | None = None,
                  username: str | None = None, chat_id: int | None = None,
                  reply_to: int | None = None) -> dict:
        """Deliver a text message from a user (default name 测试用户), optionally replying to
        message ``reply_to`` of that chat; return the Message. In a group with privacy mode on
        a message that is not for the bot is kept in the chat but never delivered (it is
        counted in ``withheld``)."""
        with self._lock:
            user = self.add_user(user_id, first_name=first_name, username=username)
            chat = self._chat_for(user, chat_id)
            command = _COMMAND.match(text)
            entities = ([{"type": "bot_command", "offset": 0,
                          "length": utf16_len(command.group(0))}] if command else [])
            mention = f"@{self.bot_user['username']}"
            at = text.lower().find(mention.lower())
            if at >= 0 and not (command and at < command.end()):
                entities.append({"type": "mention", "offset": utf16_len(text[:at]),
                                 "length": utf16_len(mention)})
            replied = None
            if reply_to is not None:
                stored = self._messages.get((chat["id"], reply_to))
                if stored is None:
                    raise KeyError(f"no message {reply_to} in chat {chat['id']}")
                replied = copy.deepcopy(stored.message)
                replied.pop("reply_to_message", None)
            message = self._new_message(chat, user, text=text, entities=entities or None,
                                        reply_to_message=replied)
            self._messages[(message["chat"]["id"], message["message_id"])] = _Stored(message)
            if self._for_bot(chat, text, command, replied):
                self._enqueue({"message": message})
            else:
                self.withheld.append(copy.deepcopy(message))
            return copy.deepcopy(message)

    def push_document(self, user_id: int, filename: str, content: bytes,
                      mime_type: str | None = None, caption: str | None = None, *,
                      chat_id: int | None = None) -> dict:
        """Deliver a document from a user; the bot can getFile and download it."""
        with self._lock:
            user = self.add_user(user_id)
            mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            record = self._add_file("document", bytes(content), filename, mime)
            message = self._new_message(self._chat_for(user, chat_id), user,
                                        document=self._document(record), caption=caption)
            self._messages[(message["chat"]["id"], message["message_id"])] = _Stored(
                message, file=record)
            self._enqueue({"message": message})
            return copy.deepcopy(message)

    def push_callback(self, user_id: int, message_id: int, data: str, *,
                      chat_id: int | None = None) -> str:
        """Deliver a callback query on a message (as currently stored); return its id."""
        with self._lock:
            user = self.add_user(user_id)
            chat = self._chat_for(user, chat_id)
            stored = self._messages.get((chat["id"], message_id))
            if stored is None:
                raise KeyError(f"no message {message_id} in chat {chat['id']}")
            query_id = str(4_000_000_000_000 + next(self._query_seq))
            self._open_queries.add(query_id)
            self._enqueue({"callback_query": {
                "id": query_id, "from": user, "message": copy.deepcopy(stored.message),
                "chat_instance": str(abs(chat["id"]) * 7919), "data": data}})
            return query_id

    def press_button(self, user_id: int, message_id: int,
                     label_or_index: str | int | tuple[int, int], *,
                     chat_id: int | None = None) -> str:
        """Press an inline button by label (exact, else unique substring), flat index or
        (row, column); return the callback query id."""
        with self._lock:
            chat = chat_id if chat_id is not None else user_id
            stored = self._messages.get((chat, message_id))
            rows = (stored.message.get("reply_markup") or {}).get("inline_keyboard") \
                if stored else None
            if not rows:
                raise LookupError(f"message {message_id} in chat {chat} has no inline keyboard")
            flat = [b for row in rows for b in row]
            if isinstance(label_or_index, tuple):
                button = rows[label_or_index[0]][label_or_index[1]]
            elif isinstance(label_or_index, int):
                button = flat[label_or_index]
            else:
                found = [b for b in flat if b["text"] == label_or_index] or \
                        [b for b in flat if label_or_index in b["text"]]
                if len(found) != 1:
                    raise LookupError(f"{len(found)} buttons match {label_or_index!r}; "
                                      f"buttons: {[b['text'] for b in flat]}")
                button = found[0]
            if "callback_data" not in button:
                raise ValueError(f"button {button['text']!r} has no callback_data")
            return self.push_callback(user_id, message_id, button["callback_data"],
                                      chat_id=chat_id)

    def block_user(self, user_id: int) -> None:
        """The user blocks the bot: sends to their chat answer 403."""
        with self._lock:
            self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        with self._lock:
            self._blocked.discard(user_id)

    # ----------------------------------------------------------------- fault injection
    def inject_fault(self, method: str, status: int, *, retry_after: int | None = None,
                     times: int = 1, description: str | None = None) -> None:
        """Answer the next `times` calls of `method` ("*" = any, "file" = downloads) with an
        error, without effect. 429 carries retry_after (default 1)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (f"Too Many Requests: retry after {retry_after}" if status == 429
                           else _DEFAULT_DESCRIPTIONS.get(status, "Error"))
        error = ApiError(status, description, retry_after if status == 429 else None)
        with self._lock:
            self._faults.append([method.lower(), error, times])

    def inject_delay(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next `times` calls of `method` ("*" = any) after `seconds`."""
        with self._lock:
            self._delays.append([method.lower(), seconds, times])

    def inject_lost_answer(self, method: str, how: str = "garbled", times: int = 1) -> None:
        """The next `times` calls of `method` take effect, but their answer is lost: "garbled"
        (a 200 whose body is not JSON) or "dropped" (the connection closes unanswered)."""
        if how not in ("garbled", "dropped"):
            raise ValueError(f"unknown way to lose an answer: {how!r}")
        with self._lock:
            self._lost.append([method.lower(), how, times])

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._delays.clear()
            self._lost.clear()

    # ----------------------------------------------------------------- observation
    def sent(self, chat_id: int | None = None) -> list[SentMessage]:
        """Messages the bot sent (sendMessage/sendDocument/sendPhoto), in order."""
        return [e for e in self.events(chat_id) if not e.edited]

    @property
    def edits(self) -> list[SentMessage]:
        """Edits the bot made (editMessageText/editMessageReplyMarkup), in order."""
        return [e for e in self.events() if e.edited]

    def events(self, chat_id: int | None = None) -> list[SentMessage]:
        """Sends and edits, in order (one chat, or all chats)."""
        with self._lock:
            return list(self._all_events if chat_id is None else self._events.get(chat_id, []))

    def message(self, chat_id: int, message_id: int) -> SentMessage:
        """The current state of a bot message (after edits)."""
        with self._lock:
            for event in reversed(self._events.get(chat_id, [])):
                if event.message_id == message_id:
                    return event
        raise KeyError(f"bot sent no message {message_id} to chat {chat_id}")

    @property
    def calls(self) -> list[tuple[str, dict]]:
        """(method, params) of every API call, file contents summarised."""
        with self._lock:
            return list(self._calls)

    @property
    def responses(self) -> list[tuple[str, int, dict]]:
        """(method, HTTP status, JSON body) of every API answer."""
        with self._lock:
            return list(self._responses)

    @property
    def errors(self) -> list[tuple[str, int, str]]:
        """(method, status, description) of every error answer."""
        return [(m, s, b["description"]) for m, s, b in self.responses if not b["ok"]]

    @property
    def answered_callbacks(self) -> list[dict]:
        with self._lock:
            return list(self._answered)

    def commands(self, scope: str | dict = "default", language_code: str = "") -> list[dict]:
        """Commands stored by setMyCommands: scope "default", "all_private_chats",
        "chat:<id>", ... or a BotCommandScope dict."""
        with self._lock:
            return copy.deepcopy(self._commands.get((self._scope_key(scope), language_code), []))

    def subscribe(self, callback: Callable[[SentMessage], None]) -> Callable[[], None]:
        """Call `callback(event)` on the emulator thread for every send or edit; return an
        unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)
        return unsubscribe

    def mark(self, chat_id: int) -> int:
        """Current length of the chat's event log; also moves the read cursor there."""
        with self._lock:
            self._cursor[chat_id] = len(self._events.get(chat_id, []))
            return self._cursor[chat_id]

    def _take_events(self, chat_id: int, count: int,
                     since: int | None) -> list[SentMessage] | None:
        chat_log = self._events.get(chat_id, [])
        start = self._cursor.get(chat_id, 0) if since is None else since
        if len(chat_log) - start < count:
            return None
        self._cursor[chat_id] = max(self._cursor.get(chat_id, 0), start + count)
        return chat_log[start:start + count]

    def _describe_wait(self, chat_id: int, count: int, since: int | None, timeout: float) -> str:
        start = self._cursor.get(chat_id, 0) if since is None else since
        new = self._events.get(chat_id, [])[start:]
        lines = [f"waited {timeout}s for {count} message(s) to chat {chat_id} after #{start}, "
                 f"got {len(new)}:"]
        lines += [f"  #{e.index} {e.method}: {e.text!r}" for e in new]
        others = {c: len(log) for c, log in self._events.items() if c != chat_id}
        if others:
            lines.append(f"  events in other chats: {others}")
        errors = [(m, s, b["description"]) for m, s, b in self._responses if not b["ok"]]
        lines += [f"  error answer: {m} -> {s} {d}" for m, s, d in errors[-5:]]
        lines.append(f"  last calls: {[m for m, _ in self._calls[-8:]]}")
        return "\n".join(lines)

    def wait_sent(self, chat_id: int, count: int = 1, timeout: float = 10.0,
                  since: int | None = None) -> list[SentMessage]:
        """Block until `count` new events (sends or edits) reach the chat; return exactly
        those. Sync code only (see the module docstring)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                got = self._take_events(chat_id, count, since)
                if got is not None:
                    return got
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError(self._describe_wait(chat_id, count, since, timeout))
                self._cond.wait(remaining)

    async def await_sent(self, chat_id: int, count: int = 1, timeout: float = 10.0,
                         since: int | None = None) -> list[SentMessage]:
        """Like wait_sent, without blocking the caller's event loop."""
        loop = asyncio.get_running_loop()
        woken = asyncio.Event()

        def wake() -> None:
            try:
                loop.call_soon_threadsafe(woken.set)
            except RuntimeError:  # the waiting loop is closed
                pass

        with self._lock:
            self._async_waiters.add(wake)
        try:
            deadline = loop.time() + timeout
            while True:
                woken.clear()
                with self._lock:
                    got = self._take_events(chat_id, count, since)
                    if got is not None:
                        return got
                    remaining = deadline - loop.time()
                    if remaining <= 0:
                        raise TimeoutError(self._describe_wait(chat_id, count, since, timeout))
                try:
                    await asyncio.wait_for(woken.wait(), remaining)
                except TimeoutError:
                    pass
        finally:
            with self._lock:
                self._async_waiters.discard(wake)
