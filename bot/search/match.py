"""Running a query against the index's tables: :class:`Matching`, the search half of
:class:`~bot.search.index.SearchIndex` (the tables and their upkeep are in index.py, what the
typed text means in query.py). Numbers and phones are looked up exactly, document numbers by
year and sequence, pinyin through its tables, and text through the corpora's candidates scored by
rapidfuzz; every hit goes into one :class:`~bot.search.results.Found`."""

from __future__ import annotations

from typing import Iterable

from rapidfuzz import fuzz, process
from rapidfuzz.distance import LCSseq

from bot.search.pinyin import query_pinyin
from bot.numbers import near_keys, parse_number_query
from bot.search.query import DOC_NUMBER, LATIN_ONLY, PHONE_QUERY, doc_key
from bot.search.results import KINDS, S_EXACT, Found, SearchResult, newest
from bot.search.rows import mm_get
from bot.search.text import HAN, clean_query, digits_of, norm
from bot.units import same_unit_names

# Scores of the structured matches (text matches use corpus.tier).
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


class Matching:
    """The search methods of SearchIndex (a mixin: it reads the tables index.py keeps)."""

    def search(self, text: str, kinds: Iterable[str] | None = None, limit: int = 8) -> SearchResult:
        """Best records for what a person typed. ``kinds`` limits to proposal / contact / unit."""
        query, reason = clean_query(text)
        if reason:
            return SearchResult(query=text or "", hits=[], reason=reason)
        wanted = set(kinds or KINDS)
        with self._lock:
            self._units.refresh(self.aliases)
            found = Found(limit)
            number = self._search_number(query, wanted, found)
            qn = norm(query)
            self._search_phone(query, wanted, found)
            if DOC_NUMBER.match(query) and "proposal" in wanted:
                self._search_doc_number(query, found)
            elif not number and qn:
                if LATIN_ONLY.match(query):
                    if "contact" in wanted:
                        self._search_pinyin(qn, found)
                elif not qn.isdigit():
                    regions, rest = self._units.split_region(qn)
                    if "contact" in wanted:
                        self._search_names(qn, found)
                    if "unit" in wanted or "contact" in wanted:
                        unit_hits = self._search_units(qn, regions, rest)
                        if "unit" in wanted:
                            for key, (score, match) in unit_hits.items():
                                info = self._units.units[key]
                                found.add("unit", self._units.record(key), self._below_holders(key, score, unit_hits),
                                          match, (-info.refs, info.name))
                        if wanted == {"contact"}:
                            self._contacts_by_unit(unit_hits, found)
                    if "proposal" in wanted:
                        self._search_proposal_text(qn, regions, rest, found)
            return found.result(text, limit)

    def _below_holders(self, key: str, score: float, hits: dict[str, tuple[float, str]]) -> float:
        """An empty unit (nothing names it) never ranks above a unit it duplicates that holds
        items (the letter's full name beside the list's short one)."""
        info = self._units.units[key]
        if info.refs > 0:
            return score
        for other, (other_score, _) in hits.items():
            held = self._units.units[other]
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

    def _search_number(self, query: str, wanted: set[str], found: Found) -> bool:
        """Exact number look-up, narrowed or ranked by any session, region and body in the
        query. Near misses (1250 → 125, 1205) come back as suggestions, in the order /status
        offers them (bot.numbers.near_keys). True when the query is a number (no text search
        then)."""
        units = self._units
        regions = [(s, full) for s, full in units.regions_longest_first if full in units.proposal_regions]
        parsed = parse_number_query(query, regions)
        if not parsed.only_number:
            return False
        if "proposal" not in wanted:
            return True
        key, session = parsed.key, parsed.session
        term, meeting = (session.term, session.meeting) if session else (None, None)
        ids = mm_get(self._num, key)
        for pid in ids:
            p = self._proposals[pid]
            score = S_EXACT
            for want, have in ((parsed.region, p.region), (parsed.body, p.body), (term, p.term), (meeting, p.meeting)):
                if want is not None and want != have:
                    score -= SESSION_MISMATCH
            if p.number_key != key:
                score -= 1.0  # answers through its year-prefixed sequence only
            found.add("proposal", p, score, "number", newest(p))
        if not ids:
            for rank, near in enumerate(near_keys(key)):
                for pid in mm_get(self._num, near)[-found.limit:]:
                    p = self._proposals[pid]
                    # Repository.find_by_number's order within a key, as /status lists them.
                    order = (rank, p.number_key != near, -(p.term or 0), -(p.meeting or 0), p.region or "", p.id)
                    found.add("proposal", p, S_NEAR_NUMBER, "number", order)
        return True

    def _search_phone(self, query: str, wanted: set[str], found: Found) -> None:
        if not PHONE_QUERY.match(query):
            return
        digits = digits_of(query)
        if len(digits) < 4:
            return
        index = self._phone_gram_index()
        grams = [mm_get(index, digits[i:i + 4]) for i in range(len(digits) - 3)]
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
                for cid in mm_get(self._phone_contacts, phone):
                    found.add("contact", self._contacts[cid], score, "phone", (cid,))
            if "proposal" in wanted:
                for rid in mm_get(self._phone_replies, phone):
                    # The phone printed on a reply: a lead to the proposal, never an answer.
                    p = self._proposals.get(self._replies[rid].proposal_id)
                    if p is not None:
                        found.add("proposal", p, score - 30.0, "phone", newest(p))

    def _search_doc_number(self, query: str, found: Found) -> None:
        key = doc_key(query)
        if not key:
            return
        code, seq = key
        for rid in mm_get(self._doc_index(), seq):
            reply = self._replies[rid]
            p = self._proposals.get(reply.proposal_id)
            if p is None:
                continue
            if not code:
                score = 85.0  # no issuer code typed: every reply with that year and number
            else:
                have = doc_key(reply.doc_number or "")
                have = have[0] if have else ""
                if have == code:
                    score = S_EXACT
                else:
                    score = 50.0 + 35.0 * LCSseq.normalized_similarity(code, have)
            found.add("proposal", p, score, "doc_number", newest(p))

    # names and pinyin

    def _search_pinyin(self, qn: str, found: Found) -> None:
        q = qn.lower()
        for kind, score in (("full", S_PINYIN), ("mixed", S_PINYIN_MIXED), ("initials", S_INITIALS)):
            for suffix, penalty in (("", 0.0), ("_alt", ALT_READING_PENALTY)):
                for cid in mm_get(self._py[kind + suffix], q):
                    found.add("contact", self._contacts[cid], score - penalty, f"pinyin:{kind}", (cid,))
        bucket = self._py_buckets.get(q[0], {})
        if len(q) >= 3:
            for _, ratio, (cid, _, alt) in process.extract(q, bucket, scorer=fuzz.ratio, score_cutoff=80, limit=20):
                found.add("contact", self._contacts[cid], ratio - 12.0 - alt * ALT_READING_PENALTY, "pinyin", (cid,))
            if len(bucket) < 5000:
                for (cid, form, alt) in [k for k, f in bucket.items() if f.startswith(q) and f != q]:
                    score = 80.0 + 10.0 * len(q) / len(form) - alt * ALT_READING_PENALTY
                    found.add("contact", self._contacts[cid], score, "pinyin", (cid,))

    def _search_names(self, qn: str, found: Found) -> None:
        for cid in mm_get(self._name_exact, qn):
            found.add("contact", self._contacts[cid], S_EXACT, "name", (cid,))
        if HAN.search(qn):
            for form in query_pinyin(qn):
                for suffix, penalty in (("", 0.0), ("_alt", ALT_READING_PENALTY)):
                    for cid in mm_get(self._py["full" + suffix], form):
                        found.add("contact", self._contacts[cid], S_HOMOPHONE - penalty, "pinyin", (cid,))
        matches, truncated = self._names.match(qn)
        found.truncated |= truncated
        for cid, _, score in matches:
            found.add("contact", self._contacts[cid], score, "name", (cid,))

    def _contacts_by_unit(self, unit_hits: dict[str, tuple[float, str]], found: Found) -> None:
        for key, (score, _) in sorted(unit_hits.items(), key=lambda kv: -kv[1][0])[:3]:
            for cid in mm_get(self._contacts_of_unit, key):
                found.add("contact", self._contacts[cid], score - 10.0, "unit", (cid,))

    # units

    def _variants(self, q: str, learned: bool = True) -> list[tuple[str, float]]:
        """q itself, and q with an abbreviation replaced by each of its fragments: the config's
        alias table first, then abbreviations learned from Department aliases (at most 8)."""
        out = [(q, 0.0)]
        tables = (self.aliases, self._units.learned) if learned else (self.aliases,)
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
        corpus = self._units.corpus
        for variant, penalty, stripped_query in queries:
            matches, _ = corpus.match(variant)
            for (key, form), s, score in matches:
                uregions = self._units.regions_of.get(key, ())
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

    def _search_proposal_text(self, qn: str, regions: tuple[str, ...], rest: str, found: Found) -> None:
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
                found.add("proposal", p, score, "title", newest(p))
        for variant, penalty in self._variants(qn, learned=False):
            matches, truncated = self._proposers.match(variant)
            found.truncated |= truncated
            # Best proposers first; enough of their latest proposals to fill the choices.
            room = 3 * found.limit
            for proposer, _, score in sorted(matches, key=lambda m: -m[2]):
                if room <= 0:
                    break
                ids = mm_get(self._by_proposer, proposer)[-found.limit:]
                room -= len(ids)
                for pid in ids:
                    p = self._proposals[pid]
                    found.add("proposal", p, score - penalty, "proposer", newest(p))
