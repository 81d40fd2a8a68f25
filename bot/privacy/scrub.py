"""What is left of a ticket, a handoff message or an analytics event once its personal data is removed.

Pure functions, shared by the retention purge and a customer's erasure.

* A ticket keeps what metrics and reports read (id, status, times, customer id, channel, category,
  priority, sentiment, knowledge-base articles, secret flags) and loses its customer name, summary,
  details, transcript and dedupe key. Its handoff messages keep their rows (author, direction, time) and
  lose their text, except the secrets warnings the report counts (our own words).
* An analytics event keeps exactly what :func:`bot.analytics.conversations.signal_of` reads: its kind,
  time, sender, channel, intent, the kinds of secrets / personal data that were masked, the assistant's
  own analytics-relevant replies and the slots ``kb_article``, ``kb_helpful``, ``handoff_ticket``. A
  customer's free text is replaced by :data:`PLACEHOLDER`, and the mood the report would have read from it
  is kept (``metadata.retained_mood``), so every aggregate of ``python -m bot.report`` stays the same.
  Only the knowledge-base gap examples of such old periods show the placeholder.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Optional

from bot.analytics.conversations import RELEVANT_SLOTS, RETAINED_MOOD, cached_mood, reply_kind
from bot.report.sources import SECRET_WARNING_PREFIX
from nlu.payloads import is_own_payload

PLACEHOLDER = "[dihapus]"
SCRUBBED_MARK = "privacy_scrubbed"   # top-level key of a scrubbed analytics event
KEPT_METADATA = ("redacted_secrets", "masked_personal_data", RETAINED_MOOD)  # kinds only, never values
KEPT_PARSE_DATA = ("intent", "intent_ranking")


def scrubbed_ticket_values() -> Dict[str, Any]:
    """Column values that replace a ticket's personal fields (``scrubbed_at`` is set by the caller)."""
    return {"customer_name": None, "summary": PLACEHOLDER, "details": [], "transcript": [], "dedupe_key": None}


def kept_message_text(text: str) -> str:
    """A handoff message's text once scrubbed: the secrets warning stays (the report counts it), any other
    text is replaced."""
    return text if text.startswith(SECRET_WARNING_PREFIX) else PLACEHOLDER


def is_scrubbed(event: Dict[str, Any]) -> bool:
    return event.get(SCRUBBED_MARK) is True


def scrub_event(event: Dict[str, Any], sender_id: Optional[str] = None,
                mood_of: Callable[[str], str] = cached_mood) -> Dict[str, Any]:
    """A copy of a published tracker event without personal data (see the module docstring); ``sender_id``
    replaces the event's sender (erasure). Scrubbing a scrubbed event changes nothing but the sender."""
    kind = event.get("event")
    scrubbed = {key: value for key, value in event.items()
                if key not in ("text", "parse_data", "metadata", "data", "entities", "value", "action_text")}
    if sender_id is not None and "sender_id" in event:
        scrubbed["sender_id"] = sender_id
    metadata = {key: value for key, value in (event.get("metadata") or {}).items() if key in KEPT_METADATA}
    if "text" in event:
        text = event.get("text")
        if kind == "user":
            if not isinstance(text, str) or not text.strip() or is_own_payload(text) or text == PLACEHOLDER:
                scrubbed["text"] = text   # nothing the customer wrote (or already scrubbed)
            else:
                metadata.setdefault(RETAINED_MOOD, mood_of(text))
                scrubbed["text"] = PLACEHOLDER
        elif kind == "bot":
            scrubbed["text"] = text if isinstance(text, str) and reply_kind(text) else PLACEHOLDER
        else:
            scrubbed["text"] = PLACEHOLDER if text is not None else None
    if "parse_data" in event:
        parse_data = event.get("parse_data") or {}
        scrubbed["parse_data"] = {key: value for key, value in parse_data.items() if key in KEPT_PARSE_DATA}
        scrubbed["parse_data"].update(text=scrubbed.get("text"), entities=[])
    if "metadata" in event or metadata:
        scrubbed["metadata"] = metadata
    if "data" in event:
        scrubbed["data"] = {}
    if "entities" in event:
        scrubbed["entities"] = []
    if "value" in event:
        scrubbed["value"] = event.get("value") if kind == "slot" and event.get("name") in RELEVANT_SLOTS else None
    if "action_text" in event:
        scrubbed["action_text"] = None
    scrubbed[SCRUBBED_MARK] = True
    return scrubbed
