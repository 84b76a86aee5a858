"""Handlers, phones and the leader: the names and numbers in their labelled values, and a
sign-off in prose (经王强局长签发)."""

from __future__ import annotations

import re
import unicodedata

from .labels import LABEL_WORD
from .script import keyword
from .state import Letter
from .text import CJK, EMPTY_VALUES, MAX_LINE, NAME_SPLIT, add_unique, normalize_text


# A sign-off in prose: 此复函已经夏贵金主任审签 / 经王强局长签发
_OFFICE_TITLES = {"主任", "局长", "书记", "主席", "县长", "区长", "市长", "部长", "处长", "科长", "院长", "同志", "领导"}
_SIGNED_OFF = re.compile(
    rf"经(?P<name>[{CJK}]{{2,3}}?)(?:同志|副?(?:主任|局长|书记|主席|县长|区长|市长|部长|处长|科长|院长))?(?:审签|签发|审定)"
)

_PHONE = re.compile(
    r"(?<![\d])(?:\+?86[- ]?)?(?:"
    r"1[3-9]\d[- ]?\d{4}[- ]?\d{4}"
    r"|(?:[(（]0\d{2,3}[)）]|0\d{2,3})\s?[-—–]?\s?\d{7,8}(?:(?:转|-|—|ext\.?)\d{1,6})?"
    r"|\d{7,8}(?:(?:转|-)\d{1,6})?"
    r"|\d{5,6}"
    r")(?!\d)"
)


def _names(value: str) -> list[str]:
    value = re.sub(r"[(（][^()（）]{0,20}[)）]", " ", value)  # (办公室) remarks
    tokens = [re.sub(r"[\d\-—+()（）]+", "", tok) for tok in NAME_SPLIT.split(value)]
    tokens = [tok for tok in tokens if tok and re.search(rf"[{CJK}A-Za-z]", tok) and len(tok) <= 12]
    tokens = [tok for tok in tokens if tok not in EMPTY_VALUES and not re.match(r"^(?:电话|手机|同志)$", tok)]
    # A label is never a name (承办人：张三 联系电话 / ：0356-…): cut a token at a label word.
    tokens = [tok[: m.start()] if (m := LABEL_WORD.search(keyword(tok))) else tok for tok in tokens]
    tokens = [tok for tok in tokens if tok]
    joined = "".join(tokens)
    if (len(tokens) > 1 and any(len(tok) == 1 for tok in tokens) and len(joined) <= 4
            and re.fullmatch(rf"[{CJK}]+", joined)):
        tokens = [joined]  # a name spaced out to align a column (张  三, 刘 晓 燕): no name is one character
    return tokens


def _phones(value: str) -> list[str]:
    phones = []
    for match in _PHONE.finditer(value[:500]):
        phone = re.sub(r"\s*([-—–])\s*", r"\1", match.group(0).strip())
        if sum(ch.isdigit() for ch in phone) >= 5:
            phones.append(phone)
    return phones


def extract_phones(text: str) -> list[str]:
    """Phone numbers in a value as printed (0356-5220956, 13812345678, 6999022), in order."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", str(text))
    out: list[str] = []
    add_unique(out, _phones(text))
    return out


def split_names(text: str) -> list[str]:
    """Names in a handlers value: split on spaces, 、，,;；/, phone numbers and remarks dropped."""
    if not text:
        return []
    return _names(normalize_text(text))


def step_people(doc: Letter) -> None:
    """Handlers, phones and the leader from their labels."""
    result, blank = doc.result, doc.blank
    handlers: list[str] = []
    phones: list[str] = []
    leaders: list[str] = []
    for field_name in ("handler", "handler_phone", "phone", "leader"):
        for _i, _label, value_t, value_k in doc.labelled.get(field_name, []):
            empty = value_k in EMPTY_VALUES
            if field_name in ("handler", "handler_phone"):
                names = [] if empty else _names(value_t)
                add_unique(handlers, names)
                blank["handler"] = blank.get("handler", True) and not names
                found = _phones(value_t)
                add_unique(phones, found)
                if field_name == "handler_phone":
                    blank["phone"] = blank.get("phone", True) and not found
            elif field_name == "phone":
                found = [] if empty else _phones(value_t)
                add_unique(phones, found)
                blank["phone"] = blank.get("phone", True) and not found
            else:
                names = [] if empty else _names(value_t)
                add_unique(leaders, names[:1])
                blank["leader"] = blank.get("leader", True) and not names
    result["handlers"] = handlers
    result["phones"] = phones
    if not leaders and doc.sal_idx is not None:
        for i in range(doc.sal_idx + 1, min(doc.n, doc.footer)):
            match = _SIGNED_OFF.search(doc.k_lines[i][:MAX_LINE])
            if match and match.group("name") not in _OFFICE_TITLES:
                leaders.append(doc.t_lines[i][match.start("name"): match.end("name")])
                break
    if len(leaders) == 1:
        result["leader"] = leaders[0]
    elif len(leaders) > 1:
        result["leader"] = leaders[0]
        doc.warnings.append(f"信中写了多位负责人/签发人（{'、'.join(leaders)}），已取第一位")
