"""What every reader returns (``DocumentText``: text, warnings, or an error in Chinese) and the
limits on one file."""

from __future__ import annotations

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
