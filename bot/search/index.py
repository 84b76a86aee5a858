"""The index's tables and their upkeep: :class:`SearchIndex` holds, per record kind, the records
and their indexed state by id, the exact maps (numbers, names, pinyin, phones, document numbers)
and the corpora (titles, proposers, names); :meth:`SearchIndex.load` fills them at start-up and
the repository listener keeps them current. Searching is :class:`~bot.search.match.Matching`."""

from __future__ import annotations

import gc
import itertools
import threading
from collections import Counter
from typing import Any, Callable, Iterable, Mapping, Sequence

from bot.model import Contact, Department, Proposal, Record, Reply
from bot.numbers import number_keys
from bot.search.corpus import Corpus
from bot.search.match import Matching
from bot.search.pinyin import contact_form_row
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
    repository in bulk, through the same path as a put (see "one path per record kind")."""

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
                self._index_contacts(repo.all(Contact))
                self._index_proposals(repo.all(Proposal))
                self._index_replies(repo.all(Reply))
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
            self._index_proposals((record,))
        elif isinstance(record, Contact):
            self._index_contacts((record,))
        elif isinstance(record, Reply):
            self._index_replies((record,))
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

    # -- one path per record kind ------------------------------------------------------------
    #
    # _index_<kind>(records) is the only way records of a kind enter the index: load() passes
    # all of them at once, the listener one. What is indexed of each record (its state columns:
    # _<kind>_columns) is compared with what the index holds for it, and only the fields that
    # changed are moved (_move_<kind>); into an empty index every field goes in, column by
    # column, with C-speed maps where possible. _drop_<kind> is the same move towards nothing.

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
    def _held(table: State, ids: list) -> list | None:
        """The state the index holds for each id (None: not indexed yet); None when the table is
        empty (a start-up load: nothing to compare)."""
        if not len(table):
            return None
        return [table.get(i) for i in ids]

    # proposals: state (number keys, proposer, units, region); the title is kept by _titles

    def _proposal_columns(self, ps: list[Proposal]) -> tuple[list, ...]:
        """Number keys, proposer, units, region and title of each proposal (the last two
        normalised). Numbers and proposers repeat: each distinct one is worked out once; equal
        unit lists share one tuple."""
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
        # A lone lead unit's tuple is not even made twice.
        shared: dict[Any, tuple] = {}
        units = [shared.setdefault(u := (lead, *co), u) if co
                 else (shared.get(lead) or shared.setdefault(lead, (lead,))) if lead else ()
                 for lead, co in zip([p.lead_unit for p in ps], [p.co_units for p in ps])]
        del shared
        regions = [p.region or "" for p in ps]
        titles = list(map(norm, [p.title for p in ps]))
        return keys, proposers, units, regions, titles

    def _index_proposals(self, proposals: Iterable[Proposal]) -> None:
        ps = [p for p in proposals if p.id is not None]
        if not ps:
            return
        pids = [p.id for p in ps]
        span = id_span(pids)
        self._proposals.fill(pids, ps, span)
        new = self._proposal_columns(ps)
        old = self._held(self._p_state, pids)
        if old is not None:
            titles = self._titles.text
            old = [None if s is None else (*s, titles.get(pid, "")) for pid, s in zip(pids, old)]
            pids, old, new, span = _only_changed(pids, old, new, span)
            if not pids:
                return
        self._p_state.fill(pids, new[:4], span)
        self._move_proposals(pids, old, new, span)

    def _drop_proposal(self, pid: int) -> None:
        self._proposals.pop(pid, None)
        state = self._p_state.pop(pid, None)
        if state is not None:
            held = (*state, self._titles.text.get(pid, ""))
            self._move_proposals([pid], [held], ([()], [""], [()], [""], [""]))

    def _move_proposals(self, pids: list, old: list | None, new: tuple[list, ...], span: tuple | None = None) -> None:
        keys, proposers, units, regions, titles = new
        pos, was = _changed(old, titles, 4)
        if was is not None:
            for i, title in zip(pos, was):
                if title:
                    self._titles.remove(pids[i])
        ids, texts = _at(pids, pos), _at(titles, pos)
        if all(texts):
            self._titles.load(ids, texts, span if was is None else None)
        else:
            self._titles.load([k for k, t in zip(ids, texts) if t], [t for t in texts if t])
        del ids, texts
        pos, was = _changed(old, keys, 0)
        if was is not None:
            for i, held in zip(pos, was):
                for key in held or ():
                    mm_remove(self._num, key, pids[i])
        num: dict[str, list] = {}
        for ks, pid in zip(_at(keys, pos), _at(pids, pos)):
            for key in ks:
                lst = num.get(key)
                if lst is None:
                    num[key] = [pid]
                else:
                    lst.append(pid)
        mm_merge(self._num, num)
        pos, was = _changed(old, proposers, 1)
        if was is not None:
            for i, name in zip(pos, was):
                if name and mm_remove(self._by_proposer, name, pids[i]):
                    self._proposers.remove(name)
        by_proposer = group(_at(proposers, pos), _at(pids, pos))
        by_proposer.pop("", None)
        fresh = [name for name in by_proposer if name not in self._by_proposer]
        self._proposers.load(fresh, fresh)
        mm_merge(self._by_proposer, by_proposer)
        pos, was = _changed(old, units, 2)
        _shift(self._units.ref, itertools.chain.from_iterable(filter(None, was or ())),
               itertools.chain.from_iterable(_at(units, pos)))
        pos, was = _changed(old, regions, 3)
        _shift(self._units.region_ref, filter(None, was or ()), _at(regions, pos))

    # replies: state (proposal id, doc number as printed, units, phone digits)

    def _reply_columns(self, rs: list[Reply]) -> tuple[list, ...]:
        shared: dict[Any, Any] = {}  # one copy of equal unit tuples
        units = [((i, s) if s else (i,)) if i else ((s,) if s else ())
                 for i, s in zip([r.issuer for r in rs], [r.signed_by for r in rs])]
        units = list(map(shared.setdefault, units, units))
        del shared
        return ([r.proposal_id for r in rs], [r.doc_number or "" for r in rs], units,
                self._phones_of([r.phones for r in rs]))

    def _index_replies(self, replies: Iterable[Reply]) -> None:
        self._index_kind(replies, self._replies, self._r_state, self._reply_columns, self._move_replies)

    def _index_kind(self, records: Iterable, table: Rows, state: State,
                    columns: Callable[[list], tuple], move: Callable[[list, Any, tuple], None]) -> None:
        """Replies' and contacts' one indexing path (start-up load and put alike): hold the
        records, then move only the indexed fields that changed."""
        rs = [r for r in records if r.id is not None]
        if not rs:
            return
        ids = [r.id for r in rs]
        span = id_span(ids)
        table.fill(ids, rs, span)
        new = columns(rs)
        old = self._held(state, ids)
        if old is not None:
            ids, old, new, span = _only_changed(ids, old, new, span)
            if not ids:
                return
        state.fill(ids, new, span)
        move(ids, old, new)

    def _drop_reply(self, rid: int) -> None:
        self._replies.pop(rid, None)
        state = self._r_state.pop(rid, None)
        if state is not None:
            self._move_replies([rid], [state], ([None], [""], [()], [()]))

    def _move_replies(self, rids: list, old: list | None, new: tuple[list, ...]) -> None:
        pids, docs, units, phones = new
        if self._replies_of is not None:
            pos, was = _changed(old, pids, 0)
            if was is not None:
                for i, pid in zip(pos, was):
                    if pid is not None:
                        mm_remove(self._replies_of, pid, rids[i])
            self._add_replies_of(_at(pids, pos), _at(rids, pos))
        if self._docs is not None:
            pos, was = _changed(old, docs, 1)
            if was is not None:
                for i, doc in zip(pos, was):
                    if doc and (seq := doc_seq(doc)):
                        mm_remove(self._docs, seq, rids[i])
            for rid, doc in zip(_at(rids, pos), _at(docs, pos)):
                if doc and (seq := doc_seq(doc)):
                    mm_add(self._docs, seq, rid)
        pos, was = _changed(old, units, 2)
        _shift(self._units.ref, itertools.chain.from_iterable(filter(None, was or ())),
               itertools.chain.from_iterable(_at(units, pos)))
        self._move_phones(self._phone_replies, rids, old, phones, 3)

    def _add_replies_of(self, pids: list, rids: list) -> None:
        fresh = mm_group(pids, rids)
        fresh.pop(None, None)  # a reply to no proposal: nothing to list it under
        mm_merge(self._replies_of, fresh)

    def _replies_index(self) -> Rows:
        """proposal id → reply id(s), for the JSON of a hit (the CLI): made when first needed,
        then kept current."""
        if self._replies_of is None:
            self._replies_of = Rows()
            pairs = self._r_state.cols[0].items()
            none = State._NONE
            self._add_replies_of([None if pid is none else pid for _, pid in pairs], [rid for rid, _ in pairs])
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

    # contacts: state (name, unit key, unit, phone digits)

    def _contact_columns(self, cs: list[Contact]) -> tuple[list, ...]:
        units = [c.unit or "" for c in cs]
        unit_of = dict.fromkeys(units)
        for unit in unit_of:
            unit_of[unit] = self._norm(unit)
        return (list(map(norm, [c.name for c in cs])), list(map(unit_of.__getitem__, units)), units,
                self._phones_of([c.phones for c in cs]))

    def _index_contacts(self, contacts: Iterable[Contact]) -> None:
        self._index_kind(contacts, self._contacts, self._c_state, self._contact_columns, self._move_contacts)

    def _drop_contact(self, cid: int) -> None:
        self._contacts.pop(cid, None)
        state = self._c_state.pop(cid, None)
        if state is not None:
            self._move_contacts([cid], [state], ([""], [""], [""], [()]))

    def _move_contacts(self, cids: list, old: list | None, new: tuple[list, ...]) -> None:
        names, unit_keys, units, phones = new
        pos, was = _changed(old, names, 0)
        if was is not None:
            for i, name in zip(pos, was):
                if name:
                    self._unname_contact(cids[i], name)
        named = [cid for cid, name in zip(_at(cids, pos), _at(names, pos)) if name]
        names = [name for name in _at(names, pos) if name]
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
        pos, was = _changed(old, unit_keys, 1)
        if was is not None:
            for i, key in zip(pos, was):
                if key:
                    mm_remove(self._contacts_of_unit, key, cids[i])
        of_unit = group(_at(unit_keys, pos), _at(cids, pos))
        of_unit.pop("", None)
        mm_merge(self._contacts_of_unit, of_unit)
        pos, was = _changed(old, units, 2)
        _shift(self._units.ref, filter(None, was or ()), _at(units, pos))
        self._move_phones(self._phone_contacts, cids, old, phones, 3)

    def _unname_contact(self, cid: int, name: str) -> None:
        """Take a contact's name out of the name and pinyin tables."""
        self._names.remove(cid)
        mm_remove(self._name_exact, name, cid)
        row = contact_form_row(name)
        for i, kind in enumerate(("full", "initials", "mixed")):
            mm_remove(self._py[kind], row[i], cid)
            for form in row[i + 3]:
                mm_remove(self._py[kind + "_alt"], form, cid)
        self._py_buckets.get(row[0][0], {}).pop((cid, row[0], False), None)
        for form in row[3]:
            self._py_buckets.get(form[0], {}).pop((cid, form, True), None)

    # phones: digits → contact id(s) / reply id(s); 4-digit gram → the distinct digit strings

    @staticmethod
    def _phone_digits(phones: Sequence[str] | None, memo: dict[str, str]) -> tuple[str, ...]:
        """The digits of each phone with at least 4 of them (``memo``: phone → digits)."""
        out = []
        for phone in phones or ():
            digits = memo.get(phone)
            if digits is None:
                digits = memo[phone] = digits_of(phone)
            if len(digits) >= 4:
                out.append(digits)
        return tuple(out)

    @classmethod
    def _phones_of(cls, lists: list) -> list[tuple[str, ...]]:
        """The phone digits of each record, each distinct phone worked out once and equal results
        shared (most records print one phone, which other records repeat)."""
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

    def _has_phone(self, digits: str) -> bool:
        return digits in self._phone_contacts or digits in self._phone_replies

    def _move_phones(self, refs: dict, ids: list, old: list | None, phones: list, field: int) -> None:
        """``refs`` (_phone_contacts or _phone_replies) follows the records' phone digits; the
        4-digit grams, once made, follow the set of distinct digit strings."""
        pos, was = _changed(old, phones, field)
        grams = self._phone_grams
        if was is not None:
            for i, held in zip(pos, was):
                for digits in held or ():
                    if mm_remove(refs, digits, ids[i]) and grams is not None and not self._has_phone(digits):
                        for j in range(len(digits) - 3):
                            mm_remove(grams, digits[j:j + 4], digits)
        now, owners = _at(phones, pos), _at(ids, pos)
        fresh = mm_group([d for ds in now for d in ds], [ref for ref, ds in zip(owners, now) for _ in ds])
        if grams is not None:
            self._add_phone_grams([d for d in fresh if not self._has_phone(d)])
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


