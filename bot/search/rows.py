"""Compact tables for the index: :class:`Rows` (record id → value, a list for dense ids),
:class:`State` (record id → tuple, column by column) and multimaps (a single value stored as
itself, several in a list)."""

from __future__ import annotations

import itertools
import operator
from collections import defaultdict, deque
from typing import Any, Iterable, Sequence

class Rows:
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
        ids (the usual case at start-up). ``span``: :func:`id_span` of the keys, when known;
        ``checked``: the values are known not to be None."""
        if not keys:
            return
        if span is None:
            span = id_span(keys)
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


class State:
    """record id → a tuple of ``width`` fields, kept column by column (a :class:`Rows` each):
    8 bytes a field, where a tuple per record takes 40 bytes more. None is a storable field."""

    __slots__ = ("cols",)
    _NONE = object()

    def __init__(self, width: int) -> None:
        self.cols = tuple(Rows() for _ in range(width))

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
        :meth:`Rows.fill`)."""
        none = self._NONE
        if span is None:
            span = id_span(keys)
        for col, values in zip(self.cols, columns, strict=True):
            if any(map(operator.is_, values, itertools.repeat(None))):
                values = [none if v is None else v for v in values]
            col.fill(keys, values, span, checked=True)


def id_span(keys: Sequence) -> tuple[int, int, bool] | None:
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


MISSING = object()


def mm_add(m: dict, key: Any, value: Any) -> None:
    """Multimap: a single value is stored as itself, two or more in a list (a list of ints is a
    quarter of a set's size). Callers add a (key, value) pair at most once."""
    cur = m.get(key, MISSING)
    if cur is MISSING:
        m[key] = value
    elif type(cur) is list:
        cur.append(value)
    else:
        m[key] = [cur, value]


def mm_remove(m: dict, key: Any, value: Any) -> bool:
    """Remove one value; True when the key has no value left."""
    cur = m.get(key, MISSING)
    if cur is MISSING:
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


def mm_get(m: dict, key: Any) -> Sequence:
    cur = m.get(key, MISSING)
    if cur is MISSING:
        return ()
    return cur if type(cur) is list else (cur,)


def mm_merge(m: Any, fresh: dict[Any, Any]) -> None:
    """mm_add of every (key, value) in ``fresh``, a multimap or key → list of values (as
    :func:`group` makes them), for a bulk load: the lists become the multimap's own."""
    if not len(m):
        if type(m) is dict:
            m.update({k: v[0] if type(v) is list and len(v) == 1 else v for k, v in fresh.items()})
        else:
            m.fill(list(fresh), [v[0] if type(v) is list and len(v) == 1 else v for v in fresh.values()])
        return
    for key, values in fresh.items():
        if type(values) is not list:
            values = [values]
        cur = m.get(key, MISSING)
        if cur is MISSING:
            m[key] = values[0] if len(values) == 1 else values
        elif type(cur) is list:
            cur.extend(values)
        else:
            m[key] = [cur, *values]


def mm_group(keys: Iterable, values: Iterable) -> dict[Any, Any]:
    """The multimap of the (key, value) pairs, values in order: for keys that mostly have one
    value (no list made for those, unlike :func:`group`)."""
    m: dict[Any, Any] = {}
    get = m.get
    for key, value in zip(keys, values):
        cur = get(key, MISSING)
        if cur is MISSING:
            m[key] = value
        elif type(cur) is list:
            cur.append(value)
        else:
            m[key] = [cur, value]
    return m


def group(keys: Iterable, values: Iterable) -> dict[Any, list]:
    """key → list of its values, in order, at C speed (no Python loop)."""
    groups: defaultdict[Any, list] = defaultdict(list)
    deque(map(list.append, map(groups.__getitem__, keys), values), maxlen=0)
    return groups

