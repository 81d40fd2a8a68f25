"""Which reply-button and list-row ids the assistant issued, to whom, and for which payload.

A tapped button comes back as its id only. The id is the payload itself when it fits WhatsApp's id limit,
otherwise a short token; either way it is recorded per customer in the channel state database
(``IssuedButtons``), so only ids we really offered to that customer are honoured, also after a restart.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

from bot.channels.common import IssuedButtons, short_token
from bot.channels.whatsapp_messages import CHOICE_ID_LIMIT

TOKEN_PREFIX = "wa-choice:"


def choice_id_for(payload: str) -> str:
    """The id a button with ``payload`` gets: the payload when it fits the limit, else a stable token."""
    if 0 < len(payload) <= CHOICE_ID_LIMIT and payload == payload.strip() and payload.isprintable() \
            and not payload.startswith(TOKEN_PREFIX):
        return payload
    return short_token(TOKEN_PREFIX, payload, 40)


class ChoiceStore(IssuedButtons):
    """Issued choice ids per WhatsApp customer, kept ``keep_seconds`` (30 days by default)."""

    def __init__(self, path: Optional[Path] = None, keep_seconds: float = 30 * 24 * 3600) -> None:
        super().__init__("whatsapp", path, keep_seconds)

    def issue(self, wa_id: str, payload: str) -> str:  # type: ignore[override]
        """Record that ``payload`` is offered to ``wa_id``; return the id to put on the button/row."""
        return super().issue(wa_id, choice_id_for(payload), payload)
