"""Names of administrative places (山西省晋城市泽州县) and of units (市发改委, 晋城市教育局)."""

from __future__ import annotations

import re

from .script import keyword
from .text import CJK


UNIT_SUFFIX = re.compile(
    r"(?:委员会|委|局|厅|办公室|办|人民政府|政府|院|中心|公司|集团|部|处|署|所|站|馆|社|会|联|团|队|"
    r"校|大学|学院|银行|行|办事处|管委会|指挥部|领导小组|街道|镇|乡|分局|科|室|司|台|党组|机关)$"
)
_NOT_UNIT = re.compile(r"此致|敬礼|特此|答复|如下|关于|联系|电话|承办人|负责人|签发|收悉|感谢|欢迎|会议|届|类$")
_UNIT_CHARS = re.compile(rf"^[{CJK}（）()、·]+$")

# Proposers that are organisations (parties, people's organisations, CPPCC committees), not
# government units that handle items.
_ORGANISATION = re.compile(
    r"民革|民盟|民建|民进|农工|致公|九三学社|台盟|工商联|总工会|妇联|共青团|团市委|团县委|团区委|科协|侨联|文联|"
    r"政协|界别|委员会(?:委员)?小组|党派|支社|支部|总支|基层委|市委会|县委会|区委会"
)
_GOVERNMENT_SUFFIX = re.compile(r"(?:局|厅|委|办|办公室|政府|中心|公司|院|所|站|处|署|管委会|委员会|集团|银行|街道|镇|乡)$")


def is_government_unit(name: str) -> bool:
    """A unit that handles items (市发改委, 晋城市教育局), not a proposer organisation
    (民建晋城市委会, 九三学社高平市支社, 市政协经济委员会)."""
    k = keyword(re.sub(r"\s", "", name or ""))
    return unit_like(k) and bool(_GOVERNMENT_SUFFIX.search(k)) and not _ORGANISATION.search(k)


def unit_like(k: str) -> bool:
    k = k.strip()
    return (
        3 <= len(k) <= 40 and bool(_UNIT_CHARS.match(k)) and bool(UNIT_SUFFIX.search(k))
        and not _NOT_UNIT.search(k)
    )


def unit_rest(tail_k: str, next_k: str) -> bool:
    """next_k is the rest of a unit name cut at the end of a line (…人力资源和社 / 会保障局): it
    does not start with a place or a level word, and the two make one unit name."""
    return (
        not place_chain(next_k) and next_k[0] not in "省市县区州盟旗"
        and unit_like(tail_k + next_k)
    )


_PLACE_SEG = re.compile(
    rf"[{CJK}]{{1,9}}?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|县|区|旗)"
)
_ORG_WORDS = re.compile(r"局|委|办|厅|院|部|处|会|中心|公司|政府|管理|发展|建设|科技|协|联")
_PLACE_STOP = {"城市", "市场", "区域", "县域", "社区", "园区", "景区", "辖区", "小区", "片区", "新区"}
_LEVELS = {"省": ("省",), "市": ("市",), "县": ("县", "自治县"), "区": ("区",), "州": ("州", "自治州"),
           "自治区": ("自治区",), "盟": ("盟",), "旗": ("旗", "自治旗")}


def place_chain(k: str) -> list[tuple[int, int]]:
    """Spans of the administrative places a name starts with: 山西省晋城市泽州县教育局 →
    山西省, 晋城市, 泽州县."""
    k = re.sub(r"^(?:中共|中国共产党)", lambda m: " " * len(m.group(0)), k)
    pos = len(k) - len(k.lstrip(" "))
    spans: list[tuple[int, int]] = []
    while len(spans) < 4:
        match = _PLACE_SEG.match(k, pos)
        if not match:
            break
        seg, end = match.group(0), match.end()
        if seg.endswith("州") and k[end:end + 1] in ("市", "县", "区", "省", "旗"):
            seg, end = k[match.start(): end + 1], end + 1  # 泽州县, 郑州市: 州 is part of the name
        stem = re.sub(r"(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|县|区|旗)$", "", seg)
        if (
            seg in _PLACE_STOP or _ORG_WORDS.search(stem) or stem[0] in "市县区省"
            # one-character stems: 单县, and districts such as 城区 / 郊区 under a city
            or (len(stem) < 2 and not seg.endswith("县") and not (spans and seg.endswith("区")))
        ):
            break
        spans.append((match.start(), end))
        pos = end
    return spans


def region_of_unit(unit_t: str | None, level: str | None) -> str | None:
    if not unit_t:
        return None
    k = keyword(unit_t)
    spans = place_chain(k)
    if level:
        suffixes = _LEVELS.get(level, (level,))
        spans = [s for s in spans if any(k[s[0]:s[1]].endswith(x) for x in suffixes)]
    if not spans:
        return None
    start, end = spans[-1]
    return unit_t[start:end]
