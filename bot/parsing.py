"""Parse one reply letter (答复 / 复函) into the glossary's fields.

``parse_letter(text)`` returns a dict with exactly the keys in ``LETTER_KEYS`` plus four extras
(``proposers``: the individual names in the salutation; ``split_units``: units of a 分办 line;
``conflicts``: field → the differing values the letter prints, when it contradicts itself;
``simplified``: for a letter in Traditional characters, the Simplified copy of the fields that
are matched against proposals and units, see ``for_matching``). Every field is as printed.
A field the letter does not state is None (or []); nothing is guessed. What could not be read
or does not agree is said in ``warnings`` (Chinese). It never raises and caps its work on huge
inputs.

``parse_letter_bytes(data, filename)`` reads the file first (``bot.documents.read_text``) and adds
``text_hash``, the letter's identity whatever its file name or format (``text_hash``), and
``opinion_marker`` when its heading calls it a co-unit's opinion (``opinion_marker``).

The parser is a pipeline of named steps (``PIPELINE``), each filling in its part of the result
from what the earlier ones found. Matching runs on a keyword copy of the text in which common
Traditional characters are mapped to Simplified (one character for one, so positions line up);
values are cut from the text as printed.

Text taken from a PDF is wrapped at the page width: when many lines share one longest length,
a line is joined to the next when the next line's first word would not have fitted at its end
(``_unwrap``), and a value carried on the next line (a phone list, the rest of a unit name, a
label's colon) is joined to its label even without a page width (``_continues``).

Pure core module: no telegram, no tinydb.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date

from .numbers import body_of, cn_to_int, number_key

LETTER_KEYS = (
    "issuer", "signed_by", "doc_number", "classification", "body", "region", "term", "meeting",
    "proposal_number", "proposer", "addressee", "title", "reply_date", "handlers", "leader", "phones",
    "lead_unit", "co_units", "warnings",
)
_LIST_KEYS = ("handlers", "phones", "co_units", "warnings", "proposers", "split_units")

MAX_CHARS = 200_000  # text beyond this is cut (head and tail kept)
HEAD_CHARS = 150_000
MAX_LINES = 4_000
MAX_LINE = 5_000  # longer lines are cut for the line-level patterns

# ----------------------------------------------------------------------------- normalisation

# Common Traditional characters of the keywords, one for one (positions must not move).
_TRAD_PAIRS = (
    "號号 屆届 議议 會会 類类 聯联 繫系 係系 電电 話话 辦办 關关 於于 覆复 復复 複复 協协 員员 發发 區区 縣县 "
    "負负 責责 簽签 導导 領领 單单 務务 題题 標标 機机 書书 開开 時时 間间 為为 來来 對对 這这 們们 經经 貴贵 請请 謝谢 "
    "見见 應应 與与 並并 處处 廳厅 學学 報报 稱称 碼码 級级 國国 長长 門门 問问 華华 業业 總总 統统 參参 農农 鄉乡 鎮镇 "
    "執执 筆笔 審审 禮礼 順顺 頌颂 絡络 傳传 郵邮 編编 網网 權权 屬属 備备 證证 構构 現现 別别 兩两 內内 據据 條条 歷历 "
    "費费 險险 醫医 療疗 衛卫 環环 體体 黨党 術术 產产 層层 實实 際际 設设 資资 計计 劃划 週周 連连 續续 稅税 財财 銀银 "
    "閱阅 訪访 覽览 數数 頁页"
)
# More characters of unit, place and person names (晉 澤 陽 館 團 劉 張 …), for the keyword copy and
# for folding names to Simplified when no converter library is installed (see _to_simplified).
_NAME_PAIRS = (
    "萬万 叢丛 東东 嚴严 個个 箇个 臨临 麗丽 義义 烏乌 樂乐 喬乔 習习 雲云 亞亚 産产 價价 偉伟 倫伦 餘余 彿佛 僑侨 儁俊 儉俭 儲储 剋克 蘭兰 興兴 岡冈 軍军 馮冯 準准 "
    "涼凉 淩凌 鳳凤 凱凯 齣出 劉刘 則则 剛刚 製制 劇剧 動动 蔔卜 盧卢 廈厦 蔘参 雙双 髮发 檯台 臺台 颱台 葉叶 閤合 衕同 嚮向 曏向 呂吕 吳吴 鹹咸 團团 糰团 園园 圖图 "
    "場场 堅坚 垻坝 壩坝 聲声 壺壶 頭头 婦妇 薑姜 婁娄 孫孙 寧宁 寶宝 宮宫 傢家 賓宾 壽寿 爾尔 堯尧 侷局 崗岗 島岛 巖岩 嶺岭 嶽岳 峽峡 峯峰 鞏巩 佈布 蓆席 廣广 "
    "莊庄 慶庆 龐庞 張张 強强 彥彦 誌志 唸念 懷怀 態态 悅悦 戰战 慼戚 戶户 揚扬 撫抚 揮挥 敎教 旂旗 無无 崑昆 晉晋 曉晓 麯曲 麴曲 朮术 硃朱 雜杂 楊杨 傑杰 鬆松 棗枣 "
    "査查 樹树 慄栗 欒栾 檔档 樑梁 檢检 棊棋 歡欢 歐欧 殘残 畢毕 氣气 漢汉 湯汤 瀋沈 滄沧 瀘泸 澤泽 潔洁 測测 濟济 塗涂 濤涛 潤润 溫温 遊游 灣湾 濱滨 濰潍 瀾澜 煙烟 "
    "菸烟 煩烦 熱热 瑪玛 瑤瑶 璿璇 畫画 畵画 暢畅 鹽盐 監监 蓋盖 盤盘 礦矿 祿禄 竇窦 簡简 糧粮 紅红 紀纪 納纳 紡纺 綫线 線线 練练 組组 織织 紹绍 繪绘 綏绥 綿绵 綜综 "
    "綠绿 緑绿 羅罗 恥耻 聶聂 肅肃 衚胡 鬍胡 騰腾 緻致 艷艳 豔艳 藝艺 節节 蕪芜 蘆芦 囌苏 甦苏 蘇苏 範范 荊荆 榮荣 葯药 藥药 瑩莹 鶯莺 營营 蕭萧 薩萨 蔣蒋 懞蒙 濛蒙 "
    "矇蒙 藍蓝 藺蔺 銜衔 錶表 規规 視视 讓让 記记 許许 詩诗 誠诚 談谈 諶谌 謙谦 譚谭 穀谷 貝贝 貢贡 質质 貧贫 貿贸 賀贺 賈贾 賴赖 贛赣 趙赵 車车 軒轩 輕轻 輝辉 輸输 "
    "邊边 遼辽 達达 遷迁 運运 進进 遠远 遲迟 遜逊 鄧邓 鄔邬 鄒邹 鬱郁 鄭郑 鄲郸 裏里 裡里 鈡钟 鍾钟 鐘钟 鋼钢 欽钦 錢钱 鐵铁 銅铜 錫锡 錦锦 鎭镇 閔闵 聞闻 閻阎 隊队 "
    "陽阳 陸陆 隴陇 陳陈 陝陕 隨随 靜静 韋韦 韓韩 韻韵 頂顶 項项 顧顾 穎颖 顏颜 顔颜 飛飞 饒饶 舘馆 館馆 馬马 駐驻 魯鲁 鮑鲍 雞鸡 鷄鸡 鳴鸣 鴨鸭 鸞鸾 鴻鸿 鸝鹂 鵑鹃 "
    "鵬鹏 鶴鹤 鷹鹰 黃黄 齊齐 龍龙 龔龚 "
)
_TRAD = str.maketrans({pair[0]: pair[1] for pair in (_TRAD_PAIRS + " " + _NAME_PAIRS).split()})
# Characters that only occur in Traditional text (覆 is also Simplified: 覆盖).
_TRADITIONAL_ONLY = re.compile("[" + "".join(p[0] for p in _TRAD_PAIRS.split() if p[0] != "覆") + "]")
# Names folded to Simplified without a converter: the same table, less 覆 (覆盖 is Simplified).
_FOLD = {key: value for key, value in _TRAD.items() if key != ord("覆")}
_PROTECT = "，：；！？（）…～"
_PROTECT_IN = str.maketrans({ch: chr(0xE000 + i) for i, ch in enumerate(_PROTECT)})
_PROTECT_OUT = str.maketrans({chr(0xE000 + i): ch for i, ch in enumerate(_PROTECT)})

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJKP = _CJK + "\u3000-\u303f\uff00-\uffef“”‘’…—·"
_NEWLINES = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
_JUNK = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad"
                   r"\ud800-\udfff\ue000-\uf8ff\ufffd]")
_SPACES = re.compile(r"[ \u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_SPACED_PAIR = re.compile(rf"[{_CJKP}] (?=[{_CJKP}])")
_CJK_CHAR = re.compile(rf"[{_CJKP}]")
_CJK_ONE = re.compile(rf"[{_CJK}]")
_STRAY_SPACE = re.compile(
    rf"(?<=[{_CJKP}]) +(?=[{_CJKP}0-9A-Za-z])|(?<=[0-9A-Za-z]) +(?=[{_CJKP}])|(?<=[:：]) +"
)
_SPACED_NUMBER = re.compile(
    r"第 ?[(（]? ?[0-9A-Za-z][0-9A-Za-z .\-]{0,24}?[)）]? ?(?:[號号]|(?=(?:代表)?建[议議]|提案|[议議]案))"
)
_PUNCT_SPACE = re.compile(r" *([：:，,、；;（）()]) *")
_PAGE_NUMBER = re.compile(r"^(?:[-—–_ ]*\d{1,3}[-—–_ ]*|第\d{1,3}页(?:[,，/ ]*共\d{1,3}页)?|\d{1,3}/\d{1,3})$")
_HEADING = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}[、.．]|[(（][一二三四五六七八九十\d]{1,3}[)）]|\d{1,2}[、．.](?!\d)"
    r"|第[一二三四五六七八九十\d]{1,3}[章节条部分]|附件|此致|敬礼|抄送|抄报)"
)

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
_LABEL_FIELD = dict(_LABELS)
_SPACED_LABEL_WORDS = set(_LABEL_FIELD) | {"索引号", "发布机构", "发文机关", "标题", "来源", "作者", "日期"}
_LABEL_ALT = "|".join(re.escape(label) for label, _ in _LABELS)
# A label at a boundary, followed by a colon, a tab (table cell) or spaces.
_LABEL_RE = re.compile(
    rf"(?:^|(?<=[\s\t(（,，;；、|【\[]))(?P<label>{_LABEL_ALT})\s*(?:[:：]|\t|(?= ))"
)
_LABEL_WORD = re.compile("|".join(
    re.escape(label) for label, field in _LABELS if len(label) >= 3 or field in ("phone", "handler", "leader")
))
_SPACE_BEFORE_LABEL = re.compile(rf" +(?=(?:{_LABEL_ALT})\s*[:：])")
_LIST_LABEL_LINE = re.compile(
    r"^[(（]?(?:承办人员?|具体承办人|经办人|承办联系人|联系人|办理人|提案人|领衔人|领衔代表|提出人|"
    r"主办单位|协办单位|会办单位|分办单位|主办|协办|会办|分办|负责人|承办负责人|签发人|领导签字|"
    r"分管领导|抄送|联系单位)"
)

_WEB_DATE = r"(?:19|20)\d{2}-\d{1,2}-\d{1,2}(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?"
_FURNITURE = re.compile(
    r"索引号|发布日期|发布时间|发布机构|信息来源|来源[:：]|浏览次数|访问次数|阅读次数|点击数|浏览量|"
    r"字号[:：]|打印本页|【打印】|\[打印\]|关闭窗口|【关闭】|分享到|当前位置|您现在的位置|首页\s*[>＞»]|"
    r"版权所有|copyright|©|ICP|备案号|公网安备|网站标识码|网站地图|技术支持|联系我们|扫一扫|"
    r"主题分类|公开方式|公开范围|公开时限|生成日期|成文日期|有效性[:：]|上一篇|下一篇|相关链接|"
    r"邮政编码|邮编|网站[:：]|网址[:：]|网站名称|本网站|网站主办|网站维护|[【\[]\s*大\s*[】\]]?\s*[【\[]?\s*中\s*[】\]]?\s*[【\[]?\s*小\s*[】\]]|"
    r"主办单位[:：]?[^\n]{0,30}(?:网站|门户|网)(?:\s|$)|主办单位[:：][^\n]{0,40}承办单位|地址[:：][^\n]*电话|"
    r"发文机关|所属机构|发文时间|发文日期|著录日期|更新日期|主题词|关键[字词][:：]|信息分类|是否有效|文章字号|"
    r"^标题[:：]|作者[:：]|阅读[:：]|浏览[:：]|字体[:：]|字体大小|登录\s*\|?\s*注册|中国政府网|附件下载|语音播报|"
    r"无障碍|长者助手|长者模式|生效日期|废止日期|所属主题|全文检索|站群导航|加入收藏|设为首页|手机版|用户登录|打印正文|"
    r"^政府信息公开$|^(?:首页|正文)$|^首页\s*/|/\s*正文$|^打印[:：]?$|"
    rf"^(?:日期|时间|更新时间)[:：]?\s*{_WEB_DATE}$",
    re.IGNORECASE,
)
# Page chrome whose value is the page's own metadata: what fills a gap the letter leaves (the
# issuing unit of an unsigned letter, the date of an undated one). A label alone on its line
# has its value on the next line.
_META_LABELS = {
    "发文机关": "unit", "发布机构": "unit", "所属机构": "unit", "制发机关": "unit", "信息来源": "unit", "来源": "unit",
    "发布日期": "date", "发布时间": "date", "发文时间": "date", "发文日期": "date", "成文日期": "date",
    "生成日期": "date", "日期": "date", "时间": "date", "更新时间": "date",
    "文号": "doc_number", "发文字号": "doc_number",
}
_WRITTEN_DATES = {"成文日期", "发文日期", "发文时间"}
_META_RE = re.compile(
    r"(?:^|(?<=[\s|\t]))(?P<label>" + "|".join(sorted(map(re.escape, _META_LABELS), key=len, reverse=True))
    + r")\s*[:：]?\s*(?P<value>[^\s|\t]*)"
)
_META_LABEL_ONLY = re.compile(
    r"^(?:" + "|".join(sorted(map(re.escape, list(_META_LABELS) + ["索引号", "浏览次数", "访问次数", "阅读次数", "点击数"]),
                             key=len, reverse=True)) + r")\s*[:：]?$"
)

_UNIT_SUFFIX = re.compile(
    r"(?:委员会|委|局|厅|办公室|办|人民政府|政府|院|中心|公司|集团|部|处|署|所|站|馆|社|会|联|团|队|"
    r"校|大学|学院|银行|行|办事处|管委会|指挥部|领导小组|街道|镇|乡|分局|科|室|司|台|党组|机关)$"
)
_NOT_UNIT = re.compile(r"此致|敬礼|特此|答复|如下|关于|联系|电话|承办人|负责人|签发|收悉|感谢|欢迎|会议|届|类$")
_UNIT_CHARS = re.compile(rf"^[{_CJK}（）()、·]+$")


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
    k = re.sub(r"\s", "", name or "").translate(_TRAD)
    return _unit_like(k) and bool(_GOVERNMENT_SUFFIX.search(k)) and not _ORGANISATION.search(k)


def _unit_like(k: str) -> bool:
    k = k.strip()
    return (
        3 <= len(k) <= 40 and bool(_UNIT_CHARS.match(k)) and bool(_UNIT_SUFFIX.search(k))
        and not _NOT_UNIT.search(k)
    )


_SPACED_LABEL = re.compile(rf"(?<![{_CJK}])(?:[{_CJK}] ){{1,4}}[{_CJK}](?= ?[:：])")


def _clean_line(line: str) -> str:
    line = _SPACES.sub(" ", line).strip(" \t")
    if not line:
        return ""
    if "\t" in line:
        line = re.sub(r" *\t[ \t]*", "\t", line)
    cjk = len(_CJK_CHAR.findall(line[:MAX_LINE]))
    if cjk >= 4 and len(_SPACED_PAIR.findall(line[:MAX_LINE])) >= 0.6 * (cjk - 1):
        # PDF extraction that spaced out every character: single spaces are noise, wider ones
        # separate words.
        line = re.sub(r"(?<! ) (?! )", "", line)
    line = re.sub(r" {2,}", " ", line)
    if " " in line:
        # A label typed with spaces inside (文  号：, 经 办 人：) is one word.
        line = _SPACED_LABEL.sub(
            lambda m: m.group(0).replace(" ", "") if m.group(0).replace(" ", "").translate(_TRAD) in _SPACED_LABEL_WORDS
            else m.group(0), line)
    if " " in line:
        # A space before a label (…85号  签发人：张三) separates fields: keep it as a tab.
        spans = [m.span() for m in _SPACE_BEFORE_LABEL.finditer(line.translate(_TRAD))]
        for start, end in reversed(spans):
            line = line[:start] + "\t" + line[end:]
    if "第" in line and " " in line:
        # 第 1 2 5 号 / 第 TA 0010 号 / 第 TA05 34 提案: a number split by spaces
        line = _SPACED_NUMBER.sub(lambda m: m.group(0).replace(" ", ""), line)
    key = line[:40].translate(_TRAD)
    if _LIST_LABEL_LINE.match(key):
        # Name lists: a space between two names is a separator, keep it.
        return _PUNCT_SPACE.sub(r"\1", line)
    return _STRAY_SPACE.sub("", line)


def _is_prose(k: str) -> bool:
    if k.count("《") > k.count("》") or k.count("“") > k.count("”") or k.count("（") > k.count("）"):
        return True
    if k[-1] in "，、,":
        return True
    return len(k) >= 18 and bool(re.search(r"[，。；、,;]", k[:-1]))


def _joinable(prev_k: str, next_k: str) -> bool:
    if prev_k[-1] in "。！？!?；;：:" or not _is_prose(prev_k):
        return False
    if _LABEL_RE.match(prev_k) or _LABEL_RE.match(next_k) or _HEADING.match(next_k):
        return False
    if _CLASS_ALONE.match(next_k):
        return False
    if _unit_like(next_k) or _find_date(next_k, standalone=True) or _FURNITURE.search(next_k):
        return False
    return True


# A value that goes on on the next line (PDF wrapping, or a label separated from its colon).
_PHONE_ONLY = re.compile(r"^[\d\s\-—–+()（）、，,/;；]*\d[\d\s\-—–+()（）、，,/;；转]*$")
_VALUE_SEP = "、，,;；/"


def _last_label(k: str) -> tuple[str, int] | None:
    """(label, where its value starts in k) of the last label on a line."""
    offset = max(0, len(k) - MAX_LINE)
    last = None
    for last in _LABEL_RE.finditer(k, offset):
        pass
    return (last.group("label"), last.end()) if last else None


def _continues(prev_t: str, prev_k: str, k: str) -> str | None:
    """The text to put between the previous line and this one when this line carries on the
    previous line's last labelled value, else None:
    - a line starting with a colon (联系电话 / ：0356-…): the label's colon went to the next line;
    - a line of phone numbers after a phone or handler label (联系电话：0356-2021234， / 13812345678);
    - the rest of a unit name after a 主办/协办 label (协办单位：…、小店区卫 / 生健康委员会)."""
    if k[0] in ":：":
        return ""
    phones = k[0] in "0123456789+(（" and _PHONE_ONLY.match(k)
    head = _NAME_SPLIT.split(k.lstrip(_VALUE_SEP), maxsplit=1)[0]
    if not phones and not (head and _UNIT_SUFFIX.search(head)):
        return None
    last = _last_label(prev_k)
    if last is None:
        return None
    field = _LABEL_FIELD[last[0]]
    value_k = prev_k[last[1]:].strip(" \t")
    if field in ("phone", "handler_phone", "handler"):
        if not phones or sum(ch.isdigit() for ch in k) < 5 or _find_date(k, standalone=True):
            return None
        if value_k and value_k[-1].isdigit() and k[0].isdigit():
            return " "
        return ""
    if field in ("lead", "co", "split") and value_k:
        value_t = prev_t[last[1]:].strip(" \t")
        if not head or _find_date(k, standalone=True):
            return None
        if value_t[-1] in _VALUE_SEP or k[0] in _VALUE_SEP:
            return "" if _unit_like(head) else None
        tail_k = _NAME_SPLIT.split(value_t)[-1].translate(_TRAD)
        head_k = head.translate(_TRAD)
        if tail_k and _unit_like(tail_k + head_k) and (not _unit_like(tail_k) or _unit_rest(tail_k, head_k)):
            return ""
    return None


# Lines wrapped at the page width (text taken from a PDF, or copied from one): a line is
# wrapped when the next line's first word would not have fitted at its end. The width is the
# longest line length many lines share, counted in characters (fixed-pitch wrapping) or in
# display columns (a CJK character is two) when the lines are justified to the margin.
_FIRST_WORD = re.compile(r"[0-9A-Za-z.\-]+|.[，。、；：？！）》”’」』,.;:?!)]*")


def _columns(line: str) -> int:
    return len(line) + sum(1 for ch in line if ch > "\u1100" and unicodedata.east_asian_width(ch) in "WF")


def _wrap_width(sizes: list[int], tolerance: int, smallest: int) -> int | None:
    if len(sizes) < 6:
        return None
    for width in sorted(set(sizes), reverse=True)[:12]:
        if width < smallest:
            break
        near = sum(1 for x in sizes if width - tolerance <= x <= width)
        longer = sum(1 for x in sizes if x > width)
        base = sum(1 for x in sizes if x * 2 >= width)
        if near >= 4 and near * 10 >= base * 3 and longer <= max(2, near // 10):
            return width
        if longer > max(2, near // 10) and longer * 10 >= base * 3:
            return None
    return None


def _blocks_wrap(prev: str, nxt: str) -> bool:
    """A line that starts something of its own (a heading, a label, the class, a date, a unit
    name after a complete one) is not the rest of a full line that happens to end at the margin."""
    prev_k, next_k = prev.strip().translate(_TRAD), nxt.strip().translate(_TRAD)
    if not prev_k or not next_k:
        return True
    if next_k[0] in ":：":
        return False
    if _HEADING.match(next_k) or _CLASS_ALONE.match(next_k) or _PAGE_NUMBER.match(next_k):
        return True
    label = _LABEL_RE.match(next_k)
    if label:
        # 联系 / 电话：…: a label cut in two goes on; otherwise a label starts a line
        return not any(
            full.endswith(label.group("label")) and len(full) > len(label.group("label"))
            and prev_k.endswith(full[: len(full) - len(label.group("label"))])
            for full in _LABEL_FIELD
        )
    if _find_date(next_k, standalone=True):
        return True
    if next_k[0] in _VALUE_SEP or prev_k[-1] in _VALUE_SEP:
        return False
    if next_k.startswith(("尊敬的", "敬爱的")):
        return True
    last = _last_label(prev_k)
    if last and last[1] == len(prev_k) and _LABEL_FIELD[last[0]] != "stop":
        return False  # 协办单位： / 小店区教育局、…: the value went to the next line
    if re.search(r"^.{0,40}关于.*(?:答复|复函|回复|的函)$", prev_k):
        return True  # the reply's title, ending at the margin
    tail = re.search(rf"[{_CJK}]+$", prev_k)
    tail_k = tail.group(0) if tail else ""
    salutation = _SALUTATION.match(next_k)
    if salutation and not salutation.group("rest") and not _NOT_NAME.search(salutation.group("name")):
        # the reply's title or a unit, then the salutation (尊敬的王明代表：)
        if re.search(r"(?:答复|复函|回复|的函|。)$", prev_k) or not tail_k or _unit_like(tail_k):
            return True
    if _unit_like(next_k):
        return not tail_k or (_unit_like(tail_k) and not _unit_rest(tail_k, next_k))
    return False


def _unit_rest(tail_k: str, next_k: str) -> bool:
    """next_k is the rest of a unit name cut at the end of a line (…人力资源和社 / 会保障局): it
    does not start with a place or a level word, and the two make one unit name."""
    return (
        not _place_chain(next_k) and next_k[0] not in "省市县区州盟旗"
        and _unit_like(tail_k + next_k)
    )


def _unwrap(lines: list[str]) -> list[str]:
    content = [i for i, line in enumerate(lines) if line.strip() and not _PAGE_NUMBER.match(line.strip())]
    if len(content) < 6 or sum(1 for i in content if len(lines[i]) > 120) > max(2, len(content) // 10):
        return lines  # lines of whole paragraphs: not wrapped at a page width
    width = None
    for measure, tolerance, smallest in ((len, 0, 16), (_columns, 2, 30)):
        sizes = [measure(lines[i]) for i in content]
        width = _wrap_width(sizes, tolerance, smallest)
        if width:
            break
    if not width:
        return lines
    out: list[str] = []
    joined = None
    for a, b in zip(content, content[1:] + [None]):
        line = lines[a]
        joined = line if joined is None else joined + line
        if b is not None:
            nxt = lines[b]
            first = _FIRST_WORD.match(nxt)
            if (first and measure(line) + measure(first.group(0)) > width - tolerance
                    and not _blocks_wrap(line, nxt)):
                continue
        out.append(joined)
        joined = None
    return out


# A pinyin gloss after a character, as some mirrors print them: 鎮(zhèn)康縣 → 鎮康縣.
_PINYIN_GLOSS = re.compile(
    r"(?<=[\u4e00-\u9fff])[(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜêńňǹḿ][a-zāáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜüêńňǹḿ]*[)）]"
)


def _normalize(text: str) -> tuple[list[str], list[str], list[str]]:
    """(lines as printed but cleaned, keyword lines, warnings)."""
    warnings: list[str] = []
    if len(text) > MAX_CHARS:
        warnings.append(f"文本过长（{len(text)} 字），只分析了开头和结尾部分")
        text = text[:HEAD_CHARS] + "\n" + text[-(MAX_CHARS - HEAD_CHARS):]
    text = _NEWLINES.sub("\n", text)
    junk = len(_JUNK.findall(text))
    if junk:
        text = _JUNK.sub("", text)
        if junk > 20 and junk > len(text) * 0.02:
            warnings.append("文本中有大量乱码或控制字符，可能不是答复函的文字")
    text = unicodedata.normalize("NFKC", text.translate(_PROTECT_IN)).translate(_PROTECT_OUT)
    text = _PINYIN_GLOSS.sub("", text)
    if len(text) > MAX_CHARS * 2:
        text = text[:MAX_CHARS * 2]
    raw_lines = text.split("\n")
    if len(raw_lines) > MAX_LINES:
        warnings.append(f"文本行数过多（{len(raw_lines)} 行），只分析了开头和结尾部分")
        raw_lines = raw_lines[: MAX_LINES * 3 // 4] + raw_lines[-(MAX_LINES // 4):]
    raw_lines = _unwrap(raw_lines)
    t_lines: list[str] = []
    k_lines: list[str] = []
    for raw in raw_lines:
        line = _clean_line(raw)
        if not line:
            continue
        if _PAGE_NUMBER.match(line) and not (line.isdigit() and k_lines and k_lines[-1].endswith("会议")):
            continue  # a page number; a number alone under a session's name is the item's
        k = line.translate(_TRAD)
        glue = _continues(t_lines[-1], k_lines[-1], k) if t_lines else None
        if glue is not None:
            t_lines[-1] = _clean_line(t_lines[-1] + glue + line)
            k_lines[-1] = t_lines[-1].translate(_TRAD)
        elif t_lines and _joinable(k_lines[-1], k):
            t_lines[-1] += line
            k_lines[-1] += k
        else:
            t_lines.append(line)
            k_lines.append(k)
    return t_lines, k_lines, warnings


# ----------------------------------------------------------------------------- dates

_CN_DIGIT = "〇零○O0一二三四五六七八九"
_DATE_PATTERNS = [
    re.compile(r"(?P<y>(?:19|20)\d{2})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?P<d>\d{1,2})\s*日?"),
    re.compile(rf"(?P<y>[{_CN_DIGIT}]{{4}})\s*年\s*(?P<m>[一二三四五六七八九十]{{1,3}})\s*月"
               r"\s*(?P<d>[一二三四五六七八九十]{1,4})\s*日"),
    re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})\s*[.\-/]\s*(?P<m>\d{1,2})\s*[.\-/]\s*(?P<d>\d{1,2})(?!\d)"),
]
_COMPACT_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d{2})(?P<m>[01]\d)(?P<d>[0-3]\d)(?!\d)")
_SHORT_COMPACT_DATE = re.compile(r"(?P<y>(?:19|20)\d{2})(?P<md>\d{2,3})")
_MONTH_ONLY = re.compile(r"^(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月$|^[〇零○O0一二三四五六七八九]{4}年[一二三四五六七八九十]{1,3}月$")
_DATE_TAIL = re.compile(r"[(（][^()（）]{0,20}[)）]$|(?:盖章|印章|公章)$")


def _to_iso(y: str, m: str, d: str) -> str | None:
    def num(s: str) -> int | None:
        if s.isdigit():
            return int(s)
        return cn_to_int(s.replace("0", "〇").replace("O", "〇"))

    try:
        year, month, day = num(y), num(m), num(d)
        if year is None or month is None or day is None or not 1990 <= year <= 2100:
            return None
        return date(year, month, day).isoformat()
    except (ValueError, TypeError):
        return None


def _find_date(k: str, standalone: bool = False) -> tuple[str, int, int] | None:
    """(iso, start, end) of a date in ``k``. With ``standalone`` the line must be just the date,
    optionally after a unit name or a date label and before a bracketed remark."""
    k = k[:MAX_LINE]
    if standalone and (short := _SHORT_COMPACT_DATE.fullmatch(k.strip())):
        # 2022711 (a web copy lost the separators): a date only when one split is valid
        y, md = short.group("y"), short.group("md")
        splits = {iso for cut in (1, 2) if (iso := _to_iso(y, md[:cut], md[cut:])) and len(md) - cut in (1, 2)}
        if len(splits) == 1:
            start = k.index(y)
            return splits.pop(), start, start + len(y) + len(md)
    patterns = list(_DATE_PATTERNS) + ([_COMPACT_DATE] if standalone else [])
    for pattern in patterns:
        for match in pattern.finditer(k):
            iso = _to_iso(match.group("y"), match.group("m"), match.group("d"))
            if not iso:
                continue
            if standalone:
                before = k[: match.start()].strip(" \t")
                after = _DATE_TAIL.sub("", k[match.end():].strip(" \t")).strip(" \t")
                before = re.sub(r"(?:答复日期|复函日期|办理日期|日期|时间)\s*[:：]?$", "", before).strip()
                if after or (before and not _unit_like(before)):
                    continue
            return iso, match.start(), match.end()
    return None


# ----------------------------------------------------------------------------- places & sessions

_PLACE_SEG = re.compile(
    rf"[{_CJK}]{{1,9}}?(?:特别行政区|自治区|自治州|自治县|自治旗|地区|省|市|州|盟|县|区|旗)"
)
_ORG_WORDS = re.compile(r"局|委|办|厅|院|部|处|会|中心|公司|政府|管理|发展|建设|科技|协|联")
_PLACE_STOP = {"城市", "市场", "区域", "县域", "社区", "园区", "景区", "辖区", "小区", "片区", "新区"}
_LEVELS = {"省": ("省",), "市": ("市",), "县": ("县", "自治县"), "区": ("区",), "州": ("州", "自治州"),
           "自治区": ("自治区",), "盟": ("盟",), "旗": ("旗", "自治旗")}


def _place_chain(k: str) -> list[tuple[int, int]]:
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


def _region_of_unit(unit_t: str | None, level: str | None) -> str | None:
    if not unit_t:
        return None
    k = unit_t.translate(_TRAD)
    spans = _place_chain(k)
    if level:
        suffixes = _LEVELS.get(level, (level,))
        spans = [s for s in spans if any(k[s[0]:s[1]].endswith(x) for x in suffixes)]
    if not spans:
        return None
    start, end = spans[-1]
    return unit_t[start:end]


_NUMC = "0-9〇零一二三四五六七八九十"
_SESSION = re.compile(
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
    for match in _SESSION.finditer(k[:MAX_LINE]):
        mid = match.group("mid")
        if "常委会" in mid or "常务委员会" in mid:
            continue
        term, meeting = cn_to_int(match.group("term")), cn_to_int(match.group("meeting"))
        if term is None or meeting is None or not (1 <= term <= 40 and 1 <= meeting <= 12):
            continue
        start = match.start()
        pre_start = start
        while pre_start > 0 and start - pre_start < 24 and _CJK_ONE.match(k[pre_start - 1]):
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
            spans = _place_chain(pre_k)
            if spans and spans[-1][1] == len(pre_k):
                s, e = spans[-1]
                region = t[offset + s: offset + e]
        return _Session(term, meeting, body, region, level, t[match.start(): match.end()])
    return None


# ----------------------------------------------------------------------------- numbers

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


# ----------------------------------------------------------------------------- other patterns

_DOC_NUMBER = re.compile(
    rf"(?P<dn>[{_CJK}A-Za-z]{{1,14}}\s*[〔\[【(（]\s*(?:19|20)\d{{2}}\s*[〕\]】)）]\s*(?:第\s*)?\d{{1,5}}\s*号)"
)
_CLASS_ALONE = re.compile(r"^[(（【\[]?\s*(?P<c>[A-Da-d甲乙丙丁])\s*(?P<lei>类)?\s*[)）】\]]?$")
_CLASS_INLINE = re.compile(
    r"(?:^|(?<=[\s\t(（【\[]))(?P<c>[A-D甲乙丙丁])\s*类(?=$|[\s\t(（)）】\]])"
    r"|号\s*[(（【]?(?P<g>[A-D])\s*(?:类[)）】]?|[)）】]\s*类?)?\s*$"
)
_TITLE_QUOTES = re.compile(r"《([^《》\n]{2,150})》|“([^“”\n]{2,150})”|「([^「」\n]{2,150})」|『([^『』\n]{2,150})』"
                           r"|〝([^〝〞\n]{2,150})〞|\"([^\"\n]{2,150})\"")
_TITLE_PLAIN = re.compile(r"(关于[^，。；：:,;“”《》\n]{2,80}?的(?:建议|提案|议案|意见|批评))(?=收悉|已收悉|，|。|,|已|现|经|办理|交由|$)")
# 您提出的关于“就近入学”政策执行中面临的问题及建议已收悉: quotes inside, no 的, but then 收悉
_TITLE_LOOSE = re.compile(r"(关于[^，。；：:,;《》\n]{2,80}?(?:建议|提案|议案|意见))(?=\s*(?:已)?收悉)")
_RECEIVED = re.compile(r"\s*(?:[(（][^()（）]{0,24}[)）])?\s*(?:的)?(?:提案|建议|议案)?\s*(?:已)?收悉")
_SEAL = re.compile(r"\s*[(（](?:盖章|印章|公章|章|签章)[)）]$")
_REPLY_WORDS = re.compile(r"答复|复函|回复|的函|办理情况|办理意见")
_SALUTATION = re.compile(r"^(?:尊敬的|敬爱的|亲爱的)?(?P<name>[^：:，,。；;！!？?\t]{2,60}?)\s*[：:](?P<rest>.*)$")
_NOT_NAME = re.compile(
    r"如下|答复|收悉|关于|附件|抄送|主题词|联系|电话|手机|承办|负责|签发|签字|领导|类别|编号|文号|索引|发布|"
    r"日期|来源|地址|邮编|现将|情况|意见|说明|备注|标题|案由|主办|协办|会办|分办|提案人|领衔|时间|内容|"
    r"办理|结果|此致|敬礼|网站|位置|首页|附注|传真|邮箱|经办|我们|我局|我委|现就|根据|按照"
)
_SALUTATION_BARE = re.compile(
    rf"^(?:尊敬的|敬爱的)?(?P<name>[{_CJK}、，,·]{{1,40}}(?:委员|代表)(?:们)?)(?P<rest>)$"
)
# A sign-off in prose: 此复函已经夏贵金主任审签 / 经王强局长签发
_OFFICE_TITLES = {"主任", "局长", "书记", "主席", "县长", "区长", "市长", "部长", "处长", "科长", "院长", "同志", "领导"}
_SIGNED_OFF = re.compile(
    rf"经(?P<name>[{_CJK}]{{2,3}}?)(?:同志|副?(?:主任|局长|书记|主席|县长|区长|市长|部长|处长|科长|院长))?(?:审签|签发|审定)"
)
_GENERIC_NAME = re.compile(r"^(?:各位|全体)?(?:代表|委员|同志|领导)(?:们)?$")
_PHONE = re.compile(
    r"(?<![\d])(?:\+?86[- ]?)?(?:"
    r"1[3-9]\d[- ]?\d{4}[- ]?\d{4}"
    r"|(?:[(（]0\d{2,3}[)）]|0\d{2,3})\s?[-—–]?\s?\d{7,8}(?:(?:转|-|—|ext\.?)\d{1,6})?"
    r"|\d{7,8}(?:(?:转|-)\d{1,6})?"
    r"|\d{5,6}"
    r")(?!\d)"
)
_NAME_SPLIT = re.compile(r"[\s\t、，,/;；|]+")
_EMPTY_VALUES = {"", "无", "/", "—", "-", "——", "空", "略", "暂无", "×", "x"}


def _clean_value(value: str) -> str:
    return value.strip(" \t,，;；。.、:：").strip()


def _names(value: str) -> list[str]:
    value = re.sub(r"[(（][^()（）]{0,20}[)）]", " ", value)  # (办公室) remarks
    tokens = [re.sub(r"[\d\-—+()（）]+", "", tok) for tok in _NAME_SPLIT.split(value)]
    tokens = [tok for tok in tokens if tok and re.search(rf"[{_CJK}A-Za-z]", tok) and len(tok) <= 12]
    tokens = [tok for tok in tokens if tok not in _EMPTY_VALUES and not re.match(r"^(?:电话|手机|同志)$", tok)]
    # A label is never a name (承办人：张三 联系电话 / ：0356-…): cut a token at a label word.
    tokens = [tok[: m.start()] if (m := _LABEL_WORD.search(tok.translate(_TRAD))) else tok for tok in tokens]
    tokens = [tok for tok in tokens if tok]
    joined = "".join(tokens)
    if (len(tokens) > 1 and any(len(tok) == 1 for tok in tokens) and len(joined) <= 4
            and re.fullmatch(rf"[{_CJK}]+", joined)):
        tokens = [joined]  # a name spaced out to align a column (张  三, 刘 晓 燕): no name is one character
    return tokens


def _phones(value: str) -> list[str]:
    phones = []
    for match in _PHONE.finditer(value[:500]):
        phone = re.sub(r"\s*([-—–])\s*", r"\1", match.group(0).strip())
        if sum(ch.isdigit() for ch in phone) >= 5:
            phones.append(phone)
    return phones


def normalize_text(text: str) -> str:
    """NFKC for digits, letters and compatibility forms, keeping Chinese punctuation (，：（）…) as
    printed; zero-width and control characters removed."""
    if not text:
        return ""
    text = _JUNK.sub("", _NEWLINES.sub("\n", str(text)))
    return unicodedata.normalize("NFKC", text.translate(_PROTECT_IN)).translate(_PROTECT_OUT)


def extract_phones(text: str) -> list[str]:
    """Phone numbers in a value as printed (0356-5220956, 13812345678, 6999022), in order."""
    if not text:
        return []
    text = unicodedata.normalize("NFKC", str(text))
    out: list[str] = []
    _add_unique(out, _phones(text))
    return out


def split_names(text: str) -> list[str]:
    """Names in a handlers value: split on spaces, 、，,;；/, phone numbers and remarks dropped."""
    if not text:
        return []
    return _names(normalize_text(text))


def parse_date(text: str) -> str | None:
    """ISO date from 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 二〇二五年三月一日 or 20250301
    (optionally followed by 前/止 or a time). None when it is not one clear date."""
    if text is None:
        return None
    k = re.sub(r"\s+", " ", unicodedata.normalize("NFKC", str(text))).strip()
    k = re.sub(r"(?:前|以前|之前|止|为止)$", "", k)
    k = re.sub(r"[T ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?$", "", k).strip()
    if not k or len(k) > 40:
        return None
    found = _find_date(k, standalone=True)
    if not found or found[1] != 0:
        return None
    return found[0]


def _add_unique(target: list[str], values: list[str]) -> None:
    for value in values:
        if value and value not in target:
            target.append(value)


# ----------------------------------------------------------------------------- the parser

def empty_result() -> dict:
    result: dict = {key: None for key in LETTER_KEYS}
    for key in _LIST_KEYS:
        result[key] = []
    result["conflicts"] = {}
    result["simplified"] = {}
    return result


def parse_letter(text) -> dict:
    """Parse one reply letter. Never raises; see the module docstring for the keys."""
    try:
        if isinstance(text, (bytes, bytearray)):
            from .documents import decode_text

            decoded, _enc, _warn = decode_text(bytes(text))
            text = decoded or ""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        return _parse(text)
    except Exception as exc:  # noqa: BLE001 - a parser bug must not lose the upload
        result = empty_result()
        result["warnings"].append(f"解析出错（{type(exc).__name__}），请人工核对这封信")
        return result


def parse_letter_bytes(data: bytes, filename: str) -> dict:
    """Read a file (any format ``documents.read_text`` supports) and parse it. Adds ``error``
    when the file cannot be read; the reader's warnings come first."""
    from .documents import read_text

    doc = read_text(data, filename)
    if doc.error or doc.text is None:
        result = empty_result()
        result["error"] = doc.error or "无法读取文件"
        result["warnings"] = list(doc.warnings)
        return result
    result = parse_letter(doc.text)
    result["warnings"] = list(doc.warnings) + result["warnings"]
    result["text_hash"] = text_hash(doc.text)
    result["opinion_marker"] = opinion_marker(doc.text)
    return result


