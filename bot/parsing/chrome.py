"""Web page furniture around a letter copied from a government site (索引号, 发布日期, 打印本页,
版权所有 …): which lines are chrome, the page's own metadata (it fills gaps the letter leaves), and
where the site's footer starts."""

from __future__ import annotations

import re

from .dates import find_date
from .heading import DOC_NUMBER
from .places import unit_like
from .state import Letter
from .text import MAX_LINE


_WEB_DATE = r"(?:19|20)\d{2}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
# Page chrome, in three patterns by how they start: a regex search skips ahead to a possible
# first character only when every alternative starts with an uncased literal, so the words found
# anywhere (most of them) stay apart from the whole-line forms and the marks. One pattern would
# try every alternative at every position of every line.
_FURNITURE_WORDS = re.compile(
    r"索引号|发布日期|发布时间|发布机构|信息来源|来源[:：]|浏览次数|访问次数|阅读次数|点击数|浏览量|字号[:：]|打印本页|关闭窗口|"
    r"分享到|当前位置|您现在的位置|首页\s*[>＞»]|版权所有|备案号|公网安备|网站标识码|网站地图|技术支持|联系我们|扫一扫|主题分类|"
    r"公开方式|公开范围|公开时限|生成日期|成文日期|有效性[:：]|上一篇|下一篇|相关链接|邮政编码|邮编|网站[:：]|网址[:：]|"
    r"网站名称|本网站|网站主办|网站维护|主办单位[:：]?[^\n]{0,30}(?:网站|门户|网)(?:\s|$)|"
    r"主办单位[:：][^\n]{0,40}承办单位|地址[:：][^\n]*电话|发文机关|所属机构|发文时间|发文日期|著录日期|更新日期|"
    r"主题词|关键[字词][:：]|信息分类|是否有效|文章字号|作者[:：]|阅读[:：]|浏览[:：]|字体[:：]|字体大小|"
    r"登录\s*\|?\s*注册|中国政府网|附件下载|语音播报|无障碍|长者助手|长者模式|生效日期|废止日期|所属主题|全文检索|站群导航|"
    r"加入收藏|设为首页|手机版|用户登录|打印正文",
    re.IGNORECASE,
)
_FURNITURE_LINES = re.compile(
    rf"^(?:标题[:：]|政府信息公开$|(?:首页|正文)$|首页\s*/|打印[:：]?$|(?:日期|时间|更新时间)[:：]?\s*{_WEB_DATE}$)",
    re.IGNORECASE,
)
_FURNITURE_MARKS = re.compile(
    r"【打印】|\[打印\]|【关闭】|copyright|©|ICP|[【\[]\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小\s*[】\]]|"
    r"/\s*正文$",
    re.IGNORECASE,
)


def is_furniture(k: str) -> bool:
    """A line of the website around the letter (索引号, 打印本页, 版权所有, 首页 > …)."""
    return bool(_FURNITURE_WORDS.search(k) or _FURNITURE_LINES.search(k) or _FURNITURE_MARKS.search(k))


# Page chrome whose value is the page's own metadata: what fills a gap the letter leaves (the
# issuing unit of an unsigned letter, the date of an undated one). A label alone on its line
# has its value on the next line.
_META_LABELS = {
    "发文机关": "unit", "发布机构": "unit", "所属机构": "unit", "制发机关": "unit", "信息来源": "unit", "来源": "unit",
    "发布日期": "date", "发布时间": "date", "发文时间": "date", "发文日期": "date", "成文日期": "date",
    "生成日期": "date", "日期": "date", "时间": "date", "更新时间": "date",
    "文号": "doc_number", "发文字号": "doc_number",
}
WRITTEN_DATES = {"成文日期", "发文日期", "发文时间"}
_META_RE = re.compile(
    r"(?:^|(?<=[\s|\t]))(?P<label>" + "|".join(sorted(map(re.escape, _META_LABELS), key=len, reverse=True))
    + r")\s*[:：]?\s*(?P<value>[^\s|\t]*)"
)
_META_LABEL_ONLY = re.compile(
    r"^(?:" + "|".join(sorted(map(re.escape, list(_META_LABELS) + ["索引号", "浏览次数", "访问次数", "阅读次数", "点击数"]),
                             key=len, reverse=True)) + r")\s*[:：]?$"
)

