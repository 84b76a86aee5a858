"""A city office's first day on the example fixture (tests/fixtures/make_office.py), through the
emulator: the 交办清单 with short unit names and merged cells, the 联系人名单, a letter naming
the full unit; one unit per department, a handler for every open item, liaisons who see and
answer their unit's items."""

from pathlib import Path

import pytest

from bot.model import Contact, Department, Proposal
from tests.conftest import ADMIN, Chat, start_bot, stop_bot, write_config
from tests.fixtures.make_office import ALSO_WRITTEN, ITEMS, UNITS, build

# the conversations here reach the bot by webhook POSTs (conftest.receive_mode)
pytestmark = pytest.mark.webhook


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
        chat.list_answer = (await chat.import_list(list_path.name, list_path.read_bytes()))[0].text
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
    assert not [d.name for d in repo.departments() if d.pending]  # 市民政局 is not near 市财政局
    assert "待确认" not in office.list_answer
    await office.upload("发改委答复.txt", FULL_LETTER.encode("utf-8"))
    assert len(repo.departments()) == len(UNITS), [d.name for d in repo.departments()]
    for short, full, *_ in UNITS:
        assert len(units_named(repo, short, full, ALSO_WRITTEN.get(short, short))) == 1, short
    # a unit written with its region anywhere (here the contact list) carries that full name
    assert repo.department("晋城市教育局") is not None and repo.department("市教育局") is None
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
    assert "第84行：案号80与第83行重复" in office.list_answer
    assert "已略过：空行 第43、105行；重复行 第84行；合计行 第166行" in office.list_answer, office.list_answer
    assert "未使用的列：备注" in office.list_answer


def test_the_proposer_check_understands_a_group_of_members():
    from bot.importer import same_proposer

    assert same_proposer("张三", "张三等3位委员")
    assert same_proposer("王五", "王五、赵六")
    assert same_proposer("李刚代表", "李刚、王强、赵敏三位代表")
    assert not same_proposer("李四", "张三等3位委员")


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
    # a co-unit's liaison owes an opinion but is no handler of the item: no /reply for it
    co_item = next(p for p in repo.proposals() if liaison.unit_id in p.co_unit_ids)
    assert liaison.id not in [c.id for c in svc.units.handlers_of(co_item)]
    (refused,) = await office.send(f"/reply {co_item.number} B", user=LIAISON_USER)
    assert repo.get(Proposal, co_item.id).state == co_item.state, refused.text


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


async def test_merge_moves_items_contacts_and_supervisor_and_survives_a_restart(tmp_path, emulator, clock):
    config = write_config(tmp_path)
    app, svc = await start_bot(emulator, config, clock, samples=False)
    chat = Chat(emulator, app, svc, clock)
    try:
        lst = ("（示例数据）晋城市政协八届五次会议提案交办清单\n提案号,案由,提案人,主办单位,交办日期\n"
               "1,关于甲的建议,张三,晋城市教育局,2026-09-15\n"
               "2,关于乙的建议,李四,市教体局,2026-09-15\n")
        (answer,) = await chat.import_list("清单.csv", lst.encode("utf-8"))
        assert "单位“市教体局”待确认" in answer.text and "最接近的是：晋城市教育局" in answer.text, answer.text
        await chat.upload("联系人.csv", "单位,姓名,职务,手机\n市教体局,王丽娟,联络员,13903560001\n".encode("utf-8"))
        pending = svc.repo.department("市教体局")
        assert pending.pending
        await chat.send(f"/supervisor 市教体局 -100777")
        (listing,) = await chat.send("/merge")
        assert "市教体局" in listing.text and "晋城市教育局" in listing.text
        (refused,) = await chat.send("/merge 市教体局 晋城市教育局", user=1002)
        assert "仅限管理员" in refused.text
        (done,) = await chat.send("/merge 市教体局 晋城市教育局")
        assert "转移事项 1 件、联系人 1 人" in done.text, done.text
        target = svc.repo.department("晋城市教育局")
        assert "市教体局" in target.aliases and target.supervisor_chat_id == -100777
        assert svc.repo.department("市教体局") is None
        (entry,) = [e for e in svc.repo.audit_entries() if e["action"] == "merge_units"]
        assert entry["before"]["departments"][0]["name"] == "市教体局"
        assert [p["number"] for p in entry["before"]["proposals"]] == ["2"]
    finally:
        await stop_bot(app)
    app, svc = await start_bot(emulator, config, clock, samples=False)
    chat = Chat(emulator, app, svc, clock)
    try:
        assert "aliases" not in config.read_text(encoding="utf-8") or "市教体局" not in config.read_text(encoding="utf-8")
        assert svc.units.resolve("市教体局", "晋城市").unit.name == "晋城市教育局"
        (dept,) = await chat.send("/dept 市教体局")
        assert "晋城市教育局" in dept.text and "在办 2 件" in dept.text, dept.text
        (answer,) = await chat.import_list("清单2.csv", (lst + "3,关于丙的建议,王五,市教体局,2026-09-15\n").encode("utf-8"))
        assert "待确认" not in answer.text
        assert len(svc.repo.departments()) == 1
    finally:
        await stop_bot(app)