@dataclass
class _Letter:
    """What the steps know about one letter: its lines (as printed, and the keyword copy in which
    Traditional characters are folded), where its parts are, and the result being filled in."""

    t_lines: list[str]
    k_lines: list[str]
    furniture: list[bool]
    result: dict
    traditional: bool = False
    title_idx: int | None = None
    title_end: int | None = None
    title_t: str = ""
    title_k: str = ""
    title_candidates: list = field(default_factory=list)  # (first line, last line, chars to skip)
    sal_idx: int | None = None
    sal_name_t: str = ""
    para_t: str = ""
    para_k: str = ""
    header_idx: list[int] = field(default_factory=list)
    header_end: int = 0
    date_idx: int | None = None
    footer: int = 0
    labelled: dict = field(default_factory=dict)
    sessions: list = field(default_factory=list)
    blank: dict = field(default_factory=dict)
    meta: dict = field(default_factory=dict)  # the web page's own metadata: "unit" / "date" / "doc_number"
    partial_date: str | None = None  # the letter's date printed without its day (2024年9月)

    @property
    def n(self) -> int:
        return len(self.t_lines)

    @property
    def warnings(self) -> list[str]:
        return self.result["warnings"]

    @property
    def conflicts(self) -> dict:
        return self.result["conflicts"]

    @property
    def in_title(self) -> range:
        return range(self.title_idx, self.title_end + 1) if self.title_idx is not None else range(0)


