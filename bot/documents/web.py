"""Web pages saved as .html: the text, block elements on lines of their own, table cells
separated by tabs, scripts and styles left out."""

from __future__ import annotations

import html
import html.parser
import re

from .base import DocumentText
from .encodings import decode_text


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


def read_html(data: bytes) -> DocumentText:
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
