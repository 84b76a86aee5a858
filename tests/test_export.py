"""The Excel export: read back with openpyxl cell by cell, the public variant free of names and
phones, and importing our own export (either variant) changes nothing."""

from __future__ import annotations

import io
import json
import re
import os
import subprocess
import sys

import pytest
from openpyxl import load_workbook

from bot.app import make_services
from bot.config import load_config
from bot.export import CONTACTS_SHEET, ITEMS_SHEET, SUMMARY_SHEET, display_width, export_workbook
from bot.importer import Importer
from bot.model import Contact, Proposal, Reply
from bot.numbers import Session
from tests.conftest import Chat, Clock, start_bot, stop_bot, write_config
from tests.office import load_office



def leaked_phones(svc, cells: list[str]) -> list[str]:
    """Cells holding any stored phone number's digits (local part, area code or not)."""
    phones = {re.sub(r"\D", "", p)[-7:] for c in svc.repo.contacts() for p in c.phones}
    phones |= {re.sub(r"\D", "", p)[-7:] for r in svc.repo.all(Reply) for p in r.phones}
    return [c for c in cells if any(p and p in re.sub(r"\D", "", c) for p in phones)]


@pytest.fixture
def office(tmp_path):
    svc = make_services(load_config(write_config(tmp_path)), Clock())
    load_office(svc)
    yield svc
    svc.repo.close()


def rows_of(ws) -> list[dict]:
    values = list(ws.iter_rows(values_only=True))
    header = values[0]
    return [dict(zip(header, row)) for row in values[1:]]


def every_cell(wb) -> list[str]:
    return [str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None]


def test_internal_export_cell_by_cell(office):
    wb = load_workbook(io.BytesIO(export_workbook(office)))
    assert wb.sheetnames == [ITEMS_SHEET, SUMMARY_SHEET, CONTACTS_SHEET]
    ws = wb[ITEMS_SHEET]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:T45"
    rows = rows_of(ws)
    assert len(rows) == 44
    by_number = {(r["届次"], r["案号"]): (i + 2, r) for i, r in enumerate(rows)}
    line, r101 = by_number[("八届三次会议", "101")]
    assert r101 == {
        "类别": "政协", "地区": "晋城市", "届次": "八届三次会议", "案号": "101",
        "案由": "关于加快推进城乡融合发展的建议", "提案人": "民建晋城市委会",
        "主办单位": "晋城市发展和改革委员会", "协办单位": "晋城市财政局", "承办人": "王立新",
        "联系电话": "0356-2021101", "交办日期": "2026-07-10", "办理期限": None, "复杂件": "否",
        "当前截止日": "2026-10-10", "状态": "已交办", "答复类别": None, "文号": None, "答复日期": None,
        "反馈意见": None, "逾期天数": 44,
    }
    assert ws.cell(line, 1).fill.start_color.rgb == "FFF4CCCC"  # overdue rows stand out
    _, r104 = by_number[("八届三次会议", "104")]
    assert (r104["状态"], r104["答复类别"], r104["文号"], r104["答复日期"], r104["反馈意见"], r104["逾期天数"]) == (
        "已办结", "A", "晋发改函〔2026〕31号", "2026-08-10", "满意", None)
    line104, _ = by_number[("八届三次会议", "104")]
    assert ws.cell(line104, 1).fill.start_color.rgb != "FFF4CCCC"
    title_width = ws.column_dimensions["E"].width
    assert title_width >= max(display_width(r["案由"]) for r in rows)  # wide enough for Chinese
    overdue = [r for r in rows if r["逾期天数"]]
    assert len(overdue) == 13
    summary = list(wb[SUMMARY_SHEET].iter_rows(values_only=True))
    session_row = next(row for row in summary if row[0] == "政协八届三次会议")
    # co-units without an opinion on unreplied items: 101 (财政局), 103 (农业农村局), 105 (2),
    # 109 (财政局), 130 (2)
    assert session_row[:12] == ("政协八届三次会议", 30, 7, "23.3%", 6, "20%", 4, 3, "75%", 26, 12, 7)
    assert "A类 5、B类 1、C类 1" == session_row[12]
    unit_row = next(row for row in summary if row[0] == "晋城市教育局")
    assert unit_row[1:3] == (6, 3)  # 202, 105-108, 人大 4; replied 202, 108, 人大 4
    contacts = rows_of(wb[CONTACTS_SHEET])
    assert {"单位": "晋城市教育局", "姓名": "李晓梅", "联系电话": "0356-2022202"} in contacts


