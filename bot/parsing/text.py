"""Character classes, size limits and small helpers every step shares.

The parser reads each line twice: as printed (``t``) and as a keyword copy (``k``, see
``script.TRAD``) in which Traditional characters are folded one for one, so a match in ``k`` cuts
its value from ``t`` at the same positions.
"""

from __future__ import annotations

import re
import unicodedata


MAX_CHARS = 200_000  # text beyond this is cut (head and tail kept)
HEAD_CHARS = 150_000
MAX_LINES = 4_000
MAX_LINE = 5_000  # longer lines are cut for the line-level patterns

_PROTECT = "，：；！？（）…～"
PROTECT_IN = str.maketrans({ch: chr(0xE000 + i) for i, ch in enumerate(_PROTECT)})
PROTECT_OUT = str.maketrans({chr(0xE000 + i): ch for i, ch in enumerate(_PROTECT)})

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
    text = JUNK.sub("", NEWLINES.sub("\n", str(text)))
    return unicodedata.normalize("NFKC", text.translate(PROTECT_IN)).translate(PROTECT_OUT)


def add_unique(target: list[str], values: list[str]) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)
