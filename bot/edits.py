"""Correcting an item: /edit's fields, their values checked, each change an ``edit`` event with
before and after, and the undo of one by a reversing event (bot.undo picks the caller's last change).

Dates and complexity are replayed from the events (bot.history's EDITABLE); title, proposer,
units and handlers are the record's own fields, changed on it, and the event keeps both values.
``undo_edit`` refuses when someone else changed the same item since. Pure core: no telegram.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from bot import history
from bot.deadlines import handling_due_date
from bot.model import EV_EDIT, Event, Proposal
from bot.parsing import parse_date, split_names

EDIT_MINUTES = 10


@dataclass(frozen=True)
class Field:
    code: str      # in callback data: ed:<id>:<code>
    name: str      # the record's field
    label: str
    hint: str


FIELDS = [
    Field("t", "title", "案由", "新的案由（标题）"),
    Field("p", "proposer", "提案人", "新的提案人"),
    Field("l", "lead_unit", "主办单位", "主办单位的全称或简称"),
    Field("c", "co_units", "协办单位", "协办单位，用顿号分隔；“无”表示没有"),
    Field("h", "handlers", "承办人", "承办人姓名，用顿号分隔（须为已导入的联系人）；“无”表示没有"),
    Field("a", "assigned_date", "交办日期", "交办日期，如 2026-03-20"),
    Field("d", "due_date", "办理期限", "办理期限，如 2026-06-20；“无”表示按规则计算"),
    Field("x", "complex", "复杂件", "是 或 否"),
]
BY_CODE = {f.code: f for f in FIELDS}
REPLAYED = ("assigned_date", "due_date", "complex")  # history.EDITABLE
NONE_WORDS = ("无", "没有", "空", "-", "—")


def shown(svc, p: Proposal, field: Field) -> str:
    value = stored(svc, p, field)
    if field.name == "complex":
        return "是" if value else "否"
    if isinstance(value, list):
        return "、".join(value) or "（无）"
    if field.name == "due_date" and not value:  # none set: the rules give it
        due = handling_due_date(p, svc.config, svc.calendar)
        return f"（未单独设定，按规则为 {due.isoformat()}）" if due else "（无）"
    return value or "（无）"


def stored(svc, p: Proposal, field: Field):
    """The field's value in the form the event keeps (names for units and handlers)."""
    if field.name == "handlers":
        return [c.name for c in svc.repo.contacts_by_id(p.handlers)]
    value = getattr(p, field.name)
    return list(value) if isinstance(value, list) else value


def parse_value(svc, p: Proposal, field: Field, text: str):
    """(value, error in Chinese) for what the person typed."""
    text = unicodedata.normalize("NFKC", text or "").strip()
    if not text:
        return None, f"请发送{field.hint}。"
    if len(text) > 300:
        return None, f"内容过长（{len(text)} 个字符）。"
    if field.name in ("assigned_date", "due_date"):
        if field.name == "due_date" and text in NONE_WORDS:
            return None, None
        iso = parse_date(text)
        if iso is None:
            return None, f"日期“{text[:20]}”无法识别或不存在，请写成 2026-03-20。"
        other = p.due_date if field.name == "assigned_date" else p.assigned_date
        if field.name == "due_date" and other and iso < other:
            return None, f"办理期限（{iso}）不能早于交办日期（{other}）。"
        if field.name == "assigned_date" and other and iso > other:
            return None, f"交办日期（{iso}）不能晚于办理期限（{other}）。"
        return iso, None
    if field.name == "complex":
        if text in ("是", "复杂", "是复杂件", "y", "yes"):
            return True, None
        if text in ("否", "不是", "一般", "n", "no"):
            return False, None
        return None, "请回答 是 或 否。"
    if field.name in ("title", "proposer"):
        return text, None
    if field.name == "lead_unit":
        match = svc.units.resolve(text, p.region)
        if match.unit is None:
            return None, f"没有找到单位“{text[:30]}”，请写出全称。"
        return match.unit.name, None
    names = [] if text in NONE_WORDS else [n for n in re.split(r"[、，,;；\s]+", text) if n]
    if field.name == "co_units":
        out = []
        for name in names:
            match = svc.units.resolve(name, p.region)
            if match.unit is None:
                return None, f"没有找到单位“{name[:30]}”，请写出全称。"
            out.append(match.unit.name)
        return out, None
    people = []
    for name in split_names(text) if names else []:
        found = [c for c in svc.repo.contacts() if c.name == name]
        found.sort(key=lambda c: c.unit != p.lead_unit)
        if not found:
            return None, f"没有找到联系人“{name[:20]}”，请先导入联系人名单。"
        people.append(found[0].name)
    return people, None


