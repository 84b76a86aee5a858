"""Assignment lists (交办清单) and contact lists from .xlsx, .csv and .xls."""

from __future__ import annotations

import datetime as dt
import importlib.util
import io
import os
import shutil

import openpyxl
import pytest

from bot.tables import read_table


def xlsx(rows: list[list], title: str = "Sheet1", extra_sheets: dict | None = None) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = title
    for row in rows:
        ws.append(row)
    for name, more in (extra_sheets or {}).items():
        other = wb.create_sheet(name)
        for row in more:
            other.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


ASSIGNMENT = [
    ["2025年市政协八届三次会议提案交办清单"],
    [],
    ["序号", "提案号", "案由", "领衔人", "主办单位", "协办单位", "交办日期", "答复期限", "承办人", "联系电话", "是否重点"],
    [1, "0125", "关于加快推动我市城乡融合发展的建议", "民建晋城市委会", "晋城市发展和改革委员会",
     "市财政局、市农业农村局", dt.datetime(2025, 3, 1), 45809, "唐志文 李鹏慧", "0356-5220956", "是"],
    [2, 126, "关于完善农村客运网络的建议", "王明", "市交通运输局", None, "2025/3/1", "2025年6月1日",
     None, 13812345678, "否"],
    [3, None, "缺号的建议", "张三", "市教育局", None, "2025-03-01", None, None, None, None],
    [4, "128", "日期坏的建议", "李四", "市教育局", None, "三月初", None, None, None, None],
    ["一、重点提案"],
    [5, "TA0010", "关于推进城乡产业融合的建议", "九三学社", "高平市发改局", "市财政局，市自然资源局 市住建局",
     "2025.3.1", dt.date(2025, 6, 1), "", "", ""],
    [6, "129", None, "赵六", "市民政局", None, "2025-03-01", None, None, None, None],
    [7, "0125", "重复的案号", "钱七", "市民政局", None, "2025-03-01", None, None, None, None],
]


def test_xlsx_assignment_list_with_title_row_synonyms_and_dates():
    result = read_table(xlsx(ASSIGNMENT, "交办清单"), "交办清单.xlsx")
    assert result.error is None
    assert result.kind == "assignment"
    assert result.header_row == 3
    assert [row["number"] for row in result.rows] == ["0125", "126", "TA0010"]
    first = result.rows[0]
    assert first == {
        "number": "0125", "title": "关于加快推动我市城乡融合发展的建议", "proposer": "民建晋城市委会",
        "lead_unit": "晋城市发展和改革委员会", "co_units": ["市财政局", "市农业农村局"],
        "assigned_date": "2025-03-01", "due_date": "2025-06-01", "reply_date": None,
        "handlers": ["唐志文", "李鹏慧"], "phones": ["0356-5220956"], "body": "政协", "term": 8,
        "meeting": 3, "session": "2025年市政协八届三次会议提案交办清单", "region": None,
        "complex": True, "classification": None, "row": 4,
    }
    assert result.rows[1]["phones"] == ["13812345678"]
    assert result.rows[1]["due_date"] == "2025-06-01"
    assert result.rows[1]["complex"] is False
    assert result.rows[2]["co_units"] == ["市财政局", "市自然资源局", "市住建局"]
    assert result.rows[2]["row"] == 9
    assert result.errors == [
        (6, "第6行：缺少案号"),
        (7, "第7行：交办日期“三月初”无法识别"),
        (10, "第10行：缺少案由"),
        (11, "第11行：案号0125与第4行重复"),
    ]
    assert any("届次取自表格标题" in w for w in result.warnings)


def test_serial_is_used_as_number_only_when_nothing_better_with_a_warning():
    rows = [["序号", "标题", "主办"], [1, "关于A的建议", "市教育局"], [2, "关于B的建议", "市民政局"]]
    result = read_table(xlsx(rows), "list.xlsx")
    assert [r["number"] for r in result.rows] == ["1", "2"]
    assert any("序号" in w for w in result.warnings)


def test_category_column_gives_body_or_class_and_session_column_is_parsed():
    rows = [
        ["编号", "题目", "代表", "承办单位", "类别", "届次", "截止日期"],
        ["0224", "关于加快老旧小区改造的建议", "张三", "市住建局", "人大代表建议", "市十五届人大二次会议", "2025-06-01"],
        ["0225", "关于加强养老服务的建议", "李四", "市民政局", "B", "十五届二次", "2025-06-01"],
        ["0226", "关于X的建议", "王五", "市民政局", "其他", "十五届二次", "2025-06-01"],
        ["0227", "关于Y的建议", "赵六", "市民政局", "人大", "第几届", "2025-06-01"],
    ]
    result = read_table(xlsx(rows), "list.xlsx")
    assert (result.rows[0]["body"], result.rows[0]["term"], result.rows[0]["meeting"]) == ("人大", 15, 2)
    assert result.rows[1]["classification"] == "B"
    assert [e[0] for e in result.errors] == [4, 5]


