"""The default agent desk: the agents' Telegram group (python-telegram-bot, long polling).

A new ticket is announced in the group (in its own topic when the group is a forum) with an "Ambil"
button; the customer's words and the assistant's notes follow as replies to that announcement. Agents
claim with the button or ``/ambil``, answer by replying to any message of the ticket (or writing in its
topic), and close with "Selesai" or ``/tutup``. Every message the desk posts is linked to its ticket
(``HandoffStore.link``), so a reply to any of them reaches the same ticket.

Only the user ids on the desk's allow-list (``agents``, ``TICKETS_TELEGRAM_AGENTS``) who are also members
of the configured group act as agents: membership is checked with ``getChatMember`` (cached). An empty list
refuses everyone (logged as an error at start). Someone not on the list who taps a button or answers a
ticket gets a short refusal in the group. Every announcement (the ticket shown to the group), claim, reply,
close and refusal is written to the audit log (:mod:`bot.privacy.audit`). Updates are parsed from raw JSON,
so one odd update never breaks a batch, and replayed update ids are ignored (``SeenStore``).
``send``/``deliver`` may run in another event loop (the outbox worker's thread): there they use a
short-lived client of their own.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import time
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Dict, List, Optional, Sequence, Set, Tuple

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions, ReplyParameters
from telegram.constants import ParseMode
from telegram.error import BadRequest, Conflict, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.channels.common import SeenStore, split_text
from bot.channels.telegram_output import ChannelBot
from bot.desks.telegram_group_updates import NAME_LIMIT, GroupUpdate, Malformed, parse_group_update
from bot.handoff.model import SYSTEM_AUTHOR, WITH_AGENT, Agent, Handoff, ThreadMessage
from bot.handoff.service import HandoffService, Outcome
from bot.handoff.store import HandoffStore
from bot.privacy import audit
from bot.retrying import Backoff, asked_wait, retry_after_seconds
from bot.text_limits import clip, utf16_length
from bot.tickets.model import Ticket
from bot.tickets.notifiers import DeliveryError
from bot.tickets.render import CATEGORY_LABELS, clean, telegram_html

logger = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
CLAIM, CLOSE = "ambil", "tutup"                 # callback data prefixes and commands
MEMBER_STATUSES = ("creator", "administrator", "member")
MEMBER_TTL_SECONDS, NOT_MEMBER_TTL_SECONDS = 300.0, 60.0
MESSAGE_LIMIT, TOPIC_NAME_LIMIT, ANSWER_LIMIT = 4096, 128, 200
NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_COMMAND = re.compile(r"^/(\w+)(?:@(\w+))?(?:\s|$)")

CLAIM_BUTTON, CLOSE_BUTTON = "Ambil", "Selesai"
UNKNOWN_BUTTON = "Tombol tidak dikenal."
NOT_AN_AGENT = "Maaf, Anda tidak terdaftar sebagai agen."
UNKNOWN_COMMAND = "Perintah tidak dikenal. Gunakan /ambil atau /tutup; teks biasa diteruskan ke pelanggan."
TEXT_ONLY = "Hanya pesan teks yang diteruskan ke pelanggan; lampiran ini tidak terkirim."
TRY_AGAIN = "Maaf, terjadi gangguan sementara; tindakan ini belum diproses. Silakan ulangi."


def html_chunks(text: str, limit: int) -> List[str]:
    """``text`` HTML-escaped in parts of at most ``limit`` UTF-16 units, cut at word boundaries."""
    parts: List[str] = []
    rest = text.strip()
    while rest:
        size = limit
        while True:
            first = split_text(rest[: size + 1], size)[0]
            escaped = html.escape(first, quote=False)
            length = utf16_length(escaped)
            if length <= limit or len(first) <= 1:
                break
            size = max(1, min(len(first) - 1, len(first) * limit // length))
        parts.append(escaped)
        rest = rest[len(first):].lstrip()
    return parts or [""]


def thread_parts(ticket_id: str, message: ThreadMessage) -> List[str]:
    """A thread message as one or more group messages (HTML), each within Telegram's limit."""
    if message.from_customer:
        prefix = f"💬 Pelanggan ({html.escape(ticket_id)}):\n"
    elif message.author == SYSTEM_AUTHOR:
        prefix = "ℹ️ "
    else:
        prefix = f"🗣 {html.escape(clip(clean(message.author), NAME_LIMIT))}:\n"
    text = clean(message.text, single_line=False)
    return [prefix + part for part in html_chunks(text, MESSAGE_LIMIT - utf16_length(prefix))]


