"""Button payloads: build them, and decide whether a ``/intent{...}`` text is one of ours.

Rasa treats any text starting with ``/`` as a pre-parsed intent, bypassing NLU. Customers must not
be able to inject intents or entities that way, so only payloads of the shapes below are honoured;
everything else starting with ``/`` is treated as ordinary text.
"""
from __future__ import annotations

import json
import re
from typing import Dict, Mapping

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


def button_payload(intent: str, **entities: str) -> str:
    """Return the payload text a button sends, e.g. ``/choose_article{"article_id":"memo-tag"}``."""
    if intent not in BUTTON_INTENTS:
        raise ValueError(f"{intent!r} is not a button intent")
    if not entities:
        return f"/{intent}"
    return f"/{intent}{json.dumps(entities, separators=(',', ':'))}"


def is_own_button_payload(text: str) -> bool:
    """True when ``text`` is exactly a payload that one of our buttons can send."""
    match = _PAYLOAD.fullmatch(text.strip())
    if not match or match.group("intent") not in BUTTON_INTENTS:
        return False
    allowed = BUTTON_INTENTS[match.group("intent")]
    raw = match.group("entities")
    if raw is None:
        return True
    try:
        entities = json.loads(raw)
    except ValueError:
        return False
    return _entities_allowed(entities, allowed)


def _entities_allowed(entities: object, allowed: Mapping[str, re.Pattern]) -> bool:
    if not isinstance(entities, dict) or set(entities) - set(allowed):
        return False
    return all(isinstance(value, str) and allowed[key].fullmatch(value) for key, value in entities.items())