_OPINION_HEADING = re.compile(r"(协办|会办)(单位)?(意见|答复|复函)")


def opinion_marker(text: str) -> str | None:
    """A co-unit's letter names itself in its heading (关于…提案的协办意见, 会办意见, 协办答复):
    the phrase when one of the first lines carries it, else None (the body may mention a
    co-unit's opinion without being one)."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()][:8]
    for line in lines:
        match = _OPINION_HEADING.search(re.sub(r"\s+", "", unicodedata.normalize("NFKC", line)))
        if match:
            return match.group(0)
    return None


def text_hash(text: str) -> str:
    """A letter's identity: its text with widths folded and every space and line break
    removed, so the same letter as .docx, .pdf or under another name hashes the same."""
    import hashlib

    folded = unicodedata.normalize("NFKC", text or "")
    return hashlib.sha256(re.sub(r"\s+", "", folded).encode("utf-8")).hexdigest()


_PERSON_LABEL = re.compile(r"(?:^|[\s\t])(?:承办人|联系人|经办人|承办负责人|负责人|签发人)\s*[:：]")


def _is_chrome(k: str) -> bool:
    """Page furniture, unless the line carries the letter's own people (承办人：齐安平 邮政编码：…)."""
    return bool(_FURNITURE.search(k[:MAX_LINE])) and not _PERSON_LABEL.search(k[:MAX_LINE])


