"""/undo: the caller's last change taken back, whatever it was — an edit, a delete or restore,
a merge of units, the import of one file (as a whole) — by appending what reverses it, so the
timeline keeps both. It refuses, saying why, when someone else changed the same record since.

Everything it needs is stored: edits, deletes and restores are events; a merge or an import is
a ``Change`` record naming every record it touched, its document before and a fingerprint of
the document it left (``record_change``). So it works the same after a restart.

The undo of an import: items it created are deleted (bot.deletion: kept whole in the delete
event, importing the same list again creates them anew); records it created are removed (their
documents kept in the undo's own Change); records it changed are put back as they were; the
events it added to items that stay are voided (bot.history), so their state is replayed
without them. Nothing created after the import is touched: a record changed since blocks the
undo instead. Pure core: no telegram.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Iterator

import orjson

from bot import history
from bot.deletion import Deleted, delete_item, restore_item
from bot.edits import last_edit, undo_edit
from bot.model import (
    EV_DELETE,
    EV_EDIT,
    EV_RESTORE,
    Change,
    Contact,
    Department,
    Event,
    Proposal,
    Record,
    Reply,
)
from bot.storage import IN_PLACE, now_iso, record_types

NOTHING = "没有可以撤销的修改。"


def fingerprint(record: Record | None) -> str | None:
    if record is None:
        return None
    doc = record.to_doc()
    return hashlib.blake2b(orjson.dumps(doc, option=orjson.OPT_SORT_KEYS), digest_size=8).hexdigest()


def record_change(repo, kind: str, label: str, user_id: int | None, befores: dict[tuple[type, int], Any]) -> Change | None:
    """Store what a change did: each record's document before (None: created) and a fingerprint
    of the document it left. None when it touched nothing."""
    if not befores:
        return None
    records = [[cls.table, rid, before, fingerprint(repo.get(cls, rid))] for (cls, rid), before in befores.items()]
    return repo.put(Change(kind=kind, label=label, by=user_id, at=now_iso(), records=records))


@contextmanager
def tracked(repo) -> Iterator[dict[tuple[type, int], Any]]:
    """Every record touched inside, with its document before (see ``Repository.tracking``).
    Units are often changed in place (an alias learned): their documents are taken first."""
    units = {d.id: d.to_doc() for d in repo.departments()}
    with repo.tracking() as touched:
        yield touched
    for key, before in touched.items():
        if before is IN_PLACE and key[0] is Department and key[1] in units:
            touched[key] = units[key[1]]


def import_file(svc, parsed, user_id: int, history_only: bool = False):
    """Import one parsed document in one write, undoable as a whole by the user; its report."""
    with svc.repo.batch():
        with tracked(svc.repo) as touched:
            report = svc.importer(quiet=history_only, by=user_id).apply(parsed)
        record_change(svc.repo, "import", f"导入 {parsed.filename}", user_id, touched)
    return report


# -- the caller's last change ---------------------------------------------------------------------

@dataclass
class Last:
    at: tuple  # (recorded at, id)
    event: Event | None = None  # an edit, delete or restore
    change: Change | None = None  # a merge or an import


def last_change(svc, user_id: int) -> Last | None:
    repo = svc.repo
    found: list[Last] = []
    edit = last_edit(svc, user_id)
    if edit is not None:
        found.append(Last((edit.recorded_at, edit.id), event=edit))
    moves = [*repo.events_of_kind(EV_DELETE), *repo.events_of_kind(EV_RESTORE)]
    undone = {e.changes.get("undo_of") for e in moves}
    found += [Last((e.recorded_at, e.id), event=e) for e in moves
              if e.by == user_id and e.id not in undone and "undo_of" not in e.changes and "change" not in e.changes]
    changes = repo.all(Change)
    undone = {c.undo_of for c in changes}
    found += [Last((c.at, c.id), change=c) for c in changes
              if c.by == user_id and c.undo_of is None and c.id not in undone]
    return max(found, key=lambda last: last.at, default=None)


def undo_last(svc, user_id: int) -> str:
    """Take back the caller's last change; the answer in Chinese (plain text)."""
    last = last_change(svc, user_id)
    if last is None:
        return NOTHING
    if last.change is not None:
        return undo_change(svc, last.change, user_id)
    if last.event.kind == EV_EDIT:
        return undo_edit(svc, last.event, user_id)
    return undo_move(svc, last.event, user_id)


