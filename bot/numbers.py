"""Proposal numbers, Chinese numerals and session text.

Numbers are stored exactly as printed (``TA0010``, ``0224``, ``6.11``); matching goes through
``number_key``, which folds what people type (``ta10``, ``第125号``, ``１２５``) onto one key.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass

_CN_DIGITS = {
    "零": 0, "〇": 0, "○": 0, "Ｏ": 0, "O": 0,
    "一": 1, "壹": 1, "二": 2, "贰": 2, "两": 2, "三": 3, "叁": 3, "四": 4, "肆": 4,
    "五": 5, "伍": 5, "六": 6, "陆": 6, "七": 7, "柒": 7, "八": 8, "捌": 8, "九": 9, "玖": 9,
}
_CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_NUMERAL_CHARS = "".join(_CN_DIGITS) + "".join(_CN_UNITS)


def cn_to_int(text: str) -> int | None:
    """Convert a Chinese (or Arabic) numeral to an int: 八 → 8, 十七 → 17, 二十一 → 21, 17 → 17.

    Returns None when the text is not a numeral.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    if not text:
        return None
    if text.isdigit():
        return int(text)
    if any(ch not in _CN_DIGITS and ch not in _CN_UNITS for ch in text):
        return None
    if all(ch in _CN_DIGITS for ch in text) and len(text) > 1:
        # Digit-by-digit form, as in years: 二〇二四 → 2024.
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    total, digit = 0, None
    for ch in text:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        else:
            unit = _CN_UNITS[ch]
            total += (1 if digit is None else digit) * unit
            digit = None
    return total + (digit or 0)


def fold(text: str) -> str:
    """NFKC (full-width → ASCII) and upper-case: the first step of every comparison."""
    return unicodedata.normalize("NFKC", text).upper()


_NOISE = re.compile(r"[\s第号號()（）\[\]【】〔〕<>《》#＃:：,，。.、\-_—–~～/]")
_WORDS = re.compile(r"提案号|建议号|提案|建议|建議|议案|案号|编号")
_YEAR_SEQ = re.compile(r"^(19\d{2}|20\d{2})(\d{3,5})$")
_SEGMENT = re.compile(r"[A-Z]+|\d+|[^A-Z\d]+")


def _strip_zeros(segment: str) -> str:
    return str(int(segment)) if segment.isdigit() else segment


def number_key(text: str) -> str:
    """The matching key for a proposal number as printed or typed.

    ``第125号`` / ``１２５`` / ``125`` → ``125``; ``TA0010`` / ``ta-10`` → ``TA10``;
    ``0224`` → ``224``; ``6.11`` → ``6.11``; ``第(J027)号`` → ``J27``. Empty when nothing is left.
    """
    folded = fold(text).strip()
    folded = _WORDS.sub("", folded.replace(" ", ""))
    # A dot between digits is part of the number (6.11); any other punctuation is noise.
    parts = re.split(r"(?<=\d)\.(?=\d)", folded)
    cleaned = [_NOISE.sub("", part) for part in parts]
    keyed = [
        "".join(_strip_zeros(seg) for seg in _SEGMENT.findall(part)) for part in cleaned if part
    ]
    return ".".join(keyed)


@functools.lru_cache(maxsize=65536)
def number_order(printed: str) -> tuple:
    """Sort key for numbers as people expect: by numeric part (4 < 23 < 104), numbers that
    start with letters after all plain ones (TA1 < TA23), then segment by segment."""
    key = number_key(printed or "")
    segments = tuple((0, int(seg), "") if seg.isdigit() else (1, 0, seg) for seg in re.findall(r"\d+|\D+", key))
    return (0 if key[:1].isdigit() else 1, segments, printed or "")


@functools.lru_cache(maxsize=65536)
def number_keys(printed: str) -> frozenset[str]:
    """Every key a stored number answers to: its own key, plus the sequence of a year-prefixed
    number (``20190017`` also answers to ``17``)."""
    key = number_key(printed)
    keys = {key} if key else set()
    match = _YEAR_SEQ.match(key)
    if match:
        keys.add(_strip_zeros(match.group(2)))
    return frozenset(keys)


@dataclass(frozen=True)
class Session:
    """A term and meeting (八届三次会议 → term 8, meeting 3), with the body when the text says it."""

    term: int | None
    meeting: int | None
    body: str | None = None


_NUM = rf"[0-9０-９{CN_NUMERAL_CHARS}]+"
_SESSION_PATTERNS = [
    # 第七届…第五次会议, 七届五次会议, 十七届人民代表大会第三次会议, 八届三次
    re.compile(rf"第?\s*({_NUM})\s*届(?P<mid>[^第次届\d]{{0,20}}?)第?\s*({_NUM})\s*次"),
]


def parse_session(text: str) -> Session | None:
    """Find the term and meeting in session text such as ``市政协八届三次会议``,
    ``高平市第七届政治协商会议第五次会议`` or ``县十七届人民代表大会第三次会议``."""
    text = unicodedata.normalize("NFKC", text)
    for pattern in _SESSION_PATTERNS:
        match = pattern.search(text)
        if not match:
            continue
        term, meeting = cn_to_int(match.group(1)), cn_to_int(match.group(3))
        if term is None or meeting is None:
            continue
        return Session(term, meeting, body_of(text))
    return None


def body_of(text: str) -> str | None:
    """政协 or 人大 when the text names one (政治协商 counts as 政协; 代表/人民代表大会 as 人大)."""
    if re.search(r"政协|政治协商|委员|提案", text):
        return "政协"
    if re.search(r"人大|人民代表大会|代表建议|代表", text):
        return "人大"
    return None


@dataclass(frozen=True)
class NumberQuery:
    """What a person typed after /status: a number key and, optionally, a session."""

    key: str
    session: Session | None
    body: str | None = None  # 人大4号 / 建议4号 → 人大; 政协4号 / 提案4号 → 政协


def parse_number_query(text: str) -> NumberQuery:
    """Split ``八届三次 125``, ``提案第125号``, ``第七届第五次会议 TA10`` into session and number key."""
    folded = unicodedata.normalize("NFKC", text).strip()
    session = parse_session(folded)
    rest = folded
    if session is not None:
        rest = re.sub(rf"第?\s*{_NUM}\s*届.*?第?\s*{_NUM}\s*次(会议)?", " ", folded, count=1)
    body = session.body if session is not None else None
    if body is None:
        words = re.findall(r"政协|提案|人大|建议|建議|议案", rest)
        bodies = {"政协" if w in ("政协", "提案") else "人大" for w in words}
        body = bodies.pop() if len(bodies) == 1 else None
    rest = re.sub(r"(政协|人大|提案|建议|会议)", " ", rest)
    return NumberQuery(number_key(rest), session, body)


_REGION = re.compile(r"([\u4e00-\u9fff]{1,6}?(?:自治县|自治州|市|县|区|旗))")


def region_in(text: str) -> str | None:
    """The first city, county or district named at the start of a unit or session text:
    晋城市发展和改革委员会 → 晋城市, 高平市政协七届五次会议 → 高平市. None when there is none."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = re.sub(r"^(?:\d{4}年度?|关于|政协|人大|[(（]?示例数据[^)）:：]*[)）]?[:：]?)", "", text)
    match = _REGION.match(text)
    return match.group(1) if match else None
