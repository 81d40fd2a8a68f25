"""Reading Telegram ``Update`` objects (webhook bodies and ``getUpdates`` results) into what the channel does.

Pure functions over plain JSON: wrong types raise ``RequestError`` (400), so a forged or broken webhook
body is refused with a 4xx and never reaches Rasa. Only private chats are served; everything the
assistant does not handle (edited messages, channel posts, group chats, membership changes…) is
``IGNORED`` and acknowledged.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from bot.channels.common import RequestError, check_body_size

TEXT, START, CALLBACK, NON_TEXT, IGNORED = "text", "start", "callback", "non_text", "ignored"
MAX_NAME_CHARS = 64
_MAX_ID = 2 ** 53   # Telegram ids fit in 52 bits (plus sign)
_START = re.compile(r"^/start(?:@\w+)?(?:\s|$)", re.IGNORECASE)
# Message contents that are not text: the customer gets a polite request to write instead.
MEDIA_KEYS = frozenset({
    "photo", "sticker", "voice", "audio", "document", "video", "video_note", "animation", "location",
    "venue", "contact", "poll", "dice", "game", "story", "invoice", "paid_media", "checklist",
})


@dataclass(frozen=True)
class Incoming:
    """One update, reduced to what the channel needs."""

    update_id: int
    kind: str                              # TEXT, START, CALLBACK, NON_TEXT or IGNORED
    chat_id: Optional[int] = None
    user_id: Optional[int] = None
    first_name: Optional[str] = None
    text: str = ""
    callback_id: Optional[str] = None      # callback queries: answer it whatever happens
    callback_data: Optional[str] = None

    @property
    def sender_id(self) -> str:
        """The Rasa conversation id of the chat."""
        return sender_for(self.chat_id) if self.chat_id is not None else ""


def sender_for(chat_id: int) -> str:
    """Rasa ``sender_id`` for a Telegram chat (``tg-<chat_id>``)."""
    return f"tg-{chat_id}"


def chat_of(sender_id: str) -> int:
    """The Telegram chat id inside a ``tg-<chat_id>`` sender id (``ValueError`` for anything else)."""
    if not sender_id.startswith("tg-"):
        raise ValueError(f"{sender_id!r} is not a Telegram conversation")
    return int(sender_id[3:])


def parse_webhook_body(raw: bytes) -> Incoming:
    """Validate a webhook body (size, UTF-8 JSON object) and read the update in it."""
    check_body_size(raw)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RequestError(400, "body must be UTF-8 JSON") from None
    return parse_update(data)


def parse_update(data: Any) -> Incoming:
    """Read one ``Update``; raise ``RequestError(400)`` when a field the channel uses has the wrong type."""
    if not isinstance(data, dict):
        raise RequestError(400, "an update must be a JSON object")
    update_id = _id(data, "update_id", required=True)
    assert update_id is not None
    if "message" in data:
        return _message(update_id, _object(data, "message"))
    if "callback_query" in data:
        return _callback(update_id, _object(data, "callback_query"))
    return Incoming(update_id, IGNORED)


def is_start_command(text: str) -> bool:
    """``/start``, ``/start@our_bot`` or ``/start <deep-link parameter>``."""
    return bool(_START.match(text.strip()))


def _message(update_id: int, message: Dict[str, Any]) -> Incoming:
    chat = _object(message, "chat")
    chat_id = _id(chat, "id", required=True)
    user = _optional_object(message, "from")
    user_id, first_name, is_bot = _user(user)
    text = _string(message, "text")
    if _string(chat, "type") not in (None, "private") or is_bot:
        return Incoming(update_id, IGNORED, chat_id, user_id, first_name)
    if text is not None:
        kind = START if is_start_command(text) else TEXT
        return Incoming(update_id, kind, chat_id, user_id, first_name, text)
    if MEDIA_KEYS & set(message):
        return Incoming(update_id, NON_TEXT, chat_id, user_id, first_name)
    return Incoming(update_id, IGNORED, chat_id, user_id, first_name)   # service messages


def _callback(update_id: int, query: Dict[str, Any]) -> Incoming:
    callback_id = _string(query, "id")
    if not callback_id:
        raise RequestError(400, "'callback_query.id' must be a non-empty string")
    user_id, first_name, _ = _user(_object(query, "from"))
    data = _string(query, "data")
    message = _optional_object(query, "message")
    chat = _object(message, "chat") if message else None
    chat_id = _id(chat, "id", required=True) if chat else None
    if chat and _string(chat, "type") not in (None, "private"):
        chat_id = None   # only private chats are served; the query is still answered
    return Incoming(update_id, CALLBACK, chat_id, user_id, first_name, callback_id=callback_id, callback_data=data)


def _user(user: Optional[Dict[str, Any]]) -> Tuple[Optional[int], Optional[str], bool]:
    if not user:
        return None, None, False
    user_id = _id(user, "id", required=True)
    name = _string(user, "first_name")
    name = " ".join("".join(c for c in name if c.isprintable()).split())[:MAX_NAME_CHARS] if name else ""
    is_bot = user.get("is_bot")
    if is_bot is not None and not isinstance(is_bot, bool):
        raise RequestError(400, "'is_bot' must be a boolean")
    return user_id, name or None, bool(is_bot)


def _object(data: Dict[str, Any], key: str) -> Dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise RequestError(400, f"'{key}' must be a JSON object")
    return value


def _optional_object(data: Dict[str, Any], key: str) -> Optional[Dict[str, Any]]:
    """Like :func:`_object`, but None when the key is absent or null."""
    return None if data.get(key) is None else _object(data, key)


def _id(data: Dict[str, Any], key: str, required: bool = False) -> Optional[int]:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or not -_MAX_ID < value < _MAX_ID:
        raise RequestError(400, f"'{key}' must be an integer id")
    return value


def _string(data: Dict[str, Any], key: str) -> Optional[str]:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise RequestError(400, f"'{key}' must be a string")
    return value
