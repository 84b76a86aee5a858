"""/similar NUMBER: items of earlier sessions like this one (并案 candidates, replies to reuse)."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.model import STATE_LABELS, Proposal
from bot.render import esc
from bot.report import short_title
from bot.similar import short_session
from handlers.common import button, edit, on_button, record_id, reply, services
from handlers.status import CALLBACK as CARD, proposal_from_args, proposal_from_button

COMMANDS = [("similar", "往届相似提案，如 /similar 125", False)]

CALLBACK = "sm"   # sm:<proposal id>: the similar items of that proposal
USAGE = "用法：/similar 案号，例如 /similar 125、/similar 八届三次 125"
LIMIT = 8


def similar_text(svc, proposal: Proposal) -> tuple[str, list]:
    found = svc.similar.similar(proposal, LIMIT)
    head = f"第{esc(proposal.number)}号 {esc(short_title(proposal.title, 30))}"
    if not found:
        return f"{head}\n往届没有相近的提案或建议。", []
    lines = [f"<b>往届相似</b>：{head}"]
    buttons = []
    for s in found:
        p = s.proposal
        where = f"{p.region}{short_session(p)}"
        state = STATE_LABELS.get(p.state, p.state)
        lines.append(f"· {esc(where)}第{esc(p.number)}号 {esc(short_title(p.title, 30))} · 相似度 {s.score:.0f}% · "
                     f"{esc(state)} · 主办 {esc(p.lead_unit or '未指定')}")
        buttons.append([(f"查看 {where}第{p.number}号"[:60], button(CARD, p.id))])
    return "\n".join(lines), buttons


async def similar(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/similar NUMBER [session]"""
    proposal = await proposal_from_args(update, context, USAGE, CALLBACK)
    if proposal is None:
        return
    body, buttons = similar_text(services(context), proposal)
    await reply(update, body, buttons or None)


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    proposal = await proposal_from_button(update, context, pid)
    if proposal is None:
        return
    body, buttons = similar_text(services(context), proposal)
    await edit(update, body, buttons or None)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("similar", similar))
    app.add_handler(on_button(CALLBACK, pick, record_id))
