"""Sending the assistant's replies to Telegram (python-telegram-bot): escaped HTML, split at 4096, buttons as
inline keyboards, and the "typing…" indicator while the assistant works.
"""
from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
from typing import Any, AsyncIterator, Dict, List, Optional, Text

from rasa.core.channels.channel import OutputChannel
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, LinkPreviewOptions
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import AIORateLimiter, ExtBot
from telegram.request import HTTPXRequest

from bot.channels.telegram_buttons import ButtonStore
from bot.channels.telegram_format import html_parts
from bot.channels.telegram_updates import chat_of
from bot.retrying import retry_after_seconds
from bot.wording import BUTTONS_ONLY_TEXT

logger = logging.getLogger(__name__)

TYPING_EVERY_SECONDS = 4.0   # Telegram shows "typing…" for 5 s per sendChatAction
MAX_RETRY_AFTER_SECONDS = 30.0
_TAG = re.compile(r"</?b>")


class UnexpectedAnswer(TelegramError):
    """The Bot API answered ``ok`` with a result the channel cannot use."""


def flood_limiter() -> AIORateLimiter:
    """python-telegram-bot's rate limiter with Telegram's documented limits (30 messages a second in all,
    20 a minute per group), so a burst waits its turn instead of earning a 429. It does not retry: a 429's
    ``Retry-After`` is handled where the call is made (one capped wait for a reply, the outbox's schedule
    for agent notifications)."""
    return AIORateLimiter(max_retries=0)


def _handled_here(record: logging.LogRecord) -> bool:
    """The limiter logs every 429 it passes on as an error with a traceback; the caller handles and logs it."""
    return "after maximum of 0 retries" not in record.getMessage()


logging.getLogger("telegram.ext.AIORateLimiter").addFilter(_handled_here)


class ChannelBot(ExtBot):
    """python-telegram-bot's bot with the flood limiter (see :func:`flood_limiter`), plus raw ``getUpdates``
    (plain JSON, so one odd update cannot break a whole batch)."""

    def __init__(self, token: str, **kwargs: Any) -> None:
        kwargs.setdefault("rate_limiter", flood_limiter())
        super().__init__(token, **kwargs)

    async def get_raw_updates(self, offset: Optional[int], timeout: int, allowed_updates: List[str]) -> List[Any]:
        """Long-poll ``getUpdates``; the updates as JSON values (each should be an object). Raises
        ``UnexpectedAnswer`` when the result is not an array."""
        data = {"offset": offset, "timeout": timeout, "allowed_updates": allowed_updates}
        result = await self._post("getUpdates", data, read_timeout=timeout + 10.0)
        if not isinstance(result, list):
            raise UnexpectedAnswer(f"result is {type(result).__name__}, not an array of updates")
        return result


def make_bot(token: str, base_url: str, timeout: float = 10.0) -> ChannelBot:
    """A bot for ``token`` talking to ``base_url`` (Telegram, a self-hosted Bot API, or a test double)."""
    request = HTTPXRequest(connection_pool_size=16, connect_timeout=timeout, read_timeout=timeout,
                           write_timeout=timeout, pool_timeout=timeout)
    updates_request = HTTPXRequest(connection_pool_size=1, connect_timeout=timeout, read_timeout=timeout,
                                   write_timeout=timeout, pool_timeout=timeout)
    return ChannelBot(token, base_url=base_url, request=request, get_updates_request=updates_request)


def plain_text(part: str) -> str:
    """An HTML part as plain text (used when Telegram refuses the HTML)."""
    return html.unescape(_TAG.sub("", part))


class TelegramOutput(OutputChannel):
    """Replies to a ``tg-<chat_id>`` conversation."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, bot: Bot, buttons: ButtonStore) -> None:
        self.bot = bot
        self.buttons = buttons

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send(chat_of(recipient_id), text)

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]],
                                     **kwargs: Any) -> None:
        chat_id = chat_of(recipient_id)
        rows = self.buttons.inline_keyboard(chat_id, buttons)
        markup = InlineKeyboardMarkup([[InlineKeyboardButton(b["text"], callback_data=b["callback_data"])
                                        for b in row] for row in rows]) if rows else None
        await self.send(chat_id, text if text and text.strip() else BUTTONS_ONLY_TEXT, markup)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.send(chat_of(recipient_id), image)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        await self.send(chat_of(recipient_id), attachment)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """Only a ``text`` inside custom JSON is shown; raw JSON never reaches the customer."""
        text = json_message.get("text") if isinstance(json_message, dict) else None
        if isinstance(text, str) and text.strip():
            await self.send(chat_of(recipient_id), text)
        else:
            logger.info("telegram: custom JSON without text not shown to %s", recipient_id)

    async def send(self, chat_id: int, text: str, markup: Optional[InlineKeyboardMarkup] = None) -> None:
        """Send ``text`` as one or more HTML messages; the keyboard goes under the last one."""
        parts = html_parts(text)
        for index, part in enumerate(parts):
            await self._send_part(chat_id, part, markup if index == len(parts) - 1 else None)

    async def _send_part(self, chat_id: int, part: str, markup: Optional[InlineKeyboardMarkup]) -> None:
        options: Dict[str, Any] = {"chat_id": chat_id, "reply_markup": markup,
                                   "link_preview_options": LinkPreviewOptions(is_disabled=True)}
        try:
            await self._with_retry(lambda: self.bot.send_message(text=part, parse_mode=ParseMode.HTML, **options))
        except BadRequest as error:   # HTML refused after all: the same words without formatting
            logger.warning("telegram: HTML message refused (%s); sending plain text", error)
            await self._with_retry(lambda: self.bot.send_message(text=plain_text(part), **options))
        except Forbidden:
            logger.info("telegram: chat %s blocked the bot; reply dropped", chat_id)

    @staticmethod
    async def _with_retry(call: Any) -> Any:
        """One retry after a rate limit (waiting what Telegram asks, capped) or a network hiccup."""
        try:
            return await call()
        except RetryAfter as error:
            await asyncio.sleep(retry_after_seconds(error.retry_after, cap=MAX_RETRY_AFTER_SECONDS) or 0.0)
        except (BadRequest, Forbidden):
            raise
        except TelegramError as error:
            logger.warning("telegram: %s: %s; retrying once", type(error).__name__, error)
            await asyncio.sleep(1.0)
        return await call()


async def _send_typing(bot: Bot, chat_id: int) -> None:
    try:
        await asyncio.wait_for(bot.send_chat_action(chat_id=chat_id, action=ChatAction.TYPING), TYPING_EVERY_SECONDS)
    except (TelegramError, asyncio.TimeoutError) as error:   # only a hint to the customer; never worth failing for
        logger.debug("telegram: typing action failed: %s", error)


async def _keep_typing(bot: Bot, chat_id: int) -> None:
    while True:
        await asyncio.sleep(TYPING_EVERY_SECONDS)
        await _send_typing(bot, chat_id)


@contextlib.asynccontextmanager
async def typing(bot: Bot, chat_id: int) -> AsyncIterator[None]:
    """Show "typing…" in ``chat_id`` (renewed every few seconds) until the block ends. The first action is
    sent before the block starts, so it shows even while the assistant keeps the event loop busy."""
    await _send_typing(bot, chat_id)
    task = asyncio.ensure_future(_keep_typing(bot, chat_id))
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
