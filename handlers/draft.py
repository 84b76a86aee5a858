"""/draft NUMBER: a reply-letter draft in the official layout (.docx), from the item's record."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.draft import draft_docx, letter_title
from bot.model import Proposal
from bot.render import esc
from handlers.common import on_button, private_chat_button, record_id, reply, services, shows_personal
from handlers.status import proposal_from_args, proposal_from_button

log = logging.getLogger(__name__)

COMMANDS = [("draft", "生成答复函草稿（公文版式 .docx），如 /draft 125", False)]

CALLBACK = "df"   # df:<proposal id>: the draft of that proposal
USAGE = "用法：/draft 案号，例如 /draft 125、/draft 八届三次 125"


async def send_draft(update: Update, context: ContextTypes.DEFAULT_TYPE, proposal: Proposal) -> None:
    """The .docx; it names the handlers with their phones, so a group that may not see phone
    numbers (no /group allow) gets a pointer to the private chat instead."""
    if not shows_personal(update, context):
        await reply(update, f"答复函草稿含承办人联系电话，本群未开放联系方式。"
                            f"请在与机器人的私聊中发送 /draft {esc(proposal.number)}。",
                    private_chat_button(context, f"p{proposal.id}"))
        return
    svc = services(context)
    replies, handlers = svc.proposal_view(proposal)
    data = draft_docx(proposal, handlers, svc.today(), replies)
    caption = (f"{esc(letter_title(proposal))}（草稿）\n"
               "版式按 GB/T 9704-2012：标题用方正小标宋简体，正文用仿宋_GB2312，请在装有这些字体的电脑上打开；"
               "发文字号、办理类别和正文各部分请补充完整。")
    await update.effective_chat.send_document(document=data, filename=f"答复草稿-第{proposal.number}号.docx",
                                              caption=caption)
    log.info("draft of proposal %s for user %s", proposal.id,
             update.effective_user.id if update.effective_user else None)


async def draft(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/draft NUMBER [session]"""
    proposal = await proposal_from_args(update, context, USAGE, CALLBACK)
    if proposal is None:
        return
    await send_draft(update, context, proposal)


async def chosen(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """A session picked under /draft."""
    proposal = await proposal_from_button(update, context, pid)
    if proposal is None:
        return
    await send_draft(update, context, proposal)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("draft", draft))
    app.add_handler(on_button(CALLBACK, chosen, record_id))
