"""The proposal's title (关于…的建议), as opposed to the letter's own title (关于…的答复)."""

from __future__ import annotations

import re

from .heading import REPLY_WORDS
from .reference import SESSION
from .script import keyword
from .state import Letter
from .text import CJK, EMPTY_VALUES, MAX_LINE


_TITLE_QUOTES = re.compile(r"《([^《》\n]{2,150})》|“([^“”\n]{2,150})”|「([^「」\n]{2,150})」|『([^『』\n]{2,150})』"
                           r"|〝([^〝〞\n]{2,150})〞|\"([^\"\n]{2,150})\"")
_TITLE_PLAIN = re.compile(r"(关于[^，。；：:,;“”《》\n]{2,80}?的(?:建议|提案|议案|意见|批评))(?=收悉|已收悉|，|。|,|已|现|经|办理|交由|$)")
# 您提出的关于“就近入学”政策执行中面临的问题及建议已收悉: quotes inside, no 的, but then 收悉
_TITLE_LOOSE = re.compile(r"(关于[^，。；：:,;《》\n]{2,80}?(?:建议|提案|议案|意见))(?=\s*(?:已)?收悉)")
_RECEIVED = re.compile(r"\s*(?:[(（][^()（）]{0,24}[)）])?\s*(?:的)?(?:提案|建议|议案)?\s*(?:已)?收悉")


def step_title(doc: Letter) -> None:
    """The proposal's title (关于…的建议), not the letter's own: first from the first paragraph
    (您提出的《…》收悉), then from the letter's title (关于对《…》的答复), then from a 案由 label or a
    line of its own under the title. A second source that names another title is a conflict."""
    from_para = _titles_in_paragraph(doc.para_t, doc.para_k) if doc.para_k else []
    from_title = _titles_in_heading(doc.title_t, doc.title_k) if doc.title_k else []
    from_labels = _titles_labelled(doc)
    chosen = (from_para or from_title or from_labels or [None])[0]
    if chosen is None:
        doc.result["title"] = None
        return
    for other in from_title[:1] + from_labels[:1]:
        a, b = _title_key(chosen), _title_key(other)
        if a and b and a not in b and b not in a:
            doc.conflicts["title"] = [chosen, other]
            doc.warnings.append(f"信中的提案标题不一致（“{chosen}”与“{other}”），请核对")
            break
    doc.result["title"] = chosen


def _quoted(t: str, k: str) -> list[tuple[int, str]]:
    """(rank, title) of quoted titles: a quote followed by 收悉 is the proposal itself (0); a
    quote naming a proposal (关于…/…建议) comes next (2); a cited policy (《…实施方案》) never."""
    out = []
    for match in _TITLE_QUOTES.finditer(k[:MAX_LINE]):
        group = next(g for g in range(1, 7) if match.group(g) is not None)
        value = t[match.start(group): match.end(group)].strip()
        inner = k[match.start(group): match.end(group)]
        # “关于…”的建议收悉: the quote closes before the item word
        item = re.match(r"\s*(的(?:建议|提案|议案))", k[match.end():])
        if item and not re.search(r"(?:建议|提案|议案)$", inner) and _RECEIVED.match(k, match.end() + item.end()):
            out.append((0, value + t[match.end() + item.start(1): match.end() + item.end(1)]))
        elif _RECEIVED.match(k, match.end()):
            out.append((0, value))
        elif re.search(r"^关于|建议$|提案$|议案$|意见$|问题$|的建议|的提案", inner):
            out.append((2, value))
    # 您提出关于…的建议》收悉: the opening 《 is missing
    if k.count("》") > k.count("《"):
        close = k.find("》")
        start = k.rfind("关于", 0, close)
        if start >= 0 and "《" not in k[start:close] and 4 <= close - start <= 150:
            out.append((1 if _RECEIVED.match(k, close + 1) else 3, t[start:close].strip()))
    return out


def _titles_in_paragraph(para_t: str, para_k: str) -> list[str]:
    """Titles the first paragraph names, best first: quoted, or plain (关于…的建议收悉)."""
    ranked = _quoted(para_t, para_k)
    match = _TITLE_PLAIN.search(para_k[:MAX_LINE]) or _TITLE_LOOSE.search(para_k[:MAX_LINE])
    if match:
        rank = 1 if _RECEIVED.match(para_k, match.end()) else 3
        ranked.append((rank, para_t[match.start(1): match.end(1)]))
    return [value for _rank, value in sorted(ranked, key=lambda item: item[0])]


def _titles_in_heading(title_t: str, title_k: str) -> list[str]:
    """The proposal's title inside the letter's: quoted, or 关于(对)关于…的建议的答复."""
    quoted = [value for _rank, value in _quoted(title_t, title_k)]
    if quoted:
        return quoted
    match = re.match(r"^.{0,40}?关于(?:对)?(关于.{2,80}?的(?:建议|提案|议案))的?(?:答复|复函|回复)", title_k)
    if not match:
        match = re.match(r"^.{0,40}?(关于.{2,80}?的(?:建议|提案|议案))的?(?:答复|复函|回复)", title_k)
    if match and not SESSION.search(match.group(1)) and not re.search(r"第.{0,12}号", match.group(1)):
        return [title_t[match.start(1): match.end(1)]]
    return []


def _titles_labelled(doc: Letter) -> list[str]:
    """Titles from a 案由/提案题目 label, then a line of its own under the reply's title."""
    titles = [v for _i, _l, v, _k in doc.labelled.get("title", []) if v not in EMPTY_VALUES]
    titles = [re.sub(r"^[《“「『\"](.*)[》”」』\"]$", r"\1", v) for v in titles]
    for i in doc.header_idx:
        if i in doc.in_title:
            continue
        line_t, line_k = doc.t_lines[i], doc.k_lines[i]
        if re.fullmatch(r"[《“]?关于.{2,80}的(?:建议|提案|议案)[》”]?", line_k) and not REPLY_WORDS.search(line_k):
            titles.append(line_t.strip("《》“”"))
    return titles


def _title_key(s: str) -> str:
    return re.sub(rf"[^{CJK}A-Za-z0-9]|^关于", "", keyword(s))
