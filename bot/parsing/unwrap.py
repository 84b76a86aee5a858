"""Lines wrapped at the page width (text taken from a PDF, or copied from one) joined back.

A line is wrapped when the next line's first word would not have fitted at its end. The width is
the longest line length many lines share, counted in characters (fixed-pitch wrapping) or in
display columns (a CJK character is two) when the lines are justified to the margin. A line that
starts something of its own (a heading, a label, the class, a date) is never joined.
"""

from __future__ import annotations

import re
import unicodedata

from .addressee import NOT_NAME, SALUTATION
from .classification import CLASS_ALONE
from .dates import find_date
from .labels import LABEL_FIELD, LABEL_RE, last_label
from .places import unit_like, unit_rest
from .script import keyword
from .text import CJK, HEADING, VALUE_SEP


PAGE_NUMBER = re.compile(r"^(?:[-—–_ ]*\d{1,3}[-—–_ ]*|第\d{1,3}页(?:[,，/ ]*共\d{1,3}页)?|\d{1,3}/\d{1,3})$")

# Lines wrapped at the page width (text taken from a PDF, or copied from one): a line is
# wrapped when the next line's first word would not have fitted at its end. The width is the
# longest line length many lines share, counted in characters (fixed-pitch wrapping) or in
# display columns (a CJK character is two) when the lines are justified to the margin.
_FIRST_WORD = re.compile(r"[0-9A-Za-z.\-]+|.[，。、；：？！）》”’」』,.;:?!)]*")


def _columns(line: str) -> int:
    return len(line) + sum(1 for ch in line if ch > "\u1100" and unicodedata.east_asian_width(ch) in "WF")


def _wrap_width(sizes: list[int], tolerance: int, smallest: int) -> int | None:
    if len(sizes) < 6:
        return None
    for width in sorted(set(sizes), reverse=True)[:12]:
        if width < smallest:
            break
        near = sum(1 for x in sizes if width - tolerance <= x <= width)
        longer = sum(1 for x in sizes if x > width)
        base = sum(1 for x in sizes if x * 2 >= width)
        if near >= 4 and near * 10 >= base * 3 and longer <= max(2, near // 10):
            return width
        if longer > max(2, near // 10) and longer * 10 >= base * 3:
            return None
    return None


def _blocks_wrap(prev: str, nxt: str) -> bool:
    """A line that starts something of its own (a heading, a label, the class, a date, a unit
    name after a complete one) is not the rest of a full line that happens to end at the margin."""
    prev_k, next_k = keyword(prev.strip()), keyword(nxt.strip())
    if not prev_k or not next_k:
        return True
    if next_k[0] in ":：":
        return False
    if HEADING.match(next_k) or CLASS_ALONE.match(next_k) or PAGE_NUMBER.match(next_k):
        return True
    label = LABEL_RE.match(next_k)
    if label:
        # 联系 / 电话：…: a label cut in two goes on; otherwise a label starts a line
        return not any(
            full.endswith(label.group("label")) and len(full) > len(label.group("label"))
            and prev_k.endswith(full[: len(full) - len(label.group("label"))])
            for full in LABEL_FIELD
        )
    if find_date(next_k, standalone=True):
        return True
    if next_k[0] in VALUE_SEP or prev_k[-1] in VALUE_SEP:
        return False
    if next_k.startswith(("尊敬的", "敬爱的")):
        return True
    last = last_label(prev_k)
    if last and last[1] == len(prev_k) and LABEL_FIELD[last[0]] != "stop":
        return False  # 协办单位： / 小店区教育局、…: the value went to the next line
    if re.search(r"^.{0,40}关于.*(?:答复|复函|回复|的函)$", prev_k):
        return True  # the reply's title, ending at the margin
    tail = re.search(rf"[{CJK}]+$", prev_k)
    tail_k = tail.group(0) if tail else ""
    salutation = SALUTATION.match(next_k)
    if salutation and not salutation.group("rest") and not NOT_NAME.search(salutation.group("name")):
        # the reply's title or a unit, then the salutation (尊敬的王明代表：)
        if re.search(r"(?:答复|复函|回复|的函|。)$", prev_k) or not tail_k or unit_like(tail_k):
            return True
    if unit_like(next_k):
        return not tail_k or (unit_like(tail_k) and not unit_rest(tail_k, next_k))
    return False


def unwrap_lines(lines: list[str]) -> list[str]:
    content = [i for i, line in enumerate(lines) if line.strip() and not PAGE_NUMBER.match(line.strip())]
    if len(content) < 6 or sum(1 for i in content if len(lines[i]) > 120) > max(2, len(content) // 10):
        return lines  # lines of whole paragraphs: not wrapped at a page width
    width = None
    for measure, tolerance, smallest in ((len, 0, 16), (_columns, 2, 30)):
        sizes = [measure(lines[i]) for i in content]
        width = _wrap_width(sizes, tolerance, smallest)
        if width:
            break
    if not width:
        return lines
    out: list[str] = []
    joined = None
    for a, b in zip(content, content[1:] + [None]):
        line = lines[a]
        joined = line if joined is None else joined + line
        if b is not None:
            nxt = lines[b]
            first = _FIRST_WORD.match(nxt)
            if (first and measure(line) + measure(first.group(0)) > width - tolerance
                    and not _blocks_wrap(line, nxt)):
                continue
        out.append(joined)
        joined = None
    return out
