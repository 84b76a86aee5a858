"""Which proposal the letter answers: the session (八届三次会议 → term 8, meeting 3), the body
(政协 or 人大), the region and the proposal's number. Title, first paragraph and header must
agree; a contradiction is reported, never guessed."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..numbers import body_of, cn_to_int, number_key
from .places import place_chain, region_of_unit
from .script import keyword
from .state import Letter
from .text import CJK_ONE, MAX_LINE


_NUMC = "0-9〇零一二三四五六七八九十"
SESSION = re.compile(
    rf"(?:第\s*)?(?P<term>[{_NUMC}]{{1,4}})\s*届"
    r"(?P<mid>[^\s\t第届次，。,;；:：、“”《》()（）]{0,14}?)"
    r"(?:第\s*)?(?P<meeting>[0-9一二三四五六七八九十]{1,3})\s*次(?P<after>(?:全体)?会议)?(?!全会)"
)
_LEAD_WORDS = re.compile(r"^(?:关于|对于|贵单位在|贵单位于|您在|你在|您于|你于|在|对|就|由|贵单位|您们|你们|您|你)")
_BODY_HEAD = re.compile(r"^(?:中国人民政治协商会议|政协|人大)")
_BODY_TAIL = re.compile(r"(?:中国人民政治协商会议|政治协商会议|人民代表大会|政协|人大|委员会)$")
_LEVEL_ONLY = {"省", "市", "县", "区", "州", "自治区", "盟", "旗"}


@dataclass(frozen=True)
class _Session:
    """A session mention: its numbers, body, and the place before it (a name or only a level)."""

    term: int
    meeting: int
    body: str | None
    region: str | None  # 高平市 in 高平市第七届…
    level: str | None  # 市 in 市政协八届三次会议
    text: str


def _find_session(t: str, k: str) -> _Session | None:
    for match in SESSION.finditer(k[:MAX_LINE]):
        mid = match.group("mid")
        if "常委会" in mid or "常务委员会" in mid:
            continue
        term, meeting = cn_to_int(match.group("term")), cn_to_int(match.group("meeting"))
        if term is None or meeting is None or not (1 <= term <= 40 and 1 <= meeting <= 12):
            continue
        start = match.start()
        pre_start = start
        while pre_start > 0 and start - pre_start < 24 and CJK_ONE.match(k[pre_start - 1]):
            pre_start -= 1
        pre_k = k[pre_start:start]
        context = pre_k + mid
        if not match.group("after") and not re.search(r"政协|人大|政治协商|人民代表大会|委员会", context):
            continue
        if re.search(r"人大|人民代表大会", context):
            body = "人大"
        elif re.search(r"政协|政治协商", context):
            body = "政协"
        elif "委员会" in mid:
            body = body_of(context)
        else:
            body = None
        # The place before the session: strip leading function words and body words.
        offset = pre_start
        while True:
            lead = _LEAD_WORDS.match(pre_k) or _BODY_HEAD.match(pre_k)
            if not lead or not lead.group(0):
                break
            offset += lead.end()
            pre_k = pre_k[lead.end():]
        while True:
            tail = _BODY_TAIL.search(pre_k)
            if not tail or not tail.group(0):
                break
            pre_k = pre_k[: tail.start()]
        region = level = None
        if "全国" in context:
            region = "全国"
        elif pre_k in _LEVEL_ONLY:
            level = pre_k
        elif pre_k:
            spans = place_chain(pre_k)
            if spans and spans[-1][1] == len(pre_k):
                s, e = spans[-1]
                region = t[offset + s: offset + e]
        return _Session(term, meeting, body, region, level, t[match.start(): match.end()])
    return None


_NUM_CORE = r"[A-Za-z]{0,6}-?\d[0-9A-Za-z.\-]*?"
_NUMBER_PATTERNS = [
    re.compile(rf"第\s*(?P<n>[(（\[【〔]\s*{_NUM_CORE}\s*[)）\]】〕]|{_NUM_CORE})\s*号(?!文|令|楼|院)"),
    re.compile(r"第\s*(?P<n>[A-Za-z]{1,6}-?\d[0-9A-Za-z\-]*|\d[\d\-]*)\s*(?=(?:代表)?(?:提案|建议|议案|意见|件))"),
    re.compile(rf"(?:提案编号|建议编号|提案号|建议号|案号)\s*[:：为]?\s*(?:第\s*)?(?P<n>{_NUM_CORE})(?![0-9A-Za-z.\-])"),
    re.compile(r"第(?P<c>[一二三四五六七八九十百零〇]{1,8})号(?=提案|建议|议案)"),
    # without 第: …五次会议49号提案, (人大建议212号)
    re.compile(rf"(?:会议|人大建议|代表建议|政协提案)\s*(?P<n>{_NUM_CORE})\s*号(?=\s*(?:提案|建议|议案|[)）]|$))"),
]


def _find_numbers(t: str, k: str) -> list[str]:
    found: list[tuple[int, str]] = []
    taken: list[tuple[int, int]] = []
    k = k[:MAX_LINE]
    for pattern in _NUMBER_PATTERNS:
        for match in pattern.finditer(k):
            s, e = match.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            if s > 0 and k[s - 1] in "〕]）)】":
                continue  # 〔2025〕第85号: a document number
            if "c" in pattern.groupindex:
                value = cn_to_int(match.group("c"))
                if value is None:
                    continue
                printed = str(value)
            else:
                ns, ne = match.span("n")
                printed = re.sub(r"\s", "", t[ns:ne]).strip(".-")
                printed = re.sub(r"^[(（\[【〔](.*)[)）\]】〕]$", r"\1", printed)
            if not printed or not number_key(printed):
                continue
            taken.append((s, e))
            found.append((s, printed))
    return [p for _, p in sorted(found)]


def step_session(doc: Letter) -> None:
    """Term and meeting from the title, the first paragraph and the header."""
    zones = [(doc.title_t, doc.title_k), (doc.para_t, doc.para_k)]
    zones += [(doc.t_lines[i], doc.k_lines[i]) for i in doc.header_idx if i not in doc.in_title]
    doc.sessions = [s for s in (_find_session(zt, zk) for zt, zk in zones if zk) if s]
    pairs = list(dict.fromkeys((s.term, s.meeting) for s in doc.sessions))
    if len(pairs) == 1:
        doc.result["term"], doc.result["meeting"] = pairs[0]
    elif len(pairs) > 1:
        printed = list(dict.fromkeys(s.text for s in doc.sessions))
        doc.conflicts["session"] = printed
        doc.warnings.append(f"信中的届次不一致（{'、'.join(printed)}），未采用任何一个")


def step_body(doc: Letter) -> None:
    """政协 or 人大: the session text, then the item word and the salutation."""
    result, warnings, conflicts = doc.result, doc.warnings, doc.conflicts
    bodies = [s.body for s in doc.sessions if s.body]
    sal_hint = None
    if doc.sal_name_t:
        name_k = keyword(doc.sal_name_t)
        sal_hint = "人大" if name_k.endswith("代表") else "政协" if name_k.endswith("委员") else None
    hints = [sal_hint] if sal_hint else []
    for zk in (doc.title_k, doc.para_k):
        match = re.search(r"(?:号|\d)\s*(提案|议案|建议)", zk)
        if match:
            hints.append({"提案": "政协", "议案": "人大", "建议": "人大"}[match.group(1)])
            break
    for field_name, words in (("number", {"提案": "政协", "建议": "人大"}), ("proposer", {"提案": "政协", "代表": "人大"})):
        for _i, label, _vt, _vk in doc.labelled.get(field_name, []):
            hints += [body for word, body in words.items() if word in label]
    body_values = list(dict.fromkeys(bodies))
    if len(body_values) > 1:
        conflicts["body"] = body_values
        warnings.append("信中既写了政协又写了人大，未能确定是提案还是代表建议")
    elif body_values:
        result["body"] = body_values[0]
        if sal_hint and sal_hint != body_values[0]:
            warnings.append(f"会议名称是{body_values[0]}，但称呼是“{doc.sal_name_t}”，请核对")
    elif hints:
        if len(set(hints)) == 1:
            result["body"] = hints[0]
        else:
            conflicts["body"] = list(dict.fromkeys(hints))
            warnings.append("称呼与案件类型不一致，未能确定是提案还是代表建议")
    else:
        words = doc.title_k + doc.para_k
        fallback = body_of(words) if words else None
        if fallback and re.search(r"政协|人大|人民代表大会|政治协商", words):
            result["body"] = fallback


def step_region(doc: Letter) -> None:
    """The place named in the session, else the level (市/县/区) resolved by the unit's name."""
    result = doc.result
    regions = list(dict.fromkeys(s.region for s in doc.sessions if s.region))
    levels = list(dict.fromkeys(s.level for s in doc.sessions if s.level))
    unit_for_region = result["issuer"] or result["signed_by"]
    if len(regions) == 1:
        result["region"] = regions[0]
        unit_place = region_of_unit(unit_for_region, None)
        if unit_place and len(unit_place) > len(regions[0]) and \
                keyword(unit_place).endswith(keyword(regions[0])):
            result["region"] = unit_place  # the session's place lost its first characters
    elif len(regions) > 1:
        doc.conflicts["region"] = regions
        doc.warnings.append(f"信中的地区不一致（{'、'.join(regions)}），未采用任何一个")
    elif levels:
        found = [r for r in (region_of_unit(unit_for_region, lv) for lv in levels) if r]
        if len(set(found)) == 1:
            result["region"] = found[0]
        else:
            doc.warnings.append(f"会议名称只写了“{levels[0]}”，未能从单位名称确定是哪个{levels[0]}")
    else:
        result["region"] = region_of_unit(unit_for_region, None)


