"""Telegram channel (python-telegram-bot), registered in ``credentials.yml`` as ``bot.channels.TelegramInput``.

Two modes:

* **webhook** — Telegram POSTs updates to ``/webhooks/telegram/webhook``. Each request must carry the
  ``X-Telegram-Bot-Api-Secret-Token`` header with ``TELEGRAM_WEBHOOK_SECRET`` (compared in constant time,
  403 otherwise); bodies that are not a valid update get a 4xx; valid ones are acknowledged with 200 at
  once and handled in the background. With ``TELEGRAM_WEBHOOK_URL`` set, ``setWebhook`` is called on start
  (retried with backoff until Telegram accepts it).
* **polling** — for local use without a public URL: ``deleteWebhook``, then a ``getUpdates`` loop that
  starts with the Rasa server and stops with it.

Settings (environment; the same keys in ``credentials.yml`` override): ``TELEGRAM_BOT_TOKEN``
(``bot_token``), ``TELEGRAM_MODE`` (``mode``: webhook | polling; default webhook when a secret is set,
else polling), ``TELEGRAM_WEBHOOK_SECRET`` (``webhook_secret``), ``TELEGRAM_WEBHOOK_URL`` (``webhook_url``),
``TELEGRAM_API_BASE_URL`` (``api_base_url``, default ``https://api.telegram.org/bot``). Without a token —
or in webhook mode without a secret — the channel is disabled with one log line.

Conversations are ``tg-<chat_id>``; the metadata carries ``customer_name`` (first name) and
``telegram_user_id``; secrets are redacted before Rasa sees the text; each ``update_id`` is handled once,
also across restarts (``CHANNEL_STATE_DB``).

``GET /webhooks/telegram/`` (and the ``telegram`` part of ``GET /health``) is ``ok``, or ``degraded`` with the
problem while the Bot API is unreachable, refuses the token or answers something unexpected; the channel
retries in the background and recovers without a restart (see :mod:`bot.channels.telegram_runtime`).
"""
from __future__ import annotations

import hmac
import logging
import re
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import RequestError, disabled_blueprint, setting
from bot.channels.intake import WhenBusy, intake
from bot.channels.telegram_output import TelegramOutput
from bot.channels.telegram_runtime import CHANNEL, TelegramRuntime
from bot.channels.telegram_updates import parse_webhook_body
from bot.handoff.customers import OutputChannelSender, customer_senders
from bot.health import health
from bot.singleton import SingletonJob

logger = logging.getLogger(__name__)

WEBHOOK, POLLING = "webhook", "polling"
DEFAULT_API_BASE_URL = "https://api.telegram.org/bot"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SECRET_FORMAT = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class TelegramSettings:
    """The channel's configuration, resolved from ``credentials.yml`` and the environment."""

    token: str = ""
    mode: str = POLLING
    webhook_secret: str = ""
    webhook_url: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL

    @classmethod
    def load(cls, credentials: Optional[Dict[str, Any]] = None) -> "TelegramSettings":
        secret = setting("TELEGRAM_WEBHOOK_SECRET", credentials, "webhook_secret")
        return cls(token=setting("TELEGRAM_BOT_TOKEN", credentials, "bot_token"),
                   mode=resolve_mode(setting("TELEGRAM_MODE", credentials, "mode"), secret),
                   webhook_secret=secret,
                   webhook_url=setting("TELEGRAM_WEBHOOK_URL", credentials, "webhook_url"),
                   api_base_url=setting("TELEGRAM_API_BASE_URL", credentials, "api_base_url") or DEFAULT_API_BASE_URL)

    def missing(self) -> List[str]:
        """What must still be set before the channel can run (empty when it is ready)."""
        if not self.token:
            return ["TELEGRAM_BOT_TOKEN"]
        if self.mode not in (WEBHOOK, POLLING):
            return [f"TELEGRAM_MODE to '{WEBHOOK}' or '{POLLING}' (not {self.mode!r})"]
        if self.mode == WEBHOOK and not self.webhook_secret:
            return ["TELEGRAM_WEBHOOK_SECRET (webhook mode never accepts unauthenticated updates)"]
        if self.mode == WEBHOOK and not SECRET_FORMAT.fullmatch(self.webhook_secret):
            return ["TELEGRAM_WEBHOOK_SECRET to 1-256 characters A-Z, a-z, 0-9, _ or - (Telegram's rule)"]
        return []


