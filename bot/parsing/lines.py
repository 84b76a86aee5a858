"""From raw text to the letter's lines: limits, junk characters, NFKC (Chinese punctuation kept),
page-width unwrapping, stray spaces (PDF text spaced out character by character, numbers split by
spaces), page numbers, sentences broken over lines, and values carried on the next line (a phone
list, the rest of a unit name, a label's colon: ``_continues``)."""

from __future__ import annotations

import re

from .chrome import is_furniture
from .classification import CLASS_ALONE
from .dates import find_date
from .labels import LABEL_FIELD, LABEL_RE, LIST_LABEL_LINE, SPACED_LABEL_WORDS, SPACE_BEFORE_LABEL, last_label
from .places import UNIT_SUFFIX, unit_like, unit_rest
from .script import keyword
from .text import (
    CJK, CJKP, HEADING, HEAD_CHARS, JUNK, MAX_CHARS, MAX_LINE, MAX_LINES, NAME_SPLIT, NEWLINES, SPACES,
    VALUE_SEP, nfkc_keeping_punctuation,
)
from .unwrap import PAGE_NUMBER, unwrap_lines


_SPACED_PAIR = re.compile(rf"[{CJKP}] (?=[{CJKP}])")
_CJK_CHAR = re.compile(rf"[{CJKP}]")

_STRAY_SPACE = re.compile(
    rf"(?<=[{CJKP}]) +(?=[{CJKP}0-9A-Za-z])|(?<=[0-9A-Za-z]) +(?=[{CJKP}])|(?<=[:：]) +"
)
_SPACED_NUMBER = re.compile(
    r"第 ?[(（]? ?[0-9A-Za-z][0-9A-Za-z .\-]{0,24}?[)）]? ?(?:[號号]|(?=(?:代表)?建[议議]|提案|[议議]案))"
)
_PUNCT_SPACE = re.compile(r" *([：:，,、；;（）()]) *")

_SPACED_LABEL = re.compile(rf"(?<![{CJK}])(?:[{CJK}] ){{1,4}}[{CJK}](?= ?[:：])")


def _clean_line(line: str) -> str:
    line = SPACES.sub(" ", line).strip(" \t")
    if " " not in line and "\t" not in line:
        return line  # most lines: every rule below is about spaces and tabs
    if "\t" in line:
        line = re.sub(r" *\t[ \t]*", "\t", line)
    cjk = len(_CJK_CHAR.findall(line[:MAX_LINE])) if " " in line else 0  # no space, nothing spaced out
    if cjk >= 4 and len(_SPACED_PAIR.findall(line[:MAX_LINE])) >= 0.6 * (cjk - 1):
        # PDF extraction that spaced out every character: single spaces are noise, wider ones
        # separate words.
        line = re.sub(r"(?<! ) (?! )", "", line)
    line = re.sub(r" {2,}", " ", line)
    if " " in line:
        # A label typed with spaces inside (文  号：, 经 办 人：) is one word.
        line = _SPACED_LABEL.sub(
            lambda m: m.group(0).replace(" ", "") if keyword(m.group(0).replace(" ", "")) in SPACED_LABEL_WORDS
            else m.group(0), line)
    if " " in line:
        # A space before a label (…85号  签发人：张三) separates fields: keep it as a tab.
        spans = [m.span() for m in SPACE_BEFORE_LABEL.finditer(keyword(line))]
        for start, end in reversed(spans):
            line = line[:start] + "\t" + line[end:]
    if "第" in line and " " in line:
        # 第 1 2 5 号 / 第 TA 0010 号 / 第 TA05 34 提案: a number split by spaces
        line = _SPACED_NUMBER.sub(lambda m: m.group(0).replace(" ", ""), line)
    key = keyword(line[:40])
    if LIST_LABEL_LINE.match(key):
        # Name lists: a space between two names is a separator, keep it.
        return _PUNCT_SPACE.sub(r"\1", line)
    return _STRAY_SPACE.sub("", line)


def _is_prose(k: str) -> bool:
    if k.count("《") > k.count("》") or k.count("“") > k.count("”") or k.count("（") > k.count("）"):
        return True
    if k[-1] in "，、,":
        return True
    return len(k) >= 18 and bool(re.search(r"[，。；、,;]", k[:-1]))


def _joinable(prev_k: str, next_k: str) -> bool:
    if prev_k[-1] in "。！？!?；;：:" or not _is_prose(prev_k):
        return False
    if LABEL_RE.match(prev_k) or LABEL_RE.match(next_k) or HEADING.match(next_k):
        return False
    if CLASS_ALONE.match(next_k):
        return False
    if unit_like(next_k) or find_date(next_k, standalone=True) or is_furniture(next_k):
        return False
    return True


