"""/status NUMBER: where one proposal stands."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.lookup import lookup_number
from bot.model import Proposal
from bot.render import esc, split_message, status_card
from bot.services import Services
from handlers.common import reply, services

COMMANDS = [("status", "查询办理状态，如 /status 125", False)]

CALLBACK = "st:"
USAGE = "用法：/status 案号，例如 /status 125、/status TA0010、/status 八届三次 125"


def card_for(svc: Services, proposal: Proposal) -> str:
    replies, handlers = svc.proposal_view(proposal)
    return status_card(proposal, replies, handlers, svc.due_date(proposal), svc.today())


async def answer_number(update: Update, svc: Services, text: str) -> None:
    """The card, a choice between sessions, or "not found" with the nearest numbers."""
    found = lookup_number(svc.repo, text)
    if not found.query.key:
        await reply(update, f"没有看懂案号“{esc(text[:50])}”。\n{USAGE}")
        return
    if len(found.matches) == 1:
        await reply(update, card_for(svc, found.matches[0]))
        return
    if found.matches:
        buttons = [
            [(f"{p.body} {p.session_label} 第{p.number}号", f"{CALLBACK}{p.id}")]
            for p in found.matches[:8]
        ]
        await reply(update, f"找到 {len(found.matches)} 件第{esc(found.query.key)}号，请选择：", buttons)
        return
    missing = f"未找到第{esc(found.query.key)}号。"
    if found.suggestions:
        missing += "相近的有：" + "、".join(esc(n) for n in found.suggestions) + "。"
    await reply(update, missing)


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status NUMBER [session]"""
    text = " ".join(context.args or [])
    if not text.strip():
        await reply(update, USAGE)
        return
    await answer_number(update, services(context), text)


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button from the session choice: show that proposal's card."""
    query = update.callback_query
    svc = services(context)
    raw = query.data[len(CALLBACK):]
    proposal = svc.repo.get(Proposal, int(raw)) if raw.isdigit() else None
    if proposal is None:
        await query.answer("该提案已不存在，请重新查询。", show_alert=True)
        return
    await query.answer()
    first, *rest = split_message(card_for(svc, proposal))
    await query.edit_message_text(first)
    for part in rest:
        await update.effective_chat.send_message(part)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("status", status))
    app.add_handler(CallbackQueryHandler(pick, pattern=f"^{CALLBACK}"))
