"""What every chat-facing module needs: the shared services, safe sending, role checks."""

from __future__ import annotations

import functools
import itertools
import logging
from typing import Any, Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot.render import split_message
from bot.services import ADMIN, STAFF, Services

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[Any]]

NOT_ADMIN = "抱歉，此操作仅限管理员。"
PRIVATE_HINT = "联系电话请在与机器人的私聊中查看。"
NOT_STAFF = "抱歉，此操作仅限工作人员和管理员。"


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


async def edit(update: Update, text: str, buttons: list[list[tuple[str, str]]] | None = None) -> None:
    """Replace the message whose button was pressed with ``text``; a text too long for one
    message continues in new ones, the buttons under the last part."""
    first, *rest = split_message(text)
    await update.callback_query.edit_message_text(
        first, reply_markup=keyboard(buttons) if buttons and not rest else None
    )
    for i, part in enumerate(rest):
        markup = keyboard(buttons) if buttons and i == len(rest) - 1 else None
        await update.effective_chat.send_message(part, reply_markup=markup)


_choice_keys = itertools.count(1)
MAX_CHOICES = 500


def remember(context: ContextTypes.DEFAULT_TYPE, value: Any) -> str:
    """A short key for what a button stands for (callback_data is at most 64 bytes); the value
    stays in chat_data. Old keys are dropped beyond MAX_CHOICES; a restart forgets them all."""
    key = str(next(_choice_keys))
    choices = context.chat_data.setdefault("choices", {})
    choices[key] = value
    if len(choices) > MAX_CHOICES:
        for old in list(choices)[: MAX_CHOICES // 2]:
            del choices[old]
    return key


def recall(context: ContextTypes.DEFAULT_TYPE, key: str, forget: bool = False) -> Any:
    """What ``remember`` stored under the key, or None when it is gone."""
    choices = context.chat_data.get("choices", {})
    return choices.pop(key, None) if forget else choices.get(key)


def keyboard(rows: list[list[tuple[str, str]]]) -> InlineKeyboardMarkup:
    """Rows of (label, callback data); data that is an https:// address makes a link button."""
    return InlineKeyboardMarkup([
        [InlineKeyboardButton(label, url=data) if data.startswith("https://")
         else InlineKeyboardButton(label, callback_data=data) for label, data in row]
        for row in rows
    ])


def in_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is None or chat.type == ChatType.PRIVATE


def shows_personal(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Phone numbers and other personal details: in private chats, and in the groups an admin
    allowed with /group allow."""
    return in_private(update) or services(context).group_shows_details(update.effective_chat.id)


def private_chat_button(context: ContextTypes.DEFAULT_TYPE, payload: str) -> list[list[tuple[str, str]]]:
    """A button opening the private chat with the bot (``/start payload`` there): a bot cannot
    write first to someone who never started it."""
    return [[("在私聊中查看联系方式", f"https://t.me/{context.bot.username}?start={payload}")]]


def admin_only(handler: Handler) -> Handler:
    """Refuse (politely, and logged) anyone who is not an admin: a message for a command, an
    alert for a pressed button."""
    return _only((ADMIN,), NOT_ADMIN)(handler)


def staff_only(handler: Handler) -> Handler:
    """The same for what staff may read too (/overdue, /digest)."""
    return _only((ADMIN, STAFF), NOT_STAFF)(handler)


def _only(roles: tuple[str, ...], refusal: str) -> Callable[[Handler], Handler]:
    def decorate(handler: Handler) -> Handler:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Any:
            user = update.effective_user
            if user is None or services(context).role_of(user.id) not in roles:
                log.warning("refused %s to user %s", handler.__name__, user and user.id)
                if update.callback_query:
                    await update.callback_query.answer(refusal, show_alert=True)
                else:
                    await reply(update, refusal)
                return None
            return await handler(update, context)

        return wrapper

    return decorate
