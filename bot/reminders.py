"""Delivering reminders exactly once (the ledger that remembers what went out: ``bot.ledger``).

Pure core: no telegram import. The wiring injects ``send(chat_id, text)`` (wrapping PTB's
``bot.send_message(chat_id, text, parse_mode=HTML)``) and translates PTB's exceptions into the
ones below (or passes ``classify=``):

    RetryAfter → RetryLater(retry_after)   Forbidden → Blocked
    BadRequest, ChatMigrated → PermanentError (test BadRequest first: it subclasses NetworkError)
    TimedOut, NetworkError → TransientError   anything else → PermanentError

Policy (the Bot API's sendMessage is not idempotent, so no scheme is exactly-once across every
crash; a missed deadline ping costs more than a marked duplicate, so the rule is: never a
silent duplicate, never a silent loss):
- a ping already ``sent`` is never sent again (restart, second sweep, retry, catch-up);
- ``sending`` is written (and fsynced) before the request and ``sent`` after it, one message
  at a time. A ping whose delivery could not be confirmed may or may not have reached the
  recipient: the process died mid-send (a new Ledger finds it ``sending``), or the request
  went out but Telegram's answer was lost (``Unconfirmed``: read timeout, dropped connection,
  unreadable answer). Such a ping is *uncertain*; it is sent again **marked 「补发」**
  (``resend_mark``), at most ``max_resends`` times (then it stays ``uncertain`` and is
  reported, never sent again). Every later send of a ping that was once uncertain carries
  the mark, so a recipient never sees an unmarked duplicate. The admins are told (未确认), and
  the digest counts the resends;
- several pings for one recipient in one run (``bundle_from``, default 3) go as one combined
  message, most urgent first, so a handler with 20 overdue items gets one message, not 20
  (and Telegram's per-chat flood limit is not hit);
- within one attempt: 429 waits ``retry_after`` and retries; network errors, timeouts before
  the request was out and 5xx retry with exponential backoff; after ``max_attempts`` the entry
  is ``failed`` and planned again by the next run (the wiring schedules same-day retry rounds
  with backoff until the day ends, then reports what is still undelivered as lost). A
  permanent error (bad request, chat not found) is ``failed`` for good and reported once.
- Forbidden (the user blocked the bot) marks the entry and the recipient ``blocked``: no more
  pings to that chat until ``unblock(chat_id)`` (call it when the user writes to the bot again).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot import import_summary
from bot.config import Config
from bot.deadlines import WorkCalendar
from bot.ledger import BLOCKED, FAILED, SENT, UNCERTAIN, Key, Ledger
from bot.reminder_plan import SYSTEM, Ping, SweepPlanner, admin_targets, open_proposal_ids, plan_sweep
from bot.render import esc
from bot.units import UnitRegistry

log = logging.getLogger(__name__)


# -- what a send can raise -------------------------------------------------------------------

class DeliveryError(Exception):
    """Base of the errors an injected ``send`` raises (translated from PTB or httpx)."""


class RetryLater(DeliveryError):
    """Flood control (HTTP 429): wait ``retry_after`` seconds, then the same request may go."""

    def __init__(self, retry_after: float | timedelta, message: str = ""):
        seconds = retry_after.total_seconds() if isinstance(retry_after, timedelta) else float(retry_after)
        super().__init__(message or f"retry after {seconds:g}s")
        self.retry_after = seconds


class TransientError(DeliveryError):
    """Network error, timeout, 5xx: retry with backoff."""


class Unconfirmed(DeliveryError):
    """The request reached the server but its answer was lost (read timeout, connection
    dropped after the request was written, unreadable answer): it may have been delivered."""


class Blocked(DeliveryError):
    """The user blocked the bot or left (HTTP 403): do not try again."""


class PermanentError(DeliveryError):
    """Bad request, chat not found, …: retrying the same request cannot help."""


def default_classify(exc: BaseException) -> DeliveryError:
    if isinstance(exc, DeliveryError):
        return exc
    if isinstance(exc, (TimeoutError, ConnectionError)):
        return TransientError(str(exc) or exc.__class__.__name__)
    return PermanentError(f"{exc.__class__.__name__}: {exc}")


# -- delivery -------------------------------------------------------------------------------------

@dataclass
class DeliveryReport:
    sent: list[Ping] = field(default_factory=list)
    skipped_already_sent: list[Ping] = field(default_factory=list)  # sent before, or in flight
    failed: list[tuple[Ping, str]] = field(default_factory=list)  # this run; retried unless permanent
    permanent: list[Ping] = field(default_factory=list)  # of the failed: not retried
    skipped_failed: list[Ping] = field(default_factory=list)  # failed for good earlier
    blocked: list[Ping] = field(default_factory=list)  # newly blocked in this run
    skipped_blocked: list[Ping] = field(default_factory=list)  # recipient known to block us
    unconfirmed: list[Ping] = field(default_factory=list)  # an answer lost in this run
    uncertain: list[Ping] = field(default_factory=list)  # resends used up: not sent again
    resent_uncertain: list[Ping] = field(default_factory=list)  # sent marked 「补发」
    skipped_no_channel: list[Ping] = field(default_factory=list)  # webhook ping, no sender

    @property
    def retrying(self) -> list[Ping]:
        """Failed pings a later run may still deliver (not permanent)."""
        permanent = {p.key for p in self.permanent}
        return [p for p, _ in self.failed if p.key not in permanent]

    def admin_notice(self, *, retry_round: bool = False) -> str | None:
        """HTML for the admins when something needs a person: None when all went well. A retry
        round does not repeat that pings are being retried."""
        lines = []
        if self.blocked:
            lines.append(f"⚠ {len(self.blocked)} 条提醒未送达：对方已屏蔽机器人")
            lines += _who_lines(self.blocked)
        retrying = self.retrying
        if retrying and not retry_round:
            lines.append(f"⚠ {len(retrying)} 条提醒发送失败，今天稍后自动重试")
            reasons = dict((p.key, r) for p, r in self.failed)
            for ping in retrying[:10]:
                lines.append(f"· {esc(ping.who or ping.recipient)} · {esc(ping.step)} · {esc(reasons[ping.key][:100])}")
        if self.permanent:
            reasons = dict((p.key, r) for p, r in self.failed)
            lines.append(f"⚠ {len(self.permanent)} 条提醒被 Telegram 拒绝，无法发送（不再重试）")
            for ping in self.permanent[:10]:
                lines.append(f"· {esc(ping.who or ping.recipient)} · {esc(ping.step)} · {esc(reasons[ping.key][:100])}")
        if self.unconfirmed:
            lines.append(f"⚠ {len(self.unconfirmed)} 条提醒已发出，但未收到 Telegram 的确认（未确认）；"
                         f"已标注「补发」重发，收件人可能收到两次")
            lines += _who_lines(self.unconfirmed)
        if self.uncertain:
            lines.append(f"⚠ {len(self.uncertain)} 条提醒未确认送达，已多次补发仍无法确认，不再补发，请人工核实")
            lines += _who_lines(self.uncertain)
        return "\n".join(lines) if lines else None

    def __str__(self) -> str:
        return (f"sent={len(self.sent)} skipped={len(self.skipped_already_sent)} "
                f"failed={len(self.failed)} permanent={len(self.permanent)} blocked={len(self.blocked)} "
                f"skipped_blocked={len(self.skipped_blocked)} unconfirmed={len(self.unconfirmed)} "
                f"uncertain={len(self.uncertain)} resent_uncertain={len(self.resent_uncertain)}")


def _who_lines(pings: list[Ping], limit: int = 10) -> list[str]:
    names = sorted({p.who or str(p.recipient) for p in pings})
    lines = [f"· {esc(who)}" for who in names[:limit]]
    if len(names) > limit:
        lines.append(f"……另有 {len(names) - limit} 人")
    return lines


RESEND_MARK = "【补发】"
RESEND_NOTE = "（此提醒此前可能已送达，如已收到请忽略。）"


def resend_mark(text: str) -> str:
    """A resend of a ping that may already have arrived: never an unmarked duplicate."""
    return f"{RESEND_MARK}{text}\n{RESEND_NOTE}"


Send = Callable[[Any, str], Awaitable[Any]]


async def deliver(
    pings: Iterable[Ping],
    send: Send,
    ledger: Ledger,
    *,
    clock: Callable[[], datetime] | None = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    max_attempts: int = 5,
    webhook_send: Send | None = None,
    classify: Callable[[BaseException], DeliveryError | None] | None = None,
    base_delay: float = 1.0,
    max_delay: float = 60.0,
    pace: float = 0.0,
    bundle_from: int | None = 3,
) -> DeliveryReport:
    """Send each ping at most once per the ledger, one message at a time.

    ``send(chat_id, html_text)`` delivers to Telegram; ``webhook_send(unit, html_text)`` to a
    unit's group robot (pings whose recipient is ``"webhook:<unit>"``). A recipient with
    ``bundle_from`` or more pings in this run gets them combined (one message per
    ``BUNDLE_CHARS`` of text) instead of a burst of messages; ``None`` turns that off.
    ``clock`` (if given) replaces the ledger's clock for timestamps; ``pace`` seconds are
    slept between messages. Retries: 429 waits ``retry_after`` (up to ``3 * max_attempts``
    times); network errors, timeouts and 5xx back off exponentially (``base_delay`` doubling,
    at most ``max_delay``), ``max_attempts`` tries in all.
    """
    if clock is not None:
        ledger.clock = clock
    report = DeliveryReport()
    by_recipient: dict[Any, list[Ping]] = {}
    seen: set[Key] = set()
    for ping in pings:
        if ping.key in seen:  # the same ping twice in one list
            continue
        seen.add(ping.key)
        if isinstance(ping.recipient, str) and webhook_send is None:
            done = ledger.status(ping.key) == SENT
            (report.skipped_already_sent if done else report.skipped_no_channel).append(ping)
            continue
        decision = ledger.peek(ping.key)
        if decision != "send":
            _skip(report, ping, decision)
            continue
        by_recipient.setdefault(ping.recipient, []).append(ping)
    messages: list[list[Ping]] = []
    for recipient, group in by_recipient.items():
        if bundle_from and len(group) >= bundle_from:
            messages.extend(_bundles(group))
        else:
            messages.extend([ping] for ping in group)
    first = True
    try:
        for message in messages:
            claimed = []
            for ping in message:
                decision = ledger.claim(ping.key, sync=False)
                if decision == "send":
                    claimed.append(ping)
                else:  # changed since peek (a concurrent deliver, or blocked meanwhile)
                    _skip(report, ping, decision)
            if not claimed:
                continue
            ledger.sync()  # "sending" is durable before the request leaves
            if pace and not first:
                await sleep(pace)
            first = False
            recipient = claimed[0].recipient
            target, sender = recipient, send
            if isinstance(recipient, str):
                target, sender = recipient.split(":", 1)[1], webhook_send
            await _send_message(claimed, target, sender, ledger, report, sleep, max_attempts,
                                classify, base_delay, max_delay)
    finally:
        ledger.sync()
        ledger.maybe_compact()
    return report


BUNDLE_CHARS = 3500  # of HTML source per combined message (Telegram allows 4096 characters)


def _skip(report: DeliveryReport, ping: Ping, decision: str) -> None:
    if decision in (SENT, "inflight"):
        report.skipped_already_sent.append(ping)
    elif decision == BLOCKED:
        report.skipped_blocked.append(ping)
    elif decision == UNCERTAIN:
        report.uncertain.append(ping)
    elif decision == "gave_up":
        report.skipped_failed.append(ping)


def _bundles(group: list[Ping]) -> list[list[Ping]]:
    """Most urgent first (escalations, overdue, due), cut to fit one message each."""
    def urgency(ping: Ping) -> tuple:
        step = ping.step
        rank = 0 if step == "escalate" else 1 if "overdue" in step else 3 if step.startswith("followup") else 2
        return (rank, ping.cycle, ping.proposal_id)

    bundles: list[list[Ping]] = []
    current: list[Ping] = []
    size = 0
    for ping in sorted(group, key=urgency):
        if current and size + len(ping.text) + 2 > BUNDLE_CHARS:
            bundles.append(current)
            current, size = [], 0
        current.append(ping)
        size += len(ping.text) + 2
    if current:
        bundles.append(current)
    return bundles


def message_text(pings: list[Ping], marked: set[Key] = frozenset()) -> str:
    """One ping's text, or a bundle; pings in ``marked`` carry the 「补发」 mark."""
    if len(pings) == 1:
        ping = pings[0]
        return resend_mark(ping.text) if ping.key in marked else ping.text
    return bundle_text(pings, marked)


