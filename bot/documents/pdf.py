"""PDF with a text layer (pypdf), page by page; pages without one are named in a warning."""

from __future__ import annotations

import io
import re

from .base import MAX_PDF_PAGES, DocumentText


def read_pdf(data: bytes) -> DocumentText:
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
        except MemoryError:
            raise
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
