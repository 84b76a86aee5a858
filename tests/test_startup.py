"""Start-up that rides out blips, and a token that never reaches a log line or an error text."""

import io
import logging

import pytest
from telegram.error import InvalidToken

from bot.app import build_application, make_services
from bot.config import load_config
from bot.redact import MASK, add_secret
from tests.conftest import ADMIN, TOKEN, start_bot, stop_bot, write_config


def retry_lines(caplog, what: str) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith(f"start-up: {what} failed")]


async def test_startup_retries_getme_commands_and_webhook_until_telegram_answers(tmp_path, emulator, clock, caplog):
    caplog.set_level(logging.WARNING, logger="bot.app")
    emulator.inject_fault("getMe", 502, times=2)
    emulator.inject_lost_answer("setMyCommands", "dropped")
    emulator.inject_fault("setMyCommands", 500, times=1)
    emulator.inject_fault("deleteWebhook", 503, times=2)  # (429 is waited out by the rate limiter)
    app, _ = await start_bot(emulator, write_config(tmp_path), clock)
    try:
        assert len(retry_lines(caplog, "getMe")) == 2
        assert len(retry_lines(caplog, "setMyCommands")) == 2
        assert len(retry_lines(caplog, "deleteWebhook")) == 2
        assert "attempt 2" in retry_lines(caplog, "getMe")[1] and "retrying in" in retry_lines(caplog, "getMe")[1]
        assert [m for m, _ in emulator.calls].count("getMe") == 3
        assert "status" in {c["command"] for c in emulator.commands()}  # the menu got set in the end
        marker = emulator.mark(ADMIN)
        emulator.push_text(ADMIN, "/status 125")
        (card,) = await emulator.await_sent(ADMIN, since=marker)
        assert "第125号" in card.text
    finally:
        await stop_bot(app)


async def test_refused_token_is_not_retried_and_not_shown(tmp_path, emulator, clock):
    add_secret(TOKEN)  # what the command line does with $PROPOSAL_BOT_TOKEN
    emulator.inject_fault("getMe", 401, description="Unauthorized")
    config = load_config(write_config(tmp_path))
    app = build_application(make_services(config, clock), TOKEN, emulator.base_url, emulator.base_file_url,
                            startup_retry=0.05)
    with pytest.raises(InvalidToken) as err:
        await app.initialize()
    assert TOKEN not in str(err.value) and MASK in str(err.value)  # PTB puts the token in this text
    assert [m for m, _ in emulator.calls].count("getMe") == 1


async def test_no_token_in_a_debug_log_of_a_chat_session_with_http_errors(tmp_path, emulator, clock):
    """Everything logged at DEBUG (httpx's request lines carry the address, PTB's repr carries
    the token) during a session with a dropped connection and a refused token."""
    add_secret(TOKEN)
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    for name in ("httpx", "httpcore", "telegram"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    try:
        app, _ = await start_bot(emulator, write_config(tmp_path), clock)
        try:
            logging.getLogger("test").debug("the application: %r, its bot: %r", app, app.bot)
            marker = emulator.mark(ADMIN)
            emulator.push_text(ADMIN, "/status 125")
            await emulator.await_sent(ADMIN, since=marker)
            emulator.inject_lost_answer("sendMessage", "dropped")  # an httpx error inside a handler
            marker = emulator.mark(ADMIN)
            emulator.push_text(ADMIN, "/status 125")
            (_card, apology) = await emulator.await_sent(ADMIN, count=2, since=marker)
            assert "出错" in apology.text
        finally:
            await stop_bot(app)
        emulator.inject_fault("getMe", 401)
        again = build_application(app.bot_data["services"], TOKEN, emulator.base_url, emulator.base_file_url)
        try:
            await again.initialize()
        except InvalidToken:
            logging.getLogger("test").exception("start-up refused")
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        for name in ("httpx", "httpcore", "telegram"):
            logging.getLogger(name).setLevel(logging.NOTSET)
    text = out.getvalue()
    assert "RemoteProtocolError" in text and "Traceback" in text and "start-up refused" in text
    assert f"/bot{MASK}/sendMessage" in text  # httpx logged the addresses, scrubbed
    assert TOKEN not in text and TOKEN.split(":")[1] not in text
