"""End-to-end harness: the real application, over real HTTP, against the Bot API emulator,
on a real TinyDB file in a temporary folder. Tests read like a transcript:

    replies = await chat.send("/status 125")
    assert "民建晋城市委会" in replies[0].text
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import socket

from bot.app import build_application, make_services, polling_args, started, webhook_args
from bot.config import load_config
from bot.emulator import BotApiEmulator
from bot.samples import load_samples

ADMIN, STAFF, STRANGER = 1001, 1002, 4242
TOKEN = "123456:TEST-token-for-the-emulator"
TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)

TEST_CONFIG = """
[storage]
database = "data/proposals.json"
[access]
admins = [1001]
staff = [1002]
[console]
user_id = 1001
[aliases]
"发改委" = ["发展和改革委员会", "发展改革委", "发展改革和科技局"]
"""


MODES = ["polling", "webhook"]


class Clock:
    """An injectable clock tests can move."""

    def __init__(self, now: datetime = NOW):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Chat:
    """Talk to the running bot as a user; every call waits for the bot's answers."""

    def __init__(self, emulator: BotApiEmulator, app, services, clock: Clock):
        self.emulator, self.app, self.services, self.clock = emulator, app, services, clock

    async def send(self, text: str, user: int = ADMIN, expect: int = 1, timeout: float = 10.0,
                   chat_id: int | None = None, reply_to: int | None = None):
        """Send as ``user`` (in their private chat, or in group ``chat_id``); the answers."""
        where = user if chat_id is None else chat_id
        marker = self.emulator.mark(where)
        self.emulator.push_text(user, text, chat_id=chat_id, reply_to=reply_to)
        return await self.emulator.await_sent(where, count=expect, since=marker, timeout=timeout)

    async def press(self, message, index: int = 0, user: int = ADMIN, expect: int = 1):
        where = message.chat_id
        marker = self.emulator.mark(where)
        self.emulator.press_button(user, message.message_id, index,
                                   chat_id=None if where == user else where)
        return await self.emulator.await_sent(where, count=expect, since=marker)

    async def upload(self, filename: str, data: bytes, user: int = ADMIN, expect: int = 1, timeout: float = 20.0):
        marker = self.emulator.mark(user)
        self.emulator.push_document(user, filename, data)
        return await self.emulator.await_sent(user, count=expect, since=marker, timeout=timeout)


    async def import_list(self, filename: str, data: bytes, button: str = "导入并提醒", user: int = ADMIN):
        """Upload an assignment list, check that its summary offers the two choices, press
        ``button``; the import's answers (the summary, replaced by the report)."""
        (summary,) = await self.upload(filename, data, user=user)
        labels = [b["text"] for row in (summary.reply_markup or {}).get("inline_keyboard", []) for b in row]
        assert labels == ["作为历史导入", "导入并提醒"], summary.text
        return await self.press(summary, button, user=user)


def write_config(folder: Path, extra: str = "") -> Path:
    path = folder / "config.toml"
    path.write_text(TEST_CONFIG + extra, encoding="utf-8")
    return path


@pytest.fixture
def emulator():
    with BotApiEmulator() as emu:
        yield emu


WEBHOOK_SECRET = "test-webhook-secret_42"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def webhook_keys(port: int) -> str:
    """The [bot] keys of webhook mode: the emulator POSTs updates to the bot on ``port``."""
    return f'webhook_url = "http://127.0.0.1:{port}/telegram"\nlisten = "127.0.0.1"\nport = {port}\n'


def pytest_configure(config):
    config.addinivalue_line("markers", "webhook: every bot the test starts receives its updates by webhook")


# Besides the modules that run their conversations in both modes (parametrizing ``chat``), whole
# modules marked ``pytestmark = pytest.mark.webhook`` talk to a bot in webhook mode only, so that
# about half of the chat suite runs that way (issue 10) without running it twice.
_by_webhook = False


@pytest.fixture(autouse=True)
def receive_mode(request, monkeypatch):
    global _by_webhook
    _by_webhook = request.node.get_closest_marker("webhook") is not None
    if _by_webhook:
        monkeypatch.setenv("PROPOSAL_BOT_WEBHOOK_SECRET", WEBHOOK_SECRET)
    yield
    _by_webhook = False


def add_webhook_keys(config_path: Path) -> None:
    """Webhook mode in a test's config file (kept when a test restarts the bot on it)."""
    text = config_path.read_text(encoding="utf-8")
    if "webhook_url" in text:
        return
    keys = webhook_keys(free_port())
    text = text.replace("[bot]\n", "[bot]\n" + keys, 1) if "[bot]\n" in text else f"{text}\n[bot]\n{keys}"
    config_path.write_text(text, encoding="utf-8")


async def start_bot(emulator: BotApiEmulator, config_path: Path, clock: Clock, samples: bool = True,
                    jobs: bool = False):
    """The bot, started by hand, receiving updates the way its config says (long polling, or
    a webhook when ``bot.webhook_url`` is set). Scheduled jobs fire on real time, so they are
    removed unless ``jobs``: tests run the reminder sweep themselves, on the injected clock."""
    if _by_webhook:
        add_webhook_keys(config_path)
    config = load_config(config_path)
    services = make_services(config, clock)
    if samples:
        load_samples(services.repo, config)
    app = build_application(services, TOKEN, emulator.base_url, emulator.base_file_url, startup_retry=0.05)
    await app.initialize()
    await app.post_init(app)  # run_polling would call it; we drive the app by hand
    await app.start()
    if config.webhook_url:
        await app.updater.start_webhook(**webhook_args(config))
    else:
        await app.updater.start_polling(**polling_args(config))
    await started(app)  # start-up work (the reminder catch-up) is done before a test talks
    if not jobs:
        for job in app.job_queue.jobs():
            job.schedule_removal()
    return app, services


async def stop_bot(app) -> None:
    if app.updater.running:
        await app.updater.stop()
    if app.running:
        await app.stop()
    await app.shutdown()
    await app.post_shutdown(app)  # run_polling would call it
    # post_shutdown closed the database


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
async def chat(tmp_path, emulator, clock, request, monkeypatch):
    """A running bot to talk to. Modules that run their conversations in both ways of
    receiving updates parametrize it: ``pytest.mark.parametrize("chat", MODES, indirect=True)``."""
    extra = ""
    if getattr(request, "param", "polling") == "webhook":
        monkeypatch.setenv("PROPOSAL_BOT_WEBHOOK_SECRET", WEBHOOK_SECRET)
        extra = "[bot]\n" + webhook_keys(free_port())
    app, services = await start_bot(emulator, write_config(tmp_path, extra), clock)
    try:
        yield Chat(emulator, app, services, clock)
    finally:
        await stop_bot(app)
