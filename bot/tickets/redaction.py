"""Defense in depth: strip secrets from every free-text field of a draft before it is stored.

The REST channel already redacts seed phrases, private keys, passwords and OTPs on entry, but tickets may
be drafted from other channels or from text that bypassed it. Whatever is found here (and every redaction
marker left by the channel) also becomes a ``secret_shared:<kind>`` flag so the agent is warned.
"""
from __future__ import annotations

from dataclasses import replace
from typing import List, Optional

from nlu.secrets import redact, redacted_kinds

from bot.tickets.model import SECRET_FLAG_PREFIX, TicketDraft


class _Redactor:
    """Redacts texts one by one and remembers which kinds of secret they contained."""

    def __init__(self) -> None:
        self.kinds: List[str] = []

    def clean(self, text: str) -> str:
        cleaned, found = redact(text)
        self.kinds.extend(found)
        self.kinds.extend(redacted_kinds(text))
        return cleaned

    def clean_optional(self, text: Optional[str]) -> Optional[str]:
        return None if text is None else self.clean(text)


def redact_draft(draft: TicketDraft) -> TicketDraft:
    """A copy of ``draft`` with secrets replaced by markers and a flag per kind of secret seen."""
    redactor = _Redactor()
    cleaned = replace(
        draft,
        customer_name=redactor.clean_optional(draft.customer_name),
        summary=redactor.clean(draft.summary),
        details=tuple(replace(detail, label=redactor.clean(detail.label), value=redactor.clean(detail.value),
                              note=redactor.clean(detail.note)) for detail in draft.details),
        transcript=tuple(replace(line, text=redactor.clean(line.text)) for line in draft.transcript),
    )
    flags = list(draft.flags)
    for kind in redactor.kinds:
        flag = SECRET_FLAG_PREFIX + kind
        if flag not in flags:
            flags.append(flag)
    return replace(cleaned, flags=tuple(flags))
