"""WhatsApp Business Cloud API webhooks: the verification handshake, the ``X-Hub-Signature-256`` check and
reading the notification body into the messages the assistant has to answer.

Pure functions, no I/O: the channel (``bot.channels.whatsapp``) calls them from its routes.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import re
import time
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional

from bot.channels.common import RequestError, check_body_size

SIGNATURE_HEADER = "X-Hub-Signature-256"
SIGNATURE_PREFIX = "sha256="
MAX_CHALLENGE_CHARS = 1000
MAX_NAME_CHARS = 100
MAX_MESSAGE_ID_CHARS = 256

# Notifications that are not something the customer said to us: no reply at all.
IGNORED_TYPES = frozenset({"reaction", "system", "request_welcome", "ephemeral"})

_WA_ID = re.compile(r"^[0-9]{3,32}$")


@dataclass(frozen=True)
class IncomingMessage:
    """One customer message from a webhook.

    ``kind`` is ``text`` (``text`` holds it), ``choice`` (a tapped reply button or list row: ``choice_id``
    and ``choice_title``) or ``non_text`` (image, audio, sticker, document, location, ...).
    """

    message_id: str
    wa_id: str
    kind: str
    text: str = ""
    choice_id: str = ""
    choice_title: str = ""
    customer_name: str = ""
    timestamp: Optional[int] = None

    @property
    def sender_id(self) -> str:
        """The Rasa conversation id of the customer."""
        return sender_id_for(self.wa_id)


def sender_id_for(wa_id: str) -> str:
    """``wa-<wa_id>``: WhatsApp conversations never collide with other channels' ids."""
    return f"wa-{wa_id}"


def wa_id_of(sender_id: str) -> str:
    """The WhatsApp id (phone number) behind a ``wa-<wa_id>`` conversation id."""
    return sender_id[3:] if sender_id.startswith("wa-") else sender_id


def signature_for(raw: bytes, app_secret: str) -> str:
    """The ``X-Hub-Signature-256`` value Meta sends for ``raw`` (used by tests and fakes too)."""
    return SIGNATURE_PREFIX + hmac.new(app_secret.encode("utf-8"), raw, hashlib.sha256).hexdigest()


def check_signature(raw: bytes, header: Optional[str], app_secret: str) -> None:
    """Refuse a body whose signature is missing (401) or wrong (403); constant-time comparison."""
    if not header or not header.strip():
        raise RequestError(401, f"missing {SIGNATURE_HEADER} header")
    expected = signature_for(raw, app_secret).encode("ascii")
    given = header.strip().encode("utf-8", errors="replace")
    if not hmac.compare_digest(expected, given):
        raise RequestError(403, "signature does not match the body")


def verify_handshake(args: Mapping[str, Any], verify_token: str) -> str:
    """The ``hub.challenge`` to echo when ``hub.mode=subscribe`` and ``hub.verify_token`` match; else 403."""
    mode, token, challenge = (_first(args.get(key)) for key in ("hub.mode", "hub.verify_token", "hub.challenge"))
    token_ok = hmac.compare_digest(token.encode("utf-8", errors="replace"), verify_token.encode("utf-8"))
    if mode != "subscribe" or not token_ok:
        raise RequestError(403, "verification failed")
    if not challenge or len(challenge) > MAX_CHALLENGE_CHARS or not challenge.isprintable():
        raise RequestError(400, "hub.challenge missing or invalid")
    return challenge


def _first(value: Any) -> str:
    """A query argument as one string (Sanic gives lists)."""
    if isinstance(value, (list, tuple)):
        value = value[0] if value else ""
    return value if isinstance(value, str) else ""


def parse_webhook(raw: bytes, phone_number_id: Optional[str] = None,
                  max_age_seconds: Optional[float] = None, now: Optional[float] = None) -> List[IncomingMessage]:
    """The customer messages of a (signature-checked) webhook body, in order; raises ``RequestError`` (4xx)
    for bodies that are too large, not JSON or not shaped like a WhatsApp notification.

    Status callbacks (sent/delivered/read/failed), reactions and system notices give no message. Changes for
    another business phone number than ``phone_number_id`` are skipped, and so are messages older than
    ``max_age_seconds`` (a replay from beyond the replay store's memory).
    """
    check_body_size(raw)
    try:
        payload = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):   # RecursionError: absurdly deep nesting
        raise RequestError(400, "body must be UTF-8 JSON") from None
    body = _object(payload, "body")
    if body.get("object") != "whatsapp_business_account":
        raise RequestError(400, "'object' must be 'whatsapp_business_account'")
    messages: List[IncomingMessage] = []
    for entry in _list(body.get("entry"), "entry"):
        for change in _list(_object(entry, "entry[]").get("changes", []), "changes"):
            change = _object(change, "changes[]")
            if change.get("field", "messages") != "messages":
                continue
            messages.extend(_read_change(_object(change.get("value"), "value"), phone_number_id))
    if max_age_seconds is not None:
        current = time.time() if now is None else now
        messages = [m for m in messages if m.timestamp is None or current - m.timestamp <= max_age_seconds]
    return messages


