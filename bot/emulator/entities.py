"""Telegram's HTML parse mode: text and entities from a message as the bot sends it, with
Telegram's errors (``EntityParseError``) and lengths in UTF-16 code units (``utf16_len``)."""

from __future__ import annotations

import re
from typing import Any, Callable


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units, the unit of Telegram's limits and entity offsets."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------- entity parsing
class EntityParseError(ValueError):
    """Markup that Telegram would answer with "can't parse entities"."""


_HTML_TAGS = {"a": "text_link", "b": "bold", "strong": "bold", "i": "italic", "em": "italic",
              "u": "underline", "ins": "underline", "s": "strikethrough",
              "strike": "strikethrough", "del": "strikethrough", "span": "spoiler",
              "tg-spoiler": "spoiler", "tg-emoji": "custom_emoji", "code": "code", "pre": "pre",
              "blockquote": "blockquote"}
_NAMED_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHARREF = re.compile(r"&(?:#([0-9]{1,8})|#[xX]([0-9a-fA-F]{1,7})|([A-Za-z][A-Za-z0-9]*));")


def _decode_ref(src: str, i: int, where: Callable[[int], int]) -> tuple[str, int]:
    m = _CHARREF.match(src, i)
    if m is None:
        raise EntityParseError(f'Bare "&" at byte offset {where(i)}: escape it as "&amp;"')
    if m.group(3):
        if m.group(3) not in _NAMED_REFS:
            raise EntityParseError(f'Unsupported HTML entity "{m.group(0)}" at byte offset '
                                   f"{where(i)}")
        return _NAMED_REFS[m.group(3)], m.end()
    code = int(m.group(1), 10) if m.group(1) else int(m.group(2), 16)
    if code == 0 or code >= 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        raise EntityParseError(f'Invalid character reference "{m.group(0)}" at byte offset '
                               f"{where(i)}")
    return chr(code), m.end()


def _fail(message: str) -> None:
    raise EntityParseError(message)


