import json
import os
import random
import signal
import subprocess
import sys
import textwrap
from datetime import date

import pytest

from bot.model import Contact, Proposal
from bot.storage import AtomicJSONStorage, Repository, StorageError


def proposal(number, **extra):
    return Proposal(body="政协", region="晋城市", term=8, meeting=3, number=number, **extra)


def test_round_trip_keeps_chinese_readable(tmp_path):
    path = tmp_path / "p.json"
    repo = Repository(path)
    saved = repo.put(proposal("125", title="关于<b>城乡</b>融合 & 发展的建议"))
    raw = path.read_text(encoding="utf-8")
    assert "关于<b>城乡</b>融合" in raw  # ensure_ascii=False
    again = Repository(path)
    assert again.get(Proposal, saved.id).title == "关于<b>城乡</b>融合 & 发展的建议"
    assert again.get(Proposal, saved.id).to_doc()["schema"] == 1


def test_update_replaces_record_and_number_index(tmp_path):
    repo = Repository(tmp_path / "p.json")
    saved = repo.put(proposal("125"))
    saved.number = "126"
    repo.put(saved)
    assert repo.find_by_number("125") == []
    assert [p.id for p in Repository(tmp_path / "p.json").find_by_number("126")] == [saved.id]


def test_same_number_two_sessions_newest_first(tmp_path):
    repo = Repository(tmp_path / "p.json")
    repo.put(proposal("125"))
    repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=4, number="0125"))
    found = repo.find_by_number("第125号")
    assert [(p.meeting, p.number) for p in found] == [(4, "0125"), (3, "125")]


def test_batch_writes_once(tmp_path, monkeypatch):
    repo = Repository(tmp_path / "p.json")
    writes = []
    original = AtomicJSONStorage._flush
    monkeypatch.setattr(AtomicJSONStorage, "_flush", lambda self: (writes.append(self.path), original(self)))
    with repo.batch():
        for n in range(200):
            repo.put(proposal(str(n)))
        repo.put(Contact(name="唐志文", unit="高平市发展改革和科技局"))
    assert writes == [tmp_path / "p.json"]
    assert len(Repository(tmp_path / "p.json").proposals()) == 200


def test_unreadable_file_is_never_overwritten(tmp_path):
    path = tmp_path / "p.json"
    path.write_text('{"proposals": {"1": {"number": "12', encoding="utf-8")
    with pytest.raises(StorageError) as err:
        Repository(path)
    assert str(path) in str(err.value) and "无法读取" in str(err.value)
    assert path.read_text(encoding="utf-8") == '{"proposals": {"1": {"number": "12'


def test_daily_backups_keep_the_last_seven(tmp_path):
    days = iter(date(2026, 11, d) for d in range(1, 30))
    current = [next(days)]
    storage = AtomicJSONStorage(tmp_path / "p.json", backups=7, today=lambda: current[0])
    for n in range(12):
        storage.write({"t": {"1": {"n": n}}})
        storage.write({"t": {"1": {"n": n, "again": True}}})  # a second write the same day: no new copy
        current[0] = next(days)
    copies = sorted(p.name for p in (tmp_path / "backups").iterdir())
    assert len(copies) == 7
    assert copies[-1] == "p.2026-11-12.json"
    assert json.loads((tmp_path / "backups" / copies[-1]).read_text())["t"]["1"]["n"] == 10


WRITER = textwrap.dedent(
    """
    import sys
    from bot.model import Proposal
    from bot.storage import Repository
    repo = Repository(sys.argv[1], backups=0)
    start = int(sys.argv[2])
    for n in range(start, start + 100000):
        repo.put(Proposal(body="政协", region="晋城市", term=8, meeting=3, number=str(n), title="标题" * 20))
        print(n, flush=True)
    """
)


def test_sigkill_mid_write_keeps_every_acknowledged_write(tmp_path):
    """Kill a writer at random moments, 50 times: the file always loads and holds every write
    the writer acknowledged before it died."""
    path = tmp_path / "p.json"
    rng = random.Random(20261123)
    acknowledged: set[str] = set()
    next_number = 0
    for _ in range(50):
        child = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), str(next_number)],
            stdout=subprocess.PIPE, text=True, cwd=os.getcwd(),
        )
        wanted = rng.randint(1, 15)
        for _ in range(wanted):
            line = child.stdout.readline()
            if not line:
                break
            acknowledged.add(line.strip())
        child.send_signal(signal.SIGKILL)
        rest, _ = child.communicate()
        acknowledged.update(rest.split())  # printed before the kill landed
        stored = {p.number for p in Repository(path, backups=0).proposals()}
        missing = acknowledged - stored
        assert not missing, f"acknowledged writes lost after SIGKILL: {sorted(missing)[:5]}"
        next_number = max(int(n) for n in stored) + 1 if stored else 0
    assert len(acknowledged) >= 50
    leftovers = [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    assert len(leftovers) <= 50  # temp files of killed writes are harmless, never the database


def test_batch_with_updates_and_deletes_matches_one_by_one(tmp_path):
    def scenario(repo):
        a = repo.put(proposal("1", title="甲"))
        b = repo.put(proposal("2"))
        a.title = "甲（改）"
        repo.put(a)
        repo.delete(b)
        repo.put(Contact(name="唐志文", unit="高平市发展改革和科技局"))
        return repo

    one_by_one = scenario(Repository(tmp_path / "a.json"))
    batched_repo = Repository(tmp_path / "b.json")
    with batched_repo.batch():
        scenario(batched_repo)
    for path in ("a.json", "b.json"):
        again = Repository(tmp_path / path)
        assert [(p.id, p.number, p.title) for p in again.proposals()] == [(1, "1", "甲（改）")]
        assert again.find_contact("唐志文", "高平市发展改革和科技局").id == 1
        # ids keep counting after a reload: a deleted id is never reused
        assert again.put(proposal("3")).id == 3
        assert Repository(tmp_path / path).find_by_number("3")[0].id == 3
    assert json.loads((tmp_path / "a.json").read_text()) == json.loads((tmp_path / "b.json").read_text())
