"""Console mode: no token needed. The Bot API emulator, the real application and a terminal chat.

The person at the terminal types as the configured console user; the bot's answers are printed
as plain text, inline buttons as numbered choices (type the number to press one).
"""

from __future__ import annotations

import asyncio
import logging
import sys
import threading
from pathlib import Path
from typing import TextIO

from bot.emulator import BotApiEmulator, SentMessage
from bot.services import Services

log = logging.getLogger(__name__)

BANNER = (
    "提案办理助手 · 控制台模式（未设置 PROPOSAL_BOT_TOKEN）\n"
    "您以用户 {user_id}（{role}）的身份与机器人对话。输入 /help 查看命令；"
    "/upload 文件路径 发送文件；/quit 或 Ctrl-D 退出。"
)
ANSWER_TIMEOUT = 30.0
SETTLE = 0.3  # seconds of quiet after which an answer is complete


class Console:
    """Reads lines, pushes them to the emulator as the console user, prints what comes back."""

    def __init__(self, emulator: BotApiEmulator, user_id: int, out: TextIO):
        self.emulator, self.user_id, self.out = emulator, user_id, out
        self.choices: tuple[int, list[tuple[str, str]]] | None = None  # (message_id, buttons)
        self._shown = threading.Condition()
        self._last_shown = -1  # index of the last event printed for our chat

    def show(self, event: SentMessage) -> None:
        """Called from the emulator's thread for every message the bot sends or edits."""
        if event.chat_id != self.user_id:
            return
        buttons = [button for row in event.buttons for button in row]
        with self._shown:
            print(f"\n{event.text}", file=self.out)
            if event.filename:
                print(f"[文件] {event.filename}", file=self.out)
            for i, (label, _data) in enumerate(buttons, start=1):
                print(f"  [{i}] {label}", file=self.out)
            if buttons:
                print("（输入序号选择）", file=self.out)
                self.choices = (event.message_id, buttons)
            self.out.flush()
            self._last_shown = max(self._last_shown, event.index)
            self._shown.notify_all()

    def handle(self, line: str) -> bool:
        """Send one typed line; False when the person wants to leave."""
        text = line.strip()
        if not text:
            return True
        if text in ("/quit", "/exit"):
            return False
        marker = self.emulator.mark(self.user_id)
        choices, self.choices = self.choices, None
        if choices and text.isdigit() and 1 <= int(text) <= len(choices[1]):
            self.emulator.press_button(self.user_id, choices[0], int(text) - 1)
        elif text.startswith("/upload"):
            typed = text[len("/upload"):].strip().strip("'\"")  # a file dragged in arrives quoted
            if not typed:
                print("用法：/upload 文件路径，例如 /upload ~/桌面/交办清单.xlsx", file=self.out)
                return True
            path = Path(typed).expanduser()
            try:
                data = path.read_bytes()
            except OSError as exc:
                print(f"无法读取文件 {path}：{read_error(exc)}", file=self.out)
                return True
            self.emulator.push_document(self.user_id, path.name, data)
        else:
            self.emulator.push_text(self.user_id, text, first_name="控制台")
        try:
            (answer,) = self.emulator.wait_sent(self.user_id, count=1, timeout=ANSWER_TIMEOUT, since=marker)
        except TimeoutError:
            print("（机器人没有回答）", file=self.out)
            return True
        # An answer may come in several messages (a sweep's pings, then its summary): take
        # what follows closely, so the next line's answer is not mistaken for this one's.
        while True:
            try:
                (answer,) = self.emulator.wait_sent(self.user_id, count=1, timeout=SETTLE)
            except TimeoutError:
                break
        # Subscribers are told after waiters: let the answer be printed before reading on.
        with self._shown:
            self._shown.wait_for(lambda: self._last_shown >= answer.index, timeout=5)
        return True


def read_error(exc: OSError) -> str:
    """Why a file could not be read, in Chinese (the OS says it in English)."""
    if isinstance(exc, FileNotFoundError):
        return "找不到文件，请检查路径"
    if isinstance(exc, IsADirectoryError):
        return "这是一个文件夹，请给出其中的文件"
    if isinstance(exc, PermissionError):
        return "没有读取权限"
    return "读取失败"


def run_command() -> str:
    """How this copy of the bot is started: from a checkout through dev.py, installed by name."""
    checkout = Path(__file__).resolve().parents[1]
    return "python3 dev.py run" if (checkout / "dev.py").exists() else "proposal-bot"


def database_note(path: Path, demo: bool, configured: Path | None) -> str:
    """Which database the console opens, said first: the demo one is not the office's."""
    if not demo:
        return f"控制台模式：使用数据库 {path}"
    text = f"控制台模式（未设置 PROPOSAL_BOT_TOKEN）：使用示例数据库 {path}，不是本单位的数据库。"
    if configured is not None and configured != path:
        state = "未被打开或修改" if configured.exists() else "尚不存在"
        text += f"\n配置的数据库 {configured} {state}；要在控制台中使用它，请运行：{run_command()} --db {configured}"
    return text


def run_console(services: Services, stdin: TextIO = sys.stdin, out: TextIO = sys.stdout,
                demo: bool = True, configured: Path | None = None) -> int:
    """``demo``: the console's own demo database, filled with the sample records when empty
    (a database named with --db is never seeded); ``configured``: the office's database, named
    so that no one takes the demo for it."""
    from bot.app import build_application, started
    from bot.samples import load_samples

    print(database_note(Path(services.repo.path), demo, configured), file=out)
    if demo and load_samples(services.repo, services.config):
        print(f"示例数据库为空，已载入示例数据：{services.repo.path}（真实数据库不会载入示例数据）", file=out)
    user_id = services.config.console_user_id
    emulator = BotApiEmulator()
    emulator.start()
    emulator.add_user(user_id, first_name="控制台")  # their chat exists: start-up reminders reach it
    console = Console(emulator, user_id, out)
    emulator.subscribe(console.show)

    async def start_reading(app_) -> None:
        loop = asyncio.get_running_loop()
        role = services.role_of(user_id) or "未授权"
        print(BANNER.format(user_id=user_id, role=role), file=out, flush=True)
        # the start-up work (the reminder catch-up and digest) is shown before the first line is read
        await started(app_)

        def read_lines() -> None:
            try:
                for line in stdin:
                    if not console.handle(line):
                        break
            finally:
                loop.call_soon_threadsafe(app_.stop_running)

        threading.Thread(target=read_lines, name="console-input", daemon=True).start()

    app = build_application(services, "console:token", emulator.base_url, emulator.base_file_url,
                            after_start=start_reading)
    try:
        app.run_polling(poll_interval=0.0, timeout=5, close_loop=False)
    finally:
        emulator.stop()
        services.repo.close()
    return 0
