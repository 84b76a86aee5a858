"""Import bench: reply-letter parse throughput and field accuracy, and a big assignment list.

    .venv/bin/python bench/bench_import.py --letters 3000 --rows 10000 [--formats 200] [--baseline-rows 300] [--seed 1]

Letters. ``--letters`` reply letters are generated from varied templates (政协 and 人大; 市, 县 and
区; 第125号 / 第0224号 / 第A-12号 / 第20240123号 / 第TA0010提案; the class at the top, glued to the
doc number, at the bottom or absent; one or several handlers and phones; 主办/协办 lines; dates as
2024年5月23日 and 二〇二四年五月二十三日; stray spaces inside numbers and page breaks in the middle
of a sentence as in the seeds; the title quoted, plain, on a line of its own or absent; a signature
under the unit's former name now and then; about 8 % in Traditional characters; a third of the
.txt files in GB18030; about 2,000 characters each, like the seeds). The generator knows every
field it printed, so the parser's field accuracy is measured on every letter (misparses are
listed, not fixed). Timed:

- ``parse_letter`` on the text in memory, and ``parse_letter_bytes`` on the .txt files (decoding
  included: the goal figure, ≥ 400 letters/s; ``bench_letters.py`` measures it against the code
  before issue 13, .docx too);
- the same ``--formats`` letters as .txt, .docx (python-docx) and .pdf (reportlab, A4 line
  wrapping), all built in memory: the baseline is .txt, the ratio says what a format costs;
- ``Importer.import_paths`` over a folder of all the .txt letters into a fresh Repository (one
  write for the run).

Assignment list. A ``--rows``-row .xlsx (openpyxl): title rows naming the session, a header row of
synonyms (提案编号/案由/领衔人/承办单位/会办单位/交办时间/办理时限/联系人/办公电话/手机/是否重点…),
dates in mixed forms (date cells, 2024-03-15, 2024/3/15, 2024.3.15, 2024年3月15日, Excel serial
numbers, 20240315, serials as text), a repeated header and section headings mid-sheet, one bad row
in 500. Timed: ``read_table`` alone; ``Importer.import_bytes`` inside ``repo.batch()`` (as a chat
upload does) into a fresh Repository in a temp folder; the same again (nothing may change and
nothing is written). Baseline: the first ``--baseline-rows`` rows imported with one write per
record (``import_bytes`` outside a batch: every ``Repository.put`` rewrites the file) against the
same rows batched. Every imported row is checked against what was generated.

Figures are printed, never asserted (tests/test_bench_import.py runs a tiny size as a smoke test).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import json
import logging
import os
import platform
import random
import re
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bot.config import load_config  # noqa: E402
from bot.importer import Importer  # noqa: E402
from bot.model import EV_CO_UNIT_OPINION, Event, Reply  # noqa: E402
from bot.numbers import number_key  # noqa: E402
from bot.parsing import parse_letter, parse_letter_bytes  # noqa: E402
from bot.storage import Repository  # noqa: E402
from bot.tables import read_table  # noqa: E402

GOALS = {"letters_per_s": 400.0, "docx_letters_per_s": 200.0, "rows_s": 10.0}

# ----------------------------------------------------------------------------- vocabulary

# region → (city it belongs to, level word used in "市政协…", landline area code, doc-number prefix)
REGIONS = {
    "晋城市": ("晋城市", "市", "0356", "晋市"), "长治市": ("长治市", "市", "0355", "长市"),
    "太原市": ("太原市", "市", "0351", "并市"), "运城市": ("运城市", "市", "0359", "运市"),
    "高平市": ("晋城市", "市", "0356", "高"), "泽州县": ("晋城市", "县", "0356", "泽"),
    "阳城县": ("晋城市", "县", "0356", "阳"), "沁水县": ("晋城市", "县", "0356", "沁"),
    "陵川县": ("晋城市", "县", "0356", "陵"), "襄垣县": ("长治市", "县", "0355", "襄"),
    "潞州区": ("长治市", "区", "0355", "潞"), "小店区": ("太原市", "区", "0351", "小"),
    "盐湖区": ("运城市", "区", "0359", "盐"), "尧都区": ("临汾市", "区", "0357", "尧"),
}
# (unit type, its short form in doc numbers)
UNIT_TYPES = [
    ("发展和改革委员会", "发改"), ("教育局", "教"), ("住房和城乡建设局", "建"), ("交通运输局", "交"),
    ("水务局", "水"), ("农业农村局", "农"), ("卫生健康委员会", "卫健"), ("生态环境局", "环"),
    ("财政局", "财"), ("文化和旅游局", "文旅"), ("人力资源和社会保障局", "人社"), ("自然资源局", "自然资源"),
    ("市场监督管理局", "市监"), ("民政局", "民"), ("公安局", "公"), ("商务局", "商"),
    ("工业和信息化局", "工信"), ("医疗保障局", "医保"), ("应急管理局", "应急"), ("城市管理局", "城管"),
    ("发展改革和科技局", "发改"), ("行政审批服务管理局", "审批"),
]
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许沈曾彭吕苏卢蒋蔡贾丁魏薛叶余潘杜戴夏钟汪田任姜方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段钱汤尹黎易常武乔贺"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红飞鹏慧志文建国斌宇浩凯晓东雪梅琳婷辉俊峰晨阳海波宁亮瑞欣怡佳雨萱子涵博轩睿思源嘉悦曦诗琪立新卫春生"
PARTIES = ["民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社"]
VERBS = ["加快推动", "进一步加强", "推进", "完善", "加大", "优化", "规范", "促进", "支持", "提升",
         "建立健全", "强化", "做好", "深化", "统筹推进", "大力发展", "着力改善"]
SCOPES = ["我{lv}", "全{lv}", "", "", ""]
AREAS = ["城乡", "农村", "社区", "校园", "景区", "园区", "老城区", "县城", "乡镇", "山区", "养老", "医疗",
         "教育", "文化", "体育", "交通", "生态", "产业", "数字", "营商", "就业", "物流", "水利", "能源"]
SUBJECTS = ["融合发展", "基础设施建设", "环境整治", "公共服务", "安全管理", "停车管理", "人才队伍建设",
            "垃圾分类", "饮水安全", "道路养护", "数字化转型", "服务体系建设", "资金保障", "信息化建设",
            "应急能力建设", "监管机制", "协调发展", "绿色发展", "综合治理", "配套设施", "扶持政策",
            "人才引进", "老旧小区改造", "充电设施布局", "课后服务", "医共体建设", "夜间经济"]
FILLER = [
    "近年来，我{lv}高度重视{area}工作，不断深化改革，建立健全体制机制和政策体系。",
    "2023年，全{lv}新改建“四好农村路”{n1}公里，其中自然村通硬化路{n2}公里。",
    "我们将认真贯彻落实{lv}委{lv}政府关于{area}工作的战略部署，进一步压紧压实部门责任。",
    "截至目前，累计投入资金{n1}.{n2}亿元，覆盖全{lv}{n3}个行政村、{n2}个社区。",
    "实施民生实事工程，更新改造输配水管网，加装计量设施，配套消毒和水处理设备。",
    "统筹抓好传统产业升级、新兴产业壮大、未来产业培育，推动{area}高质量发展。",
    "开展专项督查{n3}次，发现并整改问题{n1}个，群众满意度达到{n3}%以上。",
    "下一步，我们将结合“十五五”规划编制，把您的建议纳入重点工作统筹推进。",
    "建立{area}工作联席会议制度，明确责任分工，定期研究解决重点难点问题。",
    "今年上半年，全{lv}接待游客{n1}.{n2}万人次，同比增长{n3}.{n2}%，综合收入{n2}亿元。",
    "加强与省直有关部门的沟通衔接，积极争取政策和资金支持，力争{n2}个项目列入省级计划。",
    "依托“太行一号”旅游公路，打造{n2}个精品示范村、{n3}个提档升级村。",
]
HEADINGS = ["一、基本情况", "二、主要工作及成效", "三、存在的问题", "四、下一步工作打算",
            "（一）加强组织领导", "（二）强化资金保障", "（三）完善工作机制"]

CN_DIGITS = "〇一二三四五六七八九"


def cn_num(n: int) -> str:
    """1..99 as 一, 十, 十五, 二十三."""
    if n < 10:
        return CN_DIGITS[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else CN_DIGITS[tens]) + "十" + (CN_DIGITS[ones] if ones else "")


def cn_date(d: dt.date) -> str:
    """二〇二四年五月二十三日"""
    return "".join(CN_DIGITS[int(c)] for c in str(d.year)) + f"年{cn_num(d.month)}月{cn_num(d.day)}日"


# Simplified → Traditional for the Traditional variant: the letter's keywords, places, surnames and
# a good part of the filler (characters not listed stay as they are, as in many converted files).
_S2T = (
    "号號 届屆 议議 会會 类類 联聯 电電 话話 办辦 关關 于於 复覆 协協 员員 发發 区區 县縣 负負 责責 签簽 导導 "
    "领領 单單 务務 题題 标標 机機 书書 开開 时時 间間 为為 来來 对對 这這 们們 经經 贵貴 请請 谢謝 见見 应應 与與 "
    "并並 处處 厅廳 学學 报報 称稱 码碼 级級 国國 长長 门門 问問 华華 业業 总總 统統 参參 农農 乡鄉 镇鎮 执執 笔筆 "
    "审審 礼禮 顺順 颂頌 络絡 传傳 邮郵 编編 网網 权權 属屬 备備 证證 构構 现現 别別 两兩 内內 据據 条條 历歷 费費 "
    "险險 医醫 疗療 卫衛 环環 体體 党黨 术術 产產 层層 实實 际際 设設 资資 计計 划劃 连連 续續 税稅 财財 银銀 阅閱 "
    "访訪 数數 页頁 晋晉 泽澤 阳陽 运運 盐鹽 尧堯 临臨 张張 刘劉 陈陳 杨楊 赵趙 黄黃 吴吳 郑鄭 韩韓 冯馮 邓鄧 "
    "许許 苏蘇 卢盧 蒋蔣 贾賈 钟鍾 叶葉 谭譚 龙龍 万萬 钱錢 汤湯 乔喬 贺賀 顾顧 孙孫 罗羅 马馬 邹鄒 陆陸 伟偉 "
    "丽麗 强強 军軍 艳艷 杰傑 涛濤 鹏鵬 凯凱 东東 辉輝 宁寧 兰蘭 红紅 飞飛 进進 动動 输輸 态態 游遊 场場 监監 "
    "质質 营營 项項 积積 极極 压壓 稳穩 点點 亿億 师師 岗崗 护護 养養 园園 车車 气氣 热熱 价價 兴興 厂廠 广廣 "
    "当當 将將 组組 织織 调調 众眾 满滿 欢歡 宝寶 达達 准準 队隊 训訓 让讓 认認 识識 还還 户戶 后後 线線 维維 "
    "试試 验驗 检檢 测測 买買 货貨 递遞 节節 约約 减減 污汙 绿綠 贴貼 药藥 课課 馆館 桥橋 铁鐵 预預 审審 评評 "
    "规規 纳納 结結 庄莊 盟盟 学學 进進 社社 镇鎮 给給 统統 筹籌 扬揚 继繼 续續 强強 紧緊 难難 门門 决決 纪紀 "
    "变變 讯訊 专專 项項 督督 查查 诚誠 职職 态態 创創 务務 断斷 深深 改改 革革 综綜 严嚴 岁歲 毕畢 杂雜 换換 "
    "尽盡 轮輪 软軟 硬硬 优優 观觀 乐樂 灵靈 轻輕 闻聞 讲講 论論 级級 须須 过過 么麼 样樣 头頭 无無 义義 鲜鮮"
)
S2T = str.maketrans({pair[0]: pair[1] for pair in _S2T.split()})


def to_trad(text: str) -> str:
    return text.replace("联系", "聯繫").translate(S2T)


# ----------------------------------------------------------------------------- letters

FIELDS = ("body", "region", "term", "meeting", "proposal_number", "proposer", "title", "classification",
          "reply_date", "issuer", "signed_by", "doc_number", "leader", "handlers", "phones", "lead_unit",
          "co_units")


@dataclass
class Letter:
    text: str
    truth: dict
    style: list[str]
    encoding: str = "utf-8"

    def data(self) -> bytes:
        return self.text.encode(self.encoding)

    @property
    def identity(self) -> tuple:
        t = self.truth
        return (t["body"], t["region"], t["term"], t["meeting"], number_key(t["proposal_number"]))


def person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))


def proposal_title(rng: random.Random, body: str, level: str = "市") -> str:
    suffix = rng.choice(["的建议", "的建议", "的提案"]) if body == "政协" else "的建议"
    scope = rng.choice(SCOPES).format(lv=level)
    return "关于" + rng.choice(VERBS) + scope + rng.choice(AREAS) + rng.choice(SUBJECTS) + suffix


def phone(rng: random.Random, area: str, kind: str) -> str:
    if kind == "mobile":
        return f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
    if kind == "local":
        return f"{rng.randint(2, 8)}{rng.randint(0, 999_999):06d}"
    return f"{area}-{rng.randint(2, 8)}{rng.randint(0, 999_999):06d}"


def spaced_phone(rng: random.Random, value: str) -> str:
    """0356-2021234 → 0356 - 2021234 / 0356 2021234 now and then (PDF copies)."""
    if "-" in value and rng.random() < 0.15:
        return value.replace("-", rng.choice([" - ", " ", "－"]))
    return value


def spaced(rng: random.Random, text: str, p: float = 0.3) -> str:
    """Stray spaces around numbers in running text (416 公里, 第 2 批)."""
    return re.sub(r"\d+", lambda m: f" {m.group(0)} " if rng.random() < p else m.group(0), text)


def session_text(rng: random.Random, body: str, region: str, level: str, term: int, meeting: int,
                 style: list[str]) -> str:
    T, M = cn_num(term), cn_num(meeting)
    if body == "政协":
        forms = [
            ("lv", f"{level}政协{T}届{M}次会议"),
            ("name", f"{region}政协{T}届{M}次会议"),
            ("full", f"{region}第{T}届政治协商会议第{M}次会议"),
            ("cppcc-first", f"政协{region}第{T}届委员会第{M}次会议"),
            ("arabic", f"{level}政协{term}届{meeting}次会议"),
        ]
    else:
        forms = [
            ("lv", f"{level}{T}届人大{M}次会议"),
            ("lv2", f"{level}人大{T}届{M}次会议"),
            ("full", f"{region}第{T}届人民代表大会第{M}次会议"),
            ("name", f"{region}{T}届人大{M}次会议"),
        ]
    tag, text = rng.choice(forms)
    style.append(f"session={tag}")
    return text


def number_and_item(rng: random.Random, body: str, seq: int, year: int, style: list[str]) -> tuple[str, str]:
    """(number as the letter prints it after 第, the number as stored) e.g. ('125号提案', '125')."""
    kinds = ["plain", "plain", "pad", "dash", "year"] + (["ta", "ta"] if body == "政协" else [])
    kind = rng.choice(kinds)
    number = {"plain": str(seq), "pad": f"{seq:04d}", "dash": f"{rng.choice('ABCD')}-{seq}",
              "year": f"{year}{seq:04d}", "ta": f"TA{seq:04d}"}[kind]
    item = "提案" if body == "政协" else rng.choice(["建议", "代表建议"])
    printed = number
    r = rng.random()
    if r < 0.2:
        printed = f" {number} "  # 第 125 号 (seed)
    elif r < 0.27 and kind in ("plain", "pad", "ta") and len(number) >= 2:
        cut = rng.randrange(2 if kind == "ta" else 1, len(number))  # TA 0010, TA00 10, 12 5
        printed = f" {number[:cut]} {number[cut:]} "  # 第 12 5 号: a space inside the number
    style.append(f"num={kind}" + ("+space" if printed != number else ""))
    if kind == "ta" and rng.random() < 0.5:
        return f"{printed}{item}", number  # 第TA0010提案 (seed): no 号
    return f"{printed}号{item}", number


def page_break(rng: random.Random, page: int) -> str:
    return rng.choice(["\n\n", "\n\x0c", f"\n\n- {page} -\n\n", f"\n第{page}页 共{page + 1}页\n"])


def make_letter(rng: random.Random, used: set) -> Letter:
    style: list[str] = []
    body = rng.choice(("政协", "人大"))
    region = rng.choice(list(REGIONS))
    city, level, area, prefix = REGIONS[region]
    style.append(f"{body}/{level}")
    term = rng.choice((7, 8, 9)) if body == "政协" else rng.choice((15, 16, 17, 18))
    meeting = rng.randint(1, 5)
    year = 2020 + meeting
    unit_type, short = rng.choice(UNIT_TYPES)
    issuer = region + unit_type
    while True:
        seq = rng.randint(1, 650)
        printed_number, number = number_and_item(rng, body, seq, year, style)
        identity = (body, region, term, meeting, number_key(number))
        if identity not in used:
            used.add(identity)
            break
        del style[-1]
    title = proposal_title(rng, body, level)
    session = session_text(rng, body, region, level, term, meeting, style)
    reply_date = dt.date(year, rng.randint(4, 10), rng.randint(1, 28))
    truth: dict = {
        "body": body, "region": region, "term": term, "meeting": meeting, "proposal_number": number,
        "title": title, "reply_date": reply_date.isoformat(), "issuer": None, "signed_by": issuer,
        "doc_number": None, "classification": None, "leader": None, "handlers": [], "phones": [],
        "lead_unit": None, "co_units": [],
    }
    lines: list[str] = []

    # -- header: the issuing unit, the doc number, the class
    header = rng.choice(["unit", "unit", "file", "none"])
    style.append(f"header={header}")
    if header == "unit":
        lines.append(issuer)
    elif header == "file":
        lines.append(issuer + "文件")
    if header != "none":
        truth["issuer"] = issuer
    doc_number = None
    if rng.random() < 0.55:
        doc_number = f"{prefix}{short}{rng.choice(['函', '发', '字', '复'])}〔{year}〕{rng.randint(1, 160)}号"
        truth["doc_number"] = doc_number
    klass = rng.choice("ABCD")
    where = rng.choice(["top", "top", "glued", "bottom", "label", "none", "none"])
    if where == "glued" and doc_number is None:
        where = "top"
    style.append(f"class={where}")
    if where != "none":
        truth["classification"] = klass
    class_line = rng.choice([f"{klass}类", f"{klass} 类", f"（{klass}类）", f"【{klass}类】"])
    if doc_number:
        lines.append(doc_number + (f"    {klass}类" if where == "glued" else ""))
    if where == "top":
        lines.append(class_line)

    # -- the reply's title
    form = rng.choice(["plain", "plain", "issuer", "two-lines", "dui", "fuhan", "quoted"])
    if form == "issuer" and header == "none":
        truth["issuer"] = issuer  # the unit named before 关于
    style.append(f"title={form}")
    num_phrase = f"第{printed_number}"
    if form == "plain":
        lines.append(f"关于{session}{num_phrase}的答复")
    elif form == "issuer":
        lines.append(f"{issuer}关于{session}{num_phrase}的答复")
    elif form == "two-lines":
        lines += [f"关于{session}{num_phrase}", "的答复"]
    elif form == "dui":
        lines.append(f"关于对{session}{num_phrase}的答复")
    elif form == "fuhan":
        lines.append(f"关于{session}{num_phrase}的复函")
    else:
        lines.append(f"关于对{session}{num_phrase}《{title}》的答复")
    opening = rng.randrange(6)
    if opening == 5 and form != "quoted":
        # the first paragraph does not name the proposal: only a line of its own under the
        # reply's title does, or nothing at all (then the title is not in the letter)
        if rng.random() < 0.5:
            lines.append(rng.choice([title, f"《{title}》"]))
        else:
            truth["title"] = None

    # -- 主办/协办 lines, under the title or above the signature
    unit_lines: list[str] = []
    units_at = rng.choice(["none", "none", "none", "header", "footer"])
    if units_at != "none":
        others = [region + t for t, _ in rng.sample(UNIT_TYPES, 3) if region + t != issuer]
        if rng.random() < 0.8:
            lead, co = issuer, others[: rng.randint(1, 2)]
        else:
            lead, co = others[0], [issuer] + others[1:2]
        truth["lead_unit"], truth["co_units"] = lead, co
        sep = rng.choice(["、", "，"])
        labels = rng.choice([("主办单位", "协办单位"), ("主办", "协办"), ("主办单位", "会办单位")])
        colon = rng.choice(["：", ":"])
        if rng.random() < 0.5:
            unit_lines = [f"{labels[0]}{colon}{lead}", f"{labels[1]}{colon}{sep.join(co)}"]
        else:
            unit_lines = [f"{labels[0]}{colon}{lead}    {labels[1]}{colon}{sep.join(co)}"]
        style.append(f"units={units_at}")
    if units_at == "header":
        lines += unit_lines

    # -- salutation and first paragraph
    kind = rng.random()
    if body == "政协" and kind < 0.35:
        org = rng.choice([city, region])
        name = rng.choice(PARTIES) + org + rng.choice(["委会", "委员会"] if org == city else ["支社", "总支", "委员会"])
        salutation, proposer = name, name
        you = "贵单位"
    elif kind < 0.6:
        name = person(rng)
        word = "委员" if body == "政协" else "代表"
        salutation, proposer = (rng.choice(["", "尊敬的"]) + name + word), name
        you = "您"
    elif kind < 0.8:
        name = person(rng)
        word = "委员" if body == "政协" else "代表"
        proposer = f"{name}等{rng.randint(2, 12)}位{word}"
        salutation, you = proposer, "你们"
    else:
        names = [person(rng) for _ in range(2)]
        word = "委员" if body == "政协" else "代表"
        proposer = "、".join(names)
        salutation, you = proposer + word, "你们"
    truth["proposer"] = proposer
    lines.append(salutation + rng.choice(["：", ":"]))
    style.append(f"open={opening}")
    short_session = session_text(rng, body, region, level, term, meeting, []) if rng.random() < 0.5 else session
    if opening == 0:
        first = f"{you}提出的《{title}》收悉，现答复如下："
    elif opening == 1:
        first = f"《{title}》收悉，现就有关情况答复如下："
    elif opening == 2:
        first = f"{you}在{short_session}上提出的“{title}”收悉，经我局认真研究，现答复如下："
    elif opening == 3:
        first = f"{you}在{short_session}期间提出的{title}收悉。经认真研究，现答复如下："
    elif opening == 4:
        first = f"{you}领衔提出的第{rng.choice(['', ' '])}{number}号《{title}》已收悉，现答复如下："
    else:
        first = f"{you}提出的{'提案' if body == '政协' else '建议'}收悉。经认真研究，现答复如下："
    lines.append(first)

    # -- body paragraphs with headings, stray spaces and a page break in mid-sentence
    paragraphs: list[str] = []
    page = 2
    for i in range(rng.randint(5, 11) * (3 if rng.random() < 0.1 else 1)):  # seeds: 2,000–2,500 characters
        if rng.random() < 0.4:
            paragraphs.append(HEADINGS[i % len(HEADINGS)])
        para = "".join(
            rng.choice(FILLER).format(lv=level, area=rng.choice(AREAS), n1=rng.randint(10, 999),
                                      n2=rng.randint(1, 99), n3=rng.randint(2, 60))
            for _ in range(rng.randint(3, 7))
        )
        para = spaced(rng, para)
        if rng.random() < 0.35:
            cut = rng.randrange(10, len(para) - 5)
            para = para[:cut] + page_break(rng, page) + para[cut:]
            page += 1
        paragraphs.append(("\u3000\u3000" if rng.random() < 0.3 else "") + para)
    lines += paragraphs
    lines.append(f"感谢{you}对我{level}{rng.choice(AREAS)}工作的关心和支持，欢迎今后提出更多宝贵意见。")
    if rng.random() < 0.4:
        lines += ["此致", "敬礼"]
    if where == "label":
        footer_class = [f"办理类别{rng.choice(['：', ':'])}{klass}类"]
    else:
        footer_class = []

    # -- handlers, phones, leader
    handlers = [person(rng) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
    kinds = rng.choice([["office"], ["office"], ["mobile"], ["local"], ["office", "mobile"], ["office", "office"],
                        ["office", "mobile", "mobile"]])
    phones = [phone(rng, area, k) for k in kinds]
    truth["handlers"], truth["phones"] = handlers, phones
    colon = rng.choice(["：", ":"])
    sep = rng.choice(["、", " ", "，"])
    leader_label = rng.choice(["负责人", "签发人", "分管领导", "承办负责人"])
    leader = person(rng) if rng.random() < 0.6 else None
    truth["leader"] = leader
    handler_label = rng.choice(["承办人", "承办人员", "联系人", "经办人", "具体承办人"])
    phone_label = rng.choice(["联系电话", "电话", "联系方式", "办公电话"])
    phone_text = rng.choice(["，", " ", "、", " / "]).join(spaced_phone(rng, p) for p in phones)
    block = rng.randrange(4)
    style.append(f"contacts={block}")
    leader_line = f"{leader_label}{colon}{leader or ''}" if (leader or rng.random() < 0.5) else None
    if block == 0:  # one label a line (seeds)
        contact_lines = [x for x in (leader_line, f"{handler_label}{colon}{sep.join(handlers)}",
                                     f"{phone_label}{colon}{phone_text}") if x]
    elif block == 1:  # all on one line, spaced
        contact_lines = ["    ".join(x for x in (leader_line, f"{handler_label}{colon}{sep.join(handlers)}",
                                                  f"{phone_label}{colon}{phone_text}") if x)]
    elif block == 2:  # 联系人及电话：name phone
        contact_lines = [x for x in (leader_line, f"联系人及电话{colon}{sep.join(handlers)} {phone_text}") if x]
    else:  # office phone and mobile under their own labels
        remark = rng.choice(["办公室", "综合科", "规划科"])
        contact_lines = [x for x in (leader_line, f"{handler_label}{colon}{sep.join(handlers)}（{remark}）") if x]
        first_phone, rest = phones[0], phones[1:]
        contact_lines.append(f"{phone_label}{colon}{spaced_phone(rng, first_phone)}"
                             + (f"；手机{colon}{'、'.join(rest)}" if rest else ""))

    # -- signature: unit, date (Arabic or Chinese numerals), contacts before or after
    date_text = rng.choice([f"{reply_date.year}年{reply_date.month}月{reply_date.day}日", cn_date(reply_date),
                            f"{reply_date.year} 年 {reply_date.month} 月 {reply_date.day} 日"])
    style.append("date=" + ("cn" if "〇" in date_text else "arabic"))
    after = rng.random() < 0.3
    style.append("contacts-after-date" if after else "contacts-before")
    if rng.random() < 0.2:
        lines.append(page_break(rng, page).strip("\n") or "")
    if units_at == "footer":
        lines += unit_lines
    lines += footer_class
    if not after:
        lines += contact_lines
    if where == "bottom":
        lines.append(class_line)
    signer = issuer
    if unit_type == "发展改革和科技局" and rng.random() < 0.5:
        signer = region + "发展和改革委员会"  # the unit's former name at the bottom (seed TA0010)
        truth["signed_by"] = signer
        style.append("signed-other-name")
    if rng.random() < 0.1:
        lines.append(f"{signer}    {date_text}")
    else:
        lines += [signer, date_text]
    if rng.random() < 0.2:
        lines.append(rng.choice(["（此件公开发布）", "（盖章）"]))
    if after:
        lines += contact_lines
    if rng.random() < 0.2:
        lines.append(f"抄送：{level}{body}{'提案委' if body == '政协' else '人代工委'}")

    gap = rng.choice(["\n\n", "\n\n", "\n"])
    text = "\n\n\n" + gap.join(line for line in lines if line is not None) + "\n"
    encoding = "utf-8"
    if rng.random() < 0.08:
        style.append("traditional")
        text = to_trad(text)
        # The parser outputs every field as printed (the importer matches on its Simplified copy).
        for key, value in truth.items():
            if key != "body" and isinstance(value, str):
                truth[key] = to_trad(value)
            elif isinstance(value, list):
                truth[key] = [to_trad(x) for x in value]
    elif rng.random() < 0.33:
        encoding = "gb18030"
        style.append("gb18030")
    return Letter(text, truth, style, encoding)


def make_letters(n: int, seed: int) -> list[Letter]:
    rng = random.Random(seed)
    used: set = set()
    return [make_letter(rng, used) for _ in range(n)]


# ----------------------------------------------------------------------------- letter formats

def docx_bytes(letter: Letter, rng: random.Random) -> bytes:
    """Each line a paragraph (a page break where the text has one); label lines in a table half
    the time, as many offices type them."""
    import docx
    from docx.enum.text import WD_BREAK

    d = docx.Document()
    table_rows: list[tuple[str, str]] = []
    use_table = rng.random() < 0.5
    for line in letter.text.split("\n"):
        if "\x0c" in line:
            d.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
            line = line.replace("\x0c", "")
        if not line.strip():
            continue
        match = re.match(r"^(负责人|签发人|分管领导|承办负责人|承办人员?|具体承办人|联系人|经办人|联系电话|电话|"
                         r"联系方式|办公电话|办理类别)[：:](.*)$", line)
        if use_table and match and "    " not in line:
            table_rows.append((match.group(1), match.group(2)))
            continue
        if table_rows:
            _flush_table(d, table_rows)
        d.add_paragraph(line)
    if table_rows:
        _flush_table(d, table_rows)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()


def _flush_table(d, rows: list[tuple[str, str]]) -> None:
    table = d.add_table(rows=len(rows), cols=2)
    for i, (label, value) in enumerate(rows):
        table.cell(i, 0).text = label
        table.cell(i, 1).text = value
    rows.clear()


_PDF_FONT = None


def pdf_bytes(letter: Letter) -> bytes:
    """A4, 12 pt STSong, about 36 characters a line: long lines wrap as Word would print them."""
    global _PDF_FONT
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if _PDF_FONT is None:
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
        _PDF_FONT = "STSong-Light"
    out = io.BytesIO()
    c = canvas.Canvas(out, pagesize=A4)
    c.setFont(_PDF_FONT, 12)
    top, bottom, width = 770, 60, 36
    y = top
    for line in letter.text.split("\n"):
        if "\x0c" in line:
            c.showPage()
            c.setFont(_PDF_FONT, 12)
            y = top
            line = line.replace("\x0c", "")
        if not line.strip():
            y -= 8
            continue
        while line:
            cut = width
            if len(line) > width and re.match(r"[0-9A-Za-z]{2}", line[width - 1: width + 1]):
                # Word does not break a run of digits or letters: move it to the next line
                run = re.search(r"[0-9A-Za-z.\-]+$", line[:width])
                cut = run.start() if run and run.start() > 0 else width
            chunk, line = line[:cut], line[cut:]
            c.drawString(72, y, chunk)
            y -= 18
            if y < bottom:
                c.showPage()
                c.setFont(_PDF_FONT, 12)
                y = top
    c.save()
    return out.getvalue()


# ----------------------------------------------------------------------------- accuracy

def _norm(key: str, value):
    if value is None or value == []:
        return None
    if key == "phones":
        return [re.sub(r"\D", "", p) for p in value]
    if isinstance(value, list):
        return [re.sub(r"\s", "", v) for v in value]
    if isinstance(value, str):
        return re.sub(r"\s", "", value)
    return value


@dataclass
class Accuracy:
    right: dict[str, int] = field(default_factory=lambda: {k: 0 for k in FIELDS})
    letters: int = 0
    perfect: int = 0
    misses: dict[str, list[str]] = field(default_factory=dict)

    def add(self, index: int, letter: Letter, parsed: dict) -> None:
        self.letters += 1
        ok_all = True
        for key in FIELDS:
            want, got = _norm(key, letter.truth[key]), _norm(key, parsed.get(key))
            if want == got:
                self.right[key] += 1
            else:
                ok_all = False
                self.misses.setdefault(key, []).append(
                    f"#{index} [{' '.join(letter.style)}] want {letter.truth[key]!r} got {parsed.get(key)!r}")
        self.perfect += ok_all

    def rate(self, key: str) -> float:
        return self.right[key] / self.letters if self.letters else 0.0

    def overall(self) -> float:
        return sum(self.right.values()) / (self.letters * len(FIELDS)) if self.letters else 0.0


# ----------------------------------------------------------------------------- assignment list

LIST_REGION = "晋城市"
LIST_HEADERS = {  # column → header synonyms (one picked per file)
    "serial": ["序号"],
    "number": ["提案号", "提案编号", "案号", "编号"],
    "title": ["案由", "提案题目", "标题", "提案标题"],
    "proposer": ["提案人", "领衔人", "提出人", "提案者"],
    "lead_unit": ["主办单位", "承办单位", "责任单位", "牵头单位"],
    "co_units": ["协办单位", "会办单位", "配合单位"],
    "assigned_date": ["交办日期", "交办时间"],
    "due_date": ["办理期限", "办结时限", "截止日期"],
    "handlers": ["承办人", "联系人", "经办人"],
    "office": ["联系电话", "办公电话"],
    "mobile": ["手机", "手机号码"],
    "complex": ["是否重点", "重点提案", "是否复杂"],
    "note": ["备注"],
}
EXCEL_EPOCH = dt.date(1899, 12, 30)


@dataclass
class ListRow:
    seq: int
    cells: list
    truth: dict | None  # None for a deliberately bad row


def date_cell(rng: random.Random, d: dt.date):
    form = rng.randrange(8)
    if form == 0:
        return dt.datetime(d.year, d.month, d.day)  # a real date cell
    if form == 1:
        return d.isoformat()
    if form == 2:
        return f"{d.year}/{d.month}/{d.day}"
    if form == 3:
        return f"{d.year}.{d.month}.{d.day}"
    if form == 4:
        return f"{d.year}年{d.month}月{d.day}日"
    if form == 5:
        return (d - EXCEL_EPOCH).days  # Excel serial number
    if form == 6:
        return int(d.strftime("%Y%m%d"))  # 20240315 typed as a number
    return str((d - EXCEL_EPOCH).days)  # a serial exported as text


def make_list_rows(n: int, seed: int) -> tuple[list[ListRow], dict]:
    rng = random.Random(seed * 31 + 5)
    units = [LIST_REGION + t for t, _ in UNIT_TYPES[:20]]
    staff = {u: [person(rng) for _ in range(rng.randint(2, 4))] for u in units}
    phones = {}
    for u, names in staff.items():
        for name in names:
            phones[(name, u)] = (phone(rng, "0356", "office"), phone(rng, "0356", "mobile"))
    meeting_day = dt.date(2024, 3, 1)
    rows: list[ListRow] = []
    for seq in range(1, n + 1):
        body_choice = rng.random()
        number_cell = seq if body_choice < 0.4 else (f"{seq:04d}" if body_choice < 0.8 else f" {seq} ")
        title = proposal_title(rng, "政协")
        proposer = person(rng) if rng.random() < 0.7 else rng.choice(PARTIES) + "晋城市委会"
        lead = rng.choice(units)
        co = [u for u in rng.sample(units, rng.choice((0, 0, 1, 2))) if u != lead]
        handlers = rng.sample(staff[lead], rng.choice((1, 1, 2)))
        office, mobile = phones[(handlers[0], lead)]
        assigned = meeting_day + dt.timedelta(days=rng.randint(10, 40))
        due = assigned + dt.timedelta(days=rng.choice((90, 91, 92, 180))) if rng.random() < 0.8 else None
        complex_ = rng.random() < 0.1
        cells = [
            seq, number_cell, title, proposer, lead, rng.choice(["、", "，", ";"]).join(co),
            date_cell(rng, assigned), date_cell(rng, due) if due else None,
            rng.choice(["、", " ", "，"]).join(handlers), office,
            int(mobile) if rng.random() < 0.5 else mobile,
            rng.choice(["是", "√"]) if complex_ else rng.choice(["否", "", None]),
            rng.choice(["", "", "", "需会商", "跨部门"]),
        ]
        truth = {
            "number": str(seq), "title": title, "proposer": proposer, "lead_unit": lead, "co_units": co,
            "assigned_date": assigned.isoformat(), "due_date": due.isoformat() if due else None,
            "complex": complex_, "handlers": handlers,
        }
        if seq % 500 == 17:  # a bad row: its problem is reported, the other rows still import
            problem = rng.randrange(3)
            if problem == 0:
                cells[2] = None  # no title
            elif problem == 1:
                cells[7] = "明年春天"  # an unreadable date
            else:
                cells[6], cells[7] = "2024-06-01", "2024-05-01"  # due before assigned
            truth = None
        rows.append(ListRow(seq, cells, truth))
    meta = {"region": LIST_REGION, "body": "政协", "term": 8, "meeting": 3,
            "headers": {col: rng.choice(names) for col, names in LIST_HEADERS.items()}}
    return rows, meta


def list_xlsx(rows: list[ListRow], meta: dict) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "交办清单"
    sheet.append([f"2024年{meta['region']}政协{cn_num(meta['term'])}届{cn_num(meta['meeting'])}次会议提案交办清单"])
    sheet.append(["制表单位：晋城市政协提案委员会", None, None, None, None, None, None, "制表日期：2024年3月1日"])
    header = [meta["headers"][col] for col in LIST_HEADERS]
    sheet.append(header)
    sheet.append(["一、重点提案"])
    for i, row in enumerate(rows):
        if i and i % 2000 == 0:
            sheet.append(header)  # the header repeated at a page break of an exported list
        if i == len(rows) // 2:
            sheet.append(["二、一般提案"])
        sheet.append(row.cells)
    sheet.append(["合计", f"{len(rows)}件"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def check_rows(repo: Repository, rows: list[ListRow], meta: dict) -> tuple[int, int, list[str]]:
    """(rows checked, rows exactly as generated, a few differences)."""
    good = exact = 0
    problems: list[str] = []
    for row in rows:
        t = row.truth
        if t is None:
            continue
        good += 1
        p = repo.find_proposal((meta["body"], meta["region"], meta["term"], meta["meeting"], number_key(t["number"])))
        if p is None:
            problems.append(f"row {row.seq}: not found")
            continue
        names = [c.name for c in repo.contacts_by_id(p.handlers)]
        got = {"title": p.title, "proposer": p.proposer, "lead_unit": p.lead_unit, "co_units": p.co_units,
               "assigned_date": p.assigned_date, "due_date": p.due_date, "complex": p.complex, "handlers": names}
        diff = {k: (t[k], got[k]) for k in got if t[k] != got[k]}
        if diff:
            problems.append(f"row {row.seq}: {diff}")
        else:
            exact += 1
    return good, exact, problems[:5]


# ----------------------------------------------------------------------------- running

CONFIG = '[storage]\ndatabase = "bench.json"\n[access]\nadmins = [1]\n'


def timed(fn):
    t0 = time.perf_counter()
    result = fn()
    return time.perf_counter() - t0, result


def fresh_repo(folder: Path, name: str) -> Repository:
    path = folder / name / "proposals.json"
    path.parent.mkdir(parents=True)
    return Repository(path)


def stored_content(path: Path) -> dict:
    """The database's records, without the time each event was recorded (two runs differ there)."""
    data = json.loads(path.read_bytes())
    for doc in data.get("events", {}).values():
        doc.pop("recorded_at", None)
    return data


