"""The bot as a service: `proposal-bot run` in its own process, with a token, against the
emulator, in both ways of receiving updates; SIGTERM stops it cleanly."""

import signal
import subprocess
import sys

import pytest

from bot.config import load_config
from bot.samples import load_samples
from bot.storage import Repository
from tests.conftest import ADMIN, MODES, TOKEN, WEBHOOK_SECRET, free_port, webhook_keys, write_config


def answer_containing(emulator, chat_id: int, text: str, timeout: float = 90.0):
    """The bot's next message to the chat that contains ``text`` (start-up notices come first)."""
    while True:
        (message,) = emulator.wait_sent(chat_id, timeout=timeout)
        if text in (message.text or ""):
            return message


@pytest.mark.parametrize("mode", MODES)
def test_cli_bot_serves_then_stops_cleanly_on_sigterm(tmp_path, emulator, mode, monkeypatch):
    monkeypatch.setenv("PROPOSAL_BOT_TOKEN", TOKEN)
    monkeypatch.setenv("PROPOSAL_BOT_WEBHOOK_SECRET", WEBHOOK_SECRET)
    keys = f'base_url = "{emulator.base_url}"\nbase_file_url = "{emulator.base_file_url}"\npoll_timeout = 2\n'
    if mode == "webhook":
        keys += webhook_keys(free_port())
    config = load_config(write_config(tmp_path, "[bot]\n" + keys))
    repo = Repository(config.database)
    load_samples(repo, config)
    repo.close()
    emulator.add_user(ADMIN)
    emulator.mark(ADMIN)
    bot = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config.path), "-v", "run"],
                           stderr=subprocess.PIPE, text=True)
    try:
        emulator.push_text(ADMIN, "/status 125")
        card = answer_containing(emulator, ADMIN, "第125号")
        assert "6999022" in card.text
        emulator.push_text(ADMIN, "/grant 5555 staff")
        answer_containing(emulator, ADMIN, "已授权用户 5555", timeout=30)
        bot.send_signal(signal.SIGTERM)
        _, log = bot.communicate(timeout=60)
    finally:
        if bot.poll() is None:
            bot.kill()
    assert bot.returncode == 0, log[-3000:]
    assert "stopped; database closed" in log and "bot stopped" in log
    assert TOKEN not in log and "Traceback" not in log
    if mode == "webhook":
        assert "getUpdates" not in [m for m, _ in emulator.calls] and emulator.webhook_posts
    user = Repository(config.database).user(5555)
    assert user is not None and user.role == "staff"  # the acknowledged write is on disk
