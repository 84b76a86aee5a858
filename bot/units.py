"""Units (单位) as records: one canonical ``Department`` per region and full name, with aliases.

- ``split_region`` reads the region a unit name carries (晋城市…, 泽州县…, a bare 市/县/区 in front
  meaning the document's own level) and the rest of the name (its *core*).
- ``UnitResolver`` resolves a name as written to a unit of its region: exact name or stored
  alias, then the config ``[aliases]`` expansions, then the general rule: one core is a
  character subsequence of the other (发改委 ⊂ 发展和改革委员会) and ends with the same kind of
  word (局, 委, 办 …). A tie is never guessed.
- ``UnitRegistry`` applies that to the repository: it learns aliases, upgrades a short unit to
  the full name when one arrives, creates a unit marked 待确认 when a name is near others but
  resolves to none, merges units, and answers who the liaison and the unit leader are and who
  handles an item (``handlers_of``: the item's own handlers, else its lead unit's liaison).

Proposals and contacts point at units by id; the name strings they also carry are the unit's
current name, kept equal here (renames and merges rewrite them), for display and search.
Pure core module: no telegram.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Iterable, Mapping, Sequence

from bot.model import Contact, Department, Proposal

LEVELS = "市县区旗"
# A region named at the start of a unit: 2–4 characters ending in a level (高平市, 泽州县, 城区).
_REGION_HEAD = re.compile(rf"^([\u4e00-\u9fff]{{1,3}}?(?:自治县|[{LEVELS}]))")
_NOT_REGIONS = ("中共", "中国", "共青", "民建", "民盟", "民进", "农工", "致公", "九三", "台盟", "民革")
_WORDS_NOT_REGIONS = {"城市", "超市", "夜市", "社区", "园区", "景区", "新区", "市区", "县区", "街区", "矿区", "开发区"}
SUFFIX_SPAN = 3  # an abbreviation's last character lies in the last 3 of the full core (委员会)


def normalize(name: str) -> str:
    """NFKC, no spaces or brackets: the form names are compared in."""
    text = unicodedata.normalize("NFKC", name or "")
    return re.sub(r"[\s()（）【】\[\]]", "", text)


def split_region(name: str, doc_region: str | None, known: Iterable[str] = (),
                 default_region: str | None = None) -> tuple[str, str]:
    """(region, core) of a unit name as written.

    A known region in front wins (晋城市…, 泽州县…); a bare level character in front (市发改委,
    县住建局) means the document's region of that level, else the default region of that level;
    a plausible new region in front (高平市…) is taken as written; no prefix at all (发改委)
    means the document's region.
    """
    text = normalize(name)
    known_sorted = sorted({r for r in known if r}, key=len, reverse=True)
    for region in known_sorted:
        if text.startswith(region) and len(text) > len(region):
            return region, text[len(region):]
    # Without a document or default region, the registry's only region is the one meant.
    only = known_sorted[0] if len(known_sorted) == 1 else ""
    doc = doc_region or default_region or only
    if len(text) > 2 and text[0] in LEVELS:
        of_level = [r for r in known_sorted if r.endswith(text[0])]
        for candidate in (doc_region, default_region, of_level[0] if len(of_level) == 1 else None):
            if candidate and candidate.endswith(text[0]):
                return candidate, text[1:]
        return doc, text[1:]
    match = _REGION_HEAD.match(text)
    if match and len(text) > len(match.group(1)) + 1 and not text.startswith(_NOT_REGIONS):
        head = match.group(1)
        # 城市管理局, 社区服务中心: a level character inside an ordinary word is not a region.
        if len(head) >= 2 and head not in _WORDS_NOT_REGIONS:
            return head, text[len(head):]
    return doc, text


def _is_subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _abbreviates(short: str, long: str) -> bool:
    """short is an abbreviation of long: a subsequence that ends in the same kind of word."""
    return (len(short) >= 2 and len(short) < len(long) and short[-1] in long[-SUFFIX_SPAN:]
            and _is_subsequence(short, long))


def same_unit_names(a: str, b: str) -> bool:
    """Whether two names, out of any document, may name one unit: no conflicting regions, and
    one core equal to or an abbreviation of the other (市发展改革委 / 晋城市发展和改革委员会)."""
    (ra, ca), (rb, cb) = split_region(a, None), split_region(b, None)
    return (not ra or not rb or ra == rb) and _score(ca, cb) > 0


@dataclass
class Match:
    unit: Department | None
    how: str = ""  # name | alias | config | subsequence; empty when unresolved
    region: str = ""
    core: str = ""
    nearest: list[Department] = field(default_factory=list)


class UnitResolver:
    """Resolves names against a set of units (pure: no repository)."""

    def __init__(self, units: Iterable[Department], default_region: str = "",
                 aliases: Mapping[str, Sequence[str]] | None = None):
        self.default_region = default_region
        self.aliases = {normalize(k): tuple(normalize(f) for f in v) for k, v in (aliases or {}).items()}
        self.units: dict[int, Department] = {}
        self.regions: set[str] = {default_region} if default_region else set()
        self._forms: dict[tuple[str, str], list[tuple[int, str]]] = {}  # (region, core) → (id, how)
        self._cores: dict[str, dict[int, list[str]]] = {}  # region → unit id → cores of name and aliases
        for unit in units:
            self.regions.add(unit.region)
        for unit in units:
            self._add(unit)

    def _add(self, unit: Department) -> None:
        self.units[unit.id] = unit
        self.regions.add(unit.region)
        cores = self._cores.setdefault(unit.region, {}).setdefault(unit.id, [])
        for how, text in (("name", unit.name), *(("alias", a) for a in unit.aliases)):
            region, core = split_region(text, unit.region, self.regions, self.default_region)
            if region != unit.region:  # an alias written with another prefix still names this unit
                core = normalize(text)
            self._forms.setdefault((unit.region, core), []).append((unit.id, how))
            cores.append(core)

    def split(self, name: str, region: str | None) -> tuple[str, str]:
        return split_region(name, region, self.regions, self.default_region)

    def resolve(self, name: str, region: str | None = None) -> Match:
        region, core = self.split(name, region)
        if not core:
            return Match(None, region=region, core=core)
        exact = self._forms.get((region, core))
        if exact:
            unit_id, how = min(exact, key=lambda e: (self.units[e[0]].pending, e[1] != "name", e[0]))
            return Match(self.units[unit_id], how, region, core)
        variants = [(core, "subsequence")]
        for abbr, fragments in self.aliases.items():
            if abbr and abbr in core:
                variants += [(core.replace(abbr, frag, 1), "config") for frag in fragments if frag]
        units = self._cores.get(region, {})
        for variant, how in variants:
            if how == "config" and (region, variant) in self._forms:
                return Match(self.units[self._forms[(region, variant)][0][0]], how, region, core)
            scored = []
            for unit_id, cores in units.items():
                best = max((_score(variant, c) for c in cores), default=0.0)
                if best > 0:
                    scored.append((best, unit_id))
            if not scored:
                continue
            scored.sort(key=lambda s: (-s[0], self.units[s[1]].pending, s[1]))
            if len(scored) > 1 and scored[1][0] == scored[0][0]:
                tied = [self.units[i] for s, i in scored if s == scored[0][0]]
                return Match(None, region=region, core=core, nearest=tied[:5])
            return Match(self.units[scored[0][1]], how, region, core)
        if not region:
            return self._resolve_regionless(normalize(name), core)
        return Match(None, region=region, core=core, nearest=self.nearest(core, region))

    def _resolve_regionless(self, written: str, core: str) -> Match:
        """A name whose region nothing tells (市发改委 in an untitled list, several cities
        known): the one unit once written exactly so, else unresolved with every unit it may
        abbreviate as the nearest (待确认), never a silent new unit."""
        same = {u.id for u in self.units.values() if written in (normalize(u.name), *map(normalize, u.aliases))}
        if len(same) == 1:
            return Match(self.units[same.pop()], "alias", "", core)
        near = [self.units[i] for cores in self._cores.values() for i, cs in cores.items()
                if any(_score(core, c) > 0 for c in cs)]
        return Match(None, region="", core=core, nearest=near[:5])

    def nearest(self, core: str, region: str, limit: int = 3) -> list[Department]:
        """Units of the region sharing most characters with the core (for a 待确认 unit)."""
        from rapidfuzz.distance import LCSseq

        scored = []
        stem = core[:-1]  # without the kind of word (局, 委, 办): sharing only that is no nearness
        for unit_id, cores in self._cores.get(region, {}).items():
            best = 0
            for c in cores:
                shared = LCSseq.similarity(stem, c[:-1])
                # 教体局 / 教育局: the same first character and kind of word count as near too
                if shared >= max(2, len(stem) / 2) or (stem[:1] == c[:1] and core[-1:] == c[-1:]):
                    best = max(best, shared)
            if best:
                scored.append((-best, unit_id))
        return [self.units[i] for _, i in sorted(scored)[:limit]]


def _score(a: str, b: str) -> float:
    """How well a and b name the same unit when one abbreviates the other; 0 when neither does."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if short == long:
        return 3.0
    if not _abbreviates(short, long):
        return 0.0
    return len(short) / len(long) + 0.2 * (short[0] == long[0]) + 0.2 * (short[-1] == long[-1])