# A value that goes on on the next line (PDF wrapping, or a label separated from its colon).
_PHONE_ONLY = re.compile(r"^[\d\s\-—–+()（）、，,/;；]*\d[\d\s\-—–+()（）、，,/;；转]*$")


def _continues(prev_t: str, prev_k: str, k: str) -> str | None:
    """The text to put between the previous line and this one when this line carries on the
    previous line's last labelled value, else None:
    - a line starting with a colon (联系电话 / ：0356-…): the label's colon went to the next line;
    - a line of phone numbers after a phone or handler label (联系电话：0356-2021234， / 13812345678);
    - the rest of a unit name after a 主办/协办 label (协办单位：…、小店区卫 / 生健康委员会)."""
    if k[0] in ":：":
        return ""
    phones = k[0] in "0123456789+(（" and _PHONE_ONLY.match(k)
    head = NAME_SPLIT.split(k.lstrip(VALUE_SEP), maxsplit=1)[0]
    if not phones and not (head and UNIT_SUFFIX.search(head)):
        return None
    last = last_label(prev_k)
    if last is None:
        return None
    field = LABEL_FIELD[last[0]]
    value_k = prev_k[last[1]:].strip(" \t")
    if field in ("phone", "handler_phone", "handler"):
        if not phones or sum(ch.isdigit() for ch in k) < 5 or find_date(k, standalone=True):
            return None
        if value_k and value_k[-1].isdigit() and k[0].isdigit():
            return " "
        return ""
    if field in ("lead", "co", "split") and value_k:
        value_t = prev_t[last[1]:].strip(" \t")
        if not head or find_date(k, standalone=True):
            return None
        if value_t[-1] in VALUE_SEP or k[0] in VALUE_SEP:
            return "" if unit_like(head) else None
        tail_k = keyword(NAME_SPLIT.split(value_t)[-1])
        head_k = keyword(head)
        if tail_k and unit_like(tail_k + head_k) and (not unit_like(tail_k) or unit_rest(tail_k, head_k)):
            return ""
    return None


# A pinyin gloss after a character, as some mirrors print them: 鎮(zhèn)康縣 → 鎮康縣.
_PINYIN_GLOSS = re.compile(
    r"(?<=[\u4e00-\u9fff])[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜêńňǹḿ][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêńňǹḿ]*[)）]"
)


def normalize_lines(text: str) -> tuple[list[str], list[str], list[str]]:
    """(lines as printed but cleaned, keyword lines, warnings)."""
    warnings: list[str] = []
    if len(text) > MAX_CHARS:
        warnings.append(f"文本过长（{len(text)} 字），只分析了开头和结尾部分")
        text = text[:HEAD_CHARS] + "\n" + text[-(MAX_CHARS - HEAD_CHARS):]
    text = NEWLINES.sub("\n", text)
    junk = len(JUNK.findall(text))
    if junk:
        text = JUNK.sub("", text)
        if junk > 20 and junk > len(text) * 0.02:
            warnings.append("文本中有大量乱码或控制字符，可能不是答复函的文字")
    text = nfkc_keeping_punctuation(text)
    text = _PINYIN_GLOSS.sub("", text)
    if len(text) > MAX_CHARS * 2:
        text = text[:MAX_CHARS * 2]
    raw_lines = text.split("\n")
    if len(raw_lines) > MAX_LINES:
        warnings.append(f"文本行数过多（{len(raw_lines)} 行），只分析了开头和结尾部分")
        raw_lines = raw_lines[: MAX_LINES * 3 // 4] + raw_lines[-(MAX_LINES // 4):]
    raw_lines = unwrap_lines(raw_lines)
    t_lines: list[str] = []
    k_lines: list[str] = []
    for raw in raw_lines:
        line = _clean_line(raw)
        if not line:
            continue
        if PAGE_NUMBER.match(line) and not (line.isdigit() and k_lines and k_lines[-1].endswith("会议")):
            continue  # a page number; a number alone under a session's name is the item's
        k = keyword(line)
        glue = _continues(t_lines[-1], k_lines[-1], k) if t_lines else None
        if glue is not None:
            t_lines[-1] = _clean_line(t_lines[-1] + glue + line)
            k_lines[-1] = keyword(t_lines[-1])
        elif t_lines and _joinable(k_lines[-1], k):
            t_lines[-1] += line
            k_lines[-1] += k
        else:
            t_lines.append(line)
            k_lines.append(k)
    return t_lines, k_lines, warnings
