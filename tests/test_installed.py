"""Installed, it runs anywhere: build the wheel, install it into a fresh virtualenv in a folder
outside the checkout, and use it there (init, import, status, a console session).

Marked ``installed``: it installs the dependencies from PyPI, through the pip cache when warm
(`-m "not installed"` skips it)."""

import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = Path("/work/shared/seeds/jincheng-drc-reply-125.txt")
if not SEED.exists():  # a clone elsewhere: the package data carries a copy of the seed
    SEED = ROOT / "bot" / "sample_data" / "letters" / "jincheng-drc-reply-125.txt"


def run(args, cwd, env, stdin=None, timeout=600):
    done = subprocess.run(args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


@pytest.mark.installed
def test_wheel_installed_in_a_fresh_venv_runs_outside_the_checkout(tmp_path):
    source = tmp_path / "source"  # build from a copy: no build/ or egg-info left in the checkout
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".venv", ".git", "__pycache__", "*.egg-info", "build", "data", ".pytest_cache", "bench"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("PROPOSAL_BOT_TOKEN", "PROPOSAL_BOT_CONFIG", "PYTHONPATH", "VIRTUAL_ENV")}
    code, out, err = run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--disable-pip-version-check",
                          "-w", str(tmp_path / "dist"), str(source)], tmp_path, env)
    assert code == 0, err[-2000:]
    (wheel,) = (tmp_path / "dist").glob("proposal_bot-*.whl")
    target = tmp_path / "venv"
    venv.create(target, with_pip=True)
    bin_dir = target / "bin"
    code, out, err = run([str(bin_dir / "python"), "-m", "pip", "install", "--disable-pip-version-check",
                          "--quiet", str(wheel)], tmp_path, env, timeout=1200)
    assert code == 0, err[-2000:]
    bot = str(bin_dir / "proposal-bot")
    work = tmp_path / "office"
    work.mkdir()

    code, out, err = run([bot, "status", "125"], work, env)  # no config anywhere: say how to make one
    assert code == 2 and "proposal-bot init" in err

    code, out, err = run([bot, "init", "site"], work, env)
    assert code == 0, err
    site = work / "site"
    assert (site / "config.toml").exists() and (site / "data").is_dir()

    code, out, err = run([bot, "import", str(SEED)], site, env)
    assert code == 0, err
    assert "新增提案 1 件" in out
    code, out, err = run([bot, "status", "125"], site, env)
    assert code == 0, err
    assert "第125号" in out and "关于加快推动我市城乡融合发展的建议" in out

    code, out, err = run([bot], site, env, stdin="/status 125\n/quit\n", timeout=120)
    assert code == 0, err[-2000:]
    assert "控制台模式" in out and "关于加快推动我市城乡融合发展的建议" in out
    assert "demo.json" in out  # the console demo runs on its own database, seeded with the samples
    real = site / "data" / "proposals.json"
    assert f"请运行：proposal-bot --db {real}" in out and "dev.py" not in out  # no checkout here
    code, out, err = run([bot, "--db", str(real)], site, env, stdin="/status 125\n/quit\n", timeout=120)
    assert code == 0 and f"控制台模式：使用数据库 {real}" in out and "第125号" in out, err[-2000:]
    code, out, err = run([bot, "status", "TA0010"], site, env)
    assert code == 1, out  # ... and the configured database is never seeded

    code, out, err = run([str(bin_dir / "python"), "-c", "import bot.samples as s; print(s.__file__, s.SAMPLES.is_dir())"],
                         site, env)
    assert str(target) in out and out.strip().endswith("True")  # the sample records are package data
    print(out)
