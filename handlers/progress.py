"""Handling progress in chat: /reply (a reply was sent), /feedback (the proposer's verdict),
/extend (an admin grants more time).

/reply and /feedback are for admins and for the linked handler of that proposal; /extend is for
admins. Each calls the pure transition in bot.deadlines (apply_reply / apply_feedback / extend),
puts the changed proposal, and writes an audit entry with who, the old and the new due date.
A number that several sessions share is asked back with buttons; the action waits in chat_data.
"""

from __future__ import annotations

import logging
from datetime import date

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ContextTypes

from bot.deadlines import apply_feedback, apply_reply, extend, normalize_class
from bot.lookup import lookup_number
from bot.model import CLOSED, FOLLOW_UP, REOPENED, Proposal, Reply
from bot.parsing import parse_date
from bot.render import esc, number_label
from bot.services import ADMIN, Services
from handlers.common import admin_only, edit, recall, remember, reply, services
from handlers.status import not_found_text, session_label

log = logging.getLogger(__name__)

COMMANDS = [
    ("reply", "登记答复：/reply 案号 类别 [日期] [文号]", False),
    ("feedback", "登记反馈：/feedback 案号 满意|基本满意|不满意", False),
    ("extend", "延长办理期限：/extend 案号 天数 原因", True),
]

CALLBACK = "pg:"
USAGE = {
    "reply": "用法：/reply 案号 类别 [答复日期] [文号]\n例如：/reply 125 A、/reply 125 B 2026-12-03 晋发改函〔2026〕12号",
    "feedback": "用法：/feedback 案号 满意|基本满意|不满意 [日期]\n例如：/feedback 125 不满意",
    "extend": "用法：/extend 案号 天数 原因\n例如：/extend 125 15 需协调省级部门",
}
ACTION_LABELS = {"reply": "登记答复", "feedback": "登记反馈", "extend": "延期"}

def may_act(svc: Services, user_id: int, proposal: Proposal, action: str) -> bool:
    """Admins always; the linked handler of this proposal for reply and feedback."""
    if svc.role_of(user_id) == ADMIN:
        return True
    if action == "extend":
        return False
    return any(c.telegram_user_id == user_id for c in svc.repo.contacts_by_id(proposal.handlers))


def day_arg(text: str | None, today: date) -> tuple[str | None, str | None]:
    """(ISO date, error) for an optional date argument; today when absent."""
    if text is None:
        return today.isoformat(), None
    iso = parse_date(text)
    if iso is None:
        return None, f"日期“{esc(text[:20])}”无法识别，请写成 2026-12-03。"
    if iso > today.isoformat():
        return None, f"日期 {iso} 晚于今天（{today.isoformat()}），请检查。"
    return iso, None


def due_text(day: date | None) -> str:
    return day.isoformat() if day else "未知"


# -- the three actions --------------------------------------------------------------------------

def do_reply(svc: Services, user_id: int, p: Proposal, args: tuple) -> str:
    raw_class, reply_date, doc_number = args
    scheme = svc.config.scheme_for(p.region, p.body)
    classification = normalize_class(raw_class, scheme)
    old_due = svc.due_date(p)
    changed = apply_reply(p, classification, reply_date, svc.config)
    with svc.repo.batch():
        svc.repo.put(changed)
        svc.repo.put(Reply(proposal_id=p.id, issuer=p.lead_unit or None, doc_number=doc_number,
                           classification=classification, reply_date=reply_date, source_name="chat"))
        svc.repo.audit("reply", user_id, proposal_id=p.id, number=p.number, classification=classification,
                       reply_date=reply_date, doc_number=doc_number, old_state=p.state,
                       new_state=changed.state, old_due=due_text(old_due),
                       new_due=due_text(svc.due_date(changed)), on=svc.today().isoformat())
    facts = [f"{classification}类（{scheme.labels.get(classification, '')}）", f"答复日期 {reply_date}"]
    if doc_number:
        facts.append(f"文号 {doc_number}")
    lines = [f"已登记答复：{esc(number_label(p))} {esc(p.title)}", esc(" · ".join(facts))]
    if changed.state == FOLLOW_UP:
        lines.append(f"状态：待跟进（回头看），请于 {esc(changed.follow_up_date)} 前再次答复；届时会再提醒。")
    elif changed.state == CLOSED:
        lines.append("状态：已办结。")
    else:
        lines.append("状态：已答复，等待提案人反馈；不再发送催办提醒。")
    return "\n".join(lines)


def do_feedback(svc: Services, user_id: int, p: Proposal, args: tuple) -> str:
    value, on_date = args
    old_due = svc.due_date(p)
    changed = apply_feedback(p, value, on_date, svc.config)
    new_due = svc.due_date(changed)
    svc.repo.put(changed)
    svc.repo.audit("feedback", user_id, proposal_id=p.id, number=p.number, feedback=changed.feedback,
                   feedback_date=on_date, old_state=p.state, new_state=changed.state,
                   old_due=due_text(old_due), new_due=due_text(new_due), on=svc.today().isoformat())
    head = f"已登记反馈：{esc(number_label(p))} {esc(changed.feedback)}（{on_date}）"
    if changed.state == REOPENED:
        return (f"{head}\n{esc(number_label(p))}转为重新办理，新的答复期限 {due_text(new_due)}；"
                "承办人将重新收到提醒。")
    if changed.state == CLOSED:
        return f"{head}\n状态：已办结。"
    if changed.state == FOLLOW_UP:
        return f"{head}\n状态：仍待跟进（回头看），跟进期限 {esc(changed.follow_up_date)}。"
    return head


