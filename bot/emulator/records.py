"""What the emulator keeps and answers with: the Bot API's limits, error answers (``ApiError``),
messages the bot sent (``SentMessage``, snapshots for the tests), stored messages and files, and
request parameters decoded as Telegram decodes them."""

from __future__ import annotations

import json
import re
import struct
from dataclasses import dataclass, field
from typing import Any


MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_UPLOAD = 50 * 1024 * 1024
NOT_MODIFIED = ("message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message")
_JSON_PARAMS = {"reply_markup", "entities", "caption_entities", "commands", "scope",
                "reply_parameters", "link_preview_options", "allowed_updates"}
_INT_PARAMS = {"chat_id", "message_id", "offset", "limit", "user_id", "cache_time",
               "message_thread_id", "reply_to_message_id"}
_BOOL_PARAMS = {"disable_notification", "protect_content", "show_alert", "drop_pending_updates",
                "disable_content_type_detection", "has_spoiler", "allow_sending_without_reply"}
BUTTON_KINDS = ("url", "callback_data", "web_app", "login_url", "switch_inline_query",
                "switch_inline_query_current_chat", "switch_inline_query_chosen_chat",
                "copy_text", "callback_game", "pay")
ACTIONS = {"typing", "upload_photo", "record_video", "upload_video", "record_voice",
           "upload_voice", "upload_document", "choose_sticker", "find_location",
           "record_video_note", "upload_video_note"}
COMMAND = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,64})?(?![A-Za-z0-9_@])")
DEFAULT_DESCRIPTIONS = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden",
                        404: "Not Found", 409: "Conflict", 500: "Internal Server Error",
                        502: "Bad Gateway"}


class ApiError(Exception):
    """An error answer: HTTP status, Telegram description, optional retry_after."""

    def __init__(self, status: int, description: str, retry_after: int | None = None):
        super().__init__(description)
        self.status, self.description, self.retry_after = status, description, retry_after

    def payload(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.status,
                                "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad(description: str) -> ApiError:
    return ApiError(400, "Bad Request: " + description)


@dataclass(frozen=True)
class SentMessage:
    """One message the bot sent or edited, as a snapshot at that moment."""

    index: int  # position in the chat's event log (see mark/since)
    method: str  # sendMessage, sendDocument, sendPhoto, editMessageText, ...
    chat_id: int
    message_id: int
    text: str | None  # plain text (or caption) after entity parsing
    html: str | None  # text (or caption) exactly as sent
    parse_mode: str | None
    reply_markup: dict | None  # as sent: inline or reply keyboard
    buttons: list[list[tuple[str, str | None]]]  # rows of (text, callback_data)
    document: bytes | None = None  # uploaded document/photo content
    filename: str | None = None
    mime_type: str | None = None
    message: dict = field(default_factory=dict)  # the Message object Telegram returned

    @property
    def edited(self) -> bool:
        return self.method.startswith("edit")


@dataclass
class Stored:
    message: dict
    html: str | None = None
    parse_mode: str | None = None
    markup: dict | None = None
    file: File | None = None


@dataclass
class File:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    filename: str | None
    mime_type: str | None
    width: int = 0
    height: int = 0


def button_rows(markup: dict | None) -> list[list[tuple[str, str | None]]]:
    if not markup:
        return []
    if "inline_keyboard" in markup:
        return [[(b.get("text", ""), b.get("callback_data")) for b in row]
                for row in markup["inline_keyboard"]]
    return [[(b if isinstance(b, str) else b.get("text", ""), None) for b in row]
            for row in markup.get("keyboard", [])]


def image_size(content: bytes) -> tuple[int, int]:
    if content[:8] == b"\x89PNG\r\n\x1a\n" and len(content) >= 24:
        return struct.unpack(">II", content[16:24])
    return 320, 240


def decode_param(name: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if name in _JSON_PARAMS:
        try:
            return json.loads(value)
        except ValueError:
            raise bad(f"can't parse {name} JSON object") from None
    if name in _INT_PARAMS:
        try:
            return int(value)
        except ValueError:
            return value
    if name in _BOOL_PARAMS:
        return value.lower() in ("true", "1")
    if name == "timeout":
        try:
            return float(value) if "." in value else int(value)
        except ValueError:
            return value
    return value


def as_int(value: Any, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        raise bad("wrong integer value") from None
