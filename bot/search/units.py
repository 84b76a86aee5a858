"""The units search knows and the regions they sit in: every unit name that proposals, contacts
and replies use, with a reference count, plus ``Department`` records (name and aliases); the
regions of proposals and unit-name prefixes; the forms a unit is matched by (its name, the name
without its region, its aliases) and abbreviations learned from aliases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Mapping

from bot.model import Department
from bot.search.corpus import Corpus
from bot.search.text import norm

_REGION_PREFIX = re.compile(r"^([\u4e00-\u9fff]{1,4}?[省市县区])")


@dataclass
class UnitInfo:
    name: str                       # display name
    refs: int = 0                   # records naming it (proposals, contacts, replies)
    department: Department | None = None


class UnitTable:
    """Unit key (:func:`norm` of the name) → :class:`UnitInfo`, region → proposals in it, and
    what is derived from them (:meth:`refresh`, after writes that change the set)."""

    def __init__(self, norm_name: Callable[[str], str] = norm) -> None:
        self.norm_name = norm_name  # norm(), memoised by the index for names that repeat
        self.units: dict[str, UnitInfo] = {}
        self.departments: dict[int, tuple[str, str]] = {}  # id → (unit key, name)
        self.proposal_regions: dict[str, int] = {}
        self.dirty = True
        # derived by refresh()
        self.corpus = Corpus(gram=1)  # keyed by (unit key, form name)
        self.regions_of: dict[str, tuple[str, ...]] = {}
        self.known_regions: dict[str, str] = {}   # surface form (full or short) → full region
        self.regions_longest_first: list[tuple[str, str]] = []
        self.learned: dict[str, tuple[str, ...]] = {}  # abbreviations taught by Department aliases

    def __len__(self) -> int:
        return len(self.units)

    # -- changes ---------------------------------------------------------------------------------

    def put_department(self, d: Department) -> None:
        state = (norm(d.name), d.name.strip())
        old = self.departments.get(d.id)  # type: ignore[arg-type]
        if old is not None and old[0] != state[0]:
            self._release_department(old[0])
        self.departments[d.id] = state  # type: ignore[index]
        if state[0]:
            info = self.units.setdefault(state[0], UnitInfo(state[1]))
            info.department = d
            info.name = state[1]
        self.dirty = True

    def _release_department(self, key: str) -> None:
        info = self.units.get(key)
        if info is not None:
            info.department = None
            if info.refs <= 0:
                del self.units[key]
        self.dirty = True

    def drop_department(self, did: int) -> None:
        old = self.departments.pop(did, None)
        if old is not None:
            self._release_department(old[0])

    def ref(self, name: str, delta: int) -> None:
        """``delta`` more (or fewer) records name this unit."""
        key = self.norm_name(name)
        if not key:
            return
        units = self.units
        info = units.get(key)
        if info is None:
            if delta < 0:
                return
            info = units[key] = UnitInfo(name.strip())
            self.dirty = True
        info.refs += delta
        if info.refs <= 0 and info.department is None:
            del units[key]
            self.dirty = True

    def region_ref(self, region: str, delta: int) -> None:
        """``delta`` more (or fewer) proposals are in this region."""
        if not region:
            return
        count = self.proposal_regions.get(region, 0) + delta
        if count > 0:
            self.proposal_regions[region] = count
            if count == delta:
                self.dirty = True
        else:
            self.proposal_regions.pop(region, None)
            self.dirty = True

    # -- derived forms ---------------------------------------------------------------------------

    def refresh(self, aliases: Mapping[str, object]) -> None:
        """Re-derive the unit forms (name, name without region, aliases) after the set of units or
        regions changed. A few thousand short strings: milliseconds, and only after such writes.
        ``aliases``: the configured abbreviations (never overridden by learned ones)."""
        if not self.dirty:
            return
        prefix_count: dict[str, int] = {}
        for key in self.units:
            m = _REGION_PREFIX.match(key)
            if m:
                prefix_count[m.group(1)] = prefix_count.get(m.group(1), 0) + 1
        regions = {norm(r) for r in self.proposal_regions if norm(r)}
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
        self.known_regions = known
        self.regions_longest_first = sorted(known.items(), key=lambda kv: -len(kv[0]))
        forms: list[tuple[str, str]] = []  # (unit key, form name)
        texts: list[str] = []
        regions_of: dict[str, tuple[str, ...]] = {}
        learned: dict[str, set[str]] = {}
        for key, info in self.units.items():
            forms.append((key, "name"))
            texts.append(key)
            found, rest = self.split_region(key, full_only=True)
            regions_of[key] = found
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
        corpus = Corpus(gram=1)
        corpus.load(forms, texts)
        self.corpus = corpus
        self.learned = {abbr: tuple(sorted(frags)) for abbr, frags in learned.items() if abbr not in aliases}
        self.regions_of = regions_of
        self.dirty = False

    def _learn_abbreviation(self, alias: str, rest: str, learned: dict[str, set[str]]) -> None:
        """A Department alias teaches an abbreviation for its kind of unit everywhere:
        临汾市自然资源和规划局 with alias 临汾规自局 (or 市规自局) → 规自局 means 自然资源和规划局."""
        _, short = self.split_region(alias)
        if short == alias and len(alias) > 2 and alias[0] in "市县区":
            short = alias[1:]
        if len(short) >= 2 and short != rest and short not in rest and len(rest) > len(short):
            learned.setdefault(short, set()).add(rest)

    def split_region(self, s: str, full_only: bool = False) -> tuple[tuple[str, ...], str]:
        """Leading known regions (晋城市, 高平市, or 晋城 / 高平 in a query) and the rest."""
        found: list[str] = []
        known = self.known_regions
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

    def record(self, key: str) -> Department:
        """The Department of a unit key; a unit without a record: a Department without id."""
        info = self.units[key]
        if info.department is not None:
            return info.department
        return Department(name=info.name, aliases=[])
