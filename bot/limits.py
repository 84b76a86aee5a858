"""Limits on one document's parse, checked before the parsers run (pure core).

A .docx/.xlsx is a zip whose central directory states every member's size: the uncompressed
total, each member's compression ratio and the member count are checked before anything is
decompressed (Python's zipfile never inflates a member past its stated size, so the statement
binds). A PDF's pages are counted before any text is extracted. The time and memory a parse may
take are the upload worker's to enforce (``bot.uploads``).
"""

from __future__ import annotations

import io
import zipfile

from bot.config import Uploads

MB = 1024 * 1024
RATIO_FROM_BYTES = MB  # members smaller than this may compress as well as they like
REFUSED = "文件被拒绝："  # how every refusal starts


class Refused(Exception):
    """A limit refuses the file; the message (Chinese) says which."""


def _size(n: int) -> str:
    return f"{n / (1024 * MB):.1f} GB" if n >= 1024 * MB else f"{n / MB:.1f} MB"


def check_zip(data: bytes, limits: Uploads) -> None:
    """Refuse a zip (docx, xlsx …) whose stated sizes are too big, before decompressing."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        return  # not a readable zip: the parser says the file is broken
    members = archive.infolist()
    if len(members) > limits.max_zip_members:
        raise Refused(f"压缩包内的条目过多（{len(members)} 个，上限 {limits.max_zip_members} 个）")
    total = 0
    for info in members:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size >= RATIO_FROM_BYTES and ratio > limits.max_compression_ratio:
            raise Refused(f"文件内的 {info.filename} 压缩比异常（{ratio:.0f} 倍，上限 "
                          f"{limits.max_compression_ratio} 倍），可能是压缩炸弹")
    if total > limits.max_uncompressed_mb * MB:
        raise Refused(f"解压后大小 {_size(total)} 超过上限 {limits.max_uncompressed_mb} MB，可能是压缩炸弹")


def check_pdf(data: bytes, limits: Uploads) -> None:
    """Refuse a PDF with more pages than the limit (counted before any text is extracted)."""
    from pypdf import PdfReader

    try:
        pages = len(PdfReader(io.BytesIO(data)).pages)
    except Exception:  # noqa: BLE001 - a broken PDF is the parser's to report
        return
    if pages > limits.max_pdf_pages:
        raise Refused(f"PDF 共 {pages} 页，超过上限 {limits.max_pdf_pages} 页")


def check_limits(data: bytes, limits: Uploads) -> None:
    if data[:4] == b"PK\x03\x04":
        check_zip(data, limits)
    elif data[:5] == b"%PDF-":
        check_pdf(data, limits)
