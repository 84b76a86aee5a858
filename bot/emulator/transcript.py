"""What the tests read: the messages the bot sent or edited, per chat and in order, the calls
and answers, and the waits (``wait_sent`` from sync code, ``await_sent`` on an event loop). Part
of ``BotApiEmulator`` (``server.py``)."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Callable

from .records import SentMessage


class Transcript:
    """Mixed into ``BotApiEmulator``."""

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