def step_proposal_number(doc: Letter) -> None:
    """The proposal's number: the title and the first paragraph must agree."""
    result, warnings, conflicts = doc.result, doc.warnings, doc.conflicts
    title_numbers = _find_numbers(doc.title_t, doc.title_k) if doc.title_k else []
    other_numbers: list[str] = []
    if doc.para_k:
        other_numbers += _find_numbers(doc.para_t, doc.para_k)
    for i in doc.header_idx:
        if i not in doc.in_title:
            other_numbers += _find_numbers(doc.t_lines[i], doc.k_lines[i])
    for i, j in zip(doc.header_idx, doc.header_idx[1:]):
        if j == i + 1 and re.fullmatch(r"[A-Za-z]{0,4}\d{1,6}", doc.k_lines[j]) and _find_session(doc.t_lines[i], doc.k_lines[i]):
            other_numbers.append(doc.t_lines[j])  # printed alone under the session's name
    for _i, _label, value_t, value_k in doc.labelled.get("number", []):
        match = re.match(rf"^(?:第\s*)?({_NUM_CORE})(?:号)?$", value_k)
        if match:
            other_numbers.append(re.sub(r"\s", "", value_t[match.start(1): match.end(1)]))
    title_keys = list(dict.fromkeys(number_key(x) for x in title_numbers))
    all_numbers = title_numbers + other_numbers
    all_keys = list(dict.fromkeys(number_key(x) for x in all_numbers))
    printed_of: dict[str, str] = {}
    for x in all_numbers:
        printed_of.setdefault(number_key(x), x)
    if len(all_keys) == 1:
        result["proposal_number"] = all_numbers[0]
    elif len(title_keys) > 1:
        listed = [printed_of[key] for key in title_keys]
        conflicts["proposal_number"] = [printed_of[key] for key in all_keys]
        warnings.append(f"标题中有多个案号（{'、'.join(listed)}），可能是并案答复，未自动选取")
    elif len(all_keys) > 1:
        conflicts["proposal_number"] = [printed_of[key] for key in all_keys]
        if title_keys:
            others = [printed_of[key] for key in all_keys if key not in title_keys]
            warnings.append(
                f"标题中的案号（{printed_of[title_keys[0]]}）与正文中的案号（{'、'.join(others)}）不一致，"
                "未采用任何一个"
            )
        else:
            warnings.append(f"信中出现多个案号（{'、'.join(conflicts['proposal_number'])}），未采用任何一个")
