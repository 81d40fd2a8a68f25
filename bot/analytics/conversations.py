"""Turn published tracker events into conversations: what the customer asked and how the assistant answered.

Only a few events carry the analytics signals (see the README's "Support analytics" section):

- ``session_started`` starts a conversation (Rasa session; 60 minutes of silence start a new one);
- ``user`` events: the customer's text, intent, ``input_channel`` and redacted secret kinds
  (``metadata.redacted_secrets``, set by the channels);
- ``bot`` events whose text is one of the assistant's own replies for a clarifying question
  (``bot.wording.CLARIFY``), a message it could not read (``UNCLEAR``, ``EMPTY``, ``JUNK``, ``FOREIGN``) or
  the secrets warning (``SECRET_WARNING``);
- ``slot`` events ``kb_article`` (a knowledge answer), ``kb_helpful`` ("Ya, membantu" / "Belum membantu")
  and ``handoff_ticket`` (a ticket was created, the conversation goes to an agent).

:func:`signal_of` reduces one event to a small :data:`Signal` (so large event stores can be read in worker
processes and only the signals travel); :func:`build_conversations` folds signals into :class:`Conversation`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional, Tuple, Union

from bot import wording
from nlu.payloads import is_own_payload
from nlu.sentiment import detect_mood

RELEVANT_SLOTS = ("kb_article", "kb_helpful", "handoff_ticket")
# The mood of a customer message whose text was removed under the retention policy (bot.privacy.scrub).
RETAINED_MOOD = "retained_mood"

# Kinds of assistant reply that matter for analytics.
CLARIFICATION = "clarification"
FALLBACK_UNCLEAR, FALLBACK_EMPTY, FALLBACK_JUNK, FALLBACK_FOREIGN = "unclear", "empty", "junk", "foreign"
FALLBACK_KINDS = (FALLBACK_UNCLEAR, FALLBACK_EMPTY, FALLBACK_JUNK, FALLBACK_FOREIGN)
SECRET_WARNING = "secret_warning"
_SECRET_WARNING_PREFIX = wording.SECRET_WARNING.split("{what}")[0]

# Moods (nlu.sentiment.Mood values) that count as an upset or panicking customer.
UPSET, PANIC = "upset", "urgent"

UNKNOWN_CHANNEL = "unknown"


def reply_kind(text: str) -> Optional[str]:
    """Which analytics-relevant reply ``text`` is (None for every other assistant message)."""
    if text == wording.CLARIFY:
        return CLARIFICATION
    if text.endswith(wording.UNCLEAR):   # may follow an empathy sentence
        return FALLBACK_UNCLEAR
    if text == wording.EMPTY:
        return FALLBACK_EMPTY
    if text == wording.JUNK:
        return FALLBACK_JUNK
    if text == wording.FOREIGN:
        return FALLBACK_FOREIGN
    if text.startswith(_SECRET_WARNING_PREFIX):
        return SECRET_WARNING
    return None


def reply_needles() -> Tuple[str, ...]:
    """Plain-ASCII fragments, one of which every relevant reply contains verbatim even inside a JSON string
    (no quotes, backslashes or non-ASCII): a cheap test before decoding a ``bot`` event."""
    sources = (wording.CLARIFY, wording.UNCLEAR, wording.EMPTY, wording.JUNK, wording.FOREIGN, _SECRET_WARNING_PREFIX)
    needles = tuple(text[:24] for text in sources)
    for needle in needles:
        if not needle.isascii() or '"' in needle or "\\" in needle:
            raise ValueError(f"reply fragment {needle!r} would not survive JSON escaping")
    return needles


class SessionStart(NamedTuple):
    sender_id: str
    at: float


class CustomerMessage(NamedTuple):
    sender_id: str
    at: float
    text: str
    intent: Optional[str]
    channel: str
    mood: Optional[str]  # None for button payloads
    secrets: Tuple[str, ...]  # kinds the channel redacted


class Reply(NamedTuple):
    sender_id: str
    at: float
    kind: str  # CLARIFICATION, a fallback kind or SECRET_WARNING


class SlotChange(NamedTuple):
    sender_id: str
    at: float
    name: str
    value: Any


Signal = Union[SessionStart, CustomerMessage, Reply, SlotChange]


@lru_cache(maxsize=200_000)
def cached_mood(text: str) -> str:
    """:func:`nlu.sentiment.detect_mood` of a text (the classifier the assistant uses), memoised."""
    return detect_mood(text).value


def signal_of(event: Dict[str, Any], mood_of: Callable[[str], str] = cached_mood) -> Optional[Signal]:
    """The analytics signal of one published event, or None when it carries none."""
    kind = event.get("event")
    sender_id = str(event.get("sender_id") or "")
    at = float(event.get("timestamp") or 0.0)
    if kind == "user":
        text = event.get("text") or ""
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        metadata = event.get("metadata") or {}
        secrets = tuple(metadata.get("redacted_secrets") or ())
        mood = None if text.lstrip().startswith("/") and is_own_payload(text) else \
            metadata.get(RETAINED_MOOD) or mood_of(text)
        return CustomerMessage(sender_id, at, text, intent, event.get("input_channel") or UNKNOWN_CHANNEL, mood,
                               secrets)
    if kind == "bot":
        reply = reply_kind(event.get("text") or "")
        return Reply(sender_id, at, reply) if reply else None
    if kind == "slot" and event.get("name") in RELEVANT_SLOTS:
        return SlotChange(sender_id, at, event["name"], event.get("value"))
    if kind == "session_started":
        return SessionStart(sender_id, at)
    return None


@dataclass(frozen=True)
class Answer:
    """A knowledge answer: the article shown and the customer's question it answered."""

    at: float
    article_id: str
    question: str


