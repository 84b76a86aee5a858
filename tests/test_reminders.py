"""The delivery ledger (exactly-once policy), deliver's retries, link tokens, the digest.
The clock and sleep are injected: nothing here waits for real."""

import json
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.deadlines import WorkCalendar, apply_reply
from bot.digest import build_digest
from bot.ledger import BLOCKED, FAILED, SENT, UNCERTAIN, Ledger
from bot.links import LinkError, LinkTokens
from bot.reminder_plan import Ping, plan_sweep
from bot.model import Department, Reply
from bot.reminders import Blocked, PermanentError, RetryLater, TransientError, deliver
from bot.storage import Repository, side_path
from tests.test_deadlines import LEAD, contacts, make_config, proposal

ROOT = Path(__file__).resolve().parent.parent
T0 = datetime(2026, 12, 4, 9, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self, now=T0):
        self.now = now

    def __call__(self):
        return self.now


class Sleeps(list):
    async def __call__(self, seconds):
        self.append(seconds)


class FakeTelegram:
    """Records deliveries; ``script[chat]`` is a list of exceptions to raise first."""

    def __init__(self, script=None):
        self.script = {k: list(v) for k, v in (script or {}).items()}
        self.delivered: list[tuple[int, str]] = []
        self.calls = 0

    async def __call__(self, chat_id, text):
        self.calls += 1
        queue = self.script.get(chat_id)
        if queue:
            raise queue.pop(0)
        self.delivered.append((chat_id, text))


def pings(n=3, step="due-3"):
    return [Ping(i, step, 500 + i, f"第{i}号 提醒", "2026-12-07", f"承办人{i}") for i in range(1, n + 1)]


@pytest.fixture
def ledger_path(tmp_path):
    return side_path(tmp_path / "proposals.json", "ledger")


# -- exactly once ----------------------------------------------------------------------------

async def test_retries_deliver_each_ping_exactly_once(ledger_path):
    sleeps = Sleeps()
    telegram = FakeTelegram({
        501: [RetryLater(7), TransientError("timed out"), TransientError("502 Bad Gateway")],
        502: [TimeoutError()],
    })
    ledger = Ledger(ledger_path, clock=Clock())
    report = await deliver(pings(), telegram, ledger, sleep=sleeps)
    assert sorted(chat for chat, _ in telegram.delivered) == [501, 502, 503]
    assert len(report.sent) == 3 and not report.failed
    assert sleeps == [7.0, 1.0, 2.0, 1.0]  # retry_after honoured, then exponential backoff
    assert all(ledger.status(p.key) == SENT for p in pings())
    # the same pings again (a retry of the sweep): nothing is sent twice
    again = await deliver(pings(), telegram, ledger, sleep=sleeps)
    assert len(again.skipped_already_sent) == 3 and len(telegram.delivered) == 3


async def test_restart_between_sweeps_sends_nothing_twice(ledger_path, tmp_path):
    config = make_config(tmp_path, workdays_only=False)
    items = [proposal(pid=i, number=str(100 + i), assigned_date="2026-09-07") for i in (1, 2)]
    telegram = FakeTelegram()
    ledger = Ledger(ledger_path, clock=Clock())
    planned = plan_sweep(date(2026, 12, 4), items, contacts(), config, None, sent=ledger)
    await deliver(planned, telegram, ledger, sleep=Sleeps())
    ledger.close()
    assert len(telegram.delivered) == 2
    restarted = Ledger(ledger_path, clock=Clock())  # a new process on the same file
    assert plan_sweep(date(2026, 12, 4), items, contacts(), config, None, sent=restarted) == []
    report = await deliver(planned, telegram, restarted, sleep=Sleeps())  # even if re-planned blindly
    assert len(report.skipped_already_sent) == 2 and len(telegram.delivered) == 2
    restarted.compact()
    after_compact = Ledger(ledger_path, clock=Clock())
    assert plan_sweep(date(2026, 12, 4), items, contacts(), config, None, sent=after_compact) == []
    # the next day brings the next step only
    tomorrow = plan_sweep(date(2026, 12, 6), items, contacts(), config, None, sent=after_compact)
    assert [p.step for p in tomorrow] == ["due-1", "due-1"]


