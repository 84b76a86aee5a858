"""Receiving updates: Telegram's webhook mode (POSTs with the secret header), and long polling
that costs one request per timeout while idle."""

import asyncio

import httpx
import pytest

from tests.conftest import ADMIN, WEBHOOK_SECRET, start_bot, stop_bot, write_config

UPDATE = {"update_id": 990001, "message": {
    "message_id": 77, "date": 1764547200, "chat": {"id": ADMIN, "type": "private", "first_name": "x"},
    "from": {"id": ADMIN, "is_bot": False, "first_name": "x"}, "text": "/status 125",
    "entities": [{"type": "bot_command", "offset": 0, "length": 7}]}}


@pytest.mark.parametrize("chat", ["webhook"], indirect=True)
async def test_webhook_mode_gets_updates_by_post_and_getupdates_conflicts(chat):
    info = await chat.app.bot.get_webhook_info()
    config = chat.services.config
    assert info.url == config.webhook_url == f"http://127.0.0.1:{config.port}/telegram"
    (card,) = await chat.send("/status 125")
    assert "第125号" in card.text
    assert chat.emulator.webhook_posts and all(error is None for _, error in chat.emulator.webhook_posts)
    assert "getUpdates" not in [m for m, _ in chat.emulator.calls]
    async with httpx.AsyncClient() as client:  # a poller next to a webhook: Telegram says 409
        answer = await client.post(f"{chat.emulator.base_url}123:x/getUpdates")
    assert answer.status_code == 409 and "webhook is active" in answer.json()["description"]


@pytest.mark.parametrize("chat", ["webhook"], indirect=True)
async def test_update_without_the_right_secret_is_rejected(chat):
    url = chat.services.config.webhook_url
    async with httpx.AsyncClient() as client:
        missing = await client.post(url, json=UPDATE)
        wrong = await client.post(url, json=UPDATE, headers={"X-Telegram-Bot-Api-Secret-Token": "guess"})
        assert (missing.status_code, wrong.status_code) == (403, 403)
        (card,) = await chat.send("/status TA10")  # nothing was answered for the forged ones
        assert "第TA0010号" in card.text
        assert chat.emulator.sent(ADMIN)[-1] == card and len(chat.emulator.sent(ADMIN)) == 1
        marker = chat.emulator.mark(ADMIN)
        right = await client.post(url, json=UPDATE, headers={"X-Telegram-Bot-Api-Secret-Token": WEBHOOK_SECRET})
        assert right.status_code == 200
        (answer,) = await chat.emulator.await_sent(ADMIN, since=marker)
        assert "第125号" in answer.text


async def test_idle_long_polling_makes_one_request_per_timeout(tmp_path, emulator, clock):
    """The emulator holds getUpdates for its timeout like Telegram: an idle bot asks once per
    poll_timeout, not in a loop (the count can only be lower on a slow machine)."""
    app, _ = await start_bot(emulator, write_config(tmp_path, "[bot]\npoll_timeout = 1\n"), clock)
    try:
        before = [p for m, p in emulator.calls if m == "getUpdates"]
        await asyncio.sleep(3.5)
        polls = [p for m, p in emulator.calls if m == "getUpdates"][len(before):]
    finally:
        await stop_bot(app)
    assert 1 <= len(polls) <= 5
    assert all(p.get("timeout") == 1 for p in polls)
