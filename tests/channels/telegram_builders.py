"""Telegram ``Update`` objects as the Bot API sends them (private chats and the agents' group), for tests."""
from __future__ import annotations

import itertools
import time
from typing import Any, Dict, Optional

_message_ids = itertools.count(1)


def user(user_id: int, first_name: str = "Budi") -> Dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"}


def message(chat_id: int, first_name: str = "Budi", **content: Any) -> Dict[str, Any]:
    """A message in the private chat with user ``chat_id`` (in private chats chat id == user id)."""
    return {"message_id": next(_message_ids), "date": int(time.time()), "from": user(chat_id, first_name),
            "chat": {"id": chat_id, "type": "private", "first_name": first_name}, **content}


def text_update(update_id: int, chat_id: int, text: str, first_name: str = "Budi") -> Dict[str, Any]:
    return {"update_id": update_id, "message": message(chat_id, first_name, text=text)}


def photo_update(update_id: int, chat_id: int, caption: Optional[str] = None) -> Dict[str, Any]:
    photo = [{"file_id": "AgACAgUAAxkBAAI", "file_unique_id": "AQADBb0", "width": 90, "height": 67,
              "file_size": 1234}]
    content: Dict[str, Any] = {"photo": photo}
    if caption:
        content["caption"] = caption
    return {"update_id": update_id, "message": message(chat_id, **content)}


def sticker_update(update_id: int, chat_id: int) -> Dict[str, Any]:
    sticker = {"file_id": "CAACAgIAAxkBAAE", "file_unique_id": "AgAD", "type": "regular", "width": 512,
               "height": 512, "is_animated": False, "is_video": False, "emoji": "👍"}
    return {"update_id": update_id, "message": message(chat_id, sticker=sticker)}


def edited_update(update_id: int, chat_id: int, text: str) -> Dict[str, Any]:
    edited = message(chat_id, text=text)
    edited["edit_date"] = int(time.time())
    return {"update_id": update_id, "edited_message": edited}


def callback_update(update_id: int, chat_id: int, data: str, query_id: Optional[str] = None,
                    first_name: str = "Budi") -> Dict[str, Any]:
    """A tap on an inline button under one of the bot's messages in chat ``chat_id``."""
    bot_message = {"message_id": 7, "date": int(time.time()), "text": "Apakah jawaban ini membantu?",
                   "from": {"id": 777000, "is_bot": True, "first_name": "CS Kripto"},
                   "chat": {"id": chat_id, "type": "private", "first_name": first_name}}
    return {"update_id": update_id, "callback_query": {
        "id": query_id or f"cbq-{update_id}", "from": user(chat_id, first_name), "message": bot_message,
        "chat_instance": "-8123", "data": data}}


# --- the agents' group (a supergroup, optionally a forum) ---------------------------------------------------

_group_update_ids = itertools.count(1)
_group_message_ids = itertools.count(9000)


def member(user_id: int, first_name: str) -> Dict[str, Any]:
    """An agent's User object."""
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "id"}


def group_chat(chat_id: int, forum: bool = False) -> Dict[str, Any]:
    """The agents' supergroup."""
    return {"id": chat_id, "type": "supergroup", "title": "Agen CS Kripto", **({"is_forum": True} if forum else {})}


def group_text_update(user_id: int, name: str, text: str, chat_id: int, reply_to: Optional[Dict[str, Any]] = None,
                      topic: Optional[int] = None, update_id: Optional[int] = None) -> Dict[str, Any]:
    """An agent's message in the group; ``reply_to`` is the Message replied to, ``topic`` a forum topic id."""
    message: Dict[str, Any] = {"message_id": next(_group_message_ids), "from": member(user_id, name),
                               "chat": group_chat(chat_id, forum=topic is not None), "date": int(time.time()),
                               "text": text}
    if reply_to is not None:
        message["reply_to_message"] = reply_to
    if topic is not None:
        message.update(message_thread_id=topic, is_topic_message=True)
    return {"update_id": update_id or next(_group_update_ids), "message": message}


def group_callback_update(user_id: int, name: str, data: str, tapped: Dict[str, Any],
                          update_id: Optional[int] = None) -> Dict[str, Any]:
    """A tap on a button under ``tapped`` (a Message the bot sent in the group)."""
    return {"update_id": update_id or next(_group_update_ids), "callback_query": {
        "id": f"cbq-{next(_group_update_ids)}", "from": member(user_id, name), "message": tapped,
        "chat_instance": "-4242", "data": data}}
