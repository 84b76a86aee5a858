"""A text file's bytes to text: BOMs, UTF-8 (also with a few broken bytes), GB18030/GBK, Big5,
UTF-16, with a detector's guess only where the candidates leave a doubt."""

from __future__ import annotations

import re


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
    best = _best_candidate(data)
    if best:
        return best[1], best[0], warnings
    # Nothing decodes cleanly: lenient GB18030 if it still looks like text.
    text = data.decode("gb18030", errors="replace")
    if _control_ratio(text) > 0.05 or _printable_score(text) < 0.7:
        return None, None, warnings
    warnings.append("无法确定文件编码，按 GB18030 读取，部分字符可能是乱码")
    return text, "gb18030", warnings


def _best_candidate(data: bytes) -> tuple[str, str] | None:
    """(encoding, text) of the Chinese (or UTF-16) decoding that reads best, or None when none
    decodes cleanly into something that looks like text."""
    utf16 = b"\x00" in data[:4096] and len(data) % 2 == 0
    if not utf16 and not _decodes(data, "big5"):
        # Clean GB18030 that is not Big5 as well: no other candidate below could beat a score
        # of 0.95 by the 0.05 it needs, so the detector's guess would not change the answer.
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError:
            text = None
        if text is not None and _printable_score(text) >= 0.95 and _control_ratio(text) <= 0.05:
            return "gb18030", text
    candidates: list[tuple[str, str]] = []
    if utf16:
        candidates += _decoded(data, ("utf-16-le", "utf-16-be"))
    guess = _guess(data)
    order = ("big5", "gb18030") if guess in ("big5", "cp950", "big5hkscs") else ("gb18030", "big5")
    candidates += _decoded(data, order)
    if guess and guess not in {c[0] for c in candidates} and guess not in ("utf_8", "ascii"):
        candidates += _decoded(data, (guess,))
    scored = [(enc, text, _printable_score(text)) for enc, text in candidates]
    scored = [item for item in scored if item[2] >= 0.85 and _control_ratio(item[1]) <= 0.05]
    if not scored:
        return None
    # Prefer the order above (Chinese encodings first) unless another scores clearly better.
    best_enc, best_text, best_score = scored[0]
    for enc, text, score in scored[1:]:
        if score > best_score + 0.05:
            best_enc, best_text, best_score = enc, text, score
    return best_enc, best_text


def _decoded(data: bytes, encodings) -> list[tuple[str, str]]:
    """(encoding, text) for each of ``encodings`` that decodes ``data`` cleanly."""
    out = []
    for enc in encodings:
        try:
            out.append((enc, data.decode(enc)))
        except (UnicodeDecodeError, LookupError):
            continue
    return out


def _guess(data: bytes) -> str | None:
    """charset_normalizer's guess, a hint only."""
    try:
        import charset_normalizer

        best = charset_normalizer.from_bytes(data[:300_000]).best()
        return best.encoding if best is not None else None
    except Exception:  # noqa: BLE001 - detection is a hint only
        return None
