"""Redact secrets anywhere in a nested value (dicts, lists, strings) with the detector of :mod:`nlu.secrets`.

Channels use it on the message's metadata at entry (``bot.channels.common.redact_at_entry``), so a client's
own metadata never carries a secret into the tracker store or the event broker; the RabbitMQ consumer uses it
again as defence in depth before storing an event.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, List, Tuple

from nlu.secrets import redact


@dataclass(frozen=True)
class Finding:
    """A secret found in an event: where (``metadata.note``, ``parse_data.entities.0.value``) and its kind."""

    path: str
    kind: str


def scrub(value: Any, path: str = "") -> Tuple[Any, List[Finding]]:
    """``value`` with every string's secrets replaced by markers (dicts and lists walked; the input is not
    changed), and what was found."""
    if isinstance(value, str):
        cleaned, kinds = redact(value)
        return cleaned, [Finding(path or "$", kind) for kind in kinds]
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
