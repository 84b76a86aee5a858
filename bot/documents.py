"""Turn an uploaded file into plain text.

``read_text(data, filename)`` reads .txt (UTF-8, UTF-8 with BOM, GB18030/GBK, Big5, UTF-16/32),
.docx (paragraphs, text boxes and table cells in document order), .pdf with a text layer,
.html (web copies), .xlsx, and .doc / .xls / .wps / .rtf through an external converter when
one is installed (LibreOffice, antiword, catdoc, xls2csv, or the xlrd package). The content is
sniffed first, so a PDF renamed to .txt is still read as a PDF.

It never raises: a file that cannot be read at all comes back with ``error`` set (in Chinese,
saying what to do), and smaller problems are listed in ``warnings``.

Pure core module: no telegram, no tinydb.
"""

from __future__ import annotations

import html
import html.parser
import importlib.util
import io
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field

MAX_FILE_BYTES = 40 * 1024 * 1024
MAX_PDF_PAGES = 300
CONVERTER_TIMEOUT = 90  # seconds


@dataclass
class DocumentText:
    """What came out of a file: the text, warnings (Chinese), or an error when unreadable."""

    text: str | None
    warnings: list[str] = field(default_factory=list)
    error: str | None = None


# --------------------------------------------------------------------------- text decoding

