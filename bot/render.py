"""Turn records into the Chinese text the bot sends (Telegram HTML).

Every dynamic value goes through ``esc``. ``split_message`` keeps each message within
Telegram's 4096-character limit, breaking on line boundaries and never inside a tag or entity.
"""

from __future__ import annotations

import html
import re
from datetime import date

from bot.model import (
    EV_ASSIGNED,
    EV_CO_UNIT_OPINION,
    EV_DELETE,
    EV_EDIT,
    EV_RESTORE,
    EV_EXTENSION,
    EV_FEEDBACK,
    EV_REPLY,
    EV_SUPPLEMENTARY,
    EVENT_LABELS,
    FOLLOW_UP,
    REOPENED,
    STATE_LABELS,
    Contact,
    Event,
    Proposal,
    Reply,
)

TELEGRAM_LIMIT = 4096
PRIVATE_ONLY = "电话：本群未开放联系方式，请在与机器人的私聊中查看"


def esc(value: object) -> str:
    """HTML-escape for Telegram: html.escape(quote=False), faster on clean text (the reminder
    sweep escapes every name and title it renders)."""
    text = str(value)
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    return text


def html_to_text(text: str) -> str:
    """Telegram HTML → plain text (terminal, group robots): <br> to newlines, tags dropped."""
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def number_label(proposal: Proposal) -> str:
    return f"第{proposal.number}号"


def short_title(title: str | None, limit: int = 24) -> str:
    """A title for a list line or a button: at most ``limit`` characters, cut with "…"."""
    title = (title or "").strip() or "（无标题）"
    return title if len(title) <= limit else title[: limit - 1] + "…"


def state_tag(proposal: Proposal) -> str:
    """What sets an open item apart in a list: （跟进） or （重新办理）."""
    return "（跟进）" if proposal.state == FOLLOW_UP else "（重新办理）" if proposal.state == REOPENED else ""


def contact_label(contact: Contact) -> str:
    """张三（某单位）, or 张三 when the unit is not known (plain text: escape it for HTML)."""
    return f"{contact.name}（{contact.unit}）" if contact.unit else contact.name


def session_line(proposal: Proposal) -> str:
    return " · ".join(part for part in (proposal.body, proposal.session_label, number_label(proposal)) if part)


def proposer_label(body: str) -> str:
    """Who wrote the item: a CPPCC proposal's 提案人, an NPC suggestion's 代表."""
    return "代表" if body == "人大" else "提案人"


def days_left_text(due: date, today: date) -> str:
    days = (due - today).days
    if days > 0:
        return f"还剩 {days} 天"
    if days == 0:
        return "今天截止"
    return f"⚠ 已逾期 {-days} 天"


def state_line(proposal: Proposal, replies: list[Reply], due: date | None, today: date) -> str:
    """The line a person acts on: what state, and how much time is left."""
    label = STATE_LABELS.get(proposal.state, proposal.state)
    last = replies[-1] if replies else None
    parts = [label]
    if proposal.state == FOLLOW_UP or not proposal.is_open:
        if last and last.classification:
            parts.append(f"{last.classification}类")
        if last and last.reply_date:
            parts.append(last.reply_date)
        if proposal.state == FOLLOW_UP and proposal.follow_up_date:
            parts.append(f"跟进截止 {proposal.follow_up_date}")
    elif due is not None:
        parts.append(days_left_text(due, today))
    return " · ".join(parts)


