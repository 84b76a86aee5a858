"""The entry point: ``read_text`` sniffs what a file really is (a PDF renamed .txt is read as a
PDF), picks its reader, and never raises."""

from __future__ import annotations

import io
import os
import zipfile

from .base import MAX_FILE_BYTES, DocumentText
from .converters import read_doc, read_rtf
from .encodings import decode_text
from .pdf import read_pdf
from .sheets import read_xls_text, read_xlsx_text
from .web import read_html
from .word import read_docx


def sniff_kind(data: bytes) -> str | None:
    """The real kind of a file from its content: pdf, docx, xlsx, zip, ole, rtf, html or None."""
    head = data[:2048]
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
        except Exception:  # noqa: BLE001
            return "zip"
        if "word/document.xml" in names:
            return "docx"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if head.lstrip().startswith(b"{\\rtf"):
        return "rtf"
    low = head.lower()
    if b"<html" in low or b"<!doctype html" in low or (b"<body" in low and b"</" in low):
        return "html"
    return None


def _ole_kind(data: bytes) -> str | None:
    """doc or xls for an OLE compound file (stream names are UTF-16 in the directory)."""
    if "WordDocument".encode("utf-16-le") in data:
        return "doc"
    if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
        return "xls"
    return None


def _read_plain(data: bytes) -> DocumentText:
    text, encoding, warnings = decode_text(data)
    if text is None:
        return DocumentText(None, warnings, "无法读取：文件内容不是文字（可能是图片、压缩包或其他二进制文件）")
    if not text.strip():
        return DocumentText("", warnings + ["文件是空的"], None)
    return DocumentText(text, warnings)


_EXT_KIND = {
    ".txt": "text", ".text": "text", ".md": "text", ".csv": "text", ".tsv": "text",
    ".docx": "docx", ".docm": "docx", ".dotx": "docx", ".wpsx": "docx",
    ".pdf": "pdf", ".doc": "doc", ".wps": "doc", ".dot": "doc",
    ".xls": "xls", ".et": "xls", ".xlsx": "xlsx", ".xlsm": "xlsx",
    ".htm": "html", ".html": "html", ".shtml": "html", ".mht": "html", ".rtf": "rtf",
}
_KIND_NAMES = {
    "pdf": "PDF", "docx": "Word（.docx）", "xlsx": "Excel（.xlsx）", "doc": "Word（.doc）",
    "xls": "Excel（.xls）", "html": "网页", "rtf": "RTF", "text": "文本",
}


def read_text(data: bytes, filename: str) -> DocumentText:
    """Read any supported file into text. Never raises."""
    try:
        return _read_text(data, filename or "")
    except MemoryError:  # the upload worker's memory limit: refused as such
        raise
    except Exception as exc:  # noqa: BLE001 - last line of defence
        return DocumentText(None, [], f"读取文件时出错：{type(exc).__name__}，请换一种格式（如 .docx 或 .txt）再试")


def _read_text(data: bytes, filename: str) -> DocumentText:
    if data is None:
        data = b""
    if isinstance(data, str):
        return DocumentText(data)
    if not data or not data.strip():
        return DocumentText(None, [], "文件是空的")
    if len(data) > MAX_FILE_BYTES:
        return DocumentText(None, [], f"文件太大（{len(data) // (1024 * 1024)} MB），请拆分或只上传答复正文")
    ext = os.path.splitext(filename.lower())[1]
    declared = _EXT_KIND.get(ext)
    sniffed = sniff_kind(data)
    if sniffed == "ole":
        sniffed = _ole_kind(data) or (declared if declared in ("doc", "xls") else "doc")
    if sniffed == "zip":
        if declared in ("docx", "xlsx"):
            sniffed = declared  # a damaged package: let its reader say so
        else:
            return DocumentText(None, [], "无法读取：这是一个压缩包，请解压后上传其中的文件")
    kind = sniffed or declared or "text"
    warnings: list[str] = []
    if sniffed and declared and sniffed != declared and not (declared == "text" and sniffed == "html"):
        warnings.append(
            f"文件扩展名是 {ext}，但内容是 {_KIND_NAMES.get(sniffed, sniffed)}，已按实际内容读取"
        )
    if declared is None and sniffed is None and ext not in ("",):
        # Unknown extension and no magic: only text is left to try.
        result = _read_plain(data)
        if result.error:
            result.error = f"无法读取 {ext} 文件：不支持的文件类型。请上传 .docx、.pdf、.txt、.xlsx 或 .csv"
        result.warnings = warnings + result.warnings
        return result
    reader = {
        "pdf": read_pdf, "docx": read_docx, "xlsx": read_xlsx_text, "html": read_html,
        "doc": lambda d: read_doc(d, ext if ext in (".doc", ".wps", ".dot") else ".doc"),
        "xls": read_xls_text, "rtf": read_rtf, "text": _read_plain,
    }[kind]
    result = reader(data)
    result.warnings = warnings + result.warnings
    return result
