"""/edit NUMBER (fields as buttons; the next message is the new value, for 10 minutes; /cancel
ends it), /undo (the caller's last change of any kind, bot.undo). Admins only; every change is
an event with before and after, and audited. Buttons carry the action, the record id and the
field (ed:<id>:<code>), so they work after a restart."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes, MessageHandler, filters

from bot.edits import BY_CODE, EDIT_MINUTES, FIELDS, apply_edit, parse_value, shown
from bot.undo import undo_last
from bot.model import Proposal
from bot.render import esc, number_label
from handlers.common import admin_only, button, edit as edit_message, on_button, one_of, record_id, reply, services
from handlers.status import proposal_from_args

COMMANDS = [
    ("edit", "修改提案信息：/edit 案号", True),
    ("undo", "撤销我最近的一次更改（修改、删除、合并、导入）", True),
    ("cancel", "取消正在进行的修改", True),
]

CALLBACK = "ed"  # ed:<proposal id>[:<field code>]
USAGE = "用法：/edit 案号，例如 /edit 125"


def fields_view(svc, p: Proposal) -> tuple[str, list]:
    lines = [f"修改{esc(number_label(p))} {esc(p.title)}", "请选择要修改的项目："]
    lines += [f"· {f.label}：{esc(shown(svc, p, f))}" for f in FIELDS]
    codes = [f for f in FIELDS]
    buttons = [[(f.label, button(CALLBACK, p.id, f.code)) for f in codes[i:i + 4]] for i in range(0, len(codes), 4)]
    return "\n".join(lines), buttons


@admin_only
async def edit_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/edit NUMBER"""
    proposal = await proposal_from_args(update, context, USAGE, CALLBACK, "修改哪一件？")
    if proposal is None:
        return
    await reply(update, *fields_view(services(context), proposal))


@admin_only
async def pressed(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int, code: str | None) -> None:
    """ed:<id> (an item, when several share a number) or ed:<id>:<field>."""
    query = update.callback_query
    svc = services(context)
    p = svc.repo.get(Proposal, pid)
    if p is None:
        await query.answer("该提案已不存在，请重新 /edit。", show_alert=True)
        return
    await query.answer()
    if not code:
        await edit_message(update, *fields_view(svc, p))
        return
    field = BY_CODE[code]
    expires = svc.clock() + timedelta(minutes=EDIT_MINUTES)
    context.chat_data["edit"] = (p.id, code, expires, update.effective_user.id)
    await reply(update, f"请发送{esc(number_label(p))}的{field.hint}。\n当前：{esc(shown(svc, p, field))}\n"
                        f"{EDIT_MINUTES} 分钟内有效；发送 /cancel 取消。")


async def new_value(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The message after a field was chosen: the new value."""
    svc = services(context)
    pid, code, expires, user_id = context.chat_data["edit"]
    if svc.clock() > expires:
        context.chat_data.pop("edit", None)
        await reply(update, f"修改已超时（{EDIT_MINUTES} 分钟），未做更改。请重新发送 /edit。")
        return
    p = svc.repo.get(Proposal, pid)
    if p is None:
        context.chat_data.pop("edit", None)
        await reply(update, "该提案已不存在，未做更改。")
        return
    field = BY_CODE[code]
    value, error = parse_value(svc, p, field, update.effective_message.text)
    if error:
        await reply(update, f"{esc(error)}\n请重新发送，或发送 /cancel 取消。")
        return
    before = shown(svc, p, field)
    apply_edit(svc, p, field, value, user_id)
    context.chat_data.pop("edit", None)
    after = shown(svc, svc.repo.get(Proposal, pid), field)
    await reply(update, f"已修改{esc(number_label(p))}的{field.label}：{esc(before)} → {esc(after)}\n"
                        "已记入办理记录；发送 /undo 可撤销。")


@admin_only
async def cancel(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/cancel"""
    if context.chat_data.pop("edit", None) is None:
        await reply(update, "当前没有进行中的修改。")
        return
    await reply(update, "已取消修改，未做更改。")


@admin_only
async def undo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/undo: the caller's last change (an edit, delete, restore, merge or import; bot.undo)."""
    await reply(update, esc(undo_last(services(context), update.effective_user.id)))


class PendingEdit(filters.MessageFilter):
    """A text message from the admin whose /edit waits for a value in this chat."""

    def __init__(self, app: Application) -> None:
        super().__init__(name="PendingEdit")
        self.app = app

    def filter(self, message) -> bool:
        pending = self.app.chat_data.get(message.chat.id, {}).get("edit")
        return bool(pending) and message.from_user is not None and pending[3] == message.from_user.id


def register(app: Application) -> None:
    app.add_handler(CommandHandler("edit", edit_command))
    app.add_handler(CommandHandler("undo", undo))
    app.add_handler(CommandHandler("cancel", cancel))
    app.add_handler(on_button(CALLBACK, pressed, record_id, one_of(*BY_CODE), optional=1))
    # Before find's plain-text handler (this module comes first in HANDLER_MODULES).
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND & PendingEdit(app), new_value))
