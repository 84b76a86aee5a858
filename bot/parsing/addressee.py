"""The salutation (王明委员：) and what it gives: the addressee, the header above it, the first
paragraph after it, and the proposer (with a 提案人/领衔代表 label)."""

from __future__ import annotations

import re

from ..numbers import cn_to_int, number_key
from .heading import DOC_NUMBER, set_title
from .labels import LABEL_RE
from .places import is_government_unit
from .script import keyword
from .state import Letter
from .text import CJK, CJK_ONE, EMPTY_VALUES, HEADING


SALUTATION = re.compile(r"^(?:尊敬的|敬爱的|亲爱的)?(?P<name>[^：:，,。；;！!？?\t]{2,60}?)\s*[：:](?P<rest>.*)$")
NOT_NAME = re.compile(
    r"如下|答复|收悉|关于|附件|抄送|主题词|联系|电话|手机|承办|负责|签发|签字|领导|类别|编号|文号|索引|发布|"
    r"日期|来源|地址|邮编|现将|情况|意见|说明|备注|标题|案由|主办|协办|会办|分办|提案人|领衔|时间|内容|"
    r"办理|结果|此致|敬礼|网站|位置|首页|附注|传真|邮箱|经办|我们|我局|我委|现就|根据|按照"
)
_SALUTATION_BARE = re.compile(
    rf"^(?:尊敬的|敬爱的)?(?P<name>[{CJK}、，,·]{{1,40}}(?:委员|代表)(?:们)?)(?P<rest>)$"
)

_GENERIC_NAME = re.compile(r"^(?:各位|全体)?(?:代表|委员|同志|领导)(?:们)?$")


def _salutation_at(doc: Letter, i: int) -> tuple[str, str, str] | None:
    """(name as printed, rest as printed, rest keyword) when line i is a salutation: 王明委员：…,
    or a line that is only names and 委员/代表 (贺文国、佟金菊委员) without the colon."""
    k = doc.k_lines[i]
    match = SALUTATION.match(k[:300]) or _SALUTATION_BARE.match(k[:60])
    if not match:
        return None
    name_k = match.group("name").strip()
    if (NOT_NAME.search(name_k) or LABEL_RE.match(k) or DOC_NUMBER.search(name_k)
            or not CJK_ONE.search(name_k) or re.search(r"\d{3}|[:：]", name_k)):
        return None
    ns, ne = match.span("name")
    rs = match.start("rest") if match.group("rest") is not None else len(k)
    return doc.t_lines[i][ns:ne].strip(), doc.t_lines[i][rs:], k[rs:]


def step_salutation(doc: Letter) -> None:
    """The salutation (王明委员：) under the title, the addressee it names, the letter's own title
    (the last candidate above it), the header above it and the first paragraph after it."""
    k_lines, t_lines, n = doc.k_lines, doc.t_lines, doc.n
    sal_rest_t = sal_rest_k = ""
    start = doc.title_end + 1 if doc.title_end is not None else 0
    budget = 8 if doc.title_end is not None else 20
    i = start
    while i < n and budget > 0:
        if not doc.furniture[i]:
            budget -= 1
            found = _salutation_at(doc, i)
            if found:
                doc.sal_idx = i
                doc.sal_name_t, sal_rest_t, sal_rest_k = found
                break
            if "。" in k_lines[i] and len(k_lines[i]) > 40:
                break
        i += 1
    if doc.sal_name_t:
        doc.result["addressee"] = re.sub(r"^(?:尊敬的|敬爱的|亲爱的)", "", doc.sal_name_t).strip() or None
    if doc.sal_idx is not None:
        above = [c for c in doc.title_candidates if c[1] < doc.sal_idx]
        if above:
            set_title(doc, above[-1])

    doc.header_end = doc.sal_idx if doc.sal_idx is not None else (
        doc.title_end + 1 if doc.title_end is not None else min(n, 10))
    doc.header_idx = [i for i in range(min(doc.header_end, 40)) if not doc.furniture[i]]

    para_t, para_k = sal_rest_t, sal_rest_k
    anchor = doc.sal_idx if doc.sal_idx is not None else doc.title_end
    j = (anchor + 1) if anchor is not None else n
    while j < n and len(para_k) < 300 and j < ((doc.sal_idx or doc.title_end or 0) + 4):
        if not doc.furniture[j]:
            if para_k and (HEADING.match(k_lines[j]) or para_k.endswith(("。", "：", ":"))):
                break
            para_t += t_lines[j]
            para_k += k_lines[j]
        j += 1
    doc.para_t, doc.para_k = para_t, para_k


