"""The Excel file staff bring to a meeting: one row per item, and a summary sheet of figures.

``export_workbook(svc, session=None, public=False)`` returns .xlsx bytes (openpyxl). The items
sheet comes first and its headers are ones the importer reads (类别, 地区, 届次, 案号, 案由, 提案人,
主办单位, 协办单位, 承办人, 联系电话, 交办日期, 办理期限, 复杂件), so importing our own export changes
nothing; the columns after those (current due date, state, reply, feedback, days overdue) are
for reading and are not imported. 办理期限 is the explicit due date as stored (blank when it is
computed from the rules) as the lists said it (the history's assigned event and edits, not a
re-handling round's date); 当前截止日 is the date reminders count down to.

The public variant (``public=True``) leaves out every handler name and phone number: no 承办人
or 联系电话 column, no contacts sheet. Proposers' contact details are never exported.

Pure core: no telegram.
"""

from __future__ import annotations

import io
import unicodedata
from datetime import date

from bot.importer import list_value
from bot.model import STATE_LABELS, Contact
from bot.numbers import Session
from bot.report import percent
from bot.stats import Figures, facts_of, figures, in_session, session_text

ITEMS_SHEET, SUMMARY_SHEET, CONTACTS_SHEET = "提案办理情况", "统计", "联系人"
OVERDUE_COLOR, HEADER_COLOR = "FFF4CCCC", "FFDDEBF7"
MAX_WIDTH = 60

# (header, private only) in sheet order; the importable ones first (the importer reads the
# first column it finds for a field).
COLUMNS = [
    ("类别", False), ("地区", False), ("届次", False), ("案号", False), ("案由", False),
    ("提案人", False), ("主办单位", False), ("协办单位", False), ("承办人", True), ("联系电话", True),
    ("交办日期", False), ("办理期限", False), ("复杂件", False),
    ("当前截止日", False), ("状态", False), ("答复类别", False), ("文号", False), ("答复日期", False),
    ("反馈意见", False), ("逾期天数", False),
]


def display_width(text: str) -> int:
    """Columns a text takes in a spreadsheet: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def _styles():
    """(bold, header fill, overdue fill). openpyxl is imported when a workbook is made, not at
    start-up (11 MB, and numpy with it)."""
    from openpyxl.styles import Font, PatternFill

    return (Font(bold=True), PatternFill("solid", start_color=HEADER_COLOR, end_color=HEADER_COLOR),
            PatternFill("solid", start_color=OVERDUE_COLOR, end_color=OVERDUE_COLOR))


def _fit_columns(ws, minimum: int = 6) -> None:
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in ws.iter_rows():
        for cell in row:
            if cell.value is not None:
                widths[cell.column] = max(widths.get(cell.column, 0), display_width(str(cell.value)))
    for col, width in widths.items():
        ws.column_dimensions[get_column_letter(col)].width = min(MAX_WIDTH, max(minimum, width + 2))


def _header(ws, headers: list[str]) -> None:
    from openpyxl.styles import Alignment

    bold, header_fill, _ = _styles()
    ws.append(headers)
    for cell in ws[1]:
        cell.font = bold
        cell.fill = header_fill
        cell.alignment = Alignment(vertical="center")
    ws.freeze_panes = "A2"


def _session_of(p) -> str:
    if p.term is None or p.meeting is None:
        return ""
    return session_text(Session(p.term, p.meeting))


def _phones(people: list[Contact]) -> str:
    """The handlers' phones when they share them (the importer gives a row's phones to every
    handler on it; listing different people's phones together would cross them over)."""
    sets = {tuple(c.phones) for c in people}
    return "、".join(sets.pop()) if len(sets) == 1 else ""


