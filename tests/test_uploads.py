"""Issue 10, bounded uploads off the loop: parsing runs in a worker process under limits (zip
members' sizes checked before decompressing, PDF pages, time, memory), the bot answers other
chats meanwhile, and the parsed records are applied in the bot process."""

from __future__ import annotations

import asyncio
import dataclasses
import importlib.util
import io
import subprocess
import sys
import time
from pathlib import Path

import pytest

from bot.config import Uploads, load_config
from bot.importer import parse_document
from bot.limits import Refused, check_limits, check_zip
from bot.uploads import UploadWorker, parse_bounded
from tests.conftest import ADMIN, start_bot, stop_bot, write_config

ROOT = Path(__file__).resolve().parents[1]
MB = 1024 * 1024


def _bench():
    spec = importlib.util.spec_from_file_location("bench_upload", ROOT / "bench" / "bench_upload.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_upload"] = module
    spec.loader.exec_module(module)
    return module


def two_page_pdf() -> bytes:
    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    page = canvas.Canvas(buffer)
    page.drawString(72, 720, "page one")
    page.showPage()
    page.drawString(72, 720, "page two")
    page.showPage()
    page.save()
    return buffer.getvalue()


# parse functions the worker runs instead of parse_bounded (found by reference in the child)

def sleep_forever(data, filename, limits):
    time.sleep(3600)


def allocate_too_much(data, filename, limits):
    return bytearray(limits.memory_mb * 2 * MB)


def slow_when_named_slow(data, filename, limits):
    if filename.startswith("slow"):
        time.sleep(3600)
    return parse_bounded(data, filename, limits)


def big_list() -> bytes:
    """An ordinary assignment list of 3,000 rows (130 KB)."""
    from tests.test_import import assignment_xlsx

    return assignment_xlsx([[i, f"{i:04d}", f"关于第{i}件事项的提案", "王芳", "晋城市水务局", "", "2026-10-09",
                             "2027/1/9", "陈刚", "0356-2223344"] for i in range(1, 3001)])


# -- the checks, before anything is decompressed ---------------------------------------------------

def test_zip_members_are_checked_before_decompressing():
    bench = _bench()
    limits = Uploads()
    with pytest.raises(Refused, match="压缩比异常.*可能是压缩炸弹"):
        check_zip(bench.zip_bomb(50), limits)
    with pytest.raises(Refused, match="解压后大小 200.0 MB 超过上限 100 MB"):
        check_zip(bench.zip_bomb(200), dataclasses.replace(limits, max_compression_ratio=10_000))
    check_zip(bench.letter_docx(), limits)  # an ordinary letter passes
    check_limits(b"PK\x03\x04 not really a zip", limits)  # broken: the parser's to report
    refused = parse_bounded(bench.zip_bomb(50), "bomb.docx", limits)
    assert refused.error.startswith("文件被拒绝：") and refused.letter is None


def test_pdf_pages_are_counted_first():
    pdf = two_page_pdf()
    with pytest.raises(Refused, match="PDF 共 2 页，超过上限 1 页"):
        check_limits(pdf, dataclasses.replace(Uploads(), max_pdf_pages=1))
    check_limits(pdf, Uploads())


def test_limits_are_configured(tmp_path):
    config = load_config(write_config(tmp_path, "[uploads]\nmax_pdf_pages = 20\ntimeout_seconds = 5\n"))
    assert config.uploads.max_pdf_pages == 20 and config.uploads.timeout_seconds == 5
    assert config.uploads.max_uncompressed_mb == 100 and config.uploads.memory_mb == 512  # defaults
    assert load_config(ROOT / "bot" / "config_template.toml").uploads == Uploads()  # the template states the defaults


# -- the worker process -------------------------------------------------------------------------

async def test_the_worker_parses_exactly_as_the_bot_did():
    letter = _bench().letter_docx()
    worker = UploadWorker(Uploads())
    parsed = await worker.parse(letter, "letter.docx")
    assert parsed == parse_document(letter, "letter.docx") and worker.last.outcome == "ok"
    assert parsed.letter["proposal_number"] == "125"


async def test_a_parse_over_the_time_limit_is_stopped():
    worker = UploadWorker(dataclasses.replace(Uploads(), timeout_seconds=1))
    worker.parse_function = sleep_forever
    parsed = await worker.parse(b"x", "slow.txt")
    assert parsed.error == "文件被拒绝：解析超过 1 秒仍未完成" and worker.last.outcome == "timeout"