def test_due_date_before_assignment_is_an_error():
    rows = [["提案号", "案由", "交办日期", "办理期限"], ["1", "关于A的建议", "2025-03-01", "2025-02-01"]]
    result = read_table(xlsx(rows), "list.xlsx")
    assert result.rows == []
    assert "早于交办日期" in result.errors[0][1]


def test_csv_in_gbk_with_title_line_and_quoted_commas():
    text = (
        "市人大建议交办表\n"
        "建议号,题目,代表,承办单位,交办时间,办理期限,类别,届次\n"
        "0224,关于加快老旧小区改造的建议,张三,市住建局,2025-03-01,2025-06-01,人大,十五届二次\n"
        "0225,\"关于加强养老服务的建议，含逗号\",李四,市民政局,2025年3月1日,2025/6/1,人大,十五届二次\n"
        "0226,关于Z的建议,王五,市民政局,2025-3-1,下月,人大,十五届二次\n"
    )
    result = read_table(text.encode("gbk"), "建议.csv")
    assert result.kind == "assignment" and result.header_row == 2
    assert [r["number"] for r in result.rows] == ["0224", "0225"]
    assert result.rows[1]["title"] == "关于加强养老服务的建议，含逗号"
    assert result.rows[1]["assigned_date"] == "2025-03-01"
    assert result.rows[0]["body"] == "人大" and result.rows[0]["term"] == 15
    assert result.errors == [(5, "第5行：办理期限“下月”无法识别")]


def test_csv_semicolon_and_tab_delimiters():
    for sep in (";", "\t"):
        text = sep.join(["提案号", "案由", "提案人"]) + "\n" + sep.join(["12", "关于A,B的建议", "王明"]) + "\n"
        result = read_table(text.encode("utf-8"), "list.csv")
        assert result.rows[0]["number"] == "12"
        assert result.rows[0]["title"] == "关于A,B的建议"


def test_contacts_list():
    rows = [
        ["市发改委联系人名单"],
        ["姓名", "单位", "职务", "手机", "Telegram用户名"],
        ["唐志文", "高平市发展改革和科技局", "科员", "0356-5220956", "@tangzw"],
        ["李鹏慧", "高平市发展改革和科技局", None, 13912345678, "https://t.me/lipenghui"],
        [None, "某局", None, "123", None],
        ["张三、李四", "某局", None, "13800000000", None],
        ["王五", "某局", None, "13800000001", "@@"],
    ]
    result = read_table(xlsx(rows), "联系人.xlsx")
    assert result.kind == "contacts" and result.header_row == 2
    assert result.rows == [
        {"name": "唐志文", "unit": "高平市发展改革和科技局", "phones": ["0356-5220956"],
         "telegram": "tangzw", "position": "科员", "row": 3},
        {"name": "李鹏慧", "unit": "高平市发展改革和科技局", "phones": ["13912345678"],
         "telegram": "lipenghui", "position": None, "row": 4},
    ]
    assert [e[0] for e in result.errors] == [5, 6, 7]
    assert "缺少姓名" in result.errors[0][1]


def test_contacts_csv_with_contact_column_as_name():
    text = "联系人,部门,联系电话\n唐志文,发改局,0356-5220956\n"
    result = read_table(text.encode("utf-8-sig"), "c.csv")
    assert result.kind == "contacts"
    assert result.rows[0]["name"] == "唐志文" and result.rows[0]["unit"] == "发改局"


def test_header_on_a_later_sheet_and_other_sheets_named():
    data = xlsx([["说明：本表由市政协提案委提供"]], "说明",
                {"清单": [["提案号", "案由"], ["1", "关于A的建议"]]})
    result = read_table(data, "list.xlsx")
    assert result.sheet == "清单" and result.rows[0]["number"] == "1"
    assert any("说明" in w for w in result.warnings)


def test_no_header_is_a_clear_error():
    result = read_table(xlsx([["a", "b"], [1, 2]]), "list.xlsx")
    assert result.kind is None and "表头" in result.error


def test_xls_without_converter_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512 + "Workbook".encode("utf-16-le")
    result = read_table(ole, "list.xls")
    assert result.kind is None
    assert "LibreOffice" in result.error and ".xlsx" in result.error


@pytest.mark.parametrize("data, name", [
    (b"", "a.xlsx"), (os.urandom(1 << 20), "noise.xlsx"), (os.urandom(1 << 20), "noise.csv"),
    (b"PK\x03\x04" + os.urandom(100), "broken.xlsx"), (b"%PDF-1.4 ...", "a.xlsx"),
    ("第第第号号".encode() * 200_000, "rep.csv"), (b"\x00" * 1000, "zero.csv"),
])
def test_garbage_is_an_error_not_an_exception(data, name):
    result = read_table(data, name)
    assert result.kind is None and result.error


