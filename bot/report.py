"""Chinese text (Telegram HTML) for the office's view: due lists and figures. Used in chat, by the
CLI (through ``html_to_text``) and for the export's summary sheet. Pure core: no telegram."""

from __future__ import annotations

from bot.render import days_left_text, esc, number_label, short_title, state_tag
from bot.stats import OPEN, OVERDUE, DueItem, DueList, Figures, session_text

LIST_UNITS, LIST_ITEMS = 10, 5   # a list answer stays one message


def item_line(item: DueItem, today) -> str:
    """· 第125号 关于…的建议（跟进） · 截止 2026-12-18 · 还剩 4 天"""
    p = item.proposal
    line = f"· {esc(number_label(p))} {esc(short_title(p.title))}{state_tag(p)}"
    if item.due is not None:
        return line + f" · 截止 {item.due.isoformat()} · {days_left_text(item.due, today)}"
    return line + " · 截止日期未知"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{value:g}%"


def scope_text(listing_or_figures) -> str:
    parts = []
    if listing_or_figures.session is not None:
        parts.append(session_text(listing_or_figures.session))
    if listing_or_figures.unit:
        parts.append(listing_or_figures.unit)
    return " · ".join(parts)


def listing_text(listing: DueList) -> str:
    today = listing.as_of
    scope = scope_text(listing)
    scope = f" · {esc(scope)}" if scope else ""
    n = len(listing.items)
    if listing.kind == OPEN:
        if not n:
            return f"<b>{esc(listing.unit)}</b>：目前没有在办的提案或建议。"
        head = (f"<b>{esc(listing.unit)}</b>：在办 {n} 件，其中已逾期 {listing.overdue_count} 件、"
                f"7 天内到期 {listing.due_within(7)} 件。")
        return "\n".join([head] + [item_line(i, today) for i in listing.items[:LIST_UNITS]]
                         + ([f"……另有 {n - LIST_UNITS} 件（/dept {esc(listing.unit)} 查看全部）"] if n > LIST_UNITS else []))
    if listing.kind == OVERDUE:
        if not n:
            return f"截至 {today.isoformat()}，没有逾期事项{scope}。"
        head = f"<b>逾期事项：{n} 件</b>（截至 {today.isoformat()}）{scope}"
    else:
        window = (f"{listing.start.isoformat()}" if listing.start == listing.end
                  else f"{listing.start.isoformat()} 至 {listing.end.isoformat()}")
        if not n:
            return f"{window} 没有到期的在办事项{scope}。"
        head = f"<b>{window} 到期：{n} 件</b>{scope}"
    lines = [head]
    groups = listing.by_unit()
    if listing.kind == OVERDUE and listing.unit is None and len(groups) > 1:
        lines.append("按主办单位：" + "、".join(f"{esc(u)} {len(items)} 件" for u, items in groups[:LIST_UNITS]))
    for unit, items in groups[:LIST_UNITS]:
        lines.append(f"\n<b>{esc(unit)}</b>（{len(items)} 件）")
        lines += [item_line(i, today) for i in items[:LIST_ITEMS]]
        if len(items) > LIST_ITEMS:
            lines.append(f"……另有 {len(items) - LIST_ITEMS} 件（/dept {esc(unit)}）")
    if len(groups) > LIST_UNITS:
        lines.append(f"\n……另有 {len(groups) - LIST_UNITS} 个单位")
    return "\n".join(lines)


def figures_text(f: Figures) -> str:
    """The summary staff report upward."""
    scope = scope_text(f) or "全部"
    if not f.items:
        return f"{esc(scope)}：没有符合条件的提案或建议（截至 {f.as_of.isoformat()}）。"
    lines = [
        f"<b>办理统计 · {esc(scope)}</b>（截至 {f.as_of.isoformat()}）",
        f"交办 {f.items} 件 · 已答复 {f.replied} 件 · 办复率 {percent(f.reply_rate)}",
        f"按期答复 {f.on_time} 件 · 按期办复率 {percent(f.on_time_rate)}",
    ]
    if f.classes:
        shares = "、".join(f"{esc(c)}类 {n} 件（{percent(Figures.rate(n, f.replied))}）" for c, n in f.classes.items())
        lines.append(f"答复类别：{shares}")
    lines.append(f"收到反馈 {f.feedback} 件 · 满意和基本满意 {f.satisfied} 件 · 满意率 {percent(f.satisfaction_rate)}")
    lines.append(f"在办 {f.open} 件 · 已逾期 {f.overdue} 件 · 协办意见未回 {f.co_unit_pending} 件")
    if f.overdue_by_unit and f.unit is None:
        lines.append("逾期（按主办单位）：" + "、".join(f"{esc(u)} {n} 件" for u, n in f.overdue_by_unit[:LIST_UNITS]))
    return "\n".join(lines)


