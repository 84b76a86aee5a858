#!/usr/bin/env python3
"""Set-up and everyday commands, needing nothing but Python 3.11+.

    python3 dev.py run [ARGS...]   create .venv if needed, then run the bot
                                   (console mode when PROPOSAL_BOT_TOKEN is not set)
    python3 dev.py test [ARGS...]  create .venv if needed, then run the test suite
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"


def ensure_venv() -> None:
    """Create the virtual environment and install the project with its test extra, once per
    change of pyproject.toml."""
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print("创建虚拟环境 .venv …", flush=True)
        venv.create(VENV, with_pip=True)
    print("安装依赖 …", flush=True)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test"):
        print(__doc__)
        return 2
    ensure_venv()
    command, rest = argv[0], argv[1:]
    if command == "run":
        if not (ROOT / "config.toml").exists():  # a fresh clone: the commented default config
            subprocess.run([str(BIN / "proposal-bot"), "init", str(ROOT)], check=True)
        return subprocess.call([str(BIN / "proposal-bot"), *rest], cwd=ROOT)
    return subprocess.call([str(BIN / "python"), "-m", "pytest", *rest], cwd=ROOT)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