# ----------------------------------------------------------------------------- the registry

@dataclass
class Liaison:
    contact: Contact
    pending: bool  # 待确认: picked as the first listed of several, no 联络员 among them


class UnitRegistry:
    """Units in the repository: resolving, learning, creating, renaming, merging; liaisons."""

    def __init__(self, repo, config):
        self.repo, self.config = repo, config
        self._resolver: UnitResolver | None = None  # rebuilt after this registry changes a unit

    def _put_unit(self, unit: Department) -> Department:
        self._resolver = None
        return self.repo.put(unit)

    @property
    def resolver(self) -> UnitResolver:
        if self._resolver is None:
            self._resolver = UnitResolver(self.repo.departments(), self.config.region, self.config.aliases)
        return self._resolver

    def resolve(self, name: str, region: str | None = None) -> Match:
        return self.resolver.resolve(name, region or None)

    def unit_for(self, name: str, region: str | None = None) -> tuple[Department, Match]:
        """The unit a name as written stands for, created when none does (marked 待确认 when it
        is near existing units but resolves to none of them). Learns the name as an alias, and
        takes it as the unit's name when it is the fuller form (a letter's full name after a
        list's short one)."""
        name = normalize(name)
        match = self.resolve(name, region)
        unit = match.unit
        if unit is None:
            unit = self._put_unit(Department(name=name, region=match.region, pending=bool(match.nearest)))
            return unit, match
        if match.how == "name" and name != unit.name and not unit.pending and name.startswith(unit.region) \
                and not unit.name.startswith(unit.region):
            self.rename(unit, name)  # 晋城市教育局 after 市教育局: the name with its region is the full one
        elif match.how in ("subsequence", "config"):
            _, unit_core = self.resolver.split(unit.name, unit.region)
            if _abbreviates(unit_core, match.core) and not unit.pending:
                self.rename(unit, name)
            elif name not in unit.aliases and name != unit.name:
                unit.aliases.append(name)
                self._put_unit(unit)
        return unit, match

    def rename(self, unit: Department, new_name: str) -> None:
        """Give the unit a new name (the old one stays an alias) and rewrite the names its
        items and contacts carry."""
        old = unit.name
        if new_name == old:
            return
        unit.aliases = [a for a in (*unit.aliases, old) if a != new_name]
        unit.name = new_name
        self._put_unit(unit)
        # copies, not the live records: an import's undo needs each one's earlier state
        for p in self.repo.proposals_of_unit(unit.id):
            self.repo.put(self.refresh_names(Proposal.from_doc(p.to_doc(), p.id)))
        for c in self.repo.contacts_of_unit(unit.id):
            c = Contact.from_doc(c.to_doc(), c.id)
            c.unit = new_name
            self.repo.put(c)

    def link_legacy(self) -> int:
        """Records stored before units had ids: resolve their unit names once. Returns how many
        records changed."""
        changed = 0
        with self.repo.batch():
            for p in self.repo.proposals():
                if (p.lead_unit and p.lead_unit_id is None) or len(p.co_unit_ids) != len(p.co_units):
                    self.repo.put(self.assign_units(p, p.lead_unit, p.co_units, p.region))
                    changed += 1
            for c in self.repo.contacts():
                if c.unit and c.unit_id is None:
                    unit, _ = self.unit_for(c.unit, None)
                    c.unit_id, c.unit = unit.id, unit.name
                    self.repo.put(c)
                    changed += 1
        return changed

    def assign_units(self, p: Proposal, lead: str | None, co: Iterable[str], region: str | None,
                     found: list[tuple[Department, Match]] | None = None) -> Proposal:
        """Point the proposal at the units its lead and co-unit names resolve to (each unit and
        how it was found is appended to ``found``)."""
        if lead:
            unit, match = self.unit_for(lead, region)
            p.lead_unit_id, p.lead_unit = unit.id, unit.name
            if found is not None:
                found.append((unit, match))
        ids, names = [], []
        for name in co:
            unit, match = self.unit_for(name, region)
            if unit.id not in ids and unit.id != p.lead_unit_id:
                ids.append(unit.id)
                names.append(unit.name)
            if found is not None:
                found.append((unit, match))
        if ids or co:
            p.co_unit_ids, p.co_units = ids, names
        return p

    # -- merging ---------------------------------------------------------------------------------

    def find(self, name: str) -> Department | None:
        """The unit a person means by ``name``: an exact name or alias of any region first
        (a 待确认 unit is named exactly as written), else the resolver's answer."""
        text = normalize(name)
        exact = [d for d in self.repo.departments() if text == d.name or text in d.aliases]
        if len(exact) == 1:
            return exact[0]
        return self.resolve(text).unit if not exact else None

    def near(self, unit: Department) -> list[Department]:
        """The other units of its region nearest to it (for a 待确认 unit)."""
        _, core = self.resolver.split(unit.name, unit.region)
        return [u for u in self.resolver.nearest(core, unit.region, limit=4) if u.id != unit.id][:3]

    def pending(self) -> list[tuple[Department, list[Department]]]:
        """Units marked 待确认, each with the nearest other units of its region."""
        return [(unit, self.near(unit)) for unit in self.repo.departments() if unit.pending]

    def merge(self, source: Department, target: Department, user_id: int | None) -> dict:
        """Fold ``source`` into ``target``: its items, contacts, supervisor chat and names move
        over; the source is deleted. Audited with the before-state of every record touched, so
        an undo can put them back. Returns counts."""
        if source.id == target.id:
            raise ValueError("不能把单位合并到它自己")
        before = {
            "departments": [_doc(source), _doc(target)],
            "proposals": [_doc(p) for p in self.repo.proposals_of_unit(source.id)],
            "contacts": [_doc(c) for c in self.repo.contacts_of_unit(source.id)],
        }
        moved = {"proposals": 0, "contacts": 0}
        with self.repo.batch():
            for p in self.repo.proposals_of_unit(source.id):
                if p.lead_unit_id == source.id:
                    p.lead_unit_id = target.id
                p.co_unit_ids = [u for u in dict.fromkeys(target.id if u == source.id else u for u in p.co_unit_ids)
                                 if u != p.lead_unit_id]
                # the cached 'opinion is in' follows the unit (the replay resolves it the same way)
                p.co_units_done = list(dict.fromkeys(target.name if n == source.name else n for n in p.co_units_done))
                self.repo.put(self.refresh_names(p, {source.id: target}))
                moved["proposals"] += 1
            for c in self.repo.contacts_of_unit(source.id):
                c.unit_id, c.unit = target.id, target.name
                self.repo.put(c)
                moved["contacts"] += 1
            target.aliases = list(dict.fromkeys(
                a for a in (*target.aliases, source.name, *source.aliases) if a != target.name))
            if target.supervisor_chat_id is None and source.supervisor_chat_id is not None:
                target.supervisor_chat_id = source.supervisor_chat_id
            target.pending = False
            self._put_unit(target)
            self.repo.delete(source)
            self.repo.audit("merge_units", user_id, source=source.id, target=target.id,
                            source_name=source.name, target_name=target.name, before=before, **moved)
            from bot.undo import record_change  # /undo puts every record back

            kinds = {"departments": Department, "proposals": Proposal, "contacts": Contact}
            record_change(self.repo, "merge", f"合并单位“{source.name}”到“{target.name}”", user_id,
                          {(kinds[table], doc["id"]): {k: v for k, v in doc.items() if k != "id"}
                           for table, docs in before.items() for doc in docs})
        return moved

    def forget(self) -> None:
        """Units were put back from outside the registry (an undo): resolve afresh."""
        self._resolver = None

    def refresh_names(self, p: Proposal, replaced: Mapping[int, Department] = {}) -> Proposal:
        """Set the unit names the proposal carries from its unit ids."""
        def name(unit_id: int) -> str:
            unit = replaced.get(unit_id) or self.unit(unit_id)
            return unit.name if unit is not None else ""
        if p.lead_unit_id is not None:
            p.lead_unit = name(p.lead_unit_id)
        p.co_units = [name(u) for u in p.co_unit_ids]
        return p

    def unit(self, unit_id: int | None) -> Department | None:
        return self.repo.get(Department, unit_id) if unit_id is not None else None

    def open_items(self, unit: Department) -> list[Proposal]:
        """Open items the unit leads or co-handles, by its id and by every name it goes by."""
        items = {p.id: p for p in self.repo.open_proposals_of_unit(unit.id)} if unit.id is not None else {}
        for name in (unit.name, *unit.aliases):
            for p in self.repo.proposals_naming_unit(name):
                if p.is_open and p.lead_unit_id in (None, unit.id):
                    items.setdefault(p.id, p)
        return list(items.values())

    def open_items_named(self, name: str) -> list[Proposal]:
        """open_items of the unit called ``name`` (a name used without a unit record too)."""
        return self.open_items(self.repo.department(name) or Department(name=name))

    # -- liaisons, leaders, handlers -------------------------------------------------------------

    def contacts_of(self, unit_id: int) -> list[Contact]:
        return sorted(self.repo.contacts_of_unit(unit_id), key=lambda c: c.id)

    def liaison_of(self, unit_id: int | None) -> Liaison | None:
        """The contact whose 职务 names a liaison; else the unit's only contact; else the first
        listed, marked 待确认 (``units.liaison_fallback = "first"``; "none" leaves it unset)."""
        if unit_id is None:
            return None
        contacts = [c for c in self.contacts_of(unit_id) if not _is_leader(c, self.config)]
        words = self.config.liaison_positions
        named = [c for c in contacts if c.position and any(w in c.position for w in words)]
        if named:
            return Liaison(named[-1], False)  # the latest list's liaison
        if len(contacts) == 1:
            return Liaison(contacts[0], False)
        if contacts and self.config.liaison_fallback == "first":
            return Liaison(contacts[0], True)
        return None

    def unit_leader_of(self, unit_id: int | None) -> Contact | None:
        """The unit's leader (分管领导, 主任, 局长 …): where escalations go when no supervisor
        chat is set."""
        if unit_id is None:
            return None
        leaders = [c for c in self.contacts_of(unit_id) if _is_leader(c, self.config)]
        return leaders[0] if leaders else None

    def liaisons(self) -> dict[int, int]:
        """unit id → liaison contact id, for every unit that has one (one sweep's worth)."""
        out = {}
        for unit in self.repo.departments():
            liaison = self.liaison_of(unit.id)
            if liaison is not None:
                out[unit.id] = liaison.contact.id
        return out

    def leaders(self) -> dict[int, int]:
        """unit id → unit leader contact id, for every unit that has one."""
        out = {}
        for unit in self.repo.departments():
            leader = self.unit_leader_of(unit.id)
            if leader is not None:
                out[unit.id] = leader.id
        return out

    def handlers_of(self, p: Proposal) -> list[Contact]:
        """Who handles the item: its own handlers, else its lead unit's liaison."""
        return self.repo.contacts_by_id(handler_ids(p, self.liaisons_for([p])))

    def liaisons_for(self, proposals: Iterable[Proposal]) -> dict[int, int]:
        out = {}
        for unit_id in {u for p in proposals for u in (p.lead_unit_id, *p.co_unit_ids) if u is not None}:
            liaison = self.liaison_of(unit_id)
            if liaison is not None:
                out[unit_id] = liaison.contact.id
        return out

    def unassigned_items(self) -> list[Proposal]:
        """Open items without any handler (bot.units.unassigned), for the admins' digest."""
        return unassigned(self.repo.proposals(), self.liaisons())

    def may_reply(self, p: Proposal, user_id: int) -> bool:
        """A linked handler of the item (own, or the lead unit's liaison) may /reply for it."""
        return any(c.telegram_user_id == user_id for c in self.handlers_of(p))

    def items_of(self, contact: Contact) -> tuple[list[Proposal], list[Proposal]]:
        """(open items the contact handles, open items where the contact is a co-unit's liaison)."""
        own = {p.id: p for p in self.repo.proposals_handled_by(contact.id) if p.is_open}
        co: dict[int, Proposal] = {}
        if contact.unit_id is not None:
            liaison = self.liaison_of(contact.unit_id)
            if liaison is not None and liaison.contact.id == contact.id:
                for p in self.repo.open_proposals_of_unit(contact.unit_id):
                    if p.lead_unit_id == contact.unit_id and not p.handlers:
                        own[p.id] = p
                    elif p.lead_unit_id != contact.unit_id and p.id not in own:
                        co[p.id] = p
        return list(own.values()), list(co.values())


def handler_ids(p: Proposal, liaisons: Mapping[int, int]) -> list[int]:
    """The item's effective handlers (the one rule, shared with the reminder planner)."""
    if p.handlers:
        return p.handlers
    liaison = liaisons.get(p.lead_unit_id) if p.lead_unit_id is not None else None
    return [liaison] if liaison is not None else []


def unassigned(proposals: Iterable[Proposal], liaisons: Mapping[int, int]) -> list[Proposal]:
    """Open items no one handles: no handler of their own and no liaison of their lead unit
    (items imported as history and not acted on since are left out: they send nothing)."""
    return [p for p in proposals if p.is_open and not p.quiet and not handler_ids(p, liaisons)]


def _is_leader(contact: Contact, config) -> bool:
    position = contact.position or ""
    if any(w in position for w in config.liaison_positions):
        return False
    return any(w in position for w in config.leader_positions)


def _doc(record) -> dict:
    return {"id": record.id, **record.to_doc()}
