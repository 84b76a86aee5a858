"""Old formats (.doc, .wps, .rtf) through an external converter when one is installed: LibreOffice,
antiword or catdoc; otherwise an error naming what to install."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile

from .base import CONVERTER_TIMEOUT, DocumentText
from .word import read_docx


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


def with_temp_file(data: bytes, suffix: str, cmd_for) -> bytes | None:
    with tempfile.TemporaryDirectory(prefix="pbconv-") as tmp:
        src = os.path.join(tmp, "input" + suffix)
        with open(src, "wb") as fh:
            fh.write(data)
        proc = _run(cmd_for(src))
        if proc is None or proc.returncode != 0 or not proc.stdout.strip():
            return None
        return proc.stdout


def read_doc(data: bytes, suffix: str = ".doc") -> DocumentText:
    converted = libreoffice_convert(data, suffix, "docx")
    if converted:
        result = read_docx(converted)
        if result.text:
            return result
    if shutil.which("antiword"):
        out = with_temp_file(data, suffix, lambda p: ["antiword", "-m", "UTF-8.txt", "-w", "0", p])
        if out:
            return DocumentText(out.decode("utf-8", errors="replace"))
    if shutil.which("catdoc"):
        out = with_temp_file(data, suffix, lambda p: ["catdoc", "-d", "utf-8", "-w", p])
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


def read_rtf(data: bytes) -> DocumentText:
    converted = libreoffice_convert(data, ".rtf", "docx")
    if converted:
        result = read_docx(converted)
        if result.text:
            return result
    return DocumentText(
        None, [],
        "无法读取 RTF 文件：请安装 LibreOffice（apt-get install libreoffice-writer），"
        "或用 Word/WPS 另存为 .docx 后再上传",
    )
