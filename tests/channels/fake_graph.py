"""A local WhatsApp Cloud API (Graph API ``/{version}/{phone-number-id}/messages``) for tests.

aiohttp on 127.0.0.1 with a random port, in its own thread (``tests.tickets.fakes.LocalServer``). It checks
the bearer token and WhatsApp's limits on every message (text <= 4096, reply buttons <= 3 with titles <= 20
and ids <= 256, list rows <= 10 with titles <= 24, descriptions <= 72, ids <= 200, list button <= 20),
records what it accepted, and can answer 429/500 a number of times first. Like every ``LocalServer`` it can
be taken down (connection refused) and brought back on the same port; ``hold_seconds`` delays every answer
(an overloaded Graph API: clients with a shorter timeout give up).
"""
from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Optional

from aiohttp import web

from tests.tickets.fakes import LocalServer

API_VERSION = "v21.0"


@dataclass
class GraphCall:
    """One POST to the messages endpoint."""

    phone_number_id: str
    authorization: str
    body: Any
    status: int = 0
    at: float = 0.0


def message_problems(message: Any) -> List[str]:
    """Why the Cloud API would refuse ``message`` (empty when it would accept it)."""
    if not isinstance(message, dict):
        return ["body is not a JSON object"]
    problems: List[str] = []
    if message.get("messaging_product") != "whatsapp":
        problems.append("messaging_product must be whatsapp")
    if not isinstance(message.get("to"), str) or not message["to"].isdigit():
        problems.append("to must be a phone number")
    kind = message.get("type")
    if kind == "text":
        body = (message.get("text") or {}).get("body")
        if not isinstance(body, str) or not body.strip() or len(body) > 4096:
            problems.append("text.body must have 1 to 4096 characters")
    elif kind == "image":
        if not (message.get("image") or {}).get("link"):
            problems.append("image.link missing")
    elif kind == "interactive":
        problems.extend(_interactive_problems(message.get("interactive")))
    elif kind == "template":
        problems.extend(_template_problems(message.get("template")))
    else:
        problems.append(f"unsupported type {kind!r}")
    return problems


def _template_problems(template: Any) -> List[str]:
    """A template message: an approved name, a language code, and body parameters of type text (no new lines,
    tabs or more than 4 consecutive spaces, as the Cloud API requires)."""
    if not isinstance(template, dict) or not isinstance(template.get("name"), str) or not template["name"]:
        return ["template.name missing"]
    problems: List[str] = []
    if not isinstance((template.get("language") or {}).get("code"), str):
        problems.append("template.language.code missing")
    for component in template.get("components") or []:
        for parameter in component.get("parameters") or []:
            text = parameter.get("text") if parameter.get("type") == "text" else None
            if not isinstance(text, str) or not text.strip() or "\n" in text or "\t" in text or "     " in text:
                problems.append("template parameter text must be non-empty, without new lines, tabs or 5 spaces")
    return problems


def _interactive_problems(interactive: Any) -> List[str]:
    if not isinstance(interactive, dict):
        return ["interactive must be an object"]
    problems: List[str] = []
    body = (interactive.get("body") or {}).get("text")
    action = interactive.get("action") or {}
    if interactive.get("type") == "button":
        if not isinstance(body, str) or not body.strip() or len(body) > 1024:
            problems.append("body.text must have 1 to 1024 characters")
        buttons = action.get("buttons") or []
        if not 1 <= len(buttons) <= 3:
            problems.append("1 to 3 buttons")
        replies = [b.get("reply") or {} for b in buttons]
        problems.extend(_options_problems(replies, title_limit=20, id_limit=256))
    elif interactive.get("type") == "list":
        if not isinstance(body, str) or not body.strip() or len(body) > 4096:
            problems.append("body.text must have 1 to 4096 characters")
        label = action.get("button")
        if not isinstance(label, str) or not label.strip() or len(label) > 20:
            problems.append("action.button must have 1 to 20 characters")
        sections = action.get("sections") or []
        rows = [row for section in sections for row in (section.get("rows") or [])]
        if not sections or len(sections) > 10 or not 1 <= len(rows) <= 10:
            problems.append("1 to 10 sections with 1 to 10 rows in all")
        if any(len(s.get("title") or "") > 24 for s in sections):
            problems.append("section title over 24 characters")
        if any(len(row.get("description") or "") > 72 for row in rows):
            problems.append("row description over 72 characters")
        problems.extend(_options_problems(rows, title_limit=24, id_limit=200))
    else:
        problems.append(f"unsupported interactive type {interactive.get('type')!r}")
    return problems


