"""The parser: ``PIPELINE`` runs its named steps, in order, over one ``Letter``; each reads what
the earlier ones found and fills in its part of the result. ``parse_letter`` and
``parse_letter_bytes`` are the entry points (see the package docstring)."""

from __future__ import annotations

import re

from .addressee import step_proposer, step_salutation
from .chrome import is_chrome, step_footer, step_page_chrome
from .classification import step_classification
from .heading import step_doc_number, step_heading, step_issuer
from .labels import step_labels, step_units
from .lines import normalize_lines
from .missing import step_missing
from .people import step_people
from .reference import step_body, step_proposal_number, step_region, step_session
from .script import step_script, step_simplified_copy
from .signature import step_signature
from .state import Letter, empty_result
from .text import CJK, nfkc
from .title import step_title


# The parser, in order. Each step reads what the earlier ones found and fills in its part.
PIPELINE = (
    step_script,  # a Traditional letter is noted (matching folds it to Simplified)
    step_page_chrome,  # a web page's own metadata (发布机构, 发布日期, 文号), kept to fill gaps
    step_heading,  # candidates for the letter's title (关于…的答复)
    step_salutation,  # 王明委员： → addressee; the letter's title, header and first paragraph
    step_signature,  # the reply date and the signing unit at the bottom
    step_footer,  # where the site's furniture after the letter starts
    step_issuer,  # the unit in the header
    step_doc_number,  # 晋发改函〔2024〕85号
    step_labels,  # every labelled value (承办人：…), and the date / doc number from labels
    step_classification,  # A/B/C
    step_session,  # term and meeting
    step_body,  # 政协 or 人大
    step_region,  # the place in the session, else resolved from the unit
    step_proposal_number,  # the proposal's number
    step_proposer,  # from the salutation or a 提案人 label
    step_title,  # the proposal's title (关于…的建议)
    step_people,  # handlers, phones, leader
    step_units,  # lead unit, co-units, 分办 units
    step_missing,  # warnings for what could not be read
    step_simplified_copy,  # the Simplified copy of a Traditional letter's matched fields
)


def _parse(text: str) -> dict:
    result = empty_result()
    t_lines, k_lines, norm_warnings = normalize_lines(text)
    result["warnings"].extend(norm_warnings)
    if not t_lines or not any(re.search(rf"[{CJK}]", k) for k in k_lines[:200]):
        result["warnings"].append("没有读到中文内容，无法识别答复函")
        return result
    doc = Letter(t_lines, k_lines, [is_chrome(k) for k in k_lines], result)
    for step in PIPELINE:
        step(doc)
    return result


def parse_letter(text) -> dict:
    """Parse one reply letter. Never raises; see the package docstring for the keys."""
    try:
        if isinstance(text, (bytes, bytearray)):
            from ..documents import decode_text

            decoded, _enc, _warn = decode_text(bytes(text))
            text = decoded or ""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        return _parse(text)
    except MemoryError:  # the upload worker's memory limit: refused as such
        raise
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the upload
        result = empty_result()
        result["warnings"].append(f"解析出错（{type(exc).__name__}），请人工核对这封信")
        return result


def parse_letter_bytes(data: bytes, filename: str) -> dict:
    """Read a file (any format ``documents.read_text`` supports) and parse it. Adds ``error``
    when the file cannot be read; the reader's warnings come first."""
    from ..documents import read_text

    doc = read_text(data, filename)
    if doc.error or doc.text is None:
        result = empty_result()
        result["error"] = doc.error or "无法读取文件"
        result["warnings"] = list(doc.warnings)
        return result
    result = parse_letter(doc.text)
    result["warnings"] = list(doc.warnings) + result["warnings"]
    result["text_hash"] = text_hash(doc.text)
    result["opinion_marker"] = opinion_marker(doc.text)
    return result


_OPINION_HEADING = re.compile(r"(协办|会办)(单位)?(意见|答复|复函)")


def opinion_marker(text: str) -> str | None:
    """A co-unit's letter names itself in its heading (关于…提案的协办意见, 会办意见, 协办答复):
    the phrase when one of the first lines carries it, else None (the body may mention a
    co-unit's opinion without being one)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()][:8]
    for line in lines:
        match = _OPINION_HEADING.search("".join(nfkc(line).split()))
        if match:
            return match.group(0)
    return None


def text_hash(text: str) -> str:
    """A letter's identity: its text with widths folded and every space and line break
    removed, so the same letter as .docx, .pdf or under another name hashes the same."""
    import hashlib

    folded = nfkc(text or "")
    # str.split() splits on exactly what the regex \s matches, without the regex machinery
    return hashlib.sha256("".join(folded.split()).encode("utf-8")).hexdigest()
