"""Read assignment lists (交办清单) and contact lists from .xlsx, .csv and .xls.

``read_table(data, filename)`` finds the header row by its names (it may sit under a title row),
maps columns by synonyms to the glossary's names, and returns one dict per good row. A bad row is
skipped and reported as ``(row_number, "第N行：原因")`` in ``errors``; the good rows still come
back. ``error`` is set only when the whole file cannot be used. Never raises.

Assignment rows carry: number, title, proposer, lead_unit, co_units, assigned_date, due_date,
handlers, phones, body, term, meeting, session, region, complex, classification, row.
Contact rows carry: name, unit, phones, telegram, position, row.

Pure core module: no telegram, no tinydb.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import unicodedata
from dataclasses import dataclass, field

from .documents import sniff_kind, xls_rows
from .grids import MAX_ROWS, csv_rows, xlsx_sheets
from .numbers import body_of, number_key, parse_session
from .parsing import extract_phones, normalize_text, parse_date, split_names

HEADER_SCAN_ROWS = 30


@dataclass
class TableResult:
    kind: str | None  # "assignment", "contacts", or None when unusable
    rows: list[dict] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None
    header_row: int | None = None
    sheet: str | None = None
    title: str | None = None  # the first text above the header (a list's title row)
    passed: dict[str, list[int]] = field(default_factory=dict)  # 空行 / 合计行 / 重复行 … → row numbers
    unused_columns: list[str] = field(default_factory=list)  # headers no field was read from

    def pass_row(self, reason: str, row_number: int) -> None:
        self.passed.setdefault(reason, []).append(row_number)


# Header synonyms, checked in this order: the first field whose pattern matches a header wins.
_HEADER_FIELDS: list[tuple[str, re.Pattern]] = [
    # The proposer's own phone or address is never imported: it would be shown as a handler's.
    ("proposer_contact", re.compile(r"(提案人|提案者|领衔|提出人|建议人|代表|委员).{0,6}(电话|手机|联系方式|地址|邮箱|邮编)")),
    ("co_units", re.compile(r"协办|会办|配合单位|配合部门")),
    ("lead_unit", re.compile(r"主办|承办单位|承办部门|责任单位|办理单位|牵头单位")),
    ("phones", re.compile(r"电话|手机|联系方式")),
    ("assigned_date", re.compile(r"^交办(?:日期|时间|日)?$|交办日期|交办时间")),
    ("due_date", re.compile(r"期限|截止|时限|到期|办结时间|应办结")),
    ("reply_date", re.compile(r"答复日期|答复时间|办结日期|复函日期")),
    ("classification", re.compile(r"办理类别|答复类别|结果类别|办理结果类别")),
    ("number", re.compile(r"案号|提案号|建议号|议案号|提案编号|建议编号|^编号$|^(?:提案|建议|议案)?(?:编号|号)$")),
    ("serial", re.compile(r"^序号$|^序$|^No\.?$", re.IGNORECASE)),
    ("handlers", re.compile(r"承办人|联系人|经办人|办理人")),
    ("proposer", re.compile(r"提案人|领衔|提出人|建议人|提案者|代表姓名|委员姓名|^代表$|^委员$|提案单位")),
    ("telegram", re.compile(r"telegram|^tg$|用户名|电报|飞机", re.IGNORECASE)),
    ("unit", re.compile(r"单位|部门|科室|处室")),
    ("title", re.compile(r"案由|标题|题目|名称|内容摘要")),
    ("session", re.compile(r"届次|会议|届别|会次")),
    ("category", re.compile(r"类别|类型|^类$|性质")),
    ("region", re.compile(r"地区|区域|县区|区县|县\(市|行政区|^县$|^市$")),
    ("complex", re.compile(r"复杂|重点|难度|督办")),
    ("name", re.compile(r"^姓名$|名字|^姓名")),
    ("position", re.compile(r"职务|职位|岗位")),
]
_CLASS_VALUE = re.compile(r"^[(（]?([A-Da-d甲乙丙丁])\s*类?[)）]?$")
_SPLIT_UNITS = re.compile(r"[、，,;；\s]+")
_SPLIT_LEAD = re.compile(r"[、，,;；\n\r]+")  # not spaces: 市 教育局 is one unit with a stray space
_TRUE = {"是", "√", "✓", "y", "yes", "true", "1", "重点", "复杂", "是的", "有", "★", "√是"}
_FALSE = {"否", "×", "n", "no", "false", "0", "一般", "简单", "无", "不是"}


def _norm_header(value) -> str:
    if value is None:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = re.sub(r"[\s*＊:：]|[(（]必填[)）]|[(（]选填[)）]", "", text)
    return text.strip()


def _map_header(cells: list) -> dict[str, list[int]]:
    """Field → the columns whose header names it (several only matter for phones)."""
    mapping: dict[str, list[int]] = {}
    for col, cell in enumerate(cells):
        header = _norm_header(cell)
        if not header or len(header) > 20:
            continue
        for name, pattern in _HEADER_FIELDS:
            if pattern.search(header):
                mapping.setdefault(name, []).append(col)
                break
    return mapping


def _cell_text(value) -> str:
    """A cell as text: 125.0 → 125, datetimes as ISO, None → ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return re.sub(r"[ \t\u3000\u00a0]+", " ", normalize_text(str(value))).strip()


