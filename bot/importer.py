"""Import documents into the store: reply letters, assignment lists, contact lists.

Everything is an upsert keyed on identities (a proposal: body, region, term, meeting, number;
a reply: its proposal, issuing unit and doc number; a contact: name and unit), so importing
the same file twice changes nothing. Each file is planned completely before anything is
written, so a file that fails leaves no half record; a whole run is written once per batch.

Two steps, separable: ``parse_document`` (pure, CPU-heavy, touches no storage: chat uploads run
it in a worker process, see ``bot.uploads``) returns a plain ``ParsedFile``; ``Importer.apply``
applies one to the repository in the writing process.

Over 600 lines: the letter, assignment-list and contact-list paths share ``Importer``'s upsert
machinery (plan, compare, save, count, resolve units); splitting them by file kind is left for
when this module is not being changed by other work in flight (issues 8 and 11).
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

from bot import history
from bot.config import Config, Uploads
from bot.deletion import deleted_identities, deleted_items
from bot.deadlines import WorkCalendar, due_date_of
from bot.model import (
    BODIES,
    EV_ASSIGNED,
    EV_CO_UNIT_OPINION,
    EV_EDIT,
    EV_REPLY,
    EVENT_LABELS,
    FOLLOW_UP,
    HANDLING,
    STATE_LABELS,
    Contact,
    Department,
    Event,
    Proposal,
    Record,
    Reply,
)
from bot.limits import REFUSED, Refused, check_limits
from bot.numbers import body_of, number_key, region_in
from bot.letter_check import check_letter
from bot.parsing import for_matching, is_government_unit, parse_letter_bytes
from bot.parsing.addressee import unit_addressee_hint
from bot.storage import Repository, StorageError
from bot.tables import TableResult, fill_years, read_table
from bot.units import Match, UnitRegistry

log = logging.getLogger(__name__)

TABLE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv"}
LETTER_SUFFIXES = {".txt", ".docx", ".doc", ".pdf", ".rtf", ".htm", ".html", ""}
SUPPORTED = TABLE_SUFFIXES | LETTER_SUFFIXES - {""}

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
KINDS = ("proposals", "replies", "contacts")
HISTORY_NOTE = "已作为历史记录导入：新增的事项不发送任何提醒，直到有人登记答复、反馈或延期。"
KIND_LABELS = {"proposals": ("提案", "件"), "replies": ("答复", "件"), "contacts": ("联系人", "人")}


class ImportFailed(Exception):
    """This file cannot be imported; the message (Chinese) says why."""


@dataclass
class FileReport:
    name: str
    counts: dict[str, dict[str, int]] = field(
        default_factory=lambda: {kind: {CREATED: 0, UPDATED: 0, UNCHANGED: 0} for kind in KINDS}
    )
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)  # per letter: 第12号 → 已答复 B类
    unit_notes: list[str] = field(default_factory=list)  # units and liaisons to confirm
    created: list[int] = field(default_factory=list)  # ids of the proposals this file created
    checks: list[str] = field(default_factory=list)  # what the check of each letter found (核对：…)
    opinions: int = 0  # co-units' opinions recorded (an event on the item, not a reply)
    error: str | None = None

    def count(self, kind: str, outcome: str) -> None:
        self.counts[kind][outcome] += 1

    def skip(self, reason: str) -> None:
        """A bad row: reported with its row number, the good rows still import."""
        self.skipped.append(reason)

    @property
    def changed(self) -> bool:
        return self.opinions > 0 or any(c[CREATED] or c[UPDATED] for c in self.counts.values())

    @property
    def nothing_read(self) -> bool:
        """Every row was refused: nothing was even found unchanged."""
        return bool(self.skipped) and not self.opinions and not any(any(c.values()) for c in self.counts.values())

    def summary(self) -> str:
        """新增答复 1 件，更新提案 1 件，新增联系人 0 人 — or why nothing changed or it failed."""
        if self.error:
            return f"{self.name}：导入失败：{self.error}"
        parts = []
        for kind in KINDS:
            label, unit = KIND_LABELS[kind]
            counts = self.counts[kind]
            parts.append(f"新增{label} {counts[CREATED]} {unit}")
            if counts[UPDATED]:
                parts.append(f"更新{label} {counts[UPDATED]} {unit}")
        if self.opinions:
            parts.append(f"新增协办意见 {self.opinions} 件")
        skipped = f"跳过 {len(self.skipped)} 行（见下）。" if self.skipped else ""
        if self.nothing_read:
            return f"{self.name}：没有导入任何内容，{len(self.skipped)} 行都未能读取（见下）。"
        if not self.changed:
            return f"{self.name}：内容与已有记录相同，未做任何更改。{skipped}"
        return f"{self.name}：" + "，".join(parts) + "。" + skipped


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)

    @property
    def failed(self) -> list[FileReport]:
        return [f for f in self.files if f.error]

    def totals(self) -> dict[str, dict[str, int]]:
        totals = {kind: {CREATED: 0, UPDATED: 0, UNCHANGED: 0} for kind in KINDS}
        for report in self.files:
            for kind in KINDS:
                for outcome, n in report.counts[kind].items():
                    totals[kind][outcome] += n
        return totals

    def total_line(self) -> str:
        totals = self.totals()
        parts = [
            f"{KIND_LABELS[k][0]} 新增 {totals[k][CREATED]}、更新 {totals[k][UPDATED]}、未变 {totals[k][UNCHANGED]}"
            for k in KINDS
        ]
        return f"共 {len(self.files)} 个文件（失败 {len(self.failed)} 个）：" + "；".join(parts) + "。"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass
class ParsedFile:
    """The parse step's output: plain, picklable data (it crosses from the upload worker's
    process), nothing read from or written to storage. ``error``: why the file cannot be
    imported at all (refused by a limit, unreadable)."""

    filename: str
    source_hash: str
    letter: dict | None = None
    table: TableResult | None = None
    error: str | None = None


def parse_document(data: bytes, filename: str, limits: Uploads | None = None) -> ParsedFile:
    """Parse one document (a reply letter, or a list by its suffix), refusing it first when it
    breaks ``limits`` (see ``bot.limits``). Never raises for bad input, nor for a parser bug:
    the ParsedFile carries the error."""
    parsed = ParsedFile(filename, sha256(data))
    try:
        if limits is not None:
            check_limits(data, limits)
        if Path(filename).suffix.lower() in TABLE_SUFFIXES:
            parsed.table = read_table(data, filename)
        else:
            parsed.letter = parse_letter_bytes(data, filename)
    except Refused as exc:
        parsed.error = f"{REFUSED}{exc}"
    except MemoryError:  # the upload worker's memory limit (bot.uploads says so)
        raise
    except Exception as exc:  # a bug must cost one file, not the whole run
        log.exception("parsing %s failed", filename)
        parsed.error = f"内部错误（{exc.__class__.__name__}），已记录日志"
    return parsed


class Importer:
    """Applies parsed documents to the repository.

    ``quiet``: an assignment list is history (its new items send no reminders until someone
    acts on them). Every list's new items carry its ``batch`` (the file's hash), so the next
    sweep can sum them up in one message.
    """

    def __init__(self, repo: Repository, config: Config, *, quiet: bool = False,
                 today: Callable[[], date] = date.today, calendar: WorkCalendar | None = None,
                 units: UnitRegistry | None = None, by: int | None = None):
        self.repo, self.config, self.quiet, self.today = repo, config, quiet, today
        self.by = by  # who uploaded the files in chat (their history names the operator); None: the CLI
        self.calendar = calendar or WorkCalendar.from_config(config)
        self.units = units or UnitRegistry(repo, config)
        self.batch = self.source = ""  # of the file being imported
        self._deleted: set[tuple] = set()  # identities deleted by someone: a list leaves them deleted

    # -- entry points ---------------------------------------------------------------------------

    def import_paths(
        self, paths: Iterable[str | Path], progress: Callable[[Iterable[Path]], Iterable[Path]] = iter,
        parse: Callable[[bytes, str], ParsedFile] | None = None,
    ) -> ImportReport:
        """Import files and folders (recursively, supported suffixes only), one write in all.
        ``parse``: how a file's bytes are parsed (the CLI passes a worker session's, under the
        time and memory limits; default: here, under the size limits only)."""
        parse = parse or (lambda data, name: parse_document(data, name, self.config.uploads))
        files = list(expand_paths(paths))
        report = ImportReport()
        with self.repo.batch():
            for path in progress(files):
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    report.files.append(FileReport(str(path), error=f"无法读取文件：{exc.strerror or exc}"))
                    continue
                report.files.append(self.apply(parse(data, path.name), display=str(path)))
        return report

    def import_bytes(self, data: bytes, filename: str, display: str | None = None) -> FileReport:
        """Import one document. Never raises for bad input: the report carries the error."""
        return self.apply(parse_document(data, filename, self.config.uploads), display)

    def apply(self, parsed: ParsedFile, display: str | None = None) -> FileReport:
        """Apply a parsed document (from ``parse_document``, here or in a worker process).
        Never raises for bad input: the report carries the error."""
        filename = parsed.filename
        report = FileReport(display or filename)
        self.batch, self.source = parsed.source_hash[:16], filename
        try:
            if parsed.error:
                raise ImportFailed(parsed.error)
            if parsed.table is not None:
                self._import_table(parsed.table, report)
            else:
                # Traditional: the Simplified copy is matched on
                self.apply_letter(for_matching(parsed.letter or {}), filename, parsed.source_hash, report)
        except ImportFailed as exc:
            report.error = str(exc)
        except StorageError:  # nothing was saved (WriteFailed): the caller tells the user so
            raise
        except Exception as exc:  # a bug must cost one file, not the whole run
            log.exception("import of %s failed", filename)
            report.error = f"内部错误（{exc.__class__.__name__}），已记录日志"
        if report.error:
            log.warning("import of %s failed: %s", filename, report.error)
        return report

    # -- reply letters --------------------------------------------------------------------------

    def apply_letter(self, parsed: dict, filename: str, file_hash: str, report: FileReport) -> None:
        """Record a parsed letter as a reply, a supplementary reply or a co-unit's opinion.
        A letter already recorded (same normalised text, whatever the file name) adds nothing."""
        report.warnings.extend(parsed.get("warnings") or [])
        if parsed.get("error"):
            raise ImportFailed(parsed["error"])
        number = parsed.get("proposal_number")
        if not number:
            raise ImportFailed("信中未找到案号（第N号），无法对应到提案")
        digest = parsed.get("text_hash") or file_hash
        # (a letter whose recording was undone, or whose item was deleted, is not on record)
        known = [e for e in self.repo.events_with_hash(digest) if self.repo.get(Proposal, e.proposal_id) is not None
                 and e.id in {x.id for x in history.standing(self.repo.events_for(e.proposal_id))}]
        if known or any(r.source_hash == file_hash for r in self.repo.all(Reply)):
            self._already_recorded(known, report)
            return
        issuer = parsed.get("issuer") or parsed.get("signed_by")
        proposal = self._proposal_for_letter(parsed)
        is_new = proposal.id is None
        reply_date = parsed.get("reply_date") or self.today().isoformat()
        phones = list(parsed.get("phones") or [])
        names = list(parsed.get("handlers") or [])
        # Plan everything, then write: units, contacts, the proposal, the reply, the event.
        region = parsed.get("region") or proposal.region
        if proposal.lead_unit_id is None or (proposal.co_units and not proposal.co_unit_ids):
            self._assign_units(proposal, proposal.lead_unit if proposal.lead_unit_id is None else None,
                               proposal.co_units, region, report)
        issuing = self._unit(issuer, region, report) if issuer else None
        for name in filter(None, {parsed.get("signed_by"), parsed.get("lead_unit")}):
            self._unit(name, region, report)
        opinion_of = co_unit_of_letter(proposal, parsed, issuing)
        unit = opinion_of or issuing
        if opinion_of is None:  # the checks are a reply's; an opinion answers the lead unit
            checks = [f.message for f in check_letter(parsed, proposal, self.config, self.calendar,
                                                      self._same_unit_in(region))]
            report.checks.extend(findings_text_for(proposal, checks))
        else:
            checks = []
            hint = unit_addressee_hint(parsed.get("addressee") or "")
            report.warnings = [w for w in report.warnings if w != hint]
        contacts = [self._contact_plan(name, unit, phones) for name in names]
        handler_ids = [self._save(contact, outcome, "contacts", report).id for contact, outcome in contacts]
        before = None if is_new else self.repo.get(Proposal, proposal.id)
        event = Event(proposal_id=0, kind=EV_CO_UNIT_OPINION, business_date=reply_date, source=filename, by=self.by,
                      source_hash=digest, unit=unit.name if unit else "", unit_id=unit.id if unit else None,
                      doc_number=parsed.get("doc_number"))
        if opinion_of is None:
            for contact_id in handler_ids:  # a co-unit's people never become the item's handlers
                if contact_id not in proposal.handlers:
                    proposal.handlers.append(contact_id)
        saved = self._save_proposal(proposal, report)
        if opinion_of is None:
            reply = Reply(
                proposal_id=saved.id, issuer=parsed.get("issuer"), signed_by=parsed.get("signed_by"),
                doc_number=parsed.get("doc_number"), classification=parsed.get("classification"),
                reply_date=parsed.get("reply_date"), handlers=names, leader=parsed.get("leader"),
                phones=phones, warnings=list(parsed.get("warnings") or []), source_name=filename,
                source_hash=file_hash, checks=checks,
            )
            self._save(reply, "created", "replies", report)
            event.kind = history.reply_kind(self.repo.events_for(saved.id), reply_date)
            event.classification = self._known_class(saved, parsed.get("classification"), report)
            event.reply_id = reply.id
        else:
            report.opinions += 1
        after = history.record(self.repo, self.config, self.calendar, saved, [event], new=is_new)
        report.changes.append(change_line(before, after, event))

    def _same_unit_in(self, region: str | None) -> Callable[[str, str], bool]:
        """Two unit names are one unit: the same name, or resolved to the same registered unit."""
        def same(a: str, b: str) -> bool:
            if same_unit(a, b):
                return True
            x, y = self.units.resolve(a, region).unit, self.units.resolve(b, region).unit
            return x is not None and y is not None and x.id == y.id
        return same

    def _already_recorded(self, known: list[Event], report: FileReport) -> None:
        report.count("replies", UNCHANGED)
        if not known:
            return
        proposal = self.repo.get(Proposal, known[0].proposal_id)
        if proposal is not None:
            when = known[0].business_date or known[0].recorded_at[:10]
            report.changes.append(f"{item_label(proposal)}：这封信已登记过（{EVENT_LABELS.get(known[0].kind, '')}"
                                  f" {when}），未做任何更改；当前状态 {state_text(proposal)}")

    def _known_class(self, proposal: Proposal, classification: str | None, report: FileReport) -> str | None:
        """The letter's class when the item's scheme knows it; else a warning and no class."""
        if not classification:
            return None
        scheme = self.config.scheme_for(proposal.region, proposal.body)
        try:
            from bot.deadlines import normalize_class

            return normalize_class(classification, scheme)
        except ValueError as exc:
            report.warnings.append(f"办理类别无法登记：{exc}")
            return None

    def _proposal_for_letter(self, parsed: dict) -> Proposal:
        """The stored proposal this letter answers (a working copy), or a new one."""
        number = parsed["proposal_number"]
        known = {
            "body": parsed.get("body"), "region": parsed.get("region"),
            "term": parsed.get("term"), "meeting": parsed.get("meeting"),
        }
        candidates = proposals_for_letter(self.repo, parsed)
        if len(candidates) > 1:
            sessions = "、".join(f"{p.body}{p.session_label}" for p in candidates)
            raise ImportFailed(f"第{number}号对应多件提案（{sessions}），信中的届次信息不足以区分")
        letter_fields = {
            "title": parsed.get("title"), "proposer": parsed.get("proposer"),
            "lead_unit": parsed.get("lead_unit") or parsed.get("issuer") or parsed.get("signed_by"),
        }
        if candidates:
            proposal = _working_copy(candidates[0])
            for name, value in letter_fields.items():
                current = getattr(proposal, name)
                if value and not current:
                    setattr(proposal, name, value)
                elif (value and current and value != current and name != "lead_unit"
                      and not (name == "proposer" and same_proposer(value, current))):
                    warning = f"来信中的{_FIELD_LABELS[name]}“{value}”与已有记录“{current}”不一致，保留已有记录"
                    if warning not in proposal.warnings:
                        proposal.warnings.append(warning)
            if parsed.get("co_units") and not proposal.co_units:
                proposal.co_units = list(parsed["co_units"])
            return proposal
        deleted = [d for d in deleted_items(self.repo, number_key(number)) if not d.event.changes.get("change")
                   and all(v is None or getattr(d.proposal, k) == v for k, v in known.items())]
        if deleted:
            raise ImportFailed(f"第{number}号已删除，这封信未登记；管理员可发送 /restore {number} 恢复后再上传")
        if known["body"] not in BODIES:
            raise ImportFailed("信中看不出是政协提案还是人大建议，无法建立提案记录")
        if not known["region"]:
            raise ImportFailed("信中看不出所属地区（市、县、区），无法建立提案记录")
        return Proposal(
            body=known["body"], region=known["region"], term=known["term"], meeting=known["meeting"],
            number=number, title=letter_fields["title"] or "", proposer=letter_fields["proposer"] or "",
            lead_unit=letter_fields["lead_unit"] or "", co_units=list(parsed.get("co_units") or []),
            state=HANDLING,
        )

    # -- assignment and contact lists -------------------------------------------------------------

    def _import_table(self, table: TableResult, report: FileReport) -> None:
        fill_years(table, self.today())  # 3月15日 in a list whose title names no year
        report.warnings.extend(table.warnings)
        if table.error:
            raise ImportFailed(table.error)
        for _row, reason in table.errors:
            report.skip(reason)
        if table.passed:
            report.warnings.append("已略过：" + "；".join(
                f"{reason} 第{'、'.join(map(str, rows[:12]))}{'等' if len(rows) > 12 else ''}行"
                for reason, rows in table.passed.items()))
        if table.unused_columns:
            report.warnings.append("未使用的列：" + "、".join(table.unused_columns))
        if table.kind == "contacts":
            region = region_in(table.title or "") or self.config.region
            units = [self._import_contact_row(row, region, report) for row in table.rows]
            self._liaison_notes([u for u in units if u is not None], report)
        elif table.kind == "assignment":
            self._deleted = deleted_identities(self.repo)
            for row in table.rows:
                try:
                    self._import_assignment_row(row, report)
                except ImportFailed as exc:
                    report.skip(f"第{row['row']}行：{exc}")
        else:
            raise ImportFailed("看不出这是交办清单还是联系人表：请检查表头（提案号、案由、主办单位 / 姓名、单位、电话）")

    def _import_assignment_row(self, row: dict, report: FileReport) -> None:
        """One row of an assignment list creates or updates its proposal. Its dates are history:
        the item's assigned event, an edit when a later list changes them, and the reply the
        list records (答复日期 / 办理类别) when none is on record yet."""
        identity = self._row_identity(row)
        body, region, number = identity[0], identity[1], row["number"]
        stored = self.repo.find_proposal(identity)
        if stored is None and identity in self._deleted:
            raise ImportFailed(f"第{number}号已删除，未导入（管理员可发送 /restore {number} 恢复）")
        proposal = _working_copy(stored) if stored else Proposal(
            body=body, region=region, term=row.get("term"), meeting=row.get("meeting"), number=number)
        for name in ("title", "proposer"):
            if row.get(name):
                setattr(proposal, name, row[name])
        self._assign_units(proposal, row.get("lead_unit"), row.get("co_units") or [], region, report)
        proposal.complex = bool(row.get("complex")) or proposal.complex
        proposal.split = bool(row.get("split")) or proposal.split
        unit = self.units.unit(proposal.lead_unit_id)
        contacts = [self._contact_plan(name, unit, row.get("phones") or []) for name in row.get("handlers") or []]
        for contact, outcome in contacts:
            saved = self._save(contact, outcome, "contacts", report)
            if saved.id not in proposal.handlers:
                proposal.handlers.append(saved.id)
        events = self._list_events(stored, row)
        saved = self._save_proposal(proposal, report, changed=bool(events))
        if events:
            history.record(self.repo, self.config, self.calendar, saved, events, new=stored is None)

    def _row_identity(self, row: dict) -> tuple:
        """(body, region, term, meeting, number key) of a list row; ImportFailed when unknown."""
        body = row.get("body") or body_of(row.get("session") or "")
        region = (row.get("region") or region_in(row.get("session") or "")
                  or self.units.resolver.split(row.get("lead_unit") or "", None)[0] or self.config.region)
        if body not in BODIES:
            raise ImportFailed("无法确定是政协提案还是人大建议（请在标题或“类别”列写明）")
        if not region:
            raise ImportFailed("无法确定地区（请在标题、“地区”列或主办单位名称中写明市、县、区）")
        return body, region, row.get("term"), row.get("meeting"), number_key(row["number"])

    def preview(self, filename: str, table: TableResult) -> str:
        """What importing this assignment list would do, read without writing anything: items,
        sessions, lead units, new and known items, those already overdue, skipped rows."""
        sessions, leads, skipped = set(), set(), len(table.errors) + sum(map(len, table.passed.values()))
        new = known = overdue = 0
        today = self.today()
        fill_years(table, today)
        for row in table.rows:
            try:
                identity = self._row_identity(row)
            except ImportFailed:
                skipped += 1
                continue
            item = Proposal(body=identity[0], region=identity[1], term=identity[2], meeting=identity[3],
                            number=row["number"], assigned_date=row.get("assigned_date"),
                            due_date=row.get("due_date"), complex=bool(row.get("complex")))
            sessions.add(f"{item.session_label}（{item.body}）")
            if row.get("lead_unit"):
                leads.add(row["lead_unit"])
            stored = self.repo.find_proposal(identity)
            if stored is None:
                new += 1
                open_ = not (row.get("classification") or row.get("reply_date"))
            else:
                known += 1
                item, open_ = stored, stored.is_open
            due = due_date_of(item, self.config, self.calendar)
            if open_ and due is not None and due < today:
                overdue += 1
        lines = [f"{filename}：交办清单共 {new + known} 件（新增 {new} 件，已有 {known} 件），"
                 f"其中 {overdue} 件已逾期；跳过 {skipped} 行。"]
        if sessions:
            lines.append("届次：" + "、".join(sorted(sessions)))
        if leads:
            shown = sorted(leads)
            lines.append(f"主办单位 {len(shown)} 个：" + "、".join(shown[:10]) + ("等" if len(shown) > 10 else ""))
        lines.append("尚未写入任何内容。请选择：作为历史导入（不发送任何提醒），或导入并提醒（按期限提醒承办人）。")
        return "\n".join(lines)

    def _list_events(self, stored: Proposal | None, row: dict) -> list[Event]:
        """What a list row adds to the item's history (nothing when it says what is on record)."""
        source = self.source
        dates = {"assigned_date": row.get("assigned_date"), "due_date": row.get("due_date")}
        past = history.standing(self.repo.events_for(stored.id, keep=False)) if stored is not None else []  # read, not kept
        events = []
        if stored is None or (not any(e.kind == EV_ASSIGNED for e in past) and any(dates.values())):
            # (a row without dates says nothing new about an item first known from a letter)
            events.append(Event(
                proposal_id=0, kind=EV_ASSIGNED, business_date=dates["assigned_date"], source=source, by=self.by,
                changes={"due_date": dates["due_date"]} if dates["due_date"] else {},
                quiet=self.quiet, batch=self.batch if stored is None else "",
            ))
        else:
            changes = {k: v for k, v in dates.items() if v and v != list_value(past, k)}
            if changes:
                events.append(Event(proposal_id=0, kind=EV_EDIT, business_date=self.today().isoformat(),
                                    source=source, by=self.by, changes=changes))
        if (row.get("classification") or row.get("reply_date")) and not any(
                e.kind in history.REPLY_KINDS for e in past):
            events.append(Event(proposal_id=0, kind=EV_REPLY, source=source, by=self.by,
                                business_date=row.get("reply_date") or self.today().isoformat(),
                                classification=row.get("classification") or None))
        return events

    def _import_contact_row(self, row: dict, region: str | None, report: FileReport) -> int | None:
        """One person of a contact list, a contact of their unit with their 职务; the unit's id."""
        unit = self._unit(row["unit"], region, report) if row.get("unit") else None
        contact, outcome = self._contact_plan(row["name"], unit, row.get("phones") or [])
        username = (row.get("telegram") or "").lstrip("@") or None
        if username and contact.telegram_username != username:
            contact.telegram_username = username
            outcome = CREATED if contact.id is None else UPDATED
        position = row.get("position") or ""
        if position and contact.position != position:
            contact.position = position
            outcome = CREATED if contact.id is None else UPDATED
        self._save(contact, outcome, "contacts", report)
        return contact.unit_id

    def _liaison_notes(self, unit_ids: Iterable[int], report: FileReport) -> None:
        """Name the units whose liaison had to be guessed (several contacts, no 联络员)."""
        for unit_id in dict.fromkeys(unit_ids):
            liaison = self.units.liaison_of(unit_id)
            if liaison is not None and liaison.pending:
                unit = self.units.unit(unit_id)
                report.unit_notes.append(
                    f"{unit.name}的联络员待确认：名单中没有职务为“联络员”的人，暂定为第一位 {liaison.contact.name}")

    # -- shared pieces ----------------------------------------------------------------------------

    def _unit(self, name: str, region: str | None, report: FileReport):
        unit, match = self.units.unit_for(name, region)
        self._note_pending(unit, match, report)
        return unit

    def _assign_units(self, proposal: Proposal, lead: str | None, co: list[str], region: str | None,
                      report: FileReport) -> None:
        found: list = []
        self.units.assign_units(proposal, lead, co, region, found)
        for unit, match in found:
            self._note_pending(unit, match, report)

    def _note_pending(self, unit, match: Match, report: FileReport) -> None:
        """Name each 待确认 unit the file uses once, with the units nearest to it."""
        head = f"单位“{unit.name}”待确认"
        if not unit.pending or any(note.startswith(head) for note in report.unit_notes):
            return
        near = match.nearest if match.unit is None else self.units.near(unit)
        nearest = "、".join(u.name for u in near) if near else "无"
        report.unit_notes.append(f"{head}：未能对应到已有单位，最接近的是：{nearest}。管理员可用 /merge 合并")

    def _contact_plan(self, name: str, unit, phones: list[str]) -> tuple[Contact, str]:
        """The contact ``name`` of ``unit`` (a Department, or None), merged with new phones."""
        existing = self.repo.find_contact(name, unit.id if unit is not None else "")
        if existing is None:
            return Contact(name=name, unit=unit.name if unit else "", unit_id=unit.id if unit else None,
                           phones=list(phones)), CREATED
        merged = _working_copy(existing)
        for phone in phones:
            if phone not in merged.phones:
                merged.phones.append(phone)
        return merged, UNCHANGED if merged.phones == existing.phones else UPDATED

    def _save_proposal(self, proposal: Proposal, report: FileReport, changed: bool = False) -> Proposal:
        if proposal.id is None:
            return self._save(proposal, CREATED, "proposals", report)
        existing = self.repo.get(Proposal, proposal.id)
        outcome = UNCHANGED if existing is not None and _same(existing, proposal) and not changed else UPDATED
        return self._save(proposal, outcome, "proposals", report)

    def _save(self, record: Record, outcome: str, kind: str, report: FileReport):
        report.count(kind, outcome)
        if outcome == UNCHANGED:
            return self.repo.get(type(record), record.id)
        saved = self.repo.put(record)
        if kind == "proposals" and outcome == CREATED:
            report.created.append(saved.id)
        return saved