async def test_crash_mid_send_resends_the_uncertain_ping_marked(ledger_path):
    telegram = FakeTelegram()
    first = Ledger(ledger_path, clock=Clock())
    await deliver(pings(1), telegram, first, sleep=Sleeps())
    crashed = pings(3)[1]
    assert first.claim(crashed.key) == "send"  # "sending" is on disk … and the process dies here
    first._journal.close()

    second = Ledger(ledger_path, clock=Clock())
    assert second.status(crashed.key) == UNCERTAIN
    report = await deliver(pings(3), telegram, second, sleep=Sleeps())
    assert [p.proposal_id for p in report.sent] == [2, 3]
    assert [p.proposal_id for p in report.resent_uncertain] == [2]
    assert [p.proposal_id for p in report.skipped_already_sent] == [1]
    texts = dict(telegram.delivered)
    assert texts[502].startswith("【补发】第2号 提醒") and "如已收到请忽略" in texts[502]
    assert texts[503] == "第3号 提醒"  # never uncertain: unmarked
    assert second.tally(T0.date()) == {"sent": 2, "resent": 1}

    # crashed again while resending, max_resends times: it stays uncertain and is reported
    assert second.claim(pings(4)[3].key) == "send"
    second._journal.close()
    third = Ledger(ledger_path, clock=Clock())
    third._entries[pings(4)[3].key]["u"] = third.max_resends  # as if resent that often already
    report = await deliver(pings(4)[3:], telegram, third, sleep=Sleeps())
    assert report.uncertain and not report.sent
    assert "仍无法确认" in report.admin_notice() and "承办人4" in report.admin_notice()


async def test_at_most_once_policy_never_resends_uncertain(ledger_path):
    ledger = Ledger(ledger_path, clock=Clock())
    ledger.claim(pings(1)[0].key)
    ledger._journal.close()
    strict = Ledger(ledger_path, clock=Clock(), resend_uncertain=False)
    telegram = FakeTelegram()
    report = await deliver(pings(1), telegram, strict, sleep=Sleeps())
    assert telegram.delivered == [] and len(report.uncertain) == 1
    assert pings(1)[0].key in strict  # plan_sweep leaves it out


def test_killed_process_mid_sweep_loses_and_duplicates_nothing_but_the_one_in_flight(ledger_path):
    """A real crash: the child process dies (os._exit) inside the third send."""
    log = ledger_path.with_name("delivered.txt")
    child = textwrap.dedent(f"""
        import asyncio, os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from bot.ledger import Ledger
        from bot.reminder_plan import Ping
        from bot.reminders import deliver
        pings = [Ping(i, "due-3", 500 + i, "t", "2026-12-07") for i in range(1, 6)]
        async def send(chat, text):
            if chat == 503:
                os._exit(9)  # killed while the request is in flight
            with open({str(log)!r}, "a") as f:
                f.write(f"{{chat}}\\n")
        asyncio.run(deliver(pings, send, Ledger({str(ledger_path)!r})))
    """)
    result = subprocess.run([sys.executable, "-c", child], capture_output=True, timeout=60)
    assert result.returncode == 9, result.stderr.decode()
    assert log.read_text().split() == ["501", "502"]

    async def resume():
        delivered = []

        async def send(chat, text):
            delivered.append(chat)
            assert text.startswith("【补发】") == (chat == 503)  # only the one in flight is marked

        ledger = Ledger(ledger_path)
        all_pings = [Ping(i, "due-3", 500 + i, "t", "2026-12-07") for i in range(1, 6)]
        return delivered, await deliver(all_pings, send, ledger, sleep=Sleeps())

    import asyncio

    delivered, report = asyncio.run(resume())
    assert delivered == [503, 504, 505]  # 501, 502 not again; 503 (uncertain) resent once
    assert [p.recipient for p in report.resent_uncertain] == [503]


