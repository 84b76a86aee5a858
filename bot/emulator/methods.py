"""The Bot API methods the bot calls (``_m_<method>``): sending, editing and formatting
messages, keyboards, files, commands, webhooks, chats. Part of ``BotApiEmulator``
(``server.py``), whose state they read and change under its lock."""

from __future__ import annotations

import copy
import mimetypes
import os
import re
import time
from typing import Any

from .entities import EntityParseError, parse_html, utf16_len
from .records import (
    ACTIONS, BUTTON_KINDS, MAX_CAPTION, MAX_TEXT, MAX_UPLOAD, NOT_MODIFIED, ApiError, File, SentMessage, Stored,
    as_int, bad, button_rows, image_size,
)


class BotMethods:
    """Mixed into ``BotApiEmulator``."""

    def _m_getMe(self, p: dict, files: dict) -> dict:
        return {**self.bot_user, "can_join_groups": True, "can_read_all_group_messages": False,
                "supports_inline_queries": False, "can_connect_to_business": False,
                "has_main_web_app": False}

    def _m_deleteWebhook(self, p: dict, files: dict) -> bool:
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook, self._webhook_error = None, None
        return True

    def _m_getWebhookInfo(self, p: dict, files: dict) -> dict:
        info: dict[str, Any] = {"url": self._webhook["url"] if self._webhook else "",
                                "has_custom_certificate": False,
                                "pending_update_count": len(self._updates)}
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
        if self._webhook_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _m_setWebhook(self, p: dict, files: dict) -> bool:
        """Unlike Telegram (HTTPS on ports 443, 80, 88, 8443 only), any http(s) address is
        accepted, so that tests can point it at a bot on 127.0.0.1."""
        url = str(p.get("url") or "")
        if not url:  # Telegram: an empty url removes the webhook
            return self._m_deleteWebhook(p, files)
        if not re.match(r"https?://[^\s/]+", url):
            raise bad("bad webhook: Failed to resolve host: Name or service not known")
        secret = p.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            raise bad("bad webhook: secret token contains unallowed characters")
        if p.get("drop_pending_updates"):
            self._updates.clear()
        self._webhook = {"url": url, "secret_token": secret and str(secret),
                         "max_connections": as_int(p.get("max_connections"), 40)}
        self._webhook_error = None
        self._wake_pollers()
        return True

    def _m_close(self, p: dict, files: dict) -> bool:
        return True

    _m_logOut = _m_close

    @staticmethod
    def _scope_key(scope: Any) -> str:
        if scope is None or scope == "default":
            return "default"
        if isinstance(scope, str):
            return scope
        if not isinstance(scope, dict) or "type" not in scope:
            raise bad("can't parse BotCommandScope JSON object")
        key = scope["type"]
        for part in ("chat_id", "user_id"):
            if part in scope:
                key += f":{scope[part]}"
        return key

    def _m_setMyCommands(self, p: dict, files: dict) -> bool:
        commands = p.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise bad("can't parse commands JSON object")
        for cmd in commands:
            if not isinstance(cmd, dict) or not re.fullmatch(r"[a-z0-9_]{1,32}",
                                                             str(cmd.get("command", ""))):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(cmd.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (self._scope_key(p.get("scope")), p.get("language_code") or "")
        if commands:
            self._commands[key] = [{"command": c["command"], "description": c["description"]}
                                   for c in commands]
        else:
            self._commands.pop(key, None)
        return True

    def _m_getMyCommands(self, p: dict, files: dict) -> list[dict]:
        key = (self._scope_key(p.get("scope")), p.get("language_code") or "")
        return copy.deepcopy(self._commands.get(key, []))

    def _m_deleteMyCommands(self, p: dict, files: dict) -> bool:
        self._commands.pop((self._scope_key(p.get("scope")), p.get("language_code") or ""), None)
        return True

    def _target_chat(self, p: dict) -> dict:
        chat_id = p.get("chat_id")
        if chat_id in (None, ""):
            raise bad("chat_id is empty")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise bad("chat not found")
        if chat_id in self._blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return self._chats[chat_id]

    @staticmethod
    def _format(raw: Any, parse_mode: Any, entities: Any, limit: int,
                kind: str) -> tuple[str | None, list[dict]]:
        """Validate text or caption like Telegram; return (plain text, entities)."""
        if raw is None or raw == "":
            if kind == "text":
                raise bad("message text is empty")
            return None, []
        raw = str(raw)
        if entities is not None:
            if not isinstance(entities, list) or not all(
                    isinstance(e, dict) and {"type", "offset", "length"} <= e.keys()
                    for e in entities):
                raise bad("can't parse entities JSON object")
            text, ents = raw, entities
        elif parse_mode:
            mode = str(parse_mode).lower()
            try:
                if mode == "html":
                    text, ents = parse_html(raw)
                elif mode in ("markdownv2", "markdown"):
                    text, ents = raw, []  # not validated: the bot sends HTML
                else:
                    raise bad("unsupported parse_mode")
            except EntityParseError as exc:
                raise bad(f"can't parse entities: {exc}") from None
        else:
            text, ents = raw, []
        if not text.strip():
            if kind == "text":
                raise bad("message text is empty")
            return None, []
        if utf16_len(text) > limit:
            raise bad("message is too long" if kind == "text" else "message caption is too long")
        return text, ents

    @staticmethod
    def _check_markup(markup: Any) -> dict | None:
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad("can't parse inline keyboard button: InlineKeyboardButton must be "
                          "an Array of Arrays")
            if sum(len(r) for r in rows) > 100:
                raise bad("reply markup is too long")
            for button in (b for row in rows for b in row):
                if not isinstance(button, dict) or not isinstance(button.get("text"), str):
                    raise bad('can\'t parse inline keyboard button: Field "text" must be of '
                              "type String")
                kinds = [k for k in BUTTON_KINDS if k in button]
                if not kinds:
                    raise bad("can't parse inline keyboard button: Text buttons are unallowed "
                              "in the inline keyboard")
                if len(kinds) > 1:
                    raise bad(f"can't parse inline keyboard button: exactly one of "
                              f"{', '.join(kinds)} must be used")
                data = button.get("callback_data")
                if "callback_data" in button and not (
                        isinstance(data, str) and 1 <= len(data.encode()) <= 64):
                    raise bad("BUTTON_DATA_INVALID")
                url = button.get("url")
                if "url" in button and (not isinstance(url, str) or not url
                                        or any(ch.isspace() for ch in url)):
                    raise bad(f"inline keyboard button URL '{url}' is invalid")
        elif "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise bad("can't parse keyboard button: keyboard must be an Array of Arrays")
        elif not ({"remove_keyboard", "force_reply"} & markup.keys()):
            raise bad("can't parse reply keyboard markup JSON object")
        return markup

    def _new_message(self, chat: dict, sender: dict, **fields: Any) -> dict:
        mid = self._next_mid.get(chat["id"], 1)
        self._next_mid[chat["id"]] = mid + 1
        message = {"message_id": mid, "from": dict(sender), "chat": dict(chat),
                   "date": int(time.time())}
        message.update({k: v for k, v in fields.items() if v not in (None, [])})
        return message

    def _reply_to(self, chat_id: int, p: dict) -> dict | None:
        params = p.get("reply_parameters")
        if params is None and p.get("reply_to_message_id"):
            params = {"message_id": p["reply_to_message_id"],
                      "allow_sending_without_reply": p.get("allow_sending_without_reply")}
        if not params:
            return None
        if not isinstance(params, dict):
            raise bad("can't parse reply parameters JSON object")
        stored = self._messages.get((chat_id, as_int(params.get("message_id"), 0)))
        if stored is None:
            if params.get("allow_sending_without_reply"):
                return None
            raise bad("message to be replied not found")
        replied = copy.deepcopy(stored.message)
        replied.pop("reply_to_message", None)
        return replied

    def _store_bot_message(self, method: str, message: dict, html: str | None,
                           parse_mode: str | None, markup: dict | None,
                           file: File | None = None) -> dict:
        stored = Stored(message, html, parse_mode, markup, file)
        self._messages[(message["chat"]["id"], message["message_id"])] = stored
        self._record_event(method, stored)
        return copy.deepcopy(message)

    def _record_event(self, method: str, stored: Stored) -> None:
        message = stored.message
        chat_id = message["chat"]["id"]
        chat_log = self._events.setdefault(chat_id, [])
        file = stored.file
        event = SentMessage(
            index=len(chat_log), method=method, chat_id=chat_id,
            message_id=message["message_id"],
            text=message.get("text", message.get("caption")), html=stored.html,
            parse_mode=stored.parse_mode, reply_markup=copy.deepcopy(stored.markup),
            buttons=button_rows(stored.markup), document=file.content if file else None,
            filename=file.filename if file else None, mime_type=file.mime_type if file else None,
            message=copy.deepcopy(message))
        chat_log.append(event)
        self._all_events.append(event)
        self._outbox.append(event)
        self._cond.notify_all()

    def _m_sendMessage(self, p: dict, files: dict) -> dict:
        chat = self._target_chat(p)
        text, entities = self._format(p.get("text"), p.get("parse_mode"), p.get("entities"),
                                      MAX_TEXT, "text")
        markup = self._check_markup(p.get("reply_markup"))
        message = self._new_message(
            chat, self.bot_user, reply_to_message=self._reply_to(chat["id"], p), text=text,
            entities=entities, reply_markup=markup if markup and "inline_keyboard" in markup
            else None)
        return self._store_bot_message("sendMessage", message, p.get("text"),
                                       p.get("parse_mode"), markup)

    def _input_file(self, kind: str, p: dict, files: dict) -> File:
        upload = files.get(kind)
        if upload is None:
            value = p.get(kind)
            if isinstance(value, str) and value.startswith("attach://"):
                upload = files.get(value[len("attach://"):])
            elif isinstance(value, str) and value in self._files:
                return self._files[value]
            elif isinstance(value, str) and value.startswith(("http://", "https://")):
                return self._add_file(kind, b"", os.path.basename(value) or None, None)
            if upload is None:
                if value in (None, ""):
                    raise bad(f"there is no {kind} in the request")
                raise bad("wrong file identifier/HTTP URL specified")
        filename, content, mime_type = upload
        if not content:
            raise bad("file must be non-empty")
        if len(content) > MAX_UPLOAD:
            raise ApiError(413, "Request Entity Too Large")
        if not mime_type or mime_type == "application/octet-stream":
            mime_type = mimetypes.guess_type(filename or "")[0] or mime_type
        return self._add_file(kind, content, filename, mime_type)

    def _add_file(self, kind: str, content: bytes, filename: str | None,
                  mime_type: str | None) -> File:
        n = next(self._file_seq)
        photo = kind == "photo"
        ext = os.path.splitext(filename or "")[1] or (".jpg" if photo else "")
        width, height = image_size(content) if photo else (0, 0)
        record = File(f"{'AgAC' if photo else 'BQAC'}emu{n:08d}", f"AQAD{n:08d}",
                      f"{'photos' if photo else 'documents'}/file_{n}{ext}", content,
                      filename, mime_type, width, height)
        self._files[record.file_id] = self._paths[record.file_path] = record
        return record

    @staticmethod
    def _document(record: File) -> dict:
        doc = {"file_id": record.file_id, "file_unique_id": record.file_unique_id,
               "file_name": record.filename, "mime_type": record.mime_type,
               "file_size": len(record.content) or None}
        return {k: v for k, v in doc.items() if v is not None}

    @staticmethod
    def _photo(record: File) -> list[dict]:
        size = {"file_id": record.file_id, "file_unique_id": record.file_unique_id,
                "width": record.width, "height": record.height}
        return [{**size, "file_size": len(record.content)} if record.content else size]

    def _send_media(self, kind: str, p: dict, files: dict) -> dict:
        chat = self._target_chat(p)
        record = self._input_file(kind, p, files)
        caption, entities = self._format(p.get("caption"), p.get("parse_mode"),
                                         p.get("caption_entities"), MAX_CAPTION, "caption")
        markup = self._check_markup(p.get("reply_markup"))
        media = self._document(record) if kind == "document" else self._photo(record)
        message = self._new_message(
            chat, self.bot_user, reply_to_message=self._reply_to(chat["id"], p),
            **{kind: media}, caption=caption, caption_entities=entities,
            reply_markup=markup if markup and "inline_keyboard" in markup else None)
        method = "sendDocument" if kind == "document" else "sendPhoto"
        return self._store_bot_message(method, message, p.get("caption"), p.get("parse_mode"),
                                       markup, record)

    def _m_sendDocument(self, p: dict, files: dict) -> dict:
        return self._send_media("document", p, files)

    def _m_sendPhoto(self, p: dict, files: dict) -> dict:
        return self._send_media("photo", p, files)

    def _editable(self, p: dict) -> Stored:
        if p.get("inline_message_id"):
            raise bad("MESSAGE_ID_INVALID")
        chat_id = p.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise bad("chat not found")
        stored = self._messages.get((chat_id, as_int(p.get("message_id"), 0)))
        if stored is None:
            raise bad("message to edit not found")
        if stored.message["from"]["id"] != self.bot_user["id"]:
            raise bad("message can't be edited")
        return stored

    def _apply_edit(self, method: str, stored: Stored, changes: dict, markup: dict | None,
                    html: str | None, parse_mode: str | None) -> dict:
        if markup is not None and "inline_keyboard" not in markup:
            raise bad("inline keyboard expected")
        message = stored.message
        if all(message.get(k) == (v or None) for k, v in changes.items()) and \
                message.get("reply_markup") == markup:
            raise bad(NOT_MODIFIED)
        for key, value in {**changes, "reply_markup": markup}.items():
            if value:
                message[key] = value
            else:
                message.pop(key, None)
        message["edit_date"] = int(time.time())
        stored.markup, stored.html, stored.parse_mode = markup, html, parse_mode
        self._record_event(method, stored)
        return copy.deepcopy(message)

    def _m_editMessageText(self, p: dict, files: dict) -> dict:
        stored = self._editable(p)
        if "text" not in stored.message:
            raise bad("there is no text in the message to edit")
        text, entities = self._format(p.get("text"), p.get("parse_mode"), p.get("entities"),
                                      MAX_TEXT, "text")
        markup = self._check_markup(p.get("reply_markup"))
        return self._apply_edit("editMessageText", stored, {"text": text, "entities": entities},
                                markup, p.get("text"), p.get("parse_mode"))

    def _m_editMessageReplyMarkup(self, p: dict, files: dict) -> dict:
        stored = self._editable(p)
        markup = self._check_markup(p.get("reply_markup"))
        return self._apply_edit("editMessageReplyMarkup", stored, {}, markup, stored.html,
                                stored.parse_mode)

    def _m_answerCallbackQuery(self, p: dict, files: dict) -> bool:
        query_id = str(p.get("callback_query_id", ""))
        if query_id not in self._open_queries:
            raise bad("query is too old and response timeout expired or query ID is invalid")
        self._open_queries.discard(query_id)
        self._answered.append({"callback_query_id": query_id, "text": p.get("text"),
                               "show_alert": bool(p.get("show_alert")), "url": p.get("url"),
                               "cache_time": p.get("cache_time")})
        return True

    def _m_getFile(self, p: dict, files: dict) -> dict:
        record = self._files.get(str(p.get("file_id", "")))
        if record is None:
            raise bad("invalid file_id")
        return {"file_id": record.file_id, "file_unique_id": record.file_unique_id,
                "file_size": len(record.content), "file_path": record.file_path}

    def _m_sendChatAction(self, p: dict, files: dict) -> bool:
        self._target_chat(p)
        if p.get("action") not in ACTIONS:
            raise bad("wrong parameter action in request")
        return True

    def _m_getChat(self, p: dict, files: dict) -> dict:
        chat_id = p.get("chat_id")
        if not isinstance(chat_id, int) or chat_id not in self._chats:
            raise bad("chat not found")
        return {**self._chats[chat_id], "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False,
                                        "gifts_from_channels": False}}
