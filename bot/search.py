"""Fuzzy look-up that staff can trust: proposals, contacts and units.

One in-memory :class:`SearchIndex` over the repository's records, kept current through
``Repository.subscribe`` (each put / delete updates only the entries of that record):

- proposals: number (exact after ``number_key``, near misses only as suggestions), title
  (bigram index), proposer, and replies' document numbers and phones;
- contacts: name, full pinyin (every reading of the surname), pinyin initials, phones (digit
  substring), unit;
- units: ``Department`` records (name and aliases) plus every unit name used by proposals
  (lead / co-units), contacts and replies (issuer, signed_by).

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
import re
import threading
import unicodedata
from dataclasses import dataclass, field
from typing import Any, Iterable, Mapping, Sequence

from pypinyin import Style, pinyin
from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from bot.model import STATE_LABELS, Contact, Department, Proposal, Record, Reply
from bot.numbers import CN_NUMERAL_CHARS, body_of, number_key, number_keys, parse_session

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


def _digits(text: str) -> str:
    return "".join(ch for ch in unicodedata.normalize("NFKC", text) if ch.isdigit())


def _bigrams(s: str) -> set[str]:
    if len(s) < 2:
        return {s} if s else set()
    return {a + b for a, b in zip(s, s[1:])}


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


def _name_combos(name: str, cap: int = 16) -> tuple[int, list[tuple[str, ...]]]:
    """(surname length, reading combinations), the preferred one first: the surname's own
    reading (单 shan, 曾 zeng, ...) or the character's common one, then every other reading of
    the surname and of the given name, up to ``cap`` combinations."""
    chars = norm(name)
    if not chars:
        return 0, []
    split = 2 if chars[:2] in _COMPOUND_SURNAMES or chars[:2] in COMPOUND_SURNAME_READINGS else 1
    per_char: list[tuple[str, ...]] = []
    compound = COMPOUND_SURNAME_READINGS.get(chars[:2]) if split == 2 else None
    for i, ch in enumerate(chars):
        readings = _readings(ch)
        if i < split:
            own = SURNAME_READINGS.get(ch) if split == 1 else None
            if own:
                readings = (own, *(r for r in readings if r != own))
        per_char.append(readings)
    combos = list(itertools.islice(itertools.product(*per_char), cap))
    if compound:
        combos.insert(0, (compound, "", *(r[0] for r in per_char[2:])))
    return split, combos


def _forms(split: int, combo: tuple[str, ...]) -> tuple[str, str, str]:
    full = "".join(combo)
    initials = "".join(r[0] for r in combo if r)
    mixed = "".join(combo[:split]) + "".join(r[0] for r in combo[split:] if r)
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
    first = _forms(split, combos[0])
    pref = ({first[0]}, {first[1]}, {first[2]})
    alt: tuple[set[str], set[str], set[str]] = (set(), set(), set())
    for combo in combos[1:]:
        for group, form, own in zip(alt, _forms(split, combo), first):
            if form != own:
                group.add(form)
    return pref, alt


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


_TITLE_FRAME = re.compile(r"^关于|的?(?:建议|提案|议案|意见)$")


def _title_core(title: str) -> str:
    """The part of a title worth indexing: 关于…的建议 frames nearly every title, so its bigrams
    would select nothing (titles are still scored in full)."""
    return _TITLE_FRAME.sub("", title)


class _Corpus:
    """key → normalised string, with a posting list per character (gram=1) or bigram (gram=2).

    Posting lists only grow; an updated or removed key leaves stale entries behind, which cost a
    little candidate work (every candidate is scored against its current text) until the lists
    are compacted, once the stale entries outnumber the live ones."""

    def __init__(self, gram: int, core=None):
        self.gram = gram
        self.core = core  # what part of a text to index (all of it by default)
        self.text: dict[Any, str] = {}
        self.post: dict[str, list] = {}
        self.stale = 0
        self.maxlen = 0

    def grams(self, s: str) -> set[str]:
        return set(s) if self.gram == 1 else _bigrams(s)

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
        g = self.core(s) if self.core else s
        grams = set(g) if self.gram == 1 or len(g) < 2 else {a + b for a, b in zip(g, g[1:])}
        for g in grams:
            lst = post.get(g)
            if lst is None:
                post[g] = [key]
            else:
                lst.append(key)
        if len(s) > self.maxlen:
            self.maxlen = len(s)
        if self.stale > 1000:
            self._maybe_compact()

    def remove(self, key: Any) -> None:
        if self.text.pop(key, None) is not None:
            self.stale += 1
            self._maybe_compact()

    def _maybe_compact(self) -> None:
        if self.stale > 1000 and self.stale > len(self.text):
            items = list(self.text.items())
            self.text, self.post, self.stale, self.maxlen = {}, {}, 0, 0
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
        found = process.extract(q, list(map(self.text.get, keys)), scorer=LCSseq.similarity,
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


class SearchIndex:
    """In-memory search over a Repository's proposals, replies, contacts and units."""

    def __init__(self, aliases: Mapping[str, Sequence[str]] | None = None):
        self._lock = threading.RLock()
        self.aliases: dict[str, tuple[str, ...]] = {}
        for abbr, fragments in (aliases or {}).items():
            key = norm(abbr)
            frags = tuple(f for f in (norm(x) for x in fragments) if f and f != key)
            if key:
                self.aliases[key] = frags
        self._norms: dict[str, str] = {}  # memo of norm() for names that repeat (units, proposers)
        self._shared: dict[Any, Any] = {}  # one copy of values that repeat (unit tuples, digits)
        # proposals
        self._proposals: dict[int, Proposal] = {}
        self._p_state: dict[int, tuple] = {}
        self._num: dict[str, Any] = {}            # number key → proposal id(s)
        self._titles = _Corpus(gram=2, core=_title_core)
        self._proposers = _Corpus(gram=1)
        self._by_proposer: dict[str, Any] = {}
        # replies
        self._replies: dict[int, Reply] = {}
        self._r_state: dict[int, tuple] = {}
        self._replies_of: dict[int, Any] = {}
        self._docs: dict[tuple, Any] = {}          # (code, year, seq) and (year, seq) → reply id(s)
        # contacts
        self._contacts: dict[int, Contact] = {}
        self._c_state: dict[int, tuple] = {}
        self._names = _Corpus(gram=1)
        self._name_exact: dict[str, Any] = {}
        self._py: dict[str, dict[str, Any]] = {
            kind + suffix: {} for kind in ("full", "initials", "mixed") for suffix in ("", "_alt")}
        self._py_buckets: dict[str, dict[tuple, str]] = {}
        self._contacts_of_unit: dict[str, Any] = {}
        # phones: digits → refs ("contact" | "reply", id); 4-digit grams → distinct digit strings
        self._phone_refs: dict[str, Any] = {}
        self._phone_grams: dict[str, Any] = {}
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
        """Index every record currently in ``repo`` (no subscription). The cyclic garbage
        collector is paused meanwhile: a bulk load makes only acyclic containers."""
        paused = gc.isenabled()
        gc.disable()
        try:
            with self._lock:
                for dept in repo.all(Department):
                    self._put(dept)
                for contact in repo.all(Contact):
                    self._put(contact)
                self._load_proposals(repo.all(Proposal))
                for reply in repo.all(Reply):
                    self._put(reply)
                self._units_dirty = True
                self._repo = repo
        finally:
            if paused:
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
            if found == text:
                found = text
            if len(self._norms) < 100_000:
                self._norms[text] = found
        return found

    def _share(self, value: Any) -> Any:
        """The one stored copy of an equal value (tuples of unit names, phone digits)."""
        found = self._shared.get(value)
        if found is None:
            if len(self._shared) >= 200_000:
                return value
            self._shared[value] = found = value
        return found

    def _phone_digits(self, phones: Sequence[str]) -> tuple[str, ...]:
        if not phones:
            return ()
        out = []
        for phone in phones:
            digits = self._shared.get(("tel", phone))
            if digits is None:
                digits = self._share(_digits(phone))
                if len(self._shared) < 200_000:
                    self._shared[("tel", phone)] = digits
            if len(digits) >= 4:
                out.append(digits)
        return self._share(tuple(out))

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

    def _put_proposal(self, p: Proposal) -> None:
        pid = p.id
        title = norm(p.title)
        if title == p.title:
            title = p.title  # share the record's string
        units = self._share((p.lead_unit, *p.co_units) if p.co_units else ((p.lead_unit,) if p.lead_unit else ()))
        state = (self._keys_of(p.number or ""), title, self._norm(p.proposer), units, p.region or "")
        old = self._p_state.get(pid)
        self._proposals[pid] = p  # type: ignore[index]
        if old == state:
            return
        keys, title, proposer, _, region = state
        old_keys, old_title, old_proposer, old_units, old_region = old or ((), None, None, (), None)
        if old_keys != keys:
            for key in old_keys:
                _mm_remove(self._num, key, pid)
            for key in keys:
                _mm_add(self._num, key, pid)
        if old_title != title:
            self._titles.add(pid, title)
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
        self._p_state[pid] = state  # type: ignore[index]

    def _load_proposals(self, proposals: Iterable[Proposal]) -> None:
        """_put_proposal for many new proposals at once: the same entries, less work per record
        (a third of the start-up time goes here)."""
        p_state, records, num = self._p_state, self._proposals, self._num
        by_proposer, proposers = self._by_proposer, self._proposers
        titles_text, post = self._titles.text, self._titles.post
        keys_of, norm_name, share = self._keys_of, self._norm, self._share
        unit_counts: dict[tuple, int] = {}
        region_counts: dict[str, int] = {}
        maxlen = self._titles.maxlen
        for p in proposals:
            pid = p.id
            if pid is None:
                continue
            if pid in p_state:
                self._put_proposal(p)
                continue
            title = norm(p.title)
            if title == p.title:
                title = p.title
            units = share((p.lead_unit, *p.co_units) if p.co_units else ((p.lead_unit,) if p.lead_unit else ()))
            keys = keys_of(p.number or "")
            proposer = norm_name(p.proposer)
            region = p.region or ""
            p_state[pid] = (keys, title, proposer, units, region)
            records[pid] = p
            for key in keys:
                _mm_add(num, key, pid)
            if title:
                titles_text[pid] = title
                if len(title) > maxlen:
                    maxlen = len(title)
                core = _title_core(title)
                for g in ({a + b for a, b in zip(core, core[1:])} if len(core) > 1 else core):
                    lst = post.get(g)
                    if lst is None:
                        post[g] = [pid]
                    else:
                        lst.append(pid)
            if proposer:
                if proposer not in by_proposer:
                    proposers.add(proposer, proposer)
                _mm_add(by_proposer, proposer, pid)
            if units:
                unit_counts[units] = unit_counts.get(units, 0) + 1
            if region:
                region_counts[region] = region_counts.get(region, 0) + 1
        self._titles.maxlen = maxlen
        for units, count in unit_counts.items():
            self._unit_refs(units, count)
        for region, count in region_counts.items():
            self._region_ref(region, count)

    def _drop_proposal(self, pid: int) -> None:
        state = self._p_state.pop(pid, None)
        self._proposals.pop(pid, None)
        if state is None:
            return
        keys, _, proposer, units, region = state
        for key in keys:
            _mm_remove(self._num, key, pid)
        self._titles.remove(pid)
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

    def _put_reply(self, r: Reply) -> None:
        rid = r.id
        units = self._share(tuple(u for u in (r.issuer, r.signed_by) if u))
        doc = _doc_key(r.doc_number) if r.doc_number else ()
        if doc:
            doc = (self._norm(doc[0]), self._share(doc[1]))
        state = (r.proposal_id, doc, units, self._phone_digits(r.phones))
        old = self._r_state.get(rid)
        self._replies[rid] = r  # type: ignore[index]
        if old == state:
            return
        if old is not None:
            self._unindex_reply(rid, old)  # type: ignore[arg-type]
        pid, doc, _, phones = state
        _mm_add(self._replies_of, pid, rid)
        if doc:
            _mm_add(self._docs, doc, rid)
            _mm_add(self._docs, doc[1], rid)
        self._unit_refs(units, +1)
        self._index_phones(("reply", rid), phones, ())
        self._r_state[rid] = state  # type: ignore[index]

    def _unindex_reply(self, rid: int, state: tuple) -> None:
        pid, doc, units, phones = state
        _mm_remove(self._replies_of, pid, rid)
        if doc:
            _mm_remove(self._docs, doc, rid)
            _mm_remove(self._docs, doc[1], rid)
        self._unit_refs(units, -1)
        self._index_phones(("reply", rid), (), phones)

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
        self._contacts[cid] = c  # type: ignore[index]
        if old == state:
            return
        if old is not None:
            self._unindex_contact(cid, old)  # type: ignore[arg-type]
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
        self._index_phones(("contact", cid), phones, ())
        self._c_state[cid] = state  # type: ignore[index]

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
        self._index_phones(("contact", cid), (), phones)

    def _drop_contact(self, cid: int) -> None:
        state = self._c_state.pop(cid, None)
        self._contacts.pop(cid, None)
        if state is not None:
            self._unindex_contact(cid, state)

    def _index_phones(self, ref: tuple, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        for digits in remove:
            if _mm_remove(self._phone_refs, digits, ref):
                for i in range(len(digits) - 3):
                    _mm_remove(self._phone_grams, digits[i:i + 4], digits)
        for digits in add:
            if digits not in self._phone_refs:
                for i in range(len(digits) - 3):
                    _mm_add(self._phone_grams, digits[i:i + 4], digits)
            _mm_add(self._phone_refs, digits, ref)

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
        corpus = _Corpus(gram=1)
        unit_regions: dict[str, tuple[str, ...]] = {}
        learned: dict[str, set[str]] = {}
        for key, info in self._units.items():
            corpus.add((key, "name"), key)
            found, rest = self._split_region(key, full_only=True)
            unit_regions[key] = found
            if found and rest:
                corpus.add((key, "rest"), rest)
            if info.department is not None:
                for i, alias in enumerate(info.department.aliases):
                    a = norm(alias)
                    if a and a != key:
                        corpus.add((key, f"alias{i}"), a)
                        if found and rest:
                            self._learn_abbreviation(a, rest, learned)
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
                                found.add("unit", self._unit_record(key), score, match, (self._units[key].name,))
                        if wanted == {"contact"}:
                            self._contacts_by_unit(unit_hits, found)
                    if "proposal" in wanted:
                        self._search_proposal_text(qn, regions, rest, found)
            return found.result(text, limit)

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
        grams = [_mm_get(self._phone_grams, digits[i:i + 4]) for i in range(len(digits) - 3)]
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
            for kind, rid in _mm_get(self._phone_refs, phone):
                if kind == "contact" and "contact" in wanted:
                    found.add("contact", self._contacts[rid], score, "phone", (rid,))
                elif kind == "reply" and "proposal" in wanted:
                    # The phone printed on a reply: a lead to the proposal, never an answer.
                    p = self._proposals.get(self._replies[rid].proposal_id)
                    if p is not None:
                        found.add("proposal", p, score - 30.0, "phone", _newest(p))

    def _search_doc_number(self, query: str, found: "_Found") -> None:
        key = _doc_key(query)
        if not key:
            return
        exact = set(_mm_get(self._docs, key)) if key[0] else set()
        for rid in _mm_get(self._docs, key[1]):
            reply = self._replies[rid]
            p = self._proposals.get(reply.proposal_id)
            if p is None:
                continue
            if rid in exact:
                score = S_EXACT
            elif not key[0]:
                score = 85.0  # no issuer code typed: every reply with that year and number
            else:
                have = _doc_key(reply.doc_number or "")[0]
                score = 50.0 + 35.0 * LCSseq.normalized_similarity(key[0], have)
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
        ids = _mm_get(self._replies_of, hit.record.id)
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


def _doc_key(text: str) -> tuple:
    """高发改发〔2025〕85号 → ("高发改发", "2025|85"); () when it is not a document number."""
    m = _DOC_NUMBER.match(unicodedata.normalize("NFKC", text).strip())
    if not m:
        return ()
    return (norm(m.group("prefix")), f"{m.group('year')}|{int(m.group('seq'))}")


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
            "feedback": p.feedback,
        }
        if replies is not None:
            out["replies"] = [
                {"id": r.id, "issuer": r.issuer, "signed_by": r.signed_by, "doc_number": r.doc_number,
                 "classification": r.classification, "reply_date": r.reply_date,
                 "handlers": list(r.handlers), "phones": list(r.phones)}
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
