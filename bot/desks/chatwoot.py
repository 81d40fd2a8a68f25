"""Chatwoot as an agent desk: tickets become conversations in an API-channel inbox, agents answer there.

Setup in Chatwoot (self-hosted or cloud):

1. Create an inbox of type **API** (Settings → Inboxes → Add → API). Its *Webhook URL* is
   ``https://<bot host>/webhooks/desks/<desk name>``; Chatwoot shows the inbox's **secret** in the inbox
   settings: that is ``webhook_secret``. (An account webhook under Settings → Integrations → Webhooks works
   too — subscribe to ``message_created``, ``conversation_status_changed`` and ``conversation_updated`` —
   and is signed the same way with its own secret.) The desk needs ``account_id`` and ``inbox_id`` (both
   visible in the inbox URL) and the **access token of an agent user** (Profile settings → Access token);
   an agent-bot token cannot create contacts.
2. Agents work in Chatwoot as usual: a reply (not a private note) goes to the customer on the channel they
   used, assigning the conversation claims the ticket, and *Resolve* closes it (the customer gets the CSAT
   survey and the assistant takes over again).

API calls (Chatwoot Application API, header ``api_access_token``; ids are integers, a conversation is
addressed by its ``display_id``, which is also the ``id`` in every payload):

* ``GET  /api/v1/accounts/{account}/contacts/search?q=<identifier>&page=n`` — reuse the customer's contact
  (exact ``identifier`` match; Chatwoot matches substrings, 15 per page);
* ``POST /api/v1/accounts/{account}/contacts`` ``{inbox_id, name, identifier}`` — no e-mail or phone
  number is ever sent; identifiers that are phone numbers or e-mail addresses (WhatsApp senders) are
  replaced by a keyed pseudonym and the shown name is masked;
* ``POST .../contacts/{id}/contact_inboxes`` ``{inbox_id}`` — when the contact has no ``source_id`` there;
* ``GET  .../contacts/{id}/conversations`` — finds a conversation opened before a lost response
  (``custom_attributes.ticket_id``), so a retried announcement never opens a second one;
* ``POST .../conversations`` ``{source_id, inbox_id, contact_id, custom_attributes, message: {content,
  message_type: "incoming"}}`` — the ticket summary as the customer's first message;
* ``POST .../conversations/{id}/messages`` ``{content, message_type, private}`` — the ticket details and the
  assistant's notes as private notes, the customer's words as ``incoming`` messages;
* ``POST .../conversations/{id}/toggle_status`` ``{status: "resolved"}`` — when the ticket ends elsewhere.

Webhooks (``lib/webhooks/trigger.rb``): Chatwoot signs every delivery when the inbox/webhook has a secret:
``X-Chatwoot-Timestamp: <unix seconds>`` and ``X-Chatwoot-Signature: sha256=<hex HMAC-SHA256(secret,
"<timestamp>.<raw body>")>`` (plus ``X-Chatwoot-Delivery``, a UUID). With ``webhook_secret`` set, a missing,
wrong or stale (more than ``max_skew`` seconds) signature is refused with 401. Leave it empty only for old
Chatwoot versions that do not sign (then restrict the endpoint by network). Events handled:

* ``message_created`` with ``message_type: "outgoing"``, ``private: false`` and a ``sender.type: "user"``
  → the agent's reply (deduplicated by message id, so a redelivered webhook is harmless);
* ``conversation_status_changed`` (and ``conversation_resolved``) with ``status: "resolved"`` → close;
* ``conversation_updated`` with ``assignee_id`` among ``changed_attributes`` (and ``assignee_changed``)
  → claim for ``meta.assignee``.

Everything else (incoming messages, private notes, bot or system messages, our own posts, conversations
that are not a ticket's) is answered 200 and ignored. When an agent's action cannot be applied (another
agent holds the ticket, it is closed already) the desk tells them in a private note.

Only Chatwoot users on the desk's allow-list (``agents``: user ids, ``CHATWOOT_AGENTS``) act on tickets: a
reply, assignment or resolve by anyone else (or a resolve whose agent is unknown: no holder, no assignee)
is answered 403 and logged. An empty list refuses everyone (logged as an error at start). Every
announcement (the ticket shown in Chatwoot), claim, reply, close and refusal is written to the audit log
(:mod:`bot.privacy.audit`).
"""
from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import re
import time
from collections import deque
from datetime import datetime, timezone
from typing import Any, Deque, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import httpx

