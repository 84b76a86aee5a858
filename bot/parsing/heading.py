"""The letter's heading: its own title (关于…的答复, possibly on two lines), the issuing unit in the
header, and the letter's document number (晋发改函〔2024〕85号)."""

from __future__ import annotations

import re

from .places import unit_like
from .state import Letter
from .text import CJK, MAX_LINE


DOC_NUMBER = re.compile(
    rf"(?P<dn>[{CJK}A-Za-z]{{1,14}}\s*[〔\[【(（]\s*(?:19|20)\d{{2}}\s*[〕\]】)）]\s*(?:第\s*)?\d{{1,5}}\s*号)"
)

REPLY_WORDS = re.compile(r"答复|复函|回复|的函|办理情况|办理意见")

_TITLE_START = re.compile(r"^(?:[^，。,；;：:]{2,40}?(?:局|委|办|院|会|政府|中心|厅|站|所))?对")  # (XX局)对…第N号建议的答复


def step_heading(doc: Letter) -> None:
    """Candidates for the letter's title (关于…的答复, possibly on two lines; a page's 标题：
    line too). A web page often repeats it above the letter: the salutation step keeps the last
    candidate above the salutation, the letter's own."""
    k_lines, n = doc.k_lines, doc.n
    for i in range(min(n, 40)):
        k = k_lines[i]
        page_title = doc.furniture[i] and re.match(r"^标题[:：]\s*", k)
        if page_title:
            k = k[page_title.end():].rstrip(" |\t")
        elif doc.furniture[i]:
            continue
        if len(k) > 150 or "。" in k or "如下" in k or k.endswith(("：", ":")):
            continue
        about = "关于" in k or bool(_TITLE_START.match(k))
        if about and REPLY_WORDS.search(k):
            doc.title_candidates.append((i, i, page_title.end() if page_title else 0))
        elif (about and i + 1 < n and len(k) <= 80
              and not doc.furniture[i + 1] and _title_rest(k, k_lines[i + 1])):
            doc.title_candidates.append((i, i + 1, 0))
    if doc.title_candidates:
        set_title(doc, doc.title_candidates[0])


def set_title(doc: Letter, candidate: tuple[int, int, int]) -> None:
    start, end, cut = candidate
    doc.title_idx, doc.title_end = start, end
    doc.title_t = "".join(doc.t_lines[start: end + 1])[cut:].rstrip(" |\t")
    doc.title_k = "".join(doc.k_lines[start: end + 1])[cut:].rstrip(" |\t")


def step_issuer(doc: Letter) -> None:
    """The header unit (…文件), else a unit line above the title, else the title's prefix."""
    k_lines, t_lines, result = doc.k_lines, doc.t_lines, doc.result
    for i in doc.header_idx:
        k = k_lines[i].strip()
        match = re.match(r"^(.{2,40}?)\s*文件$", k)
        if match and unit_like(match.group(1)):
            result["issuer"] = t_lines[i][: match.end(1)].strip()
            break
    if result["issuer"] is None and doc.title_k:
        match = re.match(r"^(.{3,40}?)(?:关于|对)", doc.title_k)
        if match and unit_like(match.group(1)):
            result["issuer"] = doc.title_t[: match.end(1)]
    if result["issuer"] is None:
        # the nearest unit line above the title (a site's own name may head the page further up)
        above = [i for i in doc.header_idx if doc.title_idx is None or i < doc.title_idx]
        for i in reversed(above):
            if unit_like(k_lines[i]):
                result["issuer"] = t_lines[i].strip()
                break
    if result["issuer"] is None and doc.title_k:
        # a list page names the unit after the title: …建议的答复（水利局）
        match = re.search(r"[(（]([^()（）]{2,30})[)）]$", doc.title_k)
        if match and unit_like(match.group(1)):
            result["issuer"] = doc.title_t[match.start(1): match.end(1)]
    if result["issuer"] is None and result["signed_by"] is None and doc.meta.get("unit"):
        result["issuer"] = doc.meta["unit"]
        doc.warnings.append(f"信件没有落款，答复单位取自网页的发布机构（{result['issuer']}）")
    if result["issuer"] and result["signed_by"]:
        a = re.sub(r"\s", "", result["issuer"])
        b = re.sub(r"\s", "", result["signed_by"])
        if a != b:
            doc.warnings.append(f"抬头单位（{result['issuer']}）与落款单位（{result['signed_by']}）不一致")


def step_doc_number(doc: Letter) -> None:
    """The letter's own document number, in the header."""
    for i in doc.header_idx + ([doc.title_idx] if doc.title_idx is not None else []):
        k = doc.k_lines[i]
        cut = k.rfind("文件") + 2 if "文件" in k else 0
        match = DOC_NUMBER.search(k[:MAX_LINE], cut)
        if match:
            doc.result["doc_number"] = re.sub(r"\s", "", doc.t_lines[i][match.start("dn"): match.end("dn")])
            return


def _title_rest(k: str, next_k: str) -> bool:
    """next_k ends a title begun on the line k (…第125号提案 / 的答复, …建议的答 / 复), and is not
    the rest of a first paragraph (…收悉 / ，经我局认真研究，现答复如下：)."""
    return (
        len(next_k) <= 40 and bool(REPLY_WORDS.search(k[-3:] + next_k)) and "。" not in next_k
        and "如下" not in next_k and next_k[0] not in "，,、；;：:" and not next_k.endswith(("：", ":"))
    )
