"""What the Telegram channel does with an update, in both modes: replay check, one chat at a time, the
reply to non-text messages, callback answers, and handing text to Rasa (redacted) with the typing indicator.
Polling mode's ``getUpdates`` loop lives here too.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional

from rasa.core.channels.channel import UserMessage
from telegram.error import Conflict, InvalidToken, TelegramError

from bot.channels.common import (APOLOGY, NON_TEXT_REPLY, BackgroundTasks, ChatQueue, RequestError, SeenStore,
                                 redact_at_entry)
from bot.channels.telegram_buttons import ButtonStore
from bot.channels.telegram_output import ChannelBot, TelegramOutput, make_bot, typing
from bot.channels.telegram_updates import CALLBACK, IGNORED, NON_TEXT, START, Incoming, parse_update

logger = logging.getLogger(__name__)

CHANNEL = "telegram"
GREET_PAYLOAD = "/greet"                   # one of the assistant's own button payloads (nlu/payloads.py)
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT_SECONDS = 25
MAX_BACKOFF_SECONDS = 30.0


class TelegramRuntime:
    """The running channel: bot client, stores, background work and (polling mode) the update loop."""

    def __init__(self, token: str, api_base_url: str,
                 on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        self.token = token
        self.api_base_url = api_base_url
        self.on_new_message = on_new_message
        self.bot_id = token.split(":", 1)[0]
        self.seen = SeenStore()
        self.buttons = ButtonStore()
        self.tasks = BackgroundTasks()
        self.queue = ChatQueue()
        self.bot: Optional[ChannelBot] = None
        self.output: Optional[TelegramOutput] = None
        self.problem: Optional[str] = None   # why the channel is degraded (shown by its health route)
        self._poller: Optional[asyncio.Task] = None
        self._connector: Optional[asyncio.Task] = None

    def open(self) -> None:
        """Create the bot client (no network yet), before the server accepts requests."""
        # httpx logs every request URL at INFO, and Bot API URLs contain the bot token.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        self.bot = make_bot(self.token, self.api_base_url)
        self.output = TelegramOutput(self.bot, self.buttons)

    async def start(self) -> None:
        """Check the token (getMe). Any failure (refused, timed out, an answer the library cannot read)
        marks the channel degraded with one log line and is retried in the background with backoff; it is
        never fatal, and the other channels keep serving."""
        if self.bot is None:
            self.open()
        if not await self._connect():
            self._connector = asyncio.ensure_future(self._keep_connecting())

    async def _connect(self) -> bool:
        assert self.bot is not None
        try:
            await self.bot.initialize()
        except Exception as error:  # noqa: BLE001 - whatever getMe does, the server must stay up
            problem = f"getMe failed ({type(error).__name__}: {error})"
            if problem != self.problem:
                logger.error("telegram channel degraded: %s; check TELEGRAM_BOT_TOKEN and TELEGRAM_API_BASE_URL; "
                             "retrying in the background (replies are still attempted)", problem)
            self.problem = problem
            return False
        if self.problem:
            logger.info("telegram channel recovered")
        self.problem = None
        logger.info("telegram channel: connected as @%s", self.bot.username)
        return True

    async def _keep_connecting(self) -> None:
        backoff = 1.0
        while True:
            await asyncio.sleep(backoff)
            if await self._connect():
                return
            backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)

    async def set_webhook(self, url: str, secret: str) -> None:
        """Register the public webhook URL with Telegram (webhook mode)."""
        assert self.bot is not None
        try:
            await self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)
            logger.info("telegram channel: webhook set to %s", url)
        except Exception as error:  # noqa: BLE001 - a bad answer must not take the server down
            self.problem = f"setWebhook failed ({type(error).__name__}: {error})"
            logger.error("telegram channel degraded: %s", self.problem)

    def start_polling(self) -> None:
        """Start the ``getUpdates`` loop (polling mode)."""
        self._poller = asyncio.ensure_future(self._poll())

    async def stop(self) -> None:
        """Stop polling (and reconnecting), let running replies finish (briefly), close the HTTP client."""
        for task in (self._poller, self._connector):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        self._poller = self._connector = None
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
        """``deleteWebhook`` first (Telegram refuses getUpdates while a webhook is set), then long-poll."""
        assert self.bot is not None
        await self._delete_webhook()
        offset: Optional[int] = None
        backoff = 1.0
        while True:
            try:
                updates = await self.bot.get_raw_updates(offset, POLL_TIMEOUT_SECONDS, ALLOWED_UPDATES)
                backoff = 1.0
            except Conflict as error:
                logger.warning("telegram channel: getUpdates conflict (%s); removing the webhook again", error)
                await asyncio.sleep(backoff)
                await self._delete_webhook()
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            except (TelegramError, OSError) as error:
                level = logging.ERROR if isinstance(error, InvalidToken) else logging.WARNING
                logger.log(level, "telegram channel: getUpdates failed (%s: %s); retrying in %.0f s",
                           type(error).__name__, error, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            except Exception:  # noqa: BLE001 - the loop must survive anything; it is the only way in
                logger.exception("telegram channel: getUpdates failed; retrying in %.0f s", backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF_SECONDS)
                continue
            offset = self._take(updates, offset)

    def _take(self, updates: List[Any], offset: Optional[int]) -> Optional[int]:
        """Accept each update of a batch; the next offset (confirms everything seen, even broken updates)."""
        for raw in updates:
            update_id = raw.get("update_id") if isinstance(raw, dict) else None
            if isinstance(update_id, int) and not isinstance(update_id, bool):
                offset = max(offset or 0, update_id + 1)
            try:
                self.accept(parse_update(raw))
            except RequestError as error:
                logger.warning("telegram channel: skipped an unreadable update: %s", error)
            except Exception:  # noqa: BLE001 - one bad update must not stop the others
                logger.exception("telegram channel: failed to take update %s", update_id)
        return offset

    async def _delete_webhook(self) -> None:
        assert self.bot is not None
        try:
            await self.bot.delete_webhook(drop_pending_updates=False)
        except TelegramError as error:
            logger.warning("telegram channel: deleteWebhook failed (%s: %s)", type(error).__name__, error)