async def test_a_parse_over_the_memory_limit_is_refused():
    worker = UploadWorker(dataclasses.replace(Uploads(), memory_mb=64))
    worker.parse_function = allocate_too_much
    parsed = await worker.parse(b"x", "greedy.txt")
    assert parsed.error == "文件被拒绝：解析所需内存超过上限 64 MB"
    assert worker.last.peak_kb < 200 * 1024  # the 128 MB it asked for never came


def test_a_worker_session_parses_files_in_turn_and_replaces_a_stopped_worker():
    letter = _bench().letter_docx()
    worker = UploadWorker(dataclasses.replace(Uploads(), timeout_seconds=4))  # a fresh process on a busy machine: well within
    worker.parse_function = slow_when_named_slow
    with worker.session() as session:
        assert session.parse(letter, "a.docx") == parse_document(letter, "a.docx")
        first = session._child.pid
        assert session.parse(letter, "b.docx").letter["proposal_number"] == "125"
        assert session._child.pid == first  # one process for file after file
        slow = session.parse(letter, "slow.docx")
        assert slow.error == "文件被拒绝：解析超过 4 秒仍未完成" and session.last.outcome == "timeout"
        assert session.parse(letter, "c.docx") == parse_document(letter, "c.docx")
        assert session._child.pid != first  # the stopped one was replaced


# -- in chat ---------------------------------------------------------------------------------------

async def test_a_zip_bomb_is_refused_and_the_bot_answers_meanwhile(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path), clock)
    worker = services.uploads
    hold = worker.new_hold()  # the worker process waits on this event: the upload is in progress
    try:
        before = len(services.repo.proposals())
        marker = emulator.mark(ADMIN)
        emulator.push_document(ADMIN, "答复函.docx", _bench().zip_bomb(1000))
        await asyncio.wait_for(worker.started.wait(), 30)  # its worker process is running
        emulator.push_text(ADMIN, "/status 125")  # sent after the upload began
        (first,) = await emulator.await_sent(ADMIN, since=marker, timeout=10)
        assert "关于加快推动我市城乡融合发展的建议" in first.text  # answered while the upload waits
        hold.set()
        (refusal,) = await emulator.await_sent(ADMIN, since=marker + 1, timeout=30)
        assert refusal.text.startswith("答复函.docx：导入失败：文件被拒绝：")
        assert "可能是压缩炸弹" in refusal.text
        assert worker.last.outcome == "refused" and len(services.repo.proposals()) == before
    finally:
        hold.set()
        worker.hold = None
        await stop_bot(app)


def test_the_command_line_import_refuses_a_zip_bomb_too(tmp_path):
    from bot.importer import Importer
    from bot.storage import Repository

    config = load_config(write_config(tmp_path))
    repo = Repository(config.database)
    report = Importer(repo, config).import_bytes(_bench().zip_bomb(1000), "答复函.docx")
    assert report.error.startswith("文件被拒绝：文件内的 word/document.xml 压缩比异常")
    assert repo.proposals() == []
    repo.close()


async def test_the_command_line_import_parses_under_the_workers_memory_limit_as_the_chat_does(
        tmp_path, emulator, clock):
    from bot.storage import Repository

    listing = tmp_path / "交办清单.xlsx"
    listing.write_bytes(big_list())
    tiny = tmp_path / "tiny"
    tiny.mkdir()
    config = write_config(tiny, "[uploads]\nmemory_mb = 4\n")
    refusal = "交办清单.xlsx：导入失败：文件被拒绝：解析所需内存超过上限 4 MB"

    def cli(config_path):
        return subprocess.run([sys.executable, "-m", "bot.cli", "--config", str(config_path), "import", str(listing)],
                              capture_output=True, text=True, timeout=300, cwd=ROOT)

    done = cli(config)
    assert done.returncode == 1 and f"{tmp_path}/{refusal}" in done.stdout.splitlines()
    repo = Repository(load_config(config).database)
    assert repo.proposals() == []  # nothing written
    repo.close()

    app, services = await start_bot(emulator, config, clock)  # the same file in chat: the same line
    try:
        before = len(services.repo.proposals())  # the test bot's sample records
        marker = emulator.mark(ADMIN)
        emulator.push_document(ADMIN, listing.name, listing.read_bytes())
        (answer,) = await emulator.await_sent(ADMIN, since=marker, timeout=60)
        assert answer.text == refusal and len(services.repo.proposals()) == before
    finally:
        await stop_bot(app)

    done = cli(write_config(tmp_path))  # under the usual limits the list is an ordinary one
    assert done.returncode == 0, done.stdout + done.stderr
    assert "交办清单.xlsx：新增提案 3000 件" in done.stdout
