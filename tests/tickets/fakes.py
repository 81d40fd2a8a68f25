"""Local stand-ins for the Telegram Bot API and a helpdesk webhook (aiohttp on 127.0.0.1, random port).

Each server runs in its own thread and event loop, records every request, can answer with an error
status, and can be taken down (connection refused) and brought back up on the same port.
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any, Dict, List, Optional

from aiohttp import web

TELEGRAM_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "code", "pre", "a", "tg-spoiler",
                 "blockquote", "span"}


class _TagChecker(HTMLParser):
    """Telegram's HTML rules in small: only its tags, properly nested and closed."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open_tags: List[str] = []
        self.problems: List[str] = []

    def handle_starttag(self, tag: str, attrs: Any) -> None:
        if tag not in TELEGRAM_TAGS:
            self.problems.append(f"unsupported tag <{tag}>")
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags.pop() != tag:
            self.problems.append(f"unexpected </{tag}>")


def telegram_html_problems(text: str) -> List[str]:
    """Why Telegram would refuse ``text`` as an HTML message (empty when it would accept it)."""
    checker = _TagChecker()
    checker.feed(text)
    checker.close()
    problems = checker.problems + [f"unclosed <{tag}>" for tag in checker.open_tags]
    if len(text.encode("utf-16-le")) // 2 > 4096:
        problems.append("message is too long")
    return problems


class LocalServer:
    """An aiohttp application served from a background thread."""

    def __init__(self, app: web.Application) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._runner = web.AppRunner(app)
        self._site: Optional[web.TCPSite] = None
        self.port = 0
        self._call(self._runner.setup())
        self.up()

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _start_site(self) -> None:
        self._site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await self._site.start()
        self.port = self._site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    def up(self) -> None:
        """Listen (again, on the same port)."""
        if self._site is None:
            self._call(self._start_site())

    def down(self) -> None:
        """Stop listening: clients get "connection refused"."""
        if self._site is not None:
            self._call(self._site.stop())
            self._site = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        self._call(self._runner.cleanup())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=10)
        self._loop.close()


@dataclass
class TelegramCall:
    method: str
    params: Dict[str, str]
    accepted: bool = False  # answered with ok=true


class FakeTelegram(LocalServer):
    """Bot API for one token: getMe and sendMessage, with Telegram's HTML and length checks."""

    def __init__(self, token: str = "123456:TEST-token") -> None:
        self.token = token
        self.calls: List[TelegramCall] = []
        self.fail_status: Optional[int] = None  # answer every request with this HTTP status
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        super().__init__(app)

    @property
    def api_url(self) -> str:
        """The ``base_url`` for ``telegram.Bot`` (the token is appended)."""
        return f"{self.base_url}/bot"

    @property
    def messages(self) -> List[Dict[str, str]]:
        """Parameters of every sendMessage Telegram accepted."""
        return [call.params for call in self.calls if call.method == "sendMessage" and call.accepted]

    async def _handle(self, request: web.Request) -> web.Response:
        params = {key: str(value) for key, value in (await request.post()).items()}
        call = TelegramCall(request.match_info["method"], params)
        self.calls.append(call)
        if request.match_info["token"] != self.token:
            return _telegram_error(401, "Unauthorized")
        if self.fail_status == 429:
            return _telegram_error(429, "Too Many Requests: retry after 30", retry_after=30)
        if self.fail_status is not None:
            return _telegram_error(self.fail_status, "Internal Server Error")
        if call.method == "getMe":
            call.accepted = True
            return web.json_response({"ok": True, "result": {"id": 42, "is_bot": True, "first_name": "CS Tiket",
                                                              "username": "cs_tiket_bot"}})
        if call.method == "sendMessage":
            problems = telegram_html_problems(params.get("text", "")) if params.get("parse_mode") == "HTML" else []
            if problems:
                return _telegram_error(400, "Bad Request: " + "; ".join(problems))
            call.accepted = True
            return web.json_response({"ok": True, "result": {
                "message_id": len(self.messages), "date": int(time.time()), "text": params.get("text", ""),
                "chat": {"id": int(params["chat_id"]), "type": "supergroup", "title": "Agen CS"}}})
        return _telegram_error(404, "Not Found")


def _telegram_error(status: int, description: str, retry_after: Optional[int] = None) -> web.Response:
    body: Dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if retry_after is not None:
        body["parameters"] = {"retry_after": retry_after}
    return web.json_response(body, status=status)


@dataclass
class WebhookCall:
    idempotency_key: str
    payload: Dict[str, Any]
    raw_body: bytes
    signature_ok: bool
    accepted: bool = False  # answered with 2xx


class WebhookReceiver(LocalServer):
    """A helpdesk endpoint that checks the HMAC signature of every POST."""

    def __init__(self, secret: str = "s3cret-webhook-key", delay_seconds: float = 0.0) -> None:
        self.secret = secret
        self.delay_seconds = delay_seconds  # makes concurrent workers overlap
        self.calls: List[WebhookCall] = []
        self.fail_status: Optional[int] = None  # answer every request with this HTTP status
        app = web.Application()
        app.router.add_post("/hook", self._handle)
        super().__init__(app)

    @property
    def url(self) -> str:
        return f"{self.base_url}/hook"

    @property
    def accepted(self) -> List[WebhookCall]:
        return [call for call in self.calls if call.accepted]

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        expected = "sha256=" + hmac.new(self.secret.encode(), body, hashlib.sha256).hexdigest()
        signature_ok = hmac.compare_digest(expected, request.headers.get("X-Signature-256", ""))
        call = WebhookCall(request.headers.get("Idempotency-Key", ""), json.loads(body.decode("utf-8")), body,
                           signature_ok)
        self.calls.append(call)
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)
        if not signature_ok:
            return web.json_response({"error": "bad signature"}, status=401)
        if self.fail_status is not None:
            return web.json_response({"error": "unavailable"}, status=self.fail_status)
        call.accepted = True
        return web.json_response({"received": call.idempotency_key}, status=202)
