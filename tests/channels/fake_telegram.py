"""A local Telegram Bot API for the Telegram *customer* channel (aiohttp on 127.0.0.1, random port).

Runs in its own thread and event loop (``tests.tickets.fakes.LocalServer``) and records every call. It
implements what the channel uses, with Telegram's rules where they matter:

* ``getMe``; ``setWebhook`` / ``deleteWebhook`` (state kept: ``getUpdates`` answers 409 Conflict while a
  webhook is set, as Telegram does);
* ``getUpdates`` from a queue tests push into (``push``): updates below ``offset`` are confirmed and
  dropped, and an empty queue is long-polled for ``timeout`` seconds, capped at ``max_poll_wait``;
* ``sendMessage`` (HTML checked like Telegram: known tags only, properly nested; at most 4096 UTF-16
  units; ``callback_data`` at most 64 bytes), ``answerCallbackQuery``, ``sendChatAction``.
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
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

from tests.tickets.fakes import LocalServer, telegram_html_problems

JSON_FIELDS = ("reply_markup", "allowed_updates", "link_preview_options")
_TAG = re.compile(r"<[^>]*>")


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
        self._pending: List[Dict[str, Any]] = []
        self._ids = itertools.count(100_000)
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
        handler = getattr(self, "_" + call.method, None)
        if handler is None:
            call.status = 404
            return _error(404, "Not Found: method not found")
        status, result = await handler(params)
        call.status = status
        if status != 200:
            return _error(status, result)
        return web.json_response({"ok": True, "result": result})

    async def _getMe(self, _: Dict[str, Any]) -> Any:
        return 200, {"id": int(self.token.split(":")[0]), "is_bot": True, "first_name": "CS Kripto",
                     "username": "cs_kripto_bot", "can_join_groups": False}

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
        for row in (params.get("reply_markup") or {}).get("inline_keyboard", []):
            for button in row:
                if len(str(button.get("callback_data", "")).encode("utf-8")) > 64:
                    problems.append("BUTTON_DATA_INVALID")
        if problems:
            return 400, "Bad Request: " + "; ".join(problems)
        return 200, {"message_id": len(self.messages()) + 1, "date": int(time.time()), "text": text,
                     "chat": {"id": int(params["chat_id"]), "type": "private", "first_name": "Pelanggan"}}

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


def _error(status: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": status, "description": description}, status=status)
