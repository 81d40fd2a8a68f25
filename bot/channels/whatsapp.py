"""WhatsApp Business Cloud API channel (``/webhooks/whatsapp/webhook``).

Registered in ``credentials.yml`` as ``bot.channels.WhatsAppInput``. Settings come from the environment
(``credentials.yml`` may override each one):

| environment | credentials key | what |
| --- | --- | --- |
| ``WHATSAPP_VERIFY_TOKEN`` | ``verify_token`` | token Meta sends in the webhook verification handshake |
| ``WHATSAPP_APP_SECRET`` | ``app_secret`` | app secret: every POST must carry ``X-Hub-Signature-256`` made with it |
| ``WHATSAPP_ACCESS_TOKEN`` | ``access_token`` | bearer token for the Cloud API |
| ``WHATSAPP_PHONE_NUMBER_ID`` | ``phone_number_id`` | the business phone number id replies are sent from |
| ``WHATSAPP_API_BASE_URL`` | ``api_base_url`` | default ``https://graph.facebook.com/v21.0`` |

Without the first four the channel is disabled (one log line; its webhook answers 503).

``GET /webhook`` answers Meta's verification handshake. ``POST /webhook`` checks the signature of the raw
body (401 missing, 403 wrong), refuses malformed bodies with 4xx, drops message ids already handled (also
across restarts) and acknowledges with 200 at once; the messages are then handled in the background.
Text and tapped reply buttons / list rows (only ids the assistant issued to that customer) go to Rasa as
``wa-<wa_id>`` with ``customer_name`` in the metadata and secrets redacted; images, audio, stickers,
documents and locations get a polite "text only" reply; status callbacks are ignored.

``GET /webhooks/whatsapp/`` (and the ``whatsapp`` part of ``GET /health``) is ``ok``, or ``degraded`` with the
last problem once a reply could not be delivered because the Graph API is down or refuses the credentials;
webhooks are still acknowledged, and the next delivered reply makes it ``ok`` again.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text, Tuple

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import (
    BackgroundTasks,
    ChatQueue,
    RequestError,
    SeenStore,
    check_body_size,
    disabled_blueprint,
    redact_at_entry,
    setting,
)
from bot.channels.intake import WhenBusy, intake
from bot.channels.whatsapp_choices import ChoiceStore
from bot.channels.whatsapp_graph import DEFAULT_API_BASE_URL, GraphClient
from bot.channels.whatsapp_messages import choice_messages, choices_from_buttons, image_message, text_messages
from bot.channels.whatsapp_webhook import (
    SIGNATURE_HEADER,
    IncomingMessage,
    check_signature,
    parse_webhook,
    verify_handshake,
    wa_id_of,
)
from bot.handoff.customers import WhatsAppSender, WhatsAppTemplate, customer_senders
from bot.health import health
from bot.wording import APOLOGY, NON_TEXT_REPLY

logger = logging.getLogger(__name__)

CHANNEL = "whatsapp"


@dataclass(frozen=True)
class WhatsAppSettings:
    """What the channel needs to talk to the Cloud API."""

    verify_token: str = ""
    app_secret: str = ""
    access_token: str = ""
    phone_number_id: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    agent_template: Optional[WhatsAppTemplate] = None   # carries agents' replies outside the 24-hour window

    @classmethod
    def load(cls, credentials: Optional[Dict[str, Any]] = None) -> Tuple["WhatsAppSettings", List[str]]:
        """Settings from ``credentials`` or the environment, and the names of the required ones missing."""
        values = {key: setting(f"WHATSAPP_{key.upper()}", credentials, key)
                  for key in ("verify_token", "app_secret", "access_token", "phone_number_id")}
        missing = [f"WHATSAPP_{key.upper()}" for key, value in values.items() if not value]
        base = setting("WHATSAPP_API_BASE_URL", credentials, "api_base_url") or DEFAULT_API_BASE_URL
        template_name = setting("WHATSAPP_AGENT_TEMPLATE", credentials, "agent_template")
        template = WhatsAppTemplate(template_name, setting("WHATSAPP_TEMPLATE_LANGUAGE", credentials,
                                                           "template_language") or "id") if template_name else None
        return cls(api_base_url=base, agent_template=template, **values), missing


class WhatsAppOutput(OutputChannel):
    """Sends the assistant's replies to one WhatsApp customer through the Cloud API."""

    def __init__(self, graph: GraphClient, choices: ChoiceStore) -> None:
        self.graph = graph
        self.choices = choices
        self.attempted = 0   # messages tried (so the input channel knows whether the customer got anything)
        self.delivered = 0

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    async def _send(self, messages: List[Dict[str, Any]]) -> None:
        for message in messages:
            self.attempted += 1
            if await self.graph.send(message):
                self.delivered += 1

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        """Text, split over 4096 characters, markdown bold as WhatsApp bold."""
        await self._send(text_messages(wa_id_of(recipient_id), text))

    async def send_text_with_buttons(self, recipient_id: Text, text: Text, buttons: List[Dict[str, Any]],
                                     **kwargs: Any) -> None:
        """Up to 3 buttons as reply buttons, more as a list (at most 10 rows)."""
        to = wa_id_of(recipient_id)
        await self._send(choice_messages(to, text, choices_from_buttons(buttons), self.choices.issue))

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        """An image by link."""
        await self._send([image_message(wa_id_of(recipient_id), image)])

    async def send_attachment(self, recipient_id: Text, attachment: Any, **kwargs: Any) -> None:
        """Attachments are sent as their link/text."""
        if isinstance(attachment, str) and attachment.strip():
            await self.send_text_message(recipient_id, attachment)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[str, Any], **kwargs: Any) -> None:
        """Custom payloads are meant for other channels: never shown to a WhatsApp customer as raw JSON."""
        logger.debug("whatsapp: custom payload not sent to %s", recipient_id)


