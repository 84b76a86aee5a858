"""Deadline reminders, wired to Telegram: the daily sweep on PTB's JobQueue, the start-up
catch-up, the admins' digest, and /due, /overdue, /mute, /unmute, /sweep, /digest, and
/supervisor (where a unit's escalations go).

Needs python-telegram-bot's ``job-queue`` and ``rate-limiter`` extras. The pure core does the
thinking: ``bot.deadlines`` (what is due today), ``bot.reminders`` (the delivery ledger,
``deliver`` with its retries, link tokens, the digest) and ``bot.webhooks`` (group robots).
This module gives it a Telegram ``send`` and a ``classify`` that maps PTB's exceptions onto the
core's delivery errors:

    RetryAfter → RetryLater (retry_after honoured)   Forbidden → Blocked
    BadRequest, ChatMigrated, InvalidToken, Conflict → PermanentError
    TimedOut, NetworkError (5xx, connection errors) → TransientError (backoff)

Timeouts and lost answers: ``sendMessage`` is not idempotent. A reminder waits up to
``read_timeout`` seconds (30) for Telegram's answer, so a slow answer is waited for rather than
sent twice. A timeout before the request was out (connect, pool, write) is retried with backoff.
When the request went out but the answer was lost (a *read* timeout, the connection dropped
after the request, an unreadable answer) the ping may have been delivered: it is ``Unconfirmed``,
sent once more marked 「补发」, and reported to the admins as 未确认 (never as failed).

Pings still failing after their retries are tried again the same day in retry rounds, with
backoff (``reminders.retry_backoff_minutes`` doubling up to ``retry_max_minutes``) on the
injected clock, until delivered or the day ends; then the admins are told and the digest counts
them as lost.

"Today" is always ``services.today()`` (the injected clock, moved by ``run --today`` and by
tests); the JobQueue only decides *when* the daily sweep runs. Tests call ``sweep_now(app)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import warnings
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Callable

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

from bot.deadlines import SYSTEM, Ping
from bot.model import FOLLOW_UP, REOPENED, Contact, Department, Proposal
from bot.numbers import number_order
from bot.units import handler_ids
from bot.render import days_left_text, esc, split_message
from bot.reminders import (
    Blocked,
    DeliveryError,
    DeliveryReport,
    Ledger,
    LinkTokens,
    PermanentError,
    RetryLater,
    TransientError,
    Unconfirmed,
    admin_targets,
    build_digest,
    deliver,
    run_sweep,
    unassigned_text,
)
from bot.services import Services
from bot.storage import side_path
from bot.webhooks import check_webhooks, make_webhook_sender
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

SEND_READ_TIMEOUT = 30.0  # seconds a reminder waits for Telegram's answer
RETRY_TICK_SECONDS = 30  # how often the JobQueue asks whether a retry round is due
LAST_RETRY = time(23, 55)  # the day's last retry round (local time)
TITLE_SHORT = 24
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


@dataclass
class SweepResult:
    today: date
    report: DeliveryReport
    digest_sent: bool

    @property
    def unconfirmed(self) -> int:
        return len(self.report.unconfirmed)

    def summary(self) -> str:
        r = self.report
        parts = [f"新发送 {len(r.sent)} 条提醒"]  # pings already in the ledger are not planned again
        if r.resent_uncertain:
            parts.append(f"其中补发 {len(r.resent_uncertain)} 条（已标注「补发」）")
        if r.retrying:
            parts.append(f"失败 {len(r.retrying)} 条（今天稍后自动重试）")
        if r.permanent:
            parts.append(f"无法发送 {len(r.permanent)} 条")
        if r.blocked or r.skipped_blocked:
            parts.append(f"对方已屏蔽 {len(r.blocked) + len(r.skipped_blocked)} 条")
        if self.unconfirmed:
            parts.append(f"未确认 {self.unconfirmed} 条（已标注「补发」重发）")
        text = f"已完成 {self.today.isoformat()} 的提醒检查：" + "，".join(parts) + "。"
        if self.digest_sent:
            text += "\n今日办理日报已发送。"
        return text


class ReminderService:
    """One per running bot: the calendar, the ledger, link tokens, the group-robot client."""

    def __init__(self, services: Services):
        self.services = services
        self.calendar = services.calendar
        self.ledger: Ledger | None = None
        self.links: LinkTokens | None = None
        self.client: httpx.AsyncClient | None = None
        self.webhook_send: Callable | None = None
        self.bot = None
        self.lock = asyncio.Lock()
        self.catch_up: asyncio.Task | None = None
        # injectable for tests: how retries wait, and how long a send waits for its answer
        self.sleep: Callable[[float], Any] = asyncio.sleep
        self.base_delay = 1.0
        self.read_timeout = SEND_READ_TIMEOUT
        # same-day retry rounds, on the services' clock
        self.retry_at: datetime | None = None
        self.retry_day: date | None = None
        self.retry_rounds = 0
        self.pending: list[Ping] = []  # failed in the last round, retried at retry_at

    # life cycle -------------------------------------------------------------------------------

    async def start(self, app: Application) -> None:
        """At start-up (``bot.app.post_init``): open the side files, schedule the daily job,
        start the catch-up sweep in the background."""
        config = self.services.config
        self.bot = app.bot
        self.ledger = Ledger(side_path(config.database, "ledger"), clock=self.services.clock)
        self.links = LinkTokens.from_config(config, side_path(config.database, "links"))
        if config.webhooks:
            for problem in check_webhooks(config.webhooks):
                log.warning("webhook config: %s", problem)
            self.client = httpx.AsyncClient(timeout=10)
            self.webhook_send = make_webhook_sender(config.webhooks, client=self.client)
        if app.job_queue is not None:
            app.job_queue.run_daily(self._daily_job, time=config.reminders.daily_time, name="reminders")
            app.job_queue.run_repeating(self._retry_job, interval=RETRY_TICK_SECONDS, first=RETRY_TICK_SECONDS,
                                        name="reminder-retries")
        else:
            log.warning("no JobQueue (install python-telegram-bot[job-queue]): no daily reminders")
        self.catch_up = asyncio.get_running_loop().create_task(self._catch_up(), name="reminders-catch-up")

    async def started(self) -> None:
        """Return when the catch-up sweep is done (tests and console mode talk only after it)."""
        if self.catch_up is not None:
            await asyncio.gather(self.catch_up, return_exceptions=True)

    async def stop(self) -> None:
        """At shut-down (``bot.app.post_shutdown``): cancel the catch-up, close the ledger and
        the HTTP client."""
        if self.catch_up is not None and not self.catch_up.done():
            self.catch_up.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.catch_up
        if self.ledger is not None:
            self.ledger.close()
        if self.client is not None:
            await self.client.aclose()

    async def _catch_up(self) -> None:
        try:
            await self.report_stale_failures()
            await self.sweep()
        except Exception:  # logged here: nobody awaits this task in production
            log.exception("start-up reminder sweep failed")

    async def _daily_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.sweep()

    async def _retry_job(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        await self.retry_if_due()

    # sending ----------------------------------------------------------------------------------

    async def send(self, chat_id: int, text: str, buttons: list | None = None) -> None:
        parts = split_message(text)
        for number, part in enumerate(parts):
            markup = keyboard(buttons) if buttons and number == len(parts) - 1 else None
            try:
                await self.bot.send_message(chat_id, part, parse_mode=ParseMode.HTML,
                                            read_timeout=self.read_timeout, reply_markup=markup)
            except Exception as exc:
                if number == 0:
                    raise
                # the first parts arrived: sending the whole again is a resend, marked 「补发」
                raise Unconfirmed(f"part {number + 1} of {len(parts)}: {exc}") from exc

    def _options(self) -> dict[str, Any]:
        return {"classify": classify, "sleep": self.sleep, "base_delay": self.base_delay}

    # the sweep --------------------------------------------------------------------------------

    async def sweep(self, *, retry_round: bool = False) -> SweepResult:
        """Plan today's pings against the ledger and deliver them, then the admins' digest.
        One sweep at a time; safe to repeat (the ledger sends each ping once). Pings that
        still fail are retried later today (``retry_if_due``)."""
        async with self.lock:
            svc = self.services
            today = svc.today()
            admins = svc.admin_ids()
            report = await run_sweep(today, svc.repo, svc.config, self.calendar, self.ledger, self.send,
                                     webhook_send=self.webhook_send, admins=admins,
                                     retry_round=retry_round, **self._options())
            digest = await self._digest(today, admins)
            self._plan_retry(today, report.retrying + (digest.retrying if digest else []), retry_round)
            if self.retry_at is None and self.pending:  # the day is over for them
                await self._give_up(admins)
            return SweepResult(today, report, bool(digest and digest.sent))

    def _plan_retry(self, today: date, failed: list[Ping], retry_round: bool) -> None:
        """The next retry round: backoff doubling from ``retry_backoff_minutes`` up to
        ``retry_max_minutes``, the last one at LAST_RETRY; none when nothing failed or the
        day's last round has run."""
        self.pending = failed
        if not failed:
            self.retry_at, self.retry_day, self.retry_rounds = None, None, 0
            return
        if not retry_round or self.retry_day != today:
            self.retry_rounds = 0
        rules = self.services.config.reminders
        now = self.services.clock()
        last = datetime.combine(today, LAST_RETRY, tzinfo=now.tzinfo)
        delay = min(rules.retry_max_minutes, rules.retry_backoff_minutes * 2 ** self.retry_rounds)
        self.retry_rounds += 1
        self.retry_day = today
        self.retry_at = None if now >= last else min(now + timedelta(minutes=delay), last)
        if self.retry_at is not None:
            log.info("%d reminder(s) failed; retry round %d at %s", len(failed), self.retry_rounds,
                     self.retry_at.isoformat(timespec="minutes"))

    async def retry_if_due(self) -> SweepResult | None:
        """The JobQueue's tick (tests call it after moving the clock): run the retry round when
        its time has come; when the day it belongs to has ended, report what is left."""
        if self.retry_at is None or self.services.clock() < self.retry_at:
            return None
        if self.services.today() != self.retry_day:
            self.retry_at = None
            await self._give_up(self.services.admin_ids())
            return None
        return await self.sweep(retry_round=True)

    async def _give_up(self, admins: list[int]) -> None:
        """The day ended with pings undelivered: count them as lost and tell the admins."""
        lost, day = self.pending, self.retry_day or self.services.today()
        self.pending, self.retry_day, self.retry_rounds = [], None, 0
        await self._report_lost([p.key for p in lost], day, admins, "全天多次重试仍未送达，已停止重试")

    async def report_stale_failures(self) -> None:
        """At start-up: reminders that failed on a day the bot did not live to the end of are
        reported lost now (never a silent loss across a restart)."""
        admins = self.services.admin_ids()
        for day, keys in sorted(self.ledger.stale_failures(self.services.today()).items()):
            await self._report_lost(keys, day, admins, "当天未能送达（程序停止运行，未能继续重试）")

    async def _report_lost(self, keys: list, day: date, admins: list[int], why: str) -> None:
        lost = self.ledger.mark_lost(keys, day)
        if not lost:
            return
        log.warning("%d reminder(s) of %s lost: %s", len(lost), day, why)
        repo = self.services.repo
        names = {c.telegram_user_id: c.name + (f"（{c.unit}）" if c.unit else "")
                 for c in repo.contacts() if c.telegram_user_id}
        lines = [f"⚠ {len(lost)} 条提醒 {day.isoformat()} {why}，请人工通知："]
        for pid, step, recipient, _cycle in lost[:20]:
            proposal = repo.get(Proposal, pid)
            item = f"第{proposal.number}号" if proposal is not None else f"#{pid}"
            lines.append(f"· {esc(names.get(recipient, recipient))} · {esc(item)} · {esc(step)}")
        if len(lost) > 20:
            lines.append(f"……另有 {len(lost) - 20} 条")
        stamp = self.services.clock().isoformat(timespec="seconds")
        pings = [Ping(SYSTEM, f"lost-{day.isoformat()}-{stamp}", chat, "\n".join(lines), "system", "管理员")
                 for chat in admin_targets(self.services.config, admins)]
        await deliver(pings, self.send, self.ledger, bundle_from=None, **self._options())

    async def _digest(self, today: date, admins: list[int]) -> DeliveryReport | None:
        """Once a workday, through the ledger (a restart or a second sweep sends no second one)."""
        config = self.services.config
        if config.reminders.workdays_only and not self.calendar.is_workday(today):
            return None
        text, buttons = digest_parts(self.services, self, today)
        pings = [Ping(SYSTEM, f"digest-{today.isoformat()}", chat, text, "system", "管理员")
                 for chat in admin_targets(config, admins)]

        async def send(chat_id: int, html: str) -> None:
            await self.send(chat_id, html, buttons)

        return await deliver(pings, send, self.ledger, bundle_from=None, **self._options())

    def unblock(self, *chat_ids: int | None) -> None:
        if self.ledger is None:
            return
        for chat_id in chat_ids:
            if chat_id is not None and self.ledger.is_blocked(chat_id):
                self.ledger.unblock(chat_id)
                log.info("chat %s wrote again: reminders resume", chat_id)


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

