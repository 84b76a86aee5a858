"""/status NUMBER: where one proposal stands."""

from __future__ import annotations

import re

from typing import Callable

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.lookup import NumberLookup, lookup_number
from bot.model import Proposal
from bot.card import card_text
from bot.history import timeline
from bot.render import esc, timeline_text
from bot.services import Services
from handlers.common import PRIVATE_HINT, button, edit, on_button, private_chat_button, record_id, reply, services, shows_personal

COMMANDS = [("status", "查询办理状态，如 /status 125", False)]

CALLBACK = "st"  # st:<proposal id>: that proposal's card
USAGE = "用法：/status 案号，例如 /status 125、/status TA0010、/status 八届三次 125"


PAYLOAD = "p"  # /start p<id> in the private chat shows that proposal's card
TIMELINE = "tl"  # tl:<proposal id>: its whole history
NUDGE = "nd"  # nd:<proposal id>: 催办 (handlers/nudge.py), for admins under an open item's card


def card_buttons(svc: Services, proposal: Proposal) -> list:
    """全部记录 under a card whose item has more history than the card shows."""
    if len(svc.repo.events_for(proposal.id)) <= 1:
        return []
    return [[("全部记录", button(TIMELINE, proposal.id))]]


async def send_card(update: Update, context: ContextTypes.DEFAULT_TYPE, proposal: Proposal,
                    in_place: bool = False) -> None:
    """The card; where phones may not be shown, without them and with a private-chat button."""
    svc = services(context)
    personal = shows_personal(update, context)
    text, buttons = card_text(svc, proposal, personal), card_buttons(svc, proposal)
    if proposal.is_open and update.effective_user and svc.is_admin(update.effective_user.id):
        buttons = buttons + [[("催办", button(NUDGE, proposal.id))]]
    if not personal and text != card_text(svc, proposal):
        text += "\n" + PRIVATE_HINT
        buttons = private_chat_button(context, f"{PAYLOAD}{proposal.id}") + buttons
    await (edit(update, text, buttons or None) if in_place else reply(update, text, buttons or None))


def session_label(proposal: Proposal) -> str:
    """A button naming one of several proposals that share a number."""
    return f"{proposal.body} {proposal.session_label} 第{proposal.number}号"


def not_found_text(found: NumberLookup) -> str:
    return esc(found.not_found_text())


async def proposal_from_button(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> Proposal | None:
    """The proposal a pressed button names, the press answered; None (with an alert) when it no
    longer exists."""
    query = update.callback_query
    proposal = services(context).repo.get(Proposal, pid)
    if proposal is None:
        await query.answer("该提案已不存在，请重新查询。", show_alert=True)
        return None
    await query.answer()
    return proposal


async def proposal_from_args(update: Update, context: ContextTypes.DEFAULT_TYPE, usage: str, callback: str,
                             question: str = "请选择：") -> Proposal | None:
    """The one proposal a command's NUMBER [session] arguments name. Otherwise answers (usage, not
    understood, not found, or a button per session, ``callback:<proposal id>``) and returns None."""
    text = " ".join(context.args or []).strip()
    if not text:
        await reply(update, usage)
        return None
    return await proposal_named(update, context, text, usage, lambda p: button(callback, p.id), question)


async def proposal_named(update: Update, context: ContextTypes.DEFAULT_TYPE, number: str, usage: str,
                         choice: Callable[[Proposal], str], question: str, quote: bool = False) -> Proposal | None:
    """The one proposal ``number`` names. Otherwise answers (not understood, with ``usage``; not
    found, with the nearest numbers; or a button per session, ``choice(proposal)`` its callback
    data, under ``question``; ``quote``: as an answer to the command, whose other arguments a
    press reads back) and returns None."""
    found = lookup_number(services(context).repo, number)
    if not found.query.key:
        await reply(update, f"没有看懂案号“{esc(number[:50])}”。\n{usage}")
        return None
    if not found.matches:
        await reply(update, not_found_text(found))
        return None
    if len(found.matches) > 1:
        buttons = [[(session_label(p), choice(p))] for p in found.matches[:8]]
        await reply(update, f"找到 {len(found.matches)} 件第{esc(found.query.key)}号，{question}", buttons,
                    quote=quote)
        return None
    return found.matches[0]


async def answer_number(update: Update, context: ContextTypes.DEFAULT_TYPE, text: str) -> None:
    """The card, a choice between sessions, or "not found" with the nearest numbers."""
    svc = services(context)
    found = lookup_number(svc.repo, text)
    if not found.query.key:
        await reply(update, f"没有看懂案号“{esc(text[:50])}”。\n{USAGE}")
        return
    if len(found.matches) == 1:
        await send_card(update, context, found.matches[0])
        return
    if found.matches:
        buttons = [[(session_label(p), button(CALLBACK, p.id))] for p in found.matches[:8]]
        await reply(update, f"找到 {len(found.matches)} 件第{esc(found.query.key)}号，请选择：", buttons)
        return
    await reply(update, not_found_text(found))


MAX_CARDS = 5  # /status 1、2、3: a card each, up to this many


async def status(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/status NUMBER [session]; several numbers (1、2 / 1,2) answer each."""
    text = " ".join(context.args or [])
    if not text.strip():
        await reply(update, USAGE)
        return
    numbers = [part.strip() for part in re.split(r"[、，,；;]+", text) if part.strip()]
    if len(numbers) > MAX_CARDS:
        await reply(update, f"一次最多查询 {MAX_CARDS} 件（这次写了 {len(numbers)} 件），请分几次发送。")
        return
    for number in numbers:
        await answer_number(update, context, number)


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """A button from the session choice: show that proposal's card."""
    proposal = await proposal_from_button(update, context, pid)
    if proposal is None:
        return
    await send_card(update, context, proposal, in_place=True)


async def show_timeline(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """全部记录: every step of the item's history, in a new message under the card."""
    proposal = await proposal_from_button(update, context, pid)
    if proposal is None:
        return
    await reply(update, timeline_text(proposal, timeline(services(context).repo, proposal.id)))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("status", status))
    app.add_handler(on_button(CALLBACK, pick, record_id))
    app.add_handler(on_button(TIMELINE, show_timeline, record_id))
