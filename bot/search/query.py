"""What a typed query means before any table is read: a phone, a document number
(高发改发〔2025〕85号), pinyin. A proposal number is read by bot.numbers.parse_number_query, the
one parser /status, /find and questions share."""

from __future__ import annotations

import re
import unicodedata

from bot.search.text import norm

LATIN_ONLY = re.compile(r"^[A-Za-z][A-Za-z\s'’·.\-]*$")
PHONE_QUERY = re.compile(r"^[\d\s\-+()（）]+$")
DOC_NUMBER = re.compile(
    r"^(?P<prefix>[\u4e00-\u9fffA-Za-z]*)\s*[〔\[【(（]\s*(?P<year>(?:19|20)\d{2})\s*[〕\]】)）]"
    r"\s*第?\s*(?P<seq>\d+)\s*号?$"
)


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