async def test_numbers_sort_by_their_numeric_part_and_body_words_select_the_body(chat):
    repo = chat.services.repo
    with repo.batch():
        for number in ("104", "TA1", "4", "23"):
            repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=5, number=number,
                              title=f"关于第{number}号事项的建议", lead_unit="晋城市排序测试局",
                              state="handling", assigned_date="2026-06-01", due_date="2026-09-01"))
        repo.put(Proposal(body="人大", region="晋城市", term=17, meeting=3, number="4",
                          title="关于人大事项的建议", lead_unit="晋城市另一局", state="handling"))
    for command in ("/dept 晋城市排序测试局", "/overdue"):
        (answer,) = await chat.send(command)
        text = answer.text
        positions = [text.index(f"关于第{n}号事项") for n in ("4", "23", "104", "TA1")]
        assert positions == sorted(positions), (command, text)
    for typed, title in (("/status 人大4号", "关于人大事项的建议"), ("/status 建议4号", "关于人大事项的建议"),
                         ("人大4号", "关于人大事项的建议"), ("/status 政协4号", "关于第4号事项的建议"),
                         ("提案4号", "关于第4号事项的建议")):
        (answer,) = await chat.send(typed)
        assert title in answer.text, (typed, answer.text)


def test_an_empty_duplicate_never_ranks_above_the_unit_holding_the_items(tmp_path):
    """The issue's case: the letter's full-name unit had no items, the list's short-name unit 11."""
    from bot.search import SearchIndex
    from bot.storage import Repository

    repo = Repository(tmp_path / "p.json")
    repo.put(Department(name="晋城市发展和改革委员会", region="晋城市"))
    for n in range(11):
        repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number=str(n + 1),
                          title=f"关于第{n}项的建议", lead_unit="市发展改革委", state="handling"))
    index = SearchIndex.build(repo, {"发改委": ("发展和改革委员会", "发展改革委")})
    hits = index.find_units("发改委").hits
    assert hits[0].record.name == "市发展改革委", [(h.record.name, h.score) for h in hits]


async def test_a_sweep_pings_each_linked_liaison_once_with_their_units_items(office):
    """Day one's list and contacts, two liaisons linked, the clock moved to the day before the
    items fall due: each liaison gets one bundled message with the items their unit leads and
    the co-unit opinions it owes; no item of another unit."""
    from datetime import datetime

    from handlers.reminders import sweep_now
    from tests.conftest import TZ

    svc, emulator = office.services, office.emulator
    linked = {"王丽娟": 5005, "郭晓峰": 5006}
    for contact in svc.repo.contacts():
        if contact.name in linked:
            contact.telegram_user_id = linked[contact.name]
            svc.repo.put(contact)
            emulator.add_user(linked[contact.name])
    office.clock.now = datetime(2026, 12, 14, 10, 0, tzinfo=TZ)  # due 2026-12-15: one day left
    markers = {user: emulator.mark(user) for user in linked.values()}
    await sweep_now(office.app)
    for name, user in linked.items():
        (message,) = await emulator.await_sent(user, count=1, since=markers[user])
        unit = next(c for c in svc.repo.contacts() if c.name == name).unit_id
        led = [p for p in svc.repo.proposals() if p.lead_unit_id == unit]
        assert len(led) >= 10
        for p in led:
            assert f"第{p.number}号 " in message.text, (name, p.number)
        assert "协办意见" in message.text
        others = [p for p in svc.repo.proposals() if p.lead_unit_id != unit and unit not in p.co_unit_ids]
        assert not any(f"第{p.number}号 " in message.text for p in others)
    await sweep_now(office.app)  # a second sweep the same day sends nothing again
    assert all(len(emulator.sent(user)) == 1 for user in linked.values())
