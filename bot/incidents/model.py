"""What an incident is: an operator's notice or a detected spike of messages about one topic."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Dict, Optional

NOTICE, SPIKE = "notice", "spike"
KINDS = (NOTICE, SPIKE)


@dataclass(frozen=True)
class Incident:
    """One incident as the report and the command line show it.

    ``closed_at`` is when it ended: closed by an operator, expired (a notice, from ``expires_at``) or subsided
    (a spike); None while it goes on. ``count`` is how many customers saw a notice, or how many customers wrote
    about the topic during a spike.
    """

    id: str
    kind: str  # "notice" | "spike"
    topic: str  # "bank:BCA", "network:TRC20", "coin:USDT"
    opened_at: datetime
    closed_at: Optional[datetime]
    count: int
    text: str
    expires_at: Optional[datetime] = None
    details: Dict[str, Any] = field(default_factory=dict, compare=False)

    def is_active(self, now: datetime) -> bool:
        """Still going on at ``now``."""
        return self.opened_at <= now and (self.closed_at is None or now < self.closed_at)


@dataclass(frozen=True)
class Observation:
    """One customer message about a topic."""

    topic: str
    sender_id: str
    at: datetime
    intent: str  # intent name, or the ticket category of a finished report
    example: str  # the customer's words, secrets redacted
    message_key: Optional[str] = None  # the same message is counted once per topic