def export_workbook(svc, session: Session | None = None, public: bool = False) -> bytes:
    today = svc.today()
    facts = [f for f in facts_of(svc) if in_session(f.proposal, session)]
    facts.sort(key=lambda f: (f.proposal.body, -(f.proposal.term or 0), -(f.proposal.meeting or 0),
                              f.proposal.region, len(f.proposal.number), f.proposal.number))
    contacts = {c.id: c for c in svc.repo.contacts()}
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    _, _, overdue_fill = _styles()
    wb = Workbook()
    ws = wb.active
    ws.title = ITEMS_SHEET
    columns = [name for name, private in COLUMNS if not (public and private)]
    _header(ws, columns)
    for f in facts:
        p = f.proposal
        replies = svc.repo.replies_for(p.id)
        events = svc.repo.events_for(p.id, keep=False)  # read, not kept (events stay in the file)
        last = replies[-1] if replies else None
        people = [contacts[c] for c in p.handlers if c in contacts]
        overdue = (today - f.due).days if f.is_open and f.due is not None and f.due < today else None
        values = {
            "类别": p.body, "地区": p.region, "届次": _session_of(p), "案号": p.number, "案由": p.title,
            "提案人": p.proposer, "主办单位": p.lead_unit, "协办单位": "、".join(p.co_units),
            "承办人": "、".join(c.name for c in people), "联系电话": _phones(people),
            "交办日期": list_value(events, "assigned_date") or p.assigned_date,
            "办理期限": list_value(events, "due_date"), "复杂件": "是" if p.complex else "否",
            "当前截止日": f.due.isoformat() if f.due else None,
            "状态": STATE_LABELS.get(p.state, p.state),
            "答复类别": last.classification if last else None, "文号": last.doc_number if last else None,
            "答复日期": last.reply_date if last else None, "反馈意见": p.feedback, "逾期天数": overdue,
        }
        ws.append([values[name] or None if name != "逾期天数" else values[name] for name in columns])
        if overdue:
            for cell in ws[ws.max_row]:
                cell.fill = overdue_fill
    ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{max(1, ws.max_row)}"
    _fit_columns(ws)
    _summary_sheet(wb.create_sheet(SUMMARY_SHEET), facts, today, session)
    if not public:
        _contacts_sheet(wb.create_sheet(CONTACTS_SHEET), facts, contacts)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


SUMMARY_HEADERS = ["范围", "交办", "已答复", "办复率", "按期答复", "按期办复率", "收到反馈", "满意和基本满意",
                   "满意率", "在办", "已逾期", "协办意见未回", "答复类别"]


def _summary_row(name: str, f: Figures) -> list:
    classes = "、".join(f"{c}类 {n}" for c, n in f.classes.items())
    return [name, f.items, f.replied, percent(f.reply_rate), f.on_time, percent(f.on_time_rate), f.feedback,
            f.satisfied, percent(f.satisfaction_rate), f.open, f.overdue, f.co_unit_pending, classes]


def _summary_sheet(ws, facts, today: date, session: Session | None) -> None:
    """The figures: everything exported, each session, then each lead unit."""
    ws.append([f"统计截至 {today.isoformat()}（口径见 README：办复率 = 已答复 / 交办；按期办复率 = 按期答复 / 交办；"
               "满意率 = 满意和基本满意 / 收到反馈）"])
    ws.append([])
    ws.append(SUMMARY_HEADERS)
    bold, header_fill, _ = _styles()
    for cell in ws[3]:
        cell.font = bold
        cell.fill = header_fill
    ws.append(_summary_row("合计", figures(facts, today)))
    sessions = sorted({(f.proposal.body, f.proposal.term, f.proposal.meeting) for f in facts
                       if f.proposal.term is not None}, key=lambda s: (s[0], -s[1], -s[2]))
    if session is None:
        for body, term, meeting in sessions:
            scope = Session(term, meeting, body)
            ws.append(_summary_row(session_text(scope), figures(facts, today, scope)))
    ws.append([])
    ws.append(["主办单位"] + SUMMARY_HEADERS[1:])
    for cell in ws[ws.max_row]:
        cell.font = bold
        cell.fill = header_fill
    for unit in sorted({f.proposal.lead_unit for f in facts if f.proposal.lead_unit}):
        ws.append(_summary_row(unit, figures(facts, today, unit=unit)))
    _fit_columns(ws)
    ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 28)


def _contacts_sheet(ws, facts, contacts: dict[int, Contact]) -> None:
    """Every handler of an exported item with all their phones (internal variant only)."""
    _header(ws, ["单位", "姓名", "联系电话"])
    seen = sorted({cid for f in facts for cid in f.proposal.handlers if cid in contacts},
                  key=lambda cid: (contacts[cid].unit, contacts[cid].name))
    for cid in seen:
        c = contacts[cid]
        ws.append([c.unit or None, c.name, "、".join(c.phones) or None])
    _fit_columns(ws)