def _read_change(value: Dict[str, Any], phone_number_id: Optional[str]) -> List[IncomingMessage]:
    metadata = _object(value.get("metadata", {}), "metadata")
    target = metadata.get("phone_number_id")
    if phone_number_id and target is not None and str(target) != phone_number_id:
        return []   # addressed to another number of the same app: not ours to answer
    _list(value.get("statuses", []), "statuses")   # delivery receipts: checked for shape, otherwise ignored
    names = _contact_names(_list(value.get("contacts", []), "contacts"))
    read = (_read_message(_object(m, "messages[]"), names) for m in _list(value.get("messages", []), "messages"))
    return [message for message in read if message is not None]


def _contact_names(contacts: List[Any]) -> Dict[str, str]:
    """wa_id -> profile name; key ``""`` holds the first contact's name (``contacts[0]``)."""
    names: Dict[str, str] = {}
    for contact in contacts:
        contact = _object(contact, "contacts[]")
        profile = _object(contact.get("profile", {}), "profile")
        name = _optional_str(profile.get("name"), "profile.name")
        wa_id = _optional_str(contact.get("wa_id"), "contacts[].wa_id")
        name = " ".join(name.split())[:MAX_NAME_CHARS]
        names.setdefault("", name)
        if wa_id:
            names[wa_id] = name
    return names


def _read_message(message: Dict[str, Any], names: Dict[str, str]) -> Optional[IncomingMessage]:
    message_id = _required_str(message.get("id"), "messages[].id")
    wa_id = _required_str(message.get("from"), "messages[].from")
    if len(message_id) > MAX_MESSAGE_ID_CHARS or not message_id.isprintable():
        raise RequestError(400, "'messages[].id' is not a message id")
    if not _WA_ID.fullmatch(wa_id):
        raise RequestError(400, "'messages[].from' is not a WhatsApp id")
    kind = _required_str(message.get("type"), "messages[].type")
    common: Dict[str, Any] = {"message_id": message_id, "wa_id": wa_id,
                              "customer_name": names.get(wa_id, names.get("", "")),
                              "timestamp": _timestamp(message.get("timestamp"))}
    if kind == "text":
        text = _required_str(_object(message.get("text"), "text").get("body"), "text.body", allow_empty=True)
        return IncomingMessage(kind="text", text=text, **common)
    if kind == "interactive":
        return _read_interactive(_object(message.get("interactive"), "interactive"), common)
    if kind == "button":   # quick reply of a template message: its text, read like typed text
        text = _required_str(_object(message.get("button"), "button").get("text"), "button.text", allow_empty=True)
        return IncomingMessage(kind="text", text=text, **common)
    if kind in IGNORED_TYPES:
        return None
    # image, audio, video, sticker, document, location, contacts, unsupported, and any type added later:
    # the customer is asked to write instead
    return IncomingMessage(kind="non_text", **common)


def _read_interactive(interactive: Dict[str, Any], common: Dict[str, Any]) -> Optional[IncomingMessage]:
    reply_type = _required_str(interactive.get("type"), "interactive.type")
    if reply_type not in ("button_reply", "list_reply"):
        return IncomingMessage(kind="non_text", **common)   # e.g. a flow reply (nfm_reply): not something we sent
    reply = _object(interactive.get(reply_type), reply_type)
    choice_id = _required_str(reply.get("id"), f"{reply_type}.id")
    title = _optional_str(reply.get("title"), f"{reply_type}.title")
    return IncomingMessage(kind="choice", choice_id=choice_id, choice_title=title, **common)


def _timestamp(value: Any) -> Optional[int]:
    if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).isdigit():
        return int(value)
    return None


def _object(value: Any, what: str) -> Dict[str, Any]:
    if not isinstance(value, dict):
        raise RequestError(400, f"'{what}' must be a JSON object")
    return value


def _list(value: Any, what: str) -> List[Any]:
    if not isinstance(value, list):
        raise RequestError(400, f"'{what}' must be a JSON array")
    return value


def _required_str(value: Any, what: str, allow_empty: bool = False) -> str:
    if not isinstance(value, str) or (not allow_empty and not value.strip()):
        raise RequestError(400, f"'{what}' must be a string" + ("" if allow_empty else " (not empty)"))
    return value


def _optional_str(value: Any, what: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise RequestError(400, f"'{what}' must be a string")
    return value
