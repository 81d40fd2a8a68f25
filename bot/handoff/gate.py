"""The channel gate: while an agent holds (or will take) a conversation, the bot stays silent.

Every channel passes its customer messages through :class:`HandoffGate` before Rasa. While the customer's
ticket is ``waiting`` or ``with_agent`` the message is forwarded to the agents (secrets already redacted at
entry) and Rasa never sees it; the secrets warning and "kembali ke bot" still work. After the agent
resolves the ticket, the CSAT survey's answers (a tap or a typed digit, then an optional comment) are
taken here too; anything else quietly ends the survey and goes to the bot as usual.
"""
from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Awaitable, Callable, Dict, List, Optional, Sequence

from rasa.core.channels.channel import UserMessage

from bot import wording
from bot.handoff.model import SURVEY_ASKED, SURVEY_COMMENT, SURVEY_DONE, SURVEY_EXPIRED, Handoff, Outgoing
from bot.handoff.service import HandoffService, utc_now
from bot.handoff.survey import looks_like_survey_payload, parse_payload, typed_rating, typed_skip
from bot.wording import secret_warning
from nlu.normalizer import normalize
from nlu.questions import is_question

logger = logging.getLogger(__name__)

_BACK_TO_BOT = re.compile(r"\b(kembali|balik|pindah|lanjut)\s+(ke|sama|dengan)\s+(bot|asisten)\b")
_CANCEL_FIRST = re.compile(r"^(batal|batalkan|dibatalkan|cancel|gak jadi|ga jadi|nggak jadi|tidak jadi|"
                           r"keluar antrean|keluar antrian|keluar)\b")
MAX_LEAVE_WORDS = 5


def wants_bot_back(text: str) -> bool:
    """"kembali ke bot" anywhere, or a short message that starts with "batal" / "gak jadi"."""
    plain = normalize(text)
    if _BACK_TO_BOT.search(plain):
        return True
    return len(plain.split()) <= MAX_LEAVE_WORDS and bool(_CANCEL_FIRST.match(plain))


@dataclass(frozen=True)
class GateDecision:
    """``handled``: the gate answered (``replies``, possibly none) and Rasa must not see the message."""

    handled: bool
    replies: Sequence[Outgoing] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        object.__setattr__(self, "replies", tuple(self.replies))


TO_BOT = GateDecision(False)


def _warnings(secrets: Sequence[str]) -> List[Outgoing]:
    return [Outgoing(text) for text in secret_warning(list(secrets))] if secrets else []


def decide(service: HandoffService, sender_id: str, text: str, secrets: Sequence[str],
           now: Optional[datetime] = None, message_key: Optional[str] = None) -> GateDecision:
    """What to do with one customer message (database work; no channel I/O)."""
    now = now or utc_now()
    handoff, survey = service.store.waiting_for(sender_id)
    if handoff is not None:
        return _during_handoff(service, handoff, text, secrets, now, message_key)
    answer = parse_payload(text)
    if answer is not None:
        return _survey_tap(service, sender_id, answer.ticket_id, answer.rating, now)
    if looks_like_survey_payload(text):
        logger.warning("handoff gate: ignored a malformed survey payload from %s", sender_id)
        return GateDecision(True)
    if survey is None:
        return TO_BOT
    return _survey_reply(service, survey, text, secrets, now)


def _during_handoff(service: HandoffService, handoff: Handoff, text: str, secrets: Sequence[str], now: datetime,
                    message_key: Optional[str]) -> GateDecision:
    replies = _warnings(secrets)
    if wants_bot_back(text):
        left = service.leave(handoff, now)
        return GateDecision(True, replies + ([left] if left else []))
    if looks_like_survey_payload(text):
        return GateDecision(True, replies)  # an old survey tap while a new ticket is open: nothing to forward
    forwarded = wording.NOTE_BUTTON.format(payload=text.strip()) if text.strip().startswith("/") else text
    if secrets:
        names = ", ".join(dict.fromkeys(wording.SECRET_NAMES.get(kind, kind) for kind in secrets))
        forwarded = f"{forwarded}\n{wording.NOTE_SECRET.format(what=names)}".strip()
    if not forwarded.strip():
        return GateDecision(True, replies)
    notice = service.forward(handoff, forwarded, now, dedupe_key=message_key)
    return GateDecision(True, replies + ([notice] if notice else []))


