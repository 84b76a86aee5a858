"""Turn an uploaded file into plain text.

``read_text(data, filename)`` reads .txt (UTF-8, UTF-8 with BOM, GB18030/GBK, Big5, UTF-16/32),
.docx (paragraphs, text boxes and table cells in document order), .pdf with a text layer,
.html (web copies), .xlsx, and .doc / .xls / .wps / .rtf through an external converter when
one is installed (LibreOffice, antiword, catdoc, xls2csv, or the xlrd package). The content is
sniffed first, so a PDF renamed to .txt is still read as a PDF.

It never raises: a file that cannot be read at all comes back with ``error`` set (in Chinese,
saying what to do), and smaller problems are listed in ``warnings``.

Modules: ``reading`` (the entry point: sniffing, one reader per kind), ``encodings`` (text files),
``word`` (.docx), ``pdf``, ``web`` (.html), ``sheets`` (.xlsx, .xls), ``converters`` (.doc, .wps,
.rtf), ``base`` (``DocumentText``, limits).

Pure core package: no telegram, no tinydb.
"""

from .base import MAX_FILE_BYTES, MAX_PDF_PAGES, DocumentText
from .converters import libreoffice_convert
from .encodings import decode_text
from .reading import read_text, sniff_kind
from .sheets import xls_rows
from .web import html_to_text

__all__ = [
    "MAX_FILE_BYTES", "MAX_PDF_PAGES", "DocumentText", "decode_text", "html_to_text", "libreoffice_convert",
    "read_text", "sniff_kind", "xls_rows",
]
