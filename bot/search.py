"""Fuzzy look-up that staff can trust: proposals, contacts and units.

One in-memory :class:`SearchIndex` over the repository's records, kept current through
``Repository.subscribe`` (each put / delete updates only the entries of that record):

- proposals: number (exact after ``number_key``, near misses only as suggestions), title
  (bigram index), proposer, and replies' document numbers and phones;
- contacts: name, full pinyin (every reading of the surname), pinyin initials, phones (digit
  substring), unit;
- units: ``Department`` records (name and aliases) plus every unit name used by proposals
  (lead / co-units), contacts and replies (issuer, signed_by).

Start-up builds it in bulk (:meth:`SearchIndex.load`, about 0.6 s and 40 MB at 100k proposals):
kind by kind and column by column, C-speed maps where a loop per record would be slow; records
and their indexed state in lists by id (:class:`_Rows`, :class:`_State`) rather than dicts and
tuples; title bigrams as ints made from one UTF-16 encoding of all titles, their posting lists
array('I'). Indexes only some queries use are made by the first of them: document numbers, phone
digit grams, the replies of a proposal (for JSON).

Matching runs rapidfuzz's C++ scorers (``process.extract`` with ``LCSseq``) on a small candidate
set found through character / bigram posting lists, never over the whole corpus. Text is NFKC
folded first: rapidfuzz's ``default_process`` keeps full-width forms (ＴＡ) as they are.

Scores are 0-100, tiered so that exact > prefix > substring > fuzzy. ``SearchResult.certain``
is set only for one clear winner; anything weaker is offered as choices (at most ``limit``), and
when nothing is good enough the nearest records come back as ``suggestions`` with a reason.

This module never imports telegram; the CLI and the handlers call :func:`run_find`,
:func:`run_contact` and :class:`SearchIndex`.
"""

from __future__ import annotations

import gc
import itertools
import math
import operator
import re
import sys
import threading
import unicodedata
from array import array
from collections import Counter, defaultdict, deque
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from pypinyin import Style, pinyin
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from bot.model import STATE_LABELS, Contact, Department, Proposal, Record, Reply
from bot.numbers import CN_NUMERAL_CHARS, body_of, number_key, number_keys, parse_session
from bot.units import same_unit_names

__all__ = [
    "KINDS", "Hit", "SearchResult", "SearchIndex", "norm", "clean_query", "record_to_json",
    "result_to_json", "run_find", "run_contact",
]

KINDS = ("proposal", "contact", "unit")

MAX_QUERY_CHARS = 100   # longer input is not a search term (a pasted letter, a stuck key)
RESULT_CUTOFF = 55.0    # below this a hit is only a suggestion
SUGGEST_CUTOFF = 35.0   # below this nothing is shown at all
CERTAIN_MIN = 90.0      # a clear winner scores at least this ...
CERTAIN_MARGIN = 10.0   # ... and beats the runner-up by this much
MIN_COVERAGE = 0.6      # candidates share at least this share of the query's characters
BUDGET = 4000           # most candidates read from posting lists for one corpus and query
RERANK = 60             # candidates per corpus scored in full (Python) after rapidfuzz
FREEZE_MIN = 20_000     # records loaded at once: start-up data, frozen for the collector (load)

# Scores of the structured matches (text matches use _tier below).
S_EXACT = 100.0
S_ALIAS = 98.0           # a Department alias, exactly
S_STRIPPED_EXACT = 95.0  # a unit name without its region prefix, exactly
S_PINYIN = 95.0          # full pinyin, exactly (homophones tie, so it can be unsure)
S_PINYIN_MIXED = 92.0    # surname in full + initials (tangzw)
S_INITIALS = 90.0        # initials (tzw)
S_HOMOPHONE = 88.0       # Chinese query whose pinyin is a contact's name: a typo, confirm first
ALT_READING_PENALTY = 12.0 # matched through a less likely reading of a character (方 wang)
S_PHONE_SUFFIX = 95.0    # local number typed without the area code (7+ digits)
S_NEAR_NUMBER = 50.0     # 1250 when only 125 / 1205 exist: a suggestion, never an answer
ALIAS_PENALTY = 2.0
STRIPPED_PENALTY = 3.0
REGION_MISMATCH = 30.0
SESSION_MISMATCH = 15.0

_WORD = re.compile(r"\w", re.UNICODE)
_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)
_HAN = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_LATIN_ONLY = re.compile(r"^[A-Za-z][A-Za-z\s'’·.\-]*$")
_PHONE_QUERY = re.compile(r"^[\d\s\-+()（）]+$")
_REGION_PREFIX = re.compile(r"^([\u4e00-\u9fff]{1,4}?[省市县区])")
_NUM = rf"[0-9{CN_NUMERAL_CHARS}]+"
_SESSION_TEXT = re.compile(rf"第?\s*{_NUM}\s*届.*?第?\s*{_NUM}\s*次(?:会议)?")
_NUMBER_WORDS = re.compile(r"政协|人大|提案|建议|议案|会议|委员会|代表|案号|编号")
_NUMBER_TOKEN = re.compile(r"[A-Za-z]{0,4}[-_]?\d+(?:\.\d+)*")
_NUMBER_FILLER = re.compile(r"[\s第号號()（）\[\]【】〔〕#＃:：,，。、\-_市县区]+")
_DOC_NUMBER = re.compile(
    r"^(?P<prefix>[\u4e00-\u9fffA-Za-z]*)\s*[〔\[【(（]\s*(?P<year>(?:19|20)\d{2})\s*[〕\]】)）]"
    r"\s*第?\s*(?P<seq>\d+)\s*号?$"
)
_COMPOUND_SURNAMES = {
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "长孙", "宇文",
    "司徒", "夏侯", "轩辕", "令狐", "钟离", "澹台", "端木", "西门", "南宫", "独孤", "呼延",
}


# -- text helpers ------------------------------------------------------------------------------


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


def _digits(text: str) -> str:
    if text.isascii():
        return _NOT_ASCII_DIGIT.sub("", text)
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


def _bigrams(s: str) -> set[str]:
    if len(s) < 2:
        return {s} if s else set()
    return {a + b for a, b in zip(s, s[1:])}


def _pair_codes(s: str) -> set[int]:
    """The bigrams of s as ints, as the title index keys them: two UTF-16 code units, the first
    | the second << 16 (a string of one unit: that unit). Cheaper to make and hash than
    two-character strings; :meth:`_Corpus.load` computes the same codes for many texts at once."""
    units = memoryview(s.encode("utf-16-le", "surrogatepass")).cast("H")
    if len(units) < 2:
        return set(units)
    return {a | b << 16 for a, b in zip(units, units[1:])}


def _tier(q: str, s: str, lcs: float | None = None) -> float:
    """exact 100 > prefix 90-99 > substring 80-90 > fuzzy ≤ 79 (coverage of the query's
    characters in order, how many of its bigrams are kept, how long the target is)."""
    if s == q:
        return 100.0
    lq, ls = len(q), len(s)
    if not lq or not ls:
        return 0.0
    if s.startswith(q):
        return 90.0 + 9.0 * lq / ls
    if q in s:
        return 80.0 + 9.9 * lq / ls
    if lcs is None:
        lcs = LCSseq.similarity(q, s)
    cov = lcs / lq
    if lq > 1:
        grams = _bigrams(q)
        kept = sum(1 for g in grams if g in s) / len(grams)
    else:
        kept = 0.0
    return min(79.0, 65.0 * cov + 10.0 * kept + 4.0 * min(1.0, lq / ls))


_READINGS: dict[str, tuple[str, ...]] = {}


def _readings(ch: str) -> tuple[str, ...]:
    """Every pinyin reading of one character, most common first (Style.NORMAL, heteronym)."""
    found = _READINGS.get(ch)
    if found is None:
        if _HAN.match(ch):
            found = tuple(dict.fromkeys(r.lower() for r in pinyin(ch, style=Style.NORMAL, heteronym=True)[0]))
        else:
            found = (ch.lower(),)
        _READINGS[ch] = found
    return found


# Surname readings that differ from the character's common reading (曾经 ceng, 单独 dan, ...).
SURNAME_READINGS = {
    "单": "shan", "曾": "zeng", "解": "xie", "区": "ou", "仇": "qiu", "朴": "piao", "查": "zha",
    "盖": "ge", "缪": "miao", "尉": "yu", "乐": "yue", "覃": "qin", "翟": "zhai", "召": "shao",
    "员": "yun", "句": "gou", "阚": "kan", "那": "na", "秘": "bi", "种": "chong", "繁": "po",
    "黑": "he", "谌": "chen", "逄": "pang", "隗": "wei", "宓": "mi", "郇": "huan", "柏": "bai",
    "折": "she", "长": "zhang", "万": "wan", "祭": "zhai", "过": "guo", "石": "shi", "沈": "shen",
}
COMPOUND_SURNAME_READINGS = {"尉迟": "yuchi", "万俟": "moqi", "澹台": "tantai", "单于": "chanyu", "长孙": "zhangsun"}


_FIRST = operator.itemgetter(0)


def _name_combos(name: str, cap: int = 16) -> tuple[int, list[tuple[str, ...]]]:
    """(surname length, reading combinations), the preferred one first: the surname's own
    reading (单 shan, 曾 zeng, ...) or the character's common one, then every other reading of
    the surname and of the given name, up to ``cap`` combinations."""
    chars = norm(name)
    if not chars:
        return 0, []
    head = chars[:2]
    split = 2 if head in _COMPOUND_SURNAMES or head in COMPOUND_SURNAME_READINGS else 1
    per_char = [_READINGS.get(ch) or _readings(ch) for ch in chars]  # (memo hit, else computed)
    compound = None
    if split == 1:
        own = SURNAME_READINGS.get(chars[0])
        if own:
            per_char[0] = (own, *(r for r in per_char[0] if r != own))
    else:
        compound = COMPOUND_SURNAME_READINGS.get(head)
    if max(map(len, per_char)) == 1:
        combos = [tuple(map(_FIRST, per_char))]  # one reading each: the one combination
    else:
        combos = list(itertools.islice(itertools.product(*per_char), cap))
    if compound:
        combos.insert(0, (compound, "", *(r[0] for r in per_char[2:])))
    return split, combos


