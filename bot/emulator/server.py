"""``BotApiEmulator``: the aiohttp server in its own thread and event loop, the HTTP layer
(parameters, injected faults, answers), the updates queue (``getUpdates`` long polls, or POSTs to
a webhook), and the emulator's state. The methods it serves, the users' side and the transcript
are mixed in from ``methods.py``, ``users.py`` and ``transcript.py``."""

from __future__ import annotations

import asyncio
import copy
import itertools
import json
import logging
import threading
import time
from typing import Any, Callable

from aiohttp import web

from .methods import BotMethods
from .records import DEFAULT_DESCRIPTIONS, MAX_UPLOAD, ApiError, File, SentMessage, Stored, as_int, bad, decode_param
from .transcript import Transcript
from .users import UsersSide

log = logging.getLogger(__name__)


class BotApiEmulator(BotMethods, UsersSide, Transcript):
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
        self._messages: dict[tuple[int, int], Stored] = {}
        self._next_mid: dict[int, int] = {}
        self._updates: list[dict] = []
        self._update_seq = itertools.count(1)
        self._files: dict[str, File] = {}
        self._paths: dict[str, File] = {}
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
                    raise bad("can't parse JSON request body") from None
                if not isinstance(body, dict):
                    raise bad("JSON request body must be an object")
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
        return {k: decode_param(k, v) for k, v in params.items()}, files

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
                    raise bad("method not found")  # not 404: PTB maps 404 to InvalidToken
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

    # ----------------------------------------------------------------- getUpdates
    async def _get_updates(self, p: dict) -> list[dict]:
        offset = as_int(p.get("offset"), 0)
        limit = min(max(as_int(p.get("limit"), 100), 1), 100)
        try:
            timeout = max(float(p.get("timeout") or 0), 0.0)
        except (TypeError, ValueError):
            raise bad("wrong timeout value") from None
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

    # ----------------------------------------------------------------- fault injection
    def inject_fault(self, method: str, status: int, *, retry_after: int | None = None,
                     times: int = 1, description: str | None = None) -> None:
        """Answer the next `times` calls of `method` ("*" = any, "file" = downloads) with an
        error, without effect. 429 carries retry_after (default 1)."""
        if status == 429 and retry_after is None:
            retry_after = 1
        if description is None:
            description = (f"Too Many Requests: retry after {retry_after}" if status == 429
                           else DEFAULT_DESCRIPTIONS.get(status, "Error"))
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