@dataclass(frozen=True)
class Feedback:
    """A "Ya, membantu" (``helpful``) or "Belum membantu" click on an answered article."""

    at: float
    article_id: str
    helpful: bool
    question: str


@dataclass(frozen=True)
class Unanswered:
    """A customer message the assistant met with a clarifying question or a fallback (``kind``)."""

    at: float
    kind: str
    text: str


@dataclass
class Conversation:
    """One Rasa session of one customer that contains at least one customer message."""

    sender_id: str
    channel: str = UNKNOWN_CHANNEL
    started_at: float = 0.0  # first customer message (seconds since the epoch)
    ended_at: float = 0.0  # last customer message or analytics-relevant reply
    messages: int = 0
    answers: List[Answer] = field(default_factory=list)
    feedback: List[Feedback] = field(default_factory=list)
    clarifications: List[Unanswered] = field(default_factory=list)
    fallbacks: List[Unanswered] = field(default_factory=list)
    tickets: List[str] = field(default_factory=list)
    secret_warnings: int = 0
    secret_kinds: List[str] = field(default_factory=list)
    moods: List[str] = field(default_factory=list)

    @property
    def answered(self) -> bool:
        return bool(self.answers)

    @property
    def confirmed_helpful(self) -> bool:
        return any(item.helpful for item in self.feedback)

    @property
    def upset(self) -> bool:
        return UPSET in self.moods

    @property
    def panicking(self) -> bool:
        return PANIC in self.moods


@dataclass
class _Customer:
    """What the fold remembers about one customer between signals."""

    current: Optional[Conversation] = None
    last_text: str = ""  # latest message (payloads included)
    last_question: str = ""  # latest message that was not a button payload
    last_answer: Optional[Answer] = None  # survives sessions, like the ``kb_article`` slot


class _Fold:
    """Folds signals, in stored order, into finished conversations."""

    def __init__(self) -> None:
        self.customers: Dict[str, _Customer] = {}
        self.done: List[Conversation] = []

    def add(self, signal: Signal) -> None:
        customer = self.customers.get(signal.sender_id)
        if customer is None:
            customer = self.customers[signal.sender_id] = _Customer()
        kind = type(signal)
        if kind is SessionStart:
            self._close(customer)
            customer.current = Conversation(signal.sender_id)
            return
        conversation = customer.current
        if conversation is None:  # the session began before the events that were read
            conversation = customer.current = Conversation(signal.sender_id)
        if kind is CustomerMessage:
            self._message(customer, conversation, signal)  # type: ignore[arg-type]
        elif conversation.messages == 0:
            return  # nothing before the first customer message counts
        elif kind is Reply:
            self._reply(customer, conversation, signal)  # type: ignore[arg-type]
        else:
            self._slot(customer, conversation, signal)  # type: ignore[arg-type]
        if signal.at > conversation.ended_at:
            conversation.ended_at = signal.at

    @staticmethod
    def _message(customer: _Customer, conversation: Conversation, message: CustomerMessage) -> None:
        if conversation.messages == 0:
            conversation.channel, conversation.started_at = message.channel, message.at
        conversation.messages += 1
        customer.last_text = message.text
        if message.mood is not None:
            customer.last_question = message.text
            if message.mood not in conversation.moods:
                conversation.moods.append(message.mood)
        for kind in message.secrets:
            if kind not in conversation.secret_kinds:
                conversation.secret_kinds.append(kind)

    @staticmethod
    def _reply(customer: _Customer, conversation: Conversation, reply: Reply) -> None:
        if reply.kind == SECRET_WARNING:
            conversation.secret_warnings += 1
        elif reply.kind == CLARIFICATION:
            conversation.clarifications.append(Unanswered(reply.at, reply.kind, customer.last_text))
        else:
            conversation.fallbacks.append(Unanswered(reply.at, reply.kind, customer.last_text))

    @staticmethod
    def _slot(customer: _Customer, conversation: Conversation, change: SlotChange) -> None:
        if change.name == "kb_article" and change.value:
            answer = Answer(change.at, str(change.value), customer.last_question)
            conversation.answers.append(answer)
            customer.last_answer = answer
        elif change.name == "kb_helpful" and change.value is not None and customer.last_answer is not None:
            answer = customer.last_answer
            conversation.feedback.append(Feedback(change.at, answer.article_id, bool(change.value), answer.question))
        elif change.name == "handoff_ticket" and change.value and change.value not in conversation.tickets:
            conversation.tickets.append(str(change.value))

    def _close(self, customer: _Customer) -> None:
        if customer.current is not None and customer.current.messages:
            self.done.append(customer.current)
        customer.current = None

    def finish(self) -> List[Conversation]:
        for customer in self.customers.values():
            self._close(customer)
        return sorted(self.done, key=lambda c: (c.started_at, c.sender_id))


def build_conversations(signals: Iterable[Optional[Signal]]) -> List[Conversation]:
    """Conversations (sessions with at least one customer message) from signals in stored order, sorted
    by start."""
    fold = _Fold()
    for signal in signals:
        if signal is not None:
            fold.add(signal)
    return fold.finish()


def conversations_from_events(events: Iterable[Dict[str, Any]],
                              mood_of: Callable[[str], str] = cached_mood) -> List[Conversation]:
    """:func:`build_conversations` straight from decoded events (tests, small stores)."""
    return build_conversations(signal_of(event, mood_of) for event in events)