def bundle_text(pings: list[Ping], marked: set[Key] = frozenset()) -> str:
    resent = sum(1 for p in pings if p.key in marked)
    head = f"📋 {len(pings)} 项提醒" + (f"（其中 {resent} 项为补发）" if resent else "") + "："
    items = [(RESEND_MARK + p.text) if p.key in marked else p.text for p in pings]
    return head + "\n\n" + "\n\n".join(items) + (f"\n\n{RESEND_NOTE}" if resent else "")


async def _send_message(claimed, target, sender, ledger, report, sleep, max_attempts, classify,
                        base_delay, max_delay) -> None:
    """One message carrying one or more claimed pings; every outcome is recorded for each."""
    attempts = transient = waits = 0
    while True:
        marked = {ping.key for ping in claimed if ledger.resends(ping.key)}
        attempts += 1
        try:
            await sender(target, message_text(claimed, marked))
        except asyncio.CancelledError:
            for ping in claimed:
                ledger.abandon(ping.key)
            raise
        except Exception as exc:  # noqa: BLE001 - every failure is classified and recorded
            error = (classify(exc) if classify else None) or default_classify(exc)
            if isinstance(error, Blocked):
                for ping in claimed:
                    ledger.finish(ping.key, BLOCKED, str(error))
                    report.blocked.append(ping)
                return
            if isinstance(error, Unconfirmed):
                log.warning("message to %s: the answer was lost (%s); resending it marked", target, error)
                ledger.count("unconfirmed", sum(1 for ping in claimed if ping.proposal_id != SYSTEM))
                report.unconfirmed.extend(claimed)
                if all([ledger.resend(ping.key) for ping in claimed]):  # every ping, no short cut
                    attempts -= 1
                    transient += 1
                    await sleep(min(max_delay, base_delay * 2 ** (transient - 1)))
                    continue
                for ping in claimed:
                    ledger.finish(ping.key, UNCERTAIN, str(error))
                    report.uncertain.append(ping)
                return
            if isinstance(error, RetryLater) and waits < 3 * max_attempts:
                waits += 1
                attempts -= 1  # flood control is not the message's fault
                await sleep(max(0.0, error.retry_after))
                continue
            if isinstance(error, TransientError) and attempts < max_attempts:
                transient += 1
                await sleep(min(max_delay, base_delay * 2 ** (transient - 1)))
                continue
            permanent = not isinstance(error, (TransientError, RetryLater))
            reason = f"{error.__class__.__name__}: {error}"
            log.warning("message to %s failed after %d attempts: %s", target, attempts, reason)
            for ping in claimed:
                ledger.finish(ping.key, FAILED, reason, permanent=permanent)
                report.failed.append((ping, reason))
                if permanent:
                    report.permanent.append(ping)
            return
        for ping in claimed:
            if ping.key in marked:
                report.resent_uncertain.append(ping)
            ledger.finish(ping.key, SENT)
            report.sent.append(ping)
        return