def _parse(text: str) -> dict:
    result = empty_result()
    t_lines, k_lines, norm_warnings = _normalize(text)
    result["warnings"].extend(norm_warnings)
    if not t_lines or not any(re.search(rf"[{_CJK}]", k) for k in k_lines[:200]):
        result["warnings"].append("没有读到中文内容，无法识别答复函")
        return result
    doc = _Letter(t_lines, k_lines, [_is_chrome(k) for k in k_lines], result)
    for step in PIPELINE:
        step(doc)
    return result


def _meta_value(label_k: str, next_k: str) -> bool:
    """next_k is the value of a chrome label printed alone on the line above it."""
    label = label_k.rstrip(" :：")
    kind = _META_LABELS.get(label)
    if kind == "unit":
        return _unit_like(next_k.strip("()（） "))
    if kind == "date":
        return bool(re.fullmatch(_WEB_DATE, next_k.strip()) or _find_date(next_k, standalone=True))
    if kind == "doc_number":
        return bool(_DOC_NUMBER.fullmatch(next_k.strip()))
    if label == "索引号":
        return bool(re.fullmatch(r"[0-9A-Za-z_/\-.]{4,60}", next_k.strip()))
    return bool(re.fullmatch(r"\d{1,9}\s*次?", next_k.strip()))  # 浏览次数 …


