"""The reminder service of a running bot: the daily sweep and its same-day retry rounds, the
start-up catch-up, lost pings reported, the admins' digest sent once a workday. Pure core: no
telegram. The wiring (``handlers.reminders.start``) opens it with a function that sends one
message and a ``classify`` for that function's exceptions, and schedules ``sweep`` daily and
``retry_if_due`` every half minute.

Pings still failing after their retries are tried again the same day in retry rounds, with
backoff (``reminders.retry_backoff_minutes`` doubling up to ``retry_max_minutes``) on the
injected clock, until delivered or the day ends; then the admins are told and the digest counts
them as lost.

"Today" is always ``services.today()`` (the injected clock, moved by ``run --today`` and by
tests); the scheduler only decides *when* the daily sweep runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Awaitable, Callable

import httpx

from bot.digest import build_digest
from bot.ledger import Ledger
from bot.links import LinkTokens
from bot.model import Contact, Department, Proposal
from bot.reminder_plan import SYSTEM, Ping, SweepPlanner, admin_targets
from bot.reminders import DeliveryError, DeliveryReport, Send, Unconfirmed, deliver, run_sweep
from bot.render import contact_label, esc, split_message
from bot.storage import side_path
from bot.webhooks import check_webhooks, make_webhook_sender

if TYPE_CHECKING:
    from bot.services import Services

log = logging.getLogger(__name__)

Classify = Callable[[BaseException], DeliveryError | None]
SendOne = Callable[[int, str, list | None], Awaitable[Any]]  # chat id, one message's HTML, buttons
SEND_READ_TIMEOUT = 30.0  # seconds a reminder waits for Telegram's answer
LAST_RETRY = time(23, 55)  # the day's last retry round (local time)


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
        # each item's plan kept from one daily sweep to the next, dropped when what it reads changes
        self.planner = SweepPlanner().watch(services.repo)
        self.ledger: Ledger | None = None
        self.links: LinkTokens | None = None
        self.client: httpx.AsyncClient | None = None
        self.webhook_send: Send | None = None
        self.send_one: SendOne | None = None
        self.classify: Classify | None = None
        self.digest_buttons: Callable[[int], list | None] | None = None
        self.lock = asyncio.Lock()
        self.catch_up: asyncio.Task | None = None
        self.go = asyncio.Event()  # set once the bot receives updates (or someone waits for the catch-up)
        # injectable for tests: how retries wait, and how long a send waits for its answer
        self.sleep: Callable[[float], Any] = asyncio.sleep
        self.base_delay = 1.0
        self.read_timeout = SEND_READ_TIMEOUT  # seconds (the Telegram sender reads it)
        # same-day retry rounds, on the services' clock
        self.retry_at: datetime | None = None
        self.retry_day: date | None = None
        self.retry_rounds = 0
        self.pending: list[Ping] = []  # failed in the last round, retried at retry_at

    # life cycle -------------------------------------------------------------------------------

    def open(self, send_one: SendOne, classify: Classify | None = None,
             digest_buttons: Callable[[int], list | None] | None = None) -> None:
        """At start-up: open the ledger and the link tokens, the group robots' HTTP client;
        ``send_one(chat_id, html, buttons)`` sends one message of at most 4096 characters (with
        buttons: rows of (label, callback data)), ``classify`` maps its exceptions onto the
        delivery errors (bot.reminders), ``digest_buttons(unassigned)`` are the digest's buttons."""
        config = self.services.config
        self.send_one, self.classify, self.digest_buttons = send_one, classify, digest_buttons
        self.ledger = Ledger(side_path(config.database, "ledger"), clock=self.services.clock)
        self.links = LinkTokens.from_config(config, side_path(config.database, "links"))
        if config.webhooks:
            for problem in check_webhooks(config.webhooks):
                log.warning("webhook config: %s", problem)
            self.client = httpx.AsyncClient(timeout=10)
            self.webhook_send = make_webhook_sender(config.webhooks, client=self.client)

    def catch_up_in_background(self) -> None:
        """The start-up sweep: stale failures reported, then today's pings. It begins once the
        bot receives updates (``receiving``: the first getUpdates does not wait for it) or
        when someone waits for it (``started``)."""
        self.catch_up = asyncio.get_running_loop().create_task(self._catch_up(), name="reminders-catch-up")

    def receiving(self) -> None:
        """The bot polls (or listens to its webhook): the catch-up sweep may begin."""
        self.go.set()

    async def started(self) -> None:
        """Return when the catch-up sweep is done (tests and console mode talk only after it)."""
        self.go.set()
        if self.catch_up is not None:
            await asyncio.gather(self.catch_up, return_exceptions=True)

    async def stop(self) -> None:
        """At shut-down: cancel the catch-up, close the ledger and the HTTP client."""
        if self.catch_up is not None and not self.catch_up.done():
            self.catch_up.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.catch_up
        if self.ledger is not None:
            self.ledger.close()
        if self.client is not None:
            await self.client.aclose()

    async def _catch_up(self) -> None:
        await self.go.wait()
        try:
            await self.report_stale_failures()
            await self.sweep()
        except Exception:  # logged here: nobody awaits this task in production
            log.exception("start-up reminder sweep failed")

    # sending ----------------------------------------------------------------------------------

    async def send(self, chat_id: int, text: str, buttons: list | None = None) -> None:
        """A text of any length, as one or more messages (the buttons under the last)."""
        parts = split_message(text)
        for number, part in enumerate(parts):
            try:
                await self.send_one(chat_id, part, buttons if number == len(parts) - 1 else None)
            except Exception as exc:
                if number == 0:
                    raise
                # the first parts arrived: sending the whole again is a resend, marked 「补发」
                raise Unconfirmed(f"part {number + 1} of {len(parts)}: {exc}") from exc

    def _options(self) -> dict[str, Any]:
        return {"classify": self.classify, "sleep": self.sleep, "base_delay": self.base_delay}

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
                                     retry_round=retry_round, planner=self.planner, **self._options())
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
        names = {c.telegram_user_id: contact_label(c) for c in repo.contacts() if c.telegram_user_id}
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
        text, unassigned = self.digest(today)
        buttons = self.digest_buttons(unassigned) if self.digest_buttons else None
        pings = [Ping(SYSTEM, f"digest-{today.isoformat()}", chat, text, "system", "管理员")
                 for chat in admin_targets(config, admins)]

        async def send(chat_id: int, html: str) -> None:
            await self.send(chat_id, html, buttons)

        return await deliver(pings, send, self.ledger, bundle_from=None, **self._options())

    def digest(self, today: date) -> tuple[str, int]:
        """The admins' digest of ``today`` (with what the ledger counted), and how many open
        items no one handles (the digest's button lists them)."""
        unassigned = len(self.services.units.unassigned_items())
        text = build_digest(today, self.services.repo, self.services.config, self.calendar, ledger=self.ledger,
                            unassigned=unassigned)
        return text, unassigned

    def unblock(self, *chat_ids: int | None) -> None:
        if self.ledger is None:
            return
        for chat_id in chat_ids:
            if chat_id is not None and self.ledger.is_blocked(chat_id):
                self.ledger.unblock(chat_id)
                log.info("chat %s wrote again: reminders resume", chat_id)


