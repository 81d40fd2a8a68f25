"""Alert the agents about a spike, through the same targets and the same durable outbox as ticket
notifications: the notifiers of ``notifiers.yml`` and the desks of ``desks.yml``.

An alert row is queued with its spike (one per target, one transaction) and delivered by an
:class:`AlertWorker` — leased, retried with backoff, never sent twice (see :mod:`bot.tickets.outbox`).
Targets: Telegram (a one-way notifier or the agents' Telegram group desk) gets a short HTML message, a
webhook gets signed JSON with ``"event": "incident_spike"``. Chatwoot has no place for a message outside a
conversation, so it gets no alerts.
"""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable, Dict, List, Mapping, Optional, Protocol, Tuple

import httpx
from telegram import Bot, LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.incidents import render
from bot.incidents.model import Incident
from bot.incidents.store import IncidentStore
from bot.retrying import retry_after_seconds
from bot.tickets.config import PathLike, read_config, text_value
from bot.tickets.delivery import OutboxWorker
from bot.tickets.notifiers import (
    DEFAULT_TIMEOUT_SECONDS,
    TELEGRAM_API_URL,
    DeliveryError,
    Undeliverable,
    WebhookNotifier,
)
from bot.tickets.outbox import Claim, Outbox, RetryPolicy
from bot.tickets.store import TicketStore

logger = logging.getLogger(__name__)


class AlertSender(Protocol):
    """Delivers a spike alert to one target."""

    name: str

    async def send(self, incident: Incident, idempotency_key: str) -> None:
        """Deliver; raise :class:`DeliveryError` to retry later."""


class TelegramAlertSender:
    """Posts the alert (HTML) to a Telegram chat, e.g. the agents' group."""

    def __init__(self, name: str, token: str, chat_id: str, base_url: str = TELEGRAM_API_URL,
                 timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.name, self._token, self._chat_id, self._base_url, self._timeout = name, token, chat_id, base_url, timeout

    async def send(self, incident: Incident, idempotency_key: str) -> None:
        request = HTTPXRequest(connect_timeout=self._timeout, read_timeout=self._timeout,
                               write_timeout=self._timeout, pool_timeout=self._timeout)
        try:
            async with Bot(self._token, base_url=self._base_url, request=request) as bot:
                await bot.send_message(chat_id=self._chat_id, text=render.alert_html(incident),
                                       parse_mode=ParseMode.HTML,
                                       link_preview_options=LinkPreviewOptions(is_disabled=True))
        except RetryAfter as error:
            raise DeliveryError(f"Telegram rate limit: {error}",
                                retry_after=retry_after_seconds(error.retry_after)) from None
        except TelegramError as error:
            message = f"Telegram: {type(error).__name__}: {error}".replace(self._token, "<token>")
            raise DeliveryError(message) from None


class WebhookAlertSender:
    """POSTs the alert as JSON, signed like ticket notifications (``X-Signature-256``)."""

    def __init__(self, name: str, url: str, secret: str, timeout: float = DEFAULT_TIMEOUT_SECONDS) -> None:
        self.name = name
        self._signer = WebhookNotifier(name, url=url, secret=secret, timeout=timeout)
        self._url, self._timeout = url, timeout

    async def send(self, incident: Incident, idempotency_key: str) -> None:
        body = json.dumps(render.alert_dict(incident), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        headers = {"Content-Type": "application/json; charset=utf-8", "X-Signature-256": self._signer.signature(body),
                   "Idempotency-Key": idempotency_key, "User-Agent": "kripto-cs-incidents"}
        try:
            async with httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client:
                response = await client.post(self._url, content=body, headers=headers)
        except httpx.HTTPError as error:
            raise DeliveryError(f"webhook: {type(error).__name__}: {error}") from None
        if not response.is_success:
            raise DeliveryError(f"webhook: HTTP {response.status_code} {response.text[:200]}",
                                retry_after=retry_after_seconds(response.headers.get("Retry-After")))


def _timeout(entry: Mapping[str, Any]) -> float:
    try:
        return float(text_value(entry, "timeout") or DEFAULT_TIMEOUT_SECONDS)
    except ValueError:
        return DEFAULT_TIMEOUT_SECONDS


def _telegram(name: str, entry: Mapping[str, Any]) -> AlertSender:
    return TelegramAlertSender(name, text_value(entry, "token"), text_value(entry, "chat_id"),
                               text_value(entry, "base_url") or TELEGRAM_API_URL, _timeout(entry))


def _webhook(name: str, entry: Mapping[str, Any]) -> Optional[AlertSender]:
    if not text_value(entry, "url").startswith(("http://", "https://")):
        return None
    return WebhookAlertSender(name, text_value(entry, "url"), text_value(entry, "secret"), _timeout(entry))


# kind in notifiers.yml / desks.yml -> (required values, builder)
ALERT_KINDS: Dict[str, Tuple[Tuple[str, ...], Callable[[str, Mapping[str, Any]], Optional[AlertSender]]]] = {
    "telegram": (("token", "chat_id"), _telegram),
    "telegram_group": (("token", "chat_id"), _telegram),
    "webhook": (("url", "secret"), _webhook),
}


def alert_entries(notifiers: Optional[PathLike] = None, desks: Optional[PathLike] = None) -> Dict[str, Mapping]:
    """Configured notifiers and desks that can take alerts, by name (configured or not yet)."""
    from bot.desks.config import desks_path  # here: bot.desks imports the live handoff

    entries = {**read_config(notifiers), **read_config(desks_path(desks), section="desks")}
    return {name: entry for name, entry in entries.items() if text_value(entry, "kind") in ALERT_KINDS}


def alert_target_names(notifiers: Optional[PathLike] = None, desks: Optional[PathLike] = None) -> List[str]:
    """Names an alert is queued for: a target that is not configured yet keeps its alert waiting."""
    return list(alert_entries(notifiers, desks))


def load_alert_senders(notifiers: Optional[PathLike] = None,
                       desks: Optional[PathLike] = None) -> Dict[str, AlertSender]:
    """Senders of the targets whose required values are set."""
    senders: Dict[str, AlertSender] = {}
    for name, entry in alert_entries(notifiers, desks).items():
        required, build = ALERT_KINDS[text_value(entry, "kind")]
        if all(text_value(entry, key) for key in required):
            sender = build(name, entry)
            if sender is not None:
                senders[name] = sender
    return senders


class AlertWorker(OutboxWorker):
    """Empties the incident outbox through the alert senders."""

    kind = "incident alert"

    def __init__(self, store: IncidentStore, senders: Mapping[str, AlertSender],
                 retry: RetryPolicy = RetryPolicy()) -> None:
        super().__init__(TicketStore(store.database), {}, retry=retry)
        self.incidents = store
        self.senders = dict(senders)

    @property
    def outbox(self) -> Outbox:
        return self.incidents.outbox

    def targets(self) -> List[str]:
        return list(self.senders)

    async def send(self, claim: Claim) -> None:
        incident = await asyncio.to_thread(self.incidents.get, str(claim.subject))
        if incident is None:
            raise Undeliverable(f"incident {claim.subject} not found")
        # Not the bare row id: ticket notifications use those, and a helpdesk may keep one key space.
        await self.senders[claim.target].send(incident, idempotency_key=f"incident:{claim.delivery_id}")