def test_header_missing_a_needed_column_says_which():
    result = read_table(xlsx([["提案号", "提案人", "主办单位"], ["1", "王明", "市教育局"]]), "list.xlsx")
    assert result.kind is None
    assert "案由/标题" in result.error and result.header_row == 1


def test_several_phone_columns_are_all_read():
    rows = [["姓名", "部门", "办公电话", "手机"], ["唐志文", "发改局", "0356-5220956", "13912345678"]]
    result = read_table(xlsx(rows), "c.xlsx")
    assert result.rows[0]["phones"] == ["0356-5220956", "13912345678"]


def test_proposer_phone_and_address_are_never_imported():
    """A proposer's own contact details must not become a handler's phone (issue 10)."""
    rows = [["提案号", "案由", "提案人", "提案人电话", "代表联系地址", "主办单位", "承办人", "联系电话"],
            ["0125", "关于城乡融合的建议", "王明", "13800001111", "城区某街1号", "市发改委", "唐志文", "0356-5220956"]]
    result = read_table(xlsx(rows), "a.xlsx")
    row = result.rows[0]
    assert row["phones"] == ["0356-5220956"]
    assert "13800001111" not in repr(result) and "某街" not in repr(result)


def test_a_title_typed_over_lines_in_its_cell_is_one_line():
    data = xlsx([["提案号", "案由", "主办单位", "交办日期"],
                 [1, "关于加快推动\n我市城乡融合发展的建议", "市发改委", "2026-03-01"],
                 [2, "关于推进 5G\nWiFi 全覆盖的建议", "市工信局", "2026-03-01"]])
    rows = read_table(data, "清单.xlsx").rows
    assert [r["title"] for r in rows] == ["关于加快推动我市城乡融合发展的建议", "关于推进 5G WiFi 全覆盖的建议"]


def test_a_date_without_its_year_takes_the_titles_year_with_a_warning():
    data = xlsx([["2025年市政协八届三次会议提案交办清单"], ["提案号", "案由", "主办单位", "交办日期"],
                 [1, "关于甲的建议", "市发改委", "3月15日"], [2, "关于乙的建议", "市发改委", "3-16"],
                 [3, "关于丙的建议", "市发改委", "13月1日"]])
    table = read_table(data, "清单.xlsx")
    assert [(r["number"], r["assigned_date"]) for r in table.rows] == [("1", "2025-03-15"), ("2", "2025-03-16")]
    assert "第3、4行：交办日期没有写年份，已按表格标题取 2025 年，请核对" in table.warnings
    assert table.errors == [(5, "第5行：交办日期“13月1日”无法识别")]


def test_a_date_without_its_year_and_no_year_in_the_title_takes_the_import_dates():
    from bot.tables import fill_years

    data = xlsx([["市政协八届三次会议提案交办清单"], ["提案号", "案由", "主办单位", "交办日期"],
                 [1, "关于甲的建议", "市发改委", "3月15日"], [2, "关于乙的建议", "市发改委", "12月20日"]])
    table = read_table(data, "清单.xlsx")
    assert [r["assigned_date"] for r in table.rows] == [None, None]
    fill_years(table, dt.date(2026, 11, 23))
    assert [r["assigned_date"] for r in table.rows] == ["2026-03-15", "2025-12-20"]  # never after the import
    assert "第3行：交办日期没有写年份，已按导入日期取 2026 年，请核对" in table.warnings
    assert "第4行：交办日期没有写年份，已按导入日期取 2025 年，请核对" in table.warnings
    fill_years(table, dt.date(2026, 11, 23))  # once only
    assert len([w for w in table.warnings if "没有写年份" in w]) == 2


def test_a_session_column_without_the_body_takes_the_body_the_lists_title_names():
    rows = [
        ["晋城市政协提案交办清单"],
        ["提案号", "案由", "主办单位", "届次"],
        ["0301", "关于A的提案", "晋城市教育局", "八届三次"],
        ["0302", "关于B的建议", "晋城市民政局", "市十五届人大二次会议"],  # the cell names its body: it wins
    ]
    table = read_table(xlsx(rows), "list.xlsx")
    assert table.errors == []
    assert [(r["body"], r["term"], r["meeting"]) for r in table.rows] == [("政协", 8, 3), ("人大", 15, 2)]
    rows[0] = ["晋城市人大代表建议交办清单"]
    assert read_table(xlsx(rows), "list.xlsx").rows[0]["body"] == "人大"
    rows[0] = ["2026年交办清单"]  # a title naming neither body leaves the cell without one
    assert read_table(xlsx(rows), "list.xlsx").rows[0]["body"] is None
