"""Deadline reminders, wired to Telegram: the reminder service (bot.reminder_service) opened
with a Telegram sender and scheduled on PTB's JobQueue, and /due, /overdue, /mute, /unmute,
/sweep, /digest, and /supervisor (where a unit's escalations go).

Needs python-telegram-bot's ``job-queue`` and ``rate-limiter`` extras. The core does the
thinking: ``bot.reminder_plan`` (what is due today), ``bot.reminders`` (``deliver`` with its
retries), ``bot.ledger``, ``bot.reminder_service`` (sweeps, retry rounds, the digest) and
``bot.webhooks`` (group robots). This module gives it a Telegram ``send`` and a ``classify``
that maps PTB's exceptions onto the core's delivery errors:

    RetryAfter → RetryLater (retry_after honoured)   Forbidden → Blocked
    BadRequest, ChatMigrated, InvalidToken, Conflict → PermanentError
    TimedOut, NetworkError (5xx, connection errors) → TransientError (backoff)

Timeouts and lost answers: ``sendMessage`` is not idempotent. A reminder waits up to
``read_timeout`` seconds (30) for Telegram's answer, so a slow answer is waited for rather than
sent twice. A timeout before the request was out (connect, pool, write) is retried with backoff.
When the request went out but the answer was lost (a *read* timeout, the connection dropped
after the request, an unreadable answer) the ping may have been delivered: it is ``Unconfirmed``,
sent once more marked 「补发」, and reported to the admins as 未确认 (never as failed).

Tests call ``sweep_now(app)``.
"""

from __future__ import annotations

import logging
import warnings
from typing import Any

import httpx
from telegram import Update
from telegram.constants import ParseMode
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import Application, CommandHandler, ContextTypes, TypeHandler

from bot.reminder_service import ReminderService, SweepResult, linked_contacts, set_muted, set_supervisor
from bot.reminders import (
    Blocked,
    DeliveryError,
    PermanentError,
    RetryLater,
    TransientError,
    Unconfirmed,
)
from bot.digest import unassigned_text
from bot.render import contact_label, esc
from bot.report import item_line
from bot.services import Services
from bot.stats import handler_lists, overdue_list
from bot.units import handler_ids
from handlers.common import (admin_only, button, chat_id as chat_field, edit, fits, keyboard, on_button, one_of,
                             reply, services, staff_only, unit_field, unit_of_field, unit_ref)
from handlers.nudge import unit_buttons

log = logging.getLogger(__name__)

COMMANDS = [
    ("due", "我的在办事项（按截止日期）", False),
    ("mute", "暂停我的办理提醒", False),
    ("unmute", "恢复我的办理提醒", False),
    ("overdue", "全部逾期事项（按单位）", False),
    ("supervisor", "设置单位的督办群：/supervisor 单位 [群组编号]", True),
    ("sweep", "立即检查并发送今天的提醒", True),
    ("digest", "查看今天的办理日报", False),
]

RETRY_TICK_SECONDS = 30  # how often the JobQueue asks whether a retry round is due
SUPERVISOR = "sv"  # sv:<h (this chat) | chat id (0: none)>:<unit id>
UNASSIGNED = "ua"  # ua:all — the digest's button: the open items no one handles
OVERDUE_UNITS, OVERDUE_ITEMS = 30, 10  # /overdue stays a few messages long
OVERDUE_BUTTONS = 10  # units with a 催办 button under /overdue


# -- Telegram for the core ------------------------------------------------------------------------

def classify(exc: BaseException) -> DeliveryError | None:
    """PTB's exceptions as the core's delivery errors (None: let the core decide)."""
    if answer_lost(exc):
        return Unconfirmed(f"{exc.__class__.__name__}: {exc}")
    if isinstance(exc, RetryAfter):
        with warnings.catch_warnings():  # PTB 22 notes that retry_after becomes a timedelta
            warnings.simplefilter("ignore")
            return RetryLater(exc.retry_after)
    if isinstance(exc, Forbidden):
        return Blocked(str(exc))
    if isinstance(exc, (BadRequest, ChatMigrated, InvalidToken, Conflict)):  # BadRequest first:
        return PermanentError(f"{exc.__class__.__name__}: {exc}")  # it subclasses NetworkError
    if isinstance(exc, (TimedOut, NetworkError)):
        return TransientError(f"{exc.__class__.__name__}: {exc}")
    return None


def answer_lost(exc: BaseException) -> bool:
    """The request reached Telegram, but no readable answer came back: a read timeout, the
    connection dropped after the request was written, or a 2xx body that is not JSON."""
    cause = exc.__cause__
    if isinstance(exc, TimedOut):
        return isinstance(cause, httpx.ReadTimeout)
    if isinstance(exc, NetworkError):
        return isinstance(cause, (httpx.RemoteProtocolError, httpx.ReadError))
    return type(exc) is TelegramError and isinstance(cause, ValueError)  # "Invalid server response"