def status_card(
    proposal: Proposal, replies: list[Reply], handlers: list[Contact], due: date | None, today: date,
    personal: bool = True, events: list[Event] = (),
) -> str:
    """The card of one proposal; ``personal=False`` leaves out phone numbers (a group chat that
    no admin allowed to see them); ``events`` (oldest first, bot.history.timeline) add a line
    with the last three."""
    lines = [esc(session_line(proposal))]
    lines.append(f"<b>{esc(proposal.title or '（无标题）')}</b>")
    if proposal.proposer:
        lines.append(f"{proposer_label(proposal.body)}：{esc(proposal.proposer)}")
    if proposal.lead_unit:
        lines.append(f"主办：{esc(proposal.lead_unit)}")
    if proposal.co_units:
        co = [f"{name}（已提交意见）" if name in proposal.co_units_done else name for name in proposal.co_units]
        lines.append(f"协办：{esc('、'.join(co))}")
    lines.append(f"状态：{esc(state_line(proposal, replies, due, today))}")
    dates = []
    if proposal.assigned_date:
        dates.append(f"交办 {proposal.assigned_date}")
    if due is not None:
        dates.append(f"截止 {due.isoformat()}")
    if proposal.extension_days:
        dates.append(f"已延期 {proposal.extension_days} 天")
    if dates:
        lines.append(esc(" · ".join(dates)))
    liaison = "" if proposal.handlers else "（联络员）"  # no handler of its own: the lead unit's liaison
    for contact in handlers:
        phones = "、".join(contact.phones) if personal else ""
        lines.append(f"承办人：{esc(contact.name)}{liaison}" + (f" {esc(phones)}" if phones else ""))
    for reply in replies:
        facts = [reply.classification and f"{reply.classification}类", reply.reply_date,
                 reply.doc_number, reply.signed_by or reply.issuer]
        lines.append("答复：" + esc(" · ".join(f for f in facts if f)))
        if reply.handlers and not handlers:
            lines.append(f"承办人：{esc('、'.join(reply.handlers))}")
        if reply.phones and personal:
            lines.append(f"联系电话：{esc('、'.join(reply.phones))}")
        for check in reply.checks:
            lines.append(f"⚑ 核对：{esc(check)}")
    if proposal.feedback:
        when = f"（{proposal.feedback_date}）" if proposal.feedback_date else ""
        lines.append(f"反馈：{esc(proposal.feedback)}{esc(when)}")
    if events:
        recent = [f"{short_day(e.business_date, today)} {event_text(e, proposal)}" for e in reversed(events[-3:])]
        lines.append("最近：" + esc(" · ".join(recent)))
    for warning in proposal.warnings:
        lines.append(f"⚠ {esc(warning)}")
    return "\n".join(lines)


def short_day(day: str | None, today: date) -> str:
    if not day:
        return "日期不详"
    return day[5:10] if day[:4] == str(today.year) else day[:10]


def event_text(event: Event, proposal: Proposal) -> str:
    """One step in words: 答复 B类 晋市教函〔2025〕36号 / 反馈 不满意 / 协办意见 晋城市民政局."""
    label = EVENT_LABELS.get(event.kind, event.kind)
    parts = [label]
    if event.kind == EV_ASSIGNED:
        if event.changes.get("due_date"):
            parts.append(f"办理期限 {event.changes['due_date']}")
        if event.quiet:
            parts.append("（作为历史导入）")
    elif event.kind in (EV_REPLY, EV_SUPPLEMENTARY):
        parts += [f"{event.classification}类" if event.classification else "", event.doc_number or ""]
        other = (event.unit_id != proposal.lead_unit_id if event.unit_id is not None and proposal.lead_unit_id
                 else event.unit != proposal.lead_unit)
        if event.unit and other:  # a reply from another unit (分办) names it
            parts.append(event.unit)
    elif event.kind == EV_CO_UNIT_OPINION:
        parts.append(event.unit)
    elif event.kind == EV_FEEDBACK:
        parts.append(event.feedback or "")
    elif event.kind == EV_EXTENSION:
        parts.append(f"{event.days} 天" + (f"（{event.reason}）" if event.reason else ""))
    elif event.kind in (EV_DELETE, EV_RESTORE):
        why = event.reason or ("撤销导入" if event.changes.get("change") else "")
        why = why or ("撤销" + ("恢复" if event.kind == EV_DELETE else "删除") if "undo_of" in event.changes else "")
        parts = [label + (f"（{why}）" if why else "")]
    elif event.kind == EV_EDIT:
        names = {"classification": "类别", "business_date": "日期", "doc_number": "文号",
                 "assigned_date": "交办日期", "due_date": "办理期限", "complex": "复杂件",
                 "title": "案由", "proposer": proposer_label(proposal.body), "lead_unit": "主办单位", "co_units": "协办单位",
                 "handlers": "承办人"}
        after = event.changes.get("after")
        if event.changes.get("void"):
            return "撤销导入：该条记录作废"
        if after is not None:  # /edit and /undo keep both values
            before = event.changes.get("before", {})
            changed = "、".join(f"{names.get(k, k)} {_edit_value(before.get(k))} → {_edit_value(v)}"
                               for k, v in after.items())
            parts = ["撤销修改" if "undo_of" in event.changes else "修改", changed]
        else:
            changed = "、".join(f"{names.get(k, k)} {v}" for k, v in event.changes.items())
            parts = ["更正答复" if event.target_id is not None else "修改", changed]
    text = " ".join(p for p in parts if p)
    if event.changes.get("voided"):
        return text + "（已撤销）"
    return text + "（补录，未改变状态）" if event.late else text


