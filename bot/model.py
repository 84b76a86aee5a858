"""Domain records. Names follow the glossary in shared/DOMAIN.md.

Records are plain dataclasses; ``to_doc`` / ``from_doc`` convert them to the JSON documents
stored in TinyDB (every document carries ``schema``). ``id`` is the TinyDB document id and is
not stored inside the document.
"""

from __future__ import annotations

import copy
import functools
from dataclasses import MISSING, asdict, dataclass, field, fields
from typing import Any, ClassVar, TypeVar

from bot.numbers import number_key

SCHEMA_VERSION = 1

BODIES = ("政协", "人大")

# Proposal states, in the order an item normally moves through them.
ASSIGNED = "assigned"
HANDLING = "handling"
REPLIED = "replied"
FOLLOW_UP = "follow_up"
REOPENED = "reopened"
CLOSED = "closed"
OPEN_STATES = (ASSIGNED, HANDLING, FOLLOW_UP, REOPENED)

STATE_LABELS = {
    ASSIGNED: "已交办",
    HANDLING: "办理中",
    REPLIED: "已答复",
    FOLLOW_UP: "待跟进",
    REOPENED: "重新办理",
    CLOSED: "已办结",
}

FEEDBACK_VALUES = ("满意", "基本满意", "不满意")

R = TypeVar("R", bound="Record")


@functools.cache
def _field_names(cls: type) -> frozenset[str]:
    """The stored fields of a record class (unknown keys in old documents are ignored)."""
    return frozenset(f.name for f in fields(cls)) - {"id"}


@functools.cache
def _list_fields(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in fields(cls) if f.default_factory in (list, dict))


@functools.cache
def _doc_fields(cls: type) -> tuple[str, ...]:
    """The stored fields of a record class, in declaration order."""
    return tuple(f.name for f in fields(cls) if f.name != "id")


_SCALARS = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """A copy of a field's value as ``asdict`` makes it: lists, tuples and dicts copied all the
    way down, anything else deep-copied (scalars are their own copy)."""
    kind = type(value)
    if kind in _SCALARS:
        return value
    if kind is list:
        return [_plain(v) for v in value]
    if kind is dict:
        return {_plain(k): _plain(v) for k, v in value.items()}
    return asdict(value) if hasattr(type(value), "__dataclass_fields__") else copy.deepcopy(value)


class _Defaults(dict):
    """Per record class: field name → default value, for fields that have one."""

    def __missing__(self, cls: type) -> dict[str, Any]:
        values = {}
        for f in fields(cls):
            if f.default is not MISSING:
                values[f.name] = f.default
            elif f.default_factory is not MISSING:
                values[f.name] = f.default_factory()
        self[cls] = values
        return values


_DEFAULTS = _Defaults()


@dataclass(slots=True)
class Record:
    """Common conversion to and from stored documents."""

    table: ClassVar[str] = ""
    id: int | None = field(default=None, kw_only=True)

    def to_doc(self) -> dict[str, Any]:
        """Every field, for exports and comparisons: what ``asdict`` gives (lists and dicts
        copied), without its generic walk, which took half of a large import's time."""
        doc = {name: _plain(getattr(self, name)) for name in _doc_fields(type(self))}
        doc["schema"] = SCHEMA_VERSION
        return doc

    def to_stored(self) -> dict[str, Any]:
        """What the database keeps: fields still at their default are left out (``from_doc``
        restores them), which halves the file and the memory a large table takes."""
        defaults = _DEFAULTS[type(self)]
        return {k: v for k, v in self.to_doc().items() if k not in defaults or defaults[k] != v}

    @classmethod
    def from_doc(cls: type[R], doc: dict[str, Any], doc_id: int | None = None) -> R:
        known = _field_names(cls)
        values = {k: v for k, v in doc.items() if k in known}
        # Lists and dicts are copied: a record never shares one with the stored document.
        for name in _list_fields(cls):
            if name in values:
                values[name] = type(values[name])(values[name])
        return cls(**values, id=doc_id)


@dataclass(slots=True)
class Proposal(Record):
    table: ClassVar[str] = "proposals"

    body: str
    region: str
    term: int | None
    meeting: int | None
    number: str
    title: str = ""
    proposer: str = ""
    # Units by id (Department records); the names beside them are those units' current names,
    # kept equal by bot.units (renames and merges rewrite them), for display and search.
    lead_unit: str = ""
    co_units: list[str] = field(default_factory=list)
    lead_unit_id: int | None = None
    co_unit_ids: list[int] = field(default_factory=list)  # parallel to co_units
    assigned_date: str | None = None  # ISO dates throughout
    due_date: str | None = None
    complex: bool = False
    state: str = ASSIGNED
    handlers: list[int] = field(default_factory=list)  # Contact ids
    feedback: str | None = None
    feedback_date: str | None = None
    follow_up_date: str | None = None
    extension_days: int = 0
    warnings: list[str] = field(default_factory=list)
    split: bool = False  # 分办: every unit handles and replies on its own
    # Cached from the history (bot.history.replay), rebuilt at load:
    co_units_done: list[str] = field(default_factory=list)  # co-units whose opinion is in
    quiet: bool = False  # imported as history: no reminders until someone acts on it

    @property
    def number_key(self) -> str:
        return number_key(self.number)

    @property
    def identity(self) -> tuple:
        """(body, region, term, meeting, number key): one proposal per identity."""
        return (self.body, self.region, self.term, self.meeting, self.number_key)

    @property
    def session_label(self) -> str:
        if self.term is None or self.meeting is None:
            return f"{self.region}".strip()
        return f"{self.region}{_cn(self.term)}届{_cn(self.meeting)}次会议"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES


