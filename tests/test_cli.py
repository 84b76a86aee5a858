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


def test_status_json_creates_default_database_with_samples(tmp_path):
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
    assert (tmp_path / "data" / "proposals.json").exists()


def test_status_exit_codes(tmp_path):
    assert run(["status", "TA10"], tmp_path).returncode == 0
    missing = run(["status", "9999"], tmp_path)
    assert missing.returncode == 1 and "未找到第9999号" in missing.stderr
    assert run(["status"], tmp_path).returncode == 2


def test_console_mode_answers_status(tmp_path):
    done = run([], tmp_path, stdin="/status 125\n/status TA10\n/status 八届三次 125\n")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "控制台模式" in out
    assert out.count("关于加快推动我市城乡融合发展的建议") == 2
    assert "九三学社高平市支社" in out and "唐志文 0356-5220956" in out
    assert "Traceback" not in done.stderr


def test_console_buttons_are_numbered_choices(tmp_path):
    # Two sessions with a 125: the choice is shown numbered and picked by typing its number.
    from bot.config import load_config
    from bot.model import Proposal
    from bot.samples import load_samples
    from bot.storage import Repository

    repo = Repository(tmp_path / "data" / "proposals.json")
    load_samples(repo, load_config(write_config(tmp_path)))
    repo.put(Proposal(body="人大", region="晋城市", term=17, meeting=2, number="125", title="人大的第125号建议"))
    repo.close()
    done = run([], tmp_path, stdin="/status 125\n2\n")
    assert "[1] 人大 晋城市十七届二次会议 第125号" in done.stdout
    assert "[2] 政协 晋城市八届三次会议 第125号" in done.stdout
    assert done.stdout.count("关于加快推动我市城乡融合发展的建议") == 1


def test_find_and_contact_json(tmp_path):
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