def resolve_mode(mode: str, secret: str) -> str:
    """``TELEGRAM_MODE`` lower-cased; when empty, webhook if a secret is set, else polling."""
    mode = mode.strip().lower()
    return mode or (WEBHOOK if secret else POLLING)


def secret_matches(given: str, secret: str) -> bool:
    """Constant-time comparison of the webhook secret header."""
    return bool(secret) and hmac.compare_digest(given.encode("utf-8"), secret.encode("utf-8"))


class TelegramInput(InputChannel):
    """Telegram input channel (webhook or polling) answering through :class:`TelegramOutput`."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "TelegramInput":
        return cls(TelegramSettings.load(credentials))

    def __init__(self, settings: Optional[TelegramSettings] = None) -> None:
        self.settings = settings or TelegramSettings.load()
        self.runtime: Optional[TelegramRuntime] = None

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Lets Rasa push messages (e.g. ``trigger_intent``) to Telegram conversations."""
        return self.runtime.output if self.runtime else None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        missing = self.settings.missing()
        if missing:
            return disabled_blueprint("Telegram", missing)
        settings = self.settings
        runtime = self.runtime = TelegramRuntime(settings.token, settings.api_base_url,
                                                 intake(on_new_message, WhenBusy.WAIT))
        customer_senders.register(CHANNEL, OutputChannelSender(lambda: runtime.output))
        webhook = Blueprint("telegram_webhook", __name__)

        @webhook.listener("before_server_start")
        async def open_client(*_: Any) -> None:
            runtime.open()

        # Telegram allows one getUpdates poller per bot: with several Sanic workers or replicas, the process
        # holding this lease polls (bot.singleton); every process still answers and sends.
        polling = SingletonJob(f"telegram:getUpdates:{runtime.bot_id}", runtime.start_polling, runtime.stop_polling)

        @webhook.listener("after_server_start")
        async def start(*_: Any) -> None:
            # In the background: an unreachable or hanging Bot API must not delay the other channels.
            runtime.launch(False, settings.webhook_url if settings.mode == WEBHOOK else "", settings.webhook_secret)
            if settings.mode == POLLING:
                polling.launch()
                logger.info("telegram channel: polling for updates (in the process holding the polling lease)")
            elif not settings.webhook_url:
                logger.info("telegram channel: webhook mode; TELEGRAM_WEBHOOK_URL not set, so setWebhook is "
                            "left to you")

        @webhook.listener("before_server_stop")
        async def stop(*_: Any) -> None:
            await polling.close()
            await runtime.stop()

        def status() -> Dict[str, Any]:
            """ok, or degraded with the problem (Bot API unreachable, token refused, unexpected answers)."""
            return runtime.status(mode=settings.mode)

        health.register(CHANNEL, status)

        @webhook.route("/", methods=["GET"])
        async def channel_health(_: Request) -> HTTPResponse:
            return response.json(status())

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if settings.mode != WEBHOOK:
                return response.json({"error": "the Telegram channel runs in polling mode"}, status=404)
            if not secret_matches(request.headers.get(SECRET_HEADER, ""), settings.webhook_secret):
                return response.json({"error": "forbidden"}, status=403)
            try:
                incoming = parse_webhook_body(request.body or b"")
            except RequestError as error:
                return response.json({"error": str(error)}, status=error.status)
            duplicate = not runtime.accept(incoming)
            return response.json({"ok": True, "duplicate": duplicate})

        return webhook


__all__ = ["TelegramInput", "TelegramOutput", "TelegramSettings", "resolve_mode", "secret_matches"]
