"""After an import, one message to the admins instead of one escalation per item.

Every list import tags the items it creates with its batch (``Event.batch``, the file's hash).
The first sweep after it sends the admins one summary (📋 新导入 150 件，其中 38 件已逾期 …) and
the escalations it planned for those items are recorded in the ledger as covered by that
summary, so they are never sent one by one. Handlers' own pings are not touched. Pure core: no
telegram; the ledger is the one in bot.ledger.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from bot.config import Config
from bot.deadlines import WorkCalendar, due_date_of
from bot.reminder_plan import SYSTEM, Ping
from bot.model import Proposal
from bot.render import esc
from bot.stats import DueItem, by_lead_unit

STEP = "import-"  # + batch: the ledger key of a batch's summary
TOP_UNITS = 3


@dataclass
class ImportSummary:
    pings: list[Ping] = field(default_factory=list)  # the summary, one per admin target
    covered: list[Ping] = field(default_factory=list)  # escalations it stands for
    batches: list[str] = field(default_factory=list)

    def settle(self, ledger) -> None:
        """Once the summary went out: its escalations and the other batches count as done."""
        for ping in self.covered:
            ledger.cover(ping.key, self.pings[0].step)
        for batch in self.batches[1:]:
            for ping in self.pings:
                ledger.cover((SYSTEM, STEP + batch, ping.recipient, "system"), self.pings[0].step)


def plan(today: date, repo, config: Config, calendar: WorkCalendar | None, ledger, pings: list[Ping],
         targets: list[int], units) -> tuple[list[Ping], ImportSummary]:
    """(the pings still to send one by one, the summary of the imports not yet summed up)."""
    summary = ImportSummary()
    if not targets:
        return pings, summary
    summary.batches = sorted(
        b for b in repo.event_batches()
        if not any((SYSTEM, STEP + b, chat, "system") in ledger for chat in targets)
    )
    if not summary.batches:
        return pings, summary
    # read, not kept: every sweep until the summary reaches an admin (events stay in the file)
    ids = {e.proposal_id for b in summary.batches for e in repo.events_of_batch(b, keep=False)}
    items = [p for p in (repo.get(Proposal, i) for i in sorted(ids)) if p is not None]
    summary.covered = [p for p in pings if p.step == "escalate" and p.proposal_id in ids]
    covered = {p.key for p in summary.covered}
    kept = [p for p in pings if p.key not in covered]
    text = summary_text(today, items, config, calendar, units)
    step = STEP + summary.batches[0]
    summary.pings = [Ping(SYSTEM, step, chat, text, "system", "管理员") for chat in targets]
    return kept, summary


def summary_text(today: date, items: list[Proposal], config: Config, calendar: WorkCalendar | None, units) -> str:
    """📋 新导入 150 件，其中 38 件已逾期（最长 96 天），12 件无承办人。…详见 /overdue
    (a history import only says what came in: its items send nothing, so no alarm either)"""
    overdue: list[DueItem] = []
    for p in items:
        due = due_date_of(p, config, calendar) if p.is_open else None
        if due is not None and due < today:
            overdue.append(DueItem(p, due, (due - today).days))
    open_items = [p for p in items if p.is_open]
    unhandled = sum(1 for p in open_items if not units.handlers_of(p))
    quiet = sum(1 for p in items if p.quiet)
    head = f"📋 新导入 {len(items)} 件"
    if quiet == len(items):  # history: no alarm about its overdue items, just what came in
        still = f"其中 {len(open_items)} 件未办结，可用 /overdue、/dept 查看。" if open_items else ""
        return f"{head}（作为历史记录，不发送提醒）。{still}"
    parts = []
    if overdue:
        parts.append(f"其中 {len(overdue)} 件已逾期（最长 {-min(i.days_left for i in overdue)} 天）")
    if unhandled:
        parts.append(f"{unhandled} 件无承办人")
    lines = [head + ("，" + "，".join(parts) if parts else "") + "。"]
    if overdue:
        units = by_lead_unit(overdue)
        lines.append("逾期最多：" + "、".join(f"{esc(unit)} {len(group)} 件" for unit, group in units[:TOP_UNITS])
                     + ("……" if len(units) > TOP_UNITS else ""))
        lines.append("详见 /overdue；逾期事项不再逐件督办提醒。")
    if unhandled:
        lines.append("无承办人的事项：导入联系人名单（单位的联络员即承办人）或用 /dept 查看。")
    return "\n".join(lines)