async def start(app: Application) -> None:
    """At start-up (``bot.app.post_init``): open the reminder service with a Telegram sender,
    schedule the daily sweep and the retry ticks, start the catch-up sweep in the background."""
    service = reminders_of(app)
    bot, config = app.bot, service.services.config

    async def send_one(chat_id: int, text: str, buttons: list | None = None) -> None:
        await bot.send_message(chat_id, text, parse_mode=ParseMode.HTML, read_timeout=service.read_timeout,
                               reply_markup=keyboard(buttons) if buttons else None)

    async def daily(context: ContextTypes.DEFAULT_TYPE) -> None:
        await service.sweep()

    async def retry_tick(context: ContextTypes.DEFAULT_TYPE) -> None:
        await service.retry_if_due()

    service.open(send_one, classify, digest_buttons)
    if app.job_queue is not None:
        app.job_queue.run_daily(daily, time=config.reminders.daily_time, name="reminders")
        app.job_queue.run_repeating(retry_tick, interval=RETRY_TICK_SECONDS, first=RETRY_TICK_SECONDS,
                                    name="reminder-retries")
    else:
        log.warning("no JobQueue (install python-telegram-bot[job-queue]): no daily reminders")
    service.catch_up_in_background()


def reminders_of(app_or_context: Any) -> ReminderService:
    """The running bot's reminder service (``bot.app.build_application`` made it)."""
    app = getattr(app_or_context, "application", app_or_context)
    service = app.bot_data["services"].reminders
    assert isinstance(service, ReminderService), "the application was not built by bot.app"
    return service


async def sweep_now(app: Application) -> SweepResult:
    """Run the daily sweep for the services' today (tests, /sweep)."""
    return await reminders_of(app).sweep()


# -- lists -------------------------------------------------------------------------------------