async def test_transient_failures_are_planned_again_permanent_ones_are_not(ledger_path):
    ledger = Ledger(ledger_path, clock=Clock())
    always_down = FakeTelegram({501: [TransientError("down")] * 20})
    report = await deliver(pings(1), always_down, ledger, sleep=Sleeps(), max_attempts=3)
    assert len(report.failed) == 1 and ledger.status(pings(1)[0].key) == FAILED
    assert report.retrying == pings(1) and always_down.calls == 3
    assert "今天稍后自动重试" in report.admin_notice()
    assert report.admin_notice(retry_round=True) is None  # a retry round does not say it again
    assert pings(1)[0].key not in ledger  # the next run (a retry round) plans it again
    for _ in range(3):
        await deliver(pings(1), always_down, ledger, sleep=Sleeps(), max_attempts=3)
    assert always_down.calls == 12 and pings(1)[0].key not in ledger  # no cap: the day decides
    # a permanent error is not retried within the run, nor planned again
    bad = FakeTelegram({502: [PermanentError("Bad Request: chat not found")]})
    report = await deliver(pings(2)[1:], bad, ledger, sleep=Sleeps())
    assert bad.calls == 1 and "chat not found" in report.failed[0][1] and report.retrying == []
    assert "无法发送" in report.admin_notice() and pings(2)[1].key in ledger
    again = await deliver(pings(2)[1:], bad, Ledger(ledger_path, clock=Clock()), sleep=Sleeps())
    assert bad.calls == 1 and again.skipped_failed and again.admin_notice() is None


async def test_a_lost_answer_is_unconfirmed_and_resent_marked_never_failed(ledger_path):
    from bot.reminders import Unconfirmed

    sleeps = Sleeps()
    telegram = FakeTelegram({501: [Unconfirmed("read timeout")]})
    ledger = Ledger(ledger_path, clock=Clock())
    report = await deliver(pings(2), telegram, ledger, sleep=sleeps)
    assert [p.recipient for p in report.unconfirmed] == [501] and not report.failed
    assert [p.recipient for p in report.resent_uncertain] == [501]
    assert telegram.delivered[0] == (501, "【补发】第1号 提醒\n（此提醒此前可能已送达，如已收到请忽略。）")
    notice = report.admin_notice()
    assert "未确认" in notice and "失败" not in notice and "承办人1" in notice
    assert ledger.tally(T0.date()) == {"unconfirmed": 1, "resent": 1, "sent": 1}
    # answers lost on every resend too: it stops after max_resends and stays reported
    lossy = FakeTelegram({503: [Unconfirmed("dropped")] * 5})
    report = await deliver(pings(3)[2:], lossy, ledger, sleep=sleeps)
    assert lossy.calls == 1 + ledger.max_resends and report.uncertain and not report.failed
    assert ledger.status(pings(3)[2].key) == UNCERTAIN and pings(3)[2].key in ledger


async def test_blocked_user_recorded_reported_and_skipped(ledger_path, tmp_path):
    ledger = Ledger(ledger_path, clock=Clock())
    telegram = FakeTelegram({501: [Blocked("Forbidden: bot was blocked by the user")]})
    report = await deliver(pings(2), telegram, ledger, sleep=Sleeps())
    assert [p.recipient for p in report.blocked] == [501]
    assert ledger.status(pings(1)[0].key) == BLOCKED and ledger.is_blocked(501)
    notice = report.admin_notice()
    assert "已屏蔽机器人" in notice and "承办人1" in notice
    # later pings to the same chat are not attempted, and the plan leaves them out
    later = [Ping(1, "due-1", 501, "t", "2026-12-07")]
    report = await deliver(later, telegram, ledger, sleep=Sleeps())
    assert report.skipped_blocked and telegram.calls == 2
    restarted = Ledger(ledger_path, clock=Clock())
    assert restarted.is_blocked(501) and later[0].key in restarted
    restarted.unblock(501)  # the user came back
    report = await deliver(later, telegram, restarted, sleep=Sleeps())
    assert [p.recipient for p in report.sent] == [501]


async def test_injected_classifier_translates_foreign_exceptions(ledger_path):
    class Forbidden(Exception):  # stands in for telegram.error.Forbidden
        pass

    class RetryAfter(Exception):
        retry_after = 3

    def classify(exc):
        if isinstance(exc, Forbidden):
            return Blocked(str(exc))
        if isinstance(exc, RetryAfter):
            return RetryLater(exc.retry_after)
        return None

    sleeps = Sleeps()
    telegram = FakeTelegram({501: [RetryAfter()], 502: [Forbidden("blocked")]})
    report = await deliver(pings(2), telegram, Ledger(ledger_path), sleep=sleeps, classify=classify)
    assert [p.recipient for p in report.sent] == [501] and [p.recipient for p in report.blocked] == [502]
    assert sleeps == [3]