def _step_page_chrome(doc: _Letter) -> None:
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
                    kind == "date" and match.group("label") in _WRITTEN_DATES
                    and doc.meta.get("date_label") not in _WRITTEN_DATES)):
                continue  # the first of each, but the date written (成文日期) beats the date published
            if kind == "unit" and _unit_like(value_k):
                doc.meta[kind] = t[match.start("value"): match.end("value")].strip(" :：") \
                    if len(t) == len(k) else value_k
            elif kind == "date" and (found := _find_date(value_k)):
                doc.meta[kind] = found[0]
                doc.meta["date_label"] = match.group("label")
            elif kind == "doc_number" and _DOC_NUMBER.fullmatch(value_k):
                doc.meta[kind] = value_k


_TITLE_START = re.compile(r"^(?:[^，。,；;：:]{2,40}?(?:局|委|办|院|会|政府|中心|厅|站|所))?对")  # (XX局)对…第N号建议的答复


def _step_heading(doc: _Letter) -> None:
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
        if about and _REPLY_WORDS.search(k):
            doc.title_candidates.append((i, i, page_title.end() if page_title else 0))
        elif (about and i + 1 < n and len(k) <= 80
              and not doc.furniture[i + 1] and _title_rest(k, k_lines[i + 1])):
            doc.title_candidates.append((i, i + 1, 0))
    if doc.title_candidates:
        _set_title(doc, doc.title_candidates[0])


