"""Handling progress in chat: /reply (a reply was sent), /feedback (the proposer's verdict),
/extend (an admin grants more time).

/reply and /feedback are for admins and for the linked handler of that proposal; /extend is for
admins. Each calls the pure transition in bot.deadlines (apply_reply / apply_feedback / extend),
puts the changed proposal, and writes an audit entry with who, the old and the new due date.
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

from bot.deadlines import apply_feedback, apply_reply, check_not_before_assignment, extend, normalize_class
from bot.history import REPLY_KINDS, corrected, event_order, latest_state_date, reply_kind
from bot.lookup import lookup_number
from bot.model import CLOSED, EV_EDIT, EV_EXTENSION, EV_FEEDBACK, EV_SUPPLEMENTARY, FOLLOW_UP, REOPENED, Event, Proposal, Reply
from bot.parsing import parse_date
from bot.render import esc, number_label, proposer_label
from bot.services import ADMIN, Services
from handlers.common import admin_only, answered_command, button, edit, fits, on_button, one_of, record_id, reply, services
from handlers.status import not_found_text, session_label

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


def may_act(svc: Services, user_id: int, proposal: Proposal, action: str) -> bool:
    """Admins always; the linked handler of this proposal (its own, else the lead unit's
    liaison) for reply and feedback."""
    if svc.role_of(user_id) == ADMIN:
        return True
    if action == "extend":
        return False
    return svc.units.may_reply(proposal, user_id)


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


# -- the three actions --------------------------------------------------------------------------

REPLY_MODE = "rp"  # rp:<s|c>:<proposal id>:<class>:<yyyymmdd>[:<doc number>]
MODE_LABELS = {"s": "补充答复", "c": "更正上一次答复"}


def late_note(event: Event) -> str:
    return ("\n日期早于已有的办理记录：已记入办理记录，状态不变。" if event.late else "")


def do_reply(svc: Services, user_id: int, p: Proposal, args: tuple):
    """Register a reply. When one is on record already, ask first (button): a supplementary
    reply (补充答复, a new step) or a correction of the last one (an edit of it)."""
    raw_class, reply_date, doc_number, *rest = args
    mode = rest[0] if rest else None
    scheme = svc.config.scheme_for(p.region, p.body)
    classification = normalize_class(raw_class, scheme)
    check_not_before_assignment(p, reply_date, "答复日期")
    events = svc.repo.events_for(p.id)
    last = latest_reply(events)
    if last is None and svc.repo.replies_for(p.id):
        mode = mode or "s"  # a reply stored before histories: never overwritten
    if last is not None and mode is None:
        if latest_state_date(events) > (last.business_date or ""):
            mode = "s"  # feedback came after the last reply: this one answers it (重新答复)
        else:
            return ask_reply_mode(p, classification, reply_date, doc_number, last)
    if mode == "c" and last is not None:
        return correct_reply(svc, user_id, p, last, classification, reply_date, doc_number)
    apply_reply(p, classification, reply_date, svc.config)  # refuses a closed item, in Chinese
    old_due = svc.due_date(p)
    with svc.repo.batch():
        saved_reply = svc.repo.put(Reply(proposal_id=p.id, issuer=p.lead_unit or None, doc_number=doc_number,
                                         classification=classification, reply_date=reply_date,
                                         source_name="chat"))
        event = Event(proposal_id=p.id, kind=reply_kind(events, reply_date), business_date=reply_date,
                      by=user_id, source="chat", unit=p.lead_unit, classification=classification,
                      doc_number=doc_number, reply_id=saved_reply.id)
        changed = svc.record(p, event)
        svc.repo.audit("reply", user_id, proposal_id=p.id, number=p.number, classification=classification,
                       reply_date=reply_date, doc_number=doc_number, old_state=p.state, kind=event.kind,
                       new_state=changed.state, old_due=due_text(old_due),
                       new_due=due_text(svc.due_date(changed)), on=svc.today().isoformat())
    facts = [f"{classification}类（{scheme.labels.get(classification, '')}）", f"答复日期 {reply_date}"]
    if doc_number:
        facts.append(f"文号 {doc_number}")
    what = "补充答复" if event.kind == EV_SUPPLEMENTARY else "答复"
    lines = [f"已登记{what}：{esc(number_label(p))} {esc(p.title)}", esc(" · ".join(facts))]
    lines.append(state_note(changed) + late_note(event))
    return "\n".join(lines)


def state_note(changed: Proposal) -> str:
    if changed.state == FOLLOW_UP:
        return f"状态：待跟进（回头看），请于 {esc(changed.follow_up_date)} 前再次答复；届时会再提醒。"
    if changed.state == CLOSED:
        return "状态：已办结。"
    if changed.state == REOPENED:
        return "状态：重新办理。"
    return f"状态：已答复，等待{proposer_label(changed.body)}反馈；不再发送催办提醒。"


def latest_reply(events: list[Event]) -> Event | None:
    replies = [e for e in corrected(events) if e.kind in REPLY_KINDS and not e.late]
    return max(replies, key=event_order, default=None)


def ask_reply_mode(p: Proposal, classification: str, reply_date: str, doc_number: str | None, last: Event):
    """Which of the two the new /reply is, as buttons that still work after a restart."""
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


def correct_reply(svc: Services, user_id: int, p: Proposal, last: Event, classification: str,
                  reply_date: str, doc_number: str | None) -> str:
    """A correction is an edit event naming the reply it corrects; the reply record follows."""
    changes = {"classification": classification, "business_date": reply_date}
    if doc_number:
        changes["doc_number"] = doc_number
    old = {k: getattr(last, k) for k in changes}
    if old == changes:
        return f"{esc(number_label(p))}的答复已是 {esc(classification)}类（{esc(reply_date)}），未作更改。"
    with svc.repo.batch():
        changed = svc.record(p, Event(proposal_id=p.id, kind=EV_EDIT, business_date=svc.today().isoformat(),
                                      by=user_id, source="chat", target_id=last.id, changes=changes))
        stored = svc.repo.get(Reply, last.reply_id) if last.reply_id is not None else None
        if stored is not None:
            stored.classification, stored.reply_date = classification, reply_date
            stored.doc_number = doc_number or stored.doc_number
            svc.repo.put(stored)
        svc.repo.audit("reply_correction", user_id, proposal_id=p.id, number=p.number, event_id=last.id,
                       old=old, new=changes, old_state=p.state, new_state=changed.state,
                       on=svc.today().isoformat())
    return (f"已更正答复：{esc(number_label(p))} "
            + esc(" · ".join(f"{k_label(k)} {old[k] or '无'} → {v}" for k, v in changes.items()))
            + "\n" + state_note(changed))


def k_label(name: str) -> str:
    return {"classification": "类别", "business_date": "答复日期", "doc_number": "文号"}[name]


def do_feedback(svc: Services, user_id: int, p: Proposal, args: tuple) -> str:
    value, on_date = args
    old_due = svc.due_date(p)
    check_not_before_assignment(p, on_date, "反馈日期")
    checked = apply_feedback(p, value, on_date, svc.config)  # refuses what cannot be, in Chinese
    event = Event(proposal_id=p.id, kind=EV_FEEDBACK, business_date=on_date, by=user_id, source="chat",
                  feedback=checked.feedback)
    with svc.repo.batch():
        changed = svc.record(p, event)
        new_due = svc.due_date(changed)
        svc.repo.audit("feedback", user_id, proposal_id=p.id, number=p.number, feedback=checked.feedback,
                       feedback_date=on_date, old_state=p.state, new_state=changed.state,
                       old_due=due_text(old_due), new_due=due_text(new_due), on=svc.today().isoformat())
    head = f"已登记反馈：{esc(number_label(p))} {esc(checked.feedback)}（{on_date}）"
    if event.late:
        return head + late_note(event)
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
    extend(p, days, svc.config, svc.calendar)  # refuses an extension that changes nothing
    with svc.repo.batch():
        changed = svc.record(p, Event(proposal_id=p.id, kind=EV_EXTENSION, business_date=svc.today().isoformat(),
                                      by=user_id, source="chat", days=days, reason=reason))
        new_due = svc.due_date(changed)
        svc.repo.audit("extend", user_id, proposal_id=p.id, number=p.number, days=days, reason=reason,
                       old_due=due_text(old_due), new_due=due_text(new_due), on=svc.today().isoformat())
    verb = f"延期 {days} 天" if days > 0 else f"缩短 {-days} 天"
    return (f"已{verb}：{esc(number_label(p))} {esc(p.title)}\n"
            f"截止日期：{due_text(old_due)} → {due_text(new_due)}\n"
            f"原因：{esc(reason)}\n"
            f"已记入办理记录和审计记录（操作人 {user_id}，{svc.clock().strftime('%Y-%m-%d %H:%M')}）。")


ACTIONS = {"reply": do_reply, "feedback": do_feedback, "extend": do_extend}


def perform(svc: Services, user_id: int, proposal: Proposal, action: str, args: tuple):
    """The action's answer: a text, or (text, buttons) when it asks back."""
    if not may_act(svc, user_id, proposal, action):
        log.warning("refused %s on proposal %s for user %s", action, proposal.id, user_id)
        if action == "extend":
            return "抱歉，延期仅限管理员操作。"
        return f"抱歉，只有管理员或{esc(number_label(proposal))}的承办人可以{ACTION_LABELS[action]}。"
    try:
        return ACTIONS[action](svc, user_id, proposal, args)
    except ValueError as exc:  # the transitions explain themselves in Chinese
        return f"未能{ACTION_LABELS[action]}：{esc(exc)}"


def answer_parts(answer) -> tuple[str, list | None]:
    return answer if isinstance(answer, tuple) else (answer, None)


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
        await reply(update, *answer_parts(perform(svc, update.effective_user.id, found.matches[0], action, args)))
        return
    buttons = [[(session_label(p), button(CALLBACK, ACTION_CODES[action], p.id))] for p in found.matches[:8]]
    await reply(update, f"找到 {len(found.matches)} 件第{esc(found.query.key)}号，要{ACTION_LABELS[action]}的是：",
                buttons, quote=True)


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
