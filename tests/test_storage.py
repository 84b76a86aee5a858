import errno
import importlib.util
import json
import os
import subprocess
import sys
import shutil
import tempfile
import textwrap
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import ClassVar

import pytest
from tinydb import TinyDB

from bot.durable import journal_path, read_journal
from bot.model import Contact, Event, Proposal, Record, User
from bot.storage import DatabaseLocked, Repository, StorageError, WriteFailed

ROOT = Path(__file__).resolve().parent.parent


def proposal(number, **extra):
    return Proposal(body="政协", region="晋城市", term=8, meeting=3, number=number, **extra)


def cli(*args, user=None, env=None, timeout=120):
    """Run `proposal-bot ARGS` in a child process; user= drops to that uid (we run as root)."""
    if user is not None:  # its own home: libraries that keep a cache there must not fail
        env = {"HOME": tempfile.mkdtemp(prefix="home-"), **(env or {})}
        os.chmod(env["HOME"], 0o777)
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *map(str, args)], capture_output=True, text=True, cwd=ROOT,
        timeout=timeout, user=user, env={**os.environ, **(env or {})},
    )


def one_line(done) -> str:
    """The one line a refusal prints (the whole output in the failure message otherwise)."""
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done
    return lines[0]


def test_round_trip_keeps_chinese_readable(tmp_path):
    path = tmp_path / "p.json"
    with Repository(path) as repo:
        saved = repo.put(proposal("125", title="关于<b>城乡</b>融合 & 发展的建议"))
        assert "关于<b>城乡</b>融合" in journal_path(path).read_text(encoding="utf-8")  # the write is in the journal
    assert "关于<b>城乡</b>融合" in path.read_text(encoding="utf-8")  # folded into the snapshot at close
    again = Repository(path, read_only=True)
    assert again.get(Proposal, saved.id).title == "关于<b>城乡</b>融合 & 发展的建议"
    assert again.get(Proposal, saved.id).to_doc()["schema"] == 1
    # the snapshot is a TinyDB database
    assert TinyDB(path).table("proposals").get(doc_id=saved.id)["number"] == "125"


def test_update_replaces_record_and_number_index(tmp_path):
    repo = Repository(tmp_path / "p.json")
    saved = repo.put(proposal("125"))
    saved.number = "126"
    repo.put(saved)
    assert repo.find_by_number("125") == []
    assert [p.id for p in repo.find_by_number("126")] == [saved.id] and "125" not in repo.number_keys()
    again = Repository(tmp_path / "p.json", read_only=True)
    assert [p.id for p in again.find_by_number("126")] == [saved.id]
    assert again.find_by_number("125") == []


def test_events_kept_as_json_until_asked_for_then_live(tmp_path):
    with Repository(tmp_path / "p.json") as repo:
        item = repo.put(proposal("125"))
        repo.put(Event(proposal_id=item.id, kind="assigned", batch="b1", source_hash="h1"))
        repo.put(Event(proposal_id=item.id, kind="nudge", batch="b1"))
    repo = Repository(tmp_path / "p.json")
    assert repo.event_batches() == ["b1"] and [e.kind for e in repo.events_with_hash("h1")] == ["assigned"]
    first = repo.events_for(item.id)
    assert [e.kind for e in first] == ["assigned", "nudge"]
    assert repo.events_for(item.id)[0] is first[0]  # built once, then the live record
    first[1].batch = "b2"  # changed in place and put back: the old look-up value is gone
    repo.put(first[1])
    assert [e.kind for e in repo.events_of_batch("b1")] == ["assigned"]
    assert sorted(repo.event_batches()) == ["b1", "b2"] and [e.kind for e in repo.events_of_batch("b2")] == ["nudge"]
    repo.close()
    reread = Repository(tmp_path / "p.json", read_only=True)
    assert [e.batch for e in reread.events_for(item.id, keep=False)] == ["b1", "b2"]


