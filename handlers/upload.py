"""An admin sends a document (reply letter, assignment list, contact list): import it. An
assignment list is summed up first, with buttons 作为历史导入 / 导入并提醒; it is written when
one is pressed. A co-unit's linked liaison may send their unit's opinion letter (协办意见): it
is imported when bot.opinions.letter_problem finds it is that; anything else is refused.

The file is parsed in a worker process under limits (``bot.uploads``), so other chats and the
reminders go on meanwhile; its parsed records are applied here, in one batched write."""

from __future__ import annotations

import logging
from pathlib import Path

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import Application, ContextTypes, MessageHandler, filters

from bot.importer import HISTORY_NOTE, SUPPORTED, ParsedFile
from bot.render import esc
from bot.similar import import_note
from bot.opinions import letter_problem
from bot.undo import import_file
from handlers.common import NOT_ADMIN, admin_only, button, edit, on_button, one_of, reply, services

log = logging.getLogger(__name__)

CALLBACK = "imp"  # imp:<h|r>:<upload id>: import the summed-up list as history, or with reminders
EXPIRED = "这份清单已过期（发送后超过 30 分钟，或机器人已重启），没有写入任何内容。请重新发送文件。"


async def upload(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Import the document and answer with what changed."""
    svc = services(context)
    user_id = update.effective_user.id
    admin = svc.is_admin(user_id)
    if not admin and svc.repo.contact_for_user(user_id) is None:
        log.warning("refused upload to user %s", user_id)
        await reply(update, NOT_ADMIN)
        return
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
    parsed = await svc.uploads.parse(data, name)
    if not admin:  # a liaison: their unit's opinion letter, nothing else
        problem = letter_problem(svc, user_id, parsed)
        if problem:
            log.warning("refused upload of %s by user %s: %s", name, user_id, problem)
        await reply(update, esc(problem) if problem else import_answer(svc, parsed, user_id))
        return
    if parsed.table is not None and parsed.table.kind == "assignment" and not parsed.error:
        # a list is summed up first; nothing is written until an admin chooses how to import it
        key = svc.pending_imports.add(parsed, update.effective_user.id, svc.clock())
        await reply(update, esc(svc.importer().preview(name, parsed.table)),
                    buttons=[[("作为历史导入", button(CALLBACK, "h", key)), ("导入并提醒", button(CALLBACK, "r", key))]])
        return
    await reply(update, import_answer(svc, parsed, update.effective_user.id))


@admin_only
async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE, mode: str, key: str) -> None:
    """作为历史导入 / 导入并提醒 pressed under a list's summary: import it (once)."""
    svc = services(context)
    query = update.callback_query
    waiting = svc.pending_imports.take(key, svc.clock())  # taken before any await: a second press finds nothing
    if waiting is None:
        if svc.pending_imports.was_taken(key):
            await query.answer("这份清单已经导入，不会重复导入。", show_alert=True)
        else:
            await query.answer()
            await edit(update, EXPIRED)
        return
    await query.answer()
    await edit(update, import_answer(svc, waiting.parsed, update.effective_user.id, history=mode == "h"))


def import_answer(svc, parsed: ParsedFile, user_id: int, history: bool = False) -> str:
    """Write a parsed document (``history``: as the CLI's ``import --history``, sending nothing
    about its new items) and say what changed."""
    report = import_file(svc, parsed, user_id, history)  # undoable as a whole (/undo)
    svc.repo.audit("import", user_id, file=parsed.filename, error=report.error, history=history)
    lines = [esc(report.summary()) if report.error or report.nothing_read else "已导入" + esc(report.summary())]
    if history and not report.error:
        lines.append(HISTORY_NOTE)
    lines.extend(esc(change) for change in report.changes)
    similar = import_note(svc, report.created)
    if similar:
        lines.append(esc(similar))
    lines.extend(esc(check) for check in report.checks)
    notes = report.unit_notes + report.skipped + report.warnings
    lines.extend(esc(note) for note in notes[:20])
    if len(notes) > 20:
        lines.append(f"……另有 {len(notes) - 20} 条提示")
    return "\n".join(lines)


def register(app: Application) -> None:
    app.add_handler(MessageHandler(filters.Document.ALL, upload))
    app.add_handler(on_button(CALLBACK, choose, one_of("h", "r"), str))
