"""Wiring: build the python-telegram-bot Application over our services.

This and ``handlers/`` are the only places that import telegram. The whole life cycle is here:
``make_services`` (repository, search index), ``build_application`` (the reminder service, the
handlers), ``post_init`` (the start-up steps, in order), ``started`` (the start-up work that runs
in the background is done) and ``post_shutdown`` (the shut-down steps). ``bot_data`` holds
two entries: ``services`` (what handlers reach through ``handlers.common.services``) and
``commands`` (the menu /help lists).
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from datetime import datetime
from typing import Any, Awaitable, Callable
from urllib.parse import urlsplit

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Conflict, Forbidden, InvalidToken, NetworkError, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, CallbackQueryHandler, ContextTypes, Defaults
from telegram.request import HTTPXRequest

from bot.config import Config
from bot.redact import scrub_exception
from bot.reminder_service import ReminderService
from bot.services import Services
from bot.storage import Repository, WriteFailed
from handlers.common import unknown_button
from handlers.reminders import reminders_of
from handlers import access, delete, draft, edit, export, find, link, nudge, opinion, progress, reminders, samples, similar, start, stats, status, units, upload

log = logging.getLogger(__name__)

# Order matters only for plain-text handlers; the access gate runs first in its own group.
HANDLER_MODULES = [access, start, status, edit, delete, find, upload, link, progress, opinion, reminders, export, units, similar, draft, stats, nudge, samples]

ERROR_TEXT = "抱歉，处理您的请求时出错了，已记录。请稍后再试，或联系管理员。"

STARTUP_RETRY_FIRST, STARTUP_RETRY_MAX = 1.0, 60.0  # seconds: 1, 2, 4 … then every minute


class RedactingRequest(HTTPXRequest):
    """PTB's HTTP layer, with the token scrubbed from every error it raises (httpx errors and
    the texts built from them carry the request address, which contains the token)."""

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        try:
            return await super().do_request(*args, **kwargs)
        except Exception as exc:
            scrub_exception(exc)
            raise


async def retry_startup(what: str, call: Callable[[], Awaitable[Any]], first_delay: float) -> Any:
    """Call until Telegram answers: network errors, 5xx and flood control are retried with a
    doubling delay (logged each time); a refused token or a bad request is not."""
    delay, attempt = first_delay, 1
    while True:
        try:
            return await call()
        except RetryAfter as exc:
            wait, error = max(retry_seconds(exc), delay), exc
        except (InvalidToken, BadRequest, Forbidden, ChatMigrated, Conflict) as exc:
            scrub_exception(exc)
            raise
        except NetworkError as exc:  # TimedOut, 5xx, connection errors
            wait, error = delay, exc
        scrub_exception(error)
        log.warning("start-up: %s failed (attempt %d: %s: %s); retrying in %.1f s",
                    what, attempt, error.__class__.__name__, error, wait)
        await asyncio.sleep(wait)
        delay, attempt = min(delay * 2, STARTUP_RETRY_MAX), attempt + 1


def retry_seconds(exc: RetryAfter) -> float:
    """Telegram's retry_after in seconds (PTB 22 warns that it becomes a timedelta)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


StartHook = Callable[["BotApplication"], Awaitable[None]]


class BotApplication(Application):
    """The PTB application whose start-up (getMe inside ``initialize``) rides out blips."""

    startup_retry: float = STARTUP_RETRY_FIRST  # first delay of the start-up retries (tests: short)
    after_start: StartHook | None = None  # console mode: read the terminal once the bot is up

    @property
    def services(self) -> Services:
        return self.bot_data["services"]

    async def initialize(self) -> None:
        await retry_startup("getMe", super().initialize, self.startup_retry)

    async def start(self) -> None:
        """``run_polling`` calls this once the polling is set up (``run_webhook`` once the
        webhook listens): the reminder catch-up begins only now, after the first getUpdates."""
        await super().start()
        reminders_of(self).receiving()


def make_services(config: Config, clock: Callable[[], datetime] | None = None) -> Services:
    """The repository, and the search index that follows its changes (built now, so that the
    first question does not wait for it)."""
    repo = Repository(config.database, backups=config.backups)
    tz = config.tzinfo
    services = Services(config=config, repo=repo, clock=clock or (lambda: datetime.now(tz)))
    services.units.link_legacy()
    services.index  # noqa: B018 - built at start-up
    return services


def command_menu() -> list[tuple[str, str, bool]]:
    """(command, Chinese description, admin only) for the menu and /help."""
    commands: list[tuple[str, str, bool]] = []
    for module in HANDLER_MODULES:
        commands.extend(getattr(module, "COMMANDS", []))
    return sorted(commands, key=lambda command: command[2])  # everyone's commands, then admins'