def test_events_are_read_from_the_snapshot_and_follow_a_compaction(tmp_path):
    """Events not asked for stay in the snapshot file (memory holds where each one is); a
    compaction writes a new file and they are read from that one afterwards, also while a
    reader beside the writer still uses the old one."""
    path = tmp_path / "p.json"
    with Repository(path) as repo:
        item = repo.put(proposal("125"))
        for n in range(30):
            repo.put(Event(proposal_id=item.id, kind="nudge", reason=f"第{n}次 <b>&", batch=f"b{n % 3}"))
    repo = Repository(path, compact_bytes=1 << 40)
    stored = repo._records[Event]
    assert stored.placed == len(stored) == 30 and not dict.keys(stored)  # places, not JSON
    reader = Repository(path, read_only=True)
    added = repo.put(Event(proposal_id=item.id, kind="nudge", reason="新的"))
    victim = repo.events_for(item.id, keep=False)[3]
    repo.delete(victim)
    places = {rid: stored.places[rid] for rid in stored.placed_ids()}
    assert repo.compact()
    moved = {rid: stored.places[rid] for rid in places}
    assert all(moved.values()) and moved != places and dict.keys(stored) == {added.id}  # new places, unbuilt
    reasons = [e.reason for e in repo.events_for(item.id, keep=False)]
    assert reasons == [f"第{n}次 <b>&" for n in range(30) if n != 3] + ["新的"]
    assert [e.reason for e in reader.events_for(item.id, keep=False)] == [f"第{n}次 <b>&" for n in range(30)]
    assert [e.reason for e in repo.events_of_batch("b1")][:2] == ["第1次 <b>&", "第4次 <b>&"]
    repo.close()
    assert [e.reason for e in repo.events_for(item.id, keep=False)] == reasons  # a report after close
    again = Repository(path, read_only=True)
    assert [e.reason for e in again.events_for(item.id)] == reasons


def test_rare_event_kinds_found_without_building_every_event(tmp_path):
    """/undo and deleted items look events up by kind: only the rare kinds are indexed, and
    the look-up works on events still kept as JSON after a restart."""
    with Repository(tmp_path / "p.json") as repo:
        item = repo.put(proposal("125"))
        repo.put(Event(proposal_id=item.id, kind="assigned"))
        repo.put(Event(proposal_id=item.id, kind="edit", by=7, changes={"before": {"title": "a"}, "after": "b"}))
        repo.put(Event(proposal_id=item.id, kind="delete", by=7))
    with Repository(tmp_path / "p.json") as repo:
        assert [e.by for e in repo.events_of_kind("edit")] == [7]
        assert [e.kind for e in repo.events_of_kind("delete")] == ["delete"]
        assert repo.events_of_kind("assigned") == []  # common kinds are not indexed


def test_same_number_two_sessions_newest_first(tmp_path):
    repo = Repository(tmp_path / "p.json")
    repo.put(proposal("125"))
    repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3 + 1, number="0125"))
    found = repo.find_by_number("第125号")
    assert [(p.meeting, p.number) for p in found] == [(4, "0125"), (3, "125")]


def test_batch_is_one_journal_entry(tmp_path):
    path = tmp_path / "p.json"
    repo = Repository(path)
    with repo.batch():
        for n in range(200):
            repo.put(proposal(str(n)))
        repo.put(Contact(name="唐志文", unit="高平市发展改革和科技局"))
    (entry,) = read_journal(journal_path(path)).entries
    assert len(entry["w"]) == 201
    assert len(Repository(path, read_only=True).proposals()) == 200


def test_a_write_costs_one_append_not_a_rewrite(tmp_path):
    path = tmp_path / "p.json"
    with Repository(path) as repo, repo.batch():
        for n in range(3000):
            repo.put(proposal(str(n), title="关于加快推动我市城乡融合发展的建议"))
    snapshot = path.read_bytes()
    repo = Repository(path)
    before = journal_path(path).stat().st_size
    repo.put(Contact(name="唐志文", unit="高平市发展改革和科技局"))
    assert path.read_bytes() == snapshot  # the snapshot was not touched
    assert journal_path(path).stat().st_size - before < 300


