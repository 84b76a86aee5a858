"""An admin sends a document (reply letter, assignment list, contact list): import it.

The file is parsed in a worker process under limits (``bot.uploads``), so other chats and the
reminders go on meanwhile; its parsed records are applied here, in one batched write."""

from __future__ import annotations

import logging
from pathlib import Path

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.importer import SUPPORTED
from bot.render import esc
from bot.similar import import_note
from bot.uploads import worker_for
from handlers.common import admin_only, reply, services

log = logging.getLogger(__name__)


@admin_only
async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Import the document and answer with what changed."""
    svc = services(context)
    document = update.effective_message.document
    name = document.file_name or "未命名文件"
    suffix = Path(name).suffix.lower()
    if suffix not in SUPPORTED:
        kinds = "、".join(sorted(s.lstrip(".") for s in SUPPORTED))
        await reply(update, f"不支持的文件类型：{esc(name)}。\n可以发送：{kinds}。")
        return
    limit = svc.config.max_upload_mb * 1024 * 1024
    if document.file_size and document.file_size > limit:
        await reply(update, f"文件太大：{esc(name)}（{document.file_size / 1048576:.1f} MB），上限为 {svc.config.max_upload_mb} MB。")
        return
    try:
        data = bytes(await (await document.get_file()).download_as_bytearray())
    except TelegramError as exc:
        log.warning("download of %s failed: %s", name, exc)
        await reply(update, f"文件下载失败：{esc(name)}。请稍后重新发送。")
        return
    if len(data) > limit:
        await reply(update, f"文件太大：{esc(name)}，上限为 {svc.config.max_upload_mb} MB。")
        return
    parsed = await worker_for(svc).parse(data, name)
    with svc.repo.batch():
        report = svc.importer().apply(parsed)
    svc.repo.audit("import", update.effective_user.id, file=name, error=report.error)
    lines = [esc(report.summary()) if report.error or report.nothing_read else "已导入" + esc(report.summary())]
    lines.extend(esc(change) for change in report.changes)
    similar = import_note(svc, report.created)
    if similar:
        lines.append(esc(similar))
    lines.extend(esc(check) for check in report.checks)
    notes = report.unit_notes + report.skipped + report.warnings
    lines.extend(esc(note) for note in notes[:20])
    if len(notes) > 20:
        lines.append(f"……另有 {len(notes) - 20} 条提示")
    await reply(update, "\n".join(lines))


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.Document.ALL, upload))