async def test_torn_journal_line_is_ignored_and_repaired(ledger_path):
    ledger = Ledger(ledger_path, clock=Clock())
    await deliver(pings(2), FakeTelegram(), ledger, sleep=Sleeps())
    ledger.close()
    journal = ledger_path.with_name(ledger_path.name + ".journal")
    with open(journal, "a", encoding="utf-8") as f:
        f.write('{"k":[3,"due-3",503,"2026-12-07"],"s":"se')  # power cut mid-line
    again = Ledger(ledger_path, clock=Clock())
    assert [again.status(p.key) for p in pings(3)] == [SENT, SENT, None]
    assert journal.read_text() == ""  # compacted into the snapshot
    assert json.loads(ledger_path.read_text(encoding="utf-8"))["version"] == 1


async def test_compaction_prunes_closed_items_and_superseded_steps(ledger_path):
    ledger = Ledger(ledger_path, clock=Clock())
    steps = [Ping(1, s, 501, "t", "2026-12-07") for s in ("due-30", "due-14", "due-7")]
    steps += [Ping(1, "escalate", 900, "t", "2026-12-07"), Ping(2, "due-7", 502, "t", "2026-12-09")]
    await deliver(steps, FakeTelegram(), ledger, sleep=Sleeps())
    dropped = ledger.compact(open_ids={1})
    assert dropped == 3  # due-30, due-14 (superseded) and proposal 2 (closed)
    assert steps[2].key in ledger and steps[3].key in ledger and steps[4].key not in ledger
    reloaded = Ledger(ledger_path)
    assert len(reloaded) == 2 and steps[2].key in reloaded


async def test_webhook_pings_use_the_webhook_sender(ledger_path):
    posted = []

    async def webhook_send(unit, text):
        posted.append((unit, text))

    hook = Ping(1, "due-3", f"webhook:{LEAD}", "t", "2026-12-07", LEAD)
    report = await deliver([hook], FakeTelegram(), Ledger(ledger_path), webhook_send=webhook_send, sleep=Sleeps())
    assert posted == [(LEAD, "t")] and report.sent == [hook]
    report = await deliver([hook], FakeTelegram(), Ledger(ledger_path), sleep=Sleeps())
    assert report.skipped_already_sent == [hook]


async def test_pace_between_sends(ledger_path):
    sleeps = Sleeps()
    await deliver(pings(3), FakeTelegram(), Ledger(ledger_path), sleep=sleeps, pace=0.05)
    assert sleeps == [0.05, 0.05]


# -- link tokens -----------------------------------------------------------------------------

def test_link_tokens(tmp_path):
    path = side_path(tmp_path / "proposals.json", "links")
    tokens = LinkTokens(path, ttl_hours=72)
    token = tokens.issue_link_token(7, 900, T0)
    assert len(token) <= 64 and all(c.isalnum() or c in "_-" for c in token)
    again = LinkTokens(path, ttl_hours=72)  # persisted (a restart between issue and use)
    assert again.redeem_link_token(token, 501, T0 + timedelta(hours=1)) == 7
    with pytest.raises(LinkError, match="^该链接已使用过$") as err:
        LinkTokens(path).redeem_link_token(token, 502, T0 + timedelta(hours=2))
    assert err.value.code == "used" and err.value.used_by == 501 and err.value.contact_id == 7

    late = tokens.issue_link_token(8, 900, T0)
    with pytest.raises(LinkError, match="^该链接已过期，请联系管理员重新生成$"):
        LinkTokens(path).redeem_link_token(late, 503, T0 + timedelta(hours=72))
    for bad in ("nope", "", "a" * 65, "含有中文", "x y"):
        with pytest.raises(LinkError, match="^链接无效$"):
            LinkTokens(path).redeem_link_token(bad, 503, T0)


def test_new_link_token_replaces_the_unused_one(tmp_path):
    tokens = LinkTokens(tmp_path / "links.json")
    old = tokens.issue_link_token(7, 900, T0)
    new = tokens.issue_link_token(7, 900, T0 + timedelta(minutes=5))
    with pytest.raises(LinkError) as err:
        tokens.redeem_link_token(old, 501, T0 + timedelta(minutes=6))
    assert err.value.code == "replaced"
    assert tokens.redeem_link_token(new, 501, T0 + timedelta(minutes=6)) == 7


