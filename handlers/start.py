"""/start and /help."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.render import esc
from bot.services import ADMIN, ROLE_LABELS
from handlers.common import reply, services

COMMANDS = [
    ("start", "开始使用", False),
    ("help", "使用说明", False),
]

WELCOME = (
    "您好，我是提案办理助手。\n"
    "发送 /status 125 查看第125号提案（建议）的办理状态；发送 /help 查看全部命令。"
)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start [TOKEN]: welcome, or link this account to a handler with a one-time token."""
    svc = services(context)
    redeem = svc.extras.get("redeem_link")
    if context.args and redeem is not None:
        await reply(update, await redeem(update.effective_user.id, context.args[0]))
        return
    role = svc.role_of(update.effective_user.id)
    await reply(update, f"{WELCOME}\n您的身份：{ROLE_LABELS.get(role, role)}。")


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


def register(app: Application) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler("help", help_command))