def _forms(split: int, combo: tuple[str, ...]) -> tuple[str, str, str]:
    full = "".join(combo)
    initials = "".join(map(_FIRST, filter(None, combo)))
    mixed = "".join(combo[:split]) + "".join(map(_FIRST, filter(None, combo[split:])))
    return full, initials, mixed


def pinyin_forms(name: str, cap: int = 16, preferred_only: bool = False) -> tuple[set[str], set[str], set[str]]:
    """(full, initials, surname-in-full + initials) of a person's name: 唐志文 → tangzhiwen, tzw,
    tangzw. Every reading of the surname is included (单 dan/shan, 曾 ceng/zeng, 解 jie/xie,
    区 qu/ou, 仇 chou/qiu, 朴 pu/piao, 查 cha/zha), and of the given name up to ``cap``
    combinations; ``preferred_only`` keeps the one most likely reading."""
    split, combos = _name_combos(name, cap)
    full, initials, mixed = set(), set(), set()
    for combo in combos[:1] if preferred_only else combos:
        f, i, m = _forms(split, combo)
        full.add(f)
        initials.add(i)
        mixed.add(m)
    return full, initials, mixed


def _contact_forms(name: str) -> tuple[tuple[set[str], set[str], set[str]], tuple[set[str], set[str], set[str]]]:
    """(preferred forms, other readings' forms not already preferred)."""
    split, combos = _name_combos(name)
    if not combos:
        return (set(), set(), set()), (set(), set(), set())
    first, alt = _other_forms(split, combos)
    return ({first[0]}, {first[1]}, {first[2]}), alt


def _other_forms(split: int, combos: list[tuple[str, ...]]) -> tuple[tuple[str, str, str], tuple[set[str], set[str], set[str]]]:
    first = _forms(split, combos[0])
    rest = [_forms(split, combo) for combo in combos[1:]]
    full, initials, mixed = first
    return first, ({f for f, _, _ in rest if f != full}, {i for _, i, _ in rest if i != initials},
                   {m for _, _, m in rest if m != mixed})


def _contact_form_row(name: str) -> tuple:
    """_contact_forms(name) compact, for a bulk load: the preferred full, initials and mixed
    forms (strings), then the other readings' forms (tuples, in the sets' order; a set takes
    216 bytes even empty). Most names have one reading: no set made for them."""
    split, combos = _name_combos(name)
    if not combos:
        return ("", "", "", (), (), ())
    if len(combos) == 1:
        return (*_forms(split, combos[0]), (), (), ())
    first, alt = _other_forms(split, combos)
    return (*first, *map(tuple, alt))


def _query_pinyin(q: str) -> set[str]:
    """Readings of a Chinese query: the common reading of each character, every reading of the
    first (a surname)."""
    if not q:
        return set()
    rest = "".join(_readings(ch)[0] for ch in q[1:])
    return {first + rest for first in _readings(q[0])}


# -- result types ------------------------------------------------------------------------------


@dataclass
class Hit:
    kind: str            # "proposal" | "contact" | "unit"
    score: float         # 0-100
    record: Record       # Proposal, Contact or Department (a unit without record: id None)
    match: str           # the field that matched: number, title, proposer, name, pinyin, ...
    order: tuple = field(default=(), repr=False, compare=False)

    @property
    def key(self) -> tuple:
        if self.kind == "unit":
            return ("unit", norm(self.record.name))  # type: ignore[attr-defined]
        return (self.kind, self.record.id)


@dataclass
class SearchResult:
    query: str
    hits: list[Hit]                 # good matches, best first (choices when not certain)
    certain: bool = False           # one clear winner: answer with hits[0] directly
    reason: str | None = None       # Chinese, when nothing (good) was found or the query is unusable
    suggestions: list[Hit] = field(default_factory=list)  # nearest records when hits is empty

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.certain and self.hits else None


# -- a corpus of short strings with posting lists ---------------------------------------------


_TITLE_ENDINGS = ("建议", "提案", "议案", "意见")
_DE_TITLE_ENDINGS = tuple("的" + ending for ending in _TITLE_ENDINGS)


def _title_core(title: str) -> str:
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


def _title_cores(titles: list[str]) -> list[str]:
    """[_title_core(t) for t in titles], one slice each and no call per title."""
    start, ends, de_ends = "关于", _TITLE_ENDINGS, _DE_TITLE_ENDINGS
    return [t[2 if t.startswith(start) else 0:(-3 if t.endswith(de_ends) else -2) if t.endswith(ends) else None]
            for t in titles]


class _Rows:
    """record id → value for the small, dense ids the repository hands out: a list indexed by id
    (8 bytes a row, where a dict entry takes about 50) and a dict for any other key (negative, an
    outlier far beyond the rest, not an int). None is never a value. Offers what the index uses
    of a dict: get, [], in, len, pop, del, keys / values / items."""

    __slots__ = ("rows", "other", "size", "odd")

    def __init__(self) -> None:
        self.rows: list = []
        self.other: dict = {}
        self.size = 0
        self.odd = False  # a key ever went to ``other`` (values_for then takes the slow path)

    def get(self, key: Any, default: Any = None) -> Any:
        if type(key) is int and 0 <= key < len(self.rows):
            value = self.rows[key]
            return default if value is None else value
        return self.other.get(key, default) if self.other else default

    def __getitem__(self, key: Any) -> Any:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __contains__(self, key: Any) -> bool:
        return self.get(key) is not None

    def __len__(self) -> int:
        return self.size

    def _row(self, key: Any, count: int = 1) -> bool:
        """Whether key belongs in the list (grown to hold it when it is near enough)."""
        if type(key) is not int or key < 0:
            return False
        n = len(self.rows)
        if key < n:
            return True
        if key >= 2 * (self.size + count) + 1024:
            return False
        self.rows.extend([None] * (key + 1 - n))
        if self.other:  # keys that now fall within the list move there
            for k in [k for k in self.other if type(k) is int and n <= k <= key]:
                self.rows[k] = self.other.pop(k)
        return True

    def __setitem__(self, key: Any, value: Any) -> None:
        if value is None:
            raise ValueError("None is not a value")
        if self._row(key):
            if self.rows[key] is None:
                self.size += 1
            self.rows[key] = value
        else:
            if key not in self.other:
                self.size += 1
            self.other[key] = value
            self.odd = True

    def pop(self, key: Any, default: Any = None) -> Any:
        if type(key) is int and 0 <= key < len(self.rows):
            value = self.rows[key]
            if value is None:
                return default
            self.rows[key] = None
        elif key in self.other:
            value = self.other.pop(key)
        else:
            return default
        self.size -= 1
        return value

    def __delitem__(self, key: Any) -> None:
        if self.pop(key) is None:
            raise KeyError(key)

    def items(self) -> list[tuple[Any, Any]]:
        return [(k, v) for k, v in enumerate(self.rows) if v is not None] + list(self.other.items())

    def keys(self) -> list:
        return [k for k, _ in self.items()]

    def values(self) -> list:
        return [v for _, v in self.items()]

    def __iter__(self):
        return iter(self.keys())

    def fill(self, keys: Sequence, values: Sequence, span: tuple | None = None, checked: bool = False) -> None:
        """self[k] = v for many keys at once: a slice assignment when they are consecutive new
        ids (the usual case at start-up). ``span``: :func:`_id_span` of the keys, when known;
        ``checked``: the values are known not to be None."""
        if not keys:
            return
        if span is None:
            span = _id_span(keys)
        if span and self._row(span[1], len(keys)):
            lo, hi, consecutive = span
            rows, n = self.rows, len(keys)
            if not checked and any(map(operator.is_, values, itertools.repeat(None))):
                raise ValueError("None is not a value")
            if consecutive and (not self.size or rows[lo:hi + 1].count(None) == n):
                rows[lo:hi + 1] = values
                self.size += n
                return
            for key, value in zip(keys, values):
                if rows[key] is None:
                    self.size += 1
                rows[key] = value
            return
        for key, value in zip(keys, values):
            self[key] = value

    def values_for(self, keys: list) -> list:
        """[self.get(k) for k in keys], at C speed when every key ever stored was a row."""
        if not self.odd:
            try:
                return list(map(self.rows.__getitem__, keys))
            except IndexError:
                pass
        return [self.get(k) for k in keys]


