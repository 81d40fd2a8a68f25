"""Clean customer text before it is stored: secrets redacted (:mod:`nlu.secrets`), then personal data masked
(:mod:`nlu.personal_data`), in a text (:func:`protect`) or anywhere in a nested value (:func:`scrub`).

Channels use both at entry (``bot.channels.common.redact_at_entry``: the text and the client's own metadata), so
neither reaches the tracker store, the event broker or the logs; the RabbitMQ consumer scrubs every event again
as defence in depth before storing it, and stores that keep text of their own (tickets, the handoff thread,
incident examples) protect it once more. The conversation id (``sender_id``) is the contact channel agents reply
to: it keeps its personal data (secrets are still redacted).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Tuple

from nlu.personal_data import mask_personal_data
from nlu.secrets import redact

IDENTIFIER_KEYS = frozenset({"sender_id"})


@dataclass(frozen=True)
class Finding:
    """A secret or personal data found in an event: where (``metadata.note``, ``parse_data.entities.0.value``)
    and its kind (``seed_phrase``, ``otp``, ... or ``nik``, ``card``, ``bank_account``, ``phone``, ``email``)."""

    path: str
    kind: str


def protect(text: str) -> Tuple[str, List[str], List[str]]:
    """``text`` with its secrets redacted and its personal data masked; the kinds of secret and of personal data
    found (one per piece, in order)."""
    cleaned, secrets = redact(text)
    cleaned, personal = mask_personal_data(cleaned)
    return cleaned, secrets, personal


def protected(text: str) -> str:
    """:func:`protect`'s text only: what a store may keep of ``text``."""
    return protect(text)[0]


def scrub(value: Any, path: str = "") -> Tuple[Any, List[Finding]]:
    """``value`` with every string's secrets redacted and personal data masked (dicts and lists walked; the
    input is not changed), and what was found. Values under :data:`IDENTIFIER_KEYS` only lose secrets."""
    if isinstance(value, str):
        if path.rsplit(".", 1)[-1] in IDENTIFIER_KEYS:
            cleaned, secrets = redact(value)
            personal: List[str] = []
        else:
            cleaned, secrets, personal = protect(value)
        return cleaned, [Finding(path or "$", kind) for kind in secrets + personal]
    if isinstance(value, dict):
        findings: List[Finding] = []
        result = {}
        for key, item in value.items():
            result[key], found = scrub(item, f"{path}.{key}" if path else str(key))
            findings += found
        return result, findings
    if isinstance(value, list):
        findings, items = [], []
        for index, item in enumerate(value):
            cleaned, found = scrub(item, f"{path}.{index}" if path else str(index))
            items.append(cleaned)
            findings += found
        return items, findings
    return value, []
