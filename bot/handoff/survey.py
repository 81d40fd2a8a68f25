"""CSAT survey buttons: the payloads they send, and reading a customer's answer (a tap or a typed digit)."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Optional, Tuple

from bot import wording
from nlu.payloads import SURVEY_INTENTS, button_payload, parse_own_payload

RATE_INTENT, SKIP_INTENT = "csat", "csat_skip"   # payload intents, see nlu.payloads.SURVEY_INTENTS
_TYPED_RATING = re.compile(r"^\s*([1-5])(?:\s*(?:/\s*5|bintang|⭐+))?\s*[.!]?\s*$", re.IGNORECASE)
_SKIP_WORDS = re.compile(r"^\s*(lewati|skip|tidak ada|gak ada|ga ada|nggak ada|tidak|gak|ga|no)\s*[.!]?\s*$",
                         re.IGNORECASE)


@dataclass(frozen=True)
class SurveyAnswer:
    """A tap on a survey button: a rating (1–5) or "skip", for one ticket."""

    ticket_id: str
    rating: Optional[int] = None  # None: skip the comment

    @property
    def skip(self) -> bool:
        return self.rating is None


def rating_payload(ticket_id: str, rating: int) -> str:
    """``/csat{"ticket":"CS-20261202-0001","rating":"5"}``."""
    return button_payload(RATE_INTENT, ticket=ticket_id, rating=str(rating))


def skip_payload(ticket_id: str) -> str:
    """``/csat_skip{"ticket":"CS-20261202-0001"}``."""
    return button_payload(SKIP_INTENT, ticket=ticket_id)


def rating_buttons(ticket_id: str) -> Tuple[Tuple[str, str], ...]:
    """The five rating buttons, best first."""
    return tuple((wording.CSAT_CHOICES[rating], rating_payload(ticket_id, rating)) for rating in (5, 4, 3, 2, 1))


def skip_button(ticket_id: str) -> Tuple[str, str]:
    """The "Lewati" button under the comment invitation."""
    return wording.CSAT_SKIP, skip_payload(ticket_id)


def parse_payload(text: str) -> Optional[SurveyAnswer]:
    """A survey button's payload, or None for anything else (including malformed or forged shapes)."""
    parsed = parse_own_payload(text, SURVEY_INTENTS)
    if parsed is None:
        return None
    intent, entities = parsed
    return SurveyAnswer(entities["ticket"], int(entities["rating"]) if intent == RATE_INTENT else None)


def looks_like_survey_payload(text: str) -> bool:
    """Whether ``text`` has the shape of a survey payload at all (valid or not): never for the bot's NLU."""
    return text.strip().startswith((f"/{RATE_INTENT}{{", f"/{SKIP_INTENT}{{"))


def typed_rating(text: str) -> Optional[int]:
    """A rating typed instead of tapped: ``5``, ``4/5``, ``3 bintang``."""
    match = _TYPED_RATING.match(text)
    return int(match.group(1)) if match else None


def typed_skip(text: str) -> bool:
    """"lewati", "skip", "tidak ada": no comment."""
    return bool(_SKIP_WORDS.match(text))
