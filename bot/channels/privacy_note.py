"""Tell a customer once, kindly, that the KTP (NIK) or card number they sent was masked at entry.

Every channel masks personal data before Rasa sees a message (``bot.channels.common.redact_at_entry`` sets
``masked_personal_data``). Phone numbers, e-mail addresses and account numbers are masked silently (the report
form already says it keeps only the last 4 digits of an account); a NIK or a card number never belongs in a
chat, so the customer hears it once, before the assistant's answer (not next to the urgent warning about a
secret in the same message). "Once" is per channel and sender, kept in the channel state like handled updates
(a week, :class:`~bot.channels.common.SeenStore`), under a hash so the state holds no sender id.
"""
from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Iterable, Optional

from rasa.core.channels.channel import UserMessage

from bot import wording
from bot.channels.common import SeenStore, short_token

NOTE_CHANNEL = "privacy_note"

Handler = Callable[[UserMessage], Awaitable[Any]]


def personal_data_note(kinds: Iterable[str]) -> Optional[str]:
    """The note for these masked kinds (``nik``, ``card``; others need none), or None."""
    names = list(dict.fromkeys(wording.PERSONAL_DATA_NAMES[kind] for kind in kinds
                               if kind in wording.PERSONAL_DATA_NAMES))
    return wording.PERSONAL_DATA_NOTE.format(what=" dan ".join(names)) if names else None


class PrivacyNotes:
    """Sends the note before a message is handled, the first time a sender needs it."""

    def __init__(self, seen: Optional[SeenStore] = None) -> None:
        self._seen = seen   # opened on first need: most messages carry no NIK or card number

    def _first_time(self, message: UserMessage) -> bool:
        if self._seen is None:
            self._seen = SeenStore()
        return self._seen.first_time(NOTE_CHANNEL, short_token("", f"{message.input_channel}:{message.sender_id}"))

    async def note_for(self, message: UserMessage) -> Optional[str]:
        """The note this message calls for, or None: nothing masked that needs one, already told, or a secret was
        removed too (its urgent warning is what the customer must read; the note waits for another time)."""
        metadata = message.metadata or {}
        note = personal_data_note(metadata.get("masked_personal_data") or [])
        if note is None or metadata.get("redacted_secrets") or not await asyncio.to_thread(self._first_time, message):
            return None
        return note

    def wrap(self, handler: Handler) -> Handler:
        """``handler`` preceded by the note when one is due."""

        async def noted(message: UserMessage) -> Any:
            note = await self.note_for(message)
            if note:
                await message.output_channel.send_text_message(message.sender_id, note)
            return await handler(message)

        return noted