class _State:
    """record id → a tuple of ``width`` fields, kept column by column (a :class:`_Rows` each):
    8 bytes a field, where a tuple per record takes 40 bytes more. None is a storable field."""

    __slots__ = ("cols",)
    _NONE = object()

    def __init__(self, width: int) -> None:
        self.cols = tuple(_Rows() for _ in range(width))

    def get(self, key: Any, default: Any = None) -> Any:
        first = self.cols[0].get(key)
        if first is None:
            return default
        none = self._NONE
        return tuple(None if v is none else v for v in (first, *(c.get(key) for c in self.cols[1:])))

    def __getitem__(self, key: Any) -> tuple:
        state = self.get(key)
        if state is None:
            raise KeyError(key)
        return state

    def __contains__(self, key: Any) -> bool:
        return key in self.cols[0]

    def __len__(self) -> int:
        return len(self.cols[0])

    def __setitem__(self, key: Any, state: tuple) -> None:
        none = self._NONE
        for col, value in zip(self.cols, state, strict=True):
            col[key] = none if value is None else value

    def pop(self, key: Any, default: Any = None) -> Any:
        state = self.get(key)
        if state is None:
            return default
        for col in self.cols:
            col.pop(key)
        return state

    def keys(self) -> list:
        return self.cols[0].keys()

    def items(self) -> list[tuple[Any, tuple]]:
        return [(key, self[key]) for key in self.keys()]

    def fill(self, keys: Sequence, columns: Sequence[Sequence], span: tuple | None = None) -> None:
        """self[k] = state for many keys at once, the states given as columns (``span``: as
        :meth:`_Rows.fill`)."""
        none = self._NONE
        if span is None:
            span = _id_span(keys)
        for col, values in zip(self.cols, columns, strict=True):
            if any(map(operator.is_, values, itertools.repeat(None))):
                values = [none if v is None else v for v in values]
            col.fill(keys, values, span, checked=True)


def _id_span(keys: Sequence) -> tuple[int, int, bool] | None:
    """(lowest, highest, consecutive in order) of keys that are all ints ≥ 0, else None."""
    if not keys:
        return None
    try:
        lo, hi = min(keys), max(keys)
    except TypeError:
        return None
    if type(lo) is not int or lo < 0 or set(map(type, keys)) != {int}:
        return None
    n = len(keys)
    return lo, hi, hi - lo + 1 == n and keys[0] == lo and all(map(operator.eq, keys, range(lo, hi + 1)))


