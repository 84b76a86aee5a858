"""Handling progress in chat: /reply (a reply was sent), /feedback (the proposer's verdict),
/extend (an admin grants more time).

/reply and /feedback are for admins and for the linked handler of that proposal; /extend is for
admins. The use cases are in bot.progress (who may, the transition, the history event, the audit
entry); this module parses the arguments, calls one of them and words what it returns.
A number that several sessions share is asked back with buttons (pg:<action>:<proposal id>)
under a message that answers the command: a press reads the command's other arguments back from
it, so it works after a restart too.
"""

from __future__ import annotations

import logging
import re
from datetime import date

from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.model import CLOSED, EV_SUPPLEMENTARY, FOLLOW_UP, REOPENED, Event, Proposal
from bot.parsing import parse_date
from bot.progress import (
    CORRECT,
    EXTEND,
    FEEDBACK,
    REPLY,
    SUPPLEMENT,
    Extended,
    FeedbackRecorded,
    Refused,
    ReplyCorrected,
    ReplyQuestion,
    ReplyRecorded,
    grant_extension,
    register_feedback,
    register_reply,
)
from bot.render import esc, number_label, proposer_label
from bot.services import Services
from handlers.common import admin_only, answered_command, button, edit, fits, on_button, one_of, record_id, reply, services
from handlers.status import proposal_named

log = logging.getLogger(__name__)

COMMANDS = [
    ("reply", "登记答复：/reply 案号 类别 [日期] [文号]", False),
    ("feedback", "登记反馈：/feedback 案号 满意|基本满意|不满意", False),
    ("extend", "延长办理期限：/extend 案号 天数 原因", True),
]

CALLBACK = "pg"  # pg:<action code>:<proposal id>
USAGE = {
    "reply": "用法：/reply 案号 类别 [答复日期] [文号]\n例如：/reply 125 A、/reply 125 B 2026-12-03 晋发改函〔2026〕12号",
    "feedback": "用法：/feedback 案号 满意|基本满意|不满意 [日期]\n例如：/feedback 125 不满意",
    "extend": "用法：/extend 案号 天数 原因\n例如：/extend 125 15 需协调省级部门",
}
ACTION_LABELS = {"reply": "登记答复", "feedback": "登记反馈", "extend": "延期"}
ACTION_CODES = {"reply": "r", "feedback": "f", "extend": "x"}
CODE_ACTIONS = {code: action for action, code in ACTION_CODES.items()}

# Something typed as a date, valid or not (2025-13-01 is an impossible date, not a doc number).
LOOKS_LIKE_DATE = re.compile(r"^\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?$|^\d{8}$")


def day_arg(text: str | None, today: date) -> tuple[str | None, str | None]:
    """(ISO date, error) for an optional date argument; today when absent."""
    if text is None:
        return today.isoformat(), None
    iso = parse_date(text)
    if iso is None:
        if LOOKS_LIKE_DATE.match(text):
            return None, f"日期“{esc(text[:20])}”不存在（请检查月份 1–12 和当月的天数），请写成 2026-12-03。"
        return None, f"日期“{esc(text[:20])}”无法识别，请写成 2026-12-03。"
    if iso > today.isoformat():
        return None, f"日期 {iso} 晚于今天（{today.isoformat()}），请检查。"
    return iso, None


def due_text(day: date | None) -> str:
    return day.isoformat() if day else "未知"


# -- the three actions: one use case each (bot.progress), worded here ------------------------------

REPLY_MODE = "rp"  # rp:<s|c>:<proposal id>:<class>:<yyyymmdd>[:<doc number>]
MODE_LABELS = {SUPPLEMENT: "补充答复", CORRECT: "更正上一次答复"}
FIELD_LABELS = {"classification": "类别", "business_date": "答复日期", "doc_number": "文号"}


def late_note(event: Event) -> str:
    return ("\n日期早于已有的办理记录：已记入办理记录，状态不变。" if event.late else "")


def state_note(changed: Proposal) -> str:
    if changed.state == FOLLOW_UP:
        return f"状态：待跟进（回头看），请于 {esc(changed.follow_up_date)} 前再次答复；届时会再提醒。"
    if changed.state == CLOSED:
        return "状态：已办结。"
    if changed.state == REOPENED:
        return "状态：重新办理。"
    return f"状态：已答复，等待{proposer_label(changed.body)}反馈；不再发送催办提醒。"


