"""A proposal's history (bot/history.py): events in, state and due date out, in any order;
letters recorded once; late letters never move the state backwards."""

import random
from dataclasses import replace
from datetime import date

from bot.config import load_config
from bot.deadlines import WorkCalendar, due_date_of, extend
from bot.history import rebuild_all, replay, timeline
from bot.importer import Importer
from bot.model import Department, Event, Proposal
from bot.render import status_card
from bot.services import Services
from bot.storage import Repository
from tests.conftest import Clock, write_config

CO = "晋城市民政局"
LEAD = "晋城市教育局"

LETTER = """晋城市教育局
{cls}类
关于市政协八届四次会议第12号提案的答复
张三委员：
您提出的《关于加强中小学心理健康教育的建议》收悉，现答复如下：
我局高度重视，{body}
承办人：李某
联系电话：0356-2023156
晋城市教育局
{day}
"""

OPINION = """晋城市民政局
关于市政协八届四次会议第12号提案的协办意见
晋城市教育局：
《关于加强中小学心理健康教育的建议》收悉，现将我局意见函告如下：
我局将配合做好社区心理服务。
联系人：王某
联系电话：0356-2020001
晋城市民政局
2025年5月30日
"""


def proposal(**changes) -> Proposal:
    base = Proposal(body="政协", region="晋城市", term=8, meeting=4, number="12",
                    title="关于加强中小学心理健康教育的建议", proposer="张三等3位委员",
                    lead_unit=LEAD, co_units=[CO, "晋城市卫生健康委员会"], id=1)
    return replace(base, **changes)


def history_events() -> list[Event]:
    stamp = "2025-06-25T08:00:0{}+00:00"
    return [
        Event(proposal_id=1, kind="assigned", business_date="2025-03-14", recorded_at=stamp.format(0), id=1),
        Event(proposal_id=1, kind="co_unit_opinion", business_date="2025-05-30", unit=CO,
              recorded_at=stamp.format(1), id=2),
        Event(proposal_id=1, kind="reply", business_date="2025-06-12", classification="B",
              doc_number="晋市教函〔2025〕36号", unit=LEAD, recorded_at=stamp.format(2), id=3),
        Event(proposal_id=1, kind="feedback", business_date="2025-06-20", feedback="不满意",
              recorded_at=stamp.format(3), id=4),
        Event(proposal_id=1, kind="extension", business_date="2025-06-21", days=10, reason="需协调",
              recorded_at=stamp.format(4), id=5),
        Event(proposal_id=1, kind="nudge", business_date="2025-06-22", recorded_at=stamp.format(5), id=6),
    ]


def test_the_same_events_in_any_order_give_the_same_card(tmp_path):
    config = load_config(write_config(tmp_path))
    calendar = WorkCalendar.from_config(config)
    today = date(2025, 7, 1)
    events = history_events()
    cards = set()
    rng = random.Random(8)
    for _ in range(20):
        shuffled = events[:]
        rng.shuffle(shuffled)
        p = replay(proposal(), shuffled, config, calendar)
        cards.add((status_card(p, [], [], due_date_of(p, config, calendar), today), tuple(p.co_units_done)))
    (card, done), = cards
    assert "状态：重新办理" in card and done == (CO,)
    p = replay(proposal(), events, config, calendar)
    # reopened on 06-20: due two months later (08-20), extended ten days from there → 08-30 (a
    # Saturday), rolled to Monday 09-01
    assert p.state == "reopened" and due_date_of(p, config, calendar) == date(2025, 9, 1)


def test_an_extension_counts_from_the_rolled_due_date(tmp_path):
    config = load_config(write_config(tmp_path))
    calendar = WorkCalendar.from_config(config)
    # assigned 2026-11-21 + 3 months = Sunday 2027-02-21, rolled to Monday 02-22
    item = proposal(assigned_date="2026-11-21", state="assigned")
    assert due_date_of(item, config, calendar) == date(2027, 2, 22)
    longer = extend(item, 1, config, calendar)
    assert due_date_of(longer, config, calendar) == date(2027, 2, 23)
    try:
        extend(item, -1, config, calendar)  # Sunday rolls back to the same Monday
    except ValueError as exc:
        assert "未作更改" in str(exc)
    else:
        raise AssertionError("an extension that changes nothing must be refused")


def test_rebuild_at_load_replaces_a_stale_cached_state(tmp_path):
    config = load_config(write_config(tmp_path))
    repo = Repository(tmp_path / "p.json")
    item = repo.put(proposal(id=None))
    for event in history_events():
        repo.put(replace(event, id=None, proposal_id=item.id))
    item.state = "closed"  # a cache gone wrong (a crash between two writes, an old version)
    repo.put(item)
    repo.close()
    again = Repository(tmp_path / "p.json")
    assert rebuild_all(again, config, WorkCalendar.from_config(config)) == 1
    assert again.get(Proposal, item.id).state == "reopened"


