"""Live handoff data: who holds a customer's conversation, what was said, and the CSAT survey.

A conversation is handed to a human when its ticket is created (``waiting``); an agent claims it
(``with_agent``); it ends when the agent resolves the ticket (``resolved``) or the customer goes back to the
bot (``left``). While ``waiting`` or ``with_agent`` the bot does not answer the customer itself.
All times are aware datetimes (stored in UTC, shown in WIB).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Optional, Tuple

from bot.tickets.sla import OperatingHours, operating_time_between

WAITING, WITH_AGENT, RESOLVED, LEFT = "waiting", "with_agent", "resolved", "left"
ACTIVE_STATES = (WAITING, WITH_AGENT)
HANDOFF_STATES = (WAITING, WITH_AGENT, RESOLVED, LEFT)

# CSAT survey after a resolved ticket: asked -> comment (rated, a comment may follow) -> done; or expired.
SURVEY_NONE, SURVEY_ASKED, SURVEY_COMMENT, SURVEY_DONE, SURVEY_EXPIRED = "none", "asked", "comment", "done", "expired"

TO_AGENT, TO_CUSTOMER = "to_agent", "to_customer"
CUSTOMER_AUTHOR, SYSTEM_AUTHOR = "customer", "system"
CUSTOMER_TARGET = "customer"  # the outbox target that means "the customer, on the channel they used"

Button = Tuple[str, str]  # (title, payload)


@dataclass(frozen=True)
class Agent:
    """A human agent as a desk knows them."""

    desk: str  # "telegram_agen", "chatwoot", "cli", ...
    agent_id: str  # the desk's id for the agent (Telegram user id, Chatwoot user id, CLI name)
    name: str  # shown to the customer: "Agen Rina"

    def same_person(self, other: Optional["Agent"]) -> bool:
        """Whether ``other`` is this agent on the same desk."""
        return other is not None and (other.desk, other.agent_id) == (self.desk, self.agent_id)


@dataclass(frozen=True)
class Handoff:
    """The handoff state of one ticket's conversation."""

    ticket_id: str
    customer_id: str
    channel: str
    state: str
    created_at: datetime
    last_customer_at: datetime
    agent: Optional[Agent] = None
    claimed_at: Optional[datetime] = None
    first_reply_at: Optional[datetime] = None
    resolved_at: Optional[datetime] = None
    notice_sent_at: Optional[datetime] = None
    unclaimed_notice_at: Optional[datetime] = None
    survey: str = SURVEY_NONE
    survey_sent_at: Optional[datetime] = None
    rating: Optional[int] = None
    rated_at: Optional[datetime] = None
    comment: Optional[str] = None

    @property
    def active(self) -> bool:
        """The bot stays silent: an agent has or will take the conversation."""
        return self.state in ACTIVE_STATES

    def first_response_time(self, hours: Optional[OperatingHours] = None) -> Optional[timedelta]:
        """Operating time from the ticket to the agent's first reply (None while unanswered)."""
        if self.first_reply_at is None:
            return None
        return operating_time_between(self.created_at, self.first_reply_at, hours)

    def resolution_time(self, hours: Optional[OperatingHours] = None) -> Optional[timedelta]:
        """Operating time from the ticket to its resolution (None while open or when the customer left)."""
        if self.resolved_at is None or self.state != RESOLVED:
            return None
        return operating_time_between(self.created_at, self.resolved_at, hours)


@dataclass(frozen=True)
class ThreadMessage:
    """One message of a handoff conversation, in either direction."""

    id: int
    ticket_id: str
    direction: str  # TO_AGENT | TO_CUSTOMER
    author: str  # "customer", the agent's display name, or "system"
    text: str
    buttons: Tuple[Button, ...]
    created_at: datetime

    @property
    def from_customer(self) -> bool:
        return self.direction == TO_AGENT and self.author == CUSTOMER_AUTHOR


@dataclass(frozen=True)
class Outgoing:
    """A message to queue: its text, the buttons the customer gets, who it is from."""

    text: str
    author: str = SYSTEM_AUTHOR
    buttons: Tuple[Button, ...] = ()
