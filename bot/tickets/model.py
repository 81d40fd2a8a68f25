"""Ticket data model: what the assistant hands over to a human agent.

A :class:`TicketDraft` is what the conversation produced; the store turns it into a :class:`Ticket` by
adding an id, a status and the service-level deadline. All values are immutable so a ticket can be
passed between threads (the delivery worker) without copying.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Dict, Optional, Tuple

from nlu import jakarta_time

WIB = jakarta_time.WIB  # the tickets' clock (one definition, in nlu.jakarta_time)

CATEGORIES = ("withdrawal_idr", "withdrawal_crypto", "deposit_idr", "deposit_crypto", "hacked_account", "fraud",
              "privasi", "other")  # privasi: a customer's access or erasure request under UU PDP
PRIORITIES = ("urgent", "high", "normal")
SENTIMENTS = ("calm", "upset", "urgent")
DETAIL_STATUSES = ("valid", "unverified", "unknown", "inferred")
SPEAKERS = ("customer", "assistant")
TICKET_STATUSES = ("open", "closed")
SECRET_FLAG_PREFIX = "secret_shared:"


def _require_choice(field_name: str, value: str, allowed: Tuple[str, ...]) -> None:
    if value not in allowed:
        raise ValueError(f"{field_name} must be one of {', '.join(allowed)}; got {value!r}")


def _require_aware(field_name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{field_name} must be timezone-aware; got naive {value.isoformat()}")


@dataclass(frozen=True)
class Detail:
    """One fact about the problem, with how far it can be trusted."""

    name: str    # "problem_type", "asset", "network", "amount", "tx_time", "txid", "bank_account", "address", ...
    label: str   # Indonesian label for display, e.g. "Jumlah"
    value: str   # display value; "" when unknown
    status: str  # "valid" | "unverified" | "unknown" | "inferred"
    note: str = ""  # e.g. why it is unverified ("checksum alamat tidak cocok")

    def __post_init__(self) -> None:
        _require_choice("Detail.status", self.status, DETAIL_STATUSES)


@dataclass(frozen=True)
class TranscriptLine:
    """One message of the conversation."""

    at: datetime  # timezone-aware
    speaker: str  # "customer" | "assistant"
    text: str

    def __post_init__(self) -> None:
        _require_aware("TranscriptLine.at", self.at)
        _require_choice("TranscriptLine.speaker", self.speaker, SPEAKERS)


@dataclass(frozen=True)
class TicketDraft:
    """Everything the conversation collected for a human agent, before the ticket exists."""

    customer_id: str  # Rasa sender id
    customer_name: Optional[str]
    channel: str  # "rest", "telegram", "whatsapp", "socketio", ...
    category: str  # one of CATEGORIES
    priority: str  # one of PRIORITIES
    summary: str  # one Indonesian line for list views
    details: Tuple[Detail, ...]
    kb_articles: Tuple[str, ...]  # knowledge-base article ids already shown to the customer
    sentiment: str  # one of SENTIMENTS
    transcript: Tuple[TranscriptLine, ...]
    flags: Tuple[str, ...] = ()  # e.g. "secret_shared:seed_phrase"
    dedupe_key: Optional[str] = None  # same key as an open ticket => create() returns that ticket

    def __post_init__(self) -> None:
        _require_choice("category", self.category, CATEGORIES)
        _require_choice("priority", self.priority, PRIORITIES)
        _require_choice("sentiment", self.sentiment, SENTIMENTS)
        # Lists are accepted for convenience and frozen into tuples so the object stays hashable/immutable.
        for name in ("details", "kb_articles", "transcript", "flags"):
            object.__setattr__(self, name, tuple(getattr(self, name)))

    def draft_values(self) -> Dict[str, Any]:
        """The draft's fields as a dict (shallow), e.g. to build a :class:`Ticket` or a modified draft."""
        return {field.name: getattr(self, field.name) for field in fields(TicketDraft)}

    @property
    def secrets_shared(self) -> Tuple[str, ...]:
        """Kinds of secret the customer pasted into the chat (from ``secret_shared:<kind>`` flags)."""
        return tuple(flag[len(SECRET_FLAG_PREFIX):] for flag in self.flags if flag.startswith(SECRET_FLAG_PREFIX))


@dataclass(frozen=True, kw_only=True)
class Ticket(TicketDraft):
    """A stored ticket: every draft field plus its identity, state and deadline."""

    id: str  # "CS-20261122-0042": creation date in WIB, per-day sequence
    status: str  # "open" | "closed"
    created_at: datetime  # aware
    sla_due_at: datetime  # aware; the agent should answer by then (operating hours only)
    closed_at: Optional[datetime] = None

    def __post_init__(self) -> None:
        super().__post_init__()
        _require_choice("status", self.status, TICKET_STATUSES)
        _require_aware("created_at", self.created_at)
        _require_aware("sla_due_at", self.sla_due_at)

    @classmethod
    def from_draft(cls, draft: TicketDraft, *, id: str, status: str, created_at: datetime, sla_due_at: datetime,
                   closed_at: Optional[datetime] = None) -> "Ticket":
        """Build a ticket from ``draft`` and the values the store assigned."""
        return cls(**draft.draft_values(), id=id, status=status, created_at=created_at, sla_due_at=sla_due_at,
                   closed_at=closed_at)