def file_state(path: Path) -> tuple:
    return (path.stat().st_mtime_ns, hashlib.sha256(path.read_bytes()).hexdigest())


def run(letters: int = 3000, rows: int = 10_000, formats: int = 200, baseline_rows: int = 300,
        seed: int = 1, out: Path | None = None, show: int = 3) -> dict:
    """Run every measurement, print the figures table, return the figures."""
    own_tmp = None
    if out is None:
        own_tmp = tempfile.TemporaryDirectory(prefix="bench-import-")
        folder = Path(own_tmp.name)
    else:
        Path(out).mkdir(parents=True, exist_ok=True)
        folder = Path(tempfile.mkdtemp(prefix=f"import-{letters}-{rows}-", dir=out))
    try:
        return _run(folder, letters, rows, formats, baseline_rows, seed, show)
    finally:
        if own_tmp is not None:
            own_tmp.cleanup()


def _run(folder: Path, n_letters: int, n_rows: int, n_formats: int, baseline_rows: int, seed: int, show: int) -> dict:
    (folder / "config.toml").write_text(CONFIG, encoding="utf-8")
    config = load_config(folder / "config.toml")
    f: dict = {"letters": n_letters, "rows": n_rows, "cores": os.cpu_count(), "python": platform.python_version()}

    # -- letters: generate, parse (text, .txt bytes), accuracy
    gen_s, letters = timed(lambda: make_letters(n_letters, seed))
    f["letters_gen_s"] = gen_s
    text_s, _ = timed(lambda: [parse_letter(x.text) for x in letters])
    payloads = [x.data() for x in letters]
    txt_s, parsed = timed(lambda: [parse_letter_bytes(data, "reply.txt") for data in payloads])
    accuracy = Accuracy()
    for i, (letter, result) in enumerate(zip(letters, parsed)):
        accuracy.add(i, letter, result)
    f.update(parse_text_s=text_s, parse_txt_s=txt_s,
             parse_text_per_s=n_letters / text_s if text_s else 0.0,
             parse_txt_per_s=n_letters / txt_s if txt_s else 0.0,
             accuracy={k: accuracy.rate(k) for k in FIELDS}, accuracy_overall=accuracy.overall(),
             letters_perfect=accuracy.perfect, misses={k: v[:show] for k, v in accuracy.misses.items()},
             miss_counts={k: len(v) for k, v in accuracy.misses.items()})

    # -- formats: the same sample as .txt, .docx, .pdf (built in memory, building not timed)
    rng = random.Random(seed + 99)
    sample = sorted(rng.sample(range(n_letters), min(n_formats, n_letters)))
    chosen = [letters[i] for i in sample]
    build_docx_s, docx_files = timed(lambda: [docx_bytes(x, rng) for x in chosen])
    build_pdf_s, pdf_files = timed(lambda: [pdf_bytes(x) for x in chosen])
    formats: dict[str, dict] = {}
    for name, files in (("txt", [payloads[i] for i in sample]), ("docx", docx_files), ("pdf", pdf_files)):
        seconds, results = timed(lambda files=files, name=name: [parse_letter_bytes(d, f"reply.{name}") for d in files])
        acc = Accuracy()
        for i, letter, result in zip(sample, chosen, results):
            acc.add(i, letter, result)
        formats[name] = {"n": len(files), "s": seconds, "per_s": len(files) / seconds if seconds else 0.0,
                         "accuracy": acc.overall(), "perfect": acc.perfect,
                         "bytes": sum(len(d) for d in files) // max(1, len(files)),
                         "misses": {k: v[:show] for k, v in acc.misses.items()}}
    f["formats"] = formats
    f["formats_build_s"] = {"docx": build_docx_s, "pdf": build_pdf_s}

    # -- import the letters: a folder of .txt files, one write for the run
    letter_dir = folder / "letters"
    letter_dir.mkdir()
    for i, (letter, data) in enumerate(zip(letters, payloads)):
        (letter_dir / f"reply-{i:05d}.txt").write_bytes(data)
    repo = fresh_repo(folder, "letters-db")
    seconds, report = timed(lambda: Importer(repo, config).import_paths([letter_dir]))
    totals = report.totals()
    f["letters_import"] = {
        "s": seconds, "per_s": n_letters / seconds if seconds else 0.0, "files": len(report.files),
        "failed": len(report.failed), "proposals": totals["proposals"], "replies": totals["replies"],
        "contacts": totals["contacts"], "stored_proposals": len(repo.proposals()),
        "stored_replies": len(repo.all(Reply)), "db_bytes": repo.path.stat().st_size,
        # a letter issued by one of the item's co-units is that unit's opinion, not a reply
        "opinions": sum(e.kind == EV_CO_UNIT_OPINION for e in repo.all(Event)),
        "expected_opinions": sum(x.truth["signed_by"] in x.truth["co_units"] for x in letters),
        "distinct_identities": len({x.identity for x in letters}),
        "failures": [f"{Path(r.name).name}: {r.error}" for r in report.failed[:show]],
    }
    repo.close()

    # -- the assignment list
    list_rows, meta = make_list_rows(n_rows, seed)
    build_s, xlsx = timed(lambda: list_xlsx(list_rows, meta))
    bad = sum(r.truth is None for r in list_rows)
    good_rows = [r for r in list_rows if r.truth]
    pairs = {(name, r.truth["lead_unit"]) for r in good_rows for name in r.truth["handlers"]}
    table_s, table = timed(lambda: read_table(xlsx, "交办清单.xlsx"))
    repo = fresh_repo(folder, "list-db")
    importer = Importer(repo, config)

    def batched(importer=importer, repo=repo, data=xlsx):
        with repo.batch():
            return importer.import_bytes(data, "交办清单.xlsx")

    first_s, first = timed(batched)
    before = file_state(repo.path)
    again_s, again = timed(batched)
    after = file_state(repo.path)
    good, exact, problems = check_rows(repo, list_rows, meta)
    f["list"] = {
        "rows": n_rows, "bad_rows": bad, "xlsx_bytes": len(xlsx), "build_s": build_s, "read_table_s": table_s,
        "read_table_rows": len(table.rows), "read_table_errors": len(table.errors),
        "s": first_s, "rows_per_s": n_rows / first_s if first_s else 0.0, "error": first.error,
        "created": first.counts["proposals"]["created"], "skipped": len(first.skipped),
        "contacts_created": first.counts["contacts"]["created"],
        "contacts_updated": first.counts["contacts"]["updated"],
        "expected_created": len(good_rows), "expected_skipped": bad, "expected_contacts": len(pairs),
        "rows_checked": good, "rows_exact": exact, "row_problems": problems,
        "reimport_s": again_s, "reimport_changed": again.changed,
        "reimport_unchanged": again.counts["proposals"]["unchanged"], "reimport_file_untouched": before == after,
        "db_bytes": repo.path.stat().st_size, "stored_proposals": len(repo.proposals()),
        "stored_contacts": len(repo.contacts()), "warnings": first.warnings[:show],
    }
    repo.close()

    # -- baseline: one write per record against one write per batch, the same first K rows
    k = min(baseline_rows, n_rows)
    small = list_xlsx(list_rows[:k], meta)
    repo_a = fresh_repo(folder, "baseline-batched")
    batched_s, rep_a = timed(lambda: batched(Importer(repo_a, config), repo_a, small))
    repo_b = fresh_repo(folder, "baseline-unbatched")
    unbatched_s, rep_b = timed(lambda: Importer(repo_b, config).import_bytes(small, "交办清单.xlsx"))
    f["baseline"] = {
        "rows": k, "batched_s": batched_s, "unbatched_s": unbatched_s,
        "ratio": unbatched_s / batched_s if batched_s else 0.0,
        "same_result": rep_a.counts == rep_b.counts and stored_content(repo_a.path) == stored_content(repo_b.path),
    }
    repo_a.close()
    repo_b.close()
    report_figures(f)
    return f