def _since(svc, event: Event, user_id: int) -> list[Event]:
    return [e for e in svc.repo.events_for(event.proposal_id)
            if (e.recorded_at, e.id or 0) > (event.recorded_at, event.id or 0) and e.by != user_id]


def undo_move(svc, event: Event, user_id: int) -> str:
    """Undo a delete (restore the item) or a restore (delete it again)."""
    doc = event.changes.get("record")
    live = svc.repo.get(Proposal, event.proposal_id)
    number = (live.number if live else doc["number"]) if (live or doc) else "?"
    later = _since(svc, event, user_id)
    if later:
        what = "删除" if event.kind == EV_DELETE else "恢复"
        return (f"第{number}号在您{what}之后已被他人更改（{later[-1].recorded_at[:16].replace('T', ' ')}），"
                "无法撤销，请核对。")
    if event.kind == EV_DELETE:
        restored, why = restore_item(svc, Deleted(Proposal.from_doc(doc, event.proposal_id), event), user_id,
                                     undo_of=event.id)
        return why or f"已撤销删除：第{restored.number}号已恢复，重新出现在查询、清单、统计、导出和提醒中。"
    if live is None:
        return f"第{number}号已被删除，无需撤销恢复。"
    delete_item(svc, live, user_id, undo_of=event.id)
    return f"已撤销恢复：第{number}号重新删除（可用 /restore {number} 恢复）。"


# -- merges and imports ---------------------------------------------------------------------------

def _name(table: str, doc: dict | None, record: Record | None) -> str:
    """A record in words, for a refusal."""
    doc = doc or (record.to_doc() if record is not None else {})
    if table == Proposal.table:
        return f"第{doc.get('number', '?')}号"
    if table == Contact.table:
        return f"联系人 {doc.get('name', '?')}"
    if table == Department.table:
        return f"单位 {doc.get('name', '?')}"
    if table == Reply.table:
        return "答复记录"
    return "记录"


def undo_change(svc, change: Change, user_id: int) -> str:
    repo, types = svc.repo, record_types()
    rows = [(types[table], rid, before, after) for table, rid, before, after in change.records]
    if any(before == IN_PLACE for _, _, before, _ in rows):
        return f"“{change.label}”改动的记录没有完整的原样，无法整体撤销，请逐项核对。"
    moved = [_name(cls.table, before, repo.get(cls, rid)) for cls, rid, before, after in rows
             if cls is not Event and fingerprint(repo.get(cls, rid)) != after]
    if moved:
        shown = "、".join(dict.fromkeys(moved))
        return f"无法撤销“{change.label}”：之后又有更改的记录：{shown[:200]}。请核对后逐项修改。"
    created_items = {rid for cls, rid, before, _ in rows if cls is Proposal and before is None}
    with repo.batch():
        with tracked(repo) as touched:
            for cls, rid, before, _ in rows:
                current = repo.get(cls, rid)
                if cls is Event:
                    continue
                if before is None:
                    if cls is Proposal:
                        delete_item(svc, current, user_id, reason="撤销导入", change=change.id)
                    elif current is not None:
                        repo.delete(current)  # its document is kept in this undo's Change
                else:
                    repo.put(cls.from_doc(before, rid))
            voids = {}
            for cls, rid, before, _ in rows:
                event = repo.get(Event, rid) if cls is Event and before is None else None
                if event is not None and event.proposal_id not in created_items and event.source != "迁移":
                    voids.setdefault(event.proposal_id, []).append(Event(
                        proposal_id=event.proposal_id, kind=EV_EDIT, business_date=svc.today().isoformat(),
                        by=user_id, source="chat", target_id=event.id, changes={"void": True, "change": change.id}))
            for pid in sorted(set(voids) | {rid for cls, rid, before, _ in rows if cls is Proposal and before}):
                p = repo.get(Proposal, pid)
                if p is not None:
                    history.record(repo, svc.config, svc.calendar, p, voids.get(pid, []))
        undo = record_change(repo, change.kind, f"撤销{change.label}", user_id, touched)
        if undo is None:
            undo = repo.put(Change(kind=change.kind, label=f"撤销{change.label}", by=user_id, at=now_iso()))
        undo.undo_of = change.id
        repo.put(undo)
        repo.audit("undo", user_id, change=change.id, kind=change.kind, label=change.label)
    svc.units.forget()
    items = len(created_items)
    tail = f"新增的 {items} 件已删除（可用 /restore 逐件恢复）。" if items else ""
    return f"已撤销“{change.label}”：相关记录已恢复原样。{tail}撤销也记入了办理记录。"
