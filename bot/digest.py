"""The admins' daily digest (Telegram HTML). Pure core: no telegram."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import date, timedelta

from bot.config import Config
from bot.deadlines import WorkCalendar, due_date_of
from bot.ledger import Ledger
from bot.model import Proposal, Reply
from bot.render import esc, number_label, short_title, state_tag
from bot.stats import DueItem, by_due, by_lead_unit

log = logging.getLogger(__name__)

def build_digest(
    today: date,
    repo,
    config: Config,
    calendar: WorkCalendar | None,
    *,
    limit: int = 15,
    ledger: Ledger | None = None,
    unassigned: int = 0,
) -> str:
    """HTML for the admin chat: due within 7 days, overdue (by lead unit), replied since the
    last workday (yesterday, or Friday and the weekend on a Monday), and with ``ledger`` the
    reminders sent today and since the last workday: how many were resent marked 「补发」,
    unconfirmed, or still undelivered when their day ended. ``unassigned`` open items without
    any handler are one line (the caller adds the button that lists them: ``unassigned_text``)."""
    week_end = today + timedelta(days=6)
    upcoming: list[DueItem] = []
    overdue: list[DueItem] = []
    proposals = {p.id: p for p in repo.proposals()}
    for p in proposals.values():
        if not p.is_open:
            continue
        try:
            due = due_date_of(p, config, calendar)
        except Exception:  # a missing rule must not sink the digest
            log.exception("digest: no due date for proposal %s", p.id)
            continue
        if due is None:
            continue
        if due < today:
            overdue.append(DueItem(p, due, (due - today).days))
        elif due <= week_end:
            upcoming.append(DueItem(p, due, (due - today).days))
    since = calendar.previous_workday(today) if calendar is not None else today - timedelta(days=1)
    replied = [
        r for r in repo.all(Reply)
        if r.reply_date and since.isoformat() <= r.reply_date[:10] < today.isoformat()
    ]

    lines = [f"📋 <b>提案办理日报 {today.isoformat()}</b>"]
    lines.append(f"\n<b>7 天内到期：{len(upcoming)} 件</b>")
    for item in by_due(upcoming)[:limit]:
        p = item.proposal
        lines.append(f"· {esc(number_label(p))} {esc(short_title(p.title, 30))}{state_tag(p)} · "
                     f"截止 {item.due.isoformat()}" + (f" · {esc(p.lead_unit)}" if p.lead_unit else ""))
    if len(upcoming) > limit:
        lines.append(f"……另有 {len(upcoming) - limit} 件")
    lines.append(f"\n<b>已逾期：{len(overdue)} 件</b>")
    units = by_lead_unit(overdue)
    for unit, items in units[:limit]:
        shown = "、".join(f"{esc(number_label(i.proposal))}{state_tag(i.proposal)} 逾期 {-i.days_left} 天"
                         for i in items[:5])
        more = f" 等 {len(items)} 件" if len(items) > 5 else ""
        lines.append(f"· {esc(unit)}（{len(items)}）：{shown}{more}")
    if len(units) > limit:
        lines.append(f"……另有 {len(units) - limit} 个单位")
    if unassigned:
        lines.append(f"\n<b>无人承办：{unassigned} 件</b>（主办单位没有联系人或联络员，不会提醒任何人）")
    label = "昨日" if since == today - timedelta(days=1) else f"{since.isoformat()} 以来"
    lines.append(f"\n<b>{label}答复：{len(replied)} 件</b>")
    for r in sorted(replied, key=lambda r: (r.reply_date or "", r.proposal_id))[:limit]:
        p = proposals.get(r.proposal_id)
        name = f"{esc(number_label(p))} {esc(short_title(p.title, 30))}" if p else f"#{r.proposal_id}"
        cls = f" · {esc(r.classification)}类" if r.classification else ""
        issuer = f" · {esc(r.issuer)}" if r.issuer else ""
        lines.append(f"· {name}{cls}{issuer}")
    if len(replied) > limit:
        lines.append(f"……另有 {len(replied) - limit} 件")
    if ledger is not None:
        earlier: dict[str, int] = defaultdict(int)
        day = since
        while day < today:
            for kind, n in ledger.tally(day).items():
                earlier[kind] += n
            day += timedelta(days=1)
        rows = [row for row in (delivery_line("今日", ledger.tally(today)), delivery_line(label, earlier)) if row]
        if rows:
            lines.append("\n<b>提醒发送</b>")
            lines += rows
    if calendar is not None and calendar.warnings:
        lines.append("\n" + "\n".join(f"ℹ {esc(w)}" for w in calendar.warnings))
    return "\n".join(lines)


UNASSIGNED_HELP = ("请为这些单位上传联系人名单（单位/姓名/职务/办公电话/手机；职务写“联络员”的人即为默认承办人），"
                   "再用 /link 姓名 生成绑定链接发给本人；/merge 可把重复的单位合并到已有联系人的单位。")


def unassigned_text(items: list[Proposal], limit: int = 40) -> str:
    """HTML: the open items no one handles, by lead unit (most first), and how to fix that."""
    if not items:
        return "目前没有无人承办的在办事项：每件都有承办人或主办单位联络员。"
    lines = [f"<b>无人承办：{len(items)} 件</b>（主办单位没有联系人或联络员，不会提醒任何人）"]
    units = by_lead_unit(DueItem(p, None, None) for p in items)
    for unit, group in units[:limit]:
        shown = "、".join(esc(number_label(i.proposal)) for i in group[:10])
        more = f" 等 {len(group)} 件" if len(group) > 10 else ""
        lines.append(f"· {esc(unit)}（{len(group)}）：{shown}{more}")
    if len(units) > limit:
        lines.append(f"……另有 {len(units) - limit} 个单位")
    lines.append("\n" + esc(UNASSIGNED_HELP))
    return "\n".join(lines)


def delivery_line(label: str, counts: dict[str, int]) -> str | None:
    """「· 今日：已发 12 条，其中补发 1 条……」 from a ledger tally; None when nothing happened."""
    sent, resent = counts.get("sent", 0), counts.get("resent", 0)
    unconfirmed, lost = counts.get("unconfirmed", 0), counts.get("lost", 0)
    if not (sent or resent or unconfirmed or lost):
        return None
    parts = [f"已发 {sent + resent} 条"]
    if resent:
        parts.append(f"其中补发 {resent} 条（此前未确认送达，已标注「补发」）")
    if unconfirmed:
        parts.append(f"未确认 {unconfirmed} 条")
    if lost:
        parts.append(f"当天未能送达 {lost} 条")
    return f"· {label}：" + "，".join(parts)
