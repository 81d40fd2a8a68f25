"""Defense in depth: strip secrets and mask personal data in every free-text field of a draft before it is stored.

Every channel already redacts seed phrases, private keys, passwords and OTPs and masks personal data (NIK, card,
account and phone numbers, e-mail addresses) on entry, but tickets may be drafted from other channels or from
text that bypassed it. Whatever secret is found here (and every redaction marker left by the channel) also
becomes a ``secret_shared:<kind>`` flag so the agent is warned. The report form's structured details (amounts,
TXIDs and transfer references, addresses, bank plus last 4 digits) are validated values and stay as they are;
the customer's own description and answers accepted unverified are free text, masked like the transcript.
"""
from __future__ import annotations

from dataclasses import replace
from typing import List, Optional

from bot.tickets.model import SECRET_FLAG_PREFIX, Detail, TicketDraft
from nlu.scrub import protect
from nlu.secrets import redact, redacted_kinds

FREE_TEXT_DETAILS = frozenset({"description"})


class _Redactor:
    """Redacts texts one by one and remembers which kinds of secret they contained."""

    def __init__(self) -> None:
        self.kinds: List[str] = []

    def clean(self, text: str, personal_data: bool = True) -> str:
        """``text`` without secrets, and with personal data masked unless ``personal_data`` is False."""
        if personal_data:
            cleaned, found, _ = protect(text)
        else:
            cleaned, found = redact(text)
        self.kinds.extend(found)
        self.kinds.extend(redacted_kinds(text))
        return cleaned

    def clean_optional(self, text: Optional[str]) -> Optional[str]:
        return None if text is None else self.clean(text)

    def clean_detail(self, detail: Detail) -> Detail:
        free_text = detail.name in FREE_TEXT_DETAILS or detail.status == "unverified"
        return replace(detail, label=self.clean(detail.label), value=self.clean(detail.value, free_text),
                       note=self.clean(detail.note))


def redact_draft(draft: TicketDraft) -> TicketDraft:
    """A copy of ``draft`` with secrets replaced by markers, personal data masked in its free text, and a flag per
    kind of secret seen."""
    redactor = _Redactor()
    cleaned = replace(
        draft,
        customer_name=redactor.clean_optional(draft.customer_name),
        summary=redactor.clean(draft.summary),
        details=tuple(redactor.clean_detail(detail) for detail in draft.details),
        transcript=tuple(replace(line, text=redactor.clean(line.text)) for line in draft.transcript),
    )
    flags = list(draft.flags)
    for kind in redactor.kinds:
        flag = SECRET_FLAG_PREFIX + kind
        if flag not in flags:
            flags.append(flag)
    return replace(cleaned, flags=tuple(flags))
