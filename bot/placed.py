"""A table whose records stay in the snapshot file until someone asks for them (events: the
bulk of the data, mostly never looked at once loaded). Part of the repository (``bot.storage``),
kept apart because it is a data structure of its own: a dict for the records built or written
since the load, beside an array of where the others sit in the file."""

from __future__ import annotations

import os
from array import array
from typing import Any, Iterator

import orjson

from bot.durable import StorageError, read_placed
from bot.model import Record


class PlacedTable(dict):
    """id → record for a table whose records are mostly never looked at once loaded (events:
    the bulk of the data). Each stays where it is in the snapshot file until first asked for:
    ``places[id]`` (see ``durable.place``; 0: none), read through ``reader``, a descriptor of
    that file — 8 bytes an event instead of its JSON. Asked for, it is built once and kept in
    the dict, so it is the same object afterwards, as in every table; records written since the
    load, and documents too large to place, are in the dict too. An id is in exactly one of the
    two. ``peek`` builds one without keeping it (a pass over all of them leaves memory as it
    was). ``lock`` is the repository's: a compaction moves the places to the new file under it."""

    __slots__ = ("cls", "reader", "lock", "places", "placed")

    def __init__(self, cls: type[Record], lock: Any):
        super().__init__()
        self.cls = cls
        self.reader: int | None = None
        self.lock = lock
        self.places = array("q")
        self.placed = 0  # ids with a place

    # -- places ------------------------------------------------------------------------------

    def place(self, rid: int, spot: int) -> None:
        places = self.places
        if rid >= len(places):
            places.frombytes(bytes(8 * (rid + 1 - len(places))))
        if not places[rid]:
            self.placed += 1
        places[rid] = spot

    def _spot(self, rid: int) -> int:
        places = self.places
        return places[rid] if 0 <= rid < len(places) else 0

    def _unplace(self, rid: int) -> bool:
        if self._spot(rid):
            self.places[rid] = 0
            self.placed -= 1
            return True
        return False

    def placed_ids(self) -> list[int]:
        return [rid for rid, spot in enumerate(self.places) if spot]

    def top_id(self) -> int:
        """The largest id (0 when empty), without listing them all."""
        places = self.places
        top = len(places) - 1
        while top > 0 and not places[top]:
            top -= 1
        return max(max(dict.keys(self), default=0), max(top, 0))

    # -- reading -----------------------------------------------------------------------------

    def _built(self, rid: int, keep: bool = True) -> Record | None:
        with self.lock:
            value = dict.get(self, rid)
            if value is not None and type(value) is not bytes:
                return value
            if value is None:
                spot = self._spot(rid)
                if not spot:
                    return None
                if self.reader is None:
                    raise StorageError(f"数据库文件已无法读取，表 {self.cls.table} 的记录读不到。")
                value = read_placed(self.reader, spot)
            record = self.cls.from_doc(orjson.loads(value), rid)
            if keep:
                self._unplace(rid)
                dict.__setitem__(self, rid, record)
            return record

    def get(self, rid: int, default: Any = None) -> Any:
        value = dict.get(self, rid)
        if value is None or type(value) is bytes:
            value = self._built(rid)
        return default if value is None else value

    def __getitem__(self, rid: int) -> Record:
        value = self.get(rid)
        if value is None:
            raise KeyError(rid)
        return value

    def peek(self, rid: int) -> Record | None:
        value = dict.get(self, rid)
        return self._built(rid, keep=False) if value is None or type(value) is bytes else value

    def __contains__(self, rid: object) -> bool:
        return dict.__contains__(self, rid) or (type(rid) is int and bool(self._spot(rid)))

    def __len__(self) -> int:
        return dict.__len__(self) + self.placed

    def __iter__(self) -> Iterator[int]:  # by id: the order records were added in
        return iter(sorted([*dict.keys(self), *self.placed_ids()]))

    def keys(self) -> list[int]:  # type: ignore[override]
        return list(self)

    def values(self) -> list[Record]:  # type: ignore[override]
        return [self[rid] for rid in list(self)]

    def items(self) -> list[tuple[int, Record]]:  # type: ignore[override]
        return [(rid, self[rid]) for rid in list(self)]

    # -- writing -----------------------------------------------------------------------------

    def __setitem__(self, rid: int, record: Any) -> None:
        self._unplace(rid)
        dict.__setitem__(self, rid, record)

    def __delitem__(self, rid: int) -> None:
        if dict.__contains__(self, rid):
            dict.__delitem__(self, rid)
        elif not self._unplace(rid):
            raise KeyError(rid)

    def pop(self, rid: int, *default: Any) -> Any:  # type: ignore[override]
        if rid in self:
            value = self.peek(rid)
            del self[rid]
            return value
        if default:
            return default[0]
        raise KeyError(rid)

    def clear(self) -> None:
        dict.clear(self)
        self.places, self.placed = array("q"), 0

    def move_to(self, reader: int | None, places: dict[int, int]) -> None:
        """After a compaction (under ``lock``): the records not built yet are read from the new
        file from now on (``places``: where each of the table's documents is in it)."""
        for rid in self.placed_ids():
            spot = places.get(rid)
            if spot is None or reader is None:  # not placed there (too large): kept as JSON
                raw = read_placed(self.reader, self.places[rid])  # type: ignore[arg-type]
                self._unplace(rid)
                dict.__setitem__(self, rid, raw)
            else:
                self.places[rid] = spot
        for rid, value in list(dict.items(self)):
            if type(value) is bytes and reader is not None and rid in places:
                dict.__delitem__(self, rid)
                self.place(rid, places[rid])
        self.close()
        self.reader = reader

    @staticmethod
    def close_all(tables: list["PlacedTable"]) -> None:
        for records in tables:
            records.close()

    def close(self) -> None:
        if self.reader is not None:
            os.close(self.reader)
            self.reader = None
