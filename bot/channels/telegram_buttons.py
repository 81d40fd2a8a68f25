"""Inline-keyboard buttons: which callback data the assistant issued to which chat.

Telegram limits ``callback_data`` to 64 bytes. A payload that fits is sent as it is; a longer one is
replaced by a short token. Every issued (chat, data) pair is kept in the channel state database
(``IssuedButtons``, ``CHANNEL_STATE_DB``), so it survives a restart: a tap is only turned into a message
when its data was issued to that chat. Payloads are either plain text (form answers such as "Penarikan")
or ``/intent`` payloads, which must be the assistant's own (``nlu.payloads``); forged callback data is
answered and dropped.
"""
from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.channels.common import IssuedButtons, short_token
from nlu.payloads import is_own_payload

logger = logging.getLogger(__name__)

MAX_CALLBACK_BYTES = 64
TOKEN_PREFIX = "t:"


def fits_callback_data(payload: str) -> bool:
    """True when ``payload`` can be sent as ``callback_data`` itself (at most 64 bytes)."""
    return 0 < len(payload.encode("utf-8")) <= MAX_CALLBACK_BYTES and not payload.startswith(TOKEN_PREFIX)


def token_for(payload: str) -> str:
    """The short callback data standing for a long payload (34 ASCII bytes, the same for the same payload)."""
    return short_token(TOKEN_PREFIX, payload)


def is_trusted_payload(payload: str) -> bool:
    """Plain-text answers are fine; a ``/intent`` payload must be one of the assistant's own (bot or survey)."""
    return not payload.startswith("/") or is_own_payload(payload)


class ButtonStore:
    """Issued callback data per chat, persisted in SQLite."""

    def __init__(self, path: Optional[Path] = None, keep_seconds: float = 30 * 24 * 3600) -> None:
        self._issued = IssuedButtons("telegram", path, keep_seconds)

    def issue(self, chat_id: int, payload: str) -> str:
        """Record a button shown in ``chat_id``; return the ``callback_data`` to send (≤ 64 bytes)."""
        if not is_trusted_payload(payload):
            logger.warning("telegram: button payload %r is not an assistant payload; taps on it will be ignored",
                           payload[:80])
        data = payload if fits_callback_data(payload) else token_for(payload)
        return self._issued.issue(str(chat_id), data, payload)

    def resolve(self, chat_id: int, data: str) -> Optional[str]:
        """The payload behind a tap in ``chat_id``, or None when that data was never issued there (or is
        an ``/intent`` payload that is not the assistant's own)."""
        payload = self._issued.resolve(str(chat_id), data)
        return payload if payload is not None and is_trusted_payload(payload) else None

    def inline_keyboard(self, chat_id: int, buttons: List[Dict[str, Any]]) -> List[List[Dict[str, str]]]:
        """Rows of inline buttons (one per row: titles are article titles) with issued callback data."""
        rows = []
        for button in buttons:
            title, payload = str(button.get("title") or "").strip(), str(button.get("payload") or "").strip()
            if title and payload:
                rows.append([{"text": title[:200], "callback_data": self.issue(chat_id, payload)}])
        return rows