def _set_title(doc: _Letter, candidate: tuple[int, int, int]) -> None:
    start, end, cut = candidate
    doc.title_idx, doc.title_end = start, end
    doc.title_t = "".join(doc.t_lines[start: end + 1])[cut:].rstrip(" |\t")
    doc.title_k = "".join(doc.k_lines[start: end + 1])[cut:].rstrip(" |\t")


def _salutation_at(doc: _Letter, i: int) -> tuple[str, str, str] | None:
    """(name as printed, rest as printed, rest keyword) when line i is a salutation: 王明委员：…,
    or a line that is only names and 委员/代表 (贺文国、佟金菊委员) without the colon."""
    k = doc.k_lines[i]
    match = _SALUTATION.match(k[:300]) or _SALUTATION_BARE.match(k[:60])
    if not match:
        return None
    name_k = match.group("name").strip()
    if (_NOT_NAME.search(name_k) or _LABEL_RE.match(k) or _DOC_NUMBER.search(name_k)
            or not _CJK_ONE.search(name_k) or re.search(r"\d{3}|[:：]", name_k)):
        return None
    ns, ne = match.span("name")
    rs = match.start("rest") if match.group("rest") is not None else len(k)
    return doc.t_lines[i][ns:ne].strip(), doc.t_lines[i][rs:], k[rs:]


def _step_salutation(doc: _Letter) -> None:
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
            _set_title(doc, above[-1])

    doc.header_end = doc.sal_idx if doc.sal_idx is not None else (
        doc.title_end + 1 if doc.title_end is not None else min(n, 10))
    doc.header_idx = [i for i in range(min(doc.header_end, 40)) if not doc.furniture[i]]

    para_t, para_k = sal_rest_t, sal_rest_k
    anchor = doc.sal_idx if doc.sal_idx is not None else doc.title_end
    j = (anchor + 1) if anchor is not None else n
    while j < n and len(para_k) < 300 and j < ((doc.sal_idx or doc.title_end or 0) + 4):
        if not doc.furniture[j]:
            if para_k and (_HEADING.match(k_lines[j]) or para_k.endswith(("。", "：", ":"))):
                break
            para_t += t_lines[j]
            para_k += k_lines[j]
        j += 1
    doc.para_t, doc.para_k = para_t, para_k


def _step_signature(doc: _Letter) -> None:
    """The reply date at the bottom and the signing unit on or above its line."""
    k_lines, t_lines, n, result = doc.k_lines, doc.t_lines, doc.n, doc.result
    for i in range(n - 1, max(-1, n - 80), -1):
        if doc.furniture[i]:
            continue
        found = _find_date(k_lines[i], standalone=True)
        if found:
            doc.date_idx = i
            result["reply_date"] = found[0]
            before_k = k_lines[i][: found[1]].strip(" \t")
            before_k = re.sub(r"(?:答复日期|复函日期|办理日期|日期|时间)\s*[:：]?$", "", before_k).strip()
            if before_k and _unit_like(before_k):
                result["signed_by"] = t_lines[i][: len(before_k)].strip()
            break
    if doc.date_idx is None:
        for i in range(n - 1, max(-1, n - 12), -1):
            if not doc.furniture[i] and _MONTH_ONLY.match(k_lines[i].strip()):
                doc.partial_date = t_lines[i].strip()
                doc.date_idx = i  # the signature is above it all the same
                doc.warnings.append(f"答复日期只写到月（{doc.partial_date}），未填写答复日期")
                break
    if doc.date_idx is not None and result["signed_by"] is None:
        units = []
        for i in range(doc.date_idx - 1, max(-1, doc.date_idx - 5), -1):
            k = k_lines[i].strip()
            if doc.furniture[i] or re.fullmatch(r"[(（]?(?:盖章|印章|公章|章)[)）]?", k):
                continue
            seal = _SEAL.search(k)
            if seal:
                k = k[: seal.start()]
            if _unit_like(k):
                units.insert(0, t_lines[i].strip()[: len(k)])
                continue
            break
        if units:
            result["signed_by"] = "、".join(units)


def _step_footer(doc: _Letter) -> None:
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


def _step_issuer(doc: _Letter) -> None:
    """The header unit (…文件), else a unit line above the title, else the title's prefix."""
    k_lines, t_lines, result = doc.k_lines, doc.t_lines, doc.result
    for i in doc.header_idx:
        k = k_lines[i].strip()
        match = re.match(r"^(.{2,40}?)\s*文件$", k)
        if match and _unit_like(match.group(1)):
            result["issuer"] = t_lines[i][: match.end(1)].strip()
            break
    if result["issuer"] is None and doc.title_k:
        match = re.match(r"^(.{3,40}?)(?:关于|对)", doc.title_k)
        if match and _unit_like(match.group(1)):
            result["issuer"] = doc.title_t[: match.end(1)]
    if result["issuer"] is None:
        # the nearest unit line above the title (a site's own name may head the page further up)
        above = [i for i in doc.header_idx if doc.title_idx is None or i < doc.title_idx]
        for i in reversed(above):
            if _unit_like(k_lines[i]):
                result["issuer"] = t_lines[i].strip()
                break
    if result["issuer"] is None and doc.title_k:
        # a list page names the unit after the title: …建议的答复（水利局）
        match = re.search(r"[(（]([^()（）]{2,30})[)）]$", doc.title_k)
        if match and _unit_like(match.group(1)):
            result["issuer"] = doc.title_t[match.start(1): match.end(1)]
    if result["issuer"] is None and result["signed_by"] is None and doc.meta.get("unit"):
        result["issuer"] = doc.meta["unit"]
        doc.warnings.append(f"信件没有落款，答复单位取自网页的发布机构（{result['issuer']}）")
    if result["issuer"] and result["signed_by"]:
        a = re.sub(r"\s", "", result["issuer"])
        b = re.sub(r"\s", "", result["signed_by"])
        if a != b:
            doc.warnings.append(f"抬头单位（{result['issuer']}）与落款单位（{result['signed_by']}）不一致")