def _survey_tap(service: HandoffService, sender_id: str, ticket_id: str, rating: Optional[int],
                now: datetime) -> GateDecision:
    handoff = service.store.get(ticket_id)
    if handoff is None or handoff.customer_id != sender_id:
        logger.warning("handoff gate: ignored a survey answer for %s from a different conversation", ticket_id)
        return GateDecision(True)
    if rating is None:  # "Lewati"
        skipped = handoff.survey == SURVEY_COMMENT and service.end_survey(handoff, SURVEY_DONE, now)
        return GateDecision(True, [Outgoing(wording.CSAT_SKIPPED)] if skipped else [])
    if handoff.survey == SURVEY_ASKED and service.survey_open(handoff, now):
        thanks = service.rate(handoff, rating, now)
        if thanks is not None:
            return GateDecision(True, [thanks])
        handoff = service.store.get(ticket_id) or handoff
    if handoff.rating is not None:
        return GateDecision(True, [Outgoing(wording.CSAT_ALREADY.format(ticket_id=ticket_id))])
    return GateDecision(True, [Outgoing(wording.CSAT_CLOSED.format(ticket_id=ticket_id))])


def _survey_reply(service: HandoffService, survey: Handoff, text: str, secrets: Sequence[str],
                  now: datetime) -> GateDecision:
    """A typed message while a survey is open: a rating, a comment, "lewati", or something for the bot."""
    if survey.survey == SURVEY_ASKED:
        rating = typed_rating(text)
        if rating is not None and service.survey_open(survey, now):
            thanks = service.rate(survey, rating, now)
            return GateDecision(True, [thanks] if thanks else [])
        service.end_survey(survey, SURVEY_EXPIRED, now)  # unanswered: it ends quietly
        return TO_BOT
    if typed_skip(text):
        service.end_survey(survey, SURVEY_DONE, now)
        return GateDecision(True, [Outgoing(wording.CSAT_SKIPPED)])
    if service.comment_window_open(survey, now) and not secrets and not text.strip().startswith("/") and \
            text.strip() and not is_question(text):   # a new question goes to the bot, not into the comment
        thanks = service.comment(survey, text, now)
        return GateDecision(True, [thanks] if thanks else [])
    service.end_survey(survey, SURVEY_DONE, now)
    return TO_BOT


def rasa_message(outgoing: Outgoing) -> Dict[str, Any]:
    """An outgoing message in the shape Rasa's output channels send (``send_response``)."""
    message: Dict[str, Any] = {"text": outgoing.text}
    if outgoing.buttons:
        message["buttons"] = [{"title": title, "payload": payload} for title, payload in outgoing.buttons]
    return message


Handler = Callable[[UserMessage], Awaitable[Any]]


class HandoffGate:
    """Wraps a channel's ``on_new_message``: handed-over conversations never reach the bot."""

    def __init__(self, service: Callable[[], HandoffService]) -> None:
        self._service = service
        self.failures = 0  # decisions that failed (database down): those messages went to the bot instead
        self.last_error: Optional[str] = None

    def wrap(self, on_new_message: Handler) -> Callable[[UserMessage], Awaitable[bool]]:
        """The gated handler; it returns True when the gate handled the message (Rasa did not see it)."""

        async def gated(message: UserMessage) -> bool:
            decision = await self.decide(message)
            if not decision.handled:
                await on_new_message(message)
                return False
            for outgoing in decision.replies:
                await message.output_channel.send_response(message.sender_id, rasa_message(outgoing))
            return True

        return gated

    async def decide(self, message: UserMessage) -> GateDecision:
        """The decision for ``message``; when the handoff store fails, the bot answers (logged, counted)."""
        metadata = message.metadata or {}
        secrets = [str(kind) for kind in metadata.get("redacted_secrets") or []]
        key = f"{message.input_channel}:{message.message_id}" if message.message_id else None
        try:
            return await asyncio.to_thread(decide, self._service(), message.sender_id, message.text or "", secrets,
                                           None, key)
        except Exception as error:  # noqa: BLE001 - a broken handoff store must not silence the customer
            self.failures += 1
            self.last_error = f"{type(error).__name__}: {error}"
            logger.exception("handoff gate failed for %s; the bot answers this message", message.sender_id)
            return TO_BOT
