"""Read what the customer said and what the assistant did from a rasa-sdk tracker."""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional

from rasa_sdk import Tracker

from nlu.entities import RULE_EXTRACTOR, Entity
from nlu.input_checks import INPUT_KIND_KEY, InputKind, classify_input


def latest_user_event(tracker: Tracker) -> Optional[Dict[str, Any]]:
    """The customer's last ``user`` event, if any."""
    return next((e for e in reversed(tracker.events) if e.get("event") == "user"), None)


def latest_user_text(tracker: Tracker) -> str:
    """The customer's last message exactly as sent (``latest_message`` holds the normalised text)."""
    event = latest_user_event(tracker)
    if event is not None:
        return event.get("text") or ""
    return tracker.latest_message.get("text") or ""


def latest_input_kind(tracker: Tracker) -> InputKind:
    """What kind of text the last message is, as the NLU pipeline classified it; a message that skipped the
    pipeline (a button payload) is classified here."""
    parse_data = (latest_user_event(tracker) or {}).get("parse_data") or {}
    recorded = parse_data.get(INPUT_KIND_KEY)
    known = {kind.value for kind in InputKind}
    return InputKind(recorded) if recorded in known else classify_input(latest_user_text(tracker))


def latest_rule_entities(tracker: Tracker) -> Optional[List[Entity]]:
    """The entities the pipeline's rule extractor found in the last message's text (spans index
    :func:`latest_user_text`); None when the message did not go through the pipeline."""
    parse_data = (latest_user_event(tracker) or {}).get("parse_data") or {}
    if INPUT_KIND_KEY not in parse_data:
        return None
    return [Entity.from_dict(item) for item in parse_data.get("entities") or []
            if item.get("extractor") == RULE_EXTRACTOR]


def previous_user_text(tracker: Tracker) -> str:
    """The customer's message before the last one (e.g. the question an article answered)."""
    users = [e for e in tracker.events if e.get("event") == "user"]
    return (users[-2].get("text") or "") if len(users) >= 2 else ""


def latest_intent(tracker: Tracker) -> Optional[str]:
    """Name of the intent recognised in the last user message."""
    return (tracker.latest_message.get("intent") or {}).get("name")


def latest_entities(tracker: Tracker, entity: str) -> List[str]:
    """Values of one entity type in the last user message, in order, without duplicates."""
    values: List[str] = []
    for item in tracker.latest_message.get("entities") or []:
        if item.get("entity") == entity and item.get("value") not in values:
            values.append(str(item.get("value")))
    return values


def previous_bot_action(tracker: Tracker) -> Optional[str]:
    """The last action (other than listening) that ran before the customer's last message."""
    seen_user = False
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            if seen_user:
                return None
            seen_user = True
        elif seen_user and event.get("event") == "action" and event.get("name") != "action_listen":
            return event.get("name")
    return None


def user_metadata(tracker: Tracker) -> Dict[str, Any]:
    """Channel metadata of the last user message (e.g. the customer's first name)."""
    return (latest_user_event(tracker) or {}).get("metadata") or {}


# Metadata keys under which channels report the customer's name (Telegram first name, WhatsApp profile name).
NAME_KEYS = ("customer_name", "first_name", "name", "profile_name")


def customer_name(events: Iterable[Dict[str, Any]]) -> Optional[str]:
    """The most recent name a channel reported for the customer, if any."""
    for event in reversed(list(events)):
        metadata = (event.get("metadata") or {}) if event.get("event") == "user" else {}
        for key in NAME_KEYS:
            value = metadata.get(key)
            if isinstance(value, str) and value.strip():
                return " ".join(value.split())[:100]
    return None
