"""What the Telegram channel does with an update, in both modes: replay check, one chat at a time, the
reply to non-text messages, callback answers, and handing text to Rasa (redacted) with the typing indicator.
Polling mode's ``getUpdates`` loop and webhook mode's ``setWebhook`` live here too.

Telegram being unreachable, refusing the token or answering something unexpected (``getMe``,
``setWebhook``, ``getUpdates``) never takes the server down: the channel is marked degraded (one log line
per distinct problem, shown by its health route), the call is retried in the background with backoff, and
the next success clears the problem. Polling and ``setWebhook`` wait until ``getMe`` has succeeded.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import UserMessage
from telegram.error import Conflict, TelegramError

from bot.channels.common import BackgroundTasks, ChatQueue, RequestError, SeenStore, redact_at_entry
from bot.channels.degradation import DEGRADED, OK, ChannelState, describe
from bot.channels.telegram_buttons import ButtonStore
from bot.channels.telegram_output import ChannelBot, TelegramOutput, UnexpectedAnswer, make_bot, typing
from bot.channels.telegram_updates import CALLBACK, IGNORED, NON_TEXT, START, Incoming, parse_update
from bot.retrying import Backoff, asked_wait
from bot.wording import APOLOGY, NON_TEXT_REPLY

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
GREET_PAYLOAD = "/greet"                   # one of the assistant's own button payloads (nlu/payloads.py)
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT_SECONDS = 25
REQUEST_TIMEOUT_SECONDS = 10.0
FIRST_BACKOFF_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 30.0
NOT_CONNECTED = "not connected yet (getMe has not answered)"
CONNECT_HINT = ("check TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL; retrying in the background "
                "(replies are still attempted)")
RETRY_HINT = "retrying in the background with backoff"


class TelegramRuntime:
    """The running channel: bot client, stores, background work and (polling mode) the update loop."""

    def __init__(self, token: str, api_base_url: str, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                 request_timeout: float = REQUEST_TIMEOUT_SECONDS,
                 first_backoff: float = FIRST_BACKOFF_SECONDS) -> None:
        self.token = token
        self.api_base_url = api_base_url
        self.request_timeout = request_timeout   # seconds a Bot API call may take (getUpdates: + its long poll)
        self.backoff = Backoff(first=first_backoff, cap=MAX_BACKOFF_SECONDS, jitter=True)   # waits after failures
        self.on_new_message = on_new_message
        self.bot_id = token.split(":", 1)[0]
        self.seen = SeenStore()
        self.buttons = ButtonStore()
        self.tasks = BackgroundTasks()
        self.queue = ChatQueue()
        self.bot: Optional[ChannelBot] = None
        self.output: Optional[TelegramOutput] = None
        self.state = ChannelState(CHANNEL, logger, secrets=[token])
        self._connected = asyncio.Event()            # set once getMe has succeeded
        self._offset: Optional[int] = None           # next getUpdates offset (confirms what was taken)
        self._poller: Optional[asyncio.Task] = None
        self._connector: Optional[asyncio.Task] = None
        self._webhook_setter: Optional[asyncio.Task] = None

    @property
    def problem(self) -> Optional[str]:
        """Why the channel is degraded (None when it works); shown by its health route."""
        if self.state.problem is None and not self._connected.is_set():
            return NOT_CONNECTED
        return self.state.problem

    def status(self, **details: Any) -> Dict[str, Any]:
        """The channel's health: ``{"status": "ok" | "degraded", **details, "problem": ...}``."""
        problem = self.problem
        body: Dict[str, Any] = {"status": DEGRADED if problem else OK, **details}
        if problem:
            body["problem"] = problem
        return body

    def open(self) -> None:
        """Create the bot client (no network yet), before the server accepts requests."""
        # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self.bot = make_bot(self.token, self.api_base_url, self.request_timeout)
        self.output = TelegramOutput(self.bot, self.buttons)

    async def start(self) -> None:
        """Check the token (getMe) now. Any failure (refused, timed out, an answer the library cannot read)
        marks the channel degraded with one log line and is retried in the background with backoff; it is
        never fatal, and the other channels keep serving."""
        if self.bot is None:
            self.open()
        if not await self._connect():
            self._connector = asyncio.ensure_future(_retry(self._connect, self.backoff))

    def launch(self, polling: bool, webhook_url: str = "", webhook_secret: str = "") -> None:
        """Start the channel without waiting for Telegram (server start-up never does): getMe, retried
        until it answers; then the ``getUpdates`` loop (``polling``) or ``setWebhook`` (when a URL is given)."""
        if self.bot is None:
            self.open()
        self._connector = asyncio.ensure_future(_retry(self._connect, self.backoff, now=True))
        if polling:
            self.start_polling()
        elif webhook_url:
            self.set_webhook(webhook_url, webhook_secret)

    async def _connect(self) -> bool:
        """One getMe; True once it succeeded."""
        assert self.bot is not None
        try:
            await self.bot.initialize()
        except Exception as error:  # noqa: BLE001 - whatever getMe does, the server must stay up
            self.state.degrade(f"getMe failed ({describe(error)})", CONNECT_HINT)
            return False
        self.state.recover()
        self._connected.set()
        logger.info("telegram channel: connected as @%s", self.bot.username)
        return True

    def set_webhook(self, url: str, secret: str) -> None:
        """Register the public webhook URL with Telegram (webhook mode), in the background once getMe has
        succeeded; a failure degrades the channel and is retried with backoff until Telegram accepts it."""
        self._webhook_setter = asyncio.ensure_future(_retry(lambda: self._set_webhook(url, secret),
                                                            self.backoff, now=True))

    async def _set_webhook(self, url: str, secret: str) -> bool:
        """One setWebhook (after getMe succeeded); True once Telegram accepted it."""
        await self._connected.wait()
        assert self.bot is not None
        try:
            accepted = await self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            if accepted is not True:
                raise UnexpectedAnswer(f"result is {accepted!r}, not true")
        except Exception as error:  # noqa: BLE001 - a bad answer must not take the server down
            self.state.degrade(f"setWebhook failed ({describe(error)})", RETRY_HINT)
            return False
        self.state.recover()
        logger.info("telegram channel: webhook set to %s", url)
        return True

    def start_polling(self) -> None:
        """Start the ``getUpdates`` loop (polling mode); it waits until getMe has succeeded."""
        self._poller = asyncio.ensure_future(self._poll())

    async def stop_polling(self) -> None:
        """Stop the ``getUpdates`` loop (another process polls now); replies in progress go on."""
        poller, self._poller = self._poller, None
        if poller is not None:
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    async def stop(self) -> None:
        """Stop polling (and reconnecting), let running replies finish (briefly), close the HTTP client."""
        for task in (self._poller, self._connector, self._webhook_setter):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._poller = self._connector = self._webhook_setter = None
        await self.tasks.drain(timeout=10.0)
        if self.bot is not None:
            with contextlib.suppress(Exception):
                await self.bot.shutdown()

    def accept(self, incoming: Incoming) -> bool:
        """Take an update: False for a replay (already handled, even before a restart); otherwise handled
        in the background, in order per chat."""
        if not self.seen.first_time(CHANNEL, f"{self.bot_id}:{incoming.update_id}"):
            logger.info("telegram channel: update %s already handled; ignored", incoming.update_id)
            return False
        if incoming.kind != IGNORED and (incoming.chat_id is not None or incoming.kind == CALLBACK):
            self.tasks.spawn(self._handle(incoming), name=f"telegram update {incoming.update_id}")
        return True

    async def _handle(self, incoming: Incoming) -> None:
        async with self.queue.turn(incoming.chat_id if incoming.chat_id is not None else 0):
            assert self.output is not None
            if incoming.kind == CALLBACK:
                text = await self._callback_payload(incoming)
            elif incoming.kind == NON_TEXT:
                await self.output.send(incoming.chat_id, NON_TEXT_REPLY)   # type: ignore[arg-type]
                return
            else:
                text = GREET_PAYLOAD if incoming.kind == START else incoming.text
            if text is not None:
                await self._to_rasa(incoming, text)

    async def _callback_payload(self, incoming: Incoming) -> Optional[str]:
        """Answer the tap (stops the spinner); the payload to send, or None for data we never issued."""
        assert self.bot is not None
        try:
            await self.bot.answer_callback_query(incoming.callback_id)   # type: ignore[arg-type]
        except TelegramError as error:
            logger.warning("telegram channel: answerCallbackQuery failed: %s", error)
        payload = None
        if incoming.chat_id is not None and incoming.callback_data:
            payload = self.buttons.resolve(incoming.chat_id, incoming.callback_data)
        if payload is None:
            logger.warning("telegram channel: ignored a button tap with data the assistant did not issue "
                           "(update %s)", incoming.update_id)
        return payload

    async def _to_rasa(self, incoming: Incoming, text: str) -> None:
        assert self.output is not None and self.bot is not None and incoming.chat_id is not None
        metadata: Dict[str, Any] = {"telegram_user_id": incoming.user_id}
        if incoming.first_name:
            metadata["customer_name"] = incoming.first_name
        # Secrets (seed phrases, keys, passwords, OTPs) never reach the tracker store or the logs.
        text, metadata = redact_at_entry(text, metadata)
        message = UserMessage(text, self.output, incoming.sender_id, input_channel=CHANNEL,
                              message_id=f"tg-{incoming.update_id}", metadata=metadata)
        try:
            async with typing(self.bot, incoming.chat_id):
                await self.on_new_message(message)
        except Exception:  # noqa: BLE001 - the customer must get an answer whatever failed
            logger.exception("telegram channel: failed to handle update %s", incoming.update_id)
            with contextlib.suppress(Exception):
                await self.output.send(incoming.chat_id, APOLOGY)

    async def _poll(self) -> None:
        """Once connected: ``deleteWebhook`` (Telegram refuses getUpdates while a webhook is set), then
        long-poll forever. A failure or an answer the channel cannot read degrades the channel and is
        retried with backoff; the next good batch clears the problem."""
        await self._connected.wait()
        await self._delete_webhook()
        waits = self.backoff.schedule()
        while True:
            try:
                await self._poll_once()
            except Exception as error:  # noqa: BLE001 - the loop must survive anything; it is the only way in
                self.state.degrade(f"getUpdates failed ({describe(error)})", RETRY_HINT)
                await asyncio.sleep(waits.next(asked_wait(error)))
                if isinstance(error, Conflict):   # a webhook was set meanwhile: remove it again
                    await self._delete_webhook()
                continue
            self.state.recover()
            waits.reset()

    async def _poll_once(self) -> None:
        """One ``getUpdates``: take every readable update; raise ``UnexpectedAnswer`` for unreadable ones
        (after taking the rest)."""
        assert self.bot is not None
        updates = await self.bot.get_raw_updates(self._offset, POLL_TIMEOUT_SECONDS, ALLOWED_UPDATES)
        unreadable = self._take(updates)
        if unreadable:
            raise UnexpectedAnswer(f"unreadable update in the batch: {unreadable[0]}")

    def _take(self, updates: List[Any]) -> List[str]:
        """Accept each update of a batch and move the offset past everything seen (even broken updates);
        why each unreadable update could not be read."""
        unreadable: List[str] = []
        for raw in updates:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if isinstance(update_id, int) and not isinstance(update_id, bool):
                self._offset = max(self._offset or 0, update_id + 1)
            try:
                self.accept(parse_update(raw))
            except RequestError as error:
                unreadable.append(str(error))
            except Exception:  # noqa: BLE001 - one bad update must not stop the others
                logger.exception("telegram channel: failed to take update %s", update_id)
        return unreadable

    async def _delete_webhook(self) -> None:
        assert self.bot is not None
        try:
            await self.bot.delete_webhook(drop_pending_updates=False)
        except Exception as error:  # noqa: BLE001 - getUpdates tells whether a webhook is still in the way
            self.state.degrade(f"deleteWebhook failed ({describe(error)})", RETRY_HINT)


async def _retry(attempt: Callable[[], Awaitable[bool]], policy: Backoff, now: bool = False) -> None:
    """Call ``attempt`` until it returns True: first at once when ``now``, else after ``policy``'s first
    wait; each further failure waits as ``policy`` says."""
    if now and await attempt():
        return
    waits = policy.schedule()
    while True:
        await asyncio.sleep(waits.next())
        if await attempt():
            return
