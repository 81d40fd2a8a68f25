"""Reaching the customer on the channel they used: one sender per channel, registered by the channel
when it starts in the Rasa server.

* Telegram: the channel's own Rasa output channel (buttons become inline keyboards).
* Web chat (socket.io): live to the session's open pages, acknowledged by the widget; otherwise the message
  waits in the outbox and is sent when the web chat reconnects (``session_request``).
* WhatsApp: the Cloud API, inside the 24-hour customer-service window (counted from the customer's last
  message, which the handoff records: the Cloud API itself accepts a free-form message outside the window and
  only reports error 131047 later, in a status webhook); outside it an approved template
  (``WHATSAPP_AGENT_TEMPLATE`` + ``WHATSAPP_TEMPLATE_LANGUAGE``, one body parameter) carries the message, and
  without one the message is undeliverable and the agent is told why.
* REST: nothing to push; the message is available at ``GET /webhooks/rest/messages?sender=<id>``.
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, Optional, Protocol

from rasa.core.channels.channel import OutputChannel

from bot.handoff.gate import rasa_message
from bot.handoff.model import Handoff, Outgoing, ThreadMessage
from bot.handoff.service import utc_now
from bot.tickets.notifiers import DeliveryError, Undeliverable

logger = logging.getLogger(__name__)

WHATSAPP_WINDOW = timedelta(hours=24)
MAX_TEMPLATE_PARAMETER_CHARS = 1000
_TEMPLATE_UNSAFE = re.compile(r"[\n\t]+| {4,}")


class CustomerSender(Protocol):
    """Delivers one thread message to one customer; raises DeliveryError / Undeliverable."""

    async def send(self, handoff: Handoff, message: ThreadMessage) -> None: ...


def _as_rasa(message: ThreadMessage) -> Dict[str, Any]:
    return rasa_message(Outgoing(message.text, message.author, message.buttons))


class OutputChannelSender:
    """Sends through a Rasa output channel that raises when the platform refuses (Telegram)."""

    def __init__(self, output: Callable[[], Optional[OutputChannel]]) -> None:
        self._output = output

    async def send(self, handoff: Handoff, message: ThreadMessage) -> None:
        output = self._output()
        if output is None:
            raise DeliveryError(f"{handoff.channel} channel is not connected yet")
        try:
            await output.send_response(handoff.customer_id, _as_rasa(message))
        except Exception as error:  # noqa: BLE001 - any platform failure: retry later
            raise DeliveryError(f"{handoff.channel}: {type(error).__name__}: {error}") from None


class SocketIOSender:
    """Sends to the web chat session's open pages and waits for a page to acknowledge the message.

    One bubble per message (Rasa's socket.io output would split a reply at blank lines and lose the agent's
    name on the later parts), with a ``delivery_id`` the widget uses to show a re-sent message only once.
    Without an acknowledgement (no page open, or the connection died unnoticed) the message stays in the
    outbox and goes out again when the web chat reconnects."""

    def __init__(self, sio: Any, bot_message_evt: str, namespace: Optional[str] = None,
                 ack_timeout: float = 5.0) -> None:
        self.sio = sio
        self.event = bot_message_evt
        self.namespace = namespace or "/"
        self.ack_timeout = ack_timeout

    def pages(self, session_id: str) -> list:
        """Socket ids of the pages in the session's room now."""
        rooms = getattr(self.sio.manager, "rooms", {}).get(self.namespace, {})
        return list(rooms.get(session_id) or {})

    async def send(self, handoff: Handoff, message: ThreadMessage) -> None:
        pages = self.pages(handoff.customer_id)
        if not pages:
            raise DeliveryError("web chat not connected; sent when the customer comes back")
        body: Dict[str, Any] = {"text": message.text, "delivery_id": f"handoff-{message.id}"}
        if message.buttons:
            body["quick_replies"] = [{"content_type": "text", "title": title, "payload": payload}
                                     for title, payload in message.buttons]
        results = await asyncio.gather(*(self._call(page, body) for page in pages))
        if not any(results):
            raise DeliveryError("no web chat page acknowledged the message; sent again when it reconnects")

    async def _call(self, page: str, body: Dict[str, Any]) -> bool:
        try:
            return bool(await self.sio.call(self.event, body, to=page, namespace=self.namespace,
                                            timeout=self.ack_timeout))
        except Exception:  # noqa: BLE001 - timeout or a page that just left: not acknowledged
            return False