async def due(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/due: my open items, soonest deadline first."""
    svc = services(context)
    mine = linked_contacts(svc, update.effective_user.id)
    if not mine:
        hint = "管理员可用 /overdue 查看全部逾期事项。" if svc.is_admin(update.effective_user.id) else ""
        await reply(update, "您还没有绑定承办人身份，没有分配给您的事项。请向管理员索取绑定链接。" + hint)
        return
    today = svc.today()
    rows, co_rows = handler_lists(svc, mine, today)
    who = "、".join(esc(contact_label(c)) for c in mine)
    if not rows and not co_rows:
        text = f"{who}：目前没有在办事项。"
    else:
        text = "\n".join([f"<b>您的在办事项：{len(rows)} 件</b> · {who}"]
                         + [item_line(i, today) for i in rows])
        if co_rows:
            text += "\n\n" + "\n".join([f"<b>本单位协办事项：{len(co_rows)} 件</b>（请按期向主办单位提交协办意见）"]
                                         + [item_line(i, today) for i in co_rows])
    muted = all(c.muted for c in mine)
    text += "\n\n" + ("提醒已暂停，发送 /unmute 恢复。" if muted else "到期提醒已开启（/mute 可暂停）。")
    await reply(update, text)


@staff_only
async def overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overdue: every overdue item, grouped by lead unit, longest overdue first."""
    svc = services(context)
    today = svc.today()
    listing = overdue_list(svc, today)
    if not listing.items:
        await reply(update, f"截至 {today.isoformat()}，没有逾期事项。")
        return
    contacts = {c.id: c for c in svc.repo.contacts()}
    liaisons = svc.units.liaisons_for(i.proposal for i in listing.items)
    lines = [f"<b>逾期事项：{len(listing.items)} 件</b>（{today.isoformat()}）"]
    units = listing.by_unit()
    for unit, items in units[:OVERDUE_UNITS]:
        lines.append(f"\n<b>{esc(unit)}</b>（{len(items)} 件）")
        for item in items[:OVERDUE_ITEMS]:
            names = []
            for cid in handler_ids(item.proposal, liaisons):
                contact = contacts.get(cid)
                if contact is not None:
                    names.append(esc(contact.name) + ("" if contact.telegram_user_id else "（未绑定）"))
            handler = f" · 承办人 {'、'.join(names)}" if names else ""
            lines.append(item_line(item, today) + handler)
        if len(items) > OVERDUE_ITEMS:
            lines.append(f"……另有 {len(items) - OVERDUE_ITEMS} 件（/dept {esc(unit)} 查看全部）")
    if len(units) > OVERDUE_UNITS:
        lines.append(f"\n……另有 {len(units) - OVERDUE_UNITS} 个单位")
    buttons = None
    if svc.is_admin(update.effective_user.id):  # 催办 per unit, then per item (handlers.nudge)
        led = [(unit, items[0].proposal.lead_unit_id, len(items)) for unit, items in units[:OVERDUE_BUTTONS]]
        buttons = unit_buttons([u for u in led if u[1] is not None]) or None
    await reply(update, "\n".join(lines), buttons)


async def mute_reply(update: Update, context: ContextTypes.DEFAULT_TYPE, muted: bool) -> None:
    if not set_muted(services(context), update.effective_user.id, muted):
        await reply(update, "您还没有绑定承办人身份，没有需要设置的提醒。")
        return
    if muted:
        text = "已暂停您的办理提醒。发送 /unmute 恢复。\n（逾期后的督办通知仍会发给督办人或管理员。）"
    else:
        text = "已恢复您的办理提醒。发送 /due 查看在办事项。"
    await reply(update, text)


async def mute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mute: stop my reminders."""
    await mute_reply(update, context, True)


async def unmute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unmute: my reminders again."""
    await mute_reply(update, context, False)


@admin_only
async def sweep_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sweep: run today's reminder sweep now (it also runs daily and at start-up)."""
    result = await reminders_of(context).sweep()
    await reply(update, result.summary())


@staff_only
async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: today's digest, to the caller only."""
    svc = services(context)
    text, unassigned = reminders_of(context).digest(svc.today())
    await reply(update, text, digest_buttons(unassigned))


def digest_buttons(unassigned: int) -> list | None:
    """Under the digest, a button listing the items no one handles (when there are any)."""
    return [[(f"查看 {unassigned} 件无人承办", button(UNASSIGNED, "all"))]] if unassigned else None


@staff_only
async def show_unassigned(update: Update, context: ContextTypes.DEFAULT_TYPE, _which: str) -> None:
    """查看 N 件无人承办 under the digest: the list, in a new message (the digest stays)."""
    await update.callback_query.answer()
    await reply(update, unassigned_text(services(context).units.unassigned_items()))


def supervisor_answer(svc: Services, user_id: int, unit: str, chat_id: int | None, here: bool) -> str:
    """Set the unit's supervisor chat (None clears it) and say so."""
    set_supervisor(svc, user_id, unit, chat_id)
    if chat_id is None:
        return f"已取消 {esc(unit)} 的督办群：逾期督办改发管理员。"
    where = "本群" if here else f"会话 {chat_id}"
    days = svc.config.reminders.escalate_after_days
    return (f"已把{where}设为 {esc(unit)} 的督办群：该单位主办的事项逾期 {days} 天后，"
            f"督办提醒发到这里（每件一次）。")


@admin_only
async def supervisor(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/supervisor UNIT [CHAT_ID|0]: where a unit's escalations go (default: this chat)."""
    args = list(context.args or [])
    chat_id: int | None = update.effective_chat.id
    here = True
    if len(args) >= 2 and args[-1].lstrip("-").isdigit():
        chat_id, here = int(args.pop()) or None, False
    text = " ".join(args).strip()
    if not text:
        await reply(update, "用法：/supervisor 单位名称 [会话编号]\n在督办群中发送 /supervisor 单位名称，"
                            "即把本群设为该单位的督办群；会话编号写 0 表示取消。")
        return
    svc = services(context)
    result = svc.index.find_units(text)
    if result.best is not None:
        await reply(update, supervisor_answer(svc, update.effective_user.id, result.best.record.name, chat_id, here))
        return
    if not result.hits:
        await reply(update, esc(result.reason or f"没有找到单位“{text[:30]}”。"))
        return
    where = "h" if here else chat_id or 0
    buttons = [[(hit.record.name[:60], button(SUPERVISOR, where, unit_field(hit.record)))]
               for hit in result.hits[:8] if fits(SUPERVISOR, where, unit_field(hit.record))]
    await reply(update, "请选择单位：", buttons)


def supervisor_chat(text: str) -> str:
    """The chat field of a supervisor button: h (the chat the button is in) or a chat id."""
    return text if text == "h" else str(chat_field(text))


@admin_only
async def pick_supervisor(update: Update, context: ContextTypes.DEFAULT_TYPE, where: str, ref: str) -> None:
    """A unit button under /supervisor."""
    query = update.callback_query
    svc = services(context)
    unit = unit_of_field(svc, ref)
    if unit is None:
        await query.answer("该单位已合并或删除，请重新发送命令。", show_alert=True)
        return
    await query.answer()
    here = where == "h"
    chat_id = update.effective_chat.id if here else int(where) or None
    await edit(update, supervisor_answer(svc, update.effective_user.id, unit.name, chat_id, here))


async def note_activity(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Anyone who writes to the bot has not blocked it (any more): reminders may go again."""
    user, chat = update.effective_user, update.effective_chat
    reminders_of(context).unblock(user and user.id, chat and chat.id)


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, note_activity), group=-2)
    app.add_handler(CommandHandler("due", due))
    app.add_handler(CommandHandler("overdue", overdue))
    app.add_handler(CommandHandler("mute", mute))
    app.add_handler(CommandHandler("unmute", unmute))
    app.add_handler(CommandHandler("sweep", sweep_command))
    app.add_handler(CommandHandler("digest", digest))
    app.add_handler(CommandHandler("supervisor", supervisor))
    app.add_handler(on_button(SUPERVISOR, pick_supervisor, supervisor_chat, unit_ref))
    app.add_handler(on_button(UNASSIGNED, show_unassigned, one_of("all")))
