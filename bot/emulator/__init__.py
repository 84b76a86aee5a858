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

Modules: ``server`` (``BotApiEmulator``: the thread, HTTP layer, updates queue, webhooks, faults,
the state), ``methods`` (the Bot API methods it serves), ``users`` (the users' side), ``transcript``
(what the tests read and wait for), ``entities`` (HTML parse mode), ``records`` (limits, errors,
stored messages and files).
"""

from .entities import EntityParseError, parse_html, utf16_len
from .records import SentMessage
from .server import BotApiEmulator

__all__ = ["BotApiEmulator", "SentMessage", "EntityParseError", "parse_html", "utf16_len"]
