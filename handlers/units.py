"""Admins tidy the unit registry: /merge folds a duplicate unit into the right one."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.render import esc, short_title
from handlers.common import admin_only, reply, services

COMMANDS = [
    ("merge", "合并重复单位：/merge 旧单位 正确单位（不带参数列出待确认单位）", True),
]

USAGE = ("用法：/merge 旧单位 正确单位，例如 /merge 市发改委 晋城市发展和改革委员会。"
         "旧单位的事项、联系人和督办群都转到正确单位，旧名称作为别名保留。")


def pending_text(svc) -> str:
    pending = svc.units.pending()
    if not pending:
        return "目前没有待确认的单位。\n" + USAGE
    lines = [f"<b>待确认单位：{len(pending)} 个</b>"]
    for unit, near in pending:
        nearest = "、".join(esc(u.name) for u in near) if near else "无"
        lines.append(f"· {esc(unit.name)}（在办 {len(svc.units.open_items(unit))} 件）· 最接近：{nearest}")
    return "\n".join(lines) + "\n\n" + esc(USAGE)


ECHOED = 41  # a name as typed, echoed back cut to 40 characters and "…" (a pasted page must not come back whole)


@admin_only
async def merge(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/merge SOURCE TARGET: fold the source unit into the target (audited, with the before-state)."""
    svc = services(context)
    args = [a.strip() for a in context.args or [] if a.strip()]
    if not args:
        await reply(update, pending_text(svc))
        return
    if len(args) != 2:
        await reply(update, esc(USAGE))
        return
    source, target = (svc.units.find(name[:100]) for name in args)
    missing = [short_title(name, ECHOED) for name, unit in zip(args, (source, target)) if unit is None]
    if missing:
        await reply(update, f"找不到单位：{esc('、'.join(missing))}。发送 /merge 查看待确认单位，或用 /dept 查找单位全称。")
        return
    if source.id == target.id:
        await reply(update, f"“{esc(short_title(args[0], ECHOED))}”和“{esc(short_title(args[1], ECHOED))}”已是同一个单位：{esc(target.name)}。")
        return
    moved = svc.units.merge(source, target, update.effective_user.id)
    await reply(update, f"已把“{esc(source.name)}”合并到“{esc(target.name)}”：转移事项 {moved['proposals']} 件、"
                        f"联系人 {moved['contacts']} 人；“{esc(source.name)}”今后作为别名识别。")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("merge", merge))
