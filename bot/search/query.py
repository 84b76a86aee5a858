"""What a typed query means before any table is read: a proposal number (with session, region
and body), a phone, a document number (高发改发〔2025〕85号), pinyin; and the number keys one edit
away from a typed one."""

from __future__ import annotations

import re
import unicodedata

from bot.numbers import CN_NUMERAL_CHARS, body_of, number_key, parse_session
from bot.search.text import norm

LATIN_ONLY = re.compile(r"^[A-Za-z][A-Za-z\s'’·.\-]*$")
PHONE_QUERY = re.compile(r"^[\d\s\-+()（）]+$")
DOC_NUMBER = re.compile(
    r"^(?P<prefix>[\u4e00-\u9fffA-Za-z]*)\s*[〔\[【(（]\s*(?P<year>(?:19|20)\d{2})\s*[〕\]】)）]"
    r"\s*第?\s*(?P<seq>\d+)\s*号?$"
)
_NUM = rf"[0-9{CN_NUMERAL_CHARS}]+"
_SESSION_TEXT = re.compile(rf"第?\s*{_NUM}\s*届.*?第?\s*{_NUM}\s*次(?:会议)?")
_NUMBER_WORDS = re.compile(r"政协|人大|提案|建议|议案|会议|委员会|代表|案号|编号")
_NUMBER_TOKEN = re.compile(r"[A-Za-z]{0,4}[-_]?\d+(?:\.\d+)*")
_NUMBER_FILLER = re.compile(r"[\s第号號()（）\[\]【】〔〕#＃:：,，。、\-_市县区]+")


def parse_number(query: str, units) -> tuple | None:
    """(number key, region, body, term, meeting) when the query is a proposal number, else
    None. ``units``: the index's UnitTable (regions the query may name)."""
    text = unicodedata.normalize("NFKC", query)
    region = None
    for surface, full in units.regions_longest_first:
        if surface in text and full in units.proposal_regions:
            region = full
            text = text.replace(surface, " ", 1)
            break
    session = parse_session(text)
    body = body_of(text) if re.search(r"政协|人大|政治协商|人民代表", text) else None
    if session is not None:
        text = _SESSION_TEXT.sub(" ", text, count=1)
    text = _NUMBER_WORDS.sub(" ", text)
    tokens = _NUMBER_TOKEN.findall(text)
    if len(tokens) != 1:
        return None
    residual = _NUMBER_FILLER.sub("", _NUMBER_TOKEN.sub("", text))
    if residual:
        return None
    key = number_key(tokens[0])
    if not key or not any(ch.isdigit() for ch in key):
        return None
    term = session.term if session else None
    meeting = session.meeting if session else None
    return key, region, body, term, meeting


def near_keys(key: str) -> set[str]:
    """Number keys one edit away (deletion, insertion, substitution, swap of neighbours) in the
    part after any letters: 1250 → 125, 1205, 250, ...; TA10 → TA1, TA100, TA11, ..."""
    alpha = len(key) - len(key.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    head, rest = key[:alpha], key[alpha:]
    digits = "0123456789"
    out: set[str] = set()
    for i in range(len(rest)):
        out.add(rest[:i] + rest[i + 1:])
        for d in digits:
            out.add(rest[:i] + d + rest[i + 1:])
    for i in range(len(rest) + 1):
        for d in digits:
            out.add(rest[:i] + d + rest[i:])
    for i in range(len(rest) - 1):
        out.add(rest[:i] + rest[i + 1] + rest[i] + rest[i + 2:])
    out.discard(rest)
    return {head + v for v in out if v and (v[0] != "0" or v == "0")}


def _doc_match(text: str) -> re.Match | None:
    return DOC_NUMBER.match(unicodedata.normalize("NFKC", text).strip())


def doc_key(text: str) -> tuple:
    """高发改发〔2025〕85号 → ("高发改发", "2025|85"); () when it is not a document number."""
    m = _doc_match(text)
    if not m:
        return ()
    return (norm(m.group("prefix")), f"{m.group('year')}|{int(m.group('seq'))}")


def doc_seq(text: str) -> str:
    """高发改发〔2025〕85号 → "2025|85", what the index keys replies by; "" when it is not a
    document number. The issuer code is compared at query time."""
    m = _doc_match(text)
    return f"{m.group('year')}|{int(m.group('seq'))}" if m else ""