def test_unreadable_file_is_never_overwritten(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"proposals": {"1": {"number": "12', encoding="utf-8")
    with pytest.raises(StorageError) as err:
        Repository(path)
    assert str(path) in str(err.value) and "无法读取" in str(err.value)
    assert path.read_text(encoding="utf-8") == '{"proposals": {"1": {"number": "12'


@pytest.mark.parametrize("content, named", [
    ("", "0 字节"),
    ("[1, 2]", "顶层应是 JSON 对象"),
    ('{"proposals": [1]}', "表 proposals"),
    ('{"proposals": {"1": {"body": "政协"}}}', "表 proposals 第 1 条记录"),
    ('{"proposals": {"1": "x"}}', "表 proposals 第 1 条记录"),
    ('{"users": {"abc": {}}}', "表 users 的记录编号"),
    ('{"events": {"1": {"kind": "nudge"}}}', "表 events 第 1 条记录"),
])
def test_empty_or_wrongly_shaped_file_refused_clearly(tmp_path, content, named):
    """Never a traceback, never sample data: one line naming the file and the problem."""
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndatabase = "data/proposals.json"\n', encoding="utf-8")
    db = tmp_path / "data" / "proposals.json"
    db.parent.mkdir()
    db.write_text(content, encoding="utf-8")
    commands = [["status", "125"]]
    if not content:  # the bot and a writing command refuse the same way
        commands += [["import", ROOT / "bot" / "sample_data"], ["run"]]
    for args in commands:
        done = cli("--config", config, *args, env={"PROPOSAL_BOT_TOKEN": "123:abc"})
        assert done.returncode == 1, done
        assert "Traceback" not in done.stderr
        line = one_line(done)
        assert str(db) in line and named in line
    assert db.read_text(encoding="utf-8") == content  # nothing seeded, nothing replaced


def test_batch_with_updates_and_deletes_matches_one_by_one(tmp_path):
    def scenario(repo):
        a = repo.put(proposal("1", title="甲"))
        b = repo.put(proposal("2"))
        a.title = "甲（改）"
        repo.put(a)
        repo.delete(b)
        repo.put(Contact(name="唐志文", unit="高平市发展改革和科技局"))
        return repo

    scenario(Repository(tmp_path / "a.json")).close()
    batched_repo = Repository(tmp_path / "b.json")
    with batched_repo.batch():
        scenario(batched_repo)
    batched_repo.close()
    for path in ("a.json", "b.json"):
        with Repository(tmp_path / path) as again:
            assert [(p.id, p.number, p.title) for p in again.proposals()] == [(1, "1", "甲（改）")]
            assert again.find_contact("唐志文", "高平市发展改革和科技局").id == 1
            # ids keep counting after a reload: a deleted id is never reused
            assert again.put(proposal("3")).id == 3
        assert Repository(tmp_path / path, read_only=True).find_by_number("3")[0].id == 3
    tables = [json.loads((tmp_path / name).read_text()) for name in ("a.json", "b.json")]
    assert [{k: v for k, v in t.items() if k != "_meta"} for t in tables] == [
        {k: v for k, v in tables[0].items() if k != "_meta"}] * 2


# -- one writer ---------------------------------------------------------------------------------

def test_second_writer_refused_and_reader_sees_committed_state(tmp_path):
    path = tmp_path / "p.json"
    repo = Repository(path)
    repo.put(proposal("125"))
    with pytest.raises(DatabaseLocked) as err:
        Repository(path)
    assert str(os.getpid()) in str(err.value) and str(path) in str(err.value)
    reader = Repository(path, read_only=True)
    assert [p.number for p in reader.proposals()] == ["125"]
    with pytest.raises(StorageError):
        reader.put(proposal("126"))
    repo.close()
    Repository(path).close()  # free again once the writer closed


def test_second_process_refused_while_bot_holds_the_lock(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndatabase = "data/proposals.json"\n', encoding="utf-8")
    db = tmp_path / "data" / "proposals.json"
    bot = Repository(db)  # this process is "the bot"
    bot.put(proposal("125", title="运行中的机器人写入"))
    # a second bot
    done = cli("--config", config, "run", env={"PROPOSAL_BOT_TOKEN": "123:abc"})
    assert done.returncode == 1 and "Traceback" not in done.stderr
    line = one_line(done)
    assert str(db) in line and f"进程 {os.getpid()}" in line
    # a CLI write refuses and points to the chat
    samples = ROOT / "bot" / "sample_data"
    done = cli("--config", config, "import", samples)
    assert done.returncode == 1 and "在聊天中" in done.stderr and f"进程 {os.getpid()}" in done.stderr
    # a read works on the committed state
    done = cli("--config", config, "status", "125", "--json")
    assert done.returncode == 0 and "运行中的机器人写入" in done.stdout
    # --wait waits for the bot to stop, then imports
    waiting = subprocess.Popen([sys.executable, "-m", "bot.cli", "--config", str(config), "import", str(samples),
                                "--wait"], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        said = waiting.stderr.readline()  # it says it waits, and waits while the bot runs
        assert "等待" in said and str(os.getpid()) in said
        assert waiting.poll() is None
    finally:
        bot.close()
    out, err = waiting.communicate(timeout=120)
    assert waiting.returncode == 0, err
    assert "新增提案" in out
    assert len(Repository(db, read_only=True).proposals()) > 1


# -- no ghost writes -----------------------------------------------------------------------------

class FailingDisk:
    """os.pwrite / os.fdatasync that fail with a chosen errno, after writing part of the data."""

    def __init__(self, monkeypatch, call="pwrite", code=errno.ENOSPC):
        self.failing = True
        real = getattr(os, call)

        def fake(fd, *args):
            if self.failing:
                if call == "pwrite":
                    data, offset = args
                    real(fd, data[: len(data) // 2], offset)  # a partial line reaches the file
                raise OSError(code, os.strerror(code))
            return real(fd, *args)

        monkeypatch.setattr(os, call, fake)


@pytest.mark.parametrize("call, code", [("pwrite", errno.ENOSPC), ("pwrite", errno.EFBIG),
                                        ("fdatasync", errno.EIO), ("pwrite", errno.EACCES)])
def test_failed_write_leaves_no_ghost(tmp_path, monkeypatch, call, code):
    path = tmp_path / "p.json"
    repo = Repository(path)
    kept = repo.put(proposal("125", title="原标题"))
    repo.set_user(111, "staff", granted_by=1)
    seen = []
    repo.subscribe(lambda op, record: seen.append((op, type(record).__name__, record.id)))
    disk = FailingDisk(monkeypatch, call, code)

    with pytest.raises(WriteFailed) as err:  # a grant
        repo.set_user(222, "admin", granted_by=1)
    assert "未保存" in str(err.value)
    assert repo.user(222) is None
    with pytest.raises(WriteFailed):  # an in-place change to a live record
        kept.title, kept.number = "幽灵标题", "999"
        repo.put(kept)
    assert kept.title == "原标题" and kept.number == "125"
    assert repo.find_by_number("999") == [] and repo.find_by_number("125") == [kept]
    with pytest.raises(WriteFailed):  # a batch: insert, update, delete together
        with repo.batch():
            repo.put(proposal("500"))
            repo.set_user(111, "admin", granted_by=1)
            repo.delete(kept)
    assert repo.find_by_number("500") == [] and repo.get(Proposal, kept.id) is kept
    assert repo.user(111).role == "staff"
    assert [p.number for p in repo.proposals()] == ["125"]
    assert seen[-3:] == [("delete", "Proposal", 2), ("put", "User", 1), ("put", "Proposal", 1)]

    disk.failing = False
    repo.set_user(333, "staff", granted_by=1)  # the next write carries none of the failed ones
    fresh = repo.put(proposal("126"))
    assert fresh.id == 2  # the failed insert's id is handed out again: it was never stored
    repo.close()
    again = Repository(path, read_only=True)
    assert sorted(u.user_id for u in again.all_users()) == [111, 333]
    assert again.user(111).role == "staff"
    assert sorted(p.number for p in again.proposals()) == ["125", "126"]
    assert again.get(Proposal, kept.id).title == "原标题"


async def test_failed_grant_in_chat_is_reported_and_not_carried(chat, monkeypatch):
    from tests.conftest import ADMIN

    disk = FailingDisk(monkeypatch, "pwrite", errno.ENOSPC)
    (answer,) = await chat.send("/grant 222 staff")
    assert "未保存" in answer.text and "磁盘空间不足" in answer.text
    disk.failing = False
    (answer,) = await chat.send("/grant 333 staff")
    assert "已授权用户 333" in answer.text
    again = Repository(chat.services.repo.path, read_only=True)
    assert again.user(222) is None and again.user(333) is not None
    assert [e["target"] for e in again.audit_entries() if e["action"] == "grant"] == [333]
    assert chat.services.role_of(222) is None and ADMIN


# -- permissions and read-only files --------------------------------------------------------------

async def test_mode_0640_kept_after_grant_and_compaction(chat):
    path = chat.services.repo.path
    os.chmod(path, 0o640)
    (answer,) = await chat.send("/grant 4321 staff")
    assert "已授权" in answer.text
    chat.services.repo.compact()
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)
    assert oct(journal_path(path).stat().st_mode & 0o777) == oct(0o640)
    chat.services.repo.put(proposal("7"))
    chat.services.repo.flush()
    assert oct(path.stat().st_mode & 0o777) == oct(0o640)


@pytest.fixture
def shared_folder():
    """A folder an unprivileged user can reach: outside pytest's base folder, which is 0700 and
    which another pytest run on the machine sets back to 0700 at any moment."""
    folder = Path(tempfile.mkdtemp(prefix="proposal-bot-shared-"))
    os.chmod(folder, 0o755)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def _as_unprivileged():
    return 65534 if os.geteuid() == 0 else None  # root ignores file modes: drop to nobody


def test_read_only_file_and_folder_refused_clearly(shared_folder):
    base = shared_folder
    config = base / "config.toml"
    config.write_text('[storage]\ndatabase = "data/proposals.json"\n', encoding="utf-8")
    db = base / "data" / "proposals.json"
    with Repository(db) as repo:
        repo.put(proposal("125", title="只读测试"))
    os.chmod(db.parent, 0o777)
    os.chmod(db, 0o444)
    before = db.read_bytes()
    samples = ROOT / "bot" / "sample_data"
    done = cli("--config", config, "import", samples, user=_as_unprivileged())
    assert done.returncode == 1 and "Traceback" not in done.stderr, done
    line = one_line(done)
    assert "只读" in line and str(db) in line and "0444" in line
    assert db.read_bytes() == before and oct(db.stat().st_mode & 0o777) == oct(0o444)
    # root too: a file nobody may write is never replaced
    done = cli("--config", config, "import", samples)
    assert done.returncode == 1 and "只读" in done.stderr
    # read-only folder (the file itself writable)
    os.chmod(db, 0o666)
    os.chmod(db.parent, 0o555)
    try:
        done = cli("--config", config, "import", samples, user=_as_unprivileged())
        assert done.returncode == 1 and "Traceback" not in done.stderr, done
        line = one_line(done)
        assert "文件夹不可写" in line and str(db.parent) in line
        # reading still works there
        done = cli("--config", config, "status", "125", user=_as_unprivileged())
        assert done.returncode == 0 and "只读测试" in done.stdout
        # a database folder that cannot be created: the reason in Chinese, not the system's English
        inner = base / "inner.toml"
        inner.write_text('[storage]\ndatabase = "data/new/proposals.json"\n', encoding="utf-8")
        done = cli("--config", inner, "import", samples, user=_as_unprivileged())
        assert done.returncode == 1 and "Traceback" not in done.stderr, done
        line = one_line(done)
        assert "无法创建数据库文件夹" in line and "没有写入权限" in line and "Permission" not in line, line
    finally:
        os.chmod(db.parent, 0o755)
    assert db.read_bytes() == before


# -- readers beside the bot, also during a compaction ----------------------------------------------

async def test_cli_status_sees_acknowledged_extend_while_bot_runs_and_compacts(chat, tmp_path):
    (answer,) = await chat.send("/extend TA0031 30 等待财政预算")
    assert "已延期 30 天" in answer.text
    config = tmp_path / "config.toml"

    def status_extension() -> int:
        done = cli("--config", config, "status", "TA0031", "--json")
        assert done.returncode == 0, done.stderr
        (match,) = json.loads(done.stdout)["matches"]
        return match["extension_days"]

    assert status_extension() == 30  # in the journal only
    seen_between = []
    chat.services.repo.compact(between=lambda: seen_between.append(status_extension()))
    assert seen_between == [30]  # new snapshot in place, old journal still there
    assert status_extension() == 30  # after the switch-over
    (answer,) = await chat.send("/extend TA0031 5 再延")
    assert status_extension() == 35


# -- kill -9 ------------------------------------------------------------------------------------

def _bench():
    spec = importlib.util.spec_from_file_location("bench_storage", ROOT / "bench" / "bench_storage.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench_storage"] = module
    spec.loader.exec_module(module)
    return module


def test_sigkill_at_random_moments_keeps_every_acknowledged_write(tmp_path):
    """60 kills: during chat writes (background compactions running), during compactions and
    during backups. The database always loads and holds every write acknowledged before the
    kill; backups are whole or absent; the writer removes the temp files a kill left
    (bench/bench_storage.py --kill N runs the same harness longer)."""
    f = _bench().kill_rounds(tmp_path, rounds=60)
    assert f["acknowledged"] >= 100 and f["modes"] == {"write": 24, "compact": 24, "backup": 12}


def test_bench_smoke(tmp_path):
    """The storage bench at a tiny size: it runs, both stores measured, the table printed."""
    bench = _bench()
    lines = []
    results = bench.run([300], 1, tmp_path, out=lambda *a, **k: lines.append(a[0]))
    bench.table(results, {}, out=lines.append)
    assert {kind for _, kind in results} == {"journal", "baseline"}
    assert any(line.startswith("| one chat write, time to durable p50") for line in lines)


# -- housekeeping -----------------------------------------------------------------------------------

def test_daily_backups_keep_the_last_seven(tmp_path):
    days = iter(date(2026, 11, d) for d in range(1, 30))
    current = [next(days)]
    repo = Repository(tmp_path / "p.json", backups=7, today=lambda: current[0])
    record = repo.put(proposal("1"))
    for n in range(12):
        record.title = f"第{n}天"
        repo.put(record)
        assert repo.backup_if_due() is not None
        assert repo.backup_if_due() is None  # a second time the same day: no new copy
        current[0] = next(days)
    copies = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert len(copies) == 7
    assert copies[-1] == "p.2026-11-12.json"
    backup = Repository(tmp_path / "backups" / copies[-1], read_only=True)
    assert backup.get(Proposal, 1).title == "第11天"  # every acknowledged write, journal included


def test_backup_while_running_and_restore_round_trip(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text('[storage]\ndatabase = "data/proposals.json"\n', encoding="utf-8")
    db = tmp_path / "data" / "proposals.json"
    bot = Repository(db)
    bot.put(proposal("125", title="备份前"))
    bot.set_user(111, "staff", granted_by=1)
    copy = tmp_path / "copy.json"
    done = cli("--config", config, "backup", copy)
    assert done.returncode == 0 and "已备份 2 条记录" in done.stdout, done
    done = cli("--config", config, "restore", copy)
    assert done.returncode == 1 and "请先停止机器人" in done.stderr
    bot.put(proposal("126", title="备份后"))
    bot.close()
    done = cli("--config", config, "restore", copy)
    assert done.returncode == 0 and "已从" in done.stdout, done
    with Repository(db) as restored:
        assert [p.title for p in restored.proposals()] == ["备份前"]
        assert restored.user(111) is not None
        assert restored.put(proposal("127")).id == 2  # ids go on from the backup
    (kept,) = (db.parent / "backups").glob("proposals.before-restore-*.json")
    assert sorted(p.title for p in Repository(kept, read_only=True).proposals()) == ["备份前", "备份后"]
    bad = tmp_path / "bad.json"
    bad.write_text('{"proposals": {"1": {"title": "缺少字段"}}}', encoding="utf-8")
    done = cli("--config", config, "restore", bad)
    assert done.returncode == 1 and "表 proposals 第 1 条记录" in done.stderr and "Traceback" not in done.stderr


def test_audit_trail_is_appended_and_rotated_by_size(tmp_path):
    repo = Repository(tmp_path / "p.json", audit_bytes=2000)
    for n in range(60):
        repo.audit("extend", 1001, number=str(n), reason="原因" * 5)
    rotated = repo.audit_log.rotated()
    assert len(rotated) >= 3
    first = rotated[0].read_bytes()
    for n in range(60, 80):
        repo.audit("extend", 1001, number=str(n))
    assert rotated[0].read_bytes() == first  # never rewritten
    assert [e["number"] for e in repo.audit_entries()] == [str(n) for n in range(80)]
    assert all(p.stat().st_size <= 2000 for p in repo.audit_log.rotated())


def test_files_of_the_earlier_layout_load_and_move_over(tmp_path):
    """TinyDB's single-line file, users and audit in their old side files."""
    path = tmp_path / "proposals.json"
    path.write_text(json.dumps({
        "proposals": {"1": {"body": "政协", "region": "晋城市", "term": 8, "meeting": 3, "number": "125"}},
        "_meta": {"1": {"next_id": 5}},
    }, ensure_ascii=False), encoding="utf-8")
    (tmp_path / "proposals.users.json").write_text(json.dumps(
        {"users": {"1": {"user_id": 7, "role": "admin"}}}), encoding="utf-8")
    (tmp_path / "proposals.audit.json").write_text(json.dumps(
        {"audit": {"1": {"action": "grant", "user_id": 1}}}), encoding="utf-8")
    with Repository(path) as repo:
        assert repo.find_by_number("125")[0].id == 1 and repo.user(7).role == "admin"
        assert repo.put(proposal("126")).id == 5  # the saved next id is kept
        repo.audit("extend", 1)
        assert [e["action"] for e in repo.audit_entries()] == ["grant", "extend"]
    assert not (tmp_path / "proposals.users.json").exists()
    assert path.read_text(encoding="utf-8").startswith('{\n"_meta"')
    again = Repository(path, read_only=True)
    assert again.user(7).role == "admin" and len(again.proposals()) == 2


@dataclass(slots=True)
class Widget(Record):
    """A table this module adds: storage knows nothing about it, and stores it all the same."""

    table: ClassVar[str] = "widgets_test"
    name: str
    parts: list[str] | None = None


def test_any_declared_record_table_is_journalled_and_compacted(tmp_path):
    path = tmp_path / "p.json"
    repo = Repository(path)
    widget = repo.put(Widget(name="齿轮", parts=["a"]))
    repo.put(User(user_id=1, role="admin"))
    assert Repository(path, read_only=True).get(Widget, widget.id).name == "齿轮"
    repo.compact()
    repo.delete(widget)
    second = repo.put(Widget(name="弹簧"))
    repo.close()
    again = Repository(path, read_only=True)
    assert [w.name for w in again.all(Widget)] == ["弹簧"] and second.id == 2
    assert '"widgets_test":{' in path.read_text(encoding="utf-8")


def _contents(repo):
    """Every record (as its document) and every look-up (ids sorted) of a repository."""
    records = {cls.table: {rid: r.to_doc() for rid, r in repo._records[cls].items()} for cls in repo._records}
    lookups = {key: {value: sorted(index.ids(value)) for value in index} for key, index in repo._index.items()}
    return records, lookups


def test_load_cache_gives_the_same_records_and_look_ups_as_the_snapshot(tmp_path, caplog, monkeypatch):
    """A start-up from the load cache (made from the snapshot file by bot.load_cache), with the
    journal replayed on top, holds exactly what a start-up parsing the snapshot holds; a cache
    made for another snapshot or by other code, or a damaged one, is not used."""
    from bot import load_cache
    from bot.model import Department, Reply, Setting

    path = tmp_path / "p.json"
    writer = Repository(path, compact_bytes=1 << 40, load_cache_bytes=1 << 40)
    unit = writer.put(Department(name="晋城市教育局", aliases=["市教育局"]))
    contact = writer.put(Contact(name="唐志文", unit="晋城市教育局", unit_id=unit.id, phones=["6999022"]))
    items = [writer.put(proposal(str(n), title=f"关于第{n}件的建议", lead_unit="晋城市教育局", lead_unit_id=unit.id,
                                 co_units=["晋城市财政局"], handlers=[contact.id])) for n in range(1, 40)]
    writer.put(Reply(proposal_id=items[0].id, issuer="晋城市教育局", handlers=["唐志文"], source_hash="h1"))
    for item in items:
        writer.put(Event(proposal_id=item.id, kind="assigned", batch="b1"))
    writer.put(User(user_id=7, role="admin"))
    writer.put(Setting(key="k", value="v"))
    assert writer.compact(force=True)
    assert load_cache.write(path) and load_cache.cache_path(path).exists()
    # after the cache was made: changes in the journal only
    items[1].number = "0002"
    writer.put(items[1])
    writer.delete(items[2])
    writer.put(Event(proposal_id=items[3].id, kind="edit", by=7, changes={"title": ["a", "b"]}))
    event = writer.events_for(items[4].id)[0]
    event.batch = "b2"
    writer.put(event)
    writer.put(Contact(name="李华", unit="晋城市教育局", unit_id=unit.id))

    warm = Repository(path, read_only=True, load_cache_bytes=0)
    cold = Repository(path, read_only=True)  # a small file: no cache used
    assert warm._cache_fresh and not cold._cache_fresh
    assert _contents(warm) == _contents(cold)
    assert [p.id for p in warm.find_by_number("0002")] == [items[1].id] and not warm.find_by_number("3")
    assert [e.batch for e in warm.events_for(items[4].id)] == ["b2"]

    monkeypatch.setattr(load_cache, "code_stamp", lambda: "other code")  # made by another version
    assert not Repository(path, read_only=True, load_cache_bytes=0)._cache_fresh
    monkeypatch.undo()
    writer.compact()  # another snapshot: the cache is for the old one
    with caplog.at_level("INFO"):
        assert not Repository(path, read_only=True, load_cache_bytes=0)._cache_fresh
    load_cache.write(path)
    load_cache.cache_path(path).write_bytes(load_cache.cache_path(path).read_bytes()[:1000])
    with caplog.at_level("WARNING"):
        damaged = Repository(path, read_only=True, load_cache_bytes=0)
    assert not damaged._cache_fresh and _contents(damaged) == _contents(Repository(path, read_only=True))
    assert "damaged" in caplog.text
    writer.close()


def test_the_writer_makes_a_load_cache_after_a_compaction_in_a_child(tmp_path):
    """Run in a fresh interpreter: this one also knows the test tables declared above, a layout
    the child's cache rightly does not match."""
    script = textwrap.dedent("""
        import sys
        from bot.durable import journal_path
        from bot.model import Proposal
        from bot.storage import Repository
        path = sys.argv[1]
        def item(n):
            return Proposal(body="政协", region="晋城市", term=8, meeting=3, number=str(n))
        with Repository(path, load_cache_bytes=0) as writer:  # a new file: no cache yet
            for n in range(1, 30):
                writer.put(item(n))
        # the stop compacted and waited for `python -m bot.load_cache`
        writer = Repository(path, load_cache_bytes=0)
        print(writer._cache_fresh, len(writer.proposals()))
        writer.put(item(30))
        writer.close()  # the cache is current: the journal is left for the next start
        print(b'"30"' in journal_path(writer.path).read_bytes())
        reader = Repository(path, read_only=True, load_cache_bytes=0)
        print(reader._cache_fresh, len(reader.proposals()))
    """)
    done = subprocess.run([sys.executable, "-c", script, str(tmp_path / "p.json")], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.stdout.split() == ["True", "29", "True", "True", "30"], done.stderr


def test_a_compaction_while_a_cache_is_made_gets_a_cache_of_its_own(tmp_path, monkeypatch):
    """The cache worker decides under the write lock: a compaction that replaces the snapshot
    while the child runs makes it run again, and the cache left is the new snapshot's."""
    import threading

    from bot import load_cache

    real, started, go, calls = load_cache.write_in_child, threading.Event(), threading.Event(), []

    def held(db, timeout=600.0):  # the real child, started only when the test says so
        calls.append(db)
        started.set()
        assert go.wait(30)
        return real(db, timeout)

    monkeypatch.setattr(load_cache, "write_in_child", held)
    path = tmp_path / "p.json"
    writer = Repository(path, load_cache_bytes=0, compact_bytes=1 << 40)
    writer._wait_load_cache()  # the cold start's delayed one: called off
    writer.put(proposal("1"))
    assert writer.compact() and started.wait(30)
    writer.put(proposal("2"))
    assert writer.compact()  # while the first child is held: it must run again
    go.set()
    writer._wait_load_cache(cancel=False)
    assert len(calls) == 2 and writer._cache_fresh
    st = os.stat(path)
    assert load_cache.read(path)["snapshot"][:4] == [st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns]
    writer.close()
