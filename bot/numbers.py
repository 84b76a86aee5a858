"""Proposal numbers, Chinese numerals and session text.

Numbers are stored exactly as printed (``TA0010``, ``0224``, ``6.11``); matching goes through
``number_key``, which folds what people type (``ta10``, ``第125号``, ``１２５``) onto one key.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from typing import Iterable

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
    """What a person typed to name a proposal by number (/status, /find, a question): the number
    key and, when the text says them, a session, a body and a region."""

    key: str
    session: Session | None
    body: str | None = None    # 人大4号 / 建议4号 → 人大; 政协4号 / 提案4号 → 政协
    region: str | None = None  # one of the ``regions`` given to parse_number_query
    only_number: bool = False  # nothing else typed: a search takes it as a number, not as text
    typed: str = ""  # the number as typed (TA0010), for answers; ``key`` is its normal form (TA10)


_SESSION_TEXT = re.compile(rf"第?\s*{_NUM}\s*届.*?第?\s*{_NUM}\s*次(?:会议)?")
_BODY_WORDS = re.compile(r"政协|政治协商|提案|人大|人民代表|建议|建議|议案")
_NUMBER_WORDS = re.compile(r"政协|人大|政治协商|人民代表|提案号|建议号|提案|建议|建議|议案|会议|委员会|代表|案号|编号")
_NUMBER_TOKEN = re.compile(r"[A-Za-z]{0,4}[-_]?\d+(?:\.\d+)*")
_NUMBER_FILLER = re.compile(r"[\s第号號()（）\[\]【】〔〕#＃:：,，。、\-_市县区]+")


def parse_number_query(text: str, regions: Iterable[tuple[str, str]] = ()) -> NumberQuery:
    """The one reading of a typed case number, for /status, /find and questions alike:
    ``八届三次 125``, ``提案第125号``, ``第七届第五次会议 TA10``, ``晋城市政协125号``.

    ``regions``: (surface form, full name) pairs, longest first, that the text may name (晋城 or
    晋城市 → 晋城市); the first found is taken out. ``only_number`` is set when what is left is a
    single number (letters, digits, dots) among filler such as 第…号 and brackets."""
    folded = unicodedata.normalize("NFKC", text).strip()
    region = None
    for surface, full in regions:
        if surface in folded:
            region = full
            folded = folded.replace(surface, " ", 1)
            break
    session = parse_session(folded)
    rest = folded if session is None else _SESSION_TEXT.sub(" ", folded, count=1)
    body = session.body if session is not None else None
    if body is None:
        bodies = {"政协" if w in ("政协", "政治协商", "提案") else "人大" for w in _BODY_WORDS.findall(rest)}
        body = bodies.pop() if len(bodies) == 1 else None
    rest = _NUMBER_WORDS.sub(" ", rest)
    tokens = _NUMBER_TOKEN.findall(rest)
    only = len(tokens) == 1 and not _NUMBER_FILLER.sub("", _NUMBER_TOKEN.sub("", rest))
    key = number_key(tokens[0] if only else rest)
    typed = tokens[0].upper() if len(tokens) == 1 and number_key(tokens[0]) == key else key
    return NumberQuery(key, session, body, region, only and any(ch.isdigit() for ch in key), typed)


def near_keys(key: str) -> list[str]:
    """Number keys one slip away from ``key`` in the part after any letters, in the order they
    are offered: a digit too many (1250 → 125), two neighbours swapped (1205), a digit wrong
    (1251), a digit missing (12500); each kind in number order. TA10 → TA1, TA01 …"""
    alpha = len(key) - len(key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    head, rest = key[:alpha], key[alpha:]
    digits = "0123456789"
    n = len(rest)
    kinds = [
        [rest[:i] + rest[i + 1:] for i in range(n)],
        [rest[:i] + rest[i + 1] + rest[i] + rest[i + 2:] for i in range(n - 1)],
        [rest[:i] + d + rest[i + 1:] for i in range(n) for d in digits],
        [rest[:i] + d + rest[i:] for i in range(n + 1) for d in digits],
    ]
    seen = {rest}
    out: list[str] = []
    for variants in kinds:
        fresh = {head + v for v in variants if v not in seen and v and (v[0] != "0" or v == "0")}
        seen.update(variants)
        out.extend(sorted(fresh, key=number_order))
    return out


_REGION = re.compile(r"([\u4e00-\u9fff]{1,6}?(?:自治县|自治州|市|县|区|旗))")


def region_in(text: str) -> str | None:
    """The first city, county or district named at the start of a unit or session text:
    晋城市发展和改革委员会 → 晋城市, 高平市政协七届五次会议 → 高平市. None when there is none."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    text = re.sub(r"^(?:\d{4}年度?|关于|政协|人大|[(（]?示例数据[^)）:：]*[)）]?[:：]?)", "", text)
    match = _REGION.match(text)
    return match.group(1) if match else None
