"""Unit resolution: short forms offices really write resolve to the full unit of the region.

None of these pairs is in config.toml's [aliases]: the general rule (region prefix, then a
character-subsequence match inside the region) must find them.
"""

import pytest

from bot.model import Department
from bot.units import UnitResolver, split_region

CITY = "晋城市"
COUNTY = "泽州县"
DISTRICT = "城区"

FULL_NAMES = [
    (CITY, f"{CITY}{core}") for core in (
        "发展和改革委员会", "教育局", "交通运输局", "住房和城乡建设局", "人力资源和社会保障局",
        "卫生健康委员会", "文化和旅游局", "应急管理局", "市场监督管理局", "工业和信息化局",
        "民政局", "财政局", "公安局", "公安局交通警察支队", "行政审批服务管理局", "医疗保障局",
        "退役军人事务局", "规划和自然资源局", "城市管理局", "农业农村局", "人民政府办公室",
        "人民政府国有资产监督管理委员会", "科学技术协会", "体育局", "生态环境局",
    )
] + [
    (COUNTY, f"{COUNTY}{core}") for core in ("住房和城乡建设局", "教育局", "发展和改革局", "卫生健康局")
] + [
    (DISTRICT, f"{DISTRICT}{core}") for core in ("人力资源和社会保障局", "教育局")
]

# (short form as written, region of the document, full name it must resolve to)
PAIRS = [
    ("市发改委", CITY, "晋城市发展和改革委员会"),
    ("市发展改革委", CITY, "晋城市发展和改革委员会"),
    ("发改委", CITY, "晋城市发展和改革委员会"),
    ("晋城市发改委", CITY, "晋城市发展和改革委员会"),
    ("市教育局", CITY, "晋城市教育局"),
    ("市交通局", CITY, "晋城市交通运输局"),
    ("市住建局", CITY, "晋城市住房和城乡建设局"),
    ("市人社局", CITY, "晋城市人力资源和社会保障局"),
    ("市卫健委", CITY, "晋城市卫生健康委员会"),
    ("市文旅局", CITY, "晋城市文化和旅游局"),
    ("市应急局", CITY, "晋城市应急管理局"),
    ("市市场监管局", CITY, "晋城市市场监督管理局"),
    ("市工信局", CITY, "晋城市工业和信息化局"),
    ("市审批局", CITY, "晋城市行政审批服务管理局"),
    ("市医保局", CITY, "晋城市医疗保障局"),
    ("市退役军人局", CITY, "晋城市退役军人事务局"),
    ("市规自局", CITY, "晋城市规划和自然资源局"),
    ("市自然资源局", CITY, "晋城市规划和自然资源局"),
    ("市城管局", CITY, "晋城市城市管理局"),
    ("市农业局", CITY, "晋城市农业农村局"),
    ("市政府办", CITY, "晋城市人民政府办公室"),
    ("市国资委", CITY, "晋城市人民政府国有资产监督管理委员会"),
    ("市科协", CITY, "晋城市科学技术协会"),
    ("市公安局", CITY, "晋城市公安局"),
    ("市交警支队", CITY, "晋城市公安局交通警察支队"),
    ("县住建局", COUNTY, "泽州县住房和城乡建设局"),
    ("县发改局", COUNTY, "泽州县发展和改革局"),
    ("县卫健局", COUNTY, "泽州县卫生健康局"),
    ("县教育局", COUNTY, "泽州县教育局"),
    ("区人社局", DISTRICT, "城区人力资源和社会保障局"),
    ("区教育局", DISTRICT, "城区教育局"),
    # a full name in another region's document still goes to its own region
    ("市体育局", COUNTY, "晋城市体育局"),  # 市 in a county's list: the city (the default region)
    ("泽州县教育局", CITY, "泽州县教育局"),
]


def registry() -> UnitResolver:
    units = [Department(name=name, region=region, id=i) for i, (region, name) in enumerate(FULL_NAMES, 1)]
    return UnitResolver(units, default_region=CITY)


@pytest.mark.parametrize("short,region,full", PAIRS)
def test_short_form_resolves_to_the_full_unit(short, region, full):
    match = registry().resolve(short, region)
    assert match.unit is not None, f"{short} unresolved"
    assert match.unit.name == full


def test_at_least_twenty_pairs_none_of_them_in_the_config_aliases():
    """The resolver above has no alias table at all; and even counting only the pairs whose
    short form is not a key of config.toml's [aliases], there are more than twenty."""
    from pathlib import Path

    from bot.config import load_config

    assert registry().aliases == {}
    aliases = load_config(Path(__file__).resolve().parents[1] / "bot" / "config_template.toml").aliases
    outside = [short for short, _region, _full in PAIRS
               if not any(abbr in short for abbr in aliases)]
    assert len(outside) >= 20


