"""Wiring: build the python-telegram-bot Application over our services.

This and ``handlers/`` are the only places that import telegram.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Callable

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder, ContextTypes, Defaults

from bot.config import Config
from bot.search import SearchIndex
from bot.services import Services
from bot.storage import Repository
from handlers import access, find, link, progress, reminders, start, status, upload

log = logging.getLogger(__name__)

# Order matters only for plain-text handlers; the access gate runs first in its own group.
HANDLER_MODULES = [access, start, status, find, upload, link, progress, reminders]

ERROR_TEXT = "抱歉，处理您的请求时出错了，已记录。请稍后再试，或联系管理员。"


def make_services(config: Config, clock: Callable[[], datetime] | None = None) -> Services:
    """The repository, and the search index that follows its changes."""
    repo = Repository(config.database, backups=config.backups)
    tz = config.tzinfo
    services = Services(config=config, repo=repo, clock=clock or (lambda: datetime.now(tz)))
    services.extras["index"] = SearchIndex.build(repo, config.aliases)
    return services


def command_menu() -> list[tuple[str, str, bool]]:
    """(command, Chinese description, admin only) for the menu and /help."""
    commands: list[tuple[str, str, bool]] = []
    for module in HANDLER_MODULES:
        commands.extend(getattr(module, "COMMANDS", []))
    return sorted(commands, key=lambda command: command[2])  # everyone's commands, then admins'


async def post_init(app: Application) -> None:
    """Register the command menu: everyone sees the common commands, admins see all."""
    commands = app.bot_data["commands"]
    common = [BotCommand(name, text) for name, text, admin in commands if not admin]
    everything = [BotCommand(name, text) for name, text, _ in commands]
    await app.bot.set_my_commands(common, scope=BotCommandScopeDefault())
    for admin_id in app.bot_data["services"].config.admins:
        try:
            await app.bot.set_my_commands(everything, scope=BotCommandScopeChat(admin_id))
        except TelegramError as exc:  # an admin who never opened the chat has no chat yet
            log.info("admin menu for %s not set: %s", admin_id, exc)
    for hook in app.bot_data.get("post_init_hooks", []):
        await hook(app)


async def post_shutdown(app: Application) -> None:
    """Close what the post_init hooks opened (reminder ledger, HTTP clients)."""
    for hook in app.bot_data.get("post_shutdown_hooks", []):
        try:
            await hook(app)
        except Exception:  # one failing hook must not keep the others from closing
            log.exception("shutdown hook %r failed", hook)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log every failure; the user gets a short Chinese apology, never a traceback."""
    log.error("error while handling %r", update, exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat:
        try:
            await update.effective_chat.send_message(ERROR_TEXT)
        except TelegramError:
            log.exception("could not send the error apology")


def build_application(
    services: Services,
    token: str,
    base_url: str | None = None,
    base_file_url: str | None = None,
) -> Application:
    config = services.config
    builder = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url or config.base_url)
        .base_file_url(base_file_url or config.base_file_url)
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=config.tzinfo))
        .rate_limiter(AIORateLimiter(max_retries=config.rate_limit_retries))  # replies retry on 429
        .concurrent_updates(True)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
    )
    app = builder.build()
    app.bot_data["services"] = services
    app.bot_data["commands"] = command_menu()
    for module in HANDLER_MODULES:
        module.register(app)
    app.add_error_handler(on_error)
    return app


def quiet_http_logs() -> None:
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)

