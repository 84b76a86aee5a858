"""Character classes, size limits and small helpers every step shares.

The parser reads each line twice: as printed (``t``) and as a keyword copy (``k``, see
``script.keyword``) in which Traditional characters are folded one for one, so a match in ``k`` cuts
its value from ``t`` at the same positions.
"""

from __future__ import annotations

import re
import unicodedata


MAX_CHARS = 200_000  # text beyond this is cut (head and tail kept)
HEAD_CHARS = 150_000
MAX_LINES = 4_000
MAX_LINE = 5_000  # longer lines are cut for the line-level patterns

# Chinese punctuation kept as printed through NFKC (which would make it ASCII), by standing in
# for it with private-use characters (removed from the text with the junk before).
_PROTECT = "，：；！？（）…～"
_STAND_INS = [(ch, chr(0xE000 + i)) for i, ch in enumerate(_PROTECT)]

CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJKP = CJK + "\u3000-\u303f\uff00-\uffef“”‘’…—·"
NEWLINES = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
JUNK = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad"
                  r"\ud800-\udfff\ue000-\uf8ff\ufffd]")
SPACES = re.compile(r"[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")

CJK_ONE = re.compile(rf"[{CJK}]")

HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、．.](?!\d)"
    r"|第[一二三四五六七八九十\d]{1,3}[章节条部分]|附件|此致|敬礼|抄送|抄报)"
)

VALUE_SEP = "、，,;；/"

NAME_SPLIT = re.compile(r"[\s\t、，,/;；|]+")
EMPTY_VALUES = {"", "无", "/", "—", "-", "——", "空", "略", "暂无", "×", "x"}


def clean_value(value: str) -> str:
    return value.strip(" \t,，;；。.、:：").strip()


def normalize_text(text: str) -> str:
    """NFKC for digits, letters and compatibility forms, keeping Chinese punctuation (，：（）…) as
    printed; zero-width and control characters removed."""
    if not text:
        return ""
    return nfkc_keeping_punctuation(JUNK.sub("", NEWLINES.sub("\n", str(text))))


# Characters every letter has, replaced by their NFKC form before the quick check: each is one
# character whose form is ASCII that never combines with a neighbour, so replacing them first
# changes nothing in the result, and the quick check then usually finds nothing left to do.
_PLAIN_FORMS = [(ch, unicodedata.normalize("NFKC", ch)) for ch in "\u3000" + _PROTECT]


def nfkc(text: str) -> str:
    """``unicodedata.normalize("NFKC", text)``, with the work skipped when it would change nothing."""
    for ch, form in _PLAIN_FORMS:
        text = text.replace(ch, form)
    return text if unicodedata.is_normalized("NFKC", text) else unicodedata.normalize("NFKC", text)


def nfkc_keeping_punctuation(text: str) -> str:
    """NFKC, but Chinese punctuation (，：（）…) stays as printed."""
    for ch, stand_in in _STAND_INS:
        text = text.replace(ch, stand_in)
    text = nfkc(text)
    for ch, stand_in in _STAND_INS:
        text = text.replace(stand_in, ch)
    return text


def add_unique(target: list[str], values: list[str]) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)
