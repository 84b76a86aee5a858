"""/export [session]: the Excel file of the items (and a summary sheet), internal or public."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.export import export_workbook
from bot.numbers import Session, parse_session
from bot.render import esc
from bot.report import percent
from bot.stats import facts_of, figures, session_text
from handlers.common import button, keyboard, on_button, one_of, reply, services, shows_personal

log = logging.getLogger(__name__)

COMMANDS = [("export", "导出 Excel 办理情况表，如 /export 八届三次", False)]

CALLBACK = "ex"   # ex:p:<term>-<meeting>-<body> | ex:p:all  (the public variant)
USAGE = "用法：/export 导出全部；/export 八届三次 导出一个届次。"


def session_key(session: Session | None) -> str:
    if session is None:
        return "all"
    return f"{session.term}-{session.meeting}-{session.body or ''}"


def session_from_key(key: str) -> Session | None:
    if key == "all":
        return None
    term, meeting, body = key.split("-", 2)
    return Session(int(term), int(meeting), body or None)


def wants_public(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Where personal details may not be shown (a group not allowed by an admin), the file
    leaves out handler names and phones."""
    return not shows_personal(update, context)


async def send_export(update: Update, context: ContextTypes.DEFAULT_TYPE, session: Session | None,
                      public: bool) -> None:
    svc = services(context)
    today = svc.today()
    facts = facts_of(svc)
    scope = figures(facts, today, session)
    label = session_text(session) if session else "全部"
    if not scope.items:
        await reply(update, f"没有找到{esc(label)}的提案或建议，未导出。")
        return
    data = export_workbook(svc, session, public)
    variant = "公开版" if public else "内部版"
    name = f"提案办理情况-{label}-{today.isoformat()}{'-公开版' if public else ''}.xlsx"
    caption = (f"{esc(label)} · {variant}：交办 {scope.items} 件，已答复 {scope.replied} 件（办复率 {percent(scope.reply_rate)}），"
               f"已逾期 {scope.overdue} 件。")
    if public:
        caption += "\n公开版不含承办人姓名和联系电话。"
    buttons = None if public else keyboard([[("导出公开版（不含姓名电话）", button(CALLBACK, "p", session_key(session)))]])
    await update.effective_chat.send_document(document=data, filename=name, caption=caption, reply_markup=buttons)
    log.info("export %s %s (%d items) for user %s", label, variant, scope.items,
             update.effective_user.id if update.effective_user else None)


async def export(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export [session]"""
    text = " ".join(context.args or []).strip()
    session = None
    if text:
        session = parse_session(text if ("次" in text and "会议" in text) else text + "会议")
        if session is None:
            await reply(update, f"没有看懂届次“{esc(text[:30])}”。\n{USAGE}")
            return
    await send_export(update, context, session, wants_public(update, context))


async def public_variant(update: Update, context: ContextTypes.DEFAULT_TYPE, _public: str,
                         session: Session | None) -> None:
    """The 导出公开版 button under an export."""
    await update.callback_query.answer()
    await send_export(update, context, session, public=True)


def register(app: Application) -> None:
    app.add_handler(CommandHandler("export", export))
    app.add_handler(on_button(CALLBACK, public_variant, one_of("p"), session_from_key))
