""".docx: paragraphs, text boxes and table cells in document order, read from the package's
main document part."""

from __future__ import annotations

import io
import zipfile

from .base import DocumentText


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


def read_docx(data: bytes) -> DocumentText:
    try:
        body = _docx_body(data)
    except MemoryError:
        raise
    except Exception:  # noqa: BLE001 - not a zip, no document part, broken XML
        body = None
    if body is None:
        return DocumentText(None, [], "无法读取 .docx 文件：文件已损坏或不是 Word 文档，请用 Word/WPS 打开后重新另存为 .docx")
    text = "\n".join(_body_lines(body))
    if not text.strip():
        return DocumentText(None, [], "这个 Word 文件里没有文字（可能只有图片或扫描件），需要先做文字识别(OCR)")
    return DocumentText(text)
