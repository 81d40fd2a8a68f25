"""Button payloads: build them, and decide whether a ``/intent{...}`` text is one of ours.

Rasa treats any text starting with ``/`` as a pre-parsed intent, bypassing NLU. Customers must not
be able to inject intents or entities that way, so only payloads of the shapes below are honoured;
everything else starting with ``/`` is treated as ordinary text.
"""
from __future__ import annotations

import json
import re
from typing import Dict, Mapping, Optional, Tuple

_ARTICLE_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")

# intent -> {entity name: pattern its value must match}
BUTTON_INTENTS: Dict[str, Dict[str, re.Pattern]] = {
    "affirm": {},
    "deny": {},
    "request_human": {},
    "greet": {},
    "choose_article": {"article_id": _ARTICLE_ID},
}
_PAYLOAD = re.compile(r"^/(?P<intent>[a-z_]{1,40})(?P<entities>\{.{0,200}\})?$", re.DOTALL)

# Payloads of the CSAT survey after a live handoff: answered by the handoff gate, never by the bot's NLU.
_TICKET_ID = re.compile(r"^CS-\d{8}-\d{4,6}$")
SURVEY_INTENTS: Dict[str, Dict[str, re.Pattern]] = {
    "csat": {"ticket": _TICKET_ID, "rating": re.compile(r"^[1-5]$")},
    "csat_skip": {"ticket": _TICKET_ID},
}


def button_payload(intent: str, **entities: str) -> str:
    """Return the payload text a button sends, e.g. ``/choose_article{"article_id":"memo-tag"}``."""
    if intent not in BUTTON_INTENTS and intent not in SURVEY_INTENTS:
        raise ValueError(f"{intent!r} is not a button intent")
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, separators=(',', ':'))}"


def is_own_button_payload(text: str) -> bool:
    """True when ``text`` is exactly a payload that one of our buttons sends to the bot (a Rasa intent)."""
    return parse_own_payload(text, BUTTON_INTENTS) is not None


def parse_own_payload(text: str, intents: Mapping[str, Mapping[str, re.Pattern]]) -> Optional[Tuple[str, Dict]]:
    """``(intent, entities)`` when ``text`` is exactly one of the payloads ``intents`` allows, else None."""
    match = _PAYLOAD.fullmatch(text.strip())
    if not match or match.group("intent") not in intents:
        return None
    intent, raw = match.group("intent"), match.group("entities")
    if raw is None:
        return None if intent in SURVEY_INTENTS else (intent, {})
    try:
        entities = json.loads(raw)
    except ValueError:
        return None
    if not _entities_allowed(entities, intents[intent]):
        return None
    if intent in SURVEY_INTENTS and set(entities) != set(SURVEY_INTENTS[intent]):
        return None  # a survey answer needs every field
    return intent, entities


def is_survey_payload(text: str) -> bool:
    """True when ``text`` is exactly a CSAT survey button's payload."""
    return parse_own_payload(text, SURVEY_INTENTS) is not None


def is_own_payload(text: str) -> bool:
    """Any payload one of the assistant's buttons sends (to the bot or to the survey)."""
    return is_own_button_payload(text) or is_survey_payload(text)


def _entities_allowed(entities: object, allowed: Mapping[str, re.Pattern]) -> bool:
    if not isinstance(entities, dict) or set(entities) - set(allowed):
        return False
    return all(isinstance(value, str) and allowed[key].fullmatch(value) for key, value in entities.items())
