"""/opinion NUMBER [单位] [日期] [文号]: a co-unit's liaison (or an admin) registers the
co-unit's opinion (协办意见). The use case is bot.opinions; this module parses and renders."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.model import Proposal
from bot.opinions import OpinionResult, co_unit_named, pending_co_units, register_opinion
from bot.parsing import is_government_unit, parse_date
from bot.render import esc, number_label
from handlers.common import answered_command, button, edit, on_button, record_id, reply, services
from handlers.progress import LOOKS_LIKE_DATE, day_arg
from handlers.status import proposal_named

COMMANDS = [("opinion", "登记协办意见（协办单位联络员）：/opinion 案号 [单位] [日期] [文号]", False)]

USAGE = ("用法：/opinion 案号 [协办单位] [意见日期] [文号]\n"
         "例如：/opinion 12、/opinion 12 2026-11-10 晋教函〔2026〕8号、/opinion 12 市教育局 2026-11-10\n"
         "协办单位的联络员登记本单位的意见时可不写单位；管理员代登记时，有多个协办单位须写明。")

# op:<proposal id>: a session choice; the rest is read back from the /opinion it answers
CALLBACK = "op"


def answer_text(result: OpinionResult) -> str:
    p = result.proposal
    if not result.recorded:
        return esc(result.problem)
    event = result.event
    facts = [f"意见日期 {event.business_date}"] + ([f"文号 {event.doc_number}"] if event.doc_number else [])
    left = pending_co_units(p)
    rest = f"尚待意见的协办单位：{'、'.join(left)}。" if left else "协办单位的意见已全部登记。"
    return "\n".join([
        f"已登记协办意见：{esc(number_label(p))} {esc(p.title)}",
        esc(f"{result.unit.name} · " + " · ".join(facts)),
        esc(f"提案仍由主办单位{p.lead_unit or ''}答复，状态不变；{result.unit.name}不再收到本件的协办提醒。{rest}"),
    ])


def parse_rest(svc, p: Proposal, words: list[str]) -> tuple[str | None, str | None, str | None, str | None]:
    """(unit name, ISO date, doc number, error) from the words after the number: a first word
    naming a unit (a co-unit of the item, or another unit: refused later, never taken for the
    文号), a date, and what is left is the 文号."""
    unit = day = None
    others = []
    for word in words:
        if day is None and (parse_date(word) or LOOKS_LIKE_DATE.match(word)):
            day, error = day_arg(word, svc.today())
            if error:
                return None, None, None, error
        elif unit is None and not others and (co_unit_named(svc, p, word) is not None or is_government_unit(word)):
            unit = word
        else:
            others.append(word)
    return unit, day, " ".join(others).strip()[:60] or None, None


def run(svc, user_id: int, p: Proposal, words: list[str]) -> str:
    unit, day, doc_number, error = parse_rest(svc, p, words)
    if error:
        return error
    return answer_text(register_opinion(svc, user_id, p, unit, day, doc_number))


async def opinion(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/opinion NUMBER [UNIT] [DATE] [DOC_NUMBER]"""
    svc = services(context)
    args = [a for a in context.args or [] if a.strip()]
    if not args:
        await reply(update, esc(USAGE))
        return
    proposal = await proposal_named(update, context, args[0], esc(USAGE), lambda p: button(CALLBACK, p.id),
                                    "要登记协办意见的是：", quote=True)
    if proposal is not None:
        await reply(update, run(svc, update.effective_user.id, proposal, args[1:]))


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE, pid: int) -> None:
    """A session button: the /opinion it answers, registered on that proposal."""
    query = update.callback_query
    svc = services(context)
    proposal = svc.repo.get(Proposal, pid)
    words = answered_command(update, "opinion")
    if proposal is None or not words:
        await query.answer("该提案已不存在，或原命令消息已删除，请重新发送 /opinion。", show_alert=True)
        return
    await query.answer()
    await edit(update, run(svc, update.effective_user.id, proposal, words[1:]))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("opinion", opinion))
    app.add_handler(on_button(CALLBACK, pick, record_id))