def timeline_text(proposal: Proposal, events: list[Event]) -> str:
    """Every step, oldest first, with who recorded it and from what."""
    lines = [f"<b>{esc(session_line(proposal))} 办理记录</b>（共 {len(events)} 条）"]
    for event in events:
        who = f"操作人 {event.by}" if event.by else "导入"
        source = "聊天" if event.source == "chat" else event.source
        tail = " · ".join(x for x in (who, source) if x)
        lines.append(f"{esc(event.business_date or '日期不详')} {esc(event_text(event, proposal))}"
                     + (f" · {esc(tail)}" if tail else ""))
    if not events:
        lines.append("暂无记录。")
    return "\n".join(lines)


_TOKEN = re.compile(r"<[^>]*>|&[#\w]+;|[^<&]")
_TAG = re.compile(r"<(/?)([a-zA-Z-]+)")


def split_message(text: str, limit: int = TELEGRAM_LIMIT) -> list[str]:
    """Split HTML text into messages of at most ``limit`` characters, on line boundaries.

    A single line longer than the limit is cut between tokens; tags open at the cut are
    closed at its end and reopened in the next message, so every part is valid HTML.
    """
    chunks: list[str] = []
    current = ""
    for line in text.split("\n"):
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) <= limit:
            current = candidate
            continue
        if current:
            chunks.append(current)
        if len(line) <= limit:
            current = line
        else:
            parts = _split_long_line(line, limit)
            chunks.extend(parts[:-1])
            current = parts[-1]
    if current or not chunks:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk.strip()] or [text[:limit]]


def _split_long_line(line: str, limit: int) -> list[str]:
    parts: list[str] = []
    open_tags: list[tuple[str, str]] = []  # (name, opening tag as written)
    current = ""
    # Leave room to close the tags still open at a cut.
    budget = limit - 64
    for token in _TOKEN.findall(line):
        if len(current) + len(token) > budget:
            parts.append(current + "".join(f"</{name}>" for name, _ in reversed(open_tags)))
            current = "".join(tag for _, tag in open_tags)
        current += token
        match = _TAG.match(token)
        if match:
            closing, name = match.groups()
            if closing:
                for i in range(len(open_tags) - 1, -1, -1):
                    if open_tags[i][0] == name:
                        del open_tags[i]
                        break
            else:
                open_tags.append((name, token))
    parts.append(current)
    return parts


def proposal_line(proposal: Proposal, due: date | None, today: date) -> str:
    """One line per proposal in a list: number, short title, and what to act on."""
    title = short_title(proposal.title, 30)
    if proposal.is_open and proposal.state != FOLLOW_UP and due is not None:
        state = days_left_text(due, today)
    else:
        state = STATE_LABELS.get(proposal.state, proposal.state)
    return f"{esc(proposal.number)} {esc(title)}（{esc(state)}）"


def contact_card(contact: Contact, handled: list[tuple[Proposal, date | None]], today: date,
                 personal: bool = True) -> str:
    """Name and unit, phones written plainly (one tap to call; with ``personal=False`` only
    said to be shown in a private chat), then the items they handle."""
    lines = [f"<b>{esc(contact.name)}</b>" + (f" · {esc(contact.unit)}" if contact.unit else "")]
    if not contact.phones:
        lines.append("电话：（未登记）")
    elif personal:
        lines.append("电话：" + esc("、".join(contact.phones)))
    else:
        lines.append(PRIVATE_ONLY)
    for proposal, due in handled:
        label = "在办" if proposal.is_open else "经办"
        lines.append(f"{label}：{proposal_line(proposal, due, today)}")
    return "\n".join(lines)


def unit_listing(
    unit: str, items: list[tuple[Proposal, date | None]], total: int, today: date, page: int, pages: int
) -> str:
    """One page of a unit's open items, soonest due first."""
    if not total:
        return f"<b>{esc(unit)}</b>\n目前没有在办的提案或建议。"
    lines = [f"<b>{esc(unit)}</b> · 在办 {total} 件"]
    for proposal, due in items:
        role = "主办" if proposal.lead_unit == unit else "协办"
        lines.append(f"{role} {proposal_line(proposal, due, today)}")
    if pages > 1:
        lines.append(f"第 {page + 1}/{pages} 页")
    return "\n".join(lines)


def _edit_value(value) -> str:
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(map(str, value)) or "（无）"
    return str(value) if value not in (None, "") else "（无）"
