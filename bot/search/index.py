"""The index's tables and their upkeep: :class:`SearchIndex` holds, per record kind, the records
and their indexed state by id, the exact maps (numbers, names, pinyin, phones, document numbers)
and the corpora (titles, proposers, names); :meth:`SearchIndex.load` fills them at start-up and
the repository listener keeps them current. Searching is :class:`~bot.search.match.Matching`."""

from __future__ import annotations

import gc
import itertools
import threading
from collections import Counter
from typing import Any, Iterable, Mapping, Sequence

from bot.model import Contact, Department, Proposal, Record, Reply
from bot.numbers import number_keys
from bot.search.corpus import Corpus
from bot.search.match import Matching
from bot.search.pinyin import contact_form_row, contact_forms
from bot.search.query import doc_seq
from bot.search.rows import Rows, State, group, id_span, mm_add, mm_get, mm_group, mm_merge, mm_remove
from bot.search.text import digits_of, norm, title_core, title_cores
from bot.search.units import UnitTable

FREEZE_MIN = 20_000     # records loaded at once: start-up data, frozen for the collector (load)



class SearchIndex(Matching):
    """In-memory search over a Repository's proposals, replies, contacts and units.

    Per record kind: the records and their indexed state by id (:class:`Rows` and
    :class:`State`: dense ids cost 8 bytes a field), so that a put or delete updates only what
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
        self._proposals = Rows()
        self._p_state = State(4)
        self._num: dict[str, Any] = {}            # number key → proposal id(s)
        self._titles = Corpus(gram=2, core=title_core, cores=title_cores, ids=True)
        self._proposers = Corpus(gram=1)
        self._by_proposer: dict[str, Any] = {}
        # replies; state: (proposal id, doc number as printed, units, phone digits)
        self._replies = Rows()
        self._r_state = State(4)
        self._replies_of: Rows | None = None      # proposal id → reply id(s); see _replies_index
        self._docs: dict[str, Any] | None = None   # "year|seq" → reply id(s); see _doc_index
        # contacts; state: (name, unit key, unit, phone digits)
        self._contacts = Rows()
        self._c_state = State(4)
        self._names = Corpus(gram=1)
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
        self._units = UnitTable(self._norm)  # units and regions
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
                self._units.dirty = True
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
            self._units.put_department(record)

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
            self._units.drop_department(record.id)

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
                digits = digits_of(phone)
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
                mm_remove(self._num, key, pid)
            for key in keys:
                mm_add(self._num, key, pid)
        if old_proposer != proposer:
            if old_proposer and mm_remove(self._by_proposer, old_proposer, pid):
                self._proposers.remove(old_proposer)
            if proposer:
                if proposer not in self._by_proposer:
                    self._proposers.add(proposer, proposer)
                mm_add(self._by_proposer, proposer, pid)
        if old_units != units:
            self._units.refs(old_units, -1)
            self._units.refs(units, +1)
        if old_region != region:
            if old_region:
                self._units.region_ref(old_region, -1)
            if region:
                self._units.region_ref(region, +1)
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
        span = id_span(pids)
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
        mm_merge(self._num, num)
        by_proposer = group(proposers, pids)
        by_proposer.pop("", None)
        self._proposers.load(list(by_proposer), list(by_proposer))
        mm_merge(self._by_proposer, by_proposer)
        for name, count in Counter(itertools.chain.from_iterable(units)).items():
            self._units.refs((name,), count)
        for region, count in Counter(regions).items():
            if region:
                self._units.region_ref(region, count)

    def _drop_proposal(self, pid: int) -> None:
        state = self._p_state.pop(pid, None)
        self._proposals.pop(pid, None)
        self._titles.remove(pid)
        if state is None:
            return
        keys, proposer, units, region = state
        for key in keys:
            mm_remove(self._num, key, pid)
        if proposer and mm_remove(self._by_proposer, proposer, pid):
            self._proposers.remove(proposer)
        self._units.refs(units, -1)
        if region:
            self._units.region_ref(region, -1)

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
            mm_add(self._replies_of, pid, rid)
        if doc and self._docs is not None and (seq := doc_seq(doc)):
            mm_add(self._docs, seq, rid)
        self._units.refs(units, +1)
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
        span = id_span(rids)
        self._replies.fill(rids, rs, span)
        self._r_state.fill(rids, (pids, docs, units, phones), span)
        if self._replies_of is not None:
            mm_merge(self._replies_of, mm_group(pids, rids))
        if self._docs is not None:
            for rid, doc in zip(rids, docs):
                if doc and (seq := doc_seq(doc)):
                    mm_add(self._docs, seq, rid)
        for name, count in Counter(itertools.chain.from_iterable(units)).items():
            self._units.refs((name,), count)
        self._load_phones(self._phone_replies, mm_group(
            [d for ds in phones for d in ds], [rid for rid, ds in zip(rids, phones) for _ in ds]))

    def _unindex_reply(self, rid: int, state: tuple) -> None:
        pid, doc, units, phones = state
        if self._replies_of is not None:
            mm_remove(self._replies_of, pid, rid)
        if doc and self._docs is not None and (seq := doc_seq(doc)):
            mm_remove(self._docs, seq, rid)
        self._units.refs(units, -1)
        self._index_phones(self._phone_replies, rid, (), phones)

    def _replies_index(self) -> Rows:
        """proposal id → reply id(s), for the JSON of a hit (the CLI): made when first needed,
        then kept current."""
        if self._replies_of is None:
            self._replies_of = Rows()
            pairs = self._r_state.cols[0].items()
            none = State._NONE
            mm_merge(self._replies_of, mm_group([None if pid is none else pid for _, pid in pairs],
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
            seqs = [doc_seq(doc) for _, doc in printed]
            self._docs = docs = mm_group(seqs, rids)
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
            mm_add(self._name_exact, name, cid)
            pref, alt = contact_forms(name)
            for suffix, forms_group in (("", pref), ("_alt", alt)):
                for kind, forms in zip(("full", "initials", "mixed"), forms_group):
                    table = self._py[kind + suffix]
                    for form in forms:
                        mm_add(table, form, cid)
                for form in forms_group[0]:
                    self._py_buckets.setdefault(form[0], {})[(cid, form, bool(suffix))] = form
        if unit_key:
            mm_add(self._contacts_of_unit, unit_key, cid)
        self._units.refs((unit,) if unit else (), +1)
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
        span = id_span(cids)
        self._contacts.fill(cids, cs, span)
        self._c_state.fill(cids, (names, unit_keys, units, phones), span)
        named = [cid for cid, name in zip(cids, names) if name]
        names = [name for name in names if name]
        self._names.load(named, names)
        mm_merge(self._name_exact, mm_group(names, named))
        # Pinyin forms (see contact_form_row), once per distinct name.
        forms_of = dict.fromkeys(names)
        for name in forms_of:
            forms_of[name] = contact_form_row(name)
        forms = list(map(forms_of.__getitem__, names))
        del forms_of
        for i, kind in enumerate(("full", "initials", "mixed")):
            mm_merge(self._py[kind], mm_group([f[i] for f in forms], named))
            mm_merge(self._py[kind + "_alt"], mm_group([form for f in forms for form in f[i + 3]],
                                                         [cid for cid, f in zip(named, forms) for _ in f[i + 3]]))
        buckets = self._py_buckets
        for cid, f in zip(named, forms):
            form = f[0]
            buckets.setdefault(form[0], {})[(cid, form, False)] = form
            for form in f[3]:
                buckets.setdefault(form[0], {})[(cid, form, True)] = form
        of_unit = group(unit_keys, cids)
        of_unit.pop("", None)
        mm_merge(self._contacts_of_unit, of_unit)
        for unit, count in Counter(units).items():
            if unit:
                self._units.refs((unit,), count)
        self._load_phones(self._phone_contacts, mm_group(
            [d for ds in phones for d in ds], [cid for cid, ds in zip(cids, phones) for _ in ds]))

    def _unindex_contact(self, cid: int, state: tuple) -> None:
        name, unit_key, unit, phones = state
        if name:
            self._names.remove(cid)
            mm_remove(self._name_exact, name, cid)
            pref, alt = contact_forms(name)
            for suffix, forms_group in (("", pref), ("_alt", alt)):
                for kind, forms in zip(("full", "initials", "mixed"), forms_group):
                    for form in forms:
                        mm_remove(self._py[kind + suffix], form, cid)
                for form in forms_group[0]:
                    self._py_buckets.get(form[0], {}).pop((cid, form, bool(suffix)), None)
        if unit_key:
            mm_remove(self._contacts_of_unit, unit_key, cid)
        self._units.refs((unit,) if unit else (), -1)
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
                mm_add(grams, digits[i:i + 4], digits)
            else:
                mm_remove(grams, digits[i:i + 4], digits)

    def _index_phones(self, refs: dict, ref: int, add: tuple[str, ...], remove: tuple[str, ...]) -> None:
        """``refs`` (_phone_contacts or _phone_replies) gains / loses ``ref`` under each digits;
        the 4-digit grams follow the set of distinct digit strings."""
        for digits in remove:
            if mm_remove(refs, digits, ref) and not self._has_phone(digits):
                self._phone_gram_refs(digits, -1)
        for digits in add:
            if not self._has_phone(digits):
                self._phone_gram_refs(digits, +1)
            mm_add(refs, digits, ref)

    def _load_phones(self, refs: dict, fresh: dict[str, Any]) -> None:
        """_index_phones for many refs at once: ``fresh`` maps digits → new ref(s)."""
        if self._phone_grams is not None:
            contacts, replies = self._phone_contacts, self._phone_replies
            self._add_phone_grams([d for d in fresh if d not in contacts and d not in replies])
        mm_merge(refs, fresh)

    def _add_phone_grams(self, new: list[str]) -> None:
        grams = [d[i:i + 4] for d in new for i in range(len(d) - 3)]
        mm_merge(self._phone_grams, group(grams, itertools.chain.from_iterable(
            map(itertools.repeat, new, [max(0, len(d) - 3) for d in new]))))

    def _phone_gram_index(self) -> dict[str, Any]:
        """4-digit gram → the distinct digit strings holding it. Only phone queries read it, so
        the first of them builds it; from then on puts and deletes keep it current."""
        if self._phone_grams is None:
            self._phone_grams = {}
            self._add_phone_grams(list(dict.fromkeys(itertools.chain(self._phone_contacts, self._phone_replies))))
        return self._phone_grams

    # -- reading records ----------------------------------------------------------------------

    def contact(self, cid: int) -> Contact | None:
        return self._contacts.get(cid)

    def replies_of(self, pid: int) -> list[Reply]:
        """The replies to a proposal, oldest first."""
        with self._lock:
            ids = mm_get(self._replies_index(), pid)
            return sorted((self._replies[i] for i in ids), key=lambda r: r.reply_date or "")

    def stats(self) -> dict[str, int]:
        with self._lock:
            self._units.refresh(self.aliases)
            return {
                "proposals": len(self._proposals), "replies": len(self._replies),
                "contacts": len(self._contacts), "units": len(self._units),
                "regions": len(self._units.known_regions), "title_bigrams": len(self._titles.post),
            }