_EXCEL_EPOCH = dt.datetime(1899, 12, 30)


def _date_value(value) -> tuple[str | None, bool]:
    """(ISO date, ok). An empty cell is (None, True); an unreadable one (None, False)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, True
    if isinstance(value, dt.datetime):
        return value.date().isoformat(), True
    if isinstance(value, dt.date):
        return value.isoformat(), True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if 19_000_000 < value < 21_000_000 and float(value).is_integer():
            iso = parse_date(str(int(value)))  # 20250301 typed as a number
            return iso, iso is not None
        if 30_000 <= value <= 80_000:  # Excel serial day numbers, 1982–2119
            return (_EXCEL_EPOCH + dt.timedelta(days=int(value))).date().isoformat(), True
        return None, False
    text = str(value).strip()
    if re.fullmatch(r"\d{5}(?:\.0+)?", text):
        return _date_value(float(text))  # a serial day number exported as text
    iso = parse_date(text)
    return iso, iso is not None


def _one_line(text: str) -> str:
    """A title typed over several lines in its cell, as one line (a space only between Latin
    letters or digits: Chinese runs on)."""
    out = ""
    for part in filter(None, (line.strip() for line in text.splitlines())):
        latin = out and out[-1].isascii() and out[-1].isalnum() and part[0].isascii() and part[0].isalnum()
        out += (" " if latin else "") + part
    return out


_MONTH_DAY = re.compile(r"^(\d{1,2})\s*(?:月\s*(\d{1,2})\s*[日号]?|[-/.]\s*(\d{1,2}))$")
_TITLE_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")


def _month_day(text: str) -> tuple[int, int] | None:
    """3月15日 / 3-15 / 3/15 (a date without its year) as (month, day)."""
    match = _MONTH_DAY.match(text)
    return (int(match.group(1)), int(match.group(2) or match.group(3))) if match else None


def _dated(year: int, month_day: tuple[int, int]) -> str | None:
    try:
        return dt.date(year, *month_day).isoformat()
    except ValueError:
        return None


def _year_note(notes: dict[tuple[str, str], list[int]], result: "TableResult") -> None:
    for (label, how), rows in notes.items():
        shown = "、".join(map(str, rows[:12])) + ("等" if len(rows) > 12 else "")
        result.warnings.append(f"第{shown}行：{label}没有写年份，{how}，请核对")


def fill_years(table: "TableResult", today: dt.date) -> None:
    """Dates a list wrote without a year and whose title names none (3月15日): the latest such
    date not after the import date, with a warning. Done once (the rows keep the year)."""
    notes: dict[tuple[str, str], list[int]] = {}
    for row in table.rows:
        for name, (label, month_day) in row.pop("undated", {}).items():
            this_year = _dated(today.year, month_day)
            year = today.year if this_year and this_year <= today.isoformat() else today.year - 1
            row[name] = _dated(year, month_day)
            notes.setdefault((label, f"已按导入日期取 {year} 年"), []).append(row["row"])
    _year_note(notes, table)


_NUMBER_CELL = re.compile(r"^第?[(（\[【]?(.+?)[)）\]】]?号?$")


def number_value(text: str) -> str:
    """A number cell as the number itself: 第4号, 4号 and （4） all give 4 (TA0010 and 6.11 stay)."""
    text = re.sub(r"\s+", "", text)
    match = _NUMBER_CELL.match(text)
    return match.group(1) if match and match.group(1) else text


def _bool_value(value) -> bool | None:
    text = _cell_text(value).lower()
    if not text:
        return False
    if text in _TRUE or text.startswith("是"):
        return True
    if text in _FALSE or text.startswith("否"):
        return False
    return None


def _body_value(text: str) -> str | None:
    if re.search(r"政协|提案|委员", text):
        return "政协"
    if re.search(r"人大|建议|代表|议案", text):
        return "人大"
    return None


def _telegram_value(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    text = re.sub(r"^(?:https?://)?(?:www\.)?(?:t\.me|telegram\.me)/", "", text, flags=re.IGNORECASE)
    text = text.lstrip("@").strip()
    if re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", text) or re.fullmatch(r"\d{5,15}", text):
        return text
    return None


def _find_header(rows: list[list]) -> tuple[int, dict[str, list[int]]] | None:
    best: tuple[int, dict[str, list[int]]] | None = None
    best_score = 1
    for index, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        mapping = _map_header(row)
        score = len(mapping)
        if score > best_score:
            best, best_score = (index, mapping), score
    return best


# ----------------------------------------------------------------------------- entry point

def read_table(data: bytes, filename: str) -> TableResult:
    """Read an assignment list or a contact list. Never raises."""
    try:
        return _read_table(data or b"", filename or "")
    except MemoryError:  # the upload worker's memory limit: refused as such
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence
        return TableResult(None, error=f"读取表格时出错（{type(exc).__name__}），请另存为 .xlsx 或 .csv 后再试")


def _read_table(data: bytes, filename: str) -> TableResult:
    if not data.strip():
        return TableResult(None, error="文件是空的")
    ext = os.path.splitext(filename.lower())[1]
    kind = sniff_kind(data)
    warnings: list[str] = []
    if kind == "ole" or (kind is None and ext in (".xls", ".et") and data[:4] == b"\xd0\xcf\x11\xe0"):
        rows, error = xls_rows(data)
        if rows is None:
            return TableResult(None, error=error)
        sheets = [("Sheet1", rows)]
    elif kind == "xlsx" or (kind == "zip" and ext in (".xlsx", ".xlsm")):
        sheets, error = xlsx_sheets(data)
        if error:
            return TableResult(None, error=error)
    elif kind in ("pdf", "docx", "rtf"):
        return TableResult(None, error="这是文档，不是表格：交办清单请上传 .xlsx、.xls 或 .csv 文件")
    elif kind == "zip":
        return TableResult(None, error="无法读取：这是一个压缩包，请解压后上传其中的表格")
    else:
        if ext and ext not in (".csv", ".txt", ".tsv", ".xls", ".xlsx", ".et"):
            warnings.append(f"文件扩展名是 {ext}，已尝试按 CSV 读取")
        rows, csv_warnings, error = csv_rows(data)
        if rows is None:
            return TableResult(None, error=error, warnings=csv_warnings)
        warnings.extend(csv_warnings)
        sheets = [("CSV", rows)]

    first_problem: TableResult | None = None
    for sheet_name, rows in sheets:
        found = _find_header(rows)
        if found is None:
            continue
        header_index, mapping = found
        result = _read_rows(rows, header_index, mapping)
        if result.kind is None:
            first_problem = first_problem or result  # a header without the needed columns
            continue
        result.sheet = sheet_name
        result.title = next((t for row in rows[:header_index] for t in map(_cell_text, row) if t), None)
        result.warnings = warnings + result.warnings
        others = [name for name, r in sheets if name != sheet_name and any(any(c not in (None, "") for c in row) for row in r)]
        if others:
            result.warnings.append(f"只读取了工作表“{sheet_name}”，未读取：{'、'.join(others)}")
        if len(rows) > MAX_ROWS:
            result.warnings.append(f"表格超过 {MAX_ROWS} 行，只读取了前 {MAX_ROWS} 行")
        return result
    if first_problem is not None:
        first_problem.warnings = warnings + first_problem.warnings
        return first_problem
    return TableResult(
        None, warnings=warnings,
        error="没有找到表头：交办清单需要“提案号/编号”和“案由/标题”等列，通讯录需要“姓名”和“电话/单位”等列",
    )


def _read_rows(rows: list[list], header_index: int, mapping: dict[str, list[int]]) -> TableResult:
    has_number = "number" in mapping or "serial" in mapping
    if "title" in mapping and has_number:
        return _assignment_rows(rows, header_index, mapping)
    if "name" not in mapping and "handlers" in mapping:
        mapping = dict(mapping)
        mapping["name"] = mapping.pop("handlers")
    if "name" in mapping and ({"phones", "unit", "telegram"} & set(mapping)) and "title" not in mapping:
        return _contact_rows(rows, header_index, mapping)
    missing = []
    if "title" in mapping and not has_number:
        missing.append("提案号/编号")
    if has_number and "title" not in mapping:
        missing.append("案由/标题")
    need = "、".join(missing) if missing else "提案号和案由，或姓名和电话"
    return TableResult(None, error=f"表头缺少必要的列：{need}", header_row=header_index + 1)


def _get(row: list, mapping: dict[str, list[int]], name: str):
    cols = mapping.get(name)
    if not cols or cols[0] >= len(row):
        return None
    return row[cols[0]]


def _phones_text(row: list, mapping: dict[str, list[int]]) -> str:
    """All phone columns of a row (办公电话 and 手机 are often separate)."""
    cells = [_cell_text(row[col]) for col in mapping.get("phones", []) if col < len(row)]
    return " ".join(cell for cell in cells if cell)


def _title_session(rows: list[list], header_index: int):
    """The session named in title rows above the header (2025年市政协八届三次会议提案交办清单)."""
    for row in rows[:header_index]:
        for value in row:
            text = _cell_text(value)
            if text:
                session = parse_session(text)
                if session is not None:
                    return session, text
    return None, None


def _title_body(rows: list[list], header_index: int, session) -> str | None:
    """政协 or 人大 as the title rows above the header name it (晋城市政协提案交办清单): the body
    of the title's session when it names one, else the first title text that names one."""
    if session is not None and session.body:
        return session.body
    texts = (_cell_text(value) for row in rows[:header_index] for value in row)
    return next((body for body in map(body_of, filter(None, texts)) if body), None)