def _put_static(svc, p: Proposal, name: str, value) -> Proposal:
    """A copy of p with a record-held field set (units through the unit registry)."""
    q = Proposal.from_doc(p.to_doc(), p.id)
    if name == "lead_unit":
        svc.units.assign_units(q, value, [], p.region)
    elif name == "co_units":
        q.co_units, q.co_unit_ids = [], []
        svc.units.assign_units(q, None, value, p.region)
        if not value:
            q.co_units, q.co_unit_ids = [], []
    elif name == "handlers":
        ids = []
        for person in value:
            found = sorted((c for c in svc.repo.contacts() if c.name == person), key=lambda c: c.unit != q.lead_unit)
            if found:
                ids.append(found[0].id)
        q.handlers = ids
    else:
        setattr(q, name, value)
    return q


def apply_edit(svc, p: Proposal, field: Field, value, user_id: int, undo_of: int | None = None) -> Event:
    """Change one field; the history gets an edit event with before and after."""
    before = stored(svc, p, field)
    changes = {"before": {field.name: before}, "after": {field.name: value}}
    if field.name in REPLAYED:
        changes[field.name] = value  # what the replay applies
        target = p
    else:
        target = _put_static(svc, p, field.name, value)
    if undo_of is not None:
        changes["undo_of"] = undo_of
    event = Event(proposal_id=p.id, kind=EV_EDIT, business_date=svc.today().isoformat(), by=user_id,
                  source="chat", changes=changes)
    history.record(svc.repo, svc.config, svc.calendar, target, [event])
    svc.repo.audit("undo" if undo_of else "edit", user_id, proposal_id=p.id, number=p.number,
                   field=field.name, before=before, after=value)
    return event


def last_edit(svc, user_id: int) -> Event | None:
    """The caller's last edit not yet undone (an undo is not itself undone)."""
    edits = [e for e in svc.repo.events_of_kind(EV_EDIT) if e.target_id is None and "after" in e.changes]
    undone = {e.changes.get("undo_of") for e in edits}
    mine = [e for e in edits if e.by == user_id and e.id not in undone and "undo_of" not in e.changes]
    return max(mine, key=lambda e: (e.recorded_at, e.id), default=None)


def undo_edit(svc, last: Event, user_id: int) -> str:
    """Revert one edit by a reversing edit; the answer in Chinese (plain text)."""
    p = svc.repo.get(Proposal, last.proposal_id)
    if p is None:
        return "该提案已删除，无法撤销这次修改；可先用 /restore 恢复。"
    (name, before), = last.changes["before"].items()
    field = next(f for f in FIELDS if f.name == name)
    later = [e for e in svc.repo.events_for(p.id)
             if (e.recorded_at, e.id or 0) > (last.recorded_at, last.id or 0) and e.by != user_id]
    if later:
        return (f"第{p.number}号在您修改之后已被他人更改（{later[-1].recorded_at[:16].replace('T', ' ')}），"
                "无法撤销，请核对后用 /edit 修改。")
    apply_edit(svc, p, field, before, user_id, undo_of=last.id)
    now = svc.repo.get(Proposal, p.id)
    return f"已撤销：第{p.number}号的{field.label}恢复为 {shown(svc, now, field)}。\n撤销也记入了办理记录。"
