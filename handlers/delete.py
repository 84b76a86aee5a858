"""/delete NUMBER (asks first: 确认删除 / 取消) and /restore NUMBER, for admins. A deleted item
leaves every list, search, figure, export and reminder; /status says it was deleted and how to
restore it; nothing is lost (bot.deletion). Buttons carry the action and the record id
(dl:<id> choose, dly:<id> confirm, dln:<id> cancel, rs:<id> restore), so they work after a restart."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.deletion import deleted_items, delete_item, restore_item
from bot.lookup import lookup_number
from bot.model import Proposal
from bot.render import esc, number_label
from handlers.common import admin_only, button, edit, on_button, record_id, reply, services
from handlers.status import proposal_from_args, proposal_from_button, session_label

COMMANDS = [
    ("delete", "删除提案（可恢复）：/delete 案号", True),
    ("restore", "恢复已删除的提案：/restore 案号", True),
]

CHOOSE, CONFIRM, CANCEL, RESTORE = "dl", "dly", "dln", "rs"
DELETE_USAGE = "用法：/delete 案号，例如 /delete 125（删除前会请您确认，删除后可用 /restore 恢复）"
RESTORE_USAGE = "用法：/restore 案号，例如 /restore 125"


def confirm_view(p: Proposal) -> tuple[str, list]:
    text = (f"确定删除{esc(number_label(p))}（{esc(p.body)} {esc(p.session_label)}）{esc(p.title)}？\n"
            "删除后它不再出现在查询、清单、逾期、统计、导出和提醒中；记录不会丢失，"
            f"可用 /restore {esc(p.number)} 恢复，或用 /undo 撤销。")
    return text, [[("确认删除", button(CONFIRM, p.id)), ("取消", button(CANCEL, p.id))]]


@admin_only
async def delete_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/delete NUMBER [session]"""
    p = await proposal_from_args(update, context, DELETE_USAGE, CHOOSE, "删除哪一件？")
    if p is not None:
        await reply(update, *confirm_view(p))


@admin_only
async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """dl:<id>: one of several items sharing the number was chosen: ask to confirm."""
    p = await proposal_from_button(update, context, pid)
    if p is not None:
        await edit(update, *confirm_view(p))


@admin_only
async def confirmed(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """确认删除 (dly:<id>)."""
    p = await proposal_from_button(update, context, pid)
    if p is None:
        return
    delete_item(services(context), p, update.effective_user.id)
    await edit(update, f"已删除{esc(number_label(p))}（{esc(p.body)} {esc(p.session_label)}）{esc(p.title)}。\n"
                       f"记录已保留：发送 /restore {esc(p.number)} 可恢复，或 /undo 撤销。")


@admin_only
async def cancelled(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """取消 (dln:<id>)."""
    await update.callback_query.answer()
    await edit(update, "已取消，未删除。")


async def restore_one(update: Update, context: ContextTypes.DEFAULT_TYPE, item, in_place: bool = False) -> None:
    restored, why = restore_item(services(context), item, update.effective_user.id)
    text = esc(why) if why else (
        f"已恢复{esc(number_label(restored))}（{esc(restored.body)} {esc(restored.session_label)}）"
        f"{esc(restored.title)}，它重新出现在查询、清单、统计、导出和提醒中。")
    await (edit(update, text) if in_place else reply(update, text))


@admin_only
async def restore_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/restore NUMBER [session]"""
    text = " ".join(context.args or []).strip()
    if not text:
        await reply(update, RESTORE_USAGE)
        return
    found = lookup_number(services(context).repo, text)
    if not found.query.key:
        await reply(update, f"没有看懂案号“{esc(text[:50])}”。\n{RESTORE_USAGE}")
        return
    if found.matches and not found.deleted:
        await reply(update, f"第{esc(found.query.key)}号没有被删除，无需恢复。")
        return
    if not found.deleted:
        await reply(update, esc(found.not_found_text()))
        return
    if len(found.deleted) > 1:
        buttons = [[(session_label(d.proposal), button(RESTORE, d.proposal.id))] for d in found.deleted[:8]]
        await reply(update, f"已删除的第{esc(found.query.key)}号有 {len(found.deleted)} 件，恢复哪一件？", buttons)
        return
    await restore_one(update, context, found.deleted[0])


@admin_only
async def restore_pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """rs:<id>: one of several deleted items sharing the number."""
    query = update.callback_query
    item = next((d for d in deleted_items(services(context).repo) if d.proposal.id == pid), None)
    if item is None:
        await query.answer("该提案已恢复或不存在。", show_alert=True)
        return
    await query.answer()
    await restore_one(update, context, item, in_place=True)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("delete", delete_command))
    app.add_handler(CommandHandler("restore", restore_command))
    app.add_handler(on_button(CHOOSE, chosen, record_id))
    app.add_handler(on_button(CONFIRM, confirmed, record_id))
    app.add_handler(on_button(CANCEL, cancelled, record_id))
    app.add_handler(on_button(RESTORE, restore_pressed, record_id))
