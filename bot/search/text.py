"""Text as search compares it: NFKC folding, the matching form, query cleaning, title cores,
bigram codes."""

from __future__ import annotations

import re
import unicodedata

MAX_QUERY_CHARS = 100   # longer input is not a search term (a pasted letter, a stuck key)

_WORD = re.compile(r"\w", re.UNICODE)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")

def norm(text: str | None) -> str:
    """The matching form: NFKC (full-width → ASCII), lower case, letters / digits / Han only."""
    if not text:
        return ""
    if text.isalnum() and unicodedata.is_normalized("NFKC", text):
        # Nothing to remove (str.isalnum is re's \w without "_"): most titles and names. The
        # text itself is returned when already lower case, so the index shares the record's string.
        low = text.lower()
        return text if low == text else low
    return _NON_WORD.sub("", unicodedata.normalize("NFKC", text)).lower()


def clean_query(text: str | None) -> tuple[str, str | None]:
    """NFKC and strip control / format characters. Returns (query, reason): a Chinese reason
    when the input is empty, too long or holds nothing searchable."""
    raw = unicodedata.normalize("NFKC", text or "")
    cleaned = "".join(ch for ch in raw if unicodedata.category(ch)[0] != "C" or ch in " \t")
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        return "", "请输入要查找的内容：案号、标题、单位、姓名、拼音或电话。"
    if len(cleaned) > MAX_QUERY_CHARS:
        return "", f"查询内容过长（{len(cleaned)} 个字符），请输入不超过 {MAX_QUERY_CHARS} 个字符的关键词。"
    if not _WORD.search(cleaned):
        return "", "查询内容中没有可识别的文字、字母或数字，请重新输入。"
    return cleaned, None


_NOT_ASCII_DIGIT = re.compile(r"[^0-9]+")


def digits_of(text: str) -> str:
    if text.isascii():
        return _NOT_ASCII_DIGIT.sub("", text)
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


def bigrams(s: str) -> set[str]:
    if len(s) < 2:
        return {s} if s else set()
    return {a + b for a, b in zip(s, s[1:])}


def pair_codes(s: str) -> set[int]:
    """The bigrams of s as ints, as the title index keys them: two UTF-16 code units, the first
    | the second << 16 (a string of one unit: that unit). Cheaper to make and hash than
    two-character strings; :meth:`Corpus.load` computes the same codes for many texts at once."""
    units = memoryview(s.encode("utf-16-le", "surrogatepass")).cast("H")
    if len(units) < 2:
        return set(units)
    return {a | b << 16 for a, b in zip(units, units[1:])}


_TITLE_ENDINGS = ("建议", "提案", "议案", "意见")
_DE_TITLE_ENDINGS = tuple("的" + ending for ending in _TITLE_ENDINGS)


def title_core(title: str) -> str:
    """The part of a title worth indexing: 关于…的建议 frames nearly every title, so its bigrams
    would select nothing (titles are still scored in full). A leading 关于 and a trailing
    (的)建议 / 提案 / 议案 / 意见 are cut."""
    if title.startswith("关于"):
        title = title[2:]
    if title.endswith(_TITLE_ENDINGS):
        title = title[:-2]
        if title.endswith("的"):
            title = title[:-1]
    return title


def title_cores(titles: list[str]) -> list[str]:
    """[title_core(t) for t in titles], one slice each and no call per title."""
    start, ends, de_ends = "关于", _TITLE_ENDINGS, _DE_TITLE_ENDINGS
    return [t[2 if t.startswith(start) else 0:(-3 if t.endswith(de_ends) else -2) if t.endswith(ends) else None]
            for t in titles]
