"""Who may talk to the bot: the gate in front of every handler, and /grant, /revoke, /users."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, CommandHandler, ContextTypes, TypeHandler

from bot.render import esc
from bot.services import ADMIN, ROLE_LABELS, STAFF
from handlers.common import admin_only, reply, services

log = logging.getLogger(__name__)

GRANTABLE = (STAFF, ADMIN)

COMMANDS = [
    ("grant", "授权用户：/grant 用户编号 staff|admin", True),
    ("revoke", "撤销权限：/revoke 用户编号", True),
    ("users", "查看用户与权限", True),
]


def refusal(user_id: int) -> str:
    return f"抱歉，您尚未获得使用权限。请将您的用户编号 {user_id} 发给管理员开通。"


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Runs before every other handler: unknown users get a refusal and nothing else."""
    user = update.effective_user
    if user is None:
        raise ApplicationHandlerStop
    if services(context).role_of(user.id) is not None:
        return
    message = update.effective_message
    text = message.text if message and message.text else ""
    if text.startswith("/start ") and len(text.split()) == 2:
        return  # a one-time link token: the start handler decides
    log.warning("refused user %s (%s): %r", user.id, user.username, text[:80])
    if update.callback_query:
        await update.callback_query.answer("抱歉，您尚未获得使用权限。", show_alert=True)
    elif update.effective_chat:
        await reply(update, refusal(user.id))
    raise ApplicationHandlerStop


@admin_only
async def grant(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/grant USER_ID staff|admin"""
    args = context.args or []
    if len(args) != 2 or not args[0].isdigit() or args[1] not in GRANTABLE:
        await reply(update, "用法：/grant 用户编号 staff|admin\n例如：/grant 123456789 staff")
        return
    user_id, role = int(args[0]), args[1]
    admin_id = update.effective_user.id
    svc = services(context)
    svc.repo.set_user(user_id, role, granted_by=admin_id)
    svc.repo.audit("grant", admin_id, target=user_id, role=role)
    await reply(update, f"已授权用户 {user_id} 为{ROLE_LABELS[role]}。")


@admin_only
async def revoke(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/revoke USER_ID"""
    args = context.args or []
    if len(args) != 1 or not args[0].isdigit():
        await reply(update, "用法：/revoke 用户编号")
        return
    user_id = int(args[0])
    svc = services(context)
    if user_id in svc.config.admins or user_id in svc.config.staff:
        await reply(update, f"用户 {user_id} 的权限写在配置文件中，请在 config.toml 中移除。")
        return
    removed = svc.repo.remove_user(user_id)
    svc.repo.audit("revoke", update.effective_user.id, target=user_id, found=removed)
    await reply(update, f"已撤销用户 {user_id} 的权限。" if removed else f"用户 {user_id} 没有通过 /grant 授予的权限。")


@admin_only
async def users(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/users: everyone who may use the bot, and why."""
    svc = services(context)
    lines = ["<b>用户与权限</b>"]
    for user_id in svc.config.admins:
        lines.append(f"{user_id} · 管理员（配置文件）")
    for user_id in svc.config.staff:
        lines.append(f"{user_id} · 工作人员（配置文件）")
    for user in sorted(svc.repo.all_users(), key=lambda u: u.user_id):
        by = f" · 由 {user.granted_by} 授权" if user.granted_by else ""
        lines.append(esc(f"{user.user_id} · {ROLE_LABELS.get(user.role, user.role)}{by}"))
    linked = [c for c in svc.repo.contacts() if c.telegram_user_id]
    for contact in linked:
        lines.append(esc(f"{contact.telegram_user_id} · 承办人 {contact.name}（{contact.unit}）"))
    await reply(update, "\n".join(lines))


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, gate), group=-1)
    app.add_handler(CommandHandler("grant", grant))
    app.add_handler(CommandHandler("revoke", revoke))
    app.add_handler(CommandHandler("users", users))