class WhatsAppInput(InputChannel):
    """WhatsApp Business Cloud API webhook."""

    def __init__(self, settings: WhatsAppSettings, missing: Optional[List[str]] = None) -> None:
        self.settings = settings
        self.missing = list(missing or [])
        self.tasks = BackgroundTasks()
        self._seen: Optional[SeenStore] = None
        self._choices: Optional[ChoiceStore] = None
        self._graph: Optional[GraphClient] = None
        self._queue = ChatQueue()

    @classmethod
    def name(cls) -> Text:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "WhatsAppInput":
        settings, missing = WhatsAppSettings.load(credentials)
        return cls(settings, missing)

    @property
    def enabled(self) -> bool:
        return not self.missing

    def _open(self) -> Tuple[SeenStore, ChoiceStore, GraphClient]:
        """The replay store, the issued-choices store and the Cloud API client (created on first use)."""
        if self._seen is None:
            self._seen, self._choices = SeenStore(), ChoiceStore()
            self._graph = GraphClient(self.settings.access_token, self.settings.phone_number_id,
                                      self.settings.api_base_url)
        assert self._choices is not None and self._graph is not None
        return self._seen, self._choices, self._graph

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Lets Rasa send proactive messages (e.g. ``trigger_intent`` with ``output_channel=whatsapp``)."""
        if not self.enabled:
            return None
        _, choices, graph = self._open()
        return WhatsAppOutput(graph, choices)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        if not self.enabled:
            return disabled_blueprint(CHANNEL, self.missing)
        _, choices, graph = self._open()
        # Flood limit, handoff gate, cap on Rasa (acknowledged messages wait in line: see bot.channels.intake)
        on_new_message = intake(on_new_message, WhenBusy.WAIT)
        customer_senders.register(CHANNEL, WhatsAppSender(lambda: WhatsAppOutput(graph, choices), graph,
                                                          self.settings.agent_template))
        webhook = Blueprint("whatsapp_webhook", __name__)

        def status() -> Dict[str, Any]:
            """ok, or degraded with the last problem while the Graph API is down or refuses the credentials."""
            return graph.state.status(**({"last_refusal": graph.last_refusal} if graph.last_refusal else {}))

        health.register(CHANNEL, status)

        @webhook.route("/", methods=["GET"])
        async def channel_health(_: Request) -> HTTPResponse:
            return response.json(status())

        @webhook.route("/webhook", methods=["GET"])
        async def handshake(request: Request) -> HTTPResponse:
            try:
                return response.text(verify_handshake(request.args, self.settings.verify_token))
            except RequestError as error:
                return response.text("Forbidden" if error.status == 403 else str(error), status=error.status)

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            raw = request.body or b""
            try:
                messages = self.accept(raw, request.headers.get(SIGNATURE_HEADER))
            except RequestError as error:
                return response.json({"error": str(error)}, status=error.status)
            if messages:
                self.tasks.spawn(self.process(messages, on_new_message), name="whatsapp webhook")
            return response.json({"status": "ok"})

        @webhook.listener("before_server_stop")
        async def shutdown(*_: Any) -> None:
            await self.tasks.drain(timeout=10)
            await graph.aclose()

        return webhook

    def accept(self, raw: bytes, signature: Optional[str]) -> List[IncomingMessage]:
        """The new customer messages of a webhook request: signature checked, body parsed, message ids
        already handled dropped. Raises ``RequestError`` (4xx) for requests that are refused."""
        seen, _, _ = self._open()
        check_body_size(raw)
        check_signature(raw, signature, self.settings.app_secret)
        messages = parse_webhook(raw, self.settings.phone_number_id, max_age_seconds=seen.keep_seconds)
        return [message for message in messages if seen.first_time(CHANNEL, message.message_id)]

    async def process(self, messages: List[IncomingMessage],
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Handle the messages of one webhook in order (one customer's messages never overlap)."""
        for message in messages:
            async with self._queue.turn(message.sender_id):
                await self.handle(message, on_new_message)

    async def handle(self, message: IncomingMessage, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Pass one message to Rasa (or answer a non-text one directly); the customer always gets a reply."""
        _, choices, graph = self._open()
        output = WhatsAppOutput(graph, choices)
        if message.kind == "non_text":
            await output.send_text_message(message.sender_id, NON_TEXT_REPLY)
            return
        text = message.text if message.kind == "text" else self.choice_text(message, choices)
        metadata: Dict[str, Any] = {"whatsapp_message_id": message.message_id}
        if message.customer_name:
            metadata["customer_name"] = message.customer_name
        # Secrets (seed phrases, keys, passwords, OTPs) never reach the tracker store or the logs.
        text, metadata = redact_at_entry(text, metadata)
        handled_by_gate = False
        try:
            handled_by_gate = await on_new_message(UserMessage(text, output, message.sender_id, input_channel=CHANNEL,
                                                               message_id=f"wa-{message.message_id}",
                                                               metadata=metadata)) is True
        except Exception:  # noqa: BLE001 - the customer must get an answer whatever failed
            logger.exception("whatsapp: failed to handle message %s", message.message_id)
        if output.attempted == 0 and not handled_by_gate:
            await output.send_text_message(message.sender_id, APOLOGY)

    @staticmethod
    def choice_text(message: IncomingMessage, choices: ChoiceStore) -> str:
        """The payload behind a tapped button/list row when we issued its id to this customer; otherwise
        the visible title, read like typed text (so a forged or expired id cannot inject a payload)."""
        payload = choices.resolve(message.wa_id, message.choice_id)
        if payload is not None:
            return payload
        logger.warning("whatsapp: reply id not issued to this customer (or expired); reading its title as text")
        return message.choice_title