def do_extend(svc: Services, user_id: int, p: Proposal, args: tuple) -> str:
    days, reason = args
    old_due = svc.due_date(p)
    changed = extend(p, days)
    new_due = svc.due_date(changed)
    svc.repo.put(changed)
    svc.repo.audit("extend", user_id, proposal_id=p.id, number=p.number, days=days, reason=reason,
                   old_due=due_text(old_due), new_due=due_text(new_due), on=svc.today().isoformat())
    verb = f"延期 {days} 天" if days > 0 else f"缩短 {-days} 天"
    return (f"已{verb}：{esc(number_label(p))} {esc(p.title)}\n"
            f"截止日期：{due_text(old_due)} → {due_text(new_due)}\n"
            f"原因：{esc(reason)}\n"
            f"已记入审计记录（操作人 {user_id}，{svc.clock().strftime('%Y-%m-%d %H:%M')}）。")


ACTIONS = {"reply": do_reply, "feedback": do_feedback, "extend": do_extend}


def perform(svc: Services, user_id: int, proposal: Proposal, action: str, args: tuple) -> str:
    if not may_act(svc, user_id, proposal, action):
        log.warning("refused %s on proposal %s for user %s", action, proposal.id, user_id)
        if action == "extend":
            return "抱歉，延期仅限管理员操作。"
        return f"抱歉，只有管理员或{esc(number_label(proposal))}的承办人可以{ACTION_LABELS[action]}。"
    try:
        return ACTIONS[action](svc, user_id, proposal, args)
    except ValueError as exc:  # the transitions explain themselves in Chinese
        return f"未能{ACTION_LABELS[action]}：{esc(exc)}"


# -- finding the proposal -----------------------------------------------------------------------

async def with_proposal(update: Update, context: ContextTypes.DEFAULT_TYPE, number: str,
                        action: str, args: tuple) -> None:
    svc = services(context)
    found = lookup_number(svc.repo, number)
    if not found.query.key:
        await reply(update, f"没有看懂案号“{esc(number[:30])}”。\n{USAGE[action]}")
        return
    if not found.matches:
        await reply(update, not_found_text(found))
        return
    if len(found.matches) == 1:
        await reply(update, perform(svc, update.effective_user.id, found.matches[0], action, args))
        return
    buttons = [
        [(session_label(p), f"{CALLBACK}{remember(context, (action, p.id, args))}")]
        for p in found.matches[:8]
    ]
    await reply(update, f"找到 {len(found.matches)} 件第{esc(found.query.key)}号，要{ACTION_LABELS[action]}的是：", buttons)


async def pick(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A session button: do the waiting action on that proposal."""
    query = update.callback_query
    svc = services(context)
    action, pid, args = recall(context, query.data[len(CALLBACK):], forget=True) or (None, None, None)
    proposal = svc.repo.get(Proposal, pid) if pid is not None else None
    if proposal is None:
        await query.answer("该选项已过期，请重新发送命令。", show_alert=True)
        return
    await query.answer()
    await edit(update, perform(svc, update.effective_user.id, proposal, action, args))


# -- commands ----------------------------------------------------------------------------------------

async def reply_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reply NUMBER CLASS [DATE] [DOC_NUMBER]"""
    args = list(context.args or [])
    if len(args) < 2:
        await reply(update, USAGE["reply"])
        return
    number, classification, rest = args[0], args[1], args[2:]
    today = services(context).today()
    reply_date = today.isoformat()
    if rest and parse_date(rest[0]):
        reply_date, error = day_arg(rest[0], today)
        if error:
            await reply(update, error)
            return
        rest = rest[1:]
    doc_number = " ".join(rest).strip()[:60] or None
    await with_proposal(update, context, number, "reply", (classification, reply_date, doc_number))


async def feedback_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/feedback NUMBER 满意|基本满意|不满意 [DATE]"""
    args = list(context.args or [])
    if len(args) not in (2, 3):
        await reply(update, USAGE["feedback"])
        return
    on_date, error = day_arg(args[2] if len(args) == 3 else None, services(context).today())
    if error:
        await reply(update, error)
        return
    await with_proposal(update, context, args[0], "feedback", (args[1], on_date))


@admin_only
async def extend_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/extend NUMBER DAYS REASON"""
    args = list(context.args or [])
    days_text = args[1].removesuffix("天") if len(args) > 1 else ""
    if len(args) < 3 or not days_text.lstrip("+-").isdigit():
        await reply(update, USAGE["extend"] + "\n（天数为整数，原因必填）")
        return
    days = int(days_text)
    if days == 0 or abs(days) > 366:
        await reply(update, "延期天数应为 1 到 366 之间的整数（负数表示缩短）。")
        return
    reason = " ".join(args[2:]).strip()[:200]
    await with_proposal(update, context, args[0], "extend", (days, reason))


def register(app: Application) -> None:
    app.add_handler(CommandHandler("reply", reply_command))
    app.add_handler(CommandHandler("feedback", feedback_command))
    app.add_handler(CommandHandler("extend", extend_command))
    app.add_handler(CallbackQueryHandler(pick, pattern=f"^{CALLBACK}"))