_FIELD_LABELS = {"title": "标题", "proposer": "提案人", "lead_unit": "主办单位"}


def list_value(events: list[Event], name: str) -> str | None:
    """The assigned or due date the history holds now (the latest edit, else the assignment)."""
    value = None
    for event in sorted(events, key=history.event_order):
        if event.kind == EV_ASSIGNED:
            value = event.business_date if name == "assigned_date" else event.changes.get(name)
        elif event.kind == EV_EDIT and event.target_id is None and name in event.changes:
            value = event.changes[name]
    return value


def item_label(proposal: Proposal) -> str:
    return f"{proposal.body}{proposal.session_label} 第{proposal.number}号"


def state_text(proposal: Proposal) -> str:
    return STATE_LABELS.get(proposal.state, proposal.state)


def change_line(before: Proposal | None, after: Proposal, event: Event) -> str:
    """What one letter did: 政协晋城市八届四次会议 第12号 → 已答复 B类（待跟进）."""
    label = item_label(after)
    kind = EVENT_LABELS.get(event.kind, event.kind)
    when = event.business_date or ""
    if event.kind == EV_CO_UNIT_OPINION:
        return (f"{label}：已登记{event.unit}的协办意见（{when}）；提案仍由主办单位答复，"
                f"当前状态 {state_text(after)}")
    cls = f" {event.classification}类" if event.classification else ""
    if event.late:
        return (f"{label}：已补录{kind}{cls}（{when}），早于已有的办理记录，状态不变（{state_text(after)}）")
    state = state_text(after)
    if after.state == FOLLOW_UP:
        state = f"已答复{cls}（待跟进，{after.follow_up_date} 前再次答复）"
    elif cls and after.state in ("replied", "closed"):
        state = f"{state}{cls}"
    head = f"{label} → {state}" if before is None or before.state != after.state else f"{label}：状态仍为 {state}"
    return head + (f"（补充答复 {when}）" if event.kind != EV_REPLY else f"（答复日期 {when}）")


