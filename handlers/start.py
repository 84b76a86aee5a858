"""/start and /help.

``/start PAYLOAD`` comes from a deep link ``t.me/<bot>?start=PAYLOAD``: ``p<id>`` / ``c<id>``
(the private-chat buttons under cards shown in a group) show that proposal's or contact's card;
anything else is a one-time link token (handlers.link). Both work only in a private chat.
"""

from __future__ import annotations

import logging
import re

from rapidfuzz import fuzz
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.model import Contact, Proposal
from bot.render import esc
from bot.services import ADMIN, ROLE_LABELS
from handlers.common import in_private, reply, services
from handlers.access import refusal
from handlers.find import show_hit
from handlers.link import redeem

log = logging.getLogger(__name__)

VIEW_PAYLOAD = re.compile(r"^([pc])(\d{1,12})$")

COMMANDS = [
    ("start", "开始使用", False),
    ("help", "使用说明", False),
]

WELCOME = (
    "您好，我是提案办理助手。\n"
    "发送 /status 125 查看第125号提案（建议）的办理状态；发送 /help 查看全部命令。"
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [PAYLOAD]: welcome; a card asked for from a group; or link this account to a
    handler with a one-time token."""
    svc = services(context)
    if context.args and not in_private(update):
        log.warning("/start with a payload refused in group %s from user %s",
                    update.effective_chat.id, update.effective_user.id)
        await reply(update, "请在与机器人的私聊中打开该链接（点机器人头像，再点“发消息”）。")
        return
    if context.args:
        view = VIEW_PAYLOAD.match(context.args[0])
        if view:
            await show_requested(update, context, view.group(1), int(view.group(2)))
            return
        await redeem(update, context, context.args[0])
        return
    role = svc.role_of(update.effective_user.id)
    await reply(update, f"{WELCOME}\n您的身份：{ROLE_LABELS.get(role, role)}。")


async def show_requested(update: Update, context: ContextTypes.DEFAULT_TYPE, kind: str, record_id: int) -> None:
    """The card a private-chat button under a group answer asked for (allowed users only)."""
    svc = services(context)
    if svc.role_of(update.effective_user.id) is None:
        await reply(update, refusal(update.effective_user.id))
        return
    record = svc.repo.get(Proposal if kind == "p" else Contact, record_id)
    if record is None:
        await reply(update, "该记录已不存在，请重新查询。")
        return
    await show_hit(update, context, "proposal" if kind == "p" else "contact", record)


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: the commands this user may use, in Chinese."""
    svc = services(context)
    is_admin = svc.role_of(update.effective_user.id) == ADMIN
    lines = ["<b>可用命令</b>"]
    for command, description, admin in context.application.bot_data["commands"]:
        if admin and not is_admin:
            continue
        lines.append(f"/{command} · {esc(description)}")
    lines.append("")
    lines.append("也可以直接发送案号、人名、单位或标题关键词。")
    await reply(update, "\n".join(lines))


def nearest_commands(name: str, commands: list[tuple[str, str]], limit: int = 3,
                     args: str = "") -> list[tuple[str, str]]:
    """The commands closest to a mistyped one (/stat → /status): spelling, or one the start of
    the other; with a number after it (/stat 125), commands that take a number come first."""
    numbered = bool(re.search(r"\d", args))
    scored = []
    for command, description in commands:
        score = fuzz.ratio(name, command)
        if name and (command.startswith(name) or name.startswith(command)):
            score = max(score, 90)
        if numbered and score >= 60 and re.search(r"\d|案号", description):
            score += 5
        if score >= 60:
            scored.append((-score, command, description))
    return [(command, description) for _, command, description in sorted(scored)[:limit]]


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command no handler knows: the nearest ones this user may use, and /help."""
    message = update.effective_message
    words = (message.text or "").split()
    name = words[0][1:].split("@")[0].lower() if words else ""
    app = context.application
    known = {c for group in app.handlers.values() for h in group
             if isinstance(h, CommandHandler) for c in h.commands}
    if name in known:
        return
    is_admin = services(context).role_of(update.effective_user.id) == ADMIN
    allowed = [(c, d) for c, d, admin in app.bot_data["commands"] if is_admin or not admin]
    rest = " ".join(words[1:])
    near = nearest_commands(name, allowed, args=rest)
    lines = [f"没有 /{esc(name[:30])} 这个命令。"]
    if near:
        lines.append("您是不是要找：")
        lines += [f"/{c}{' ' + esc(rest[:50]) if rest else ''} · {esc(d)}" for c, d in near]
    lines.append("发送 /help 查看全部命令。")
    await reply(update, "\n".join(lines))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
    # its own group, after every module's handlers: it answers only commands none of them knows
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command), group=1)
