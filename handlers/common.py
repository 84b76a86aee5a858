"""What every chat-facing module needs: the shared services, safe sending, role checks, and
buttons whose callback data names what they act on."""

from __future__ import annotations

import functools
import logging
import re
from typing import Any, Awaitable, Callable

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters, Update
from telegram.constants import ChatType
from telegram.ext import CallbackQueryHandler, ContextTypes

from bot.model import Department
from bot.render import split_message
from bot.services import ADMIN, STAFF, Services

log = logging.getLogger(__name__)

Handler = Callable[[Update, ContextTypes.DEFAULT_TYPE], Awaitable[Any]]

NOT_ADMIN = "抱歉，此操作仅限管理员。"
PRIVATE_HINT = "联系电话请在与机器人的私聊中查看。"
NOT_STAFF = "抱歉，此操作仅限工作人员和管理员。"


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.application.bot_data["services"]


async def reply(update: Update, text: str, buttons: list[list[tuple[str, str]]] | None = None,
                quote: bool = False) -> None:
    """Send HTML text to the chat of the update, split into valid messages; the buttons
    (rows of (label, callback_data)) go under the last part. ``quote``: the last part answers
    the command (a button under it reads the command back, see ``answered_command``)."""
    chat = update.effective_chat
    parts = split_message(text)
    command = command_message_id(update) if quote else None
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        markup = keyboard(buttons) if buttons and last else None
        answering = ReplyParameters(command, allow_sending_without_reply=True) if command and last else None
        await chat.send_message(part, reply_markup=markup, reply_parameters=answering)


def command_message_id(update: Update) -> int | None:
    """The person's command message: the update's own, or under a pressed button the one that
    button's message answered (so a question asked after a press still answers the command)."""
    if update.callback_query is not None:
        original = getattr(update.callback_query.message, "reply_to_message", None)
        return original.message_id if original is not None else None
    return update.effective_message.message_id if update.effective_message else None


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


# -- buttons ---------------------------------------------------------------------------------
# A button's callback data names its action and what it acts on: ``st:123`` (the card of the
# proposal with record id 123), ``dp:2:45`` (page 2 of unit 45's list). Fields are record ids and short codes that
# mean the same after a restart, never a key into the bot's memory. ``button`` builds the
# data, ``on_button`` registers a handler that receives the fields checked and converted:
# data that does not parse (forged, garbled, from an older version) gets a Chinese alert.

CALLBACK_LIMIT = 64  # bytes: Telegram's limit for callback_data
GARBLED_BUTTON = "无法识别该按钮（可能已失效），请重新发送命令。"
Field = Callable[[str], Any]


def button(action: str, *fields: object) -> str:
    """Callback data ``action:field:…``; only the last field may contain ':'."""
    data = ":".join([action, *map(str, fields)])
    if len(data.encode()) > CALLBACK_LIMIT:
        raise ValueError(f"callback data over {CALLBACK_LIMIT} bytes: {data!r}")
    return data


def fits(action: str, *fields: object) -> bool:
    """Whether ``button(action, *fields)`` stays within Telegram's limit."""
    try:
        button(action, *fields)
    except ValueError:
        return False
    return True


def record_id(text: str) -> int:
    """A field naming a record by its id."""
    if not re.fullmatch(r"[0-9]{1,15}", text):
        raise ValueError(f"not a record id: {text!r}")
    return int(text)


def chat_id(text: str) -> int:
    """A field naming a chat (group chats have negative ids)."""
    if not re.fullmatch(r"-?[0-9]{1,20}", text):
        raise ValueError(f"not a chat id: {text!r}")
    return int(text)


def one_of(*codes: str) -> Field:
    """A field that is one of a few short codes."""
    def code(text: str) -> str:
        if text not in codes:
            raise ValueError(f"not one of {codes}: {text!r}")
        return text
    return code


def parse_button(data: str, action: str, fields: tuple[Field, ...], optional: int = 0) -> list | None:
    """The fields of callback data made by ``button(action, …)``, converted; the last
    ``optional`` fields may be missing (None). None when the data does not parse."""
    head, _, body = data.partition(":")
    if head != action or not body:
        return None
    parts = body.split(":", len(fields) - 1)
    if not len(fields) - optional <= len(parts) <= len(fields):
        return None
    try:
        values = [convert(part) for convert, part in zip(fields, parts)]
    except ValueError:
        return None
    return values + [None] * (len(fields) - len(values))


def on_button(action: str, handler: Callable[..., Awaitable[Any]], *fields: Field,
              optional: int = 0) -> CallbackQueryHandler:
    """The handler of ``action`` buttons: called as ``handler(update, context, *values)``."""
    async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        values = parse_button(query.data or "", action, fields, optional)
        if values is None:
            await unknown_button(update, context)
            return
        await handler(update, context, *values)

    return CallbackQueryHandler(pressed, pattern=f"^{re.escape(action)}:")


async def unknown_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Callback data that no handler understands: say so, and log who sent it."""
    query = update.callback_query
    log.warning("unparsable button data %r from user %s", (query.data or "")[:80],
                update.effective_user and update.effective_user.id)
    await query.answer(GARBLED_BUTTON, show_alert=True)


def unit_field(unit: Department) -> str:
    """A unit as the last field of callback data: its id; ``=name`` for a unit only named on
    records (no unit record, so no id)."""
    return str(unit.id) if unit.id is not None else f"={unit.name}"


def unit_of_field(svc: Services, text: str) -> Department | None:
    """The unit ``unit_field`` named, None when it is gone (merged or deleted)."""
    if text.startswith("="):
        return svc.repo.department(text[1:]) or Department(name=text[1:])
    return svc.repo.get(Department, record_id(text))


def unit_ref(text: str) -> str:
    """The check of a ``unit_field`` field (resolved later by ``unit_of_field``)."""
    if not text.startswith("=") or len(text) < 2:
        record_id(text)
    return text


def answered_command(update: Update, command: str) -> list[str] | None:
    """The arguments of the ``/command`` that a pressed button's message answers (sent with
    ``quote``): what is too long for callback data (a reason, a document number) is read back
    from the person's own message. None when that message is gone or is not that command."""
    original = getattr(update.callback_query.message, "reply_to_message", None)
    words = (original.text or "").split() if original is not None else []
    if not words or words[0].split("@")[0] != f"/{command}":
        return None
    return words[1:]


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
        async def wrapper(update: Update, context: ContextTypes.DEFAULT_TYPE, *fields: Any) -> Any:
            user = update.effective_user
            if user is None or services(context).role_of(user.id) not in roles:
                log.warning("refused %s to user %s", handler.__name__, user and user.id)
                if update.callback_query:
                    await update.callback_query.answer(refusal, show_alert=True)
                else:
                    await reply(update, refusal)
                return None
            return await handler(update, context, *fields)

        return wrapper

    return decorate