def co_unit_of_letter(proposal: Proposal, parsed: dict, issuing: Department | None) -> Department | None:
    """The co-unit (Department) whose opinion this letter is, or None when it is a reply.

    An opinion: issued by one of the item's co-units, or calling itself 协办意见 / 会办意见 /
    协办答复, or addressed to the lead unit rather than the proposer. In a 分办 item every
    unit replies to the proposer itself: only a letter that calls itself an opinion is one.
    """
    is_co_unit = issuing is not None and issuing.id in proposal.co_unit_ids \
        and issuing.id != proposal.lead_unit_id
    says_opinion = bool(parsed.get("opinion_marker"))
    # addressed to a government unit (the lead unit), not to the proposer
    to_lead_unit = is_government_unit(parsed.get("addressee") or "")
    if proposal.split or parsed.get("split_units"):
        if not says_opinion:
            return None
    elif not (is_co_unit or says_opinion or to_lead_unit):
        return None
    return issuing or Department(name="协办单位")


def proposer_names(text: str) -> set[str]:
    """The people a proposer field names: 张三等3位委员 → {张三}; 王五、赵六代表 → {王五, 赵六}."""
    text = re.sub(r"^(?:尊敬的|敬爱的)", "", (text or "").strip())
    text = re.sub(r"等\s*(?:[\d一二三四五六七八九十]+\s*(?:位|名|人))?(?:代表|委员|同志)?$", "", text)
    text = re.sub(r"[\d一二三四五六七八九十]+\s*位(?:代表|委员)?$|(?:代表|委员|同志|先生|女士)$", "", text)
    return {name for name in re.split(r"[、，,\s]+", text) if name}