def test_histories_replayed_at_load_only_when_code_rules_or_units_changed(tmp_path):
    config = load_config(write_config(tmp_path))
    calendar = WorkCalendar.from_config(config)
    repo = Repository(tmp_path / "p.json")
    item = repo.put(proposal(id=None))
    for event in history_events():
        repo.put(replace(event, id=None, proposal_id=item.id))
    item.state = "closed"  # a stale cache
    repo.put(item)
    assert rebuild_all(repo, config, calendar) == 1  # no fingerprint yet: replayed, and stored
    repo.close()
    repo = Repository(tmp_path / "p.json")
    assert repo.get(Proposal, item.id).state == "reopened"
    stored = repo.get(Proposal, item.id)
    stored.state = "closed"
    repo.put(stored)  # stale again, behind the fingerprint's back
    assert rebuild_all(repo, replace(config, base_url="http://elsewhere/bot"), calendar) == 0  # trusted
    assert repo.get(Proposal, item.id).state == "closed"
    longer = tuple(replace(rule, reply_months=rule.reply_months + 1) for rule in config.rules)
    assert rebuild_all(repo, replace(config, rules=longer), calendar) == 1  # other rules: replayed
    assert repo.get(Proposal, item.id).state == "reopened"
    repo.put(Department(name="晋城市教育局"))
    stored = repo.get(Proposal, item.id)
    stored.state = "closed"
    repo.put(stored)
    assert rebuild_all(repo, replace(config, rules=longer), calendar) == 1  # a unit more: replayed
    repo.close()


def letter(cls: str, day: str, body: str = "已列入明年计划。") -> bytes:
    return LETTER.format(cls=cls, day=day, body=body).encode("utf-8")


def test_reupload_after_dissatisfied_feedback_changes_nothing(tmp_path):
    config = load_config(write_config(tmp_path))
    repo = Repository(tmp_path / "p.json")
    services = Services(config, repo, Clock())
    importer = services.importer()
    first = importer.import_bytes(letter("B", "2025年6月12日"), "reply-12.txt")
    assert "→ 已答复 B类（待跟进" in first.changes[0], first.changes
    (item,) = repo.proposals()
    services.record(item, Event(proposal_id=item.id, kind="feedback", business_date="2025-06-20",
                                feedback="不满意", by=1001, source="chat"))
    before = [(e.kind, e.business_date) for e in timeline(repo, item.id)]
    assert repo.proposals()[0].state == "reopened"

    # the same letter again, under another name and as GBK: nothing at all
    again = importer.import_bytes(LETTER.format(cls="B", day="2025年6月12日", body="已列入明年计划。")
                                  .encode("gbk"), "第12号答复（旧）.txt")
    assert not again.changed and "已登记过" in again.changes[0]
    assert [(e.kind, e.business_date) for e in timeline(repo, item.id)] == before
    assert repo.proposals()[0].state == "reopened"

    # a different letter dated before the feedback: in the history, the state stays
    older = importer.import_bytes(letter("A", "2025年6月10日", "另函补充说明。"), "older.txt")
    assert "状态不变（重新办理）" in older.changes[0], older.changes
    assert repo.proposals()[0].state == "reopened"
    kinds = [(e.kind, e.business_date, e.late) for e in timeline(repo, item.id)]
    assert ("reply", "2025-06-10", True) in kinds and len(kinds) == len(before) + 1

    # the re-reply after the feedback moves it on
    newer = importer.import_bytes(letter("A", "2025年7月15日", "已办结。"), "rereply.txt")
    assert "补充答复" in newer.changes[0]
    assert repo.proposals()[0].state == "replied"

    # and a restart rebuilds the same state from the events
    repo.close()
    reopened = Services(config, Repository(tmp_path / "p.json"), Clock())
    assert reopened.repo.proposals()[0].state == "replied"


def test_a_co_unit_opinion_leaves_the_proposal_open(tmp_path):
    config = load_config(write_config(tmp_path))
    repo = Repository(tmp_path / "p.json")
    repo.put(proposal(id=None, state="assigned", assigned_date="2025-03-14"))
    importer = Importer(repo, config)
    report = importer.import_bytes(OPINION.encode("utf-8"), "民政局协办意见.txt")
    assert "协办意见" in report.changes[0], report.changes
    (item,) = repo.proposals()
    assert item.is_open and item.co_units_done == [CO]
    assert item.handlers == []  # its author is a contact of the co-unit, never a handler
    assert [c.unit for c in repo.contacts()] == [CO]


def test_co_unit_pings_stop_once_its_opinion_is_in(tmp_path):
    from bot.reminder_plan import plan_sweep
    from bot.model import Contact

    config = load_config(write_config(tmp_path))
    liaison = Contact(name="王某", unit=CO, unit_id=7, telegram_user_id=77, id=5)
    item = proposal(co_units=[CO], co_unit_ids=[7], lead_unit_id=3)
    assigned = Event(proposal_id=1, kind="assigned", business_date="2026-10-20", id=1)
    today = date(2026, 11, 20)  # a month after assignment: the co-unit's opinion is due today
    open_item = replay(item, [assigned], config)
    pings = plan_sweep(today, [open_item], {5: liaison}, config, None, liaisons={7: 5})
    assert [(p.step, p.recipient) for p in pings] == [("co-due-0", 77)]
    opinion = Event(proposal_id=1, kind="co_unit_opinion", business_date="2026-11-18", unit="民政局",
                    unit_id=7, id=2)
    done = replay(item, [assigned, opinion], config)
    assert done.co_units_done == [CO] and done.is_open
    assert plan_sweep(today, [done], {5: liaison}, config, None, liaisons={7: 5}) == []