async def run_sweep(
    today: date,
    repo,
    config: Config,
    calendar: WorkCalendar | None,
    ledger: Ledger,
    send: Send,
    *,
    webhook_send: Send | None = None,
    admins: Iterable[int] | None = None,
    retry_round: bool = False,
    planner: SweepPlanner | None = None,
    **deliver_options: Any,
) -> DeliveryReport:
    """The daily job (and the start-up catch-up, and the same-day retry rounds): plan against
    the ledger, deliver, tell the admins about blocked, failed or unconfirmed pings (once,
    through the ledger too), compact the ledger. ``admins``: every admin id (config and
    granted); defaults to ``config.admins``. ``planner``: the running bot's kept planner
    (``SweepPlanner.watch(repo)``: plans kept between sweeps), else a fresh plan."""
    admins = list(admins) if admins is not None else None
    proposals = repo.proposals()
    contacts = {c.id: c for c in repo.contacts()}
    units = UnitRegistry(repo, config)
    # the planning is pure and reads only these snapshots (and the ledger, which only this
    # sweep writes): it runs in a thread, so that chats are answered while it plans
    pings = await asyncio.to_thread(planner.plan if planner is not None else plan_sweep, today, proposals, contacts, config, calendar,
                                    departments=repo.departments(), admins=admins, sent=ledger,
                                    liaisons=units.liaisons(), leaders=units.leaders())
    # after an import: one summary to the admins stands for its items' escalations
    pings, imported = import_summary.plan(today, repo, config, calendar, ledger, pings,
                                          admin_targets(config, admins), units)
    if imported.pings:
        options = {k: v for k, v in deliver_options.items() if k != "bundle_from"}
        if (await deliver(imported.pings, send, ledger, bundle_from=None, **options)).sent:
            imported.settle(ledger)
    report = await deliver(pings, send, ledger, webhook_send=webhook_send, **deliver_options)
    notice = report.admin_notice(retry_round=retry_round)
    if notice:
        step = f"notice-{ledger.clock().isoformat(timespec='seconds')}"
        notices = [Ping(SYSTEM, step, chat, notice, "system", "管理员") for chat in admin_targets(config, admins)]
        options = {k: v for k, v in deliver_options.items() if k != "bundle_from"}
        await deliver(notices, send, ledger, bundle_from=None, **options)
    ledger.compact(open_proposal_ids(proposals))
    log.info("reminder sweep %s: %s", today, report)
    return report