def _step_doc_number(doc: _Letter) -> None:
    """The letter's own document number, in the header."""
    for i in doc.header_idx + ([doc.title_idx] if doc.title_idx is not None else []):
        k = doc.k_lines[i]
        cut = k.rfind("文件") + 2 if "文件" in k else 0
        match = _DOC_NUMBER.search(k[:MAX_LINE], cut)
        if match:
            doc.result["doc_number"] = re.sub(r"\s", "", doc.t_lines[i][match.start("dn"): match.end("dn")])
            return


def _step_labels(doc: _Letter) -> None:
    """Labelled values anywhere above the footer (not in page furniture, except a 文号), then the
    reply date and the doc number from their labels when the layout did not give them."""
    labelled = doc.labelled
    for i in range(min(doc.n, doc.footer)):
        k = doc.k_lines[i]
        if doc.furniture[i] and "文号" not in k:
            continue
        matches = list(_LABEL_RE.finditer(k[:MAX_LINE]))
        for m_i, match in enumerate(matches):
            label = match.group("label")
            field_name = _LABEL_FIELD[label]
            if doc.furniture[i] and field_name != "doc_number":
                continue
            end = matches[m_i + 1].start() if m_i + 1 < len(matches) else len(k)
            value_t = doc.t_lines[i][match.end(): end]
            value_k = k[match.end(): end]
            if m_i + 1 == len(matches) and value_k.count("）") > value_k.count("（"):
                cut = value_k.rfind("）")
                value_t, value_k = value_t[:cut], value_k[:cut]
            labelled.setdefault(field_name, []).append((i, label, _clean_value(value_t), _clean_value(value_k)))
    result = doc.result
    if result["reply_date"] is None:
        for _i, _label, _value_t, value_k in labelled.get("date", []):
            found = _find_date(value_k)
            if found:
                result["reply_date"] = found[0]
                break
    if result["reply_date"] is None and doc.partial_date is None and doc.meta.get("date"):
        result["reply_date"] = doc.meta["date"]
        label = doc.meta["date_label"] if doc.meta["date_label"] in _WRITTEN_DATES else "发布日期"
        doc.warnings.append(f"信中没有日期，答复日期取自网页的{label}（{result['reply_date']}），请核对")
    if result["doc_number"] is None:
        for _i, _label, value_t, value_k in labelled.get("doc_number", []):
            match = _DOC_NUMBER.search(value_k)
            if match:
                result["doc_number"] = re.sub(r"\s", "", value_t[match.start("dn"): match.end("dn")])
                break


def _step_classification(doc: _Letter) -> None:
    """The class: in the header, glued to the doc number, labelled, or alone at the bottom."""
    k_lines = doc.k_lines
    classes: list[str] = []
    for i in doc.header_idx + ([doc.title_idx] if doc.title_idx is not None else []):
        k = k_lines[i].strip()
        match = _CLASS_ALONE.match(k)
        if match and (i != doc.title_idx):
            classes.append(match.group("c").upper())
            continue
        for match in _CLASS_INLINE.finditer(k[:MAX_LINE]):
            classes.append((match.group("c") or match.group("g")).upper())
    for _i, _label, _vt, value_k in doc.labelled.get("class", []):
        match = re.match(r"^[(（]?([A-Da-d甲乙丙丁])\s*类?(?![A-Za-z])", value_k)
        if match:
            classes.append(match.group(1).upper())
    if doc.date_idx is not None:
        for i in range(max(doc.date_idx - 8, doc.header_end), min(doc.footer, doc.date_idx + 6)):
            match = _CLASS_ALONE.match(k_lines[i].strip())
            if match and match.group("lei") and not doc.furniture[i]:
                classes.append(match.group("c").upper())
    distinct = list(dict.fromkeys(classes))
    if len(distinct) == 1:
        doc.result["classification"] = distinct[0]
    elif len(distinct) > 1:
        doc.conflicts["classification"] = distinct
        doc.warnings.append(f"信中的办理类别不一致（{'、'.join(distinct)}），未采用任何一个")


def _step_session(doc: _Letter) -> None:
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


def _step_body(doc: _Letter) -> None:
    """政协 or 人大: the session text, then the item word and the salutation."""
    result, warnings, conflicts = doc.result, doc.warnings, doc.conflicts
    bodies = [s.body for s in doc.sessions if s.body]
    sal_hint = None
    if doc.sal_name_t:
        name_k = doc.sal_name_t.translate(_TRAD)
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


def _step_region(doc: _Letter) -> None:
    """The place named in the session, else the level (市/县/区) resolved by the unit's name."""
    result = doc.result
    regions = list(dict.fromkeys(s.region for s in doc.sessions if s.region))
    levels = list(dict.fromkeys(s.level for s in doc.sessions if s.level))
    unit_for_region = result["issuer"] or result["signed_by"]
    if len(regions) == 1:
        result["region"] = regions[0]
        unit_place = _region_of_unit(unit_for_region, None)
        if unit_place and len(unit_place) > len(regions[0]) and \
                unit_place.translate(_TRAD).endswith(regions[0].translate(_TRAD)):
            result["region"] = unit_place  # the session's place lost its first characters
    elif len(regions) > 1:
        doc.conflicts["region"] = regions
        doc.warnings.append(f"信中的地区不一致（{'、'.join(regions)}），未采用任何一个")
    elif levels:
        found = [r for r in (_region_of_unit(unit_for_region, lv) for lv in levels) if r]
        if len(set(found)) == 1:
            result["region"] = found[0]
        else:
            doc.warnings.append(f"会议名称只写了“{levels[0]}”，未能从单位名称确定是哪个{levels[0]}")
    else:
        result["region"] = _region_of_unit(unit_for_region, None)


def _step_proposal_number(doc: _Letter) -> None:
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


def _step_proposer(doc: _Letter) -> None:
    """The proposer: the salutation, else a 提案人/领衔代表 label. A letter addressed to a
    government unit (a co-unit's opinion sent to the lead unit) does not name the proposer there."""
    result, warnings = doc.result, doc.warnings
    proposer = None
    if result["addressee"] and is_government_unit(result["addressee"]):
        warnings.append(f"信件称呼的是单位（{result['addressee']}），可能是协办单位致主办单位的意见")
    elif doc.sal_name_t:
        proposer, proposers = _proposer_of(doc.sal_name_t)
        if proposer:
            result["proposers"] = proposers
    label_proposers = [v for _i, _l, v, _k in doc.labelled.get("proposer", []) if v not in _EMPTY_VALUES]
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


def _step_title(doc: _Letter) -> None:
    """The proposal's title (关于…的建议), not the letter's own."""
    header_lines = [(doc.t_lines[i], doc.k_lines[i]) for i in doc.header_idx if i not in doc.in_title]
    doc.result["title"] = _proposal_title(doc.title_t, doc.title_k, doc.para_t, doc.para_k, doc.labelled,
                                          header_lines, doc.warnings, doc.conflicts)


def _step_people(doc: _Letter) -> None:
    """Handlers, phones and the leader from their labels."""
    result, blank = doc.result, doc.blank
    handlers: list[str] = []
    phones: list[str] = []
    leaders: list[str] = []
    for field_name in ("handler", "handler_phone", "phone", "leader"):
        for _i, _label, value_t, value_k in doc.labelled.get(field_name, []):
            empty = value_k in _EMPTY_VALUES
            if field_name in ("handler", "handler_phone"):
                names = [] if empty else _names(value_t)
                _add_unique(handlers, names)
                blank["handler"] = blank.get("handler", True) and not names
                found = _phones(value_t)
                _add_unique(phones, found)
                if field_name == "handler_phone":
                    blank["phone"] = blank.get("phone", True) and not found
            elif field_name == "phone":
                found = [] if empty else _phones(value_t)
                _add_unique(phones, found)
                blank["phone"] = blank.get("phone", True) and not found
            else:
                names = [] if empty else _names(value_t)
                _add_unique(leaders, names[:1])
                blank["leader"] = blank.get("leader", True) and not names
    result["handlers"] = handlers
    result["phones"] = phones
    if not leaders and doc.sal_idx is not None:
        for i in range(doc.sal_idx + 1, min(doc.n, doc.footer)):
            match = _SIGNED_OFF.search(doc.k_lines[i][:MAX_LINE])
            if match and match.group("name") not in _OFFICE_TITLES:
                leaders.append(doc.t_lines[i][match.start("name"): match.end("name")])
                break
    if len(leaders) == 1:
        result["leader"] = leaders[0]
    elif len(leaders) > 1:
        result["leader"] = leaders[0]
        doc.warnings.append(f"信中写了多位负责人/签发人（{'、'.join(leaders)}），已取第一位")