_PERSON_LABEL = re.compile(r"(?:^|[\s\t])(?:承办人|联系人|经办人|承办负责人|负责人|签发人)\s*[:：]")


def is_chrome(k: str) -> bool:
    """Page furniture, unless the line carries the letter's own people (承办人：齐安平 邮政编码：…)."""
    return is_furniture(k[:MAX_LINE]) and not _PERSON_LABEL.search(k[:MAX_LINE])


def _meta_value(label_k: str, next_k: str) -> bool:
    """next_k is the value of a chrome label printed alone on the line above it."""
    label = label_k.rstrip(" :：")
    kind = _META_LABELS.get(label)
    if kind == "unit":
        return unit_like(next_k.strip("()（） "))
    if kind == "date":
        return bool(re.fullmatch(_WEB_DATE, next_k.strip()) or find_date(next_k, standalone=True))
    if kind == "doc_number":
        return bool(DOC_NUMBER.fullmatch(next_k.strip()))
    if label == "索引号":
        return bool(re.fullmatch(r"[0-9A-Za-z_/\-.]{4,60}", next_k.strip()))
    return bool(re.fullmatch(r"\d{1,9}\s*次?", next_k.strip()))  # 浏览次数 …


def step_page_chrome(doc: Letter) -> None:
    """The web page's own metadata (发布机构, 发布日期, 文号 …): a chrome label alone on its line
    makes the next line chrome too; the values are kept to fill gaps the letter leaves."""
    k_lines, furniture = doc.k_lines, doc.furniture
    for i in range(doc.n):
        if not furniture[i]:
            continue
        k = k_lines[i][:MAX_LINE]
        if _META_LABEL_ONLY.match(k) and i + 1 < doc.n and _meta_value(k, k_lines[i + 1]):
            furniture[i + 1] = True
            k = k + (" " if k.endswith((":", "：")) else "：") + k_lines[i + 1]
            t = doc.t_lines[i] + "：" + doc.t_lines[i + 1]
        else:
            t = doc.t_lines[i]
        for match in _META_RE.finditer(k):
            kind, value_k = _META_LABELS[match.group("label")], match.group("value").strip(" :：")
            if not value_k or (kind in doc.meta and not (
                    kind == "date" and match.group("label") in WRITTEN_DATES
                    and doc.meta.get("date_label") not in WRITTEN_DATES)):
                continue  # the first of each, but the date written (成文日期) beats the date published
            if kind == "unit" and unit_like(value_k):
                doc.meta[kind] = t[match.start("value"): match.end("value")].strip(" :：") \
                    if len(t) == len(k) else value_k
            elif kind == "date" and (found := find_date(value_k)):
                doc.meta[kind] = found[0]
                doc.meta["date_label"] = match.group("label")
            elif kind == "doc_number" and DOC_NUMBER.fullmatch(value_k):
                doc.meta[kind] = value_k


def step_footer(doc: Letter) -> None:
    """Where the website's furniture after the letter starts: from the first furniture line after
    the date; without a date line, from the first furniture line after which furniture dominates."""
    n, furniture = doc.n, doc.furniture
    doc.footer = n
    if doc.date_idx is None:
        for i in range(doc.header_end + 1, n):
            if furniture[i] and sum(furniture[i:]) * 2 >= n - i:
                doc.footer = i
                return
    else:
        for i in range(doc.date_idx + 1, n):
            if furniture[i]:
                footer = i
                while footer - 1 > doc.date_idx and re.match(r"^(?:主办|承办|协办)", doc.k_lines[footer - 1]):
                    footer -= 1
                doc.footer = footer
                return