def same_proposer(a: str, b: str) -> bool:
    """A letter to 张三委员 answers the item 张三等3位委员 proposed (the lead proposer is named)."""
    return a == b or bool(proposer_names(a) & proposer_names(b))


def proposals_for_letter(repo: Repository, parsed: dict) -> list[Proposal]:
    """The stored proposals a parsed letter (``for_matching``) can answer: its number, and its
    body, region, term and meeting where the letter states them."""
    number = parsed.get("proposal_number")
    if not number:
        return []
    known = {name: parsed.get(name) for name in ("body", "region", "term", "meeting")}
    return [
        p for p in repo.find_by_number(number)
        if p.number_key == number_key(number)
        and all(value is None or getattr(p, name) == value for name, value in known.items())
    ]


def findings_text_for(proposal: Proposal, checks: list[str]) -> list[str]:
    """核对 lines of one letter for the upload answer (第125号 核对：…)."""
    return [f"{item_label(proposal)} 核对：{message}" for message in checks]


def same_unit(a: str, b: str) -> bool:
    """Whether two unit names mean the same unit: equal, or equal without their region prefix
    (晋城市财政局 / 市财政局), or the shorter one's characters in order inside the longer
    (市发展改革委 / 晋城市发展和改革委员会)."""
    if not a or not b:
        return False
    if a == b:
        return True
    x, y = _REGION_PREFIX.sub("", a), _REGION_PREFIX.sub("", b)
    short, long_ = sorted((x, y), key=len)
    if len(short) < 3 or len(short) * 2 < len(long_) or short[-1] not in long_[-3:]:
        return False
    rest = iter(long_)
    return all(ch in rest for ch in short)


_REGION_PREFIX = re.compile(r"^(?:[\u4e00-\u9fff]{0,3}?省)?[\u4e00-\u9fff]{0,3}?[市县区]")


def _working_copy(record: Record) -> Record:
    """A detached copy to plan changes on, so a failed plan leaves the stored record alone."""
    return type(record).from_doc(record.to_doc(), record.id)


def _same(a: Record, b: Record, ignore: tuple[str, ...] = ()) -> bool:
    doc_a, doc_b = a.to_doc(), b.to_doc()
    for key in ignore:
        doc_a.pop(key, None)
        doc_b.pop(key, None)
    return doc_a == doc_b


def expand_paths(paths: Iterable[str | Path]) -> Iterable[Path]:
    """Files as given, and the supported files inside folders (sorted, hidden ones skipped)."""
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not child.name.startswith(".") and child.suffix.lower() in SUPPORTED:
                    yield child
        else:
            yield path
