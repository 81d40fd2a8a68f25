"""A local Chatwoot (Application API + outgoing webhooks) for the Chatwoot desk (aiohttp on 127.0.0.1).

Runs in its own thread and event loop (``tests.tickets.fakes.LocalServer``), records every API call and
every webhook it produced, and keeps the state the calls created. It implements only what the desk uses,
shaped like Chatwoot's sources (paths relative to the Chatwoot repository):

* auth: header ``api_access_token`` (``app/controllers/concerns/access_token_auth_helper.rb``); a wrong or
  missing token answers 401 ``{"error": "Invalid Access Token"}``; unknown ids answer 404
  ``{"error": "Resource could not be found"}``; invalid bodies 422 ``{"error": ...}`` or, for model
  validations, ``{"message": ..., "attributes": [...]}`` (``app/controllers/concerns/request_exception_handler.rb``);
* ``POST /api/v1/accounts/{account_id}/contacts`` (``contacts_controller.rb#create``,
  ``contacts/create.json.jbuilder``);
* ``GET  .../contacts/search?q=&page=`` (``#search``: name/email/phone ILIKE, identifier LIKE, 15 per page);
* ``GET  .../contacts/{id}/conversations``, ``POST .../contacts/{id}/contact_inboxes``;
* ``POST .../conversations`` (``conversations_controller.rb#create``: ``source_id`` or ``inbox_id`` +
  ``contact_id``, optional first ``message``), response ``conversations/partials/_conversation.json.jbuilder``;
* ``POST .../conversations/{display_id}/messages`` (``messages_controller.rb#create`` / ``MessageBuilder``:
  ``message_type`` "outgoing" by default, "incoming" only in API inboxes; sender = token owner for outgoing,
  the contact for incoming), response ``messages/create.json.jbuilder`` (``message_type`` as an integer);
* ``POST .../conversations/{display_id}/toggle_status`` (``{"status": "resolved"}``).

Webhooks are built like ``app/listeners/webhook_listener.rb`` + ``Message#webhook_data`` /
``Conversation#webhook_data`` (``message_type`` as a string, message ``created_at`` ISO-8601, conversation
``id`` = display id) and signed like ``lib/webhooks/trigger.rb``: ``X-Chatwoot-Timestamp`` (Unix seconds),
``X-Chatwoot-Signature: sha256=HMAC_SHA256(secret, "<timestamp>.<raw body>")``, ``X-Chatwoot-Delivery`` (a
UUID per job). They are recorded in :attr:`FakeChatwoot.webhooks` and, when :attr:`webhook_url` is set,
POSTed there after the API call answered (Chatwoot sends them from a background job).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

import aiohttp
from aiohttp import web

from tests.tickets.fakes import LocalServer

MESSAGE_TYPES = {"incoming": 0, "outgoing": 1, "activity": 2, "template": 3}
STATUSES = ("open", "resolved", "pending", "snoozed")
RESULTS_PER_PAGE = 15
NOT_FOUND = {"error": "Resource could not be found"}


@dataclass
class ApiCall:
    """One Application API request."""

    method: str
    path: str
    query: Dict[str, str]
    body: Any
    token: Optional[str]
    status: int = 0


@dataclass
class WebhookDelivery:
    """One webhook Chatwoot produced: the exact bytes and headers, and how the receiver answered."""

    event: str
    payload: Dict[str, Any]
    body: bytes
    headers: Dict[str, str]
    status: Optional[int] = None  # the receiver's HTTP status (None: not sent, or no answer)
    response: Any = None

    @property
    def delivery_id(self) -> str:
        return self.headers.get("X-Chatwoot-Delivery", "")


@dataclass
class _State:
    contacts: Dict[int, Dict[str, Any]] = field(default_factory=dict)
    conversations: Dict[int, Dict[str, Any]] = field(default_factory=dict)  # by display id
    messages: Dict[int, Dict[str, Any]] = field(default_factory=dict)


def ruby_json(payload: Any) -> bytes:
    """``payload.to_json`` as Rails writes it: compact, UTF-8, with ``<``, ``>`` and ``&`` escaped."""
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026").encode("utf-8")


def iso_ms(at: datetime) -> str:
    """A time as Rails renders it in JSON: ``2026-11-22T03:15:00.000Z``."""
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


class FakeChatwoot(LocalServer):
    """One account with one API-channel inbox; the token's owner is an agent user (the integration)."""

    def __init__(self, account_id: int = 3, inbox_id: int = 12, api_token: str = "cw-api-token-XYZ",
                 webhook_secret: str = "cw-inbox-secret", webhook_url: Optional[str] = None) -> None:
        self.account_id = account_id
        self.inbox_id = inbox_id
        self.api_token = api_token
        self.webhook_secret = webhook_secret  # the API channel's ``secret`` ("" = webhooks unsigned)
        self.webhook_url = webhook_url
        self.calls: List[ApiCall] = []
        self.webhooks: List[WebhookDelivery] = []
        self.fail_status: Optional[int] = None  # answer every API request with this status
        self.retry_after: Optional[int] = None  # ... and this Retry-After header
        self.users: Dict[int, Dict[str, Any]] = {
            1: {"id": 1, "name": "Integrasi Asisten", "email": "integrasi@kripto.example"}}
        self.token_owner = 1
        self._state = _State()
        self._ids = {kind: itertools.count(start) for kind, start in
                     (("contact", 501), ("conversation", 41), ("message", 9001), ("contact_inbox", 77))}
        self._tasks: set = set()
        self._faults: List[Dict[str, Any]] = []
        app = web.Application(middlewares=[self._lost_answers])
        prefix = "/api/v1/accounts/{account_id}"
        app.router.add_post(prefix + "/contacts", self._create_contact)
        app.router.add_get(prefix + "/contacts/search", self._search_contacts)
        app.router.add_get(prefix + "/contacts/{contact_id}/conversations", self._contact_conversations)
        app.router.add_post(prefix + "/contacts/{contact_id}/contact_inboxes", self._create_contact_inbox)
        app.router.add_post(prefix + "/conversations", self._create_conversation)
        app.router.add_post(prefix + "/conversations/{conversation_id}/messages", self._create_message)
        app.router.add_post(prefix + "/conversations/{conversation_id}/toggle_status", self._toggle_status)
        super().__init__(app)

    # ------------------------------------------------------------ what tests read

    @property
    def contacts(self) -> List[Dict[str, Any]]:
        return list(self._state.contacts.values())

    @property
    def conversations(self) -> List[Dict[str, Any]]:
        return list(self._state.conversations.values())

    def messages(self, conversation_id: int) -> List[Dict[str, Any]]:
        """Messages of a conversation (by display id), oldest first."""
        return [m for m in self._state.messages.values() if m["conversation_id"] == conversation_id]

    def conversation(self, conversation_id: int) -> Dict[str, Any]:
        return self._state.conversations[conversation_id]

    def api_calls(self, method: str, path_suffix: str = "") -> List[ApiCall]:
        """Calls with this method whose path ends with ``path_suffix``."""
        return [call for call in self.calls if call.method == method and call.path.endswith(path_suffix)]

    def events(self, name: str) -> List[WebhookDelivery]:
        return [delivery for delivery in self.webhooks if delivery.event == name]

    def sign(self, body: bytes, timestamp: str, secret: Optional[str] = None) -> str:
        """``X-Chatwoot-Signature`` for ``body`` sent at ``timestamp``."""
        key = (self.webhook_secret if secret is None else secret).encode("utf-8")
        return "sha256=" + hmac.new(key, timestamp.encode("utf-8") + b"." + body, hashlib.sha256).hexdigest()

    def fail_path(self, method: str, path_suffix: str, status: int = 503, times: int = 1,
                  after_effect: bool = False) -> None:
        """Answer the next ``times`` matching calls with ``status``: before doing anything, or (``after_effect``)
        after the change was made, like an answer lost on the way back."""
        self._faults.append({"method": method, "suffix": path_suffix, "status": status, "times": times,
                             "after": after_effect})

    def _take_fault(self, request: web.Request, after: bool) -> Optional[int]:
        for fault in self._faults:
            if (fault["after"] == after and fault["times"] > 0 and fault["method"] == request.method
                    and request.path.endswith(fault["suffix"])):
                fault["times"] -= 1
                return fault["status"]
        return None

    @web.middleware
    async def _lost_answers(self, request: web.Request, handler: Any) -> web.StreamResponse:
        response = await handler(request)
        status = self._take_fault(request, after=True) if response.status < 400 else None
        if status is None:
            return response
        if self.calls:
            self.calls[-1].status = status
        return web.json_response({"error": "Bad Gateway"}, status=status)

    # ------------------------------------------------------------ what agents do in the Chatwoot UI

    def add_agent(self, agent_id: int, name: str) -> Dict[str, Any]:
        """An agent user of the account."""
        user = self.users.setdefault(agent_id, {"id": agent_id, "name": name,
                                                "email": f"agent{agent_id}@kripto.example"})
        return user

    def agent_reply(self, conversation_id: int, text: str, agent_name: str = "Rina", agent_id: int = 7,
                    private: bool = False) -> WebhookDelivery:
        """An agent answers in the conversation (a private note when ``private``); returns the webhook."""
        return self._call(self._agent_reply(conversation_id, text, agent_name, agent_id, private))

    def assign(self, conversation_id: int, agent_id: int = 7, agent_name: str = "Rina") -> WebhookDelivery:
        """An agent is assigned (``conversation_updated`` with ``assignee_id`` changed)."""
        return self._call(self._assign(conversation_id, agent_id, agent_name))

    def resolve(self, conversation_id: int) -> WebhookDelivery:
        """An agent clicks "Resolve": returns the ``conversation_status_changed`` webhook."""
        deliveries = self._call(self._set_status(conversation_id, "resolved"))
        if not deliveries:
            raise ValueError(f"conversation {conversation_id} is resolved already")
        return deliveries[0]

    def redeliver(self, delivery: WebhookDelivery, resign: bool = True) -> WebhookDelivery:
        """Send the same webhook again: a job retry keeps body and delivery id and signs anew (``resign``),
        or an exact replay of the bytes and headers (``resign=False``)."""
        return self._call(self._redeliver(delivery, resign))

    def settle(self, timeout: float = 10.0) -> None:
        """Wait until every webhook produced so far was delivered to :attr:`webhook_url`."""
        self._call(asyncio.wait_for(self._drain(), timeout))

    async def _drain(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    async def _agent_reply(self, conversation_id: int, text: str, agent_name: str, agent_id: int,
                           private: bool) -> WebhookDelivery:
        user = self.add_agent(agent_id, agent_name)
        message = self._add_message(self._state.conversations[conversation_id], text, "outgoing", private,
                                    sender=("user", user["id"]))
        return await self._emit("message_created", self._message_webhook(message), wait=True)

    async def _assign(self, conversation_id: int, agent_id: int, agent_name: str) -> WebhookDelivery:
        conversation = self._state.conversations[conversation_id]
        previous = conversation["assignee_id"]
        conversation["assignee_id"] = self.add_agent(agent_id, agent_name)["id"]
        payload = {**self._conversation_webhook(conversation),
                   "changed_attributes": [{"assignee_id": {"previous_value": previous,
                                                           "current_value": conversation["assignee_id"]}}]}
        return await self._emit("conversation_updated", payload, wait=True)

    async def _set_status(self, conversation_id: int, status: str, wait: bool = True) -> List[WebhookDelivery]:
        conversation = self._state.conversations[conversation_id]
        previous = conversation["status"]
        if previous == status:
            return []
        conversation["status"] = status
        changed = [{"status": {"previous_value": previous, "current_value": status}}]
        # Conversation#notify_status_change, then notify_conversation_updation (status is in list_of_keys)
        return [await self._emit(event, {**self._conversation_webhook(conversation), "changed_attributes": changed},
                                 wait=wait)
                for event in ("conversation_status_changed", "conversation_updated")]

    async def _redeliver(self, delivery: WebhookDelivery, resign: bool) -> WebhookDelivery:
        headers = dict(delivery.headers)
        if resign and self.webhook_secret:
            headers.update(self._signature_headers(delivery.body))
        again = WebhookDelivery(delivery.event, delivery.payload, delivery.body, headers)
        self.webhooks.append(again)
        await self._post(again)
        return again

    # ------------------------------------------------------------ webhooks

    def _signature_headers(self, body: bytes) -> Dict[str, str]:
        timestamp = str(int(time.time()))
        return {"X-Chatwoot-Timestamp": timestamp, "X-Chatwoot-Signature": self.sign(body, timestamp)}

    async def _emit(self, event: str, payload: Dict[str, Any], wait: bool = False) -> WebhookDelivery:
        """Record (and send) a webhook; ``wait``: deliver before returning, else in the background."""
        payload = {**payload, "event": event}
        body = ruby_json(payload)
        headers = {"Content-Type": "application/json", "Accept": "application/json",
                   "X-Chatwoot-Delivery": str(uuid.uuid4())}
        if self.webhook_secret:
            headers.update(self._signature_headers(body))
        delivery = WebhookDelivery(event, payload, body, headers)
        self.webhooks.append(delivery)
        if wait:
            await self._post(delivery)
        else:
            task = asyncio.get_running_loop().create_task(self._post(delivery))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return delivery

    async def _post(self, delivery: WebhookDelivery) -> None:
        if not self.webhook_url:
            return
        try:
            async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as session:
                async with session.post(self.webhook_url, data=delivery.body, headers=delivery.headers) as answer:
                    delivery.status = answer.status
                    text = await answer.text()
                    delivery.response = json.loads(text) if text else None
        except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as error:
            delivery.response = f"{type(error).__name__}: {error}"

    # ------------------------------------------------------------ serialisers (jbuilder / webhook_data)

    def _inbox(self) -> Dict[str, Any]:
        return {"id": self.inbox_id, "name": "Asisten Kripto (API)", "channel_type": "Channel::Api"}

    def _contact_inboxes(self, contact: Dict[str, Any]) -> List[Dict[str, Any]]:
        return [{"source_id": source_id, "inbox": self._inbox()} for source_id in contact["source_ids"]]

    def _contact_view(self, contact: Dict[str, Any]) -> Dict[str, Any]:
        """``api/v1/models/_contact.json.jbuilder`` with contact inboxes."""
        return {"additional_attributes": contact["additional_attributes"], "availability_status": "offline",
                "email": contact["email"], "id": contact["id"], "name": contact["name"],
                "phone_number": contact["phone_number"], "identifier": contact["identifier"], "blocked": False,
                "thumbnail": "", "custom_attributes": contact["custom_attributes"], "last_activity_at": None,
                "created_at": contact["created_at"], "contact_inboxes": self._contact_inboxes(contact)}

    def _contact_push(self, contact: Dict[str, Any]) -> Dict[str, Any]:
        return {"additional_attributes": contact["additional_attributes"],
                "custom_attributes": contact["custom_attributes"], "email": contact["email"], "id": contact["id"],
                "identifier": contact["identifier"], "name": contact["name"],
                "phone_number": contact["phone_number"], "thumbnail": "", "blocked": False, "type": "contact"}

    def _user_push(self, user: Dict[str, Any]) -> Dict[str, Any]:
        return {"id": user["id"], "name": user["name"], "available_name": user["name"], "avatar_url": "",
                "type": "user", "availability_status": "online", "thumbnail": ""}

    def _sender_push(self, sender: Optional[Tuple[str, int]]) -> Optional[Dict[str, Any]]:
        if sender is None:
            return None
        kind, sender_id = sender
        return self._contact_push(self._state.contacts[sender_id]) if kind == "contact" \
            else self._user_push(self.users[sender_id])

    def _sender_webhook(self, sender: Optional[Tuple[str, int]]) -> Optional[Dict[str, Any]]:
        """``sender.try(:webhook_data)``: User -> id, name, email, type "user"; Contact -> contact data."""
        if sender is None:
            return None
        kind, sender_id = sender
        if kind == "user":
            user = self.users[sender_id]
            return {"id": user["id"], "name": user["name"], "email": user["email"], "type": "user"}
        contact = self._state.contacts[sender_id]
        return {"account": self._account(), "additional_attributes": contact["additional_attributes"],
                "avatar": "", "custom_attributes": contact["custom_attributes"], "email": contact["email"],
                "id": contact["id"], "identifier": contact["identifier"], "name": contact["name"],
                "phone_number": contact["phone_number"], "thumbnail": "", "blocked": False, "type": "contact"}

    def _account(self) -> Dict[str, Any]:
        return {"id": self.account_id, "name": "Kripto CS"}

    def _message_push(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """``Message#push_event_data`` (integer type, Unix time)."""
        return {"id": message["id"], "content": message["content"], "account_id": self.account_id,
                "inbox_id": self.inbox_id, "conversation_id": message["conversation_id"],
                "message_type": MESSAGE_TYPES[message["message_type"]], "created_at": int(message["at"].timestamp()),
                "private": message["private"], "content_type": "text", "content_attributes": {},
                "source_id": None, "sender": self._sender_push(message["sender"])}

    def _message_view(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """``conversations/messages/create.json.jbuilder``."""
        return {"id": message["id"], "content": message["content"], "inbox_id": self.inbox_id, "echo_id": None,
                "conversation_id": message["conversation_id"],
                "message_type": MESSAGE_TYPES[message["message_type"]], "content_type": "text",
                "content_attributes": {}, "created_at": int(message["at"].timestamp()),
                "private": message["private"], "sender": self._sender_push(message["sender"])}

    def _message_webhook(self, message: Dict[str, Any]) -> Dict[str, Any]:
        """``Message#webhook_data`` (string type, ISO time, the conversation's webhook data)."""
        conversation = self._state.conversations[message["conversation_id"]]
        return {"account": self._account(), "additional_attributes": {}, "content_attributes": {},
                "content_type": "text", "content": message["content"],
                "conversation": self._conversation_webhook(conversation), "created_at": iso_ms(message["at"]),
                "id": message["id"], "inbox": {"id": self.inbox_id, "name": self._inbox()["name"]},
                "message_type": message["message_type"], "private": message["private"],
                "sender": self._sender_webhook(message["sender"]), "source_id": None}

    def _last_message(self, conversation: Dict[str, Any]) -> List[Dict[str, Any]]:
        chat = [m for m in self.messages(conversation["id"]) if not m["private"]]
        return [self._message_push(chat[-1])] if chat else []

    def _assignee_push(self, conversation: Dict[str, Any]) -> Optional[Dict[str, Any]]:
        assignee = conversation["assignee_id"]
        return self._user_push(self.users[assignee]) if assignee else None

    def _conversation_webhook(self, conversation: Dict[str, Any]) -> Dict[str, Any]:
        """``Conversations::EventDataPresenter#push_data`` (what ``Conversation#webhook_data`` sends)."""
        contact = self._state.contacts[conversation["contact_id"]]
        created = int(conversation["created_at"])
        return {"additional_attributes": conversation["additional_attributes"], "can_reply": True,
                "channel": "Channel::Api",
                "contact_inbox": {"source_id": conversation["source_id"], "inbox_id": self.inbox_id},
                "id": conversation["id"], "inbox_id": self.inbox_id, "messages": self._last_message(conversation),
                "labels": [], "meta": {"sender": self._contact_push(contact),
                                       "assignee": self._assignee_push(conversation),
                                       "assignee_type": "User" if conversation["assignee_id"] else None,
                                       "team": None, "hmac_verified": False},
                "status": conversation["status"], "custom_attributes": conversation["custom_attributes"],
                "snoozed_until": None, "unread_count": 0, "first_reply_created_at": None, "priority": None,
                "waiting_since": created, "agent_last_seen_at": 0, "contact_last_seen_at": 0,
                "last_activity_at": created, "timestamp": created, "created_at": created,
                "updated_at": float(created)}

    def _conversation_view(self, conversation: Dict[str, Any]) -> Dict[str, Any]:
        """``api/v1/conversations/partials/_conversation.json.jbuilder``."""
        contact = self._state.contacts[conversation["contact_id"]]
        meta: Dict[str, Any] = {"sender": self._contact_view(contact), "channel": "Channel::Api",
                                "hmac_verified": False}
        if conversation["assignee_id"]:
            meta["assignee"] = self._assignee_push(conversation)
        created = int(conversation["created_at"])
        return {"meta": meta, "id": conversation["id"], "messages": self._last_message(conversation),
                "account_id": self.account_id, "uuid": conversation["uuid"],
                "additional_attributes": conversation["additional_attributes"], "agent_last_seen_at": 0,
                "assignee_last_seen_at": 0, "can_reply": True, "contact_last_seen_at": 0,
                "custom_attributes": conversation["custom_attributes"], "inbox_id": self.inbox_id, "labels": [],
                "muted": False, "snoozed_until": None, "status": conversation["status"], "created_at": created,
                "timestamp": created, "first_reply_created_at": 0, "unread_count": 0,
                "last_activity_at": created, "priority": None, "waiting_since": created, "sla_policy_id": None}

    # ------------------------------------------------------------ state changes

    def _add_message(self, conversation: Dict[str, Any], content: str, message_type: str, private: bool,
                     sender: Optional[Tuple[str, int]]) -> Dict[str, Any]:
        message = {"id": next(self._ids["message"]), "conversation_id": conversation["id"], "content": content,
                   "message_type": message_type, "private": private, "sender": sender,
                   "at": datetime.now(timezone.utc)}
        self._state.messages[message["id"]] = message
        return message

    def _new_source_id(self, contact: Dict[str, Any]) -> str:
        source_id = str(uuid.uuid4())
        contact["source_ids"].append(source_id)
        return source_id

    # ------------------------------------------------------------ request plumbing

    async def _guard(self, request: web.Request) -> Tuple[Optional[web.Response], Any]:
        """Record the call; the error response to give (failure switch, auth, account), and the JSON body."""
        raw = await request.read()
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        call = ApiCall(request.method, request.path, dict(request.query), body,
                       request.headers.get("api_access_token"))
        self.calls.append(call)
        response = self._refusal(request, body)
        call.status = response.status if response is not None else 200
        return response, body

    def _refusal(self, request: web.Request, body: Any) -> Optional[web.Response]:
        fault = self._take_fault(request, after=False)
        if fault is not None:
            return web.json_response({"error": "Service Unavailable"}, status=fault)
        if self.fail_status is not None:
            headers = {"Retry-After": str(self.retry_after)} if self.retry_after is not None else None
            return web.json_response({"error": "Service Unavailable"}, status=self.fail_status, headers=headers)
        if request.headers.get("api_access_token") != self.api_token:
            return web.json_response({"error": "Invalid Access Token"}, status=401)
        if request.match_info["account_id"] != str(self.account_id):
            return web.json_response({"error": "You are not authorized to access this account"}, status=401)
        if body is None:
            return web.json_response({"error": "There was a problem in the JSON you submitted"}, status=400)
        return None

    def _find_conversation(self, request: web.Request) -> Optional[Dict[str, Any]]:
        try:
            return self._state.conversations.get(int(request.match_info["conversation_id"]))
        except ValueError:
            return None

    def _find_contact(self, request: web.Request) -> Optional[Dict[str, Any]]:
        try:
            return self._state.contacts.get(int(request.match_info["contact_id"]))
        except ValueError:
            return None

    # ------------------------------------------------------------ endpoints

    async def _create_contact(self, request: web.Request) -> web.Response:
        refusal, body = await self._guard(request)
        if refusal is not None:
            return refusal
        identifier = body.get("identifier") or None
        if identifier and any(c["identifier"] == identifier for c in self._state.contacts.values()):
            return web.json_response({"message": "Identifier has already been taken", "attributes": ["identifier"]},
                                     status=422)
        inbox_id = body.get("inbox_id")
        if inbox_id not in (None, "") and str(inbox_id) != str(self.inbox_id):
            return web.json_response(NOT_FOUND, status=404)
        contact = {"id": next(self._ids["contact"]), "name": body.get("name") or "", "identifier": identifier,
                   "email": body.get("email"), "phone_number": body.get("phone_number"),
                   "additional_attributes": body.get("additional_attributes") or {},
                   "custom_attributes": body.get("custom_attributes") or {}, "source_ids": [],
                   "created_at": int(time.time())}
        self._state.contacts[contact["id"]] = contact
        source_id = self._new_source_id(contact) if inbox_id not in (None, "") else None
        return web.json_response({"payload": {
            "contact": self._contact_view(contact),
            "contact_inbox": {"inbox": self._inbox() if source_id else None, "source_id": source_id}}})

    async def _search_contacts(self, request: web.Request) -> web.Response:
        refusal, _ = await self._guard(request)
        if refusal is not None:
            return refusal
        query = request.query.get("q", "").strip()
        if not query:
            return web.json_response({"error": "Specify search string with parameter q"}, status=422)
        page = max(int(request.query.get("page", "1") or 1), 1)

        def matches(contact: Dict[str, Any]) -> bool:
            folded = [contact["name"], contact["email"], contact["phone_number"]]
            return (any(value and query.lower() in value.lower() for value in folded)
                    or bool(contact["identifier"] and query in contact["identifier"])  # LIKE: case-sensitive
                    or (query.isdigit() and contact["id"] == int(query)))

        found = sorted((c for c in self._state.contacts.values() if matches(c)), key=lambda c: c["id"])
        start = (page - 1) * RESULTS_PER_PAGE
        shown = found[start:start + RESULTS_PER_PAGE]
        return web.json_response({"meta": {"count": len(shown), "current_page": page,
                                           "has_more": len(found) > start + RESULTS_PER_PAGE},
                                  "payload": [self._contact_view(contact) for contact in shown]})

    async def _contact_conversations(self, request: web.Request) -> web.Response:
        refusal, _ = await self._guard(request)
        if refusal is not None:
            return refusal
        contact = self._find_contact(request)
        if contact is None:
            return web.json_response(NOT_FOUND, status=404)
        mine = [c for c in self._state.conversations.values() if c["contact_id"] == contact["id"]]
        return web.json_response({"payload": [self._conversation_view(c) for c in mine]})

    async def _create_contact_inbox(self, request: web.Request) -> web.Response:
        refusal, body = await self._guard(request)
        if refusal is not None:
            return refusal
        contact = self._find_contact(request)
        if contact is None or str(body.get("inbox_id")) != str(self.inbox_id):
            return web.json_response(NOT_FOUND, status=404)
        source_id = body.get("source_id") or self._new_source_id(contact)
        if source_id not in contact["source_ids"]:
            contact["source_ids"].append(source_id)
        return web.json_response({"source_id": source_id, "inbox": self._inbox()})

    def _contact_inbox_of(self, body: Dict[str, Any]) -> Optional[Tuple[Dict[str, Any], str]]:
        """(contact, source_id) the conversation is for: by ``source_id``, or by ``inbox_id`` + ``contact_id``."""
        if body.get("inbox_id") not in (None, "") and body.get("contact_id") not in (None, ""):
            if str(body["inbox_id"]) != str(self.inbox_id):
                return None
            contact = self._state.contacts.get(int(body["contact_id"]))
            if contact is None:
                return None
            source_id = body.get("source_id") or (contact["source_ids"] or [None])[0]
            return contact, source_id or self._new_source_id(contact)
        for contact in self._state.contacts.values():
            if body.get("source_id") and body["source_id"] in contact["source_ids"]:
                return contact, body["source_id"]
        return None  # ContactInbox.find_by!(source_id: ...) -> RecordNotFound

    async def _create_conversation(self, request: web.Request) -> web.Response:
        refusal, body = await self._guard(request)
        if refusal is not None:
            return refusal
        found = self._contact_inbox_of(body)
        if found is None:
            return web.json_response(NOT_FOUND, status=404)
        contact, source_id = found
        first = body.get("message") or {}
        if first and first.get("message_type", "outgoing") not in MESSAGE_TYPES:
            return web.json_response({"error": f"'{first['message_type']}' is not a valid message_type"},
                                     status=422)
        status = body.get("status") or "open"
        if status not in STATUSES:
            return web.json_response({"error": f"'{status}' is not a valid status"}, status=422)
        conversation = {"id": next(self._ids["conversation"]), "contact_id": contact["id"], "source_id": source_id,
                        "status": status, "assignee_id": body.get("assignee_id"), "uuid": str(uuid.uuid4()),
                        "custom_attributes": body.get("custom_attributes") or {},
                        "additional_attributes": body.get("additional_attributes") or {},
                        "created_at": time.time()}
        self._state.conversations[conversation["id"]] = conversation
        await self._emit("conversation_created", self._conversation_webhook(conversation))
        if first:
            message = self._message_of(conversation, first, contact)
            await self._emit("message_created", self._message_webhook(message))
        return web.json_response(self._conversation_view(conversation))

    def _message_of(self, conversation: Dict[str, Any], params: Dict[str, Any],
                    contact: Dict[str, Any]) -> Dict[str, Any]:
        """``Messages::MessageBuilder``: outgoing from the token's user, incoming from the contact."""
        message_type = params.get("message_type") or "outgoing"
        sender = ("contact", contact["id"]) if message_type == "incoming" else ("user", self.token_owner)
        return self._add_message(conversation, params.get("content") or "", message_type,
                                 bool(params.get("private", False)), sender)

    async def _create_message(self, request: web.Request) -> web.Response:
        refusal, body = await self._guard(request)
        if refusal is not None:
            return refusal
        conversation = self._find_conversation(request)
        if conversation is None:
            return web.json_response(NOT_FOUND, status=404)
        message_type = body.get("message_type") or "outgoing"
        if message_type not in MESSAGE_TYPES:
            return web.json_response({"error": f"'{message_type}' is not a valid message_type"}, status=422)
        if not (body.get("content") or "").strip():
            return web.json_response({"error": "Validation failed: Content can't be blank"}, status=422)
        message = self._message_of(conversation, body, self._state.contacts[conversation["contact_id"]])
        await self._emit("message_created", self._message_webhook(message))
        if message_type == "incoming" and conversation["status"] == "resolved":  # Message#reopen_conversation
            await self._set_status(conversation["id"], "open", wait=False)
        return web.json_response(self._message_view(message))

    async def _toggle_status(self, request: web.Request) -> web.Response:
        refusal, body = await self._guard(request)
        if refusal is not None:
            return refusal
        conversation = self._find_conversation(request)
        if conversation is None:
            return web.json_response(NOT_FOUND, status=404)
        status = body.get("status") or ("resolved" if conversation["status"] == "open" else "open")
        if status not in STATUSES:
            return web.json_response({"error": f"'{status}' is not a valid status"}, status=422)
        await self._set_status(conversation["id"], status, wait=False)
        return web.json_response({"meta": {}, "payload": {"success": True, "conversation_id": conversation["id"],
                                                          "current_status": status, "snoozed_until": None}})