@dataclass(slots=True)
class Reply(Record):
    table: ClassVar[str] = "replies"

    proposal_id: int
    issuer: str | None = None
    signed_by: str | None = None
    doc_number: str | None = None
    classification: str | None = None
    reply_date: str | None = None
    handlers: list[str] = field(default_factory=list)  # names as printed
    leader: str | None = None
    phones: list[str] = field(default_factory=list)
    source_hash: str | None = None
    source_name: str | None = None
    warnings: list[str] = field(default_factory=list)
    checks: list[str] = field(default_factory=list)  # what the letter's check found (bot.letter_check)

    @property
    def identity(self) -> tuple:
        """A reply is its proposal plus its issuing unit (and doc number when present)."""
        return (self.proposal_id, self.issuer or self.signed_by or "", self.doc_number or "")


# Event kinds: one dated step in a proposal's history (办理记录).
EV_ASSIGNED = "assigned"
EV_REPLY = "reply"
EV_SUPPLEMENTARY = "supplementary_reply"
EV_CO_UNIT_OPINION = "co_unit_opinion"
EV_FEEDBACK = "feedback"
EV_EXTENSION = "extension"
EV_REOPEN = "reopen"
EV_NUDGE = "nudge"
EV_EDIT = "edit"
EV_DELETE = "delete"  # the item left every list; ``changes["record"]`` keeps it whole (bot.deletion)
EV_RESTORE = "restore"

EVENT_LABELS = {
    EV_ASSIGNED: "交办",
    EV_REPLY: "答复",
    EV_SUPPLEMENTARY: "补充答复",
    EV_CO_UNIT_OPINION: "协办意见",
    EV_FEEDBACK: "反馈",
    EV_EXTENSION: "延期",
    EV_REOPEN: "重新办理",
    EV_NUDGE: "催办",
    EV_EDIT: "修改",
    EV_DELETE: "删除",
    EV_RESTORE: "恢复",
}


@dataclass(slots=True)
class Event(Record):
    """One dated step in a proposal's history. Events are only added (a correction is an
    ``edit`` event naming its ``target_id``); the proposal's state and due date are replayed
    from them (bot.history)."""

    table: ClassVar[str] = "events"

    proposal_id: int
    kind: str
    business_date: str | None = None  # the date the step happened (ISO); None: unknown
    recorded_at: str = ""  # when the bot recorded it (UTC, ISO)
    by: int | None = None  # Telegram user id; None: an import or the system
    source: str = ""  # "chat", a file name, "import"
    source_hash: str | None = None  # a letter: hash of its normalised text
    unit: str = ""  # the unit that replied or sent the opinion (its name then)
    unit_id: int | None = None  # that unit's Department id
    classification: str | None = None
    doc_number: str | None = None
    feedback: str | None = None
    days: int = 0  # extension
    reason: str = ""
    reply_id: int | None = None  # the Reply record of a reply letter
    target_id: int | None = None  # edit: the event it corrects
    late: bool = False  # dated before a step already on record: history only, no state change
    quiet: bool = False  # assigned: imported as history, sends nothing
    batch: str = ""  # the import that added it (one summary per import)
    changes: dict[str, Any] = field(default_factory=dict)  # assigned / edit: field → value


@dataclass(slots=True)
class Change(Record):
    """One undoable change to many records at once (a merge of units, the import of one file):
    each record it touched as ``[table, id, document before or None (created), hash of the
    document it left or None (removed)]``, so /undo can put them back and see whether anyone
    changed them since (bot.undo)."""

    table: ClassVar[str] = "changes"

    kind: str  # "merge" | "import"
    label: str  # what it was, in Chinese: 合并单位 A → B / 导入 清单.xlsx
    by: int | None = None
    at: str = ""
    records: list[list] = field(default_factory=list)
    undo_of: int | None = None  # this change undid that one


@dataclass(slots=True)
class Contact(Record):
    table: ClassVar[str] = "contacts"

    name: str
    unit: str = ""  # the unit's current name (see Proposal.lead_unit)
    phones: list[str] = field(default_factory=list)
    telegram_user_id: int | None = None
    telegram_username: str | None = None
    muted: bool = False
    unit_id: int | None = None
    position: str = ""  # 职务 as the contact list gives it (联络员, 分管领导 …)

    @property
    def identity(self) -> tuple:
        """One contact per name and unit (the unit's id once it has one)."""
        return (self.name, self.unit if self.unit_id is None else self.unit_id)


@dataclass(slots=True)
class Department(Record):
    table: ClassVar[str] = "departments"

    """A unit (单位): one per region and full name. Its contacts are the Contact records
    pointing at it (``Repository.contacts_of_unit``); its liaison and leader are worked out
    from them (bot.units)."""

    name: str
    aliases: list[str] = field(default_factory=list)  # other names it was written as (learned)
    supervisor_chat_id: int | None = None
    region: str = ""
    pending: bool = False  # 待确认: a name that resolved to no unit while near some


@dataclass(slots=True)
class User(Record):
    """A Telegram user the bot knows: role granted in chat (config roles are merged on top)."""

    table: ClassVar[str] = "users"

    user_id: int
    role: str  # admin | staff | handler
    granted_by: int | None = None
    granted_at: str | None = None
    name: str = ""


@dataclass(slots=True)
class Setting(Record):
    """A value the bot keeps about its own data, such as what the cached proposal states were
    computed with (``bot.history.rebuild_all``)."""

    table: ClassVar[str] = "settings"

    key: str
    value: str = ""


def _cn(n: int) -> str:
    """Small int → Chinese numeral as used in session names (8 → 八, 17 → 十七)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    if n < 20:
        return "十" + (digits[n % 10] if n % 10 else "")
    if n < 100:
        return digits[n // 10] + "十" + (digits[n % 10] if n % 10 else "")
    return str(n)