def _data_rows(rows: list[list], header_index: int, result: TableResult):
    """(1-based row number, row, its non-empty cell texts) for each row under the header,
    passing over empty rows and the header repeated (page breaks in exported lists); both are
    noted in ``result.passed`` (empty rows only between data, not the sheet's trailing ones)."""
    header_values = {_norm_header(v) for v in rows[header_index] if v not in (None, "")}
    result.unused_columns = _unused_columns(rows[header_index])
    texts = [[t for t in (_cell_text(v) for v in row) if t] for row in rows]
    last = max((i for i, filled in enumerate(texts) if filled), default=-1)
    for index in range(header_index + 1, last + 1):
        row, filled = rows[index], texts[index]
        if not filled:
            result.pass_row("空行", index + 1)
            continue
        if {_norm_header(v) for v in row if v not in (None, "")} <= header_values:
            result.pass_row("重复的表头", index + 1)
            continue
        yield index + 1, row, filled


def _unused_columns(header: list) -> list[str]:
    mapping = _map_header(header)
    # Only the first column of a field is read (phones: all of them).
    used = {cols[0] for name, cols in mapping.items() if name != "phones"} | set(mapping.get("phones", []))
    return [_cell_text(v) for col, v in enumerate(header) if col not in used and _cell_text(v)]