def _only_changed(ids: list, old: list, new: tuple[list, ...], span: tuple | None) -> tuple:
    """(ids, old, new, span) narrowed to the records whose indexed fields differ from what the
    index holds: a put that changed nothing indexed (a state, a date) stops here."""
    keep = [i for i, (held, now) in enumerate(zip(old, zip(*new))) if held != now]
    if len(keep) == len(ids):
        return ids, old, new, span
    return [ids[i] for i in keep], [old[i] for i in keep], tuple([col[i] for i in keep] for col in new), None


def _changed(old: list | None, new: Sequence, field: int) -> tuple[Sequence[int], list | None]:
    """Positions whose ``field`` differs from what the index holds, and the values held there
    (None for a record not indexed yet). ``old`` None (nothing held): every position, None."""
    if old is None:
        return range(len(new)), None
    pos = [i for i, (o, n) in enumerate(zip(old, new)) if o is None or o[field] != n]
    return pos, [None if old[i] is None else old[i][field] for i in pos]


def _at(values: list, pos: Sequence[int]) -> list:
    """values at the positions _changed gave (all of them: the list itself)."""
    return values if type(pos) is range else [values[i] for i in pos]


def _shift(ref, was: Iterable[str], now: Iterable[str]) -> None:
    """ref(name, delta) down for each name no longer used, then up for each newly used one."""
    for name, count in Counter(was).items():
        ref(name, -count)
    for name, count in Counter(now).items():
        ref(name, count)