_BOMS = [
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def _control_ratio(text: str) -> float:
    if not text:
        return 0.0
    sample = text[:200_000]
    bad = len(_CONTROL.findall(sample)) + sample.count("\ufffd")
    return bad / len(sample)


# Characters that plausibly occur in a Chinese office document: ASCII, CJK, CJK and fullwidth
# punctuation, general punctuation, · × °.
_NOT_PRINTABLE = re.compile("[^\x20-\x7e\n\r\t\u4e00-\u9fff\u3000-\u303f\uff00-\uffef\u2010-\u206f\xb7\xd7\xb0]")


def _printable_score(text: str) -> float:
    """Share of characters that plausibly occur in a Chinese office document."""
    sample = text[:50_000]
    if not sample:
        return 0.0
    return (len(sample) - len(_NOT_PRINTABLE.findall(sample))) / len(sample)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        data.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def decode_text(data: bytes) -> tuple[str | None, str | None, list[str]]:
    """Decode bytes of a text file. Returns (text, encoding, warnings); text is None when the
    bytes are not text at all (binary)."""
    warnings: list[str] = []
    if not data:
        return "", "utf-8", warnings
    for bom, enc in _BOMS:
        if data.startswith(bom):
            text = data.decode(enc, errors="replace")
            if "\ufffd" in text:
                warnings.append("文件中有无法解码的字符，已用“�”代替")
            return text, enc, warnings
    try:
        text = data.decode("utf-8")
        if _control_ratio(text) > 0.05:
            return None, None, warnings
        return text, "utf-8", warnings
    except UnicodeDecodeError:
        pass
    # UTF-8 with a few broken bytes (a file cut mid-character) stays UTF-8: read as GB18030 it
    # would silently turn into other characters.
    lenient = data.decode("utf-8", errors="replace")
    bad = lenient.count("\ufffd")
    if bad <= max(2, len(lenient) // 1000) and len(lenient) < len(data) and _control_ratio(lenient) <= 0.05:
        warnings.append(f"文件中有 {bad} 处无法解码的字符，已用“�”代替")
        return lenient, "utf-8", warnings

    utf16 = b"\x00" in data[:4096] and len(data) % 2 == 0
    if not utf16 and not _decodes(data, "big5"):
        # Clean GB18030 that is not Big5 as well: no other candidate below could beat a score
        # of 0.95 by the 0.05 it needs, so the detector's guess would not change the answer.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = None
        if text is not None and _printable_score(text) >= 0.95 and _control_ratio(text) <= 0.05:
            return text, "gb18030", warnings

    candidates: list[tuple[str, str]] = []
    if utf16:
        for enc in ("utf-16-le", "utf-16-be"):
            try:
                candidates.append((enc, data.decode(enc)))
            except UnicodeDecodeError:
                continue
    guess = None
    try:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data[:300_000]).best()
        guess = best.encoding if best is not None else None
    except Exception:  # noqa: BLE001 - detection is a hint only
        guess = None
    order = ["gb18030", "big5"]
    if guess in ("big5", "cp950", "big5hkscs"):
        order = ["big5", "gb18030"]
    for enc in order:
        try:
            candidates.append((enc, data.decode(enc)))
        except UnicodeDecodeError:
            continue
    if guess and guess not in {c[0] for c in candidates} and guess not in ("utf_8", "ascii"):
        try:
            candidates.append((guess, data.decode(guess)))
        except (UnicodeDecodeError, LookupError):
            pass
    scored = [(enc, text, _printable_score(text)) for enc, text in candidates]
    scored = [item for item in scored if item[2] >= 0.85 and _control_ratio(item[1]) <= 0.05]
    if scored:
        # Prefer the order above (Chinese encodings first) unless another scores clearly better.
        best_enc, best_text, best_score = scored[0]
        for enc, text, score in scored[1:]:
            if score > best_score + 0.05:
                best_enc, best_text, best_score = enc, text, score
        return best_text, best_enc, warnings

    # Nothing decodes cleanly: lenient GB18030 if it still looks like text.
    text = data.decode("gb18030", errors="replace")
    if _control_ratio(text) > 0.05 or _printable_score(text) < 0.7:
        return None, None, warnings
    warnings.append("无法确定文件编码，按 GB18030 读取，部分字符可能是乱码")
    return text, "gb18030", warnings


# --------------------------------------------------------------------------- sniffing

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


# --------------------------------------------------------------------------- .docx

_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"


def _q(tag: str) -> str:
    return f"{{{_W}}}{tag}"


def _run_text(elem, boxes: list[str]) -> str:
    """Text of a paragraph's runs, in order; text boxes are collected into ``boxes``."""
    parts: list[str] = []
    for child in elem:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == _q("t"):
            parts.append(child.text or "")
        elif tag == _q("tab"):
            parts.append("\t")
        elif tag in (_q("br"), _q("cr")):
            parts.append("\n")
        elif tag == _q("txbxContent"):
            for p in child.iter(_q("p")):
                text = _run_text(p, boxes).strip()
                if text:
                    boxes.append(text)
        elif tag in (_q("delText"), _q("instrText")) or tag == f"{{{_MC}}}Fallback":
            continue
        else:
            parts.append(_run_text(child, boxes))
    return "".join(parts)


def _paragraph_lines(p) -> list[str]:
    boxes: list[str] = []
    text = _run_text(p, boxes)
    return boxes + [text]


def _cell_lines(tc) -> list[str]:
    return [line for line in _body_lines(tc) if line.strip()]


def _table_lines(tbl) -> list[str]:
    lines: list[str] = []
    for tr in tbl.iter(_q("tr")):
        if tr.getparent() is not tbl and tr.getparent().tag != _q("sdtContent"):
            continue  # rows of nested tables are read with their cell
        cells = [_cell_lines(tc) for tc in tr.findall(_q("tc"))]
        cells = [c for c in cells if c]
        if len(cells) == 1:
            lines.extend(cells[0])
        elif cells:
            lines.append("\t".join(" ".join(part.strip() for part in c) for c in cells))
    return lines


def _body_lines(body) -> list[str]:
    lines: list[str] = []
    for child in body:
        if child.tag == _q("p"):
            lines.extend(_paragraph_lines(child))
        elif child.tag == _q("tbl"):
            lines.extend(_table_lines(child))
        elif child.tag == _q("sdt"):
            content = child.find(_q("sdtContent"))
            if content is not None:
                lines.extend(_body_lines(content))
    return lines


_RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
_OFFICE_DOCUMENT = "/officeDocument"  # how the package's relationship type to the main part ends


def _main_part(zf: zipfile.ZipFile) -> str:
    """The name of a .docx's main document part: what the package's relationships name
    (``word/document.xml`` in practice), else ``word/document.xml``."""
    from lxml import etree

    try:
        rels = etree.fromstring(zf.read("_rels/.rels"), etree.XMLParser(resolve_entities=False))
        for rel in rels.iter(f"{{{_RELS}}}Relationship"):
            if rel.get("Type", "").endswith(_OFFICE_DOCUMENT) and rel.get("TargetMode") != "External":
                target = rel.get("Target", "").lstrip("/")
                if target in zf.namelist():
                    return target
    except Exception:  # noqa: BLE001 - no or broken relationships: the usual name
        pass
    return "word/document.xml"


def _docx_body(data: bytes):
    """The body of a .docx's main document part, read straight from the zip and parsed as
    python-docx parses it (blank text dropped, no entities). ``docx.Document()`` loads the whole
    package (styles, numbering, headers, settings, images) first, about 50 times the cost of this
    one part. The zip's stated sizes are checked before (``bot.limits``), and zipfile never inflates
    a member past its stated size."""
    from lxml import etree

    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        xml = zf.read(_main_part(zf))
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, huge_tree=False)
    return etree.fromstring(xml, parser).find(_q("body"))