# -- digest ------------------------------------------------------------------------------------

def test_digest_groups_due_overdue_and_replied(tmp_path):
    config = make_config(tmp_path)
    repo = Repository(tmp_path / "proposals.json")
    repo.put(proposal(pid=None, number="125", due_date="2026-12-09"))
    repo.put(proposal(pid=None, number="126", due_date="2026-12-01", title="关于<某>事"))
    repo.put(proposal(pid=None, number="127", due_date="2026-11-20"))
    repo.put(proposal(pid=None, number="128", due_date="2026-11-30", lead_unit="晋城市财政局"))
    repo.put(proposal(pid=None, number="129", due_date="2026-12-30"))  # not this week
    done = repo.put(proposal(pid=None, number="130", due_date="2026-11-01", state="replied"))
    repo.put(Reply(proposal_id=done.id, classification="A", reply_date="2026-12-04", issuer=LEAD))
    repo.put(Reply(proposal_id=done.id, classification="B", reply_date="2026-12-02"))
    calendar = WorkCalendar.from_config(config)
    text = build_digest(date(2026, 12, 7), repo, config, calendar)  # a Monday
    assert "7 天内到期：1 件" in text and "第125号" in text and "第129号" not in text
    assert "已逾期：3 件" in text
    assert f"{LEAD}（2）：第127号 逾期 17 天、第126号 逾期 6 天" in text
    assert "晋城市财政局（1）" in text
    assert "2026-12-04 以来答复：1 件" in text and "A类" in text  # Friday's reply, on Monday


# -- bundling ----------------------------------------------------------------------------------

def many(n, recipient=501, length=20):
    return [Ping(i, "overdue-2" if i % 2 else "due-3", recipient, f"第{i}号" + "字" * length, "2026-12-07")
            for i in range(1, n + 1)]


async def test_several_pings_to_one_recipient_go_as_one_message(ledger_path):
    telegram = FakeTelegram()
    ledger = Ledger(ledger_path, clock=Clock())
    batch = many(4) + [Ping(9, "escalate", 900, "督办", "2026-12-07")]
    report = await deliver(batch, telegram, ledger, sleep=Sleeps())
    assert [chat for chat, _ in telegram.delivered] == [501, 900]
    text = telegram.delivered[0][1]
    assert text.startswith("📋 4 项提醒：")
    assert text.index("第1号") < text.index("第2号")  # overdue before due
    assert text.index("第3号") < text.index("第2号")
    assert len(report.sent) == 5 and all(ledger.status(p.key) == SENT for p in batch)
    again = await deliver(batch, telegram, Ledger(ledger_path), sleep=Sleeps())
    assert len(again.skipped_already_sent) == 5 and len(telegram.delivered) == 2
    # two new pings the next day: below the bundling threshold, sent one by one
    await deliver(many(2, recipient=502), telegram, ledger, sleep=Sleeps())
    assert [chat for chat, _ in telegram.delivered][2:] == [502, 502]


async def test_bundles_are_cut_to_fit_a_message_and_can_be_turned_off(ledger_path):
    telegram = FakeTelegram()
    report = await deliver(many(40, length=200), telegram, Ledger(ledger_path), sleep=Sleeps())
    assert len(report.sent) == 40 and len(telegram.delivered) == 3
    assert all(len(text) <= 3600 for _, text in telegram.delivered)
    other = FakeTelegram()
    await deliver(many(4, recipient=777), other, Ledger(ledger_path), sleep=Sleeps(), bundle_from=None)
    assert len(other.delivered) == 4


async def test_a_crash_during_a_bundle_resends_the_bundle_once(ledger_path):
    ledger = Ledger(ledger_path, clock=Clock())
    for ping in many(3):
        ledger.claim(ping.key)  # sending … crash
    ledger._journal.close()
    telegram = FakeTelegram()
    report = await deliver(many(3), telegram, Ledger(ledger_path), sleep=Sleeps())
    assert len(telegram.delivered) == 1 and len(report.resent_uncertain) == 3
    assert telegram.delivered[0][1].startswith("📋 3 项提醒（其中 3 项为补发）：")
    assert telegram.delivered[0][1].count("【补发】") == 3
    assert (await deliver(many(3), telegram, Ledger(ledger_path), sleep=Sleeps())).sent == []


