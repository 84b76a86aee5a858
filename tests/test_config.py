import os
import subprocess
import sys
from datetime import date

import pytest

from bot.config import TEMPLATE, ConfigError, load_config


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_project_config_loads_with_documented_defaults():
    config = load_config(TEMPLATE)
    assert config.timezone == "Asia/Shanghai"
    assert config.database.name == "proposals.json"
    assert config.rule_for("晋城市", "政协").reply_months == 3
    assert config.scheme_for("任何地方", "人大").follow_up == ("B", "C")


def test_minimal_config_uses_defaults(tmp_path):
    config = load_config(write(tmp_path, ""))
    assert config.database == tmp_path / "data" / "proposals.json"
    assert config.reminders.offsets == (30, 14, 7, 3, 1, 0)
    assert config.rule_for("x", "人大").complex_months == 6


def test_region_rule_beats_default(tmp_path):
    config = load_config(write(tmp_path, """
[[rules]]
body = "政协"
reply_months = 3
[[rules]]
region = "晋城市"
body = "政协"
reply_months = 5
cutoff_dates = ["2026-08-05"]
"""))
    assert config.rule_for("晋城市", "政协").reply_months == 5
    assert config.rule_for("晋城市", "政协").cutoff_dates == (date(2026, 8, 5),)
    assert config.rule_for("高平市", "政协").reply_months == 3


@pytest.mark.parametrize(
    "text,key",
    [
        ('[bot]\ntimezone = "Mars/Olympus"', "bot.timezone"),
        ("[access]\nadmins = [\"abc\"]", "access.admins"),
        ("[[rules]]\nreply_months = 3", "rules[0].body"),
        ('[[rules]]\nbody = "政协"\nreply_months = "three"', "rules[0].reply_months"),
        ('[reminders]\ndaily_time = "25:99"', "reminders.daily_time"),
        ('[[rules]]\nbody = "政协"\ncutoff_dates = ["8月5日"]', "rules[0].cutoff_dates"),
        ('[bot]\ntoken = "123:abc"', "bot.token"),
    ],
)
def test_wrong_key_names_the_key(tmp_path, text, key):
    with pytest.raises(ConfigError) as err:
        load_config(write(tmp_path, text))
    assert key in str(err.value)


def test_cli_config_error_is_one_line_and_exit_2(tmp_path):
    path = write(tmp_path, "[bot]\ntimezone = 5\n")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "--config", str(path), "status", "125"],
        capture_output=True, text=True,
    )
    assert done.returncode == 2
    assert "bot.timezone" in done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_cli_unreadable_database_names_the_path(tmp_path):
    db = tmp_path / "broken.json"
    db.write_bytes(b"\x00\xff garbage")
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "status", "125", "--db", str(db)],
        capture_output=True, text=True, env={**os.environ, "PROPOSAL_BOT_CONFIG": str(write(tmp_path, ""))},
    )
    assert done.returncode == 1
    assert str(db) in done.stderr and "Traceback" not in done.stderr
    assert db.read_bytes() == b"\x00\xff garbage"


def test_config_found_by_flag_then_environment_then_working_directory(tmp_path, monkeypatch):
    """--config, else PROPOSAL_BOT_CONFIG, else ./config.toml; otherwise how to make one."""
    from bot.config import find_config

    elsewhere = tmp_path / "etc"
    elsewhere.mkdir()
    (elsewhere / "bot.toml").write_text("", encoding="utf-8")
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("PROPOSAL_BOT_CONFIG", raising=False)
    with pytest.raises(ConfigError) as err:
        find_config()
    assert "proposal-bot init" in str(err.value) and "PROPOSAL_BOT_CONFIG" in str(err.value)
    write(work, "")
    assert find_config() == work / "config.toml"
    monkeypatch.setenv("PROPOSAL_BOT_CONFIG", str(elsewhere / "bot.toml"))
    assert find_config() == elsewhere / "bot.toml"
    assert find_config(tmp_path / "given.toml") == tmp_path / "given.toml"


def test_init_writes_commented_config_and_empty_data_folder(tmp_path):
    site = tmp_path / "site"
    done = subprocess.run([sys.executable, "-m", "bot.cli", "init", str(site)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    text = (site / "config.toml").read_text(encoding="utf-8")
    assert text.startswith("# proposal-bot configuration") and "PROPOSAL_BOT_TOKEN" in text
    assert (site / "data").is_dir() and not any((site / "data").iterdir())
    config = load_config(site / "config.toml")
    assert config.database == (site / "data" / "proposals.json").resolve()
    again = subprocess.run([sys.executable, "-m", "bot.cli", "init", str(site)], capture_output=True, text=True)
    assert again.returncode == 2 and "已存在" in again.stderr
    assert (site / "config.toml").read_text(encoding="utf-8") == text


def test_webhook_mode_needs_the_secret_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv("PROPOSAL_BOT_WEBHOOK_SECRET", raising=False)
    path = write(tmp_path, '[bot]\nwebhook_url = "https://bot.example.org/telegram"\n')
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "PROPOSAL_BOT_WEBHOOK_SECRET" in str(err.value)
    monkeypatch.setenv("PROPOSAL_BOT_WEBHOOK_SECRET", "s3cret-s3cret")
    config = load_config(path)
    assert (config.webhook_url, config.listen, config.port, config.webhook_secret) == (
        "https://bot.example.org/telegram", "127.0.0.1", 8443, "s3cret-s3cret")