def test_public_export_has_no_names_or_phones(office):
    wb = load_workbook(io.BytesIO(export_workbook(office, public=True)))
    assert wb.sheetnames == [ITEMS_SHEET, SUMMARY_SHEET]
    header = next(wb[ITEMS_SHEET].iter_rows(values_only=True))
    assert "承办人" not in header and "联系电话" not in header
    cells = every_cell(wb)
    assert not leaked_phones(office, cells)
    assert leaked_phones(office, every_cell(load_workbook(io.BytesIO(export_workbook(office)))))  # the check works
    names = {c.name for c in office.repo.contacts()}
    assert not [c for c in cells if any(name in c for name in names)]


def test_one_session(office):
    wb = load_workbook(io.BytesIO(export_workbook(office, Session(8, 2))))
    rows = rows_of(wb[ITEMS_SHEET])
    assert len(rows) == 10 and {r["届次"] for r in rows} == {"八届二次会议"}


def snapshot(svc) -> dict:
    return {cls.__name__: sorted(json.dumps(r.to_doc(), ensure_ascii=False, sort_keys=True) for r in svc.repo.all(cls))
            for cls in (Proposal, Reply, Contact)}


@pytest.mark.parametrize("public", [False, True])
def test_importing_our_export_changes_nothing(office, public):
    before = snapshot(office)
    report = Importer(office.repo, office.config).import_bytes(export_workbook(office, public=public), "export.xlsx")
    assert not report.changed, report.summary()
    assert snapshot(office) == before


async def test_export_in_chat(tmp_path, emulator, clock):
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    load_office(services)
    chat = Chat(emulator, app, services, clock)
    try:
        (sent,) = await chat.send("/export 八届三次")
        assert sent.method == "sendDocument" and sent.filename == "提案办理情况-八届三次会议-2026-11-23.xlsx"
        assert sent.text.startswith("八届三次会议 · 内部版：交办 30 件，已答复 7 件（办复率 23.3%），已逾期 12 件。")
        wb = load_workbook(io.BytesIO(sent.document))
        assert len(rows_of(wb[ITEMS_SHEET])) == 30 and "联系电话" in next(wb[ITEMS_SHEET].iter_rows(values_only=True))
        (public,) = await chat.press(sent, 0)
        assert public.filename.endswith("-公开版.xlsx") and "不含承办人姓名和联系电话" in public.text
        wb = load_workbook(io.BytesIO(public.document))
        assert not leaked_phones(services, every_cell(wb))
        (everything,) = await chat.send("/export")
        assert everything.filename == "提案办理情况-全部-2026-11-23.xlsx"
        (unknown,) = await chat.send("/export 八届九次")
        assert unknown.text == "没有找到八届九次会议的提案或建议，未导出。"
        (bad,) = await chat.send("/export 去年的")
        assert bad.text.startswith("没有看懂届次“去年的”")
    finally:
        await stop_bot(app)


def test_cli_export(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "PROPOSAL_BOT_TOKEN"}
    config = str(write_config(tmp_path))
    from tests.test_cli import with_samples

    with_samples(tmp_path)  # a configured database never gets the samples by itself
    out = tmp_path / "办理情况.xlsx"
    done = subprocess.run([sys.executable, "-m", "bot.cli", "--config", config, "export", str(out), "--public"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "公开版" in done.stdout
    wb = load_workbook(out)
    assert "承办人" not in next(wb[ITEMS_SHEET].iter_rows(values_only=True))
    bad = subprocess.run([sys.executable, "-m", "bot.cli", "--config", config, "export", str(out), "--session", "胡说"],
                         capture_output=True, text=True, env=env, timeout=120)
    assert bad.returncode == 2 and "没有看懂届次" in bad.stderr


@pytest.mark.parametrize("public", [False, True])
def test_importing_the_export_of_the_samples_changes_nothing(tmp_path, public):
    from bot.samples import load_samples

    svc = make_services(load_config(write_config(tmp_path)), Clock())
    load_samples(svc.repo, svc.config)
    before = snapshot(svc)
    report = Importer(svc.repo, svc.config).import_bytes(export_workbook(svc, public=public), "导出.xlsx")
    assert not report.changed, report.summary()
    assert snapshot(svc) == before
    svc.repo.close()