async def test_flood_control_does_not_use_up_attempts(ledger_path):
    sleeps = Sleeps()
    telegram = FakeTelegram({501: [RetryLater(1)] * 6 + [TransientError("x")]})
    report = await deliver(pings(1), telegram, Ledger(ledger_path), sleep=sleeps, max_attempts=2)
    assert len(report.sent) == 1 and sleeps == [1.0] * 6 + [1.0]


@pytest.mark.filterwarnings("ignore:.*retry_after.*")  # PTB 22's own int → timedelta notice
async def test_reference_classifier_for_ptb_exceptions(ledger_path):
    """What the wiring's classifier looks like (the core never imports telegram; a test may)."""
    from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

    def classify(exc):
        if isinstance(exc, RetryAfter):
            return RetryLater(exc.retry_after)  # int, or timedelta with PTB_TIMEDELTA=1: both fine
        if isinstance(exc, Forbidden):
            return Blocked(str(exc))
        if isinstance(exc, BadRequest):  # before NetworkError: BadRequest subclasses it
            return PermanentError(str(exc))
        if isinstance(exc, (TimedOut, NetworkError)):
            return TransientError(str(exc))
        return None

    sleeps = Sleeps()
    telegram = FakeTelegram({
        501: [RetryAfter(5), TimedOut(), NetworkError("Bad Gateway")],
        502: [Forbidden("Forbidden: bot was blocked by the user")],
        503: [BadRequest("Chat not found")],
    })
    report = await deliver(pings(3), telegram, Ledger(ledger_path), sleep=sleeps, classify=classify)
    assert [p.recipient for p in report.sent] == [501]
    assert [p.recipient for p in report.blocked] == [502]
    assert [p.recipient for p, _ in report.failed] == [503]
    assert sleeps == [5.0, 1.0, 2.0]


async def test_run_sweep_end_to_end_on_a_repository(tmp_path):
    from bot.reminders import run_sweep

    config = make_config(tmp_path, workdays_only=True)
    calendar = WorkCalendar.from_config(config)
    repo = Repository(tmp_path / "proposals.json")
    for contact in contacts().values():
        contact.id = None
        repo.put(contact)
    repo.put(Department(name=LEAD, supervisor_chat_id=-1001))
    item = repo.put(proposal(pid=None, assigned_date="2026-09-07", handlers=[1, 5]))  # due 12-07
    ledger_path = side_path(repo.path, "ledger")
    telegram = FakeTelegram({505: [Blocked("Forbidden: bot was blocked by the user")]})
    clock = Clock(datetime(2026, 12, 10, 1, 0, tzinfo=timezone.utc))
    ledger = Ledger(ledger_path, clock=clock)
    report = await run_sweep(date(2026, 12, 10), repo, config, calendar, ledger, telegram, sleep=Sleeps())
    chats = [chat for chat, _ in telegram.delivered]
    assert chats == [501, -1001, 900, 901]  # handler, supervisor, then the notice to admins
    assert [p.recipient for p in report.blocked] == [505]
    assert "钱七" in telegram.delivered[-1][1]
    # restart and sweep again the same day: nothing new, no second notice
    again = await run_sweep(date(2026, 12, 10), repo, config, calendar, Ledger(ledger_path, clock=clock),
                            telegram, sleep=Sleeps())
    assert len(telegram.delivered) == 4 and not again.sent
    # the next day: the blocked handler is left out of the plan altogether
    tomorrow = plan_sweep(date(2026, 12, 11), repo.proposals(), {c.id: c for c in repo.contacts()}, config,
                          calendar, departments=repo.departments(), sent=Ledger(ledger_path, clock=clock))
    assert [(p.step, p.recipient) for p in tomorrow] == [("overdue-4", 501)]
    # the item is replied: nothing more, and the ledger forgets it at compaction
    repo.put(apply_reply(item, "A", "2026-12-10", config))
    ledger = Ledger(ledger_path, clock=clock)
    await run_sweep(date(2026, 12, 11), repo, config, calendar, ledger, telegram, sleep=Sleeps())
    assert len(telegram.delivered) == 4
    assert all(key[0] == 0 for key in ledger._entries)