def _step_units(doc: _Letter) -> None:
    """The lead unit, co-units and 分办 units from their labels (above the date line)."""
    def units_of(field_name: str) -> list[str]:
        out: list[str] = []
        for i, _label, value_t, value_k in doc.labelled.get(field_name, []):
            if doc.date_idx is not None and i > doc.date_idx:
                continue
            if value_k in _EMPTY_VALUES or "网站" in value_k:
                continue
            _add_unique(out, [u for u in _NAME_SPLIT.split(value_t) if u and u not in _EMPTY_VALUES])
        return out

    result = doc.result
    leads = units_of("lead")
    if leads:
        result["lead_unit"] = leads[0] if len(leads) == 1 else "、".join(leads)
        if len(leads) > 1:
            doc.warnings.append(f"主办单位写了多个（{'、'.join(leads)}），请核对")
    result["co_units"] = units_of("co")
    result["split_units"] = units_of("split")


def _step_script(doc: _Letter) -> None:
    """Note a letter in Traditional characters (its fields stay as printed)."""
    if len(_TRADITIONAL_ONLY.findall("".join(doc.t_lines[:300])[:20_000])) >= 5:
        doc.traditional = True
        doc.warnings.append("信件为繁体字：各项按原文输出，与提案和单位匹配时使用简体")


def _step_simplified_copy(doc: _Letter) -> None:
    """For a Traditional letter, the Simplified copy of the fields that are matched."""
    if not doc.traditional:
        return
    copy = doc.result["simplified"]
    for key in _FOLDED_FIELDS:
        value = doc.result[key]
        folded = [to_simplified(x) for x in value] if isinstance(value, list) else to_simplified(value)
        if folded != value:
            copy[key] = folded


def for_matching(parsed: dict) -> dict:
    """The parsed letter with the Simplified copy of its matched fields in place of the printed
    ones (晉城市 → 晋城市): what identities, units and contacts are looked up by."""
    return {**parsed, **(parsed.get("simplified") or {})}


def _step_missing(doc: _Letter) -> None:
    """Say what could not be read (and whether the letter left it blank)."""
    result, warnings, blank, conflicts = doc.result, doc.warnings, doc.blank, doc.conflicts

    def missing(name: str, key: str) -> None:
        if blank.get(key):
            warnings.append(f"未能识别：{name}（信中为空）")
        elif key not in blank:
            warnings.append(f"未能识别：{name}")

    if result["proposal_number"] is None and "proposal_number" not in conflicts:
        warnings.append("未能识别：案号")
    if result["term"] is None and "session" not in conflicts:
        warnings.append("未能识别：届次")
    if result["body"] is None and "body" not in conflicts:
        warnings.append("未能识别：政协提案还是人大建议")
    if result["proposer"] is None and "proposer" not in conflicts:
        warnings.append("未能识别：提案人")
    if result["title"] is None and "title" not in conflicts:
        warnings.append("未能识别：案由（提案标题）")
    if result["reply_date"] is None:
        warnings.append("未能识别：答复日期")
    if result["issuer"] is None and result["signed_by"] is None:
        warnings.append("未能识别：答复单位")
    if result["leader"] is None and blank.get("leader"):
        missing("负责人", "leader")
    if not result["handlers"]:
        missing("承办人", "handler")
    if not result["phones"]:
        missing("联系电话", "phone")


# The parser: each step reads what the earlier ones found and fills in its part of the result.
PIPELINE = (
    _step_script,
    _step_page_chrome,
    _step_heading,
    _step_salutation,
    _step_signature,
    _step_footer,
    _step_issuer,
    _step_doc_number,
    _step_labels,
    _step_classification,
    _step_session,
    _step_body,
    _step_region,
    _step_proposal_number,
    _step_proposer,
    _step_title,
    _step_people,
    _step_units,
    _step_missing,
    _step_simplified_copy,
)


# ----------------------------------------------------------------------------- Traditional → Simplified

# A letter in Traditional characters is output as printed; these fields also get a Simplified
# copy (``result["simplified"]``), which is what matching against proposals and units uses.
_FOLDED_FIELDS = ("region", "issuer", "signed_by", "lead_unit", "co_units", "split_units", "proposer",
                  "proposers", "addressee", "title", "handlers", "leader")
_T2S = None  # the converter, found on first use


def _load_t2s():
    """OpenCC's Traditional → Simplified (phrase-aware) when a package providing the ``opencc``
    module is installed (opencc-python-reimplemented, or OpenCC's own binding), else the
    character table above."""
    try:
        import opencc

        for config in ("t2s", "t2s.json"):
            try:
                convert = opencc.OpenCC(config).convert
                if convert("晉城市澤州縣") == "晋城市泽州县":
                    return convert
            except Exception:  # noqa: BLE001 - another config name, or a broken install
                continue
    except Exception:  # noqa: BLE001 - not installed: the table
        pass
    return lambda text: text.translate(_FOLD)


def to_simplified(text: str) -> str:
    """Traditional characters in ``text`` folded to Simplified (晉城市 → 晋城市)."""
    global _T2S
    if not text:
        return text
    if _T2S is None:
        _T2S = _load_t2s()
    return _T2S(text)


def _title_rest(k: str, next_k: str) -> bool:
    """next_k ends a title begun on the line k (…第125号提案 / 的答复, …建议的答 / 复), and is not
    the rest of a first paragraph (…收悉 / ，经我局认真研究，现答复如下：)."""
    return (
        len(next_k) <= 40 and bool(_REPLY_WORDS.search(k[-3:] + next_k)) and "。" not in next_k
        and "如下" not in next_k and next_k[0] not in "，,、；;：:" and not next_k.endswith(("：", ":"))
    )


def _proposer_of(name_t: str) -> tuple[str | None, list[str]]:
    """(proposer as printed, individual names) from a salutation or a 提案人 value."""
    name_t = re.sub(r"^(?:尊敬的|敬爱的|亲爱的)", "", name_t.strip()).strip()
    name_k = name_t.translate(_TRAD)
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


def _proposal_title(title_t, title_k, para_t, para_k, labelled, header_lines, warnings, conflicts) -> str | None:
    def quoted(t: str, k: str) -> list[tuple[int, str]]:
        """Quoted titles, best first: a quote followed by 收悉 is the proposal itself; a quote
        naming a proposal (关于…/…建议) comes next; a cited policy (《…实施方案》) never."""
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

    ranked = quoted(para_t, para_k) if para_k else []
    if para_k:
        match = _TITLE_PLAIN.search(para_k[:MAX_LINE]) or _TITLE_LOOSE.search(para_k[:MAX_LINE])
        if match:
            rank = 1 if _RECEIVED.match(para_k, match.end()) else 3
            ranked.append((rank, para_t[match.start(1): match.end(1)]))
    candidates_para = [value for _rank, value in sorted(ranked, key=lambda item: item[0])]
    candidates_title = [value for _rank, value in quoted(title_t, title_k)] if title_k else []
    if not candidates_title and title_k:
        match = re.match(r"^.{0,40}?关于(?:对)?(关于.{2,80}?的(?:建议|提案|议案))的?(?:答复|复函|回复)", title_k)
        if not match:
            match = re.match(r"^.{0,40}?(关于.{2,80}?的(?:建议|提案|议案))的?(?:答复|复函|回复)", title_k)
        if match and not _SESSION.search(match.group(1)) and not re.search(r"第.{0,12}号", match.group(1)):
            candidates_title = [title_t[match.start(1): match.end(1)]]
    labelled_titles = [v for _i, _l, v, _k in labelled.get("title", []) if v not in _EMPTY_VALUES]
    labelled_titles = [re.sub(r"^[《“「『\"](.*)[》”」』\"]$", r"\1", v) for v in labelled_titles]
    for line_t, line_k in header_lines:
        # A line of its own under the reply's title: 关于…的建议
        if re.fullmatch(r"[《“]?关于.{2,80}的(?:建议|提案|议案)[》”]?", line_k) and not _REPLY_WORDS.search(line_k):
            labelled_titles.append(line_t.strip("《》“”"))

    chosen = (candidates_para or candidates_title or labelled_titles or [None])[0]
    if chosen is None:
        return None

    def key(s: str) -> str:
        return re.sub(rf"[^{_CJK}A-Za-z0-9]|^关于", "", s.translate(_TRAD))

    for other in candidates_title[:1] + labelled_titles[:1]:
        a, b = key(chosen), key(other)
        if a and b and a not in b and b not in a:
            conflicts["title"] = [chosen, other]
            warnings.append(f"信中的提案标题不一致（“{chosen}”与“{other}”），请核对")
            break
    return chosen