def _assignment_rows(rows: list[list], header_index: int, mapping: dict[str, list[int]]) -> TableResult:
    result = TableResult("assignment", header_row=header_index + 1)
    default_session, default_text = _title_session(rows, header_index)
    title_body = _title_body(rows, header_index, default_session)
    years = (_TITLE_YEAR.search(_cell_text(v)) for row in rows[:header_index] for v in row)
    title_year = next((int(m.group(1)) for m in years if m), None)
    year_notes: dict[tuple[str, str], list[int]] = {}
    if default_session is not None and "session" not in mapping:
        result.warnings.append(f"届次取自表格标题：{default_text}")
    number_field = "number"
    if "number" not in mapping:
        number_field = "serial"
        result.warnings.append("表中没有“提案号/编号”列，已把“序号”当作案号，请核对")
    seen: dict[tuple, int] = {}
    for row_number, row, filled in _data_rows(rows, header_index, result):
        number = _cell_text(_get(row, mapping, number_field))
        title = _one_line(_cell_text(_get(row, mapping, "title")))
        if re.match(r"^(?:合计|总计|小计)", filled[0]):
            result.pass_row("合计行", row_number)
            continue
        if len(filled) == 1 and not number and not title:
            result.pass_row("说明行", row_number)  # a section heading or a note (一、重点提案 / 注：…)
            continue
        problems = []
        if not number:
            problems.append("缺少案号")
        if not title:
            problems.append("缺少案由")
        out: dict = {
            "number": number_value(number) or None, "title": title or None,
            "proposer": _cell_text(_get(row, mapping, "proposer")) or None,
            "lead_unit": None,
            "co_units": [u for u in _SPLIT_UNITS.split(_cell_text(_get(row, mapping, "co_units"))) if u],
            "assigned_date": None, "due_date": None, "reply_date": None,
            "handlers": split_names(_cell_text(_get(row, mapping, "handlers"))),
            "phones": extract_phones(_phones_text(row, mapping)),
            "body": None, "term": None, "meeting": None, "session": None,
            "region": _cell_text(_get(row, mapping, "region")) or None,
            "complex": False, "classification": None, "row": row_number,
        }
        # One lead unit: more in the cell (one per line, or 、) are taken as co-units, and said.
        leads = [u for u in map(_cell_text, _SPLIT_LEAD.split(str(_get(row, mapping, "lead_unit") or ""))) if u]
        if leads:
            out["lead_unit"] = leads[0]
            out["co_units"] = leads[1:] + [u for u in out["co_units"] if u not in leads]
        if len(leads) > 1:
            result.warnings.append(f"第{row_number}行：主办单位写了 {len(leads)} 个（{'、'.join(leads)}），"
                                   f"已以{leads[0]}为主办、其余为协办，请核对")
        for name, label in (("assigned_date", "交办日期"), ("due_date", "办理期限"), ("reply_date", "答复日期")):
            raw = _get(row, mapping, name)
            iso, ok = _date_value(raw)
            month_day = None if ok else _month_day(_cell_text(raw))
            if month_day and _dated(title_year or 2000, month_day):  # 2000 is a leap year: 2月29日
                if title_year:
                    iso = _dated(title_year, month_day)
                    year_notes.setdefault((label, f"已按表格标题取 {title_year} 年"), []).append(row_number)
                else:  # the import date decides (fill_years, at import)
                    out.setdefault("undated", {})[name] = (label, month_day)
            elif not ok:
                problems.append(f"{label}“{_cell_text(raw)}”无法识别")
            out[name] = iso
        raw_phone = _phones_text(row, mapping)
        if raw_phone and not out["phones"]:
            result.warnings.append(f"第{row_number}行：联系电话“{raw_phone}”无法识别，已忽略")
        category = _cell_text(_get(row, mapping, "category"))
        if category:
            match = _CLASS_VALUE.match(category)
            if match:
                out["classification"] = match.group(1).upper()
            else:
                out["body"] = _body_value(category)
                if out["body"] is None:
                    problems.append(f"类别“{category}”无法识别（应为政协或人大）")
        klass = _cell_text(_get(row, mapping, "classification"))
        if klass:
            match = _CLASS_VALUE.match(klass)
            if match:
                out["classification"] = match.group(1).upper()
            else:
                problems.append(f"办理类别“{klass}”无法识别")
        session_text = _cell_text(_get(row, mapping, "session"))
        if session_text:
            session = parse_session(session_text)
            if session is None:
                problems.append(f"届次“{session_text}”无法识别")
            else:
                out["term"], out["meeting"], out["session"] = session.term, session.meeting, session_text
                if out["body"] is None and session.body:
                    out["body"] = session.body
        if out["term"] is None and default_session is not None and "session" not in mapping:
            out["term"], out["meeting"] = default_session.term, default_session.meeting
            out["session"] = default_text
            out["body"] = out["body"] or default_session.body
        if out["body"] is None:  # a session cell without 政协/人大 (八届三次): the list's title says it
            out["body"] = title_body
        if "complex" in mapping:
            flag = _bool_value(_get(row, mapping, "complex"))
            if flag is None:
                problems.append(f"是否复杂/重点“{_cell_text(_get(row, mapping, 'complex'))}”无法识别（应为是或否）")
            else:
                out["complex"] = flag
        if out["assigned_date"] and out["due_date"] and out["due_date"] < out["assigned_date"]:
            problems.append(f"办理期限（{out['due_date']}）早于交办日期（{out['assigned_date']}）")
        if not problems and out["number"]:
            key = (out["body"], out["term"], out["meeting"], out["region"], number_key(out["number"]))
            if key in seen:
                problems.append(f"案号{out['number']}与第{seen[key]}行重复")
                result.pass_row("重复行", row_number)
            else:
                seen[key] = row_number
        if problems:
            result.errors.append((row_number, f"第{row_number}行：{'；'.join(problems)}"))
            continue
        result.rows.append(out)
    _year_note(year_notes, result)
    if not result.rows and not result.errors:
        result.warnings.append("表头下面没有数据")
    return result