from bot.handoff.model import ACTIVE_STATES, Agent, Handoff, ThreadMessage
from bot.handoff.service import CLOSED, DUPLICATE, EMPTY, TAKEN, HandoffService, Outcome
from bot.privacy import audit
from bot.retrying import retry_after_seconds
from bot.text_limits import clip
from bot.tickets.model import Ticket
from bot.tickets.notifiers import DeliveryError, Undeliverable
from bot.tickets.render import clean, detail_parts, other_flags, overview, secret_warning, transcript_parts
from nlu.personal_data import mask_personal_data

logger = logging.getLogger(__name__)

SIGNATURE_HEADER, TIMESTAMP_HEADER, DELIVERY_HEADER = "X-Chatwoot-Signature", "X-Chatwoot-Timestamp", \
    "X-Chatwoot-Delivery"
DEFAULT_MAX_SKEW = 300.0  # seconds a signed webhook may be old (Chatwoot signs each attempt anew)
SEARCH_PAGE_SIZE = 15  # Api::V1::Accounts::ContactsController::RESULTS_PER_PAGE
MAX_SEARCH_PAGES = 10
POSTED_MEMORY = 2000  # ids of messages this desk posted, kept to recognise their webhooks
NOTE_TRANSCRIPT_LINES = 30
CONVERSATION_REF, NOTE_REF = "conversation:", "note:"



# ---------------------------------------------------------------- pure helpers

def signature(secret: str, timestamp: str, body: bytes) -> str:
    """Chatwoot's ``X-Chatwoot-Signature`` for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode("utf-8"), timestamp.encode("utf-8") + b"." + body, hashlib.sha256)
    return "sha256=" + digest.hexdigest()


def header(headers: Any, name: str) -> str:
    """A request header by case-insensitive name ("" when absent), from a dict or a multidict."""
    if headers is None:
        return ""
    value = headers.get(name) if hasattr(headers, "get") else None
    if value is None:
        items = headers.items() if hasattr(headers, "items") else headers
        value = next((v for k, v in items if str(k).lower() == name.lower()), None)
    return str(value) if value is not None else ""


SENDER_PREFIX = re.compile(r"^([a-z]{2,8}-)(.+)$")   # "wa-6281234567890": channel prefix, then the channel's id


def mask_personal(text: str) -> str:
    """Personal data masked as everywhere else (:func:`nlu.personal_data.mask_personal_data`); a sender id
    keeps its channel prefix (``wa-62812****7890``)."""
    prefixed = SENDER_PREFIX.match(text)
    prefix, rest = (prefixed.group(1), prefixed.group(2)) if prefixed else ("", text)
    return prefix + mask_personal_data(rest)[0]


def is_personal(customer_id: str) -> bool:
    """Whether a sender id carries a phone number or an e-mail address (Telegram chat ids do not)."""
    if customer_id.startswith("tg-"):
        return False
    return mask_personal(customer_id) != customer_id


def contact_identity(ticket: Ticket, key: str) -> Tuple[str, str]:
    """(``identifier``, ``name``) of the customer's Chatwoot contact: the sender id itself, or a keyed
    pseudonym when it is a phone number / e-mail address; the name with personal data masked."""
    customer_id = ticket.customer_id
    identifier = customer_id
    if is_personal(customer_id):
        prefix = customer_id.split("-", 1)[0] + "-" if re.match(r"^[a-z]{2,8}-", customer_id) else ""
        digest = hmac.new(key.encode("utf-8"), customer_id.encode("utf-8"), hashlib.sha256).hexdigest()
        identifier = f"{prefix}p{digest[:24]}"
    return identifier, display_name(ticket)


def display_name(ticket: Ticket) -> str:
    """The customer's name (else their sender id) as Chatwoot shows it, personal data masked."""
    name = clean(ticket.customer_name or "").strip() or ticket.customer_id
    return clip(mask_personal(name), 120)


def summary_message(ticket: Ticket) -> str:
    """The conversation's first (incoming) message: the ticket's one-line summary."""
    return f"[{ticket.id}] {clean(ticket.summary)}"