def report_figures(f: dict) -> None:
    L, B, fm = f["list"], f["baseline"], f["formats"]
    li = f["letters_import"]
    print(f"Import bench: {f['letters']:,} letters, {f['rows']:,}-row list "
          f"({f['cores']} cores, Python {f['python']})")
    rows = [
        ("parse_letter, text in memory", f"{f['letters']:,}", f"{f['parse_text_s']:.2f}",
         f"{f['parse_text_per_s']:,.0f} letters/s", ""),
        ("parse_letter_bytes, .txt (⅓ GB18030)", f"{f['letters']:,}", f"{f['parse_txt_s']:.2f}",
         f"{f['parse_txt_per_s']:,.0f} letters/s", f"goal ≥ {GOALS['letters_per_s']:.0f}/s"),
    ]
    base = fm["txt"]["per_s"] or 1.0
    for name in ("txt", "docx", "pdf"):
        x = fm[name]
        rows.append((f"  same sample as .{name} ({x['bytes'] / 1024:.1f} KB each)", f"{x['n']:,}", f"{x['s']:.2f}",
                     f"{x['per_s']:,.0f} letters/s",
                     "baseline" if name == "txt" else f"{x['per_s'] / base:.2f}× of .txt"))
    rows.append(("import_paths, folder of .txt, 1 write", f"{li['files']:,}", f"{li['s']:.2f}",
                 f"{li['per_s']:,.0f} letters/s", ""))
    rows += [
        ("list: read_table (.xlsx → rows)", f"{L['rows']:,}", f"{L['read_table_s']:.2f}",
         f"{L['rows'] / L['read_table_s'] if L['read_table_s'] else 0:,.0f} rows/s", ""),
        ("list: import_bytes in batch, fresh db", f"{L['rows']:,}", f"{L['s']:.2f}",
         f"{L['rows_per_s']:,.0f} rows/s", f"goal < {GOALS['rows_s']:.0f} s"),
        ("list: same file again (no change)", f"{L['rows']:,}", f"{L['reimport_s']:.2f}",
         f"{L['rows'] / L['reimport_s'] if L['reimport_s'] else 0:,.0f} rows/s", ""),
        (f"baseline: first {B['rows']:,} rows, 1 write/record", f"{B['rows']:,}", f"{B['unbatched_s']:.2f}",
         f"{B['rows'] / B['unbatched_s'] if B['unbatched_s'] else 0:,.0f} rows/s", ""),
        (f"  same {B['rows']:,} rows batched", f"{B['rows']:,}", f"{B['batched_s']:.2f}",
         f"{B['rows'] / B['batched_s'] if B['batched_s'] else 0:,.0f} rows/s", f"{B['ratio']:.0f}× faster"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"  {'':<{width}}  {'n':>7}  {'seconds':>7}  {'rate':>18}  vs")
    for label, n, s, rate, note in rows:
        print(f"  {label:<{width}}  {n:>7}  {s:>7}  {rate:>18}  {note}")

    print(f"Letters: generated in {f['letters_gen_s']:.1f}s; .docx built in {f['formats_build_s']['docx']:.1f}s, "
          f".pdf in {f['formats_build_s']['pdf']:.1f}s (not timed above)")
    print(f"  imported: {li['files']:,} files, {li['failed']} failed; proposals created "
          f"{li['proposals']['created']:,} (updated {li['proposals']['updated']}), replies created "
          f"{li['replies']['created']:,}, co-unit opinions {li['opinions']:,}, contacts created {li['contacts']['created']:,}; "
          f"{li['distinct_identities']:,} distinct proposals generated; db {li['db_bytes'] / 1e6:.1f} MB")
    for line in li["failures"]:
        print(f"    failed: {line}")
    print(f"  field accuracy (.txt, {f['letters']:,} letters): {f['accuracy_overall']:.1%} of fields, "
          f"{f['letters_perfect']:,}/{f['letters']:,} letters with every field right")
    cells = [f"{k} {v:.1%}" for k, v in f["accuracy"].items()]
    for i in range(0, len(cells), 6):
        print("    " + ", ".join(cells[i:i + 6]))
    print("  by format (same sample): " + ", ".join(
        f".{name} {x['accuracy']:.1%} ({x['perfect']}/{x['n']} perfect)" for name, x in fm.items()))
    if f["misses"]:
        print("  misparses (first few per field):")
        for key, examples in f["misses"].items():
            print(f"    {key}: {f['miss_counts'][key]} letters")
            for example in examples:
                print(f"      {example}")
    for name in ("docx", "pdf"):
        extra = {k: v for k, v in fm[name]["misses"].items() if k not in f["misses"]}
        for key, examples in extra.items():
            print(f"  .{name} only, {key}: {examples[0]}")

    counts_ok = (L["created"] == L["expected_created"] and L["skipped"] == L["expected_skipped"]
                 and L["contacts_created"] == L["expected_contacts"])
    print(f"List: {L['rows']:,} rows ({L['bad_rows']} bad on purpose), .xlsx {L['xlsx_bytes'] / 1e6:.1f} MB "
          f"built in {L['build_s']:.1f}s")
    print(f"  proposals created {L['created']:,} (expected {L['expected_created']:,}), rows skipped "
          f"{L['skipped']} (expected {L['expected_skipped']}), contacts created {L['contacts_created']} "
          f"(expected {L['expected_contacts']}), updated {L['contacts_updated']}: "
          f"{'counts right' if counts_ok else 'COUNTS WRONG'}")
    print(f"  rows stored exactly as generated: {L['rows_exact']:,}/{L['rows_checked']:,}")
    for line in L["row_problems"]:
        print(f"    {line}")
    print(f"  re-import: {L['reimport_unchanged']:,} unchanged, changed: {L['reimport_changed']}, "
          f"file untouched: {L['reimport_file_untouched']}")
    print(f"  database file: {L['db_bytes'] / 1e6:.2f} MB ({L['stored_proposals']:,} proposals, "
          f"{L['stored_contacts']} contacts)")
    print(f"  baseline and batched give the same database: {B['same_result']}")
    ok_parse = f["parse_txt_per_s"] >= GOALS["letters_per_s"]
    ok_list = L["s"] < GOALS["rows_s"]
    print(f"goals: parse ≥ {GOALS['letters_per_s']:.0f} letters/s: {'OK' if ok_parse else 'TOO SLOW'}; "
          f"{L['rows']:,}-row list < {GOALS['rows_s']:.0f} s: {'OK' if ok_list else 'TOO SLOW'}")
    slow = [f"{label} {rate:,.0f}/s" for label, rate in (
        (".docx parse", fm["docx"]["per_s"]), (".pdf parse", fm["pdf"]["per_s"]),
        ("import_paths of .txt", li["per_s"])) if rate < GOALS["letters_per_s"]]
    if slow:
        print(f"  below {GOALS['letters_per_s']:.0f} letters/s: " + ", ".join(slow))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=3000, help="reply letters to generate and parse")
    parser.add_argument("--rows", type=int, default=10_000, help="rows of the assignment list")
    parser.add_argument("--formats", type=int, default=200, help="letters also parsed as .docx and .pdf")
    parser.add_argument("--baseline-rows", type=int, default=300, help="rows imported with one write per record")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--show", type=int, default=3, help="misparse examples per field")
    parser.add_argument("--out", type=Path, help="keep the generated files here (default: a temp folder)")
    args = parser.parse_args(argv)
    logging.getLogger("bot.importer").setLevel(logging.ERROR)  # failed files are counted and listed
    if min(args.letters, args.rows, args.formats, args.baseline_rows) < 1:
        parser.error("sizes must be at least 1")
    run(args.letters, args.rows, args.formats, args.baseline_rows, args.seed, args.out, args.show)
    return 0


if __name__ == "__main__":
    sys.exit(main())