def unit_addressee_hint(addressee: str) -> str:
    """The warning for a letter addressed to a unit; the importer drops it once the letter is
    recorded as that co-unit's opinion, which says the same."""
    return f"信件称呼的是单位（{addressee}），可能是协办单位致主办单位的意见"


def step_proposer(doc: Letter) -> None:
    """The proposer: the salutation, else a 提案人/领衔代表 label. A letter addressed to a
    government unit (a co-unit's opinion sent to the lead unit) does not name the proposer there."""
    result, warnings = doc.result, doc.warnings
    proposer = None
    if result["addressee"] and is_government_unit(result["addressee"]):
        warnings.append(unit_addressee_hint(result["addressee"]))
    elif doc.sal_name_t:
        proposer, proposers = _proposer_of(doc.sal_name_t)
        if proposer:
            result["proposers"] = proposers
    label_proposers = [v for _i, _l, v, _k in doc.labelled.get("proposer", []) if v not in EMPTY_VALUES]
    if label_proposers:
        lp, lps = _proposer_of(label_proposers[0])
        if proposer is None or (lp and lp != proposer and proposer in lp):
            proposer = lp  # the label is the more specific (or the only) statement
            result["proposers"] = lps
        elif lp and number_key(lp) != number_key(proposer) and lp not in proposer and proposer not in lp:
            doc.conflicts["proposer"] = [proposer, lp]
            warnings.append(f"称呼（{proposer}）与提案人（{lp}）不一致，未采用任何一个")
            proposer = None
            result["proposers"] = []
    result["proposer"] = proposer


def _proposer_of(name_t: str) -> tuple[str | None, list[str]]:
    """(proposer as printed, individual names) from a salutation or a 提案人 value."""
    name_t = re.sub(r"^(?:尊敬的|敬爱的|亲爱的)", "", name_t.strip()).strip()
    name_k = keyword(name_t)
    if not name_t or _GENERIC_NAME.match(name_k):
        return None, []
    match = re.match(r"^(?P<lead>.+?)等(?:\s*[\d一二三四五六七八九十]+\s*(?:位|名|人))?(?:代表|委员|同志)?$", name_k)
    if match:
        return name_t, [name_t[: match.end("lead")]]
    core_k = re.sub(r"(?:代表|委员|同志|先生|女士)$", "", name_k)
    core_t = name_t[: len(core_k)]
    names_k = [x for x in re.split(r"[、，,\s]+", core_k) if x]
    count = re.search(r"([\d一二三四五六七八九十]{1,3})\s*位$", core_k)
    if count and len(core_k) > count.end() - count.start():
        # 张三、李四、王五三位: the count is redundant; make sure it matches the list.
        digits = count.group(1)
        for size in range(1, len(digits) + 1):
            cut_k = core_k[: count.start(1) + len(digits) - size]
            if cn_to_int(digits[-size:]) == len([x for x in re.split(r"[、，,\s]+", cut_k) if x]):
                core_k, core_t = cut_k, core_t[: len(cut_k)]
                break
        else:
            core_k = core_k[: count.start()]
            core_t = core_t[: len(core_k)]
        names_k = [x for x in re.split(r"[、，,\s]+", core_k) if x]
    core_t = core_t.strip(" 、，,")
    if not core_t:
        return None, []
    names = []
    pos = 0
    for part in names_k:
        idx = core_k.find(part, pos)
        names.append(core_t[idx: idx + len(part)])
        pos = idx + len(part)
    return core_t, names