def keyboard(title: str, data: str) -> InlineKeyboardMarkup:
    """One inline button."""
    return InlineKeyboardMarkup([[InlineKeyboardButton(title, callback_data=data)]])


def message_ids(links: Sequence[str]) -> List[int]:
    """Telegram message ids among a ticket's links."""
    return [int(ref[4:]) for ref in links if ref.startswith("msg:") and ref[4:].isdigit()]


def topic_of(links: Sequence[str]) -> Optional[int]:
    """The ticket's forum topic, if one was created."""
    topics = [int(ref[6:]) for ref in links if ref.startswith("topic:") and ref[6:].isdigit()]
    return topics[0] if topics else None


def _now() -> datetime:
    return datetime.now(timezone.utc)


def attempted(update: GroupUpdate) -> str:
    """The audit action an update tried: a button's or command's claim / close, else a reply."""
    if update.callback_id is not None:
        word = update.callback_data.partition(":")[0]
    else:
        match = _COMMAND.match((update.text or "").strip())
        word = match.group(1).lower() if match else ""
    return {CLAIM: audit.CLAIM, CLOSE: audit.CLOSE}.get(word, audit.REPLY)


class DeskBot(ChannelBot):
    """``ChannelBot`` plus raw JSON calls (``getChat``/``getChatMember`` answers vary between API versions)."""

    async def get_raw(self, method: str, data: Dict[str, Any]) -> Any:
        return await self._post(method, data)


