"""Labelled values (承办人：张三, 联系电话：…, 主办单位：…): the label vocabulary, the step that
collects every labelled value above the footer, and the units step that reads its 主办/协办/分办
values."""

from __future__ import annotations

import re

from .chrome import WRITTEN_DATES
from .dates import find_date
from .heading import DOC_NUMBER
from .state import Letter
from .text import EMPTY_VALUES, MAX_LINE, NAME_SPLIT, add_unique, clean_value


# Labels, longest first. Each maps to the field it feeds ("stop" labels only end a value).
_LABELS: list[tuple[str, str]] = [
    ("联系人及联系电话", "handler_phone"), ("联系人及联系方式", "handler_phone"),
    ("联系人及电话", "handler_phone"), ("联系人和电话", "handler_phone"),
    ("承办人及电话", "handler_phone"), ("承办人及联系电话", "handler_phone"),
    ("承办联系人", "handler"), ("具体承办人", "handler"), ("承办人员", "handler"),
    ("承办人", "handler"), ("经办人", "handler"), ("联系人", "handler"), ("办理人", "handler"),
    ("联系人电话", "phone"), ("联系电话", "phone"), ("联络电话", "phone"), ("办公电话", "phone"),
    ("固定电话", "phone"), ("移动电话", "phone"), ("手机号码", "phone"), ("手机号", "phone"),
    ("联系方式", "phone"), ("电话", "phone"), ("手机", "phone"),
    ("承办负责人", "leader"), ("单位负责人", "leader"), ("主要负责人", "leader"),
    ("负责人", "leader"), ("领导签字", "leader"), ("领导签发", "leader"), ("签发人", "leader"),
    ("分管领导", "leader"),
    ("主办单位", "lead"), ("主办", "lead"),
    ("协办单位", "co"), ("会办单位", "co"), ("协办", "co"), ("会办", "co"),
    ("分办单位", "split"), ("分办", "split"),
    ("提案人", "proposer"), ("领衔人", "proposer"), ("领衔代表", "proposer"),
    ("提出人", "proposer"), ("建议人", "proposer"),
    ("提案题目", "title"), ("建议题目", "title"), ("提案标题", "title"), ("案由", "title"),
    ("提案编号", "number"), ("建议编号", "number"), ("提案号", "number"), ("建议号", "number"),
    ("案号", "number"),
    ("办理结果类别", "class"), ("办理结果", "class"), ("办理类别", "class"), ("答复类别", "class"), ("结果类别", "class"),
    ("答复类型", "class"), ("办理类型", "class"), ("类别", "class"),
    ("答复日期", "date"), ("复函日期", "date"), ("办理日期", "date"),
    ("发文字号", "doc_number"), ("文号", "doc_number"),
    ("联系地址", "stop"), ("地址", "stop"), ("邮政编码", "stop"), ("邮编", "stop"), ("传真", "stop"),
    ("电子邮箱", "stop"), ("邮箱", "stop"), ("抄送", "stop"), ("抄报", "stop"), ("附件", "stop"),
    ("联系单位", "stop"), ("职务", "stop"), ("日期", "stop"), ("审核人", "stop"), ("核稿人", "stop"),
    ("印发", "stop"),
]
LABEL_FIELD = dict(_LABELS)
SPACED_LABEL_WORDS = set(LABEL_FIELD) | {"索引号", "发布机构", "发文机关", "标题", "来源", "作者", "日期"}
_LABEL_ALT = "|".join(re.escape(label) for label, _ in _LABELS)
# A label at a boundary, followed by a colon, a tab (table cell) or spaces.
LABEL_RE = re.compile(
    rf"(?:^|(?<=[\s\t(（,，;；、|【\[]))(?P<label>{_LABEL_ALT})\s*(?:[:：]|\t|(?= ))"
)
LABEL_WORD = re.compile("|".join(
    re.escape(label) for label, field in _LABELS if len(label) >= 3 or field in ("phone", "handler", "leader")
))
SPACE_BEFORE_LABEL = re.compile(rf" +(?=(?:{_LABEL_ALT})\s*[:：])")
LIST_LABEL_LINE = re.compile(
    r"^[(（]?(?:承办人员?|具体承办人|经办人|承办联系人|联系人|办理人|提案人|领衔人|领衔代表|提出人|"
    r"主办单位|协办单位|会办单位|分办单位|主办|协办|会办|分办|负责人|承办负责人|签发人|领导签字|"
    r"分管领导|抄送|联系单位)"
)


def last_label(k: str) -> tuple[str, int] | None:
    """(label, where its value starts in k) of the last label on a line."""
    offset = max(0, len(k) - MAX_LINE)
    last = None
    for last in LABEL_RE.finditer(k, offset):
        pass
    return (last.group("label"), last.end()) if last else None


def step_labels(doc: Letter) -> None:
    """Labelled values anywhere above the footer (not in page furniture, except a 文号), then the
    reply date and the doc number from their labels when the layout did not give them."""
    labelled = doc.labelled
    for i in range(min(doc.n, doc.footer)):
        k = doc.k_lines[i]
        if doc.furniture[i] and "文号" not in k:
            continue
        matches = list(LABEL_RE.finditer(k[:MAX_LINE]))
        for m_i, match in enumerate(matches):
            label = match.group("label")
            field_name = LABEL_FIELD[label]
            if doc.furniture[i] and field_name != "doc_number":
                continue
            end = matches[m_i + 1].start() if m_i + 1 < len(matches) else len(k)
            value_t = doc.t_lines[i][match.end(): end]
            value_k = k[match.end(): end]
            if m_i + 1 == len(matches) and value_k.count("）") > value_k.count("（"):
                cut = value_k.rfind("）")
                value_t, value_k = value_t[:cut], value_k[:cut]
            labelled.setdefault(field_name, []).append((i, label, clean_value(value_t), clean_value(value_k)))
    result = doc.result
    if result["reply_date"] is None:
        for _i, _label, _value_t, value_k in labelled.get("date", []):
            found = find_date(value_k)
            if found:
                result["reply_date"] = found[0]
                break
    if result["reply_date"] is None and doc.partial_date is None and doc.meta.get("date"):
        result["reply_date"] = doc.meta["date"]
        label = doc.meta["date_label"] if doc.meta["date_label"] in WRITTEN_DATES else "发布日期"
        doc.warnings.append(f"信中没有日期，答复日期取自网页的{label}（{result['reply_date']}），请核对")
    if result["doc_number"] is None:
        for _i, _label, value_t, value_k in labelled.get("doc_number", []):
            match = DOC_NUMBER.search(value_k)
            if match:
                result["doc_number"] = re.sub(r"\s", "", value_t[match.start("dn"): match.end("dn")])
                break


def step_units(doc: Letter) -> None:
    """The lead unit, co-units and 分办 units from their labels (above the date line)."""
    def units_of(field_name: str) -> list[str]:
        out: list[str] = []
        for i, _label, value_t, value_k in doc.labelled.get(field_name, []):
            if doc.date_idx is not None and i > doc.date_idx:
                continue
            if value_k in EMPTY_VALUES or "网站" in value_k:
                continue
            add_unique(out, [u for u in NAME_SPLIT.split(value_t) if u and u not in EMPTY_VALUES])
        return out

    result = doc.result
    leads = units_of("lead")
    if leads:
        result["lead_unit"] = leads[0] if len(leads) == 1 else "、".join(leads)
        if len(leads) > 1:
            doc.warnings.append(f"主办单位写了多个（{'、'.join(leads)}），请核对")
    result["co_units"] = units_of("co")
    result["split_units"] = units_of("split")
