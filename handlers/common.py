"""What every chat-facing module needs: the shared services, safe sending, role checks."""

from __future__ import annotations

import functools
import logging
from typing import Any, Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import ContextTypes

from bot.render import split_message
from bot.services import ADMIN, Services

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[Any]]

NOT_ADMIN = "抱歉，此操作仅限管理员。"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


async def reply(update: Update, text: str, buttons: list[list[tuple[str, str]]] | None = None) -> None:
    """Send HTML text to the chat of the update, split into valid messages; the buttons
    (rows of (label, callback_data)) go under the last part."""
    chat = update.effective_chat
    parts = split_message(text)
    for i, part in enumerate(parts):
        markup = keyboard(buttons) if buttons and i == len(parts) - 1 else None
        await chat.send_message(part, reply_markup=markup)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in rows]
    )


def admin_only(handler: Handler) -> Handler:
    """Refuse (politely, and logged) anyone who is not an admin."""

    @functools.wraps(handler)
    async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
        user = update.effective_user
        if user is None or services(context).role_of(user.id) != ADMIN:
            log.warning("refused admin command %s from user %s", handler.__name__, user and user.id)
            await reply(update, NOT_ADMIN)
            return None
        return await handler(update, context)

    return wrapper