class RestSender:
    """REST clients fetch agent messages themselves (``GET /webhooks/rest/messages``): storing is delivering."""

    async def send(self, handoff: Handoff, message: ThreadMessage) -> None:
        return None


@dataclass(frozen=True)
class WhatsAppTemplate:
    """An approved message template with one body parameter that carries the agent's text."""

    name: str
    language: str = "id"

    def message(self, to: str, text: str) -> Dict[str, Any]:
        """The Cloud API body of the template message."""
        parameter = _TEMPLATE_UNSAFE.sub(" ", text).strip()[:MAX_TEMPLATE_PARAMETER_CHARS]
        return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": "template",
                "template": {"name": self.name, "language": {"code": self.language},
                             "components": [{"type": "body", "parameters": [{"type": "text", "text": parameter}]}]}}


class WhatsAppSender:
    """Sends inside the 24-hour window; outside it, the template or an honest "undeliverable"."""

    def __init__(self, output: Callable[[], Any], graph: Any, template: Optional[WhatsAppTemplate] = None,
                 window: timedelta = WHATSAPP_WINDOW) -> None:
        self._output = output
        self.graph = graph
        self.template = template
        self.window = window

    def window_open(self, handoff: Handoff) -> bool:
        """Whether the customer wrote within the last 24 hours."""
        return utc_now() - handoff.last_customer_at < self.window

    async def send(self, handoff: Handoff, message: ThreadMessage) -> None:
        from bot.channels.whatsapp_webhook import wa_id_of

        if not self.window_open(handoff):
            await self._send_template(wa_id_of(handoff.customer_id), message)
            return
        output = self._output()
        await output.send_response(handoff.customer_id, _as_rasa(message))
        if output.delivered < output.attempted:
            raise DeliveryError(f"whatsapp: {output.attempted - output.delivered} of {output.attempted} parts not "
                                f"accepted {getattr(self.graph, 'last_refusal', '')}".strip())

    async def _send_template(self, to: str, message: ThreadMessage) -> None:
        if self.template is None:
            raise Undeliverable("jendela layanan 24 jam WhatsApp sudah lewat (pelanggan terakhir menulis lebih dari "
                                "24 jam lalu) dan tidak ada template yang disetujui (WHATSAPP_AGENT_TEMPLATE); minta "
                                "pelanggan menghubungi kami lagi atau hubungi lewat kanal lain")
        if not await self.graph.send(self.template.message(to, message.text)):
            raise DeliveryError(f"whatsapp template {self.template.name!r} not accepted "
                                f"{getattr(self.graph, 'last_refusal', '')}".strip())


class CustomerSenders:
    """The senders of the channels running in this process, by channel name."""

    def __init__(self) -> None:
        self._senders: Dict[str, CustomerSender] = {"rest": RestSender()}
        self.on_customer_back: Callable[[str], Awaitable[None]] = _nothing

    def register(self, channel: str, sender: CustomerSender) -> None:
        """Called by a channel when it starts."""
        self._senders[channel] = sender

    def channels(self) -> list:
        """Names of the channels that can be reached from here."""
        return sorted(self._senders)

    async def send(self, handoff: Handoff, message: ThreadMessage) -> None:
        sender = self._senders.get(handoff.channel)
        if sender is None:
            raise DeliveryError(f"{handoff.channel} channel is not running (not configured?)")
        await sender.send(handoff, message)

    async def customer_back(self, customer_id: str) -> None:
        """A customer reconnected (web chat): deliver what waits for them now."""
        try:
            await self.on_customer_back(customer_id)
        except Exception:  # noqa: BLE001 - a reconnect must never fail because of this
            logger.exception("handoff: could not retry waiting messages for %s", customer_id)


async def _nothing(_: str) -> None:
    return None


customer_senders = CustomerSenders()  # the Rasa server's channels register here
