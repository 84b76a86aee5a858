"""A realistic synthetic data set for the benches: proposals over several regions and sessions,
their replies, contacts and units (Department records with abbreviations).

    .venv/bin/python bench/gen_data.py 100000 bench/out/synthetic-100000.json

Scale: N proposals, N/10 contacts, min(2000, max(60, N/50)) units. Deterministic for a seed.
The file is a TinyDB database in the layout ``Repository`` reads. ``generate`` also returns the
facts a labelled query set needs (each unit's region, type and abbreviation).
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

# Cities with their counties / districts (Shanxi), and the landline area code of each city.
CITIES = {
    "晋城市": ("0356", ["城区", "泽州县", "高平市", "阳城县", "陵川县", "沁水县"]),
    "长治市": ("0355", ["潞州区", "上党区", "屯留区", "潞城区", "襄垣县", "平顺县", "黎城县", "壶关县", "长子县", "武乡县", "沁县", "沁源县"]),
    "太原市": ("0351", ["小店区", "迎泽区", "杏花岭区", "尖草坪区", "万柏林区", "晋源区", "清徐县", "阳曲县", "娄烦县", "古交市"]),
    "晋中市": ("0354", ["榆次区", "太谷区", "介休市", "平遥县", "灵石县", "寿阳县", "祁县"]),
    "运城市": ("0359", ["盐湖区", "永济市", "河津市", "临猗县", "闻喜县"]),
    "临汾市": ("0357", ["尧都区", "侯马市", "霍州市", "洪洞县"]),
}
SESSION_REGIONS = ["晋城市", "城区", "泽州县", "高平市", "阳城县", "陵川县", "沁水县", "长治市",
                   "潞州区", "太原市", "小店区", "运城市"]

# (full name, abbreviation) of unit types; county-level variants where they differ.
CITY_TYPES = [
    ("发展和改革委员会", "发改委"), ("教育局", "教育局"), ("公安局", "公安局"), ("民政局", "民政局"),
    ("司法局", "司法局"), ("财政局", "财政局"), ("人力资源和社会保障局", "人社局"),
    ("自然资源和规划局", "规自局"), ("生态环境局", "生态环境局"), ("住房和城乡建设局", "住建局"),
    ("交通运输局", "交通局"), ("水务局", "水务局"), ("农业农村局", "农业农村局"), ("商务局", "商务局"),
    ("文化和旅游局", "文旅局"), ("卫生健康委员会", "卫健委"), ("退役军人事务局", "退役军人局"),
    ("应急管理局", "应急局"), ("审计局", "审计局"), ("市场监督管理局", "市场监管局"), ("统计局", "统计局"),
    ("医疗保障局", "医保局"), ("行政审批服务管理局", "审批局"), ("工业和信息化局", "工信局"),
    ("科学技术局", "科技局"), ("国有资产监督管理委员会", "国资委"), ("城市管理局", "城管局"),
    ("信访局", "信访局"), ("能源局", "能源局"), ("林业局", "林业局"), ("体育局", "体育局"),
    ("地方金融监督管理局", "金融局"), ("机关事务管理局", "机关事务局"), ("融媒体中心", "融媒体中心"),
    ("总工会", "总工会"), ("妇女联合会", "妇联"), ("残疾人联合会", "残联"), ("工商业联合会", "工商联"),
    ("科学技术协会", "科协"), ("文学艺术界联合会", "文联"), ("红十字会", "红十字会"), ("档案馆", "档案馆"),
    ("住房公积金管理中心", "公积金中心"), ("疾病预防控制中心", "疾控中心"), ("政务服务中心", "政务中心"),
    ("人民政府办公室", "政府办"), ("外事办公室", "外办"), ("民族宗教事务局", "民宗局"),
    ("人民防空办公室", "人防办"), ("大数据应用局", "大数据局"), ("人民医院", "人民医院"),
    ("公路事业发展中心", "公路中心"), ("乡村振兴局", "乡村振兴局"), ("中医院", "中医院"),
]
COUNTY_VARIANTS = {
    "发展和改革委员会": [("发展和改革局", "发改局"), ("发展改革和科技局", "发改局")],
    "卫生健康委员会": [("卫生健康和体育局", "卫体局"), ("卫生健康局", "卫健局")],
    "国有资产监督管理委员会": [("国有资产服务中心", "国资中心")],
}

SURNAMES = ("王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧程曹袁邓许傅沈曾彭吕苏卢蒋蔡"
            "贾丁魏薛叶阎余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段"
            "钱汤尹黎易常武乔贺赖龚文牛樊申靳李王张")
RARE_SURNAMES = ["单", "解", "区", "仇", "朴", "查", "曾", "欧阳", "司马", "上官"]
GIVEN = ("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红飞鹏慧志文建国斌宇浩凯晓东"
         "雪梅琳婷辉俊峰晨阳海波宁亮瑞欣怡佳雨萱子涵博文轩梓睿思源一诺嘉悦晨曦诗琪立新卫红春生")

PARTIES = ["民革", "民盟", "民建", "民进", "农工党", "致公党", "九三学社", "台盟"]
SECTORS = ["经济界", "教育界", "科技界", "医药卫生界", "农业界", "文化艺术界", "社会福利界", "工商联界"]

VERBS = ["加快推动", "进一步加强", "推进", "完善", "加大", "优化", "规范", "促进", "支持", "提升", "解决",
         "建立健全", "强化", "做好", "重视", "落实", "深化", "统筹推进", "大力发展", "着力改善"]
SCOPES = ["我市", "我县", "我区", "全市", "城区", "农村", "", "", ""]
AREAS = ["城乡", "农村", "社区", "校园", "景区", "园区", "老城区", "县城", "乡镇", "城市", "山区", "矿区",
         "开发区", "高速沿线", "旅游", "养老", "医疗", "教育", "文化", "体育", "交通", "生态", "产业", "数字",
         "营商", "就业", "消费", "物流", "水利", "能源"]
SUBJECTS = ["融合发展", "基础设施建设", "环境整治", "公共服务", "安全管理", "停车管理", "人才队伍建设",
            "垃圾分类", "饮水安全", "道路养护", "数字化转型", "品牌建设", "服务体系建设", "资金保障",
            "标准化建设", "信息化建设", "应急能力建设", "监管机制", "服务质量", "协调发展", "绿色发展",
            "高质量发展", "综合治理", "改造提升", "配套设施", "运营管理", "扶持政策", "考核评价",
            "人才引进", "产业融合发展", "示范创建", "整体规划", "投融资机制", "风险防控", "志愿服务",
            "老旧小区改造", "充电设施布局", "课后服务", "医共体建设", "夜间经济"]
SUFFIXES = ["的建议"] * 6 + ["的提案", "工作的建议", "问题的建议", "建议的建议"]


@dataclass
class Unit:
    name: str
    region: str
    city: str
    type_full: str
    abbr: str
    aliases: list[str] = field(default_factory=list)


@dataclass
class Dataset:
    proposals: list[dict]
    replies: list[dict]
    contacts: list[dict]
    departments: list[dict]
    units: list[Unit]
    sessions: list[tuple]


def _person(rng: random.Random) -> str:
    surname = rng.choice(RARE_SURNAMES) if rng.random() < 0.04 else rng.choice(SURNAMES)
    given = "".join(rng.choice(GIVEN) for _ in range(1 if rng.random() < 0.3 else 2))
    return surname + given


def _region_parts(region: str) -> tuple[str, str]:
    for city, (_, counties) in CITIES.items():
        if region == city or region in counties:
            return city, region
    raise KeyError(region)


def _level_word(region: str) -> str:
    return region[-1] if region[-1] in "市县区" else "市"


def make_units(count: int, rng: random.Random) -> list[Unit]:
    regions = []
    for city, (_, counties) in CITIES.items():
        regions.append(city)
        regions.extend(counties)
    # Regions with sessions first, so the proposals' lead units exist at every scale.
    regions.sort(key=lambda r: (r not in SESSION_REGIONS, SESSION_REGIONS.index(r) if r in SESSION_REGIONS else 0))
    units: list[Unit] = []
    per_region = max(6, -(-count // len(regions)))
    for region in regions:
        city = _region_parts(region)[0]
        county = region != city
        types = CITY_TYPES[:per_region]
        for full, abbr in types:
            if county and full in COUNTY_VARIANTS:
                full, abbr = rng.choice(COUNTY_VARIANTS[full])
            name = region + full
            short = region[:-1] if len(region) >= 3 else region
            aliases = []
            if rng.random() < 0.6:  # some departments carry their abbreviations, some do not
                aliases = [short + abbr, _level_word(region) + abbr]
            units.append(Unit(name, region, city, full, abbr, aliases))
            if len(units) >= count:
                return units
    return units


def generate(n: int, seed: int = 1) -> Dataset:
    rng = random.Random(seed)
    unit_count = min(2000, max(60, n // 50))
    units = make_units(unit_count, rng)
    by_region: dict[str, list[Unit]] = {}
    for u in units:
        by_region.setdefault(u.region, []).append(u)

    # Contacts: each works in a unit; unique phones.
    contacts: list[dict] = []
    used_phones: set[str] = set()
    n_contacts = max(20, n // 10)
    contacts_of_unit: dict[str, list[int]] = {}
    for cid in range(1, n_contacts + 1):
        unit = units[(cid * 7919) % len(units)] if cid <= len(units) else rng.choice(units)
        area = CITIES[unit.city][0]
        phones = []
        for _ in range(1 if rng.random() < 0.7 else 2):
            while True:
                if rng.random() < 0.5:
                    phone = f"{area}-{rng.randint(2, 8)}{rng.randint(0, 999999):06d}"
                else:
                    phone = f"1{rng.choice('3456789')}{rng.randint(0, 999999999):09d}"
                if phone not in used_phones:
                    used_phones.add(phone)
                    phones.append(phone)
                    break
        contacts.append({"id": cid, "name": _person(rng), "unit": unit.name, "phones": phones,
                         "telegram_user_id": None, "telegram_username": None, "muted": False})
        contacts_of_unit.setdefault(unit.name, []).append(cid)

    # Sessions: region × body × term × meeting.
    sessions = []
    for region in SESSION_REGIONS:
        if region not in by_region:
            continue
        city_level = region in CITIES
        for body in ("政协", "人大"):
            terms = (7, 8) if body == "政协" else ((15, 16) if city_level else (16, 17))
            for term in terms:
                for meeting in range(1, 6):
                    sessions.append((region, body, term, meeting))
    per_session = -(-n // len(sessions))

    members: dict[str, list[str]] = {}
    proposals: list[dict] = []
    replies: list[dict] = []
    pid = 0
    rid = 0
    for region, body, term, meeting in sessions:
        year = 2016 + (term - 7) * 5 + meeting if body == "政协" else 2016 + (term % 5) * 5 + meeting
        style = "ta" if (region == "高平市" and body == "政协") else (
            "year" if (body == "人大" and region in ("晋城市", "长治市")) else (
                "pad" if region in ("阳城县", "泽州县") else "plain"))
        pool = members.setdefault(f"{region}{body}", [_person(rng) for _ in range(150)])
        local_units = by_region[region]
        for seq in range(1, per_session + 1):
            if pid >= n:
                break
            pid += 1
            if style == "ta":
                number = f"TA{seq:04d}"
            elif style == "year":
                number = f"{year}{seq:04d}"
            elif style == "pad":
                number = f"{seq:04d}"
            else:
                number = str(seq)
            title = "关于" + rng.choice(VERBS) + rng.choice(SCOPES) + rng.choice(AREAS) + rng.choice(SUBJECTS) + rng.choice(SUFFIXES)
            r = rng.random()
            if body == "政协":
                if r < 0.25:
                    org = _region_parts(region)[0] if rng.random() < 0.5 else region
                    kind = rng.choice(["委会", "委员会", "支社", "支部"]) if region not in CITIES else rng.choice(["委会", "委员会"])
                    proposer = rng.choice(PARTIES) + org + kind
                elif r < 0.32:
                    proposer = f"{region}政协{rng.choice(SECTORS)}"
                elif r < 0.45:
                    proposer = f"{rng.choice(pool)}等{rng.randint(2, 9)}位委员"
                else:
                    proposer = rng.choice(pool)
            else:
                proposer = f"{rng.choice(pool)}等{rng.randint(2, 12)}位代表" if r < 0.4 else rng.choice(pool)
            lead = rng.choice(local_units)
            co = [u.name for u in rng.sample(local_units, k=min(len(local_units), rng.choice([0, 0, 1, 1, 2, 3])))
                  if u.name != lead.name]
            handlers = contacts_of_unit.get(lead.name, [])[:2]
            state = rng.choice(["assigned", "handling", "handling", "replied", "replied", "follow_up", "closed"])
            assigned = f"{year}-0{rng.randint(3, 5)}-{rng.randint(10, 28)}"
            proposals.append({
                "id": pid, "body": body, "region": region, "term": term, "meeting": meeting,
                "number": number, "title": title, "proposer": proposer, "lead_unit": lead.name,
                "co_units": co, "assigned_date": assigned, "due_date": None, "complex": False,
                "state": state, "handlers": list(handlers), "feedback": None, "feedback_date": None,
                "follow_up_date": None, "extension_days": 0, "warnings": [],
            })
            if state in ("replied", "follow_up", "closed"):
                rid += 1
                handler_names = [contacts[h - 1]["name"] for h in handlers]
                phones = contacts[handlers[0] - 1]["phones"][:1] if handlers else []
                replies.append({
                    "id": rid, "proposal_id": pid, "issuer": lead.name, "signed_by": None,
                    "doc_number": f"{lead.region[:1]}{lead.abbr[:2]}发〔{year}〕{rid % 400 + 1}号",
                    "classification": rng.choice("ABC"), "reply_date": f"{year}-0{rng.randint(6, 9)}-{rng.randint(10, 28)}",
                    "handlers": handler_names, "leader": _person(rng), "phones": phones,
                    "source_hash": None, "source_name": None, "warnings": [],
                })
    departments = [{"id": i + 1, "name": u.name, "aliases": u.aliases, "supervisor_chat_id": None}
                   for i, u in enumerate(units)]
    return Dataset(proposals, replies, contacts, departments, units, sessions)


def write_db(data: Dataset, path: Path) -> Path:
    """Write the data set as the TinyDB file Repository reads (documents keyed by id)."""

    def table(rows: list[dict]) -> dict[str, dict]:
        out = {}
        for row in rows:
            doc = {k: v for k, v in row.items() if k != "id"}
            doc["schema"] = 1
            out[str(row["id"])] = doc
        return out

    payload = {
        "proposals": table(data.proposals), "replies": table(data.replies),
        "contacts": table(data.contacts), "departments": table(data.departments),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(payload, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return path


def main(argv: list[str]) -> int:
    if not argv or not argv[0].isdigit():
        print("usage: gen_data.py N [OUT.json] [SEED]", file=sys.stderr)
        return 2
    n = int(argv[0])
    out = Path(argv[1]) if len(argv) > 1 else Path(__file__).parent / "out" / f"synthetic-{n}.json"
    seed = int(argv[2]) if len(argv) > 2 else 1
    data = generate(n, seed)
    write_db(data, out)
    print(f"{out}: {len(data.proposals)} proposals, {len(data.replies)} replies, "
          f"{len(data.contacts)} contacts, {len(data.departments)} units, {len(data.sessions)} sessions")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
