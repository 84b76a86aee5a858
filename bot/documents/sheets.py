""".xlsx and old .xls as text (a row a line, cells separated by tabs), and an .xls's rows for
the table reader."""

from __future__ import annotations

import importlib.util
import io
import shutil

from .base import DocumentText
from .converters import libreoffice_convert, with_temp_file


def read_xlsx_text(data: bytes) -> DocumentText:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001
        return DocumentText(None, [], "无法读取 .xlsx 文件：文件已损坏或不是 Excel 表格")
    lines: list[str] = []
    try:
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                cells = ["" if v is None else str(v).strip() for v in row]
                if any(cells):
                    lines.append("\t".join(cells).rstrip("\t"))
    except Exception:  # noqa: BLE001
        return DocumentText(None, [], "无法读取 .xlsx 文件：文件已损坏")
    finally:
        try:
            wb.close()
        except Exception:  # noqa: BLE001
            pass
    return DocumentText("\n".join(lines))


def xls_rows(data: bytes) -> tuple[list[list] | None, str | None]:
    """Rows of the first sheet of an old .xls workbook, via xlrd, LibreOffice or xls2csv.
    Returns (rows, error)."""
    if importlib.util.find_spec("xlrd") is not None:
        try:
            import xlrd  # type: ignore[import-not-found]

            book = xlrd.open_workbook(file_contents=data)
            sheet = book.sheet_by_index(0)
            rows = []
            for r in range(sheet.nrows):
                row = []
                for c in range(sheet.ncols):
                    cell = sheet.cell(r, c)
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        try:
                            row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                            continue
                        except Exception:  # noqa: BLE001
                            pass
                    row.append(cell.value)
                rows.append(row)
            return rows, None
        except Exception:  # noqa: BLE001
            pass
    converted = libreoffice_convert(data, ".xls", "xlsx")
    if converted:
        try:
            import openpyxl

            wb = openpyxl.load_workbook(io.BytesIO(converted), read_only=True, data_only=True)
            rows = [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]
            wb.close()
            return rows, None
        except Exception:  # noqa: BLE001
            pass
    if shutil.which("xls2csv"):
        out = with_temp_file(data, ".xls", lambda p: ["xls2csv", "-d", "utf-8", "-q", "3", p])
        if out:
            import csv

            text = out.decode("utf-8", errors="replace").split("\f")[0]
            return [row for row in csv.reader(io.StringIO(text))], None
    if importlib.util.find_spec("xlrd") or any(shutil.which(x) for x in ("libreoffice", "soffice", "xls2csv")):
        return None, "无法读取 .xls 文件：转换失败，文件可能已损坏。请用 Excel/WPS 打开后另存为 .xlsx 再上传"
    return None, (
        "无法读取 .xls 文件：本机没有安装转换工具。请安装 LibreOffice"
        "（apt-get install libreoffice-calc）或 Python 组件 xlrd，"
        "或用 Excel/WPS 将文件另存为 .xlsx 后再上传"
    )


def read_xls_text(data: bytes) -> DocumentText:
    rows, error = xls_rows(data)
    if rows is None:
        return DocumentText(None, [], error)
    lines = ["\t".join("" if v is None else str(v) for v in row).rstrip("\t") for row in rows]
    return DocumentText("\n".join(line for line in lines if line.strip()))