def reply_answer(result: ReplyRecorded | ReplyQuestion | ReplyCorrected):
    if isinstance(result, ReplyQuestion):
        return ask_reply_mode(result)
    p = result.proposal
    if isinstance(result, ReplyCorrected):
        new, old = result.new, result.old
        if old == new:
            return (f"{esc(number_label(p))}的答复已是 {esc(new['classification'])}类"
                    f"（{esc(new['business_date'])}），未作更改。")
        return (f"已更正答复：{esc(number_label(p))} "
                + esc(" · ".join(f"{FIELD_LABELS[k]} {old[k] or '无'} → {v}" for k, v in new.items()))
                + "\n" + state_note(result.changed))
    event = result.event
    facts = [f"{event.classification}类（{result.class_label}）", f"答复日期 {event.business_date}"]
    if event.doc_number:
        facts.append(f"文号 {event.doc_number}")
    what = "补充答复" if event.kind == EV_SUPPLEMENTARY else "答复"
    lines = [f"已登记{what}：{esc(number_label(p))} {esc(p.title)}", esc(" · ".join(facts))]
    lines.append(state_note(result.changed) + late_note(event))
    return "\n".join(lines)


def ask_reply_mode(question: ReplyQuestion):
    """Which of the two the new /reply is, as buttons that still work after a restart."""
    p, classification, reply_date, doc_number = (question.proposal, question.classification,
                                                 question.reply_date, question.doc_number)
    last = question.last
    fields = [p.id, classification, reply_date.replace("-", "")]

    def data(mode: str) -> str:
        with_doc = [mode, *fields, doc_number] if doc_number else [mode, *fields]
        return button(REPLY_MODE, *with_doc) if fits(REPLY_MODE, *with_doc) else button(REPLY_MODE, mode, *fields)

    doc_fits = not doc_number or all(data(m).endswith(doc_number) for m in MODE_LABELS)
    facts = " · ".join(f for f in (f"{last.classification}类" if last.classification else "", last.business_date,
                                   last.doc_number) if f)
    text = (f"{esc(number_label(p))}已有答复（{esc(facts)}）。\n"
            f"这次的 {esc(classification)}类（{esc(reply_date)}）是补充答复，还是更正上一次的答复？")
    if not doc_fits:
        text += "\n（文号太长，按钮中不保存文号；如需登记文号，请选择后再用 /reply 更正。）"
    buttons = [[(label, data(mode)) for mode, label in MODE_LABELS.items()]]
    return text, buttons


def feedback_answer(result: FeedbackRecorded) -> str:
    p, changed, event = result.proposal, result.changed, result.event
    head = f"已登记反馈：{esc(number_label(p))} {esc(event.feedback)}（{event.business_date}）"
    if event.late:
        return head + late_note(event)
    if changed.state == REOPENED:
        return (f"{head}\n{esc(number_label(p))}转为重新办理，新的答复期限 {due_text(result.new_due)}；"
                "承办人将重新收到提醒。")
    if changed.state == CLOSED:
        return f"{head}\n状态：已办结。"
    if changed.state == FOLLOW_UP:
        return f"{head}\n状态：仍待跟进（回头看），跟进期限 {esc(changed.follow_up_date)}。"
    return head


def extend_answer(result: Extended) -> str:
    days = result.days
    verb = f"延期 {days} 天" if days > 0 else f"缩短 {-days} 天"
    return (f"已{verb}：{esc(number_label(result.proposal))} {esc(result.proposal.title)}\n"
            f"截止日期：{due_text(result.old_due)} → {due_text(result.new_due)}\n"
            f"原因：{esc(result.reason)}\n"
            f"已记入办理记录和审计记录（操作人 {result.by}，{result.at.strftime('%Y-%m-%d %H:%M')}）。")


def perform(svc: Services, user_id: int, proposal: Proposal, action: str, args: tuple):
    """The action's answer: a text, or (text, buttons) when it asks back."""
    try:
        if action == REPLY:
            return reply_answer(register_reply(svc, user_id, proposal, *args))
        if action == FEEDBACK:
            return feedback_answer(register_feedback(svc, user_id, proposal, *args))
        return extend_answer(grant_extension(svc, user_id, proposal, *args))
    except Refused:
        if action == EXTEND:
            return "抱歉，延期仅限管理员操作。"
        return f"抱歉，只有管理员或{esc(number_label(proposal))}的承办人可以{ACTION_LABELS[action]}。"
    except ValueError as exc:  # the transitions explain themselves in Chinese
        return f"未能{ACTION_LABELS[action]}：{esc(exc)}"


def answer_parts(answer) -> tuple[str, list | None]:
    return answer if isinstance(answer, tuple) else (answer, None)


# -- finding the proposal -----------------------------------------------------------------------

