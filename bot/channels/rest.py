"""Hardened REST input channel: validates requests and never answers a customer with silence.

Registered in ``credentials.yml`` as ``bot.channels.SafeRestInput``; it keeps the standard URL
``/webhooks/rest/webhook``. Malformed requests get a 4xx with a JSON error; a failure while handling a
valid message gets a polite apology instead of an empty reply. Secrets are redacted on entry. Only the
assistant's own button payloads are trusted as ``/intent`` messages (enforced in the NLU pipeline for
every channel). Flood limit and overload (:mod:`bot.channels.intake`): a sender over the per-minute limit
gets one "slow down" reply and then empty answers; when too many messages are waiting for Rasa the request
is answered 503 with ``Retry-After`` and a JSON error.
"""
from __future__ import annotations

import asyncio
import json
import logging
from asyncio import CancelledError
from typing import Any, Awaitable, Callable, Dict, Optional, Text, Tuple

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import RequestError, check_body_size, redact_at_entry
from bot.channels.intake import WhenBusy, intake
from bot.handoff.runtime import handoff_runtime
from bot.health import OK, health
from bot.limits.capacity import Overloaded
from bot.wording import APOLOGY

logger = logging.getLogger(__name__)

MAX_SENDER_CHARS = 128


def parse_rest_body(raw: bytes) -> Tuple[str, str, Optional[Dict[str, Any]]]:
    """Validate a REST webhook body; return ``(sender, text, metadata)`` or raise ``RequestError``."""
    check_body_size(raw)
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise RequestError(400, "body must be UTF-8 JSON") from None
    if not isinstance(payload, dict):
        raise RequestError(400, "body must be a JSON object")
    sender, text, metadata = payload.get("sender"), payload.get("message"), payload.get("metadata")
    if not isinstance(sender, str) or not sender.strip() or len(sender) > MAX_SENDER_CHARS:
        raise RequestError(400, f"'sender' must be a non-empty string of at most {MAX_SENDER_CHARS} characters")
    if not sender.isprintable():
        raise RequestError(400, "'sender' must not contain control characters")
    if not isinstance(text, str):
        raise RequestError(400, "'message' must be a string")
    if metadata is not None and not isinstance(metadata, dict):
        raise RequestError(400, "'metadata' must be a JSON object")
    return sender, text, metadata


class SafeRestInput(InputChannel):
    """REST channel (``POST /webhooks/rest/webhook``) with request validation."""

    @classmethod
    def name(cls) -> Text:
        return "rest"

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint(f"custom_webhook_{type(self).__name__}", __name__)
        # Flood limit, then the handoff gate (a conversation held by an agent never reaches the bot), then the
        # cap on Rasa: when too many messages wait, this request is answered 503 with Retry-After.
        handle = intake(on_new_message, WhenBusy.REFUSE)

        health.register(self.name(), lambda: {"status": OK})

        @webhook.route("/", methods=["GET"])
        async def rest_health(_: Request) -> HTTPResponse:
            return response.json({"status": OK})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            try:
                sender, text, metadata = parse_rest_body(request.body or b"")
            except RequestError as error:
                return response.json({"error": str(error)}, status=error.status)
            collector = CollectingOutputChannel()
            # Secrets (seed phrases, keys, passwords, OTPs) never reach the tracker store or the logs.
            text, metadata = redact_at_entry(text, metadata)
            handled_by_gate = False
            try:
                handled_by_gate = await handle(UserMessage(text, collector, sender, input_channel=self.name(),
                                                           metadata=metadata))
            except Overloaded as busy:   # the client may retry; nothing was processed
                return response.json({"error": "the assistant is busy; please retry shortly",
                                      "retry_after": busy.retry_after}, status=503,
                                     headers={"Retry-After": str(busy.retry_after)})
            except CancelledError:
                logger.error("rest channel: handling timed out for sender %s", sender)
            except Exception:  # noqa: BLE001 - the customer must get an answer whatever failed
                logger.exception("rest channel: failed to handle a message from %s", sender)
            if handled_by_gate:   # forwarded to the agent, or a dropped flood: the bot stays silent on purpose
                return response.json(collector.messages)
            return response.json(collector.messages or [{"recipient_id": sender, "text": APOLOGY}])

        @webhook.route("/messages", methods=["GET"])
        async def agent_messages(request: Request) -> HTTPResponse:
            """Agents' messages for a REST conversation (``?sender=<id>&after=<last id seen>``)."""
            sender = request.args.get("sender", "")
            try:
                after = int(request.args.get("after", "0") or 0)
            except ValueError:
                return response.json({"error": "'after' must be a whole number"}, status=400)
            if not sender or len(sender) > MAX_SENDER_CHARS or not sender.isprintable():
                return response.json({"error": "'sender' is required"}, status=400)
            try:
                store = (await asyncio.to_thread(handoff_runtime.get)).service.store
                found = await asyncio.to_thread(store.delivered_to_customer, sender, max(after, 0))
            except Exception as error:  # noqa: BLE001 - the ticket database is down
                logger.error("rest channel: agent messages unavailable: %s", error)
                return response.json({"error": "agent messages are temporarily unavailable"}, status=503)
            return response.json({"messages": [
                {"id": m.id, "ticket_id": m.ticket_id, "author": m.author, "text": m.text,
                 "buttons": [{"title": t, "payload": p} for t, p in m.buttons],
                 "created_at": int(m.created_at.timestamp())} for m in found]})

        return webhook