@pytest.mark.parametrize("name,region", [
    ("县体育局", COUNTY),        # the county has no sports bureau: never the city's
    ("市税务局", CITY),          # no such unit: not the 财政局 nor anything else
    ("市住建委", CITY),          # a 委 is not a 局
    ("县人社局", COUNTY),
])
def test_names_without_a_unit_stay_unresolved(name, region):
    assert registry().resolve(name, region).unit is None


def test_the_reverse_direction_a_full_name_finds_the_short_unit():
    units = [Department(name="市发改委", region=CITY, id=1), Department(name="市教育局", region=CITY, id=2)]
    resolver = UnitResolver(units, default_region=CITY)
    assert resolver.resolve("晋城市发展和改革委员会", CITY).unit.id == 1
    assert resolver.resolve("晋城市教育局", CITY).unit.id == 2


def test_exact_names_and_stored_aliases_win_over_subsequences():
    units = [Department(name="晋城市教育局", region=CITY, id=1),
             Department(name="晋城市教育科技局", region=CITY, aliases=["市教科局"], id=2)]
    resolver = UnitResolver(units, default_region=CITY)
    assert resolver.resolve("市教育局", CITY).unit.id == 1
    assert resolver.resolve("市教科局", CITY).unit.id == 2
    assert resolver.resolve("市教科局", CITY).how == "alias"


def test_config_aliases_still_resolve():
    units = [Department(name="晋城市发展改革和科技局", region=CITY, id=1)]
    resolver = UnitResolver(units, default_region=CITY, aliases={"发科局": ("发展改革和科技局",)})
    assert resolver.resolve("市发科局", CITY).unit.id == 1


def test_a_tie_is_not_guessed():
    units = [Department(name="晋城市公安局", region=CITY, id=1), Department(name="晋城市公路局", region=CITY, id=2)]
    resolver = UnitResolver(units, default_region=CITY)
    match = resolver.resolve("市公局", CITY)
    assert match.unit is None
    assert {u.id for u in match.nearest} == {1, 2}


def test_region_prefix_rules():
    regions = {CITY, COUNTY, DISTRICT}
    assert split_region("晋城市发展和改革委员会", CITY, regions) == (CITY, "发展和改革委员会")
    assert split_region("市发改委", CITY, regions) == (CITY, "发改委")
    assert split_region("县住建局", COUNTY, regions) == (COUNTY, "住建局")
    assert split_region("发改委", CITY, regions) == (CITY, "发改委")
    assert split_region("泽州县教育局", CITY, regions) == (COUNTY, "教育局")
    assert split_region("高平市教育局", CITY, regions) == ("高平市", "教育局")
    assert split_region("市城市管理局", CITY, regions) == (CITY, "城市管理局")
    assert split_region("晋城市城市管理局", CITY, regions) == (CITY, "城市管理局")
    # with no region known yet, the name's own prefix is the region
    assert split_region("晋城市教育局", None) == (CITY, "教育局")
    assert split_region("城市管理局", None) == ("", "城市管理局")


def test_escalation_goes_to_the_linked_unit_leader_when_no_supervisor_chat(tmp_path):
    from datetime import date

    from bot.config import load_config
    from bot.reminder_plan import plan_sweep
    from bot.model import Contact, Proposal
    from tests.conftest import write_config

    config = load_config(write_config(tmp_path))
    unit = Department(name="晋城市教育局", region=CITY, id=1)
    leader = Contact(name="赵志刚", unit=unit.name, unit_id=1, position="分管副局长", telegram_user_id=77, id=7)
    liaison = Contact(name="王丽娟", unit=unit.name, unit_id=1, position="联络员", telegram_user_id=55, id=5)
    item = Proposal(body="政协", region=CITY, term=8, meeting=5, number="12", title="关于甲的建议",
                    lead_unit=unit.name, lead_unit_id=1, state="handling", due_date="2026-11-02", id=3)
    contacts = {7: leader, 5: liaison}
    pings = plan_sweep(date(2026, 11, 10), [item], contacts, config, None, departments=[unit],
                       liaisons={1: 5}, leaders={1: 7})
    steps = {(p.step, p.recipient) for p in pings}
    assert ("escalate", 77) in steps and ("overdue-8", 55) in steps
    assert not any(p.step == "escalate" and p.recipient in config.admins for p in pings)
    unit.supervisor_chat_id = -100123  # a supervisor chat, when set, comes first
    pings = plan_sweep(date(2026, 11, 10), [item], contacts, config, None, departments=[unit],
                       liaisons={1: 5}, leaders={1: 7})
    assert {p.recipient for p in pings if p.step == "escalate"} == {-100123}
