"""A local Telegram Bot API for the Telegram customer channel and the agents' group desk (aiohttp on
127.0.0.1, random port).

Runs in its own thread and event loop (``tests.tickets.fakes.LocalServer``) and records every call. It
implements what the channel uses, with Telegram's rules where they matter:

* ``getMe``; ``setWebhook`` / ``deleteWebhook`` (state kept: ``getUpdates`` answers 409 Conflict while a
  webhook is set, as Telegram does);
* ``getUpdates`` from a queue tests push into (``push``): updates below ``offset`` are confirmed and
  dropped, and an empty queue is long-polled for ``timeout`` seconds, capped at ``max_poll_wait``;
* ``sendMessage`` (HTML checked like Telegram: known tags only, properly nested; at most 4096 UTF-16
  units; ``callback_data`` at most 64 bytes), ``answerCallbackQuery``, ``sendChatAction``;
* groups for the agent desk (``add_group``, ``set_member``): ``getChat`` (ChatFullInfo), ``getChatMember``
  (ChatMember objects; unknown users are ``left``), ``createForumTopic`` (forums only). Messages get
  unique ids per chat; ``sendMessage`` to a negative chat id answers a ``supergroup`` message carrying
  ``message_thread_id`` (forum topics) and ``reply_to_message`` (``reply_parameters``) like Telegram;
* ``fail`` makes the next calls of a method answer an error (e.g. 500, or 429 with ``retry_after``);
* faults of a broken or overloaded Bot API: ``get_me_mode`` ``"malformed"`` answers ``getMe`` with
  ``{"ok": true, "result": {"id": <bot id>}}`` (a User without the required ``is_bot`` and ``first_name``),
  ``"hanging"`` holds ``getMe`` without answering (until the mode changes, the server closes or
  ``hang_seconds`` pass, whichever is first; then it answers as the mode says); ``answer_updates_with``
  makes the next ``getUpdates`` answer ``{"ok": true, "result": <any JSON>}`` (e.g. an object instead of
  an array, or an array with a non-object item).

Errors are answered as ``{"ok": false, "error_code": N, "description": "..."}``; dates are integer seconds.
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from aiohttp import web

from tests.tickets.fakes import LocalServer, telegram_html_problems

JSON_FIELDS = ("reply_markup", "allowed_updates", "link_preview_options", "reply_parameters")
BOT_NAME, BOT_USERNAME = "CS Kripto", "cs_kripto_bot"
GET_ME_OK, GET_ME_MALFORMED, GET_ME_HANGING = "ok", "malformed", "hanging"
TOPIC_ICON_COLOR = 7322096   # Telegram's default topic colour (0x6FB9F0)
MEMBER_STATUSES = ("creator", "administrator", "member", "restricted", "left", "kicked")
ADMIN_RIGHTS = {
    "can_be_edited": False, "is_anonymous": False, "can_manage_chat": True, "can_delete_messages": True,
    "can_manage_video_chats": True, "can_restrict_members": True, "can_promote_members": False,
    "can_change_info": True, "can_invite_users": True, "can_post_stories": False, "can_edit_stories": False,
    "can_delete_stories": False, "can_pin_messages": True, "can_manage_topics": True,
}
RESTRICTED_RIGHTS = {
    "can_send_messages": False, "can_send_audios": False, "can_send_documents": False, "can_send_photos": False,
    "can_send_videos": False, "can_send_video_notes": False, "can_send_voice_notes": False,
    "can_send_polls": False, "can_send_other_messages": False, "can_add_web_page_previews": False,
    "can_change_info": False, "can_invite_users": False, "can_pin_messages": False, "can_manage_topics": False,
    "until_date": 0,
}
_TAG = re.compile(r"<[^>]*>")
_NO_RAW = object()


@dataclass
class BotCall:
    """One Bot API request."""

    method: str
    params: Dict[str, Any]
    status: Optional[int] = None   # HTTP status answered (None: still waiting, or the client gave up)
    at: float = 0.0

    @property
    def accepted(self) -> bool:
        """Answered with ok=true."""
        return self.status == 200


def visible_length(text: str, parse_mode: Optional[str]) -> int:
    """Message length as Telegram counts it: UTF-16 units of the text after HTML parsing."""
    if parse_mode == "HTML":
        text = html.unescape(_TAG.sub("", text))
    return len(text.encode("utf-16-le")) // 2


class FakeBotAPI(LocalServer):
    """Bot API for one token."""

    def __init__(self, token: str = "777000:CHANNEL-test-token", max_poll_wait: float = 2.0) -> None:
        self.token = token
        self.max_poll_wait = max_poll_wait
        self.calls: List[BotCall] = []
        self.webhook: Dict[str, Any] = {}          # what setWebhook registered (empty: none)
        self.me_override: Optional[Dict[str, Any]] = None   # answer getMe with this result instead
        self.get_me_mode = GET_ME_OK               # or GET_ME_MALFORMED / GET_ME_HANGING
        self.hang_seconds = 120.0                  # longest a hanging getMe is held
        self._raw_updates: List[Any] = []          # results answered by the next getUpdates calls
        self._pending: List[Dict[str, Any]] = []
        self._ids = itertools.count(100_000)
        self.groups: Dict[str, Dict[str, Any]] = {}                   # chat id -> {"title", "is_forum"}
        self.members: Dict[str, Dict[int, Dict[str, Any]]] = {}       # chat id -> user id -> ChatMember
        self.topics: Dict[str, Dict[int, str]] = {}                   # chat id -> message_thread_id -> name
        self.sent: Dict[str, Dict[int, Dict[str, Any]]] = {}          # chat id -> message id -> Message
        self._message_ids: Dict[str, "itertools.count[int]"] = {}
        self._failures: Dict[str, List[Tuple[int, str, Optional[int]]]] = {}
        self._lock = threading.Lock()
        self._closing = False
        self._arrived: Optional[asyncio.Event] = None
        app = web.Application(client_max_size=10 * 1024 * 1024)
        app.router.add_post("/bot{token}/{method}", self._handle)
        super().__init__(app)
        self._arrived = asyncio.run_coroutine_threadsafe(self._new_event(), self._loop).result(timeout=10)

    @staticmethod
    async def _new_event() -> asyncio.Event:
        return asyncio.Event()

    def close(self) -> None:
        """Stop (long polls still waiting are answered first)."""
        self._closing = True
        self._loop.call_soon_threadsafe(self._arrived.set)   # type: ignore[union-attr]
        time.sleep(0.1)
        super().close()

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``telegram.Bot`` / ``TELEGRAM_API_BASE_URL`` (the token is appended)."""
        return f"{self.base_url}/bot"

    # --- what tests use -------------------------------------------------------------------------------

    def push(self, update: Dict[str, Any]) -> Dict[str, Any]:
        """Queue an update for ``getUpdates`` (an ``update_id`` is assigned when missing)."""
        update = dict(update)
        if update.get("update_id") is None:
            update["update_id"] = next(self._ids)
        with self._lock:
            self._pending.append(update)
        self._loop.call_soon_threadsafe(self._arrived.set)   # type: ignore[union-attr]
        return update

    def add_group(self, chat_id: int, title: str = "Agen CS Kripto", is_forum: bool = False) -> None:
        """A supergroup the bot is in (a forum when ``is_forum``)."""
        with self._lock:
            self.groups[str(chat_id)] = {"title": title, "is_forum": is_forum}

    def set_member(self, chat_id: int, user_id: int, first_name: str, status: str = "member",
                   last_name: Optional[str] = None, is_bot: bool = False, is_member: bool = True) -> Dict[str, Any]:
        """Make ``user_id`` a ``status`` of the group; returns the User object (for building updates)."""
        assert status in MEMBER_STATUSES, status
        user: Dict[str, Any] = {"id": user_id, "is_bot": is_bot, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        with self._lock:
            self.members.setdefault(str(chat_id), {})[user_id] = chat_member(user, status, is_member)
        return user

    def fail(self, method: str, status: int = 500, description: str = "Internal Server Error", times: int = 1,
             retry_after: Optional[int] = None) -> None:
        """Answer the next ``times`` calls of ``method`` with this error."""
        with self._lock:
            self._failures.setdefault(method, []).extend([(status, description, retry_after)] * times)

    def clear_failures(self) -> None:
        """Forget every failure still queued by :meth:`fail`."""
        with self._lock:
            self._failures.clear()

    def answer_updates_with(self, result: Any) -> None:
        """Answer the next ``getUpdates`` with ``{"ok": true, "result": result}`` (queued updates stay)."""
        with self._lock:
            self._raw_updates.append(result)

    def bot_user(self) -> Dict[str, Any]:
        """The bot's own User object (``from`` of its messages)."""
        return {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": BOT_NAME, "username": BOT_USERNAME}

    def message(self, chat_id: int, message_id: int) -> Optional[Dict[str, Any]]:
        """A Message the bot sent (or a topic's creation message), as Telegram returned it."""
        with self._lock:
            return self.sent.get(str(chat_id), {}).get(message_id)

    def next_update_id(self) -> int:
        """A fresh update id (for updates POSTed to a webhook)."""
        return next(self._ids)

    def calls_to(self, method: str) -> List[BotCall]:
        with self._lock:
            return [call for call in self.calls if call.method == method]

    def messages(self, chat_id: Optional[int] = None) -> List[Dict[str, Any]]:
        """Parameters of every accepted sendMessage (to ``chat_id`` when given), oldest first."""
        return [call.params for call in self.calls_to("sendMessage")
                if call.accepted and (chat_id is None or str(call.params.get("chat_id")) == str(chat_id))]

    def refused(self) -> List[BotCall]:
        """Requests answered with an error (a well-behaved channel makes none)."""
        with self._lock:
            return [call for call in self.calls if call.status not in (None, 200)]

    def wait_for(self, condition: Callable[[], Any], timeout: float = 30.0) -> Any:
        """Poll ``condition`` until it returns something truthy; that value (or the last one on timeout)."""
        deadline = time.monotonic() + timeout
        value = condition()
        while not value and time.monotonic() < deadline:
            time.sleep(0.1)
            value = condition()
        return value

    def wait_messages(self, chat_id: int, count: int = 1, timeout: float = 30.0,
                      settle: float = 1.0) -> List[Dict[str, Any]]:
        """Messages to ``chat_id`` once there are at least ``count`` and no more arrived for ``settle`` s."""
        self.wait_for(lambda: len(self.messages(chat_id)) >= count, timeout)
        seen = -1
        while seen != len(self.messages(chat_id)):
            seen = len(self.messages(chat_id))
            time.sleep(settle)
        return self.messages(chat_id)

    # --- the API ------------------------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.Response:
        params = await _params(request)
        call = BotCall(request.match_info["method"], params, at=time.time())
        with self._lock:
            self.calls.append(call)
        if request.match_info["token"] != self.token:
            call.status = 401
            return _error(401, "Unauthorized")
        failure = self._next_failure(call.method)
        if failure is not None:
            call.status = failure[0]
            return _error(*failure)
        handler = getattr(self, "_" + call.method, None)
        if handler is None:
            call.status = 404
            return _error(404, "Not Found: method not found")
        status, result = await handler(params)
        call.status = status
        if status != 200:
            return _error(status, result)
        return web.json_response({"ok": True, "result": result})

    def _next_failure(self, method: str) -> Optional[Tuple[int, str, Optional[int]]]:
        with self._lock:
            queued = self._failures.get(method)
            return queued.pop(0) if queued else None

    async def _getMe(self, _: Dict[str, Any]) -> Any:
        deadline = time.monotonic() + self.hang_seconds
        while self.get_me_mode == GET_ME_HANGING and not self._closing and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        if self.get_me_mode == GET_ME_MALFORMED:   # a User without is_bot and first_name
            return 200, {"id": self.bot_user()["id"]}
        if self.me_override is not None:   # e.g. a result missing required fields, to test the client's guard
            return 200, self.me_override
        return 200, {**self.bot_user(), "can_join_groups": True, "can_read_all_group_messages": False,
                     "supports_inline_queries": False}

    async def _setWebhook(self, params: Dict[str, Any]) -> Any:
        if not str(params.get("url", "")).startswith("https://"):
            return 400, "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
        self.webhook = params
        return 200, True

    async def _deleteWebhook(self, params: Dict[str, Any]) -> Any:
        self.webhook = {}
        if str(params.get("drop_pending_updates", "")).lower() == "true":
            with self._lock:
                self._pending.clear()
        return 200, True

    async def _getUpdates(self, params: Dict[str, Any]) -> Any:
        with self._lock:
            raw = self._raw_updates.pop(0) if self._raw_updates else _NO_RAW
        if raw is not _NO_RAW:
            return 200, raw
        if self.webhook:
            return 409, ("Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to "
                         "delete the webhook first")
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), self.max_poll_wait)
        deadline = time.monotonic() + wait
        while True:
            self._arrived.clear()   # type: ignore[union-attr]   # before reading: a push after this wakes us
            with self._lock:
                if offset:
                    self._pending = [u for u in self._pending if u["update_id"] >= offset]
                ready = list(self._pending)
            remaining = deadline - time.monotonic()
            if ready or remaining <= 0 or self._closing:
                allowed = params.get("allowed_updates")
                return 200, [u for u in ready if not allowed or set(u) & set(allowed)]
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)   # type: ignore[union-attr]
            except asyncio.TimeoutError:
                pass

    async def _sendMessage(self, params: Dict[str, Any]) -> Any:
        text, mode = str(params.get("text", "")), params.get("parse_mode")
        problems = telegram_html_problems(text) if mode == "HTML" else []
        if not text.strip():
            problems.append("message text is empty")
        if visible_length(text, mode) > 4096:
            problems.append("message is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data", "")).encode("utf-8")) > 64:
                    problems.append("BUTTON_DATA_INVALID")
        if problems:
            return 400, "Bad Request: " + "; ".join(problems)
        chat_id = int(params["chat_id"])
        thread = int(params["message_thread_id"]) if params.get("message_thread_id") else None
        if thread is not None and thread not in self.topics.get(str(chat_id), {}):
            return 400, "Bad Request: message thread not found"
        replied, problem = self._replied(chat_id, params)
        if problem:
            return 400, problem
        message: Dict[str, Any] = {"message_id": 0, "from": self.bot_user(), "date": int(time.time()),
                                   "chat": self._chat(chat_id), "text": text}
        if thread is not None:
            message.update(message_thread_id=thread, is_topic_message=True)
        if replied is not None:
            message["reply_to_message"] = {key: value for key, value in replied.items() if key != "reply_to_message"}
        if markup:
            message["reply_markup"] = markup
        return 200, self._store(chat_id, message)

    def _replied(self, chat_id: int, params: Dict[str, Any]) -> Tuple[Optional[Dict[str, Any]], str]:
        """The message a reply refers to (``reply_parameters`` or the older ``reply_to_message_id``)."""
        reply = params.get("reply_parameters")
        if reply is None and params.get("reply_to_message_id"):
            reply = {"message_id": int(params["reply_to_message_id"]),
                     "allow_sending_without_reply": str(params.get("allow_sending_without_reply")) == "true"}
        if not reply:
            return None, ""
        replied = self.message(chat_id, int(reply["message_id"]))
        if replied is None and not reply.get("allow_sending_without_reply"):
            return None, "Bad Request: message to be replied not found"
        return replied, ""

    def _chat(self, chat_id: int) -> Dict[str, Any]:
        """The Chat object of a message: private for positive ids, supergroup for negative ones."""
        if chat_id > 0:
            return {"id": chat_id, "type": "private", "first_name": "Pelanggan"}
        group = self.groups.get(str(chat_id), {"title": "Agen CS Kripto", "is_forum": False})
        chat: Dict[str, Any] = {"id": chat_id, "type": "supergroup", "title": group["title"]}
        if group["is_forum"]:
            chat["is_forum"] = True
        return chat

    def _store(self, chat_id: int, message: Dict[str, Any]) -> Dict[str, Any]:
        """Give ``message`` the chat's next message id and keep it (replies can refer to it)."""
        with self._lock:
            ids = self._message_ids.setdefault(str(chat_id), itertools.count(1))
            message["message_id"] = next(ids)
            self.sent.setdefault(str(chat_id), {})[message["message_id"]] = message
        return message

    async def _getChat(self, params: Dict[str, Any]) -> Any:
        group = self.groups.get(str(params.get("chat_id")))
        if group is None:
            return 400, "Bad Request: chat not found"
        chat = {**self._chat(int(params["chat_id"])), "accent_color_id": 0, "max_reaction_count": 11,
                "accepted_gift_types": {"unlimited_gifts": False, "limited_gifts": False,
                                        "unique_gifts": False, "premium_subscription": False}}
        return 200, chat

    async def _getChatMember(self, params: Dict[str, Any]) -> Any:
        chat = str(params.get("chat_id"))
        if chat not in self.groups:
            return 400, "Bad Request: chat not found"
        user_id = int(params.get("user_id") or 0)
        member = self.members.get(chat, {}).get(user_id)
        if member is None:
            member = chat_member({"id": user_id, "is_bot": False, "first_name": "Pengguna"}, "left")
        return 200, member

    async def _createForumTopic(self, params: Dict[str, Any]) -> Any:
        chat_id, name = int(params.get("chat_id") or 0), str(params.get("name", ""))
        group = self.groups.get(str(chat_id))
        if group is None:
            return 400, "Bad Request: chat not found"
        if not group["is_forum"]:
            return 400, "Bad Request: the chat is not a forum"
        if not 1 <= len(name) <= 128:
            return 400, "Bad Request: TOPIC_NAME_INVALID"
        color = int(params.get("icon_color") or TOPIC_ICON_COLOR)
        created = self._store(chat_id, {"message_id": 0, "from": self.bot_user(), "date": int(time.time()),
                                        "chat": self._chat(chat_id),
                                        "forum_topic_created": {"name": name, "icon_color": color}})
        thread = created["message_id"]   # a topic's id is the id of its creation message
        created.update(message_thread_id=thread, is_topic_message=True)
        with self._lock:
            self.topics.setdefault(str(chat_id), {})[thread] = name
        return 200, {"message_thread_id": thread, "name": name, "icon_color": color}

    async def _answerCallbackQuery(self, params: Dict[str, Any]) -> Any:
        return (200, True) if params.get("callback_query_id") else (400, "Bad Request: query id is empty")

    async def _sendChatAction(self, params: Dict[str, Any]) -> Any:
        return (200, True) if params.get("action") == "typing" else (400, "Bad Request: wrong action")


async def _params(request: web.Request) -> Dict[str, Any]:
    """Request parameters (form or JSON); JSON-encoded fields decoded."""
    if request.content_type == "application/json":
        params = dict(await request.json())
    else:
        params = {key: str(value) for key, value in (await request.post()).items()}
    for key in JSON_FIELDS:
        if isinstance(params.get(key), str):
            params[key] = json.loads(params[key])
    return params


def chat_member(user: Dict[str, Any], status: str, is_member: bool = True) -> Dict[str, Any]:
    """A ChatMember object as Telegram documents it for ``status``."""
    member: Dict[str, Any] = {"status": status, "user": user}
    if status == "creator":
        member["is_anonymous"] = False
    elif status == "administrator":
        member.update(ADMIN_RIGHTS)
    elif status == "restricted":
        member.update(is_member=is_member, **RESTRICTED_RIGHTS)
    elif status == "kicked":
        member["until_date"] = 0
    return member


def _error(status: int, description: str, retry_after: Optional[int] = None) -> web.Response:
    body: Dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)
