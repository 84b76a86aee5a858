"""Traditional and Simplified characters.

A letter in Traditional characters is output as printed; matching runs on a keyword copy
(``TRAD``: common Traditional characters mapped one for one to Simplified, so positions line up),
and the fields that are matched against proposals and units get a Simplified copy
(``result["simplified"]``, see ``for_matching``).
"""

from __future__ import annotations

import re

from .state import Letter


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
# for folding names to Simplified when no converter library is installed (see to_simplified).
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
TRAD = str.maketrans({pair[0]: pair[1] for pair in (_TRAD_PAIRS + " " + _NAME_PAIRS).split()})
# Characters that only occur in Traditional text (覆 is also Simplified: 覆盖).
_TRADITIONAL_ONLY = re.compile("[" + "".join(p[0] for p in _TRAD_PAIRS.split() if p[0] != "覆") + "]")
# Names folded to Simplified without a converter: the same table, less 覆 (覆盖 is Simplified).
_FOLD = {key: value for key, value in TRAD.items() if key != ord("覆")}
_TRAD_CHAR = re.compile("[" + "".join(re.escape(chr(key)) for key in TRAD) + "]")


def keyword(text: str) -> str:
    """The keyword copy of ``text``: its Traditional characters folded one for one. Translated
    only when there is one to fold: most letters are Simplified, and ``str.translate`` through
    this table costs a dict look-up per character where the scan is one pass in C."""
    return text.translate(TRAD) if _TRAD_CHAR.search(text) else text


def step_script(doc: Letter) -> None:
    """Note a letter in Traditional characters (its fields stay as printed)."""
    if len(_TRADITIONAL_ONLY.findall("".join(doc.t_lines[:300])[:20_000])) >= 5:
        doc.traditional = True
        doc.warnings.append("信件为繁体字：各项按原文输出，与提案和单位匹配时使用简体")


def step_simplified_copy(doc: Letter) -> None:
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
