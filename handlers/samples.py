"""/samples: how many sample records the database holds; /samples remove deletes them (admins)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.samples import removal_text, remove_samples, sample_proposals
from handlers.common import admin_only, reply, services

COMMANDS = [("samples", "示例数据：/samples 查看，/samples remove 删除", True)]


@admin_only
async def samples(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/samples [remove]"""
    svc = services(context)
    args = [a.lower() for a in context.args or []]
    if args == ["remove"]:
        removed = remove_samples(svc.repo, svc.config)
        svc.repo.audit("samples_remove", update.effective_user.id, **removed)
        await reply(update, removal_text(removed))
        return
    if args:
        await reply(update, "用法：/samples 查看示例数据；/samples remove 删除示例数据。")
        return
    found = sample_proposals(svc.repo, svc.config)
    if not found:
        await reply(update, "数据库中没有示例数据。")
        return
    numbers = "、".join(f"第{p.number}号" for p in found[:10])
    await reply(update, f"数据库中有示例提案 {len(found)} 件（{numbers}）。发送 /samples remove 删除。")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("samples", samples))
