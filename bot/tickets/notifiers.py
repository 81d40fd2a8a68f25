"""Tell human agents about a new ticket: a Telegram group message or a signed webhook.

A notifier's ``send`` either returns (delivered) or raises :class:`DeliveryError` (retry later). Each call
opens and closes its own HTTP client, so a notifier can be used from any thread and event loop.
"""
from __future__ import annotations

import hashlib
import hmac
import json
from typing import Optional, Protocol

import httpx
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.retrying import retry_after_seconds
from bot.tickets.model import Ticket
from bot.tickets.render import telegram_html, ticket_dict

TELEGRAM_API_URL = "https://api.telegram.org/bot"
DEFAULT_TIMEOUT_SECONDS = 10.0


class DeliveryError(Exception):
    """A notification could not be delivered now; ``retry_after`` (seconds) when the receiver asked for it."""

    def __init__(self, message: str, retry_after: Optional[float] = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Undeliverable(DeliveryError):
    """A message that can never be delivered as it is (e.g. WhatsApp's 24-hour window closed); not retried."""


class Notifier(Protocol):
    """Something that delivers a ticket to agents."""

    name: str

    async def send(self, ticket: Ticket, idempotency_key: str) -> None:
        """Deliver ``ticket``; raise :class:`DeliveryError` on failure."""


class TelegramNotifier:
    """Posts the ticket summary (HTML) to the agents' Telegram group through the Bot API."""

    def __init__(self, name: str, token: str, chat_id: str, base_url: str = TELEGRAM_API_URL,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.name = name
        self._token = token
        self._chat_id = chat_id
        self._base_url = base_url
        self._timeout = timeout

    def _without_token(self, text: str) -> str:
        return text.replace(self._token, "<token>")

    async def send(self, ticket: Ticket, idempotency_key: str) -> None:
        """Send the message; Telegram has no idempotency key, the outbox lease prevents double sends."""
        request = HTTPXRequest(connect_timeout=self._timeout, read_timeout=self._timeout,
                               write_timeout=self._timeout, pool_timeout=self._timeout)
        try:
            async with Bot(self._token, base_url=self._base_url, request=request) as bot:
                await bot.send_message(chat_id=self._chat_id, text=telegram_html(ticket), parse_mode=ParseMode.HTML,
                                       link_preview_options=LinkPreviewOptions(is_disabled=True))
        except RetryAfter as error:
            raise DeliveryError(f"Telegram rate limit: {error}",
                                retry_after=retry_after_seconds(error.retry_after)) from None
        except TelegramError as error:
            raise DeliveryError(self._without_token(f"Telegram: {type(error).__name__}: {error}")) from None


class WebhookNotifier:
    """POSTs the full ticket as JSON, signed with HMAC-SHA256 (``X-Signature-256: sha256=<hex>``)."""

    def __init__(self, name: str, url: str, secret: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.name = name
        self._url = url
        self._secret = secret.encode("utf-8")
        self._timeout = timeout

    def signature(self, body: bytes) -> str:
        """The ``X-Signature-256`` header value for ``body``."""
        return "sha256=" + hmac.new(self._secret, body, hashlib.sha256).hexdigest()

    async def send(self, ticket: Ticket, idempotency_key: str) -> None:
        """POST the ticket; any non-2xx answer or connection problem is a failure."""
        body = json.dumps(ticket_dict(ticket), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Signature-256": self.signature(body),
                   "Idempotency-Key": idempotency_key, "User-Agent": "kripto-cs-tickets"}
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
                response = await client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook: {type(error).__name__}: {error}") from None
        if not response.is_success:
            raise DeliveryError(f"webhook: HTTP {response.status_code} {response.text[:200]}",
                                retry_after=retry_after_seconds(response.headers.get("Retry-After")))
