"""The users' side of the chat, driven from any thread: users and groups, text, documents,
button presses, blocked users. Part of ``BotApiEmulator`` (``server.py``)."""

from __future__ import annotations

import copy
import mimetypes
import re

from .entities import utf16_len
from .records import COMMAND, Stored


class UsersSide:
    """Mixed into ``BotApiEmulator``."""

    def add_user(self, user_id: int, *, first_name: str | None = None,
                 username: str | None = None) -> dict:
        """Register a user and their private chat (as if they had pressed Start)."""
        with self._lock:
            user = self._users.setdefault(user_id, {"id": user_id, "is_bot": False,
                                                    "first_name": "测试用户",
                                                    "language_code": "zh-hans"})
            if first_name:
                user["first_name"] = first_name
            if username:
                user["username"] = username
            if user_id > 0:
                chat = {"id": user_id, "type": "private", "first_name": user["first_name"]}
                if "username" in user:
                    chat["username"] = user["username"]
                self._chats[user_id] = chat
            return dict(user)

    def _chat_for(self, user: dict, chat_id: int | None) -> dict:
        if chat_id is None or chat_id == user["id"]:
            return self._chats[user["id"]]
        return self._chats.setdefault(chat_id, {"id": chat_id, "type": "group",
                                                "title": "测试群组"})

    def _enqueue(self, body: dict) -> None:
        self._updates.append({"update_id": next(self._update_seq), **body})
        self._wake_pollers()

    def add_group(self, chat_id: int, title: str = "测试群组", kind: str = "group") -> dict:
        """Register a group (negative id; kind "group" or "supergroup") the bot is a member of."""
        with self._lock:
            self._chats[chat_id] = {"id": chat_id, "type": kind, "title": title}
            return dict(self._chats[chat_id])

    def _for_bot(self, chat: dict, text: str, command: re.Match | None,
                 replied: dict | None) -> bool:
        """Whether Telegram hands a group message to the bot. With privacy mode on (the
        default) only commands (not those addressed to another bot), messages mentioning the
        bot and replies to its messages get through."""
        if chat["type"] == "private" or not self.privacy_mode:
            return True
        if command:
            addressee = command.group(0).partition("@")[2]
            return not addressee or addressee.lower() == self.bot_user["username"].lower()
        if f"@{self.bot_user['username']}".lower() in text.lower():
            return True
        return replied is not None and replied["from"]["id"] == self.bot_user["id"]

    def push_text(self, user_id: int, text: str, *, first_name: str | None = None,
                  username: str | None = None, chat_id: int | None = None,
                  reply_to: int | None = None) -> dict:
        """Deliver a text message from a user (default name 测试用户), optionally replying to
        message ``reply_to`` of that chat; return the Message. In a group with privacy mode on
        a message that is not for the bot is kept in the chat but never delivered (it is
        counted in ``withheld``)."""
        with self._lock:
            user = self.add_user(user_id, first_name=first_name, username=username)
            chat = self._chat_for(user, chat_id)
            command = COMMAND.match(text)
            entities = ([{"type": "bot_command", "offset": 0,
                          "length": utf16_len(command.group(0))}] if command else [])
            mention = f"@{self.bot_user['username']}"
            at = text.lower().find(mention.lower())
            if at >= 0 and not (command and at < command.end()):
                entities.append({"type": "mention", "offset": utf16_len(text[:at]),
                                 "length": utf16_len(mention)})
            replied = None
            if reply_to is not None:
                stored = self._messages.get((chat["id"], reply_to))
                if stored is None:
                    raise KeyError(f"no message {reply_to} in chat {chat['id']}")
                replied = copy.deepcopy(stored.message)
                replied.pop("reply_to_message", None)
            message = self._new_message(chat, user, text=text, entities=entities or None,
                                        reply_to_message=replied)
            self._messages[(message["chat"]["id"], message["message_id"])] = Stored(message)
            if self._for_bot(chat, text, command, replied):
                self._enqueue({"message": message})
            else:
                self.withheld.append(copy.deepcopy(message))
            return copy.deepcopy(message)

    def push_document(self, user_id: int, filename: str, content: bytes,
                      mime_type: str | None = None, caption: str | None = None, *,
                      chat_id: int | None = None) -> dict:
        """Deliver a document from a user; the bot can getFile and download it."""
        with self._lock:
            user = self.add_user(user_id)
            mime = mime_type or mimetypes.guess_type(filename)[0] or "application/octet-stream"
            record = self._add_file("document", bytes(content), filename, mime)
            message = self._new_message(self._chat_for(user, chat_id), user,
                                        document=self._document(record), caption=caption)
            self._messages[(message["chat"]["id"], message["message_id"])] = Stored(
                message, file=record)
            self._enqueue({"message": message})
            return copy.deepcopy(message)

    def push_callback(self, user_id: int, message_id: int, data: str, *,
                      chat_id: int | None = None) -> str:
        """Deliver a callback query on a message (as currently stored); return its id."""
        with self._lock:
            user = self.add_user(user_id)
            chat = self._chat_for(user, chat_id)
            stored = self._messages.get((chat["id"], message_id))
            if stored is None:
                raise KeyError(f"no message {message_id} in chat {chat['id']}")
            query_id = str(4_000_000_000_000 + next(self._query_seq))
            self._open_queries.add(query_id)
            self._enqueue({"callback_query": {
                "id": query_id, "from": user, "message": copy.deepcopy(stored.message),
                "chat_instance": str(abs(chat["id"]) * 7919), "data": data}})
            return query_id

    def press_button(self, user_id: int, message_id: int,
                     label_or_index: str | int | tuple[int, int], *,
                     chat_id: int | None = None) -> str:
        """Press an inline button by label (exact, else unique substring), flat index or
        (row, column); return the callback query id."""
        with self._lock:
            chat = chat_id if chat_id is not None else user_id
            stored = self._messages.get((chat, message_id))
            rows = (stored.message.get("reply_markup") or {}).get("inline_keyboard") \
                if stored else None
            if not rows:
                raise LookupError(f"message {message_id} in chat {chat} has no inline keyboard")
            flat = [b for row in rows for b in row]
            if isinstance(label_or_index, tuple):
                button = rows[label_or_index[0]][label_or_index[1]]
            elif isinstance(label_or_index, int):
                button = flat[label_or_index]
            else:
                found = [b for b in flat if b["text"] == label_or_index] or \
                        [b for b in flat if label_or_index in b["text"]]
                if len(found) != 1:
                    raise LookupError(f"{len(found)} buttons match {label_or_index!r}; "
                                      f"buttons: {[b['text'] for b in flat]}")
                button = found[0]
            if "callback_data" not in button:
                raise ValueError(f"button {button['text']!r} has no callback_data")
            return self.push_callback(user_id, message_id, button["callback_data"],
                                      chat_id=chat_id)

    def block_user(self, user_id: int) -> None:
        """The user blocks the bot: sends to their chat answer 403."""
        with self._lock:
            self._blocked.add(user_id)

    def unblock_user(self, user_id: int) -> None:
        with self._lock:
            self._blocked.discard(user_id)