def _read_docx(data: bytes) -> DocumentText:
    try:
        body = _docx_body(data)
    except Exception:  # noqa: BLE001 - not a zip, no document part, broken XML
        body = None
    if body is None:
        return DocumentText(None, [], "无法读取 .docx 文件：文件已损坏或不是 Word 文档，请用 Word/WPS 打开后重新另存为 .docx")
    text = "\n".join(_body_lines(body))
    if not text.strip():
        return DocumentText(None, [], "这个 Word 文件里没有文字（可能只有图片或扫描件），需要先做文字识别(OCR)")
    return DocumentText(text)


# --------------------------------------------------------------------------- .pdf

def _read_pdf(data: bytes) -> DocumentText:
    import logging

    try:
        from pypdf import PdfReader
    except ImportError:  # pragma: no cover
        return DocumentText(None, [], "无法读取 PDF：缺少 pypdf 组件")
    warnings: list[str] = []
    pypdf_log = logging.getLogger("pypdf")
    old_level = pypdf_log.level
    pypdf_log.setLevel(logging.ERROR)
    try:
        try:
            reader = PdfReader(io.BytesIO(data), strict=False)
            if reader.is_encrypted:
                try:
                    ok = reader.decrypt("")
                except Exception:  # noqa: BLE001
                    ok = 0
                if not ok:
                    return DocumentText(None, [], "无法读取 PDF：文件已加密，请去掉密码后再上传")
            pages = reader.pages
            count = len(pages)
        except Exception:  # noqa: BLE001
            return DocumentText(None, [], "无法读取 PDF：文件已损坏或不完整，请重新导出后再上传")
        if count == 0:
            return DocumentText(None, [], "无法读取 PDF：文件里没有页面")
        if count > MAX_PDF_PAGES:
            warnings.append(f"PDF 共 {count} 页，只读取了前 {MAX_PDF_PAGES} 页")
        texts: list[str] = []
        empty_pages: list[int] = []
        for number in range(min(count, MAX_PDF_PAGES)):
            try:
                page_text = pages[number].extract_text() or ""
            except Exception:  # noqa: BLE001
                page_text = ""
                warnings.append(f"PDF 第{number + 1}页无法读取，已跳过")
            if len(re.sub(r"\s", "", page_text)) < 5:
                empty_pages.append(number + 1)
            texts.append(page_text)
    finally:
        pypdf_log.setLevel(old_level)
    text = "\n\f\n".join(texts)
    if len(re.sub(r"\s", "", text)) < 5:
        return DocumentText(
            None, warnings,
            "这个 PDF 是扫描件（无文字层），无法直接读取文字，需要先做文字识别(OCR)，"
            "或上传 Word/文本版本",
        )
    if empty_pages:
        pages_text = "、".join(str(n) for n in empty_pages[:10])
        warnings.append(f"PDF 第{pages_text}页没有文字层（可能是扫描页），这些页的内容未能读取")
    return DocumentText(text, warnings)


# --------------------------------------------------------------------------- .html

