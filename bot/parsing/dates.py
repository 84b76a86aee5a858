"""Dates as letters print them: 2024年5月23日, 二〇二四年五月二十三日, 2024-05-23, 20240523."""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from ..numbers import cn_to_int
from .places import unit_like
from .text import MAX_LINE


_CN_DIGIT = "〇零○O0一二三四五六七八九"
_DATE_PATTERNS = [
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日?"),
    re.compile(rf"(?P<y>[{_CN_DIGIT}]{{4}})\s*年\s*(?P<m>[一二三四五六七八九十]{{1,3}})\s*月"
               r"\s*(?P<d>[一二三四五六七八九十]{1,4})\s*日"),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[.\-/]\s*(?P<m>\d{1,2})\s*[.\-/]\s*(?P<d>\d{1,2})(?!\d)"),
]
_COMPACT_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
_SHORT_COMPACT_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})(?P<md>\d{2,3})")
MONTH_ONLY = re.compile(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月$|^[〇零○O0一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月$")
_DATE_TAIL = re.compile(r"[(（][^()（）]{0,20}[)）]$|(?:盖章|印章|公章)$")


def _to_iso(y: str, m: str, d: str) -> str | None:
    def num(s: str) -> int | None:
        if s.isdigit():
            return int(s)
        return cn_to_int(s.replace("0", "〇").replace("O", "〇"))

    try:
        year, month, day = num(y), num(m), num(d)
        if year is None or month is None or day is None or not 1990 <= year <= 2100:
            return None
        return date(year, month, day).isoformat()
    except (ValueError, TypeError):
        return None


def find_date(k: str, standalone: bool = False) -> tuple[str, int, int] | None:
    """(iso, start, end) of a date in ``k``. With ``standalone`` the line must be just the date,
    optionally after a unit name or a date label and before a bracketed remark."""
    k = k[:MAX_LINE]
    if standalone and (short := _SHORT_COMPACT_DATE.fullmatch(k.strip())):
        # 2022711 (a web copy lost the separators): a date only when one split is valid
        y, md = short.group("y"), short.group("md")
        splits = {iso for cut in (1, 2) if (iso := _to_iso(y, md[:cut], md[cut:])) and len(md) - cut in (1, 2)}
        if len(splits) == 1:
            start = k.index(y)
            return splits.pop(), start, start + len(y) + len(md)
    patterns = list(_DATE_PATTERNS) + ([_COMPACT_DATE] if standalone else [])
    for pattern in patterns:
        for match in pattern.finditer(k):
            iso = _to_iso(match.group("y"), match.group("m"), match.group("d"))
            if not iso:
                continue
            if standalone:
                before = k[: match.start()].strip(" \t")
                after = _DATE_TAIL.sub("", k[match.end():].strip(" \t")).strip(" \t")
                before = re.sub(r"(?:答复日期|复函日期|办理日期|日期|时间)\s*[:：]?$", "", before).strip()
                if after or (before and not unit_like(before)):
                    continue
            return iso, match.start(), match.end()
    return None


def parse_date(text: str) -> str | None:
    """ISO date from 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 二〇二五年三月一日 or 20250301
    (optionally followed by 前/止 or a time). None when it is not one clear date."""
    if text is None:
        return None
    k = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text))).strip()
    k = re.sub(r"(?:前|以前|之前|止|为止)$", "", k)
    k = re.sub(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", "", k).strip()
    if not k or len(k) > 40:
        return None
    found = find_date(k, standalone=True)
    if not found or found[1] != 0:
        return None
    return found[0]