def _options_problems(options: List[Dict[str, Any]], title_limit: int, id_limit: int) -> List[str]:
    problems: List[str] = []
    titles = [o.get("title") for o in options]
    ids = [o.get("id") for o in options]
    if any(not isinstance(t, str) or not t.strip() or len(t) > title_limit for t in titles):
        problems.append(f"titles must have 1 to {title_limit} characters")
    if any(not isinstance(i, str) or not i or len(i) > id_limit or i != i.strip() for i in ids):
        problems.append(f"ids must have 1 to {id_limit} characters, no surrounding spaces")
    if len(set(map(str, titles))) != len(titles) or len(set(map(str, ids))) != len(ids):
        problems.append("titles and ids must be unique")
    return problems


class FakeGraph(LocalServer):
    """The messages endpoint of one WhatsApp business phone number."""

    def __init__(self, access_token: str = "EAAtest-access-token", phone_number_id: str = "109876543210") -> None:
        self.access_token = access_token
        self.phone_number_id = phone_number_id
        self.calls: List[GraphCall] = []
        self._failures: List[tuple] = []   # (status, retry_after) answered before accepting again
        self.hold_seconds = 0.0            # wait this long before answering
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        app = web.Application()
        app.router.add_post("/{version}/{phone_number_id}/messages", self._handle)
        super().__init__(app)

    @property
    def api_base_url(self) -> str:
        """What ``WHATSAPP_API_BASE_URL`` should be."""
        return f"{self.base_url}/{API_VERSION}"

    def fail_next(self, status: int, times: int = 1, retry_after: Optional[str] = None) -> None:
        """Answer the next ``times`` requests with ``status`` (and a ``Retry-After`` header when given)."""
        with self._lock:
            self._failures.extend([(status, retry_after)] * times)

    def reset(self) -> None:
        """Forget recorded calls and pending failures."""
        with self._lock:
            self.calls.clear()
            self._failures.clear()

    @property
    def accepted(self) -> List[Dict[str, Any]]:
        """Every message body the fake accepted, in order."""
        return [call.body for call in list(self.calls) if call.status == 200]

    def messages_to(self, wa_id: str) -> List[Dict[str, Any]]:
        """Accepted messages for one customer."""
        return [m for m in self.accepted if m.get("to") == wa_id]

    def wait_for(self, wa_id: str, count: int = 1, timeout: float = 30.0, settle: float = 0.0) -> List[Dict[str, Any]]:
        """The accepted messages to ``wa_id`` once there are at least ``count`` (waiting ``settle`` seconds
        more for stragglers); whatever arrived when ``timeout`` runs out."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.messages_to(wa_id)) < count:
            time.sleep(0.1)
        if settle:
            time.sleep(settle)
        return self.messages_to(wa_id)

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        call = GraphCall(request.match_info["phone_number_id"], request.headers.get("Authorization", ""), None,
                         at=time.monotonic())
        try:
            call.body = json.loads(raw.decode("utf-8"))
        except ValueError:
            call.body = raw
        self.calls.append(call)
        if self.hold_seconds:
            await asyncio.sleep(self.hold_seconds)
        with self._lock:
            failure = self._failures.pop(0) if self._failures else None
        if call.authorization != f"Bearer {self.access_token}":
            return self._error(call, 401, 190, "Invalid OAuth access token")
        if call.phone_number_id != self.phone_number_id:
            return self._error(call, 400, 100, "Unsupported post request: unknown phone number id")
        if failure is not None:
            status, retry_after = failure
            headers = {"Retry-After": retry_after} if retry_after is not None else None
            code = 130429 if status == 429 else 131000
            return self._error(call, status, code, "Rate limit hit" if status == 429 else "Something went wrong",
                               headers)
        problems = message_problems(call.body)
        if problems:
            return self._error(call, 400, 100, "Invalid parameter: " + "; ".join(problems))
        call.status = 200
        return web.json_response({"messaging_product": "whatsapp",
                                  "contacts": [{"input": call.body["to"], "wa_id": call.body["to"]}],
                                  "messages": [{"id": f"wamid.fake{next(self._ids)}"}]})

    @staticmethod
    def _error(call: GraphCall, status: int, code: int, message: str,
               headers: Optional[Dict[str, str]] = None) -> web.Response:
        call.status = status
        body = {"error": {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "fake"}}
        return web.json_response(body, status=status, headers=headers)
