"""Telegram ``Update`` objects as the Bot API sends them (private chats), for tests."""
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
