"""Who may talk to the bot: the gate in front of every handler, and /grant, /revoke, /users,
/group.

Access depends on the user and on the chat. In a private chat an unknown user gets a refusal
showing their own id. In a group the bot answers allowed users only (unknown members get no
answer at all), and shows phone numbers only where an admin sent ``/group allow`` in that group.
"""

from __future__ import annotations

import logging
import re
from datetime import datetime

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes, TypeHandler

from bot import access
from bot.access import GRANTABLE, IN_CONFIG, REVOKED
from bot.render import contact_label, esc
from bot.services import GROUP_DETAILS, ROLE_LABELS
from handlers.common import admin_only, in_private, reply, services

log = logging.getLogger(__name__)

COMMANDS = [
    ("grant", "授权用户：/grant 用户编号 staff|admin", True),
    ("revoke", "撤销权限：/revoke 用户编号", True),
    ("users", "查看用户与权限", True),
    ("group", "在群组中发送：/group allow|deny 是否在本群显示联系方式", True),
]
PRIVATE_ONLY_COMMAND = "请在与机器人的私聊中使用 /{command}。"


def refusal(user_id: int) -> str:
    return f"抱歉，您尚未获得使用权限。请将您的用户编号 {user_id} 发给管理员开通。"


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every other handler: unknown users get a refusal (in a group: silence)
    and nothing else."""
    user = update.effective_user
    if user is None:
        raise ApplicationHandlerStop
    if services(context).role_of(user.id) is not None:
        await one_command_per_message(update)
        return
    message = update.effective_message
    text = message.text if message and message.text else ""
    private = in_private(update)
    if private and text.startswith("/start ") and len(text.split()) == 2:
        return  # a one-time link token: the start handler decides
    log.warning("refused user %s (%s) in chat %s: %r", user.id, user.username,
                update.effective_chat and update.effective_chat.id, text[:80])
    if update.callback_query:
        await update.callback_query.answer("抱歉，您尚未获得使用权限。", show_alert=True)
    elif update.effective_chat and private:
        await reply(update, refusal(user.id))
    raise ApplicationHandlerStop


COMMAND_WORD = re.compile(r"(?:^|\s)(/[A-Za-z]\w*)")


async def one_command_per_message(update: Update) -> None:
    """Two commands in one message (/status 1 and /status 2 on two lines) would be read as one
    command with the other as its argument: say so, with the commands to send one by one."""
    message = update.effective_message
    text = message.text if message and message.text else ""
    if not text.startswith("/") or len(COMMAND_WORD.findall(text)) < 2:
        return
    lines = [line.strip() for line in text.splitlines() if line.strip().startswith("/")]
    if len(lines) < 2:  # on one line: cut before each command
        lines = [part.strip() for part in re.split(r"\s(?=/[A-Za-z])", text) if part.strip()]
    shown = "\n".join(esc(line[:60]) for line in lines[:5]) + ("\n……" if len(lines) > 5 else "")
    await reply(update, f"一条消息只能发一条命令，请分开发送：\n{shown}")
    raise ApplicationHandlerStop


@admin_only
async def grant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/grant USER_ID staff|admin"""
    args = context.args or []
    if len(args) != 2 or not args[0].isdigit() or args[1] not in GRANTABLE:
        await reply(update, "用法：/grant 用户编号 staff|admin\n例如：/grant 123456789 staff")
        return
    user_id, role = int(args[0]), args[1]
    access.grant(services(context), update.effective_user.id, user_id, role)
    await reply(update, f"已授权用户 {user_id} 为{ROLE_LABELS[role]}。")


@admin_only
async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/revoke USER_ID"""
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        await reply(update, "用法：/revoke 用户编号")
        return
    user_id = int(args[0])
    done = access.revoke(services(context), update.effective_user.id, user_id)
    if done == IN_CONFIG:
        await reply(update, f"用户 {user_id} 的权限写在配置文件中，请在 config.toml 中移除。")
        return
    await reply(update, f"已撤销用户 {user_id} 的权限。" if done == REVOKED else f"用户 {user_id} 没有通过 /grant 授予的权限。")


@admin_only
async def users(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/users: everyone who may use the bot, and why; the groups that may see phone numbers."""
    if not in_private(update):
        await reply(update, PRIVATE_ONLY_COMMAND.format(command="users"))
        return
    svc = services(context)
    lines = ["<b>用户与权限</b>"]
    for user_id in svc.config.admins:
        lines.append(f"{user_id} · 管理员（配置文件）")
    for user_id in svc.config.staff:
        lines.append(f"{user_id} · 工作人员（配置文件）")
    entries = sorted(svc.repo.all_users(), key=lambda u: u.user_id)
    for user in (u for u in entries if u.role != GROUP_DETAILS):
        by = f" · 由 {user.granted_by} 授权" if user.granted_by else ""
        lines.append(esc(f"{user.user_id} · {ROLE_LABELS.get(user.role, user.role)}{by}"))
    linked = [c for c in svc.repo.contacts() if c.telegram_user_id]
    for contact in linked:
        lines.append(esc(f"{contact.telegram_user_id} · 承办人 {contact_label(contact)}"))
    groups = [u for u in entries if u.role == GROUP_DETAILS]
    lines.append("")
    lines.append("<b>可显示联系方式的群组</b>（/group allow）" if groups else "没有群组获准显示联系方式。")
    for group in groups:
        when = ""  # stored in UTC, shown in the office's time
        if group.granted_at:
            when = datetime.fromisoformat(group.granted_at).astimezone(svc.config.tzinfo).strftime(" 于 %Y-%m-%d %H:%M")
        lines.append(esc(f"{group.user_id} {group.name} · 由 {group.granted_by}{when} 允许"))
    await reply(update, "\n".join(lines))


GROUP_USAGE = ("用法（在群组中发送）：/group allow 允许本群中已授权的用户看到联系电话；"
               "/group deny 不再显示。未允许的群组只显示不含电话的信息。")


@admin_only
async def group(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/group allow|deny, sent in the group itself: may its allowed users see phone numbers?"""
    if in_private(update):
        await reply(update, GROUP_USAGE)
        return
    svc = services(context)
    chat = update.effective_chat
    allowed = svc.group_shows_details(chat.id)
    args = context.args or []
    if len(args) != 1 or args[0] not in ("allow", "deny"):
        state = "已允许" if allowed else "未允许"
        await reply(update, f"本群（{chat.id}）显示联系电话：{state}。\n{GROUP_USAGE}")
        return
    admin_id = update.effective_user.id
    if args[0] == "allow":
        access.allow_group(svc, admin_id, chat.id, chat.title)
        await reply(update, "已允许：本群中已授权的用户可以看到联系电话。撤销请发送 /group deny。")
    else:
        access.deny_group(svc, admin_id, chat.id, chat.title)
        await reply(update, "已设置：本群不再显示联系电话，需要时请在私聊中查看。")


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, gate), group=-1)
    app.add_handler(CommandHandler("grant", grant))
    app.add_handler(CommandHandler("revoke", revoke))
    app.add_handler(CommandHandler("users", users))
    app.add_handler(CommandHandler("group", group))