def details_note(ticket: Ticket) -> str:
    """The private note with everything the agent needs (markdown; Chatwoot renders it)."""
    lines = [f"**Tiket {ticket.id}**"]
    warning = secret_warning(ticket)
    if warning:
        lines += ["", f"🚨 **{warning}**"]
    lines.append("")
    for key, label, value in overview(ticket):
        if key == "customer":
            value = display_name(ticket)
        lines.append(f"**{label}:** {value}")
    lines += ["", "**Rincian**"]
    for icon, label, value, status in map(detail_parts, ticket.details):
        lines.append(f"{icon} {label}: `{value}` ({status})")
    if not ticket.details:
        lines.append("(tidak ada)")
    articles = ", ".join(map(clean, ticket.kb_articles)) or "tidak ada"
    lines += ["", f"**Artikel KB yang sudah ditampilkan:** {articles}"]
    flags = other_flags(ticket)
    if flags:
        lines.append("**Tanda:** " + ", ".join(flags))
    transcript = list(ticket.transcript)[-NOTE_TRANSCRIPT_LINES:]
    if transcript:
        skipped = len(ticket.transcript) - len(transcript)
        lines += ["", f"**Percakapan dengan asisten** ({len(ticket.transcript)} pesan)"]
        if skipped:
            lines.append(f"… {skipped} pesan sebelumnya tidak ditampilkan")
        lines += [f"[{at}] {speaker}: {text}" for at, speaker, text in map(transcript_parts, transcript)]
    lines += ["", "Balas di percakapan ini untuk menjawab pelanggan; catatan pribadi tidak dikirim ke pelanggan. "
                  "Klik *Resolve* bila sudah selesai."]
    return "\n".join(lines)


def _as_int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class NotAnAgent(Exception):
    """A webhook's acting user is not on the desk's allow-list (answered 403)."""


class ChatwootApiError(DeliveryError):
    """A Chatwoot API call failed (``status`` 0: no answer)."""

    def __init__(self, message: str, status: int = 0, retry_after: Optional[float] = None) -> None:
        super().__init__(message, retry_after=retry_after)
        self.status = status


# ---------------------------------------------------------------- the desk