class _Corpus:
    """key → normalised string, with a posting list per character (gram=1) or bigram (gram=2,
    keyed by :func:`_pair_codes`).

    Posting lists only grow; an updated or removed key leaves stale entries behind, which cost a
    little candidate work (every candidate is scored against its current text) until the lists
    are compacted, once the stale entries outnumber the live ones. With ``ids`` the keys are
    record ids: texts are kept in :class:`_Rows` and the posting lists of a bulk load are
    array('I') (4 bytes an entry), turned into lists if a key they cannot hold comes along."""

    def __init__(self, gram: int, core=None, cores=None, ids: bool = False):
        self.gram = gram
        self.core = core  # what part of a text to index (all of it by default)
        self.cores = cores  # the same for a list of texts (load)
        self.ids = ids
        self.text: Any = _Rows() if ids else {}
        self.post: dict[Any, Any] = {}
        self.stale = 0
        self.maxlen = 0

    def grams(self, s: str) -> set:
        return set(s) if self.gram == 1 else _pair_codes(s)

    def add(self, key: Any, s: str) -> None:
        text = self.text
        old = text.get(key)
        if old == s:
            return
        if old is not None:
            self.stale += 1
        if not s:
            text.pop(key, None)
            return
        text[key] = s
        post = self.post
        for g in self.grams(self.core(s) if self.core else s):
            lst = post.get(g)
            if lst is None:
                post[g] = [key]
            else:
                try:
                    lst.append(key)
                except (TypeError, OverflowError):  # an array('I') and a key it cannot hold
                    post[g] = lst = list(lst)
                    lst.append(key)
        if len(s) > self.maxlen:
            self.maxlen = len(s)
        if self.stale > 1000:
            self._maybe_compact()

    def load(self, keys: list, texts: list[str], span: tuple | None = None) -> None:
        """add() for many keys not in the corpus yet, each with a non-empty text, as at start-up.
        Bigram codes come from one UTF-16 encoding of all the texts (C speed, where making
        two-character strings one by one took most of the time), and a key enters a posting
        list once however often the bigram recurs in its text. ``span``: :func:`_id_span` of
        the keys, when known."""
        if not keys:
            return
        if self.ids:
            if span is None:
                span = _id_span(keys)
            self.text.fill(keys, texts, span)
        else:
            self.text.update(zip(keys, texts))
        self.maxlen = max(self.maxlen, max(map(len, texts)))
        # Posting lists of record ids are array('I'): 4 bytes an entry.
        compact = self.ids and span is not None and span[1] < 2 ** 32
        make = (lambda key: array("I", (key,))) if compact else (lambda key: [key])
        if self.gram == 2:
            fresh = self._load_pairs(keys, texts, make)
        else:
            fresh = self._load_chars(keys, self._cores_of(texts), make)
        post = self.post
        if not post:
            self.post = fresh
            return
        for g, lst in fresh.items():
            cur = post.get(g)
            if cur is None:
                post[g] = lst
            else:
                try:
                    cur.extend(lst)
                except (TypeError, OverflowError):
                    post[g] = list(cur) + list(lst)

    def _cores_of(self, texts: list[str]) -> list[str]:
        if self.cores:
            return self.cores(texts)
        return list(map(self.core, texts)) if self.core else texts

    @staticmethod
    def _load_chars(keys: list, cores: list[str], make) -> dict:
        fresh: dict[Any, Any] = {}
        get = fresh.get
        for key, core in zip(keys, cores):
            for g in set(core):
                lst = get(g)
                if lst is None:
                    fresh[g] = make(key)
                else:
                    lst.append(key)
        return fresh

    def _load_pairs(self, keys: list, texts: list[str], make) -> dict:
        # Texts joined by NUL into one string; code i is the pair of units (i, i + 1). A text of
        # n units owns n + 1 codes: its own pairs, then two that straddle a NUL (a zero half),
        # dropped at the end. The codes are built at C speed from the UTF-16 bytes read as
        # 32-bit ints twice, from the first unit and from the second.
        fresh: dict[Any, Any] = {}
        cores = self._cores_of(texts)
        blob = "\x00".join(cores)
        data = blob.encode("utf-16-le", "surrogatepass")
        n = len(data) // 2
        if n != len(blob) or blob.count("\x00") != len(cores) - 1 or n < 2:
            # Characters beyond the BMP (two units each) or NULs: one text at a time.
            for key, core in zip(keys, cores):
                for g in _pair_codes(core):
                    lst = fresh.get(g)
                    if lst is None:
                        fresh[g] = make(key)
                    elif lst[-1] != key:
                        lst.append(key)
            return fresh
        spans = list(map(operator.add, map(len, cores), itertools.repeat(1)))
        owners = itertools.chain.from_iterable(map(itertools.repeat, keys, spans))
        single = [(key, core) for key, core in zip(keys, cores) if len(core) == 1] if 2 in spans else ()
        del spans
        del cores, blob  # temporaries gone before the posting lists grow
        codes = array("I", bytes(4 * (n - 1)))  # arrays, not lists: no int objects until read
        even, odd = array("I"), array("I")
        even.frombytes(data[:n // 2 * 4])
        odd.frombytes(data[2:2 + (n - 1) // 2 * 4])
        del data
        codes[0::2] = even
        codes[1::2] = odd
        del even, odd
        if sys.byteorder == "big":
            codes.byteswap()
        for code, key in zip(codes, owners):
            try:
                lst = fresh[code]
            except KeyError:
                fresh[code] = make(key)
                continue
            if lst[-1] != key:
                lst.append(key)
        del codes
        for code in [c for c in fresh if not c & 0xFFFF or not c >> 16]:
            del fresh[code]
        for key, core in single:  # one unit: that unit is its gram
            g = ord(core)
            lst = fresh.get(g)
            if lst is None:
                fresh[g] = make(key)
            else:
                lst.append(key)
        return fresh

    def remove(self, key: Any) -> None:
        if self.text.pop(key, None) is not None:
            self.stale += 1
            self._maybe_compact()

    def _maybe_compact(self) -> None:
        if self.stale > 1000 and self.stale > len(self.text):
            items = list(self.text.items())
            self.text, self.post, self.stale, self.maxlen = (_Rows() if self.ids else {}), {}, 0, 0
            for key, s in items:
                self.add(key, s)

    def candidates(self, q: str, need: int) -> tuple[set, bool]:
        """Keys that may share ``need`` grams with q: the union of the rarest posting lists
        (pigeonhole: a key sharing ``need`` of q's ``m`` grams is in any ``m - need + 1`` of their
        lists), read rarest first and capped at BUDGET. Returns (keys, truncated)."""
        posts = sorted((self.post.get(g, ()) for g in self.grams(q)), key=len)
        if not posts:
            return set(), False
        k = max(1, len(posts) - need + 1)
        cand: set = set()
        truncated = False
        for lst in posts[:k]:
            if len(cand) + len(lst) > BUDGET:
                if not cand:
                    cand.update(lst[-BUDGET:])  # the newest entries
                truncated = True
                break
            cand.update(lst)
        return cand, truncated

    def match(self, q: str, min_coverage: float = MIN_COVERAGE) -> tuple[list[tuple[Any, str, float]], bool]:
        """(key, text, tier score) of the best candidates for q, and whether candidates were cut."""
        if not q or self.maxlen < min_coverage * len(q):
            return [], False
        need = max(1, math.ceil(min_coverage * len(q)))
        need_grams = need if self.gram == 1 else 1
        cand, truncated = self.candidates(q, need_grams)
        if not cand:
            return [], truncated
        keys = list(cand)
        # map() keeps this at C speed; rapidfuzz skips the None of a key removed meanwhile.
        text = self.text
        choices = text.values_for(keys) if self.ids else list(map(text.get, keys))
        found = process.extract(q, choices, scorer=LCSseq.similarity,
                                score_cutoff=need, limit=None)
        if len(found) > RERANK:
            # Keep the substring matches (best tiers, shortest first) and the best by LCS.
            top = found[0][1]
            group = [f for f in found if f[1] == top] if found[RERANK][1] == top else []
            inside = sorted((f for f in group if q in f[0]), key=lambda f: len(f[0]))[:RERANK]
            seen = {f[2] for f in inside}
            found = inside + [f for f in found[:RERANK] if f[2] not in seen]
        return [(keys[i], s, _tier(q, s, lcs)) for s, lcs, i in found], truncated


# -- the index -----------------------------------------------------------------------------------


@dataclass
class _UnitInfo:
    name: str                       # display name
    refs: int = 0                   # records naming it (proposals, contacts, replies)
    department: Department | None = None


_MISSING = object()


def _mm_add(m: dict, key: Any, value: Any) -> None:
    """Multimap: a single value is stored as itself, two or more in a list (a list of ints is a
    quarter of a set's size). Callers add a (key, value) pair at most once."""
    cur = m.get(key, _MISSING)
    if cur is _MISSING:
        m[key] = value
    elif type(cur) is list:
        cur.append(value)
    else:
        m[key] = [cur, value]


def _mm_remove(m: dict, key: Any, value: Any) -> bool:
    """Remove one value; True when the key has no value left."""
    cur = m.get(key, _MISSING)
    if cur is _MISSING:
        return False
    if type(cur) is list:
        try:
            cur.remove(value)
        except ValueError:
            return False
        if len(cur) == 1:
            m[key] = cur[0]
        return False
    if cur == value:
        del m[key]
        return True
    return False


def _mm_get(m: dict, key: Any) -> Sequence:
    cur = m.get(key, _MISSING)
    if cur is _MISSING:
        return ()
    return cur if type(cur) is list else (cur,)


def _mm_merge(m: Any, fresh: dict[Any, Any]) -> None:
    """_mm_add of every (key, value) in ``fresh``, a multimap or key → list of values (as
    :func:`_group` makes them), for a bulk load: the lists become the multimap's own."""
    if not len(m):
        if type(m) is dict:
            m.update({k: v[0] if type(v) is list and len(v) == 1 else v for k, v in fresh.items()})
        else:
            m.fill(list(fresh), [v[0] if type(v) is list and len(v) == 1 else v for v in fresh.values()])
        return
    for key, values in fresh.items():
        if type(values) is not list:
            values = [values]
        cur = m.get(key, _MISSING)
        if cur is _MISSING:
            m[key] = values[0] if len(values) == 1 else values
        elif type(cur) is list:
            cur.extend(values)
        else:
            m[key] = [cur, *values]


def _mm_group(keys: Iterable, values: Iterable) -> dict[Any, Any]:
    """The multimap of the (key, value) pairs, values in order: for keys that mostly have one
    value (no list made for those, unlike :func:`_group`)."""
    m: dict[Any, Any] = {}
    get = m.get
    for key, value in zip(keys, values):
        cur = get(key, _MISSING)
        if cur is _MISSING:
            m[key] = value
        elif type(cur) is list:
            cur.append(value)
        else:
            m[key] = [cur, value]
    return m


def _group(keys: Iterable, values: Iterable) -> dict[Any, list]:
    """key → list of its values, in order, at C speed (no Python loop)."""
    groups: defaultdict[Any, list] = defaultdict(list)
    deque(map(list.append, map(groups.__getitem__, keys), values), maxlen=0)
    return groups


class SearchIndex:
    """In-memory search over a Repository's proposals, replies, contacts and units.

    Per record kind: the records and their indexed state by id (:class:`_Rows` and
    :class:`_State`: dense ids cost 8 bytes a field), so that a put or delete updates only what
    changed even when the caller changed the record in place. :meth:`load` indexes a whole
    repository in bulk."""

    def __init__(self, aliases: Mapping[str, Sequence[str]] | None = None):
        self._lock = threading.RLock()
        self.aliases: dict[str, tuple[str, ...]] = {}
        for abbr, fragments in (aliases or {}).items():
            key = norm(abbr)
            frags = tuple(f for f in (norm(x) for x in fragments) if f and f != key)
            if key:
                self.aliases[key] = frags
        self._norms: dict[str, str] = {}  # memo of norm() for names that repeat (units, proposers)
        # proposals; state: (number keys, proposer, units, region), the title is in _titles
        self._proposals = _Rows()
        self._p_state = _State(4)
        self._num: dict[str, Any] = {}            # number key → proposal id(s)
        self._titles = _Corpus(gram=2, core=_title_core, cores=_title_cores, ids=True)
        self._proposers = _Corpus(gram=1)
        self._by_proposer: dict[str, Any] = {}
        # replies; state: (proposal id, doc number as printed, units, phone digits)
        self._replies = _Rows()
        self._r_state = _State(4)
        self._replies_of: _Rows | None = None      # proposal id → reply id(s); see _replies_index
        self._docs: dict[str, Any] | None = None   # "year|seq" → reply id(s); see _doc_index
        # contacts; state: (name, unit key, unit, phone digits)
        self._contacts = _Rows()
        self._c_state = _State(4)
        self._names = _Corpus(gram=1)
        self._name_exact: dict[str, Any] = {}
        self._py: dict[str, dict[str, Any]] = {
            kind + suffix: {} for suffix in ("", "_alt") for kind in ("full", "initials", "mixed")}
        self._py_buckets: dict[str, dict[tuple, str]] = {}
        self._contacts_of_unit: dict[str, Any] = {}
        # phones: digits → contact id(s) / reply id(s); 4-digit grams → distinct digit strings
        # (the grams only serve phone queries: made by the first, see _phone_gram_index)
        self._phone_contacts: dict[str, Any] = {}
        self._phone_replies: dict[str, Any] = {}
        self._phone_grams: dict[str, Any] | None = None
        # units and regions
        self._units: dict[str, _UnitInfo] = {}
        self._d_state: dict[int, tuple] = {}
        self._unit_corpus = _Corpus(gram=1)
        self._unit_regions: dict[str, tuple[str, ...]] = {}
        self._units_dirty = True
        self._proposal_regions: dict[str, int] = {}
        self._known_regions: dict[str, str] = {}   # surface form (full or short) → full region
        self._regions_longest_first: list[tuple[str, str]] = []
        self._learned: dict[str, tuple[str, ...]] = {}  # abbreviations taught by Department aliases
        self._repo = None

    # -- building ---------------------------------------------------------------------------

    @classmethod
    def build(cls, repo, aliases: Mapping[str, Sequence[str]] | None = None) -> "SearchIndex":
        """Index every record of ``repo`` and follow its changes from now on."""
        index = cls(aliases)
        index.load(repo)
        index.attach(repo)
        return index

    def load(self, repo) -> None:
        """Index every record currently in ``repo`` (no subscription): in bulk, kind by kind,
        the same entries as putting them one by one.

        The cyclic garbage collector is paused meanwhile: a bulk load makes only acyclic
        containers. After a start-up sized load (FREEZE_MIN records or more) everything alive is
        moved to the collector's permanent generation (``gc.freeze``): the repository's records
        and this index live as long as the process and hold no cycles (reference counting frees
        what a put replaces), yet left to the collector they would be scanned again by the next
        collections of each generation, over a second at 100k proposals, in pauses of up to
        0.5 s that land on whatever runs then (start-up, or the first queries)."""
        paused = gc.isenabled()
        gc.disable()
        count = 0
        try:
            with self._lock:
                for dept in repo.all(Department):
                    self._put(dept)
                self._load_contacts(repo.all(Contact))
                self._load_proposals(repo.all(Proposal))
                self._load_replies(repo.all(Reply))
                self._units_dirty = True
                self._repo = repo
                count = len(self._proposals) + len(self._replies) + len(self._contacts)
        finally:
            if paused:
                if count >= FREEZE_MIN:
                    gc.freeze()
                gc.enable()

    def attach(self, repo) -> None:
        """Keep the index current: every put / delete in ``repo`` updates it."""
        self._repo = repo
        repo.subscribe(self.on_change)

    def on_change(self, op: str, record: Record) -> None:
        """Repository listener: ("put" | "delete", record)."""
        with self._lock:
            if op == "delete":
                self._delete(record)
            else:
                self._put(record)

    def _put(self, record: Record) -> None:
        if record.id is None:
            return
        if isinstance(record, Proposal):
            self._put_proposal(record)
        elif isinstance(record, Contact):
            self._put_contact(record)
        elif isinstance(record, Reply):
            self._put_reply(record)
        elif isinstance(record, Department):
            self._put_department(record)

    def _delete(self, record: Record) -> None:
        if record.id is None:
            return
        if isinstance(record, Proposal):
            self._drop_proposal(record.id)
        elif isinstance(record, Contact):
            self._drop_contact(record.id)
        elif isinstance(record, Reply):
            self._drop_reply(record.id)
        elif isinstance(record, Department):
            self._drop_department(record.id)

    def _norm(self, text: str | None) -> str:
        """norm() memoised for short strings that repeat across records."""
        if not text:
            return ""
        found = self._norms.get(text)
        if found is None:
            found = norm(text)
            if len(self._norms) < 100_000:
                self._norms[text] = found
        return found

    @staticmethod
    def _phone_digits(phones: Sequence[str] | None, memo: dict[str, str] | None = None) -> tuple[str, ...]:
        """The digits of each phone with at least 4 of them (``memo``: phone → digits)."""
        if not phones:
            return ()
        out = []
        for phone in phones:
            digits = memo.get(phone) if memo is not None else None
            if digits is None:
                digits = _digits(phone)
                if memo is not None:
                    memo[phone] = digits
            if len(digits) >= 4:
                out.append(digits)
        return tuple(out)

    @classmethod
    def _phones_of(cls, lists: list) -> list[tuple[str, ...]]:
        """[_phone_digits(phones) for phones in lists], each distinct phone worked out once and
        equal results shared (most records print one phone, which other records repeat)."""
        memo: dict[str, str] = {}
        single: dict[str, tuple[str, ...]] = {}
        out = []
        for phones in lists:
            if not phones:
                out.append(())
            elif len(phones) == 1:
                found = single.get(phones[0])
                if found is None:
                    found = single[phones[0]] = cls._phone_digits(phones, memo)
                out.append(found)
            else:
                out.append(cls._phone_digits(phones, memo))
        return out

    # proposals

    _KEY_CACHE: dict[str, tuple[str, ...]] = {}

    @classmethod
    def _keys_of(cls, printed: str) -> tuple[str, ...]:
        keys = cls._KEY_CACHE.get(printed)
        if keys is None:
            keys = tuple(sorted(number_keys(printed)))
            if len(cls._KEY_CACHE) < 200_000:
                cls._KEY_CACHE[printed] = keys
        return keys

    @staticmethod
    def _units_of(p: Proposal) -> tuple[str, ...]:
        co = p.co_units
        if co:
            return (p.lead_unit, *co)
        return (p.lead_unit,) if p.lead_unit else ()

    def _put_proposal(self, p: Proposal) -> None:
        pid = p.id
        title = norm(p.title)
        state = (self._keys_of(p.number or ""), self._norm(p.proposer), self._units_of(p), p.region or "")
        old = self._p_state.get(pid)
        self._proposals[pid] = p
        if self._titles.text.get(pid, "") != title:
            self._titles.add(pid, title)
        if old == state:
            return
        keys, proposer, units, region = state
        old_keys, old_proposer, old_units, old_region = old or ((), None, (), None)
        if old_keys != keys:
            for key in old_keys:
                _mm_remove(self._num, key, pid)
            for key in keys:
                _mm_add(self._num, key, pid)
        if old_proposer != proposer:
            if old_proposer and _mm_remove(self._by_proposer, old_proposer, pid):
                self._proposers.remove(old_proposer)
            if proposer:
                if proposer not in self._by_proposer:
                    self._proposers.add(proposer, proposer)
                _mm_add(self._by_proposer, proposer, pid)
        if old_units != units:
            self._unit_refs(old_units, -1)
            self._unit_refs(units, +1)
        if old_region != region:
            if old_region:
                self._region_ref(old_region, -1)
            if region:
                self._region_ref(region, +1)
        self._p_state[pid] = state

    def _load_proposals(self, proposals: Iterable[Proposal]) -> None:
        """_put_proposal for every proposal of a repository (unique ids) at once: the same
        entries at a fraction of the cost, column by column with C-speed maps where possible.
        Into an index that already holds proposals they are put one by one."""
        ps = list(proposals)
        pids = [p.id for p in ps]
        if None in pids:
            ps = [p for p in ps if p.id is not None]
            pids = [p.id for p in ps]
        if len(self._p_state) or len(self._proposals):
            for p in ps:
                self._put_proposal(p)
            return
        # Numbers and proposers repeat: each distinct one is worked out once.
        numbers = [p.number or "" for p in ps]
        keys_of = dict.fromkeys(numbers)
        for number in keys_of:
            keys_of[number] = self._keys_of(number)
        keys = list(map(keys_of.__getitem__, numbers))
        raw = [p.proposer for p in ps]
        proposer_of = dict.fromkeys(raw)
        for name in proposer_of:
            proposer_of[name] = self._norm(name)
        proposers = list(map(proposer_of.__getitem__, raw))
        del numbers, keys_of, raw, proposer_of
        # One tuple for equal unit lists; a lone lead unit's tuple is not even made twice.
        shared: dict[Any, tuple] = {}
        units = [shared.setdefault(u := (lead, *co), u) if co
                 else (shared.get(lead) or shared.setdefault(lead, (lead,))) if lead else ()
                 for lead, co in zip([p.lead_unit for p in ps], [p.co_units for p in ps])]
        del shared
        regions = [p.region or "" for p in ps]
        span = _id_span(pids)
        self._proposals.fill(pids, ps, span)
        self._p_state.fill(pids, (keys, proposers, units, regions), span)
        titles = list(map(norm, [p.title for p in ps]))
        if all(titles):
            self._titles.load(pids, titles, span)
        else:
            self._titles.load([pid for pid, t in zip(pids, titles) if t], [t for t in titles if t])
        del titles
        num: dict[str, list] = {}
        for ks, pid in zip(keys, pids):
            for key in ks:
                lst = num.get(key)
                if lst is None:
                    num[key] = [pid]
                else:
                    lst.append(pid)
        _mm_merge(self._num, num)
        by_proposer = _group(proposers, pids)
        by_proposer.pop("", None)
        self._proposers.load(list(by_proposer), list(by_proposer))
        _mm_merge(self._by_proposer, by_proposer)
        for name, count in Counter(itertools.chain.from_iterable(units)).items():
            self._unit_refs((name,), count)
        for region, count in Counter(regions).items():
            if region:
                self._region_ref(region, count)

    def _drop_proposal(self, pid: int) -> None:
        state = self._p_state.pop(pid, None)
        self._proposals.pop(pid, None)
        self._titles.remove(pid)
        if state is None:
            return
        keys, proposer, units, region = state
        for key in keys:
            _mm_remove(self._num, key, pid)
        if proposer and _mm_remove(self._by_proposer, proposer, pid):
            self._proposers.remove(proposer)
        self._unit_refs(units, -1)
        if region:
            self._region_ref(region, -1)

    def _region_ref(self, region: str, delta: int) -> None:
        count = self._proposal_regions.get(region, 0) + delta
        if count > 0:
            self._proposal_regions[region] = count
            if count == delta:
                self._units_dirty = True
        else:
            self._proposal_regions.pop(region, None)
            self._units_dirty = True

    # replies

    @staticmethod
    def _reply_units(r: Reply) -> tuple[str, ...]:
        issuer, signed = r.issuer, r.signed_by
        if issuer:
            return (issuer, signed) if signed else (issuer,)
        return (signed,) if signed else ()

    def _put_reply(self, r: Reply) -> None:
        rid = r.id
        state = (r.proposal_id, r.doc_number or "", self._reply_units(r), self._phone_digits(r.phones))
        old = self._r_state.get(rid)
        self._replies[rid] = r
        if old == state:
            return
        if old is not None:
            self._unindex_reply(rid, old)
        pid, doc, units, phones = state
        if self._replies_of is not None:
            _mm_add(self._replies_of, pid, rid)
        if doc and self._docs is not None and (seq := _doc_seq(doc)):
            _mm_add(self._docs, seq, rid)
        self._unit_refs(units, +1)
        self._index_phones(self._phone_replies, rid, phones, ())
        self._r_state[rid] = state

    def _load_replies(self, replies: Iterable[Reply]) -> None:
        """_put_reply for every reply of a repository at once (as _load_proposals)."""
        rs = [r for r in replies if r.id is not None]
        if len(self._r_state) or len(self._replies):
            for r in rs:
                self._put_reply(r)
            return
        rids = [r.id for r in rs]
        pids = [r.proposal_id for r in rs]
        shared: dict[Any, Any] = {}  # one copy of equal unit tuples and phone tuples
        units = [((i, s) if s else (i,)) if i else ((s,) if s else ())
                 for i, s in zip([r.issuer for r in rs], [r.signed_by for r in rs])]
        units = list(map(shared.setdefault, units, units))
        docs = [r.doc_number or "" for r in rs]
        phones = self._phones_of([r.phones for r in rs])
        del shared
        span = _id_span(rids)
        self._replies.fill(rids, rs, span)
        self._r_state.fill(rids, (pids, docs, units, phones), span)
        if self._replies_of is not None:
            _mm_merge(self._replies_of, _mm_group(pids, rids))
        if self._docs is not None:
            for rid, doc in zip(rids, docs):
                if doc and (seq := _doc_seq(doc)):
                    _mm_add(self._docs, seq, rid)
        for name, count in Counter(itertools.chain.from_iterable(units)).items():
            self._unit_refs((name,), count)
        self._load_phones(self._phone_replies, _mm_group(
            [d for ds in phones for d in ds], [rid for rid, ds in zip(rids, phones) for _ in ds]))

    def _unindex_reply(self, rid: int, state: tuple) -> None:
        pid, doc, units, phones = state
        if self._replies_of is not None:
            _mm_remove(self._replies_of, pid, rid)
        if doc and self._docs is not None and (seq := _doc_seq(doc)):
            _mm_remove(self._docs, seq, rid)
        self._unit_refs(units, -1)
        self._index_phones(self._phone_replies, rid, (), phones)

    def _replies_index(self) -> _Rows:
        """proposal id → reply id(s), for the JSON of a hit (the CLI): made when first needed,
        then kept current."""
        if self._replies_of is None:
            self._replies_of = _Rows()
            pairs = self._r_state.cols[0].items()
            none = _State._NONE
            _mm_merge(self._replies_of, _mm_group([None if pid is none else pid for _, pid in pairs],
                                                  [rid for rid, _ in pairs]))
        return self._replies_of

    def _doc_index(self) -> dict[str, Any]:
        """"year|seq" → reply id(s). Parsing every reply's document number took a tenth of the
        build and only document-number queries need it, so the first of them makes it (0.06 s at
        57k replies); from then on puts and deletes keep it current."""
        docs = self._docs
        if docs is None:
            printed = [(rid, doc) for rid, doc in self._r_state.cols[1].items() if doc]
            rids = [rid for rid, _ in printed]
            seqs = [_doc_seq(doc) for _, doc in printed]
            self._docs = docs = _mm_group(seqs, rids)
            docs.pop("", None)
        return docs

    def _drop_reply(self, rid: int) -> None:
        state = self._r_state.pop(rid, None)
        self._replies.pop(rid, None)
        if state is not None:
            self._unindex_reply(rid, state)

    # contacts

    def _put_contact(self, c: Contact) -> None:
        cid = c.id
        name = norm(c.name)
        state = (name, self._norm(c.unit), c.unit or "", self._phone_digits(c.phones))
        old = self._c_state.get(cid)
        self._contacts[cid] = c
        if old == state:
            return
        if old is not None:
            self._unindex_contact(cid, old)
        name, unit_key, unit, phones = state
        if name:
            self._names.add(cid, name)
            _mm_add(self._name_exact, name, cid)
            pref, alt = _contact_forms(name)
            for suffix, group in (("", pref), ("_alt", alt)):
                for kind, forms in zip(("full", "initials", "mixed"), group):
                    table = self._py[kind + suffix]
                    for form in forms:
                        _mm_add(table, form, cid)
                for form in group[0]:
                    self._py_buckets.setdefault(form[0], {})[(cid, form, bool(suffix))] = form
        if unit_key:
            _mm_add(self._contacts_of_unit, unit_key, cid)
        self._unit_refs((unit,) if unit else (), +1)
        self._index_phones(self._phone_contacts, cid, phones, ())
        self._c_state[cid] = state

    def _load_contacts(self, contacts: Iterable[Contact]) -> None:
        """_put_contact for every contact of a repository at once (as _load_proposals)."""
        cs = [c for c in contacts if c.id is not None]
        if len(self._c_state) or len(self._contacts):
            for c in cs:
                self._put_contact(c)
            return
        cids = [c.id for c in cs]
        names = list(map(norm, [c.name for c in cs]))
        units = [c.unit or "" for c in cs]
        unit_of = dict.fromkeys(units)
        for unit in unit_of:
            unit_of[unit] = self._norm(unit)
        unit_keys = list(map(unit_of.__getitem__, units))
        phones = self._phones_of([c.phones for c in cs])
        span = _id_span(cids)
        self._contacts.fill(cids, cs, span)
        self._c_state.fill(cids, (names, unit_keys, units, phones), span)
        named = [cid for cid, name in zip(cids, names) if name]
        names = [name for name in names if name]
        self._names.load(named, names)
        _mm_merge(self._name_exact, _mm_group(names, named))
        # Pinyin forms (see _contact_form_row), once per distinct name.
        forms_of = dict.fromkeys(names)
        for name in forms_of:
            forms_of[name] = _contact_form_row(name)
        forms = list(map(forms_of.__getitem__, names))
        del forms_of
        for i, kind in enumerate(("full", "initials", "mixed")):
            _mm_merge(self._py[kind], _mm_group([f[i] for f in forms], named))
            _mm_merge(self._py[kind + "_alt"], _mm_group([form for f in forms for form in f[i + 3]],
                                                         [cid for cid, f in zip(named, forms) for _ in f[i + 3]]))
        buckets = self._py_buckets
        for cid, f in zip(named, forms):
            form = f[0]
            buckets.setdefault(form[0], {})[(cid, form, False)] = form
            for form in f[3]:
                buckets.setdefault(form[0], {})[(cid, form, True)] = form
        of_unit = _group(unit_keys, cids)
        of_unit.pop("", None)
        _mm_merge(self._contacts_of_unit, of_unit)
        for unit, count in Counter(units).items():
            if unit:
                self._unit_refs((unit,), count)
        self._load_phones(self._phone_contacts, _mm_group(
            [d for ds in phones for d in ds], [cid for cid, ds in zip(cids, phones) for _ in ds]))

    def _unindex_contact(self, cid: int, state: tuple) -> None:
        name, unit_key, unit, phones = state
        if name:
            self._names.remove(cid)
            _mm_remove(self._name_exact, name, cid)
            pref, alt = _contact_forms(name)
            for suffix, group in (("", pref), ("_alt", alt)):
                for kind, forms in zip(("full", "initials", "mixed"), group):
                    for form in forms:
                        _mm_remove(self._py[kind + suffix], form, cid)
                for form in group[0]:
                    self._py_buckets.get(form[0], {}).pop((cid, form, bool(suffix)), None)
        if unit_key:
            _mm_remove(self._contacts_of_unit, unit_key, cid)
        self._unit_refs((unit,) if unit else (), -1)
        self._index_phones(self._phone_contacts, cid, (), phones)

    def _drop_contact(self, cid: int) -> None:
        state = self._c_state.pop(cid, None)
        self._contacts.pop(cid, None)
        if state is not None:
            self._unindex_contact(cid, state)

    # phones

    def _has_phone(self, digits: str) -> bool:
        return digits in self._phone_contacts or digits in self._phone_replies

    def _phone_gram_refs(self, digits: str, delta: int) -> None:
        grams = self._phone_grams
        if grams is None:
            return
        for i in range(len(digits) - 3):
            if delta > 0:
                _mm_add(grams, digits[i:i + 4], digits)
            else:
                _mm_remove(grams, digits[i:i + 4], digits)

    def _index_phones(self, refs: dict, ref: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        """``refs`` (_phone_contacts or _phone_replies) gains / loses ``ref`` under each digits;
        the 4-digit grams follow the set of distinct digit strings."""
        for digits in remove:
            if _mm_remove(refs, digits, ref) and not self._has_phone(digits):
                self._phone_gram_refs(digits, -1)
        for digits in add:
            if not self._has_phone(digits):
                self._phone_gram_refs(digits, +1)
            _mm_add(refs, digits, ref)

    def _load_phones(self, refs: dict, fresh: dict[str, Any]) -> None:
        """_index_phones for many refs at once: ``fresh`` maps digits → new ref(s)."""
        if self._phone_grams is not None:
            contacts, replies = self._phone_contacts, self._phone_replies
            self._add_phone_grams([d for d in fresh if d not in contacts and d not in replies])
        _mm_merge(refs, fresh)

    def _add_phone_grams(self, new: list[str]) -> None:
        grams = [d[i:i + 4] for d in new for i in range(len(d) - 3)]
        _mm_merge(self._phone_grams, _group(grams, itertools.chain.from_iterable(
            map(itertools.repeat, new, [max(0, len(d) - 3) for d in new]))))

    def _phone_gram_index(self) -> dict[str, Any]:
        """4-digit gram → the distinct digit strings holding it. Only phone queries read it, so
        the first of them builds it; from then on puts and deletes keep it current."""
        if self._phone_grams is None:
            self._phone_grams = {}
            self._add_phone_grams(list(dict.fromkeys(itertools.chain(self._phone_contacts, self._phone_replies))))
        return self._phone_grams

    # departments and units

    def _put_department(self, d: Department) -> None:
        state = (norm(d.name), d.name.strip())
        old = self._d_state.get(d.id)  # type: ignore[arg-type]
        if old is not None and old[0] != state[0]:
            self._release_department(old[0])
        self._d_state[d.id] = state  # type: ignore[index]
        if state[0]:
            info = self._units.setdefault(state[0], _UnitInfo(state[1]))
            info.department = d
            info.name = state[1]
        self._units_dirty = True

    def _release_department(self, key: str) -> None:
        info = self._units.get(key)
        if info is not None:
            info.department = None
            if info.refs <= 0:
                del self._units[key]
        self._units_dirty = True

    def _drop_department(self, did: int) -> None:
        old = self._d_state.pop(did, None)
        if old is not None:
            self._release_department(old[0])

    def _unit_refs(self, names: Iterable[str], delta: int) -> None:
        units = self._units
        for name in names:
            key = self._norm(name)
            if not key:
                continue
            info = units.get(key)
            if info is None:
                if delta < 0:
                    continue
                info = units[key] = _UnitInfo(name.strip())
                self._units_dirty = True
            info.refs += delta
            if info.refs <= 0 and info.department is None:
                del units[key]
                self._units_dirty = True

    def _refresh_units(self) -> None:
        """Re-derive the unit forms (name, name without region, aliases) after the set of units or
        regions changed. A few thousand short strings: milliseconds, and only after such writes."""
        if not self._units_dirty:
            return
        prefix_count: dict[str, int] = {}
        for key in self._units:
            m = _REGION_PREFIX.match(key)
            if m:
                prefix_count[m.group(1)] = prefix_count.get(m.group(1), 0) + 1
        regions = {norm(r) for r in self._proposal_regions if norm(r)}
        # A short prefix (晋城市, 城区) is a region when one unit starts with it; a longer one
        # (中共晋城市) only when several do and it does not start like a party or state organ.
        regions.update(p for p, n in prefix_count.items()
                       if len(p) <= 4 or (n >= 2 and not p.startswith(("中共", "中国", "共青团"))))
        known: dict[str, str] = {}
        for region in regions:
            known[region] = region
        for region in regions:
            short = region[:-1]
            if len(region) >= 3 and region[-1] in "市县区" and short not in known:
                known[short] = region
        self._known_regions = known
        self._regions_longest_first = sorted(known.items(), key=lambda kv: -len(kv[0]))
        forms: list[tuple[str, str]] = []  # (unit key, form name)
        texts: list[str] = []
        unit_regions: dict[str, tuple[str, ...]] = {}
        learned: dict[str, set[str]] = {}
        for key, info in self._units.items():
            forms.append((key, "name"))
            texts.append(key)
            found, rest = self._split_region(key, full_only=True)
            unit_regions[key] = found
            if found and rest:
                forms.append((key, "rest"))
                texts.append(rest)
            if info.department is not None:
                for i, alias in enumerate(info.department.aliases):
                    a = norm(alias)
                    if a and a != key:
                        forms.append((key, f"alias{i}"))
                        texts.append(a)
                        if found and rest:
                            self._learn_abbreviation(a, rest, learned)
        corpus = _Corpus(gram=1)
        corpus.load(forms, texts)
        self._unit_corpus = corpus
        self._learned = {abbr: tuple(sorted(frags)) for abbr, frags in learned.items()
                         if abbr not in self.aliases}
        self._unit_regions = unit_regions
        self._units_dirty = False

    def _learn_abbreviation(self, alias: str, rest: str, learned: dict[str, set[str]]) -> None:
        """A Department alias teaches an abbreviation for its kind of unit everywhere:
        临汾市自然资源和规划局 with alias 临汾规自局 (or 市规自局) → 规自局 means 自然资源和规划局."""
        _, short = self._split_region(alias)
        if short == alias and len(alias) > 2 and alias[0] in "市县区":
            short = alias[1:]
        if len(short) >= 2 and short != rest and short not in rest and len(rest) > len(short):
            learned.setdefault(short, set()).add(rest)

    def _split_region(self, s: str, full_only: bool = False) -> tuple[tuple[str, ...], str]:
        """Leading known regions (晋城市, 高平市, or 晋城 / 高平 in a query) and the rest."""
        found: list[str] = []
        known = self._known_regions
        while s:
            for length in range(min(7, len(s) - 1), 1, -1):
                head = s[:length]
                full = known.get(head)
                if full is not None and (not full_only or full == head):
                    found.append(full)
                    s = s[length:]
                    break
            else:
                break
        return tuple(found), s

    def _unit_record(self, key: str) -> Department:
        info = self._units[key]
        if info.department is not None:
            return info.department
        return Department(name=info.name, aliases=[])

    # -- searching -----------------------------------------------------------------------------

    def search(self, text: str, kinds: Iterable[str] | None = None, limit: int = 8) -> SearchResult:
        """Best records for what a person typed. ``kinds`` limits to proposal / contact / unit."""
        query, reason = clean_query(text)
        if reason:
            return SearchResult(query=text or "", hits=[], reason=reason)
        wanted = set(kinds or KINDS)
        with self._lock:
            self._refresh_units()
            found = _Found(limit)
            number = self._search_number(query, wanted, found)
            qn = norm(query)
            self._search_phone(query, wanted, found)
            if _DOC_NUMBER.match(query) and "proposal" in wanted:
                self._search_doc_number(query, found)
            elif not number and qn:
                if _LATIN_ONLY.match(query):
                    if "contact" in wanted:
                        self._search_pinyin(qn, found)
                elif not qn.isdigit():
                    regions, rest = self._split_region(qn)
                    if "contact" in wanted:
                        self._search_names(qn, found)
                    if "unit" in wanted or "contact" in wanted:
                        unit_hits = self._search_units(qn, regions, rest)
                        if "unit" in wanted:
                            for key, (score, match) in unit_hits.items():
                                info = self._units[key]
                                found.add("unit", self._unit_record(key), self._below_holders(key, score, unit_hits),
                                          match, (-info.refs, info.name))
                        if wanted == {"contact"}:
                            self._contacts_by_unit(unit_hits, found)
                    if "proposal" in wanted:
                        self._search_proposal_text(qn, regions, rest, found)
            return found.result(text, limit)

    def _below_holders(self, key: str, score: float, hits: dict[str, tuple[float, str]]) -> float:
        """An empty unit (nothing names it) never ranks above a unit it duplicates that holds
        items (the letter's full name beside the list's short one)."""
        info = self._units[key]
        if info.refs > 0:
            return score
        for other, (other_score, _) in hits.items():
            held = self._units[other]
            if other != key and held.refs > 0 and other_score <= score and same_unit_names(info.name, held.name):
                score = other_score - 0.5
        return score

    def find_contacts(self, text: str, limit: int = 8) -> SearchResult:
        return self.search(text, ("contact",), limit)

    def find_units(self, text: str, limit: int = 8) -> SearchResult:
        return self.search(text, ("unit",), limit)

    def find_proposals(self, text: str, limit: int = 8) -> SearchResult:
        return self.search(text, ("proposal",), limit)

    # numbers, phones, document numbers

    def _search_number(self, query: str, wanted: set[str], found: "_Found") -> bool:
        """Exact number look-up, narrowed or ranked by any session, region and body in the
        query. Near misses (1250 → 125, 1205) come back as suggestions. True when the query is a
        number (no text search then)."""
        parsed = self._parse_number(query)
        if parsed is None:
            return False
        if "proposal" not in wanted:
            return True
        key, region, body, term, meeting = parsed
        ids = _mm_get(self._num, key)
        for pid in ids:
            p = self._proposals[pid]
            score = S_EXACT
            for want, have in ((region, p.region), (body, p.body), (term, p.term), (meeting, p.meeting)):
                if want is not None and want != have:
                    score -= SESSION_MISMATCH
            if p.number_key != key:
                score -= 1.0  # answers through its year-prefixed sequence only
            found.add("proposal", p, score, "number", _newest(p))
        if not ids:
            for near in _near_keys(key):
                for pid in _mm_get(self._num, near)[-found.limit:]:
                    p = self._proposals[pid]
                    found.add("proposal", p, S_NEAR_NUMBER - 1.0 if p.number_key != near else S_NEAR_NUMBER,
                              "number", _newest(p))
        return True

    def _parse_number(self, query: str) -> tuple | None:
        text = unicodedata.normalize("NFKC", query)
        region = None
        for surface, full in self._regions_longest_first:
            if surface in text and full in self._proposal_regions:
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

    def _search_phone(self, query: str, wanted: set[str], found: "_Found") -> None:
        if not _PHONE_QUERY.match(query):
            return
        digits = _digits(query)
        if len(digits) < 4:
            return
        index = self._phone_gram_index()
        grams = [_mm_get(index, digits[i:i + 4]) for i in range(len(digits) - 3)]
        for phone in min(grams, key=len):
            if digits == phone:
                score = S_EXACT
            elif digits in phone:
                if phone.endswith(digits) and len(digits) >= 7:
                    score = S_PHONE_SUFFIX
                else:
                    score = 60.0 + 30.0 * len(digits) / len(phone)
            else:
                continue
            if "contact" in wanted:
                for cid in _mm_get(self._phone_contacts, phone):
                    found.add("contact", self._contacts[cid], score, "phone", (cid,))
            if "proposal" in wanted:
                for rid in _mm_get(self._phone_replies, phone):
                    # The phone printed on a reply: a lead to the proposal, never an answer.
                    p = self._proposals.get(self._replies[rid].proposal_id)
                    if p is not None:
                        found.add("proposal", p, score - 30.0, "phone", _newest(p))

    def _search_doc_number(self, query: str, found: "_Found") -> None:
        key = _doc_key(query)
        if not key:
            return
        code, seq = key
        for rid in _mm_get(self._doc_index(), seq):
            reply = self._replies[rid]
            p = self._proposals.get(reply.proposal_id)
            if p is None:
                continue
            if not code:
                score = 85.0  # no issuer code typed: every reply with that year and number
            else:
                have = _doc_key(reply.doc_number or "")
                have = have[0] if have else ""
                if have == code:
                    score = S_EXACT
                else:
                    score = 50.0 + 35.0 * LCSseq.normalized_similarity(code, have)
            found.add("proposal", p, score, "doc_number", _newest(p))

    # names and pinyin

    def _search_pinyin(self, qn: str, found: "_Found") -> None:
        q = qn.lower()
        for kind, score in (("full", S_PINYIN), ("mixed", S_PINYIN_MIXED), ("initials", S_INITIALS)):
            for suffix, penalty in (("", 0.0), ("_alt", ALT_READING_PENALTY)):
                for cid in _mm_get(self._py[kind + suffix], q):
                    found.add("contact", self._contacts[cid], score - penalty, f"pinyin:{kind}", (cid,))
        bucket = self._py_buckets.get(q[0], {})
        if len(q) >= 3:
            for _, ratio, (cid, _, alt) in process.extract(q, bucket, scorer=fuzz.ratio, score_cutoff=80, limit=20):
                found.add("contact", self._contacts[cid], ratio - 12.0 - alt * ALT_READING_PENALTY, "pinyin", (cid,))
            if len(bucket) < 5000:
                for (cid, form, alt) in [k for k, f in bucket.items() if f.startswith(q) and f != q]:
                    score = 80.0 + 10.0 * len(q) / len(form) - alt * ALT_READING_PENALTY
                    found.add("contact", self._contacts[cid], score, "pinyin", (cid,))

    def _search_names(self, qn: str, found: "_Found") -> None:
        for cid in _mm_get(self._name_exact, qn):
            found.add("contact", self._contacts[cid], S_EXACT, "name", (cid,))
        if _HAN.search(qn):
            for form in _query_pinyin(qn):
                for suffix, penalty in (("", 0.0), ("_alt", ALT_READING_PENALTY)):
                    for cid in _mm_get(self._py["full" + suffix], form):
                        found.add("contact", self._contacts[cid], S_HOMOPHONE - penalty, "pinyin", (cid,))
        matches, truncated = self._names.match(qn)
        found.truncated |= truncated
        for cid, _, score in matches:
            found.add("contact", self._contacts[cid], score, "name", (cid,))

    def _contacts_by_unit(self, unit_hits: dict[str, tuple[float, str]], found: "_Found") -> None:
        for key, (score, _) in sorted(unit_hits.items(), key=lambda kv: -kv[1][0])[:3]:
            for cid in _mm_get(self._contacts_of_unit, key):
                found.add("contact", self._contacts[cid], score - 10.0, "unit", (cid,))

    # units

    def _variants(self, q: str, learned: bool = True) -> list[tuple[str, float]]:
        """q itself, and q with an abbreviation replaced by each of its fragments: the config's
        alias table first, then abbreviations learned from Department aliases (at most 8)."""
        out = [(q, 0.0)]
        tables = (self.aliases, self._learned) if learned else (self.aliases,)
        for table in tables:
            for abbr, fragments in table.items():
                if abbr in q:
                    for frag in fragments:
                        out.append((q.replace(abbr, frag, 1), ALIAS_PENALTY))
        return out[:8]

    def _search_units(self, qn: str, regions: tuple[str, ...], rest: str) -> dict[str, tuple[float, str]]:
        """unit key → (score, match). A region at the start of the query is compared with the
        unit's region, never scored as text (晋城市XX局 must not match every 晋城市 unit)."""
        best: dict[str, tuple[float, str]] = {}
        qregion = regions[-1] if regions else None
        queries = [(v, p, False) for v, p in self._variants(qn)]
        if qregion and rest:
            queries += [(v, p, True) for v, p in self._variants(rest)]
        corpus = self._unit_corpus
        for variant, penalty, stripped_query in queries:
            matches, _ = corpus.match(variant)
            for (key, form), s, score in matches:
                uregions = self._unit_regions.get(key, ())
                if form == "rest":
                    score = S_STRIPPED_EXACT if score >= 100 else score - STRIPPED_PENALTY
                elif form != "name" and score >= 100:
                    score = S_ALIAS
                if qregion:
                    if uregions:
                        # Compare like with like: region-less query with region-less forms.
                        if stripped_query and form == "name":
                            continue
                        if not stripped_query and form == "rest":
                            continue
                        if qregion not in uregions:
                            score -= REGION_MISMATCH
                    elif qregion not in key:
                        score -= REGION_MISMATCH / 2
                score -= penalty
                match = "alias" if (penalty or form.startswith("alias")) else "name"
                if score > best.get(key, (0.0, ""))[0]:
                    best[key] = (score, match)
        return best

    # proposal text

    def _search_proposal_text(self, qn: str, regions: tuple[str, ...], rest: str, found: "_Found") -> None:
        qregion = regions[-1] if regions else None
        # With a region in front, match the rest of the query and compare regions.
        queries = [(rest, qregion)] if qregion and len(rest) >= 2 else [(qn, None)]
        for q, region in queries:
            matches, truncated = self._titles.match(q)
            found.truncated |= truncated
            for pid, _, score in matches:
                p = self._proposals.get(pid)
                if p is None:
                    continue
                if region is not None and norm(p.region) != region:
                    score -= REGION_MISMATCH
                found.add("proposal", p, score, "title", _newest(p))
        for variant, penalty in self._variants(qn, learned=False):
            matches, truncated = self._proposers.match(variant)
            found.truncated |= truncated
            # Best proposers first; enough of their latest proposals to fill the choices.
            room = 3 * found.limit
            for proposer, _, score in sorted(matches, key=lambda m: -m[2]):
                if room <= 0:
                    break
                ids = _mm_get(self._by_proposer, proposer)[-found.limit:]
                room -= len(ids)
                for pid in ids:
                    p = self._proposals[pid]
                    found.add("proposal", p, score - penalty, "proposer", _newest(p))

    # -- JSON ----------------------------------------------------------------------------------

    def hit_to_json(self, hit: Hit) -> dict[str, Any]:
        return {
            "kind": hit.kind,
            "score": round(hit.score, 1),
            "match": hit.match,
            "record": record_to_json(hit.kind, hit.record, self._contacts, self._replies_for(hit)),
        }

    def _replies_for(self, hit: Hit) -> list[Reply] | None:
        if hit.kind != "proposal":
            return None
        ids = _mm_get(self._replies_index(), hit.record.id)
        return sorted((self._replies[i] for i in ids), key=lambda r: r.reply_date or "")

    def result_to_json(self, result: SearchResult) -> dict[str, Any]:
        return {
            "query": result.query,
            "results": [self.hit_to_json(h) for h in result.hits],
            "certain": result.certain,
            "reason": result.reason,
            "suggestions": [self.hit_to_json(h) for h in result.suggestions],
        }

    def stats(self) -> dict[str, int]:
        with self._lock:
            self._refresh_units()
            return {
                "proposals": len(self._proposals), "replies": len(self._replies),
                "contacts": len(self._contacts), "units": len(self._units),
                "regions": len(self._known_regions), "title_bigrams": len(self._titles.post),
            }


class _Found:
    """Collects hits, one per record (best score wins), and ranks them."""

    def __init__(self, limit: int = 8) -> None:
        self.hits: dict[tuple, Hit] = {}
        self.truncated = False
        self.limit = max(1, limit)

    def add(self, kind: str, record: Record, score: float, match: str, order: tuple) -> None:
        if score < SUGGEST_CUTOFF:
            return
        hit = Hit(kind, min(100.0, score), record, match, order)
        key = hit.key
        old = self.hits.get(key)
        if old is None or hit.score > old.score:
            self.hits[key] = hit

    def result(self, query: str, limit: int) -> SearchResult:
        kind_rank = {"contact": 0, "unit": 1, "proposal": 2}  # a person before the proposals they filed
        ranked = sorted(self.hits.values(), key=lambda h: (-h.score, kind_rank[h.kind], h.order))
        good = [h for h in ranked if h.score >= RESULT_CUTOFF][:limit]
        if not good:
            near = ranked[:limit]
            reason = "没有找到可靠的匹配。" + ("以下是相近的结果，请确认。" if near else "请换个说法，或输入案号、单位简称、姓名、拼音或电话。")
            return SearchResult(query=query, hits=[], certain=False, reason=reason, suggestions=near)
        top = good[0]
        runner_up = ranked[1].score if len(ranked) > 1 else 0.0
        certain = (
            top.score >= CERTAIN_MIN
            and top.score - runner_up >= CERTAIN_MARGIN
            and (not self.truncated or top.score >= S_EXACT)
        )
        return SearchResult(query=query, hits=good, certain=certain)


def _newest(p: Proposal) -> tuple:
    return (-(p.term or 0), -(p.meeting or 0), p.region or "", -(p.id or 0))


def _near_keys(key: str) -> set[str]:
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
    return _DOC_NUMBER.match(unicodedata.normalize("NFKC", text).strip())


def _doc_key(text: str) -> tuple:
    """高发改发〔2025〕85号 → ("高发改发", "2025|85"); () when it is not a document number."""
    m = _doc_match(text)
    if not m:
        return ()
    return (norm(m.group("prefix")), f"{m.group('year')}|{int(m.group('seq'))}")


def _doc_seq(text: str) -> str:
    """高发改发〔2025〕85号 → "2025|85", what the index keys replies by; "" when it is not a
    document number. The issuer code is compared at query time."""
    m = _doc_match(text)
    return f"{m.group('year')}|{int(m.group('seq'))}" if m else ""


# -- JSON for the CLI and handlers ---------------------------------------------------------------


def record_to_json(kind: str, record: Record, contacts: Mapping[int, Contact] | None = None,
                   replies: Sequence[Reply] | None = None) -> dict[str, Any]:
    """A record as JSON with glossary keys. Proposals list their handlers (name, unit, phones)
    when ``contacts`` is given, and their replies when ``replies`` is given."""
    if kind == "proposal":
        p: Proposal = record  # type: ignore[assignment]
        handlers = []
        for cid in p.handlers:
            c = (contacts or {}).get(cid)
            if c is not None:
                handlers.append({"id": c.id, "name": c.name, "unit": c.unit, "phones": list(c.phones)})
        out: dict[str, Any] = {
            "id": p.id, "body": p.body, "region": p.region, "term": p.term, "meeting": p.meeting,
            "session": p.session_label, "number": p.number, "title": p.title, "proposer": p.proposer,
            "lead_unit": p.lead_unit, "co_units": list(p.co_units),
            "assigned_date": p.assigned_date, "due_date": p.due_date, "complex": p.complex,
            "extension_days": p.extension_days, "state": p.state,
            "state_label": STATE_LABELS.get(p.state, p.state), "handlers": handlers,
            "feedback": p.feedback, "feedback_date": p.feedback_date,
            "follow_up_date": p.follow_up_date, "warnings": list(p.warnings),
        }
        if replies is not None:
            out["replies"] = [
                {"id": r.id, "issuer": r.issuer, "signed_by": r.signed_by, "doc_number": r.doc_number,
                 "classification": r.classification, "reply_date": r.reply_date,
                 "handlers": list(r.handlers), "leader": r.leader, "phones": list(r.phones),
                 "warnings": list(r.warnings)}
                for r in replies
            ]
        return out
    if kind == "contact":
        c: Contact = record  # type: ignore[assignment]
        return {"id": c.id, "name": c.name, "unit": c.unit, "phones": list(c.phones)}
    if kind == "unit":
        d: Department = record  # type: ignore[assignment]
        return {"id": d.id, "name": d.name, "aliases": list(d.aliases)}
    raise ValueError(f"unknown kind {kind!r}")


def result_to_json(index: SearchIndex, result: SearchResult) -> dict[str, Any]:
    return index.result_to_json(result)


def _aliases_of(config) -> Mapping[str, Sequence[str]]:
    return getattr(config, "aliases", None) or {}


def run_find(query: str, repo, config=None, kinds: Iterable[str] | None = None,
             limit: int = 8) -> dict[str, Any]:
    """`proposal-bot find TEXT --json`: one JSON object
    {"query", "results": [{"kind", "score", "match", "record"}], "certain", "reason", "suggestions"}."""
    index = SearchIndex(_aliases_of(config))
    index.load(repo)
    return index.result_to_json(index.search(query, kinds, limit))


def run_contact(query: str, repo, config=None, limit: int = 8) -> dict[str, Any]:
    """`proposal-bot contact TEXT --json`: as run_find, contacts only."""
    return run_find(query, repo, config, ("contact",), limit)
