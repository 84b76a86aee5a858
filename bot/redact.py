"""Keep secrets (the bot token, the webhook secret) out of every log line and error text.

The token is part of every Bot API address (``/bot<token>/getMe``), so it turns up wherever an
address is printed: httpx's request log, error texts, python-telegram-bot's ``Bot[token=…]``
repr and its "The token `…` was rejected" error. Rather than hunting each place, every log
record is scrubbed when it is created (message, traceback and stack), whatever the handler, and
errors coming out of the HTTP layer are scrubbed before anyone reads them.
"""

from __future__ import annotations

import logging
import threading
from urllib.parse import quote

MASK = "<secret>"

_secrets: list[str] = []
_lock = threading.Lock()
_formatter = logging.Formatter()
_installed = False


def add_secret(secret: str | None) -> None:
    """Scrub ``secret`` (and its URL-encoded form) from now on; short strings are ignored (a
    two-letter 'secret' would blank out ordinary words)."""
    if not secret or len(secret) < 8:
        return
    with _lock:
        for form in (secret, quote(secret, safe="")):
            if form not in _secrets:
                _secrets.append(form)
        _secrets.sort(key=len, reverse=True)  # the longer form first
    _install()


def redact(text: str) -> str:
    for secret in _secrets:
        if secret in text:
            text = text.replace(secret, MASK)
    return text


def scrub_exception(exc: BaseException | None) -> None:
    """Remove secrets from an exception's text, and from those it was raised from, in place
    (``str(exc)`` and any traceback printed later no longer show them)."""
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen and _secrets:
        seen.add(id(exc))
        exc.args = tuple(redact(a) if isinstance(a, str) else a for a in exc.args)
        if isinstance(getattr(exc, "message", None), str):  # telegram.error.TelegramError
            exc.message = redact(exc.message)
        exc = exc.__cause__ or exc.__context__


def _scrub_record(record: logging.LogRecord) -> logging.LogRecord:
    if not _secrets:
        return record
    try:
        message = record.getMessage()
    except Exception:  # a malformed call: leave it to the handler to report
        return record
    record.msg, record.args = redact(message), None
    if record.exc_info and record.exc_info[1] is not None:
        record.exc_text = redact(_formatter.formatException(record.exc_info))
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


def _install() -> None:
    """Scrub every record at creation: it covers handlers added later (pytest's, a journal's)."""
    global _installed
    with _lock:
        if _installed:
            return
        base = logging.getLogRecordFactory()

        def factory(*args, **kwargs) -> logging.LogRecord:
            return _scrub_record(base(*args, **kwargs))

        logging.setLogRecordFactory(factory)
        _installed = True