async def with_proposal(update: Update, context: ContextTypes.DEFAULT_TYPE, number: str,
                        action: str, args: tuple) -> None:
    proposal = await proposal_named(update, context, number, USAGE[action],
                                    lambda p: button(CALLBACK, ACTION_CODES[action], p.id),
                                    f"要{ACTION_LABELS[action]}的是：", quote=True)
    if proposal is not None:
        await reply(update, *answer_parts(perform(services(context), update.effective_user.id, proposal, action, args)))


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str, pid: int) -> None:
    """A session button: the command it answers, carried out on that proposal."""
    query = update.callback_query
    svc = services(context)
    action = CODE_ACTIONS[code]
    proposal = svc.repo.get(Proposal, pid)
    words = answered_command(update, action)
    if proposal is None or words is None:
        await query.answer("该提案已不存在，或原命令消息已删除，请重新发送命令。", show_alert=True)
        return
    parsed = ARGUMENTS[action](words, svc.today())
    await query.answer()
    if isinstance(parsed, str):
        await edit(update, parsed)
        return
    await edit(update, *answer_parts(perform(svc, update.effective_user.id, proposal, action, parsed[1])))


def compact_day(text: str) -> str:
    """A yyyymmdd field as an ISO date (ValueError when it is no date)."""
    if not re.fullmatch(r"\d{8}", text):
        raise ValueError(f"not a yyyymmdd date: {text!r}")
    return date(int(text[:4]), int(text[4:6]), int(text[6:8])).isoformat()


async def pick_reply_mode(update: Update, context: ContextTypes.DEFAULT_TYPE, mode: str, pid: int,
                          classification: str, reply_date: str, doc_number: str | None) -> None:
    """补充答复 / 更正 under a second /reply: everything it needs is in the button."""
    query = update.callback_query
    svc = services(context)
    proposal = svc.repo.get(Proposal, pid)
    if proposal is None:
        await query.answer("该提案已不存在，请重新发送 /reply。", show_alert=True)
        return
    await query.answer()
    answer = perform(svc, update.effective_user.id, proposal, "reply", (classification, reply_date, doc_number, mode))
    await edit(update, *answer_parts(answer))


# -- commands: their arguments, read from the command or from the message a button answers -----

def reply_arguments(args: list[str], today: date) -> tuple[str, tuple] | str:
    """/reply NUMBER CLASS [DATE] [DOC_NUMBER]: (number, action arguments), or what is wrong."""
    if len(args) < 2:
        return USAGE["reply"]
    number, classification, rest = args[0], args[1], args[2:]
    reply_date = today.isoformat()
    if rest and (parse_date(rest[0]) or LOOKS_LIKE_DATE.match(rest[0])):
        reply_date, error = day_arg(rest[0], today)
        if error:
            return error
        rest = rest[1:]
    doc_number = " ".join(rest).strip()[:60] or None
    return number, (classification, reply_date, doc_number)


def feedback_arguments(args: list[str], today: date) -> tuple[str, tuple] | str:
    """/feedback NUMBER 满意|基本满意|不满意 [DATE]"""
    if len(args) not in (2, 3):
        return USAGE["feedback"]
    on_date, error = day_arg(args[2] if len(args) == 3 else None, today)
    return error or (args[0], (args[1], on_date))


def extend_arguments(args: list[str], today: date) -> tuple[str, tuple] | str:
    """/extend NUMBER DAYS REASON"""
    days_text = args[1].removesuffix("天") if len(args) > 1 else ""
    if len(args) < 3 or not days_text.lstrip("+-").isdigit():
        return USAGE["extend"] + "\n（天数为整数，原因必填）"
    days = int(days_text)
    if days == 0 or abs(days) > 366:
        return "延期天数应为 1 到 366 之间的整数（负数表示缩短）。"
    return args[0], (days, " ".join(args[2:]).strip()[:200])


ARGUMENTS = {"reply": reply_arguments, "feedback": feedback_arguments, "extend": extend_arguments}


async def run_command(update: Update, context: ContextTypes.DEFAULT_TYPE, action: str) -> None:
    parsed = ARGUMENTS[action](list(context.args or []), services(context).today())
    if isinstance(parsed, str):
        await reply(update, parsed)
        return
    await with_proposal(update, context, parsed[0], action, parsed[1])


async def reply_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reply NUMBER CLASS [DATE] [DOC_NUMBER]"""
    await run_command(update, context, "reply")


async def feedback_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/feedback NUMBER 满意|基本满意|不满意 [DATE]"""
    await run_command(update, context, "feedback")


@admin_only
async def extend_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/extend NUMBER DAYS REASON"""
    await run_command(update, context, "extend")


def register(app: Application) -> None:
    app.add_handler(CommandHandler("reply", reply_command))
    app.add_handler(CommandHandler("feedback", feedback_command))
    app.add_handler(CommandHandler("extend", extend_command))
    app.add_handler(on_button(CALLBACK, pick, one_of(*CODE_ACTIONS), record_id))
    app.add_handler(on_button(REPLY_MODE, pick_reply_mode, one_of(*MODE_LABELS), record_id, str, compact_day, str,
                              optional=1))