def short_title(proposal: Proposal) -> str:
    title = (proposal.title or "").strip() or "（无标题）"
    return title if len(title) <= TITLE_SHORT else title[: TITLE_SHORT - 1] + "…"


def item_line(proposal: Proposal, due: date | None, today: date) -> str:
    tag = "（重新办理）" if proposal.state == REOPENED else "（跟进）" if proposal.state == FOLLOW_UP else ""
    line = f"· 第{esc(proposal.number)}号 {esc(short_title(proposal))}{tag}"
    if due is not None:
        line += f" · 截止 {due.isoformat()} · {days_left_text(due, today)}"
    else:
        line += " · 截止日期未知"
    return line


def sort_by_due(svc: Services, items) -> list[tuple[Proposal, date | None]]:
    return sorted(((p, svc.due_date(p)) for p in items), key=lambda r: (r[1] or date.max, number_order(r[0].number)))


def linked_contacts(svc: Services, user_id: int) -> list[Contact]:
    return [c for c in svc.repo.contacts() if c.telegram_user_id == user_id]


async def due(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/due: my open items, soonest deadline first."""
    svc = services(context)
    mine = linked_contacts(svc, update.effective_user.id)
    if not mine:
        hint = "管理员可用 /overdue 查看全部逾期事项。" if svc.is_admin(update.effective_user.id) else ""
        await reply(update, "您还没有绑定承办人身份，没有分配给您的事项。请向管理员索取绑定链接。" + hint)
        return
    items: dict[int, Proposal] = {}
    co_items: dict[int, Proposal] = {}
    for contact in mine:
        own, co = svc.units.items_of(contact)
        items.update((p.id, p) for p in own)
        co_items.update((p.id, p) for p in co)
    today = svc.today()
    rows = sort_by_due(svc, items.values())
    co_rows = sort_by_due(svc, (p for p in co_items.values() if p.id not in items))
    who = "、".join(esc(c.name + (f"（{c.unit}）" if c.unit else "")) for c in mine)
    if not rows and not co_rows:
        text = f"{who}：目前没有在办事项。"
    else:
        text = "\n".join([f"<b>您的在办事项：{len(rows)} 件</b> · {who}"]
                         + [item_line(p, d, today) for p, d in rows])
        if co_rows:
            text += "\n\n" + "\n".join([f"<b>本单位协办事项：{len(co_rows)} 件</b>（请按期向主办单位提交协办意见）"]
                                         + [item_line(p, d, today) for p, d in co_rows])
    muted = all(c.muted for c in mine)
    text += "\n\n" + ("提醒已暂停，发送 /unmute 恢复。" if muted else "到期提醒已开启（/mute 可暂停）。")
    await reply(update, text)


@staff_only
async def overdue(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/overdue: every overdue item, grouped by lead unit, longest overdue first."""
    svc = services(context)
    today = svc.today()
    by_unit: dict[str, list[tuple[int, Proposal, date]]] = defaultdict(list)
    for p in svc.repo.proposals():
        if not p.is_open:
            continue
        deadline = svc.due_date(p)
        if deadline is not None and deadline < today:
            by_unit[p.lead_unit or "（未指定主办单位）"].append(((today - deadline).days, p, deadline))
    if not by_unit:
        await reply(update, f"截至 {today.isoformat()}，没有逾期事项。")
        return
    total = sum(len(items) for items in by_unit.values())
    contacts = {c.id: c for c in svc.repo.contacts()}
    liaisons = svc.units.liaisons_for(p for items in by_unit.values() for _, p, _ in items)
    lines = [f"<b>逾期事项：{total} 件</b>（{today.isoformat()}）"]
    units = sorted(by_unit.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    for unit, items in units[:OVERDUE_UNITS]:
        lines.append(f"\n<b>{esc(unit)}</b>（{len(items)} 件）")
        items.sort(key=lambda x: (-x[0], number_order(x[1].number)))
        for days, p, deadline in items[:OVERDUE_ITEMS]:
            names = []
            for cid in handler_ids(p, liaisons):
                contact = contacts.get(cid)
                if contact is not None:
                    names.append(esc(contact.name) + ("" if contact.telegram_user_id else "（未绑定）"))
            handler = f" · 承办人 {'、'.join(names)}" if names else ""
            lines.append(item_line(p, deadline, today) + handler)
        if len(items) > OVERDUE_ITEMS:
            lines.append(f"……另有 {len(items) - OVERDUE_ITEMS} 件（/dept {esc(unit)} 查看全部）")
    if len(units) > OVERDUE_UNITS:
        lines.append(f"\n……另有 {len(units) - OVERDUE_UNITS} 个单位")
    buttons = None
    if svc.is_admin(update.effective_user.id):  # 催办 per unit, then per item (handlers.nudge)
        led = [(unit, items[0][1].lead_unit_id, len(items)) for unit, items in units[:OVERDUE_BUTTONS]]
        buttons = unit_buttons([u for u in led if u[1] is not None]) or None
    await reply(update, "\n".join(lines), buttons)


async def set_muted(update: Update, context: ContextTypes.DEFAULT_TYPE, muted: bool) -> None:
    svc = services(context)
    user_id = update.effective_user.id
    mine = linked_contacts(svc, user_id)
    if not mine:
        await reply(update, "您还没有绑定承办人身份，没有需要设置的提醒。")
        return
    with svc.repo.batch():
        for contact in mine:
            contact.muted = muted
            svc.repo.put(contact)
        svc.repo.audit("mute" if muted else "unmute", user_id, contacts=[c.id for c in mine])
    if muted:
        text = "已暂停您的办理提醒。发送 /unmute 恢复。\n（逾期后的督办通知仍会发给督办人或管理员。）"
    else:
        text = "已恢复您的办理提醒。发送 /due 查看在办事项。"
    await reply(update, text)


async def mute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/mute: stop my reminders."""
    await set_muted(update, context, True)


async def unmute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unmute: my reminders again."""
    await set_muted(update, context, False)


@admin_only
async def sweep_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/sweep: run today's reminder sweep now (it also runs daily and at start-up)."""
    result = await reminders_of(context).sweep()
    await reply(update, result.summary())


def digest_parts(svc: Services, rem: "ReminderService", today: date) -> tuple[str, list | None]:
    """The digest, and under it a button listing the items no one handles (when there are any)."""
    count = len(svc.units.unassigned_items())
    text = build_digest(today, svc.repo, svc.config, rem.calendar, ledger=rem.ledger, unassigned=count)
    return text, [[(f"查看 {count} 件无人承办", button(UNASSIGNED, "all"))]] if count else None


@staff_only
async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/digest: today's digest, to the caller only."""
    svc = services(context)
    await reply(update, *digest_parts(svc, reminders_of(context), svc.today()))


@staff_only
async def show_unassigned(update: Update, context: ContextTypes.DEFAULT_TYPE, _which: str) -> None:
    """查看 N 件无人承办 under the digest: the list, in a new message (the digest stays)."""
    await update.callback_query.answer()
    await reply(update, unassigned_text(services(context).units.unassigned_items()))


def set_supervisor(svc: Services, user_id: int, unit: str, chat_id: int | None, here: bool) -> str:
    """Store the unit's supervisor chat (None clears it) on its Department record."""
    dept = next((d for d in svc.repo.departments() if d.name == unit), None) or Department(name=unit)
    old = dept.supervisor_chat_id
    dept.supervisor_chat_id = chat_id
    svc.repo.put(dept)
    svc.repo.audit("supervisor", user_id, unit=unit, old_chat=old, new_chat=chat_id)
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
        await reply(update, set_supervisor(svc, update.effective_user.id, result.best.record.name, chat_id, here))
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
    await edit(update, set_supervisor(svc, update.effective_user.id, unit.name, chat_id, here))


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
