"""A conversation written down as it happens, for the end-to-end tests whose closing notes quote
it (test_day_one with DAY_ONE_TRANSCRIPT, test_office_transcript with OFFICE_TRANSCRIPT)."""

import os
from pathlib import Path

from tests.conftest import ADMIN


class Transcript(list):
    def said(self, who, text):
        self.append(f"> [{who}] {text}")

    def heard(self, who, messages):
        for message in messages:
            buttons = " ".join(f"[{label}]" for row in message.buttons for label, _ in row)
            attached = f"（{message.method}：{message.filename or '图片'}，{len(message.document)} 字节）\n" \
                if message.document is not None else ""
            edited = "（消息更新为）" if message.edited else ""
            self.append(f"< [{who}] " + edited + (attached + (message.text or "")).replace("\n", "\n  ")
                        + (f"\n  {buttons}" if buttons else ""))
        return messages

    def write(self, variable):
        """Write the conversation to the file named by environment variable ``variable``, if set."""
        out = os.environ.get(variable)
        if out:
            Path(out).write_text("\n".join(self) + "\n", encoding="utf-8")


def seen(chat, user):
    return len(chat.emulator.sent(user))


async def send(chat, text, user=ADMIN, who="管理员", expect=1):
    chat.transcript.said(who, text)
    return chat.transcript.heard(who, await chat.send(text, user=user, expect=expect))


async def press(chat, message, index=0, user=ADMIN, who="管理员", expect=1):
    label = index if isinstance(index, str) else [label for row in message.buttons for label, _ in row][index]
    chat.transcript.said(who, f"（按“{label}”）")
    return chat.transcript.heard(who, await chat.press(message, index, user=user, expect=expect))


async def upload(chat, path, name=None, who="管理员", user=ADMIN):
    name = name or path.name
    chat.transcript.said(who, f"（发送文件 {name}）")
    return chat.transcript.heard(who, await chat.upload(name, path.read_bytes(), user=user))
