"""The command line and console mode, as a person runs them (subprocesses, real files)."""

import json
import os
import subprocess
import sys

from tests.conftest import write_config


def run(args, tmp_path, stdin=None, timeout=60):
    env = {k: v for k, v in os.environ.items() if k != "PROPOSAL_BOT_TOKEN"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(write_config(tmp_path)), *args],
        input=stdin, capture_output=True, text=True, timeout=timeout, env=env,
    )


def with_samples(tmp_path, name="proposals.json"):
    """The sample records in the configured database (a real one never gets them by itself)."""
    from bot.config import load_config
    from bot.samples import load_samples
    from bot.storage import Repository

    repo = Repository(tmp_path / "data" / name)
    load_samples(repo, load_config(write_config(tmp_path)))
    repo.close()


def test_status_on_a_missing_database_says_so_and_creates_nothing(tmp_path):
    done = run(["status", "125"], tmp_path)
    assert done.returncode == 1 and "数据库不存在" in done.stderr and "未创建任何文件" in done.stderr
    assert not (tmp_path / "data").exists()
    other = run(["find", "125", "--db", str(tmp_path / "x.json")], tmp_path)
    assert other.returncode == 1 and not (tmp_path / "x.json").exists()


def test_status_json(tmp_path):
    with_samples(tmp_path)
    done = run(["status", "125", "--json"], tmp_path)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["query"] == "125"
    (match,) = result["matches"]
    assert match["number"] == "125" and match["region"] == "晋城市"
    assert match["term"] == 8 and match["meeting"] == 3 and match["body"] == "政协"
    assert match["proposer"] == "民建晋城市委会"
    assert match["replies"][0]["classification"] == "A"
    assert match["replies"][0]["phones"] == ["6999022"]


