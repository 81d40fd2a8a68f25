"""Reading raw updates from the agents' Telegram group: plain JSON, so one odd update never breaks a batch."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Optional, Tuple

from bot.channels.telegram_updates import MEDIA_KEYS

NAME_LIMIT = 64


class Malformed(ValueError):
    """An update whose fields the desk uses have the wrong type."""


@dataclass(frozen=True)
class GroupUpdate:
    """One update from the agents' group, reduced to what the desk needs."""

    update_id: int
    chat_id: int
    user_id: int
    user_is_bot: bool
    user_name: str
    message_id: Optional[int] = None      # the agent's message, or the message whose button was tapped
    text: Optional[str] = None
    has_media: bool = False
    reply_to: Optional[int] = None
    thread_id: Optional[int] = None
    in_topic: bool = False
    callback_id: Optional[str] = None
    callback_data: str = ""


def parse_group_update(raw: Any) -> Optional[GroupUpdate]:
    """Read a raw update; None for kinds the desk does not handle, ``Malformed`` for wrong types."""
    if not isinstance(raw, dict):
        raise Malformed("an update must be a JSON object")
    update_id = _int(raw, "update_id")
    if "callback_query" in raw:
        query = _dict(raw, "callback_query")
        message = _dict(query, "message", required=False)
        if message is None:
            return None   # a button under an inline-mode message: not ours
        callback_id = _str(query, "id")
        if not callback_id:
            raise Malformed("'callback_query.id' must be a non-empty string")
        return GroupUpdate(update_id, _int(_dict(message, "chat"), "id"), *_user(_dict(query, "from")),
                           message_id=_int(message, "message_id"), callback_id=callback_id,
                           callback_data=_str(query, "data") or "")
    if "message" in raw:
        message = _dict(raw, "message")
        sender = _dict(message, "from", required=False)
        if sender is None:
            return None   # channel posts and the like
        reply = _dict(message, "reply_to_message", required=False)
        return GroupUpdate(update_id, _int(_dict(message, "chat"), "id"), *_user(sender),
                           message_id=_int(message, "message_id"), text=_str(message, "text"),
                           has_media=bool(MEDIA_KEYS & set(message)),
                           reply_to=_int(reply, "message_id") if reply else None,
                           thread_id=_int(message, "message_thread_id", required=False),
                           in_topic=message.get("is_topic_message") is True)
    return None


def _user(user: Dict[str, Any]) -> Tuple[int, bool, str]:
    """(id, is_bot, "First Last") of a User object."""
    names = [_str(user, "first_name") or "", _str(user, "last_name") or ""]
    name = " ".join("".join(c for c in " ".join(names) if c.isprintable()).split())[:NAME_LIMIT]
    return _int(user, "id"), user.get("is_bot") is True, name or "Agen"


def _dict(data: Dict[str, Any], key: str, required: bool = True) -> Any:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, dict):
        raise Malformed(f"'{key}' must be a JSON object")
    return value


def _int(data: Dict[str, Any], key: str, required: bool = True) -> Any:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise Malformed(f"'{key}' must be an integer")
    return value


def _str(data: Dict[str, Any], key: str) -> Optional[str]:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise Malformed(f"'{key}' must be a string")
    return value
