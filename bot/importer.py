"""Import documents into the store: reply letters, assignment lists, contact lists.

Everything is an upsert keyed on identities (a proposal: body, region, term, meeting, number;
a reply: its proposal, issuing unit and doc number; a contact: name and unit), so importing
the same file twice changes nothing. Each file is planned completely before anything is
written, so a file that fails leaves no half record; a whole run is written once per batch.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Callable, Iterable

from bot.config import Config
from bot.deadlines import apply_reply
from bot.model import BODIES, CLOSED, HANDLING, REPLIED, Contact, Department, Proposal, Record, Reply
from bot.numbers import body_of, number_key, region_in
from bot.parsing import for_matching, parse_letter_bytes
from bot.storage import Repository
from bot.tables import read_table

log = logging.getLogger(__name__)

TABLE_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".csv"}
LETTER_SUFFIXES = {".txt", ".docx", ".doc", ".pdf", ".rtf", ".htm", ".html", ""}
SUPPORTED = TABLE_SUFFIXES | LETTER_SUFFIXES - {""}

CREATED, UPDATED, UNCHANGED = "created", "updated", "unchanged"
KINDS = ("proposals", "replies", "contacts")
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
    error: str | None = None

    def count(self, kind: str, outcome: str) -> None:
        self.counts[kind][outcome] += 1

    def skip(self, reason: str) -> None:
        """A bad row: reported with its row number, the good rows still import."""
        self.skipped.append(reason)

    @property
    def changed(self) -> bool:
        return any(c[CREATED] or c[UPDATED] for c in self.counts.values())

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
        skipped = f"跳过 {len(self.skipped)} 行（见下）。" if self.skipped else ""
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


class Importer:
    """Applies parsed documents to the repository."""

    def __init__(self, repo: Repository, config: Config):
        self.repo, self.config = repo, config

    # -- entry points ---------------------------------------------------------------------------

    def import_paths(
        self, paths: Iterable[str | Path], progress: Callable[[Iterable[Path]], Iterable[Path]] = iter
    ) -> ImportReport:
        """Import files and folders (recursively, supported suffixes only), one write in all."""
        files = list(expand_paths(paths))
        report = ImportReport()
        with self.repo.batch():
            for path in progress(files):
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    report.files.append(FileReport(str(path), error=f"无法读取文件：{exc.strerror or exc}"))
                    continue
                report.files.append(self.import_bytes(data, path.name, display=str(path)))
        return report

    def import_bytes(self, data: bytes, filename: str, display: str | None = None) -> FileReport:
        """Import one document. Never raises for bad input: the report carries the error."""
        report = FileReport(display or filename)
        try:
            suffix = Path(filename).suffix.lower()
            if suffix in TABLE_SUFFIXES:
                self._import_table(data, filename, report)
            else:
                self._import_letter(data, filename, report)
        except ImportFailed as exc:
            report.error = str(exc)
        except Exception as exc:  # a bug must cost one file, not the whole run
            log.exception("import of %s failed", filename)
            report.error = f"内部错误（{exc.__class__.__name__}），已记录日志"
        if report.error:
            log.warning("import of %s failed: %s", filename, report.error)
        return report

    # -- reply letters --------------------------------------------------------------------------

    def _import_letter(self, data: bytes, filename: str, report: FileReport) -> None:
        parsed = for_matching(parse_letter_bytes(data, filename))  # Traditional: the Simplified copy
        report.warnings.extend(parsed.get("warnings") or [])
        if parsed.get("error"):
            raise ImportFailed(parsed["error"])
        number = parsed.get("proposal_number")
        if not number:
            raise ImportFailed("信中未找到案号（第N号），无法对应到提案")
        issuer = parsed.get("issuer") or parsed.get("signed_by")
        proposal = self._proposal_for_letter(parsed)
        reply_fields = {
            "issuer": parsed.get("issuer"),
            "signed_by": parsed.get("signed_by"),
            "doc_number": parsed.get("doc_number"),
            "classification": parsed.get("classification"),
            "reply_date": parsed.get("reply_date"),
            "handlers": list(parsed.get("handlers") or []),
            "leader": parsed.get("leader"),
            "phones": list(parsed.get("phones") or []),
            "warnings": list(parsed.get("warnings") or []),
            "source_name": filename,
            "source_hash": sha256(data),
        }
        # Plan everything, then write: contacts, the proposal, the reply.
        contacts = [
            self._contact_plan(name, issuer or "", reply_fields["phones"])
            for name in reply_fields["handlers"]
        ]
        new_state = self._state_after_reply(proposal, reply_fields)
        handler_ids: list[int] = []
        for contact, outcome in contacts:
            saved = self._save(contact, outcome, "contacts", report)
            handler_ids.append(saved.id)
        for unit in filter(None, {parsed.get("issuer"), parsed.get("signed_by"), parsed.get("lead_unit"),
                                  *(parsed.get("co_units") or [])}):
            self._ensure_department(unit)
        if new_state is not None:
            proposal.state = new_state.state
            proposal.follow_up_date = new_state.follow_up_date
        for contact_id in handler_ids:
            if contact_id not in proposal.handlers:
                proposal.handlers.append(contact_id)
        saved_proposal = self._save_proposal(proposal, report)
        self._save_reply(saved_proposal, reply_fields, report)

    def _proposal_for_letter(self, parsed: dict) -> Proposal:
        """The stored proposal this letter answers (a working copy), or a new one."""
        number = parsed["proposal_number"]
        known = {
            "body": parsed.get("body"), "region": parsed.get("region"),
            "term": parsed.get("term"), "meeting": parsed.get("meeting"),
        }
        candidates = [
            p for p in self.repo.find_by_number(number)
            if p.number_key == number_key(number)
            and all(value is None or getattr(p, name) == value for name, value in known.items())
        ]
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
                elif value and current and value != current and name != "lead_unit":
                    warning = f"来信中的{_FIELD_LABELS[name]}“{value}”与已有记录“{current}”不一致，保留已有记录"
                    if warning not in proposal.warnings:
                        proposal.warnings.append(warning)
            if parsed.get("co_units") and not proposal.co_units:
                proposal.co_units = list(parsed["co_units"])
            return proposal
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

    def _state_after_reply(self, proposal: Proposal, reply_fields: dict) -> Proposal | None:
        """The proposal as the reply leaves it: the class scheme decides (see deadlines);
        an unclassed reply simply marks it replied."""
        if proposal.state == CLOSED:
            return None
        classification = reply_fields["classification"]
        if classification:
            try:
                return apply_reply(proposal, classification, reply_fields["reply_date"] or date.today(), self.config)
            except ValueError as exc:
                reply_fields["warnings"].append(f"办理类别无法登记：{exc}")
        return replace(proposal, state=REPLIED, follow_up_date=None)

    def _save_reply(self, proposal: Proposal, fields: dict, report: FileReport) -> None:
        candidate = Reply(proposal_id=proposal.id, **fields)
        existing = next((r for r in self.repo.replies_for(proposal.id) if r.identity == candidate.identity), None)
        if existing is None:
            self._save(candidate, CREATED, "replies", report)
            return
        candidate.id = existing.id
        # The same letter saved in another encoding or under another name is the same reply.
        outcome = UNCHANGED if _same(existing, candidate, ignore=("source_name", "source_hash")) else UPDATED
        self._save(candidate, outcome, "replies", report)

    # -- assignment and contact lists -------------------------------------------------------------

    def _import_table(self, data: bytes, filename: str, report: FileReport) -> None:
        table = read_table(data, filename)
        report.warnings.extend(table.warnings)
        if table.error:
            raise ImportFailed(table.error)
        for _row, reason in table.errors:
            report.skip(reason)
        if table.kind == "contacts":
            for row in table.rows:
                self._import_contact_row(row, report)
        elif table.kind == "assignment":
            for row in table.rows:
                try:
                    self._import_assignment_row(row, report)
                except ImportFailed as exc:
                    report.skip(f"第{row['row']}行：{exc}")
        else:
            raise ImportFailed("看不出这是交办清单还是联系人表：请检查表头（提案号、案由、主办单位 / 姓名、单位、电话）")

    def _import_assignment_row(self, row: dict, report: FileReport) -> None:
        """One row of an assignment list creates or updates its proposal (never its state)."""
        body = row.get("body") or body_of(row.get("session") or "")
        region = row.get("region") or region_in(row.get("session") or "") or region_in(row.get("lead_unit") or "")
        if body not in BODIES:
            raise ImportFailed("无法确定是政协提案还是人大建议（请在标题或“类别”列写明）")
        if not region:
            raise ImportFailed("无法确定地区（请在标题、“地区”列或主办单位名称中写明市、县、区）")
        number = row["number"]
        identity = (body, region, row.get("term"), row.get("meeting"), number_key(number))
        stored = self.repo.find_proposal(identity)
        proposal = _working_copy(stored) if stored else Proposal(
            body=body, region=region, term=row.get("term"), meeting=row.get("meeting"), number=number)
        for name in ("title", "proposer", "lead_unit", "assigned_date", "due_date"):
            if row.get(name):
                setattr(proposal, name, row[name])
        if row.get("co_units"):
            proposal.co_units = list(row["co_units"])
        proposal.complex = bool(row.get("complex")) or proposal.complex
        unit = proposal.lead_unit
        contacts = [self._contact_plan(name, unit, row.get("phones") or []) for name in row.get("handlers") or []]
        for contact, outcome in contacts:
            saved = self._save(contact, outcome, "contacts", report)
            if saved.id not in proposal.handlers:
                proposal.handlers.append(saved.id)
        for name in filter(None, [proposal.lead_unit, *proposal.co_units]):
            self._ensure_department(name)
        self._save_proposal(proposal, report)

    def _import_contact_row(self, row: dict, report: FileReport) -> None:
        contact, outcome = self._contact_plan(row["name"], row.get("unit") or "", row.get("phones") or [])
        username = (row.get("telegram") or "").lstrip("@") or None
        if username and contact.telegram_username != username:
            contact.telegram_username = username
            outcome = CREATED if contact.id is None else UPDATED
        self._save(contact, outcome, "contacts", report)
        if contact.unit:
            self._ensure_department(contact.unit)

    # -- shared pieces ----------------------------------------------------------------------------

    def _contact_plan(self, name: str, unit: str, phones: list[str]) -> tuple[Contact, str]:
        existing = self.repo.find_contact(name, unit)
        if existing is None:
            return Contact(name=name, unit=unit, phones=list(phones)), CREATED
        merged = _working_copy(existing)
        for phone in phones:
            if phone not in merged.phones:
                merged.phones.append(phone)
        return merged, UNCHANGED if merged.phones == existing.phones else UPDATED

    def _save_proposal(self, proposal: Proposal, report: FileReport) -> Proposal:
        if proposal.id is None:
            return self._save(proposal, CREATED, "proposals", report)
        existing = self.repo.get(Proposal, proposal.id)
        outcome = UNCHANGED if existing is not None and _same(existing, proposal) else UPDATED
        return self._save(proposal, outcome, "proposals", report)

    def _save(self, record: Record, outcome: str, kind: str, report: FileReport):
        report.count(kind, outcome)
        if outcome == UNCHANGED:
            return self.repo.get(type(record), record.id)
        return self.repo.put(record)

    def _ensure_department(self, name: str) -> None:
        if self.repo.department(name) is None:
            self.repo.put(Department(name=name))


_FIELD_LABELS = {"title": "标题", "proposer": "提案人", "lead_unit": "主办单位"}


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