def test_samples_remove_takes_out_the_samples_and_keeps_real_records(tmp_path):
    with_samples(tmp_path)
    real = tmp_path / "real.csv"
    real.write_text("晋城市政协八届四次会议提案交办清单\n提案号,案由,主办单位,交办日期\n301,关于真实事项的建议,晋城市教育局,2026-09-01\n"
                    "125,关于另一届的建议,晋城市教育局,2026-09-01\n", encoding="utf-8")
    imported = run(["import", str(real)], tmp_path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    listed = run(["samples"], tmp_path)
    assert "数据库中有示例提案" in listed.stdout
    removed = run(["samples", "remove"], tmp_path)
    assert removed.returncode == 0 and removed.stdout.startswith("已删除示例数据：提案 ")
    assert "301" in run(["status", "301"], tmp_path).stdout
    assert run(["status", "TA10"], tmp_path).returncode == 1  # a sample: gone
    assert run(["samples"], tmp_path).stdout.startswith("数据库中有示例提案 0 件")
    assert run(["samples", "remove"], tmp_path).stdout.startswith("数据库中没有示例数据")


def test_status_exit_codes(tmp_path):
    with_samples(tmp_path)
    assert run(["status", "TA10"], tmp_path).returncode == 0
    missing = run(["status", "9999"], tmp_path)
    assert missing.returncode == 1 and "未找到第9999号" in missing.stderr
    padded = run(["status", "TA0099"], tmp_path)  # said as typed, not as its normal form TA99
    assert padded.returncode == 1 and "未找到第TA0099号" in padded.stderr
    assert run(["status"], tmp_path).returncode == 2


def test_console_mode_answers_status(tmp_path):
    done = run([], tmp_path, stdin="/status 125\n/status TA10\n/status 八届三次 125\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "控制台模式" in out
    assert out.count("关于加快推动我市城乡融合发展的建议") == 2
    assert "九三学社高平市支社" in out and "唐志文 0356-5220956" in out
    assert "Traceback" not in done.stderr
    # the samples went into the console's demo database; the configured one was not touched
    assert (tmp_path / "data" / "demo.json").exists() and not (tmp_path / "data" / "proposals.json").exists()


def test_console_mode_says_which_database_it_opens(tmp_path):
    with_samples(tmp_path)  # the office's own database exists
    real = tmp_path / "data" / "proposals.json"
    before = real.read_bytes()
    done = run([], tmp_path, stdin="/status 125\n")
    assert done.returncode == 0, done.stderr
    demo = tmp_path / "data" / "demo.json"
    assert f"使用示例数据库 {demo}，不是本单位的数据库" in done.stdout
    assert f"配置的数据库 {real} 未被打开或修改" in done.stdout
    assert f"请运行：python3 dev.py run --db {real}" in done.stdout  # this is a checkout
    assert real.read_bytes() == before
    for args in (["run", "--db", str(real)], ["--db", str(real)]):  # dev.py run passes on "--db PATH"
        done = run(args, tmp_path, stdin="/status 125\n")
        assert f"控制台模式：使用数据库 {real}" in done.stdout and "示例数据库" not in done.stdout, done.stderr


def test_a_configured_database_starts_empty_and_valid(tmp_path):
    db = tmp_path / "data" / "proposals.json"
    done = run(["run", "--db", str(db)], tmp_path, stdin="/status 125\n")
    assert done.returncode == 0, done.stderr
    assert "未找到第125号" in done.stdout and "示例数据" not in done.stdout
    assert json.loads(db.read_text(encoding="utf-8")) is not None and db.stat().st_size > 0
    from bot.storage import Repository

    repo = Repository(db)
    assert repo.proposals() == [] and repo.contacts() == []
    repo.close()


def test_console_buttons_are_numbered_choices(tmp_path):
    # Two sessions with a 125: the choice is shown numbered and picked by typing its number.
    from bot.config import load_config
    from bot.model import Proposal
    from bot.samples import load_samples
    from bot.storage import Repository

    repo = Repository(tmp_path / "data" / "demo.json")  # the console demo's database
    load_samples(repo, load_config(write_config(tmp_path)))
    repo.put(Proposal(body="人大", region="晋城市", term=17, meeting=2, number="125", title="人大的第125号建议"))
    repo.close()
    done = run([], tmp_path, stdin="/status 125\n2\n")
    assert "[1] 人大 晋城市十七届二次会议 第125号" in done.stdout
    assert "[2] 政协 晋城市八届三次会议 第125号" in done.stdout
    assert done.stdout.count("关于加快推动我市城乡融合发展的建议") == 1


def test_find_and_contact_json(tmp_path):
    with_samples(tmp_path)
    done = run(["contact", "tangzhiwen", "--json"], tmp_path)
    assert done.returncode == 0
    result = json.loads(done.stdout)
    assert result["query"] == "tangzhiwen"
    best = result["results"][0]
    assert best["kind"] == "contact" and 0 <= best["score"] <= 100
    assert best["record"]["name"] == "唐志文" and best["record"]["phones"] == ["0356-5220956"]
    found = json.loads(run(["find", "ta-0010", "--json"], tmp_path).stdout)
    assert found["results"][0]["kind"] == "proposal"
    assert found["results"][0]["record"]["number"] == "TA0010"
    nothing = run(["find", "😀\x01", "--json"], tmp_path)
    assert nothing.returncode == 0 and json.loads(nothing.stdout)["results"] == []
    assert run(["find"], tmp_path).returncode == 2


def test_db_before_the_command_is_the_database_the_command_uses(tmp_path):
    """`proposal-bot --db PATH COMMAND` (the form the usage line shows) works on PATH: the
    command's own --db, not given, does not put the configured database back in its place
    (an import meant for a scratch file went into the real database)."""
    configured = tmp_path / "data" / "proposals.json"
    other = tmp_path / "other.json"
    lst = tmp_path / "list.csv"
    lst.write_text("晋城市政协八届四次会议提案交办清单\n提案号,案由,主办单位,交办日期\n"
                   "301,关于真实事项的建议,晋城市教育局,2026-09-01\n", encoding="utf-8")
    imported = run(["--db", str(other), "import", str(lst)], tmp_path)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert other.exists() and not configured.exists()
    found = run(["--db", str(other), "status", "301", "--json"], tmp_path)
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)["matches"][0]["title"] == "关于真实事项的建议"
    done = run(["--db", str(other), "run"], tmp_path, stdin="/status 301\n")
    assert f"控制台模式：使用数据库 {other}" in done.stdout and "关于真实事项的建议" in done.stdout, done.stderr
    assert not configured.exists()