def parse_html(src: str) -> tuple[str, list[dict]]:
    """Parse Telegram HTML like tdlib does: return (plain text, MessageEntity dicts)."""
    out: list[str] = []
    entities: list[dict] = []
    stack: list[tuple[str, str, int, int]] = []  # tag, argument, utf16 offset, len(out)
    pos16, i, n = 0, 0, len(src)

    def where(k: int) -> int:
        return len(src[:k].encode())

    while i < n:
        c = src[i]
        if c == "&":
            ch, i = _decode_ref(src, i, where)
            out.append(ch)
            pos16 += utf16_len(ch)
            continue
        if c != "<":
            j = i
            while j < n and src[j] not in "<&":
                j += 1
            out.append(src[i:j])
            pos16 += utf16_len(src[i:j])
            i = j
            continue
        begin = i
        i += 1
        if i < n and src[i] == "/":  # end tag
            i += 1
            j = i
            while i < n and not src[i].isspace() and src[i] != ">":
                i += 1
            name = src[j:i].lower()
            while i < n and src[i].isspace():
                i += 1
            if i >= n or src[i] != ">":
                _fail(f"Unclosed end tag at byte offset {where(begin)}")
            i += 1
            if not stack:
                _fail(f"Unexpected end tag at byte offset {where(begin)}")
            tag, arg, start16, start_out = stack.pop()
            if name and name != tag:
                _fail(f'Unmatched end tag at byte offset {where(begin)}, expected "</{tag}>", '
                      f'found "</{name}>"')
            if pos16 > start16:
                _close_entity(entities, tag, arg, start16, pos16 - start16,
                              "".join(out[start_out:]))
            continue
        j = i  # start tag
        while i < n and not src[i].isspace() and src[i] != ">":
            i += 1
        if i >= n:
            _fail(f"Unclosed start tag at byte offset {where(begin)}")
        name = src[j:i].lower()
        if name not in _HTML_TAGS:
            _fail(f'Unsupported start tag "{name}" at byte offset {where(begin)}')
        attrs, i = _attributes(src, i, name, begin, where)
        arg = _tag_argument(name, attrs, begin, where)
        stack.append((name, arg, pos16, len(out)))
    if stack:
        raise EntityParseError(
            f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for e in entities:
        e.pop("_language", None)
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _attributes(src: str, i: int, name: str, begin: int,
                where: Callable[[int], int]) -> tuple[dict[str, str], int]:
    """The attributes of the start tag ``name`` from position ``i`` (after its name) through its
    ``>``: (attributes, position after the tag)."""
    n = len(src)
    attrs: dict[str, str] = {}
    while True:
        while i < n and src[i].isspace():
            i += 1
        if i >= n:
            _fail(f'Unclosed start tag "{name}" at byte offset {where(begin)}')
        if src[i] == ">":
            return attrs, i + 1
        j = i
        while i < n and not src[i].isspace() and src[i] not in "=>":
            i += 1
        attr = src[j:i].lower()
        if not attr:
            _fail(f'Empty attribute name in the tag "{name}" at byte offset {where(begin)}')
        while i < n and src[i].isspace():
            i += 1
        if i >= n or src[i] != "=":
            if name == "blockquote" and attr == "expandable":
                attrs[attr] = ""
                continue
            _fail(f'Expected equal sign in declaration of an attribute of the tag "{name}" '
                  f"at byte offset {where(begin)}")
        i += 1
        while i < n and src[i].isspace():
            i += 1
        if i < n and src[i] in "'\"":
            end = src.find(src[i], i + 1)
            if end < 0:
                _fail(f'Unclosed start tag "{name}" at byte offset {where(begin)}')
            raw, value, k = src[i + 1:end], [], 0
            while k < len(raw):  # entities inside attribute values are decoded leniently
                m = _CHARREF.match(raw, k) if raw[k] == "&" else None
                if m and (m.group(1) or m.group(2) or m.group(3) in _NAMED_REFS):
                    value.append(_decode_ref(raw, k, where)[0])
                    k = m.end()
                else:
                    value.append(raw[k])
                    k += 1
            attrs[attr] = "".join(value)
            i = end + 1
        else:
            j = i
            while i < n and (src[i].isalnum() or src[i] in ".-"):
                i += 1
            if i >= n or not (src[i].isspace() or src[i] == ">"):
                _fail(f"Unexpected end of name token at byte offset {where(j)}")
            attrs[attr] = src[j:i].lower()


def _tag_argument(name: str, attrs: dict[str, str], begin: int, where: Callable[[int], int]) -> str:
    """What an entity of tag ``name`` carries (a link's address, a code block's language …)."""
    arg = ""
    if name == "a":
        arg = attrs.get("href", "")
    elif name == "span" and attrs.get("class") != "tg-spoiler":
        _fail(f'Tag "span" must have class "tg-spoiler" at byte offset {where(begin)}')
    elif name == "code" and attrs.get("class", "").startswith("language-"):
        arg = attrs["class"][len("language-"):]
    elif name == "tg-emoji":
        arg = attrs.get("emoji-id", "")
        if not arg:
            _fail(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset '
                  f"{where(begin)}")
    elif name == "blockquote" and "expandable" in attrs:
        arg = "expandable"
    return arg


def _close_entity(entities: list[dict], tag: str, arg: str, offset: int, length: int,
                  inner: str) -> None:
    entity: dict[str, Any] = {"type": _HTML_TAGS[tag], "offset": offset, "length": length}
    last = entities[-1] if entities else None
    same_span = last is not None and last["offset"] == offset and last["length"] == length
    if tag == "a":
        entity["url"] = arg or inner
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = arg
    elif tag == "blockquote" and arg:
        entity["type"] = "expandable_blockquote"
    elif tag == "code" and arg:
        entity["_language"] = arg
    elif tag == "pre" and same_span and last["type"] == "code" and last.get("_language"):
        entities[-1] = {**entity, "language": last["_language"]}
        return
    entities.append(entity)