class _HTMLText(html.parser.HTMLParser):
    _BLOCK = {
        "p", "div", "br", "tr", "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "section",
        "article", "header", "footer", "ul", "ol", "dd", "dt", "title", "hr", "pre", "blockquote",
    }

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):  # noqa: D401
        if tag in ("script", "style", "noscript"):
            self._skip += 1
        elif tag in self._BLOCK:
            self.parts.append("\n")
        elif tag in ("td", "th"):
            self.parts.append("\t")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "noscript"):
            self._skip = max(0, self._skip - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n")

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def html_to_text(markup: str) -> str:
    parser = _HTMLText()
    try:
        parser.feed(markup)
        parser.close()
    except Exception:  # noqa: BLE001
        return re.sub(r"<[^>]{0,2000}>", "\n", html.unescape(markup))
    return "".join(parser.parts)


def _read_html(data: bytes) -> DocumentText:
    head = data[:4096].decode("ascii", errors="ignore").lower()
    match = re.search(r"charset=[\"']?([a-z0-9_\-]+)", head)
    text = None
    warnings: list[str] = []
    if match:
        enc = match.group(1)
        if enc in ("gb2312", "gbk"):
            enc = "gb18030"
        try:
            text = data.decode(enc)
        except (LookupError, UnicodeDecodeError):
            text = None
    if text is None:
        text, _enc, warnings = decode_text(data)
    if text is None:
        return DocumentText(None, warnings, "无法读取网页文件：编码无法识别")
    return DocumentText(html_to_text(text), warnings)


# --------------------------------------------------------------------------- .xlsx as text

def _read_xlsx_text(data: bytes) -> DocumentText:
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


# --------------------------------------------------------------------------- converters

def _run(cmd: list[str], cwd: str | None = None) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(
            cmd, cwd=cwd, capture_output=True, timeout=CONVERTER_TIMEOUT, check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None


def libreoffice_convert(data: bytes, suffix: str, target: str) -> bytes | None:
    """Convert with LibreOffice in headless mode (own profile dir, so runs do not collide).
    ``target`` is a --convert-to argument such as ``docx`` or ``xlsx``. None when unavailable."""
    exe = shutil.which("libreoffice") or shutil.which("soffice")
    if not exe:
        return None
    with tempfile.TemporaryDirectory(prefix="pbconv-") as tmp:
        src = os.path.join(tmp, "input" + suffix)
        with open(src, "wb") as fh:
            fh.write(data)
        profile = "file://" + os.path.join(tmp, "profile")
        out_dir = os.path.join(tmp, "out")
        proc = _run([
            exe, f"-env:UserInstallation={profile}", "--headless", "--norestore",
            "--convert-to", target, "--outdir", out_dir, src,
        ])
        if proc is None or not os.path.isdir(out_dir):
            return None
        for name in os.listdir(out_dir):
            with open(os.path.join(out_dir, name), "rb") as fh:
                return fh.read()
    return None


def _with_temp_file(data: bytes, suffix: str, cmd_for) -> bytes | None:
    with tempfile.TemporaryDirectory(prefix="pbconv-") as tmp:
        src = os.path.join(tmp, "input" + suffix)
        with open(src, "wb") as fh:
            fh.write(data)
        proc = _run(cmd_for(src))
        if proc is None or proc.returncode != 0 or not proc.stdout.strip():
            return None
        return proc.stdout


def _read_doc(data: bytes, suffix: str = ".doc") -> DocumentText:
    converted = libreoffice_convert(data, suffix, "docx")
    if converted:
        result = _read_docx(converted)
        if result.text:
            return result
    if shutil.which("antiword"):
        out = _with_temp_file(data, suffix, lambda p: ["antiword", "-m", "UTF-8.txt", "-w", "0", p])
        if out:
            return DocumentText(out.decode("utf-8", errors="replace"))
    if shutil.which("catdoc"):
        out = _with_temp_file(data, suffix, lambda p: ["catdoc", "-d", "utf-8", "-w", p])
        if out:
            return DocumentText(out.decode("utf-8", errors="replace"))
    if any(shutil.which(x) for x in ("libreoffice", "soffice", "antiword", "catdoc")):
        return DocumentText(None, [], f"无法读取 {suffix} 文件：转换失败，文件可能已损坏。请用 Word/WPS 打开后另存为 .docx 再上传")
    return DocumentText(
        None, [],
        f"无法读取 {suffix} 文件：本机没有安装转换工具。请安装 LibreOffice"
        "（apt-get install libreoffice-writer）或 antiword（apt-get install antiword），"
        "或用 Word/WPS 将文件另存为 .docx 后再上传",
    )


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
        out = _with_temp_file(data, ".xls", lambda p: ["xls2csv", "-d", "utf-8", "-q", "3", p])
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


def _read_xls_text(data: bytes) -> DocumentText:
    rows, error = xls_rows(data)
    if rows is None:
        return DocumentText(None, [], error)
    lines = ["\t".join("" if v is None else str(v) for v in row).rstrip("\t") for row in rows]
    return DocumentText("\n".join(line for line in lines if line.strip()))


def _read_rtf(data: bytes) -> DocumentText:
    converted = libreoffice_convert(data, ".rtf", "docx")
    if converted:
        result = _read_docx(converted)
        if result.text:
            return result
    return DocumentText(
        None, [],
        "无法读取 RTF 文件：请安装 LibreOffice（apt-get install libreoffice-writer），"
        "或用 Word/WPS 另存为 .docx 后再上传",
    )


# --------------------------------------------------------------------------- text files

def _read_plain(data: bytes) -> DocumentText:
    text, encoding, warnings = decode_text(data)
    if text is None:
        return DocumentText(None, warnings, "无法读取：文件内容不是文字（可能是图片、压缩包或其他二进制文件）")
    if not text.strip():
        return DocumentText("", warnings + ["文件是空的"], None)
    return DocumentText(text, warnings)


# --------------------------------------------------------------------------- entry point

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
        "pdf": _read_pdf, "docx": _read_docx, "xlsx": _read_xlsx_text, "html": _read_html,
        "doc": lambda d: _read_doc(d, ext if ext in (".doc", ".wps", ".dot") else ".doc"),
        "xls": _read_xls_text, "rtf": _read_rtf, "text": _read_plain,
    }[kind]
    result = reader(data)
    result.warnings = warnings + result.warnings
    return result
