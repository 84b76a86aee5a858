"""A table file's cell grid, before any header is looked for: the sheets of an .xlsx with
vertically merged cells filled down, and the rows of a .csv with its delimiter guessed.

Pure core module: no telegram, no tinydb.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile

from .documents import decode_text

MAX_ROWS = 50_000  # rows read per sheet; more is reported, not read


def xlsx_sheets(data: bytes) -> tuple[list[tuple[str, list[list]]], str | None]:
    try:
        import openpyxl

        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except MemoryError:  # the upload worker's memory limit: refused as such, not called broken
        raise
    except Exception:  # noqa: BLE001
        return [], "无法读取 Excel 文件：文件已损坏或不是 .xlsx 表格，请用 Excel/WPS 重新另存为 .xlsx"
    sheets: list[tuple[str, list[list]]] = []
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        for ws in wb.worksheets:
            rows: list[list] = []
            for row in ws.iter_rows(min_row=1, values_only=True):
                rows.append(list(row))
                if len(rows) > MAX_ROWS:
                    break
            _fill_merged(rows, _merged_ranges(archive, getattr(ws, "_worksheet_path", None)))
            sheets.append((ws.title, rows))
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001
        if not sheets:
            return [], "无法读取 Excel 文件：文件已损坏"
    finally:
        try:
            wb.close()
        except Exception:  # noqa: BLE001
            pass
    return sheets, None


_MERGE_CELL = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _merged_ranges(archive: zipfile.ZipFile, path: str | None) -> list[tuple[int, int, int, int]]:
    """(first row, last row, first col, last col), 0-based, of the sheet's merged cells. Read
    from the sheet XML: openpyxl's read-only mode (the fast one) does not expose them."""
    if not path:
        return []
    try:
        xml = archive.read(path.lstrip("/"))
    except KeyError:
        return []
    ranges = []
    for c1, r1, c2, r2 in _MERGE_CELL.findall(xml):
        ranges.append((int(r1) - 1, int(r2) - 1, _col_index(c1.decode()), _col_index(c2.decode())))
    return ranges


def _col_index(letters: str) -> int:
    index = 0
    for ch in letters:
        index = index * 26 + ord(ch) - 64
    return index - 1


def _fill_merged(rows: list[list], ranges: list[tuple[int, int, int, int]]) -> None:
    """A vertically merged cell (one lead unit for several rows) fills every row it spans;
    merges within one row (a title across the columns) are left as they are."""
    for r1, r2, c1, c2 in ranges:
        if r2 <= r1 or r1 >= len(rows):
            continue
        top = rows[r1]
        for r in range(r1 + 1, min(r2, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c1, c2 + 1):
                if c < len(top) and c < len(row) and row[c] in (None, ""):
                    row[c] = top[c]


def csv_rows(data: bytes) -> tuple[list[list] | None, list[str], str | None]:
    text, _encoding, warnings = decode_text(data)
    if text is None:
        return None, warnings, "无法读取 CSV 文件：内容不是文字"
    text = text.lstrip("\ufeff")
    lines = [line for line in text.splitlines() if line.strip()][:40]
    delimiter = ","
    best = -1.0
    for cand in (",", "\t", ";", "|"):
        counts = [line.count(cand) for line in lines]
        used = [c for c in counts if c > 0]
        if not used:
            continue
        # Prefer a delimiter that appears in most lines, the same number of times.
        common = max(set(used), key=used.count)
        score = used.count(common) + len(used) * 0.5
        if score > best:
            best, delimiter = score, cand
    try:
        rows = [row for row in csv.reader(io.StringIO(text), delimiter=delimiter)]
    except csv.Error:
        rows = [line.split(delimiter) for line in text.splitlines()]
    return rows[: MAX_ROWS + 1], warnings, None