def _contact_rows(rows: list[list], header_index: int, mapping: dict[str, list[int]]) -> TableResult:
    result = TableResult("contacts", header_row=header_index + 1)
    for row_number, row, filled in _data_rows(rows, header_index, result):
        name_raw = _cell_text(_get(row, mapping, "name"))
        if len(filled) == 1 and not name_raw:
            continue
        names = split_names(name_raw)
        problems = []
        if not names:
            problems.append("缺少姓名")
        elif len(names) > 1:
            problems.append(f"一格里有多个姓名（{name_raw}），请分行填写")
        phones_raw = _phones_text(row, mapping)
        phones = extract_phones(phones_raw)
        if phones_raw and not phones:
            problems.append(f"电话“{phones_raw}”无法识别")
        tg_raw = _cell_text(_get(row, mapping, "telegram"))
        telegram = _telegram_value(tg_raw)
        if tg_raw and telegram is None:
            problems.append(f"Telegram 用户名“{tg_raw}”格式不对")
        if problems:
            result.errors.append((row_number, f"第{row_number}行：{'；'.join(problems)}"))
            continue
        result.rows.append({
            "name": names[0],
            "unit": _cell_text(_get(row, mapping, "unit")) or None,
            "phones": phones,
            "telegram": telegram,
            "position": _cell_text(_get(row, mapping, "position")) or None,
            "row": row_number,
        })
    if not result.rows and not result.errors:
        result.warnings.append("表头下面没有数据")
    return result