# -- who gets reminders ----------------------------------------------------------------------------

def linked_contacts(svc: Services, user_id: int) -> list[Contact]:
    """The contacts a Telegram user is linked to (one person may handle for several units)."""
    return [c for c in svc.repo.contacts() if c.telegram_user_id == user_id]


def set_muted(svc: Services, user_id: int, muted: bool) -> list[Contact]:
    """Stop (or resume) the reminders of every contact linked to ``user_id``, audited; returns
    them (none: the user is not linked). Escalations about their items still go out."""
    mine = linked_contacts(svc, user_id)
    if mine:
        with svc.repo.batch():
            for contact in mine:
                contact.muted = muted
                svc.repo.put(contact)
            svc.repo.audit("mute" if muted else "unmute", user_id, contacts=[c.id for c in mine])
    return mine


def set_supervisor(svc: Services, user_id: int, unit: str, chat_id: int | None) -> Department:
    """Where the unit's escalations go: ``chat_id`` (None: the admins again), stored on its
    Department record and audited."""
    dept = next((d for d in svc.repo.departments() if d.name == unit), None) or Department(name=unit)
    old = dept.supervisor_chat_id
    dept.supervisor_chat_id = chat_id
    svc.repo.put(dept)
    svc.repo.audit("supervisor", user_id, unit=unit, old_chat=old, new_chat=chat_id)
    return dept