async def post_init(app: BotApplication) -> None:
    """The start-up steps once Telegram answered getMe (``run_polling`` / ``run_webhook`` call
    this; tests that drive the application by hand call it themselves)."""
    await set_up_chat(app)
    await reminders.start(app)  # ledger, daily job, catch-up sweep (in the background, once polling)
    if app.after_start is not None:
        await app.after_start(app)


async def started(app: BotApplication) -> None:
    """Return when the start-up work running in the background (the reminder catch-up sweep)
    is done: tests and console mode talk to the bot only after it."""
    await reminders_of(app).started()


async def set_up_chat(app: BotApplication) -> None:
    """Polling: no webhook may be set. Register the command menu: everyone sees the common
    commands, admins see all. Each call is retried until Telegram answers."""
    delay = app.startup_retry
    if not app.services.config.webhook_url:
        await retry_startup("deleteWebhook", app.bot.delete_webhook, delay)
    commands = app.bot_data["commands"]
    common = [BotCommand(name, text) for name, text, admin in commands if not admin]
    everything = [BotCommand(name, text) for name, text, _ in commands]
    await retry_startup("setMyCommands", lambda: app.bot.set_my_commands(common, scope=BotCommandScopeDefault()), delay)
    for admin_id in app.services.config.admins:
        try:
            await retry_startup(f"setMyCommands for admin {admin_id}", lambda: app.bot.set_my_commands(
                everything, scope=BotCommandScopeChat(admin_id)), delay)
        except TelegramError as exc:  # an admin who never opened the chat has no chat yet
            log.info("admin menu for %s not set: %s", admin_id, exc)


async def post_shutdown(app: BotApplication) -> None:
    """The shut-down steps: stop the reminder service (ledger, HTTP client), then close the
    database (every write is already on disk; this releases it), even when the first fails."""
    try:
        await reminders_of(app).stop()
    except Exception:
        log.exception("stopping the reminder service failed")
    app.services.repo.close()
    log.info("stopped; database closed")


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every failure; the user gets a short Chinese apology, never a traceback."""
    log.error("error while handling %r", update, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        # a failed write was undone: say plainly that nothing was saved
        text = str(context.error) if isinstance(context.error, WriteFailed) else ERROR_TEXT
        try:
            await update.effective_chat.send_message(text, parse_mode=None)
        except TelegramError:
            log.exception("could not send the error apology")


def build_application(
    services: Services,
    token: str,
    base_url: str | None = None,
    base_file_url: str | None = None,
    startup_retry: float = STARTUP_RETRY_FIRST,
    after_start: StartHook | None = None,
) -> BotApplication:
    """The application over ``services``, with its reminder service; ``after_start`` runs last
    in ``post_init`` (console mode)."""
    config = services.config
    builder = (
        ApplicationBuilder()
        .application_class(BotApplication)
        .token(token)
        .request(RedactingRequest(connection_pool_size=256))
        .get_updates_request(RedactingRequest(connection_pool_size=1))
        .base_url(base_url or config.base_url)
        .base_file_url(base_file_url or config.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=config.tzinfo))
        .rate_limiter(AIORateLimiter(max_retries=config.rate_limit_retries))  # replies retry on 429
        .concurrent_updates(True)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    app = builder.build()
    app.startup_retry, app.after_start = startup_retry, after_start
    app.bot_data["services"] = services
    app.bot_data["commands"] = command_menu()
    services.reminders = ReminderService(services)
    for module in HANDLER_MODULES:
        module.register(app)
    app.add_handler(CallbackQueryHandler(unknown_button))  # a button no module understands
    app.add_error_handler(on_error)
    return app


def webhook_args(config: Config) -> dict[str, Any]:
    """How PTB serves the webhook: on ``listen:port`` at the path of ``webhook_url`` (the
    public HTTPS address a reverse proxy forwards), checking Telegram's secret header."""
    return {"listen": config.listen, "port": config.port,
            "url_path": urlsplit(config.webhook_url).path.strip("/"),
            "webhook_url": config.webhook_url, "secret_token": config.webhook_secret,
            "bootstrap_retries": -1}


def polling_args(config: Config) -> dict[str, Any]:
    """Long polling: Telegram holds each getUpdates up to ``bot.poll_timeout`` seconds, so an
    idle bot makes one request per timeout (PTB adds the timeout to the read timeout)."""
    return {"timeout": config.poll_timeout, "poll_interval": 0.0, "bootstrap_retries": -1}


def run(app: BotApplication) -> None:
    """Serve until SIGINT/SIGTERM: a webhook when ``bot.webhook_url`` is set, else long
    polling. A stop lets running handlers finish, then post_shutdown closes the ledger and the
    database."""
    config = app.services.config
    if config.webhook_url:
        log.info("serving the webhook on %s:%s for %s", config.listen, config.port, config.webhook_url)
        app.run_webhook(**webhook_args(config))
    else:
        app.run_polling(**polling_args(config))


def quiet_http_logs() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

