"""A city office's first day on the example fixture (tests/fixtures/make_office.py), through the
emulator: the 交办清单 with short unit names and merged cells, the 联系人名单, a letter naming
the full unit; one unit per department, a handler for every open item, liaisons who see and
answer their unit's items."""

from pathlib import Path

import pytest

from bot.model import Contact, Department, Proposal
from tests.conftest import ADMIN, Chat, start_bot, stop_bot, write_config
from tests.fixtures.make_office import ALSO_WRITTEN, ITEMS, UNITS, build

SEEDS = Path(__file__).resolve().parents[2] / "shared" / "seeds"
if not SEEDS.exists():
    SEEDS = Path(__file__).resolve().parents[1] / "data" / "samples" / "letters"

LIAISON_USER = 5005

FULL_LETTER = """晋城市发展和改革委员会

关于市政协八届五次会议第 4 号提案的答复

李四委员：

您提出的《关于加强中小企业融资工作的建议》收悉，现答复如下：正在办理。

承办人：郭晓峰
联系电话：0356-2000000

晋城市发展和改革委员会
2026年11月20日
"""


@pytest.fixture
async def office(tmp_path, emulator, clock):
    """A bot with an empty database, the example list and contact list uploaded."""
    app, services = await start_bot(emulator, write_config(tmp_path), clock, samples=False)
    chat = Chat(emulator, app, services, clock)
    list_path, contacts_path = build(tmp_path / "office")
    try:
        chat.list_answer = (await chat.upload(list_path.name, list_path.read_bytes()))[0].text
        chat.contacts_answer = (await chat.upload(contacts_path.name, contacts_path.read_bytes()))[0].text
        yield chat
    finally:
        await stop_bot(app)


def units_named(repo, *names):
    return {d.id for d in repo.departments() if d.name in names or set(names) & set(d.aliases)}


async def test_one_unit_per_department_after_list_contacts_and_a_full_name_letter(office):
    repo = office.services.repo
    assert f"新增提案 {ITEMS} 件" in office.list_answer, office.list_answer
    assert len(repo.departments()) == len(UNITS)
    await office.upload("发改委答复.txt", FULL_LETTER.encode("utf-8"))
    assert len(repo.departments()) == len(UNITS), [d.name for d in repo.departments()]
    for short, full, *_ in UNITS:
        assert len(units_named(repo, short, full, ALSO_WRITTEN.get(short, short))) == 1, short
    drc = repo.department("晋城市发展和改革委员会")
    assert drc is not None and {"市发改委", "市发展改革委"} <= set(drc.aliases)
    # every contact exactly once, on the full unit
    contacts = repo.contacts()
    assert len({(c.name, c.unit_id) for c in contacts}) == len(contacts)
    assert all(c.unit_id is not None for c in contacts)


async def test_every_open_item_has_a_handler_and_merged_cells_filled(office):
    svc = office.services
    items = [p for p in svc.repo.proposals() if p.is_open]
    assert len(items) == ITEMS
    assert all(p.lead_unit_id is not None for p in items)
    assert all(svc.units.handlers_of(p) for p in items)
    # the numbers as written 第4号 / （2） / 4号 are the numbers themselves
    assert {p.number for p in items} == {str(n) for n in range(1, ITEMS + 1)}


async def test_import_answers_name_pending_liaison_and_skipped_rows(office):
    assert "晋城市医疗保障局的联络员待确认" in office.contacts_answer or "市医保局的联络员待确认" in office.contacts_answer
    assert "第84行" in office.list_answer


async def test_dept_by_short_name_lists_the_units_items(office):
    repo = office.services.repo
    for query in ("发改委", "市教育局"):
        unit = office.services.units.resolve(query, "晋城市").unit
        count = len(repo.open_proposals_of_unit(unit.id))
        assert count >= 10
        (answer,) = await office.send(f"/dept {query}")
        assert f"在办 {count} 件" in answer.text, answer.text


async def test_linked_liaison_sees_pings_and_may_reply(office):
    svc = office.services
    repo = svc.repo
    liaison = next(c for c in repo.contacts() if c.name == "王丽娟")
    assert svc.units.liaison_of(liaison.unit_id).contact.id == liaison.id
    assert svc.units.unit_leader_of(liaison.unit_id).name == "赵志刚"
    liaison.telegram_user_id = LIAISON_USER
    repo.put(liaison)
    (due,) = await office.send("/due", user=LIAISON_USER)
    led = [p for p in repo.proposals() if p.lead_unit_id == liaison.unit_id]
    assert f"您的在办事项：{len(led)} 件" in due.text, due.text
    assert "本单位协办事项" in due.text
    item = next(p for p in repo.proposals() if p.lead_unit_id == liaison.unit_id)
    (answer,) = await office.send(f"/reply {item.number} B", user=LIAISON_USER)
    assert "已登记" in answer.text or "已答复" in answer.text or "待跟进" in answer.text, answer.text
    other = next(p for p in repo.proposals() if p.lead_unit_id != liaison.unit_id
                 and liaison.unit_id not in p.co_unit_ids)
    (refused,) = await office.send(f"/reply {other.number} B", user=LIAISON_USER)
    assert repo.get(Proposal, other.id).state == other.state
    assert "权限" in refused.text or "只有" in refused.text or "不能" in refused.text, refused.text


async def test_a_later_list_changes_the_liaison(office):
    svc = office.services
    unit = svc.repo.department("晋城市医疗保障局") or next(
        d for d in svc.repo.departments() if "市医保局" in (d.name, *d.aliases))
    first = svc.units.liaison_of(unit.id)
    assert first.pending and first.contact.name == "谢宏伟"
    csv = "单位,姓名,职务,手机\n市医保局,董立军,提案联络员,13703560012\n"
    await office.upload("联系人更新.csv", csv.encode("utf-8"))
    now = svc.units.liaison_of(unit.id)
    assert now.contact.name == "董立军" and not now.pending
    item = next(p for p in svc.repo.proposals() if p.lead_unit_id == unit.id)
    assert [c.name for c in svc.units.handlers_of(item)] == ["董立军"]