class ChatwootDesk:
    """A two-way agent desk on one Chatwoot API-channel inbox (see the module docstring)."""

    def __init__(self, name: str, base_url: str, account_id: int, inbox_id: int, api_token: str,
                 service: HandoffService, webhook_secret: str = "", timeout: float = 10.0,
                 max_skew: float = DEFAULT_MAX_SKEW, identity_key: str = "", agents: Sequence[str] = ()) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.account_id = int(account_id)
        self.inbox_id = int(inbox_id)
        self.service = service
        self._token = api_token
        self._webhook_secret = webhook_secret
        self._timeout = timeout
        self._max_skew = max_skew
        self._identity_key = identity_key or api_token  # rotating it gives returning customers new contacts
        self._clients: Dict[asyncio.AbstractEventLoop, httpx.AsyncClient] = {}
        self._posted: Deque[int] = deque(maxlen=POSTED_MEMORY)
        self._posted_set: Set[int] = set()
        self._tasks: Set[asyncio.Task] = set()
        self.last_error: Optional[str] = None
        self.last_ok_at: Optional[datetime] = None
        self.webhooks_handled = 0
        self.webhooks_refused = 0
        self.agents_refused = 0
        self._agents = frozenset(str(agent).strip() for agent in agents if str(agent).strip())
        self._audit = audit.AuditLog(service.store.database)
        if not self._agents:
            logger.error("desk %s: no agents on its allow-list (desks.yml 'agents', CHATWOOT_AGENTS): every agent "
                         "action from Chatwoot is refused", name)

    # ------------------------------------------------------------ lifecycle

    async def start(self) -> None:
        """Nothing runs in the background: Chatwoot pushes the agents' actions as webhooks."""
        if not self._webhook_secret:
            logger.warning("desk %s: webhook_secret is empty, Chatwoot webhooks are accepted unsigned", self.name)

    async def stop(self) -> None:
        """Finish pending notes to agents and close the HTTP clients."""
        current = asyncio.get_running_loop()
        mine = [task for task in self._tasks if task.get_loop() is current]
        if mine:
            await asyncio.wait(mine, timeout=self._timeout)
        clients, self._clients = self._clients, {}
        for loop, client in clients.items():
            if loop is current:
                await client.aclose()
            elif loop.is_running():
                asyncio.run_coroutine_threadsafe(client.aclose(), loop)

    def health(self) -> dict:
        """``ok`` until an API call fails; ``degraded`` (with the error) until one succeeds again."""
        status = "disabled" if not self._token else ("degraded" if self.last_error else "ok")
        return {"status": status, "desk": self.name, "account_id": self.account_id, "inbox_id": self.inbox_id,
                "webhooks_signed": bool(self._webhook_secret), "last_error": self.last_error,
                "last_ok_at": self.last_ok_at.isoformat() if self.last_ok_at else None,
                "webhooks_handled": self.webhooks_handled, "webhooks_refused": self.webhooks_refused,
                "agents_refused": self.agents_refused}

    # ------------------------------------------------------------ HTTP

    def _client(self) -> httpx.AsyncClient:
        """One client per event loop (the outbox workers and the web server may run different loops)."""
        loop = asyncio.get_running_loop()
        for gone in [old for old in self._clients if old.is_closed()]:  # e.g. ``asyncio.run`` per CLI pass
            del self._clients[gone]
        client = self._clients.get(loop)
        if client is None or client.is_closed:
            client = httpx.AsyncClient(base_url=f"{self.base_url}/api/v1/accounts/{self.account_id}",
                                       timeout=self._timeout, follow_redirects=False,
                                       headers={"api_access_token": self._token, "Accept": "application/json",
                                                "User-Agent": "kripto-cs-desk"})
            self._clients[loop] = client
        return client

    async def _api(self, method: str, path: str, body: Optional[dict] = None,
                   params: Optional[dict] = None) -> Any:
        """One API call; its JSON answer. Any failure raises :class:`ChatwootApiError`."""
        try:
            response = await self._client().request(method, path, json=body, params=params)
        except (httpx.HTTPError, httpx.InvalidURL) as error:   # unreachable, timed out, or a broken CHATWOOT_URL
            raise self._failed(f"Chatwoot {method} {path}: {type(error).__name__}: {error}") from None
        if not response.is_success:
            raise self._failed(f"Chatwoot {method} {path}: HTTP {response.status_code} {response.text[:200]}",
                               response.status_code, retry_after_seconds(response.headers.get("Retry-After")))
        try:
            answer = response.json()
        except ValueError:
            raise self._failed(f"Chatwoot {method} {path}: answer is not JSON", response.status_code) from None
        self.last_error, self.last_ok_at = None, datetime.now(timezone.utc)
        return answer

    def _failed(self, message: str, status: int = 0, retry_after: Optional[float] = None) -> ChatwootApiError:
        self.last_error = message
        return ChatwootApiError(message, status, retry_after)

    async def _post_message(self, conversation_id: int, content: str, incoming: bool = False) -> int:
        """Post into a conversation: ``incoming`` as the customer, else a private note. The message id."""
        body = {"content": content, "message_type": "incoming" if incoming else "outgoing",
                "private": not incoming}
        answer = await self._api("POST", f"/conversations/{conversation_id}/messages", body)
        message_id = _as_int(answer.get("id")) if isinstance(answer, dict) else None
        if message_id is None:
            raise self._failed(f"Chatwoot message answer without id: {str(answer)[:200]}")
        self._remember(message_id)
        return message_id

    def _remember(self, message_id: int) -> None:
        if len(self._posted) == self._posted.maxlen:
            self._posted_set.discard(self._posted[0])
        self._posted.append(message_id)
        self._posted_set.add(message_id)

    # ------------------------------------------------------------ links (desk ids of a ticket)

    async def _refs(self, ticket_id: str) -> List[str]:
        return await asyncio.to_thread(self.service.store.links, ticket_id, self.name)

    async def _link(self, ref: str, ticket_id: str) -> None:
        await asyncio.to_thread(self.service.store.link, self.name, ref, ticket_id, datetime.now(timezone.utc))

    async def conversation_of(self, ticket_id: str) -> Optional[int]:
        """The Chatwoot conversation (display id) of a ticket, if it was announced."""
        for ref in await self._refs(ticket_id):
            if ref.startswith(CONVERSATION_REF):
                return _as_int(ref[len(CONVERSATION_REF):])
        return None

    async def ticket_of(self, conversation_id: Any) -> Optional[str]:
        """The ticket a Chatwoot conversation belongs to."""
        number = _as_int(conversation_id)
        if number is None:
            return None
        return await asyncio.to_thread(self.service.store.ticket_for_link, self.name, f"{CONVERSATION_REF}{number}")

    # ------------------------------------------------------------ announcing a ticket

    async def send(self, ticket: Ticket, idempotency_key: str) -> None:
        """Open the ticket's conversation (contact reused, summary as the first incoming message) and post
        the details as a private note. A redelivered announcement only finishes what is missing."""
        conversation_id = await self.conversation_of(ticket.id)
        if conversation_id is None:
            conversation_id = await self._open_conversation(ticket)
        if not any(ref.startswith(NOTE_REF) for ref in await self._refs(ticket.id)):
            note_id = await self._post_message(conversation_id, details_note(ticket))
            await self._link(f"{NOTE_REF}{note_id}", ticket.id)
            await asyncio.to_thread(self._audit.record_quietly, audit.Actor(self.name, f"inbox:{self.inbox_id}",
                                                                            "Chatwoot"),
                                    audit.SHOW, audit.OK, ticket.id, ticket.customer_id,
                                    f"announced in Chatwoot conversation {conversation_id}")
        logger.info("ticket %s announced in Chatwoot conversation %s", ticket.id, conversation_id)

    async def _open_conversation(self, ticket: Ticket) -> int:
        contact_id, source_id = await self._contact(ticket)
        conversation = await self._find_conversation(contact_id, ticket.id)
        if conversation is None:
            conversation = await self._api("POST", "/conversations", {
                "source_id": source_id, "inbox_id": self.inbox_id, "contact_id": contact_id,
                "custom_attributes": {"ticket_id": ticket.id},
                "additional_attributes": {"ticket_id": ticket.id, "priority": ticket.priority,
                                          "category": ticket.category},
                "message": {"content": summary_message(ticket), "message_type": "incoming"}})
        conversation_id = _as_int(conversation.get("id")) if isinstance(conversation, dict) else None
        if conversation_id is None:
            raise self._failed(f"Chatwoot conversation answer without id: {str(conversation)[:200]}")
        owner = await self.ticket_of(conversation_id)
        if owner is not None and owner != ticket.id:  # the inbox is "locked to a single conversation"
            raise Undeliverable(f"Chatwoot gave conversation {conversation_id} of ticket {owner} for {ticket.id}; "
                                "turn off 'Lock to single conversation' for the API inbox")
        await self._link(f"{CONVERSATION_REF}{conversation_id}", ticket.id)
        return conversation_id

    async def _find_conversation(self, contact_id: int, ticket_id: str) -> Optional[dict]:
        """A conversation of the contact already opened for this ticket (an earlier answer got lost)."""
        answer = await self._api("GET", f"/contacts/{contact_id}/conversations")
        for conversation in _payload_list(answer):
            attributes = conversation.get("custom_attributes") or {}
            if attributes.get("ticket_id") == ticket_id and _as_int(conversation.get("inbox_id")) == self.inbox_id:
                return conversation
        return None

    async def _contact(self, ticket: Ticket) -> Tuple[int, str]:
        """(contact id, source id in our inbox) of the ticket's customer, created when new."""
        identifier, name = contact_identity(ticket, self._identity_key)
        contact = await self._search_contact(identifier)
        if contact is None:
            contact = await self._create_contact(identifier, name)
        contact_id = _as_int(contact.get("id"))
        if contact_id is None:
            raise self._failed(f"Chatwoot contact without id: {str(contact)[:200]}")
        source_id = self._source_id(contact) or await self._add_contact_inbox(contact_id)
        return contact_id, source_id

    async def _search_contact(self, identifier: str) -> Optional[dict]:
        for page in range(1, MAX_SEARCH_PAGES + 1):
            answer = await self._api("GET", "/contacts/search", params={"q": identifier, "page": page})
            contacts = _payload_list(answer)
            exact = next((c for c in contacts if c.get("identifier") == identifier), None)
            if exact is not None:
                return exact
            meta = answer.get("meta") if isinstance(answer, dict) else None
            has_more = meta.get("has_more") if isinstance(meta, dict) else None
            if not (has_more if has_more is not None else len(contacts) >= SEARCH_PAGE_SIZE):
                return None
        return None

    async def _create_contact(self, identifier: str, name: str) -> dict:
        body = {"inbox_id": self.inbox_id, "name": name, "identifier": identifier}
        try:
            answer = await self._api("POST", "/contacts", body)
        except ChatwootApiError as error:
            if error.status == 422:  # created meanwhile ("Identifier has already been taken")
                found = await self._search_contact(identifier)
                if found is not None:
                    return found
            raise
        payload = answer.get("payload", answer) if isinstance(answer, dict) else {}
        contact = dict(payload.get("contact") or payload)
        inbox_link = payload.get("contact_inbox") or {}
        if inbox_link.get("source_id"):
            contact.setdefault("contact_inboxes", []).append(
                {"source_id": inbox_link["source_id"], "inbox": {"id": self.inbox_id}})
        return contact

    def _source_id(self, contact: dict) -> Optional[str]:
        for link in contact.get("contact_inboxes") or []:
            inbox = link.get("inbox") or {}
            if _as_int(inbox.get("id")) == self.inbox_id and link.get("source_id"):
                return str(link["source_id"])
        return None

    async def _add_contact_inbox(self, contact_id: int) -> str:
        answer = await self._api("POST", f"/contacts/{contact_id}/contact_inboxes", {"inbox_id": self.inbox_id})
        source_id = answer.get("source_id") if isinstance(answer, dict) else None
        if not source_id:
            raise self._failed(f"Chatwoot contact inbox without source_id: {str(answer)[:200]}")
        return str(source_id)

    # ------------------------------------------------------------ the thread, to the agents

    async def deliver(self, ticket: Ticket, handoff: Handoff, message: ThreadMessage) -> None:
        """The customer's words as an incoming message, the assistant's notes as private notes. When the
        note is the one that ended the handoff, the conversation is resolved too."""
        conversation_id = await self.conversation_of(ticket.id)
        if conversation_id is None:
            raise DeliveryError(f"ticket {ticket.id} has no Chatwoot conversation yet (announcement pending)")
        try:
            if handoff.state not in ACTIVE_STATES and handoff.resolved_at == message.created_at:
                # resolving first: repeating it on a retry changes nothing, a second note would show twice
                await self._api("POST", f"/conversations/{conversation_id}/toggle_status", {"status": "resolved"})
            await self._post_message(conversation_id, message.text, incoming=message.from_customer)
        except ChatwootApiError as error:
            if error.status == 404:  # the conversation was deleted in Chatwoot
                raise Undeliverable(str(error)) from None
            raise

    # ------------------------------------------------------------ webhooks, from the agents

    async def handle_webhook(self, body: bytes, headers: Any) -> Tuple[int, Optional[dict]]:
        """A Chatwoot webhook: verify, parse, apply. Always quick; 200 for events that are not ours."""
        if self._webhook_secret and not self.verified(body, headers):
            self.webhooks_refused += 1
            return 401, {"error": "invalid or missing X-Chatwoot-Signature"}
        try:
            payload = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            return 400, {"error": "malformed JSON"}
        if not isinstance(payload, dict):
            return 400, {"error": "a JSON object was expected"}
        self.webhooks_handled += 1
        try:
            return 200, await self._dispatch(payload)
        except NotAnAgent as refusal:
            self.agents_refused += 1
            return 403, {"error": str(refusal)}
        except Exception:  # noqa: BLE001 - e.g. the database is unreachable: Chatwoot marks the reply failed
            logger.exception("desk %s: webhook %s (delivery %s) could not be applied", self.name,
                             payload.get("event"), header(headers, DELIVERY_HEADER) or "?")
            return 503, {"error": "temporarily unavailable"}

    def verified(self, body: bytes, headers: Any, now: Optional[float] = None) -> bool:
        """Whether the request carries Chatwoot's valid, fresh signature for ``body``."""
        timestamp, given = header(headers, TIMESTAMP_HEADER), header(headers, SIGNATURE_HEADER)
        sent_at = _as_int(timestamp)
        if sent_at is None or not given:
            return False
        if abs((now if now is not None else time.time()) - sent_at) > self._max_skew:
            return False
        return hmac.compare_digest(signature(self._webhook_secret, timestamp, body), given)

    async def _dispatch(self, payload: dict) -> dict:
        event = str(payload.get("event") or "")
        if event == "message_created":
            return await self._on_message(payload)
        if event in ("conversation_status_changed", "conversation_resolved"):
            return await self._on_status(payload)
        if event in ("conversation_updated", "assignee_changed"):
            return await self._on_assignment(payload)
        return _ignored(f"event {event or '?'}")

    def _foreign(self, payload: dict, inbox: Any) -> bool:
        """An event of another account or inbox (account webhooks see every inbox)."""
        account = _object(payload, "account")
        account_id = _as_int(account.get("id", payload.get("account_id")))
        return (account_id is not None and account_id != self.account_id) or \
            (_as_int(inbox) is not None and _as_int(inbox) != self.inbox_id)

    async def _on_message(self, payload: dict) -> dict:
        conversation = _object(payload, "conversation")
        inbox = payload["inbox"].get("id") if isinstance(payload.get("inbox"), dict) else conversation.get("inbox_id")
        if self._foreign(payload, inbox):
            return _ignored("another account or inbox")
        why = self._not_an_agent_reply(payload)
        if why:
            return _ignored(why)
        conversation_id = conversation.get("id")
        ticket_id = await self.ticket_of(conversation_id)
        if ticket_id is None:
            return _ignored("conversation without ticket")
        sender = payload["sender"]
        agent = Agent(desk=self.name, agent_id=str(sender.get("id")),
                      name=str(sender.get("available_name") or sender.get("name") or "Agen"))
        await self._check_agent(agent, audit.REPLY, ticket_id)
        text = str(payload.get("content") or "")
        outcome = await asyncio.to_thread(self.service.reply, ticket_id, text, agent, None,
                                          f"{self.name}:message:{payload.get('id')}")
        await self._audited(agent, audit.REPLY, ticket_id, outcome)
        self._explain(conversation_id, outcome, DUPLICATE, EMPTY, prefix="Balasan ini TIDAK diteruskan ke pelanggan: ")
        if payload.get("attachments") and outcome.code != DUPLICATE:
            self._tell_agent(conversation_id, "Lampiran tidak bisa diteruskan ke pelanggan; kirim isinya sebagai "
                                              "teks atau minta pelanggan menghubungi kanal resmi.")
        return {"status": outcome.code, "ticket_id": ticket_id}

    def _not_an_agent_reply(self, payload: dict) -> str:
        """Why a ``message_created`` is not an agent's public reply ("" when it is)."""
        if payload.get("message_type") != "outgoing":
            return f"message_type {payload.get('message_type')}"
        if payload.get("private"):
            return "private note"
        sender = payload.get("sender")
        if not isinstance(sender, dict) or sender.get("type") != "user":
            return "not sent by an agent"
        if _as_int(payload.get("id")) in self._posted_set:
            return "posted by this desk"
        if payload.get("content_type") not in (None, "text"):
            return f"content_type {payload.get('content_type')}"
        return ""

    async def _on_status(self, payload: dict) -> dict:
        if payload.get("status") != "resolved" or self._foreign(payload, payload.get("inbox_id")):
            return _ignored(f"status {payload.get('status')}")
        conversation_id = payload.get("id")
        ticket_id = await self.ticket_of(conversation_id)
        if ticket_id is None:
            return _ignored("conversation without ticket")
        handoff = await asyncio.to_thread(self.service.store.get, ticket_id)
        if handoff is None or not handoff.active:
            return _ignored("ticket already closed")
        if handoff.agent is not None and handoff.agent.desk != self.name:
            self._tell_agent(conversation_id, f"Tiket {ticket_id} sedang ditangani {handoff.agent.name} di "
                                              f"{handoff.agent.desk}; tiket TIDAK ditutup dari Chatwoot.")
            return {"status": TAKEN, "ticket_id": ticket_id}
        closer = handoff.agent or self._assignee(payload)
        await self._check_agent(closer, audit.CLOSE, ticket_id)
        outcome = await asyncio.to_thread(self.service.close, ticket_id, closer)
        await self._audited(closer, audit.CLOSE, ticket_id, outcome)
        self._explain(conversation_id, outcome, CLOSED)  # closed meanwhile: nothing to tell
        return {"status": outcome.code, "ticket_id": ticket_id}

    async def _on_assignment(self, payload: dict) -> dict:
        if not _changed(payload, "assignee_id") and payload.get("event") != "assignee_changed":
            return _ignored("no assignment")
        if self._foreign(payload, payload.get("inbox_id")):
            return _ignored("another account or inbox")
        agent = self._assignee(payload)
        if agent is None:
            return _ignored("unassigned")
        conversation_id = payload.get("id")
        ticket_id = await self.ticket_of(conversation_id)
        if ticket_id is None:
            return _ignored("conversation without ticket")
        await self._check_agent(agent, audit.CLAIM, ticket_id)
        outcome = await asyncio.to_thread(self.service.claim, ticket_id, agent)
        await self._audited(agent, audit.CLAIM, ticket_id, outcome)
        self._explain(conversation_id, outcome, CLOSED)
        return {"status": outcome.code, "ticket_id": ticket_id}

    def _assignee(self, payload: dict) -> Optional[Agent]:
        """The conversation's assigned agent (``meta.assignee``, a user), if any."""
        meta = _object(payload, "meta")
        assignee = meta.get("assignee")
        if not isinstance(assignee, dict) or assignee.get("type", "user") != "user" or assignee.get("id") is None:
            return None
        return Agent(desk=self.name, agent_id=str(assignee["id"]),
                     name=str(assignee.get("available_name") or assignee.get("name") or "Agen"))

    # ------------------------------------------------------------ who may act

    async def _check_agent(self, agent: Optional[Agent], action: str, ticket_id: str) -> None:
        """Raise :class:`NotAnAgent` (logged, audited) unless ``agent`` is on the allow-list."""
        if agent is not None and agent.agent_id in self._agents:
            return
        who = f"user {agent.agent_id} ({agent.name})" if agent is not None else "an unknown user"
        logger.warning("desk %s: refused %s on ticket %s by %s: not on the agent list", self.name, action,
                       ticket_id, who)
        actor = audit.Actor(self.name, agent.agent_id if agent else "?", agent.name if agent else "")
        await asyncio.to_thread(self._audit.record_quietly, actor, action, audit.REFUSED, ticket_id, None,
                                "not on the agent list")
        raise NotAnAgent(f"{who} is not an agent of desk {self.name}")

    async def _audited(self, agent: Optional[Agent], action: str, ticket_id: str, outcome: Outcome) -> None:
        actor = audit.Actor(agent.desk, agent.agent_id, agent.name) if agent else audit.Actor(self.name, "?")
        await asyncio.to_thread(self._audit.record_quietly, actor, action, outcome.code, ticket_id)

    # ------------------------------------------------------------ telling the agent

    def _explain(self, conversation_id: Any, outcome: Outcome, *quiet: str, prefix: str = "") -> None:
        """A private note when an action was refused, unless its code is one of ``quiet``."""
        if outcome.ok or outcome.code in quiet:
            return
        self._tell_agent(conversation_id, f"⚠️ {prefix}{outcome.message}")

    def _tell_agent(self, conversation_id: Any, text: str) -> None:
        """Post a private note in the background (the webhook is answered without waiting)."""
        number = _as_int(conversation_id)
        if number is None:
            return
        task = asyncio.get_running_loop().create_task(self._note_quietly(number, text))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _note_quietly(self, conversation_id: int, text: str) -> None:
        """Post a note; a failure (Chatwoot down, or anything unexpected) is logged, never raised: this runs
        in the background, after the webhook was answered."""
        try:
            await self._post_message(conversation_id, text)
        except DeliveryError as error:
            logger.warning("desk %s: note to conversation %s not posted: %s", self.name, conversation_id, error)
        except Exception as error:  # noqa: BLE001 - e.g. a malformed CHATWOOT_URL; the health shows it
            self.last_error = f"Chatwoot note: {type(error).__name__}: {error}"
            logger.warning("desk %s: note to conversation %s not posted: %s", self.name, conversation_id,
                           self.last_error)

    async def settle(self) -> None:
        """Wait for the notes to agents still being posted (tests, shutdown)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)


def _object(payload: dict, key: str) -> dict:
    """``payload[key]`` when it is a JSON object, else an empty one."""
    value = payload.get(key)
    return value if isinstance(value, dict) else {}


def _payload_list(answer: Any) -> List[dict]:
    """The ``payload`` array of a Chatwoot list answer."""
    payload = answer.get("payload") if isinstance(answer, dict) else answer
    return [item for item in payload if isinstance(item, dict)] if isinstance(payload, list) else []


def _changed(payload: dict, attribute: str) -> bool:
    """Whether ``changed_attributes`` (``[{name: {previous_value, current_value}}]``) names ``attribute``."""
    changes: Iterable[Any] = payload.get("changed_attributes") or []
    if isinstance(changes, dict):
        changes = [changes]
    return any(isinstance(change, dict) and attribute in change for change in changes)


def _ignored(reason: str) -> dict:
    return {"status": "ignored", "reason": reason}