class TelegramGroupDesk:
    """Announces tickets in the agents' group and turns the agents' taps and replies into handoff actions."""

    single_receiver = True   # Telegram allows one getUpdates poller per bot: start() runs in one process only
    poll_timeout = 25        # seconds of one getUpdates long poll
    first_backoff = 1.0      # seconds after a failed poll, doubled up to max_backoff
    max_backoff = 30.0

    def __init__(self, name: str, token: str, chat_id: str, service: HandoffService,
                 base_url: str = "https://api.telegram.org/bot", timeout: float = 10.0,
                 agents: Sequence[str] = ()) -> None:
        self.name = name
        self.service = service
        self._token, self._chat_id = token, str(chat_id).strip()
        self._base_url, self._timeout = base_url, timeout
        self._agents = frozenset(str(agent).strip() for agent in agents if str(agent).strip())
        self._audit = audit.AuditLog(service.store.database)
        if not self._agents:
            logger.error("telegram desk %s: no agents on its allow-list (desks.yml 'agents', TICKETS_TELEGRAM_AGENTS): "
                         "every agent action in the group is refused", name)
        self._bot: Optional[DeskBot] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._poller: Optional[asyncio.Task] = None
        self._seen: Optional[SeenStore] = None
        self._is_forum: Optional[bool] = None
        self._members: Dict[int, Tuple[bool, float]] = {}
        self._other_chats: Set[int] = set()
        self._failure_kind: Optional[str] = None
        self._last_error: Optional[str] = None
        self._bot_username: Optional[str] = None

    @property
    def store(self) -> HandoffStore:
        return self.service.store

    # ------------------------------------------------------------ Telegram client

    def _new_bot(self) -> DeskBot:
        def request(pool: int) -> HTTPXRequest:
            return HTTPXRequest(connection_pool_size=pool, connect_timeout=self._timeout, pool_timeout=self._timeout,
                                read_timeout=self._timeout, write_timeout=self._timeout)
        return DeskBot(self._token, base_url=self._base_url, request=request(8), get_updates_request=request(1))

    @contextlib.asynccontextmanager
    async def _client(self) -> AsyncIterator[DeskBot]:
        """The running desk's bot when called from its event loop, else a short-lived one."""
        if self._bot is not None and self._loop is asyncio.get_running_loop():
            yield self._bot
            return
        async with self._new_bot() as bot:
            yield bot

    def _without_token(self, text: str) -> str:
        return text.replace(self._token, "<token>")

    def _delivery_error(self, error: TelegramError) -> DeliveryError:
        self._last_error = self._without_token(f"{type(error).__name__}: {error}")
        if isinstance(error, RetryAfter):
            return DeliveryError(f"Telegram rate limit: {self._last_error}",
                                 retry_after=retry_after_seconds(error.retry_after))
        return DeliveryError(f"Telegram: {self._last_error}")

    async def _link(self, ticket_id: str, refs: Sequence[str]) -> None:
        for ref in refs:
            await asyncio.to_thread(self.store.link, self.name, ref, ticket_id, _now())

    # ------------------------------------------------------------ announcing and showing the thread

    async def send(self, ticket: Ticket, idempotency_key: str) -> None:
        """Announce ``ticket`` with an "Ambil" button (in a new topic when the group is a forum); once."""
        links = await asyncio.to_thread(self.store.links, ticket.id, self.name)
        if message_ids(links):
            logger.info("telegram desk %s: ticket %s was announced before; not posted again", self.name, ticket.id)
            return
        try:
            async with self._client() as bot:
                thread = topic_of(links) or await self._new_topic(bot, ticket)
                message = await bot.send_message(
                    chat_id=self._chat_id, text=telegram_html(ticket), parse_mode=ParseMode.HTML,
                    reply_markup=keyboard(CLAIM_BUTTON, f"{CLAIM}:{ticket.id}"), message_thread_id=thread,
                    link_preview_options=NO_PREVIEW)
        except TelegramError as error:
            raise self._delivery_error(error) from None
        await self._link(ticket.id, [f"msg:{message.message_id}"])
        await asyncio.to_thread(self._audit.record_quietly, self._group_actor(), audit.SHOW, audit.OK, ticket.id,
                                ticket.customer_id, "announced in the agents' group")

    async def _new_topic(self, bot: DeskBot, ticket: Ticket) -> Optional[int]:
        """A forum topic for the ticket (recorded at once), or None when the group is not a forum."""
        if self._is_forum is None:
            chat = await bot.get_raw("getChat", {"chat_id": self._chat_id})
            self._is_forum = isinstance(chat, dict) and chat.get("is_forum") is True
        if not self._is_forum:
            return None
        name = clip(f"{ticket.id} · {CATEGORY_LABELS.get(ticket.category, ticket.category)}", TOPIC_NAME_LIMIT)
        try:
            topic = await bot.create_forum_topic(chat_id=self._chat_id, name=name)
        except BadRequest as error:   # e.g. no "manage topics" right: announce in the group itself
            logger.warning("telegram desk %s: cannot create a topic (%s); posting in the group", self.name, error)
            self._is_forum = None
            return None
        await self._link(ticket.id, [f"topic:{topic.message_thread_id}"])
        return topic.message_thread_id

    async def deliver(self, ticket: Ticket, handoff: Handoff, message: ThreadMessage) -> None:
        """Post a thread message as a reply to the ticket's announcement (in its topic); once."""
        links = await asyncio.to_thread(self.store.links, ticket.id, self.name)
        marker = f"thread:{message.id}"
        if marker in links:
            return
        announcements = message_ids(links)
        if not announcements:
            raise DeliveryError(f"ticket {ticket.id} is not announced in {self.name} yet")
        closing = message.author == SYSTEM_AUTHOR and handoff.state == WITH_AGENT
        markup = keyboard(CLOSE_BUTTON, f"{CLOSE}:{ticket.id}") if closing else None
        parts, posted = thread_parts(ticket.id, message), []
        try:
            async with self._client() as bot:
                for index, part in enumerate(parts):
                    sent = await bot.send_message(
                        chat_id=self._chat_id, text=part, parse_mode=ParseMode.HTML,
                        message_thread_id=topic_of(links), link_preview_options=NO_PREVIEW,
                        reply_parameters=ReplyParameters(min(announcements), allow_sending_without_reply=True),
                        reply_markup=markup if index == len(parts) - 1 else None)
                    posted.append(f"msg:{sent.message_id}")
        except TelegramError as error:
            raise self._delivery_error(error) from None
        finally:
            await self._link(ticket.id, posted)
        await self._link(ticket.id, [marker])

    # ------------------------------------------------------------ receiving: lifecycle

    async def start(self) -> None:
        """Start long polling in the background; never raises."""
        logging.getLogger("httpx").setLevel(logging.WARNING)   # request URLs contain the token
        if self._poller is None:
            self._bot, self._loop = self._new_bot(), asyncio.get_running_loop()
            self._poller = asyncio.ensure_future(self._poll())

    async def stop(self) -> None:
        """Stop polling and close the client."""
        if self._poller is not None:
            self._poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poller
            self._poller = None
        if self._bot is not None:
            with contextlib.suppress(Exception):
                await self._bot.shutdown()
            self._bot = self._loop = None

    async def handle_webhook(self, body: bytes, headers: Any) -> Tuple[int, Optional[dict]]:
        """This desk receives updates by long polling only."""
        return 404, {"error": f"desk {self.name} receives updates by long polling, not by webhook"}

    def health(self) -> dict:
        return {"status": "degraded" if self._failure_kind else "ok", "last_error": self._last_error}

    async def _poll(self) -> None:
        """getMe and deleteWebhook, then getUpdates forever, backing off after failures."""
        assert self._bot is not None
        offset: Optional[int] = None
        waits, ready = Backoff(first=self.first_backoff, cap=self.max_backoff).schedule(), False
        while True:
            try:
                if not ready:
                    await self._bot.initialize()
                    await self._bot.delete_webhook(drop_pending_updates=False)
                    ready = True
                updates = await self._bot.get_raw_updates(offset, self.poll_timeout, ALLOWED_UPDATES)
            except Exception as error:  # noqa: BLE001 - the loop is the agents' only way in: it must survive
                self._poll_failed(error)
                ready = ready and not isinstance(error, Conflict)   # a webhook was set again: remove it
                await asyncio.sleep(waits.next(asked_wait(error)))
                continue
            if self._failure_kind is not None:
                logger.info("telegram desk %s: polling works again", self.name)
                self._failure_kind = None
            waits.reset()
            for raw in updates:
                update_id = raw.get("update_id") if isinstance(raw, dict) else None
                if isinstance(update_id, int) and not isinstance(update_id, bool):
                    offset = max(offset or 0, update_id + 1)
                await self.handle_update(raw)

    def _poll_failed(self, error: Exception) -> None:
        """Record a polling failure; one log line per kind of failure until polling works again."""
        kind = type(error).__name__
        self._last_error = self._without_token(f"getUpdates: {kind}: {error}")
        if kind != self._failure_kind:
            logger.warning("telegram desk %s: %s; retrying with backoff", self.name, self._last_error)
        self._failure_kind = kind

    # ------------------------------------------------------------ receiving: one update

    async def handle_update(self, raw: Any) -> None:
        """Act on one raw update from the agents' group; never raises."""
        try:
            update = parse_group_update(raw)
        except Malformed as error:
            logger.warning("telegram desk %s: skipped a malformed update: %s", self.name, error)
            return
        if update is None or not self._in_group(update.chat_id):
            return
        seen, channel, key = self._seen_store(), f"desk:{self.name}", f"{self._token.split(':')[0]}:{update.update_id}"
        if not seen.first_time(channel, key):
            logger.info("telegram desk %s: update %s already handled; ignored", self.name, update.update_id)
            return
        try:
            if update.callback_id is not None:
                await self._on_callback(update)
            else:
                await self._on_message(update)
        except Exception:  # noqa: BLE001 - one failed update must not stop the others
            logger.exception("telegram desk %s: failed to handle update %s", self.name, update.update_id)
            seen.forget(channel, key)
            await self._tell(update, TRY_AGAIN)

    def _seen_store(self) -> SeenStore:
        if self._seen is None:
            self._seen = SeenStore()
        return self._seen

    def _in_group(self, chat_id: int) -> bool:
        if str(chat_id) == self._chat_id:
            return True
        if chat_id not in self._other_chats:
            self._other_chats.add(chat_id)
            logger.info("telegram desk %s: ignoring updates from chat %s (not the agents' group)", self.name, chat_id)
        return False

    async def _on_callback(self, update: GroupUpdate) -> None:
        action, _, ticket_id = update.callback_data.partition(":")
        if action not in (CLAIM, CLOSE) or not ticket_id:
            await self._answer(update, UNKNOWN_BUTTON)
            return
        refusal = await self._refusal(update, ticket_id)
        if refusal is not None:
            if refusal == NOT_AN_AGENT:
                await self._answer(update, NOT_AN_AGENT, alert=True)
            return
        outcome = await self._act(action, ticket_id, self._agent(update))
        await self._answer(update, outcome.message, alert=not outcome.ok)

    async def _on_message(self, update: GroupUpdate) -> None:
        if update.text is None and not update.has_media:
            return   # service messages (topic created, member joined, ...)
        ticket_id = await self._ticket_of(update)
        if ticket_id is None:
            return
        refusal = await self._refusal(update, ticket_id)
        if refusal is not None:
            if refusal == NOT_AN_AGENT:
                await self._tell(update, NOT_AN_AGENT)
            return
        if update.text is None:
            await self._tell(update, TEXT_ONLY, ticket_id)
            return
        command = await self._command(update.text)
        if command in (CLAIM, CLOSE):
            outcome = await self._act(command, ticket_id, self._agent(update))
        elif command == "":
            return   # a command for another bot
        elif command is not None:
            await self._tell(update, UNKNOWN_COMMAND, ticket_id)
            return
        else:
            outcome = await asyncio.to_thread(self.service.reply, ticket_id, update.text, self._agent(update),
                                              dedupe_key=f"{self.name}:update:{update.update_id}")
            await self._audited(audit.REPLY, ticket_id, update, outcome)
        if not outcome.ok:
            await self._tell(update, outcome.message, ticket_id)

    async def _command(self, text: str) -> Optional[str]:
        """The command's name (lower case), "" for another bot's command, None for plain text."""
        match = _COMMAND.match(text.strip())
        if match is None:
            return None
        addressee = match.group(2)
        if addressee and addressee.lower() != (await self._username()).lower():
            return ""
        return match.group(1).lower()

    async def _username(self) -> str:
        """The bot's @username (getMe, once)."""
        if self._bot_username is None:
            async with self._client() as bot:
                self._bot_username = (await bot.get_me()).username or ""
        return self._bot_username

    async def _ticket_of(self, update: GroupUpdate) -> Optional[str]:
        """The ticket a message belongs to: the linked message it replies to, or its topic / thread."""
        refs = [f"msg:{update.reply_to}"] if update.reply_to is not None else []
        if update.thread_id is not None:
            refs += [f"topic:{update.thread_id}", f"msg:{update.thread_id}"]
        for ref in refs:
            ticket_id = await asyncio.to_thread(self.store.ticket_for_link, self.name, ref)
            if ticket_id is not None:
                return ticket_id
        return None

    async def _refusal(self, update: GroupUpdate, ticket_id: str) -> Optional[str]:
        """Why the sender may not act as an agent on ``ticket_id`` (None: they may); a refusal is logged and
        written to the audit log."""
        reason = None
        if update.user_is_bot:
            reason = "a bot"
        elif str(update.user_id) not in self._agents:
            reason = NOT_AN_AGENT
        elif not await self._is_member(update.user_id):
            reason = "not a member of the group"
        if reason is not None:
            why = "not on the agent list" if reason == NOT_AN_AGENT else reason
            logger.warning("telegram desk %s: refused update %s from user %s on ticket %s: %s", self.name,
                           update.update_id, update.user_id, ticket_id, why)
            await asyncio.to_thread(self._audit.record_quietly, self._actor(update), attempted(update),
                                    audit.REFUSED, ticket_id, None, why)
        return reason

    async def _is_member(self, user_id: int) -> bool:
        """getChatMember, cached (members for 5 minutes, others for 1)."""
        cached = self._members.get(user_id)
        if cached is not None and cached[1] > time.monotonic():
            return cached[0]
        try:
            async with self._client() as bot:
                member = await bot.get_raw("getChatMember", {"chat_id": self._chat_id, "user_id": user_id})
        except BadRequest as error:   # e.g. "user not found"
            logger.info("telegram desk %s: getChatMember(%s): %s", self.name, user_id, error)
            member = {}
        member = member if isinstance(member, dict) else {}
        status = member.get("status")
        is_member = status in MEMBER_STATUSES or (status == "restricted" and member.get("is_member") is True)
        ttl = MEMBER_TTL_SECONDS if is_member else NOT_MEMBER_TTL_SECONDS
        self._members[user_id] = (is_member, time.monotonic() + ttl)
        return is_member

    def _agent(self, update: GroupUpdate) -> Agent:
        return Agent(desk=self.name, agent_id=str(update.user_id), name=update.user_name)

    def _actor(self, update: GroupUpdate) -> audit.Actor:
        return audit.Actor(self.name, str(update.user_id), update.user_name)

    def _group_actor(self) -> audit.Actor:
        """The desk itself, showing a ticket to everyone in the agents' group."""
        return audit.Actor(self.name, f"group:{self._chat_id}", "grup agen")

    async def _act(self, action: str, ticket_id: str, agent: Agent) -> Outcome:
        operation = self.service.claim if action == CLAIM else self.service.close
        outcome = await asyncio.to_thread(operation, ticket_id, agent)
        await asyncio.to_thread(self._audit.record_quietly, audit.Actor(agent.desk, agent.agent_id, agent.name),
                                audit.CLAIM if action == CLAIM else audit.CLOSE, outcome.code, ticket_id)
        return outcome

    async def _audited(self, action: str, ticket_id: str, update: GroupUpdate, outcome: Outcome) -> None:
        await asyncio.to_thread(self._audit.record_quietly, self._actor(update), action, outcome.code, ticket_id)

    async def _answer(self, update: GroupUpdate, text: str, alert: bool = False) -> None:
        """Answer a button tap (stops the spinner); best effort."""
        try:
            async with self._client() as bot:
                await bot.answer_callback_query(update.callback_id or "", text=clip(text, ANSWER_LIMIT),
                                                show_alert=alert)
        except TelegramError as error:
            logger.warning("telegram desk %s: answerCallbackQuery failed: %s", self.name, error)

    async def _tell(self, update: GroupUpdate, text: str, ticket_id: Optional[str] = None) -> None:
        """Tell the agent something about their message or tap, in its thread; best effort."""
        if update.callback_id is not None:
            await self._answer(update, text, alert=True)
            return
        try:
            async with self._client() as bot:
                sent = await bot.send_message(
                    chat_id=self._chat_id, text=f"⚠️ {html.escape(text, quote=False)}", parse_mode=ParseMode.HTML,
                    message_thread_id=update.thread_id if update.in_topic else None,
                    reply_parameters=ReplyParameters(update.message_id or 0, allow_sending_without_reply=True))
            if ticket_id is not None:
                await self._link(ticket_id, [f"msg:{sent.message_id}"])
        except TelegramError as error:
            logger.warning("telegram desk %s: could not tell the agent (%s)", self.name, error)
