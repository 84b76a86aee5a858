"""A corpus of short strings with posting lists (by character or bigram), and rapidfuzz scoring
of the few candidates they select: never a scan of the whole corpus."""

from __future__ import annotations

import itertools
import math
import operator
import sys
from array import array
from typing import Any

from rapidfuzz import process
from rapidfuzz.distance import LCSseq

from bot.search.rows import Rows, id_span
from bot.search.text import bigrams, pair_codes

MIN_COVERAGE = 0.6      # candidates share at least this share of the query's characters
BUDGET = 4000           # most candidates read from posting lists for one corpus and query
RERANK = 60             # candidates per corpus scored in full (Python) after rapidfuzz


def tier(q: str, s: str, lcs: float | None = None, grams: set[str] | None = None) -> float:
    """exact 100 > prefix 90-99 > substring 80-90 > fuzzy ≤ 79 (coverage of the query's
    characters in order, how many of its bigrams are kept, how long the target is).
    ``grams``: bigrams(q), when the caller scores many texts against one query."""
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
        grams = grams or bigrams(q)
        kept = sum(1 for g in grams if g in s) / len(grams)
    else:
        kept = 0.0
    return min(79.0, 65.0 * cov + 10.0 * kept + 4.0 * min(1.0, lq / ls))


class Corpus:
    """key → normalised string, with a posting list per character (gram=1) or bigram (gram=2,
    keyed by :func:`pair_codes`).

    Posting lists only grow; an updated or removed key leaves stale entries behind, which cost a
    little candidate work (every candidate is scored against its current text) until the lists
    are compacted, once the stale entries outnumber the live ones. With ``ids`` the keys are
    record ids: texts are kept in :class:`Rows` and the posting lists of a bulk load are
    array('I') (4 bytes an entry), turned into lists if a key they cannot hold comes along."""

    def __init__(self, gram: int, core=None, cores=None, ids: bool = False):
        self.gram = gram
        self.core = core  # what part of a text to index (all of it by default)
        self.cores = cores  # the same for a list of texts (load)
        self.ids = ids
        self.text: Any = Rows() if ids else {}
        self.post: dict[Any, Any] = {}
        self.stale = 0
        self.maxlen = 0

    def grams(self, s: str) -> set:
        return set(s) if self.gram == 1 else pair_codes(s)

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
        list once however often the bigram recurs in its text. ``span``: :func:`id_span` of
        the keys, when known. A few keys (a put) are simply added: building fresh posting lists
        to merge costs more than appending to the existing ones."""
        if len(keys) < 4:
            for key, text in zip(keys, texts):
                self.add(key, text)
            return
        if self.ids:
            if span is None:
                span = id_span(keys)
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
                for g in pair_codes(core):
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
            self.text, self.post, self.stale, self.maxlen = (Rows() if self.ids else {}), {}, 0, 0
            for key, s in items:
                self.add(key, s)

    def candidates(self, q: str, need: int) -> tuple[set, bool]:
        """Keys that may share ``need`` grams with q: the union of the rarest posting lists
        (pigeonhole: a key sharing ``need`` of q's ``m`` grams is in any ``m - need + 1`` of their
        lists), read rarest first and capped at BUDGET. Returns (keys, truncated).

        A text holding the whole query holds its rarest gram, so the rarest list has every
        exact, prefix and substring match: unless that list alone is over BUDGET (then only its
        newest entries are read, and ``truncated`` is set), a cap drops only fuzzy matches, which
        score 79 at most (:func:`tier`) and so cannot change a certain answer (90 or more, 10
        ahead of the rest)."""
        posts = sorted((self.post.get(g, ()) for g in self.grams(q)), key=len)
        if not posts:
            return set(), False
        k = max(1, len(posts) - need + 1)
        cand: set = set()
        for lst in posts[:k]:
            if len(cand) + len(lst) > BUDGET:
                if not cand:
                    cand.update(lst[-BUDGET:])  # the newest entries
                    return cand, True
                break
            cand.update(lst)
        return cand, False

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
        # The best RERANK by LCS (rapidfuzz keeps a heap: no list of every candidate is made) ...
        found = process.extract(q, choices, scorer=LCSseq.similarity, score_cutoff=need, limit=RERANK + 1)
        if len(found) > RERANK and found[RERANK][1] == found[0][1] == len(q):
            # ... and when more than that hold all of q, the substring matches among them
            # (the best tiers), shortest first.
            inside = sorted(((s, float(len(q)), i) for i, s in enumerate(choices) if s is not None and q in s),
                            key=lambda f: len(f[0]))[:RERANK]
            seen = {f[2] for f in inside}
            found = inside + [f for f in found[:RERANK] if f[2] not in seen]
        else:
            found = found[:RERANK]
        grams = bigrams(q)
        return [(keys[i], s, tier(q, s, lcs, grams)) for s, lcs, i in found], truncated

