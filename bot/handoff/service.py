"""What agents and customers can do with a handed-over conversation: the one implementation every desk
(Telegram group, Chatwoot, the CLI) and the channel gate call.

Each operation is a compare-and-set transition of :class:`~bot.handoff.store.HandoffStore` that writes the
messages it causes (to the customer, to the desks) in the same transaction; delivery happens later through
the handoff outbox (:mod:`bot.handoff.delivery`). Methods are synchronous (database work): call them from
an event loop with ``asyncio.to_thread``.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import List, Optional, Sequence, Tuple

import sqlalchemy as sa

from bot import wording
from bot.analytics.live_metrics import handoff_event
from bot.handoff.model import (
    CUSTOMER_AUTHOR,
    CUSTOMER_TARGET,
    LEFT,
    RESOLVED,
    SURVEY_ASKED,
    SURVEY_COMMENT,
    SURVEY_DONE,
    SURVEY_EXPIRED,
    TO_AGENT,
    TO_CUSTOMER,
    WAITING,
    WITH_AGENT,
    Agent,
    Handoff,
    Outgoing,
)
from bot.handoff.store import (
    IS_ACTIVE,
    IS_WAITING,
    NO_NOTICE_YET,
    NO_UNCLAIMED_NOTICE_YET,
    SURVEY_OPEN,
    SURVEY_WAITS_FOR_COMMENT,
    SURVEY_WAITS_FOR_RATING,
    DuplicateMessage,
    HandoffStore,
    clean_text,
    held_by,
)
from bot.handoff.survey import rating_buttons, skip_button
from bot.tickets.schema import handoffs
from bot.tickets.sla import add_operating_time, within_operating_hours
from bot.tickets.store import TicketStore
from nlu.jakarta_time import DAY_NAMES, WIB

logger = logging.getLogger(__name__)

CLI_DESK = "cli"
DEFAULT_CLAIM_TIMEOUT = timedelta(minutes=30)
SURVEY_TTL = timedelta(hours=24)
COMMENT_TTL = timedelta(minutes=30)

# Outcome codes of agent operations.
CLAIMED, ALREADY_YOURS, SENT, DONE = "claimed", "already_yours", "sent", "resolved"   # succeeded
TAKEN, CLOSED, NOT_FOUND, DUPLICATE, NOT_CLAIMED, EMPTY = (                           # refused
    "taken", "closed", "not_found", "duplicate", "not_claimed", "empty")


@dataclass(frozen=True)
class Outcome:
    """What an agent operation did: a code, the handoff afterwards, and a line to show the agent."""

    code: str
    message: str
    handoff: Optional[Handoff] = None

    @property
    def ok(self) -> bool:
        return self.code in (CLAIMED, ALREADY_YOURS, SENT, DONE) and self.handoff is not None


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def agent_label(agent: Agent) -> str:
    """How the customer sees the agent: ``Agen Rina``."""
    name = " ".join(agent.name.split())[:60]
    if not name:
        return wording.AGENT_UNNAMED
    return name if name.lower().startswith("agen") else wording.AGENT_LABEL.format(name=name)


def when_text(at: datetime, now: datetime) -> str:
    """``hari ini pukul 14.30 WIB`` / ``besok pukul 08.00 WIB`` / ``Senin, 30/11 pukul 09.00 WIB``."""
    at, now = at.astimezone(WIB), now.astimezone(WIB)
    clock = f"pukul {at:%H.%M} WIB"
    days = (at.date() - now.date()).days
    if days == 0:
        return f"hari ini {clock}"
    if days == 1:
        return f"besok {clock}"
    return f"{DAY_NAMES[at.weekday()]}, {at:%d/%m} {clock}"


class HandoffService:
    """Claim, reply, close, leave, forward, rate: every change to a handed-over conversation."""

    def __init__(self, store: HandoffStore, tickets: TicketStore, desk_names: Sequence[str] = (),
                 claim_timeout: timedelta = DEFAULT_CLAIM_TIMEOUT) -> None:
        self.store = store
        self.tickets = tickets
        self.desk_names = [name for name in dict.fromkeys(desk_names) if name != CLI_DESK]
        self.claim_timeout = claim_timeout

    # ------------------------------------------------------------ helpers

    def desk_targets(self, handoff: Handoff) -> List[str]:
        """Where a message for agents goes: the holder's desk once claimed, else every desk."""
        if handoff.agent is not None and handoff.state == WITH_AGENT:
            return [handoff.agent.desk] if handoff.agent.desk in self.desk_names else []
        return list(self.desk_names)

    def _note(self, text: str) -> Tuple[str, Sequence[Outgoing], Sequence[str]]:
        return TO_AGENT, [Outgoing(text)], self.desk_names

    @staticmethod
    def _to_customer(*messages: Outgoing) -> Tuple[str, Sequence[Outgoing], Sequence[str]]:
        return TO_CUSTOMER, messages, [CUSTOMER_TARGET]

    def _missing(self, ticket_id: str) -> Outcome:
        handoff = self.store.get(ticket_id)
        if handoff is None:
            return Outcome(NOT_FOUND, f"Tiket {ticket_id} tidak ditemukan.")
        if not handoff.active:
            return Outcome(CLOSED, f"Tiket {ticket_id} sudah ditutup.", handoff)
        assert handoff.agent is not None
        return Outcome(TAKEN, f"Tiket {ticket_id} sedang ditangani {handoff.agent.name}.", handoff)

    def expected_reply(self, handoff: Handoff, now: datetime) -> str:
        """The honest wait: the ticket's SLA deadline, as the customer reads it."""
        ticket = self.tickets.get(handoff.ticket_id)
        due = ticket.sla_due_at if ticket else add_operating_time(now, self.claim_timeout)
        return when_text(max(due, now), now)

    # ------------------------------------------------------------ agents

    def claim(self, ticket_id: str, agent: Agent, now: Optional[datetime] = None) -> Outcome:
        """Take a waiting ticket; the customer is told who handles it."""
        now = now or utc_now()
        label = agent_label(agent)
        handoff = self.store.transition(
            ticket_id, IS_WAITING,
            {"state": WITH_AGENT, "claimed_at": now, "agent_desk": agent.desk, "agent_id": agent.agent_id,
             "agent_name": agent.name[:128]}, now,
            messages=[self._to_customer(Outgoing(wording.HANDOFF_CLAIMED.format(agent=label, ticket_id=ticket_id))),
                      self._note(wording.NOTE_CLAIMED.format(ticket_id=ticket_id, agent=agent.name))])
        if handoff is not None:
            logger.info("handoff %s claimed by %s (%s)", ticket_id, agent.name, agent.desk)
            handoff_event("claimed")
            return Outcome(CLAIMED, f"Tiket {ticket_id} sekarang Anda tangani.", handoff)
        current = self.store.get(ticket_id)
        if current is not None and current.active and agent.same_person(current.agent):
            return Outcome(ALREADY_YOURS, f"Tiket {ticket_id} sudah Anda tangani.", current)
        return self._missing(ticket_id)

    def reply(self, ticket_id: str, text: str, agent: Optional[Agent] = None, now: Optional[datetime] = None,
              dedupe_key: Optional[str] = None) -> Outcome:
        """Send the agent's words to the customer. A reply to a waiting ticket claims it for that agent;
        ``agent=None`` (the CLI) speaks as whoever holds the ticket."""
        now = now or utc_now()
        if not clean_text(text):
            return Outcome(EMPTY, "Balasan kosong tidak dikirim.")
        current = self.store.get(ticket_id)
        if current is None or not current.active:
            return self._missing(ticket_id)
        if agent is None:
            if current.agent is None:
                return Outcome(NOT_CLAIMED, f"Tiket {ticket_id} belum diambil; jalankan dulu: claim {ticket_id} "
                                            "--agent NAMA.", current)
            agent = current.agent
        elif current.state != WITH_AGENT:
            claimed = self.claim(ticket_id, agent, now)
            if not claimed.ok:
                return claimed
        message = Outgoing(wording.AGENT_SAYS.format(agent=agent_label(agent), text=text.strip()), author=agent.name)
        try:
            handoff = self.store.transition(
                ticket_id, held_by(agent),
                {"first_reply_at": sa.func.coalesce(handoffs.c.first_reply_at,
                                                    sa.literal(now, handoffs.c.first_reply_at.type))}, now,
                messages=[self._to_customer(message)], dedupe_key=dedupe_key)
        except DuplicateMessage:
            return Outcome(DUPLICATE, "Balasan ini sudah terkirim sebelumnya.", self.store.get(ticket_id))
        if handoff is None:
            return self._missing(ticket_id)
        logger.info("handoff %s: reply from %s queued for the customer", ticket_id, agent.name)
        return Outcome(SENT, "Balasan dikirim ke pelanggan.", handoff)

    def close(self, ticket_id: str, agent: Optional[Agent] = None, now: Optional[datetime] = None) -> Outcome:
        """Resolve the ticket: the customer is told, the bot resumes, and the CSAT survey is sent."""
        now = now or utc_now()
        current = self.store.get(ticket_id)
        if current is None or not current.active:
            return self._missing(ticket_id)
        closer = agent or current.agent
        if agent is not None and current.agent is not None and not agent.same_person(current.agent):
            return self._missing(ticket_id)
        label = agent_label(closer) if closer else wording.AGENT_UNNAMED
        resolved = Outgoing(wording.HANDOFF_RESOLVED.format(agent=label, ticket_id=ticket_id))
        survey = Outgoing(wording.CSAT_QUESTION.format(ticket_id=ticket_id), buttons=rating_buttons(ticket_id))
        values = {"state": RESOLVED, "resolved_at": now, "survey": SURVEY_ASKED, "survey_sent_at": now}
        if current.agent is None and closer is not None:
            values.update(agent_desk=closer.desk, agent_id=closer.agent_id, agent_name=closer.name[:128],
                          claimed_at=now)
        handoff = self.store.transition(
            ticket_id, IS_ACTIVE, values, now, close_ticket=True,
            messages=[self._to_customer(resolved, survey),
                      self._note(wording.NOTE_CLOSED.format(ticket_id=ticket_id,
                                                            agent=closer.name if closer else "CLI"))])
        if handoff is None:
            return self._missing(ticket_id)
        logger.info("handoff %s resolved; CSAT survey queued", ticket_id)
        handoff_event("resolved")
        return Outcome(DONE, f"Tiket {ticket_id} ditutup; survei kepuasan dikirim ke pelanggan.", handoff)

    # ------------------------------------------------------------ the customer

    def forward(self, handoff: Handoff, text: str, now: Optional[datetime] = None,
                dedupe_key: Optional[str] = None) -> Optional[Outgoing]:
        """Pass a customer message to the agents; the one-time notice for the customer, if still owed."""
        now = now or utc_now()
        try:
            updated = self.store.transition(
                handoff.ticket_id, IS_ACTIVE, {"last_customer_at": now}, now, dedupe_key=dedupe_key,
                messages=[(TO_AGENT, [Outgoing(text, author=CUSTOMER_AUTHOR)], self.desk_targets(handoff))])
        except DuplicateMessage:
            return None
        if updated is None or self.store.transition(handoff.ticket_id, sa.and_(IS_ACTIVE, NO_NOTICE_YET),
                                                    {"notice_sent_at": now}, now) is None:
            return None
        return Outgoing(self.notice_text(updated, now))

    def notice_text(self, handoff: Handoff, now: datetime) -> str:
        """"The agent will reply here", with the honest expected wait."""
        if handoff.state == WITH_AGENT and handoff.agent is not None:
            return wording.HANDOFF_WITH_AGENT.format(agent=agent_label(handoff.agent))
        due = self.expected_reply(handoff, now)
        if within_operating_hours(now):
            return wording.HANDOFF_WAITING_IN_HOURS.format(ticket_id=handoff.ticket_id, due=due)
        return wording.HANDOFF_WAITING_OUT_OF_HOURS.format(ticket_id=handoff.ticket_id, due=due,
                                                        hours=wording.agent_hours_text())

    def leave(self, handoff: Handoff, now: Optional[datetime] = None) -> Optional[Outgoing]:
        """The customer goes back to the bot: the ticket is closed without a survey, agents are told."""
        now = now or utc_now()
        left = self.store.transition(handoff.ticket_id, IS_ACTIVE, {"state": LEFT, "resolved_at": now}, now,
                                     close_ticket=True,
                                     messages=[self._note(wording.NOTE_CUSTOMER_LEFT.format(ticket_id=handoff.ticket_id))])
        if left is None:
            return None
        logger.info("handoff %s: the customer went back to the bot", handoff.ticket_id)
        handoff_event("left")
        return Outgoing(wording.HANDOFF_LEFT.format(ticket_id=handoff.ticket_id))

    def rate(self, handoff: Handoff, rating: int, now: Optional[datetime] = None) -> Optional[Outgoing]:
        """Store the CSAT rating (once per ticket); the thank-you that invites an optional comment."""
        now = now or utc_now()
        rated = self.store.transition(
            handoff.ticket_id, SURVEY_WAITS_FOR_RATING, {"rating": rating, "rated_at": now, "survey": SURVEY_COMMENT},
            now, messages=[self._note(wording.NOTE_RATING.format(ticket_id=handoff.ticket_id, rating=rating,
                                                               label=wording.CSAT_CHOICES[rating]))])
        if rated is None:
            return None
        logger.info("handoff %s rated %d", handoff.ticket_id, rating)
        text = wording.CSAT_SORRY if rating <= 2 else wording.CSAT_THANKS
        return Outgoing(text, buttons=(skip_button(handoff.ticket_id),))

    def comment(self, handoff: Handoff, text: str, now: Optional[datetime] = None) -> Optional[Outgoing]:
        """Store the optional comment after a rating."""
        now = now or utc_now()
        comment = clean_text(text)
        done = self.store.transition(
            handoff.ticket_id, SURVEY_WAITS_FOR_COMMENT, {"comment": comment, "survey": SURVEY_DONE}, now,
            messages=[self._note(wording.NOTE_COMMENT.format(ticket_id=handoff.ticket_id, comment=comment))])
        return Outgoing(wording.CSAT_COMMENT_THANKS) if done is not None else None

    def end_survey(self, handoff: Handoff, state: str = SURVEY_DONE, now: Optional[datetime] = None) -> bool:
        """Finish (skip) or quietly expire an open survey."""
        return self.store.transition(handoff.ticket_id, SURVEY_OPEN, {"survey": state}, now or utc_now()) is not None

    # ------------------------------------------------------------ time-based

    def claim_deadline(self, handoff: Handoff) -> datetime:
        """When a waiting ticket counts as unclaimed: the timeout in operating time after its creation."""
        return add_operating_time(handoff.created_at, self.claim_timeout)

    def sweep(self, now: Optional[datetime] = None) -> Tuple[int, int]:
        """Tell customers whose ticket nobody claimed in time (once), and expire old surveys quietly.
        Returns (customers told, surveys expired)."""
        now = now or utc_now()
        told = 0
        for handoff in self.store.in_states([WAITING]):
            if handoff.unclaimed_notice_at is not None or now < self.claim_deadline(handoff):
                continue
            text = wording.HANDOFF_UNCLAIMED.format(ticket_id=handoff.ticket_id, due=self.expected_reply(handoff, now))
            since = when_text(handoff.created_at, now)
            if self.store.transition(handoff.ticket_id, sa.and_(IS_WAITING, NO_UNCLAIMED_NOTICE_YET),
                                     {"unclaimed_notice_at": now}, now,
                                     messages=[self._to_customer(Outgoing(text)),
                                               self._note(wording.NOTE_UNCLAIMED.format(ticket_id=handoff.ticket_id,
                                                                                     since=since))]) is not None:
                told += 1
                handoff_event("unclaimed")
                logger.warning("handoff %s: no agent claimed it by %s; the customer was told", handoff.ticket_id,
                               self.claim_deadline(handoff).isoformat())
        expired = 0
        for survey_state, ttl, since_field in ((SURVEY_ASKED, SURVEY_TTL, "survey_sent_at"),
                                                (SURVEY_COMMENT, COMMENT_TTL, "rated_at")):
            for handoff in self.store.with_survey(survey_state):
                started = getattr(handoff, since_field) or handoff.created_at
                if now - started >= ttl and self.end_survey(handoff, SURVEY_EXPIRED, now):
                    expired += 1
        return told, expired

    def comment_window_open(self, handoff: Handoff, now: datetime) -> bool:
        """Whether a message now may still be taken as the survey comment."""
        return (handoff.survey == SURVEY_COMMENT and handoff.rated_at is not None
                and now - handoff.rated_at < COMMENT_TTL)

    def survey_open(self, handoff: Handoff, now: datetime) -> bool:
        """Whether the rating question is still open."""
        return handoff.survey == SURVEY_ASKED and handoff.survey_sent_at is not None and \
            now - handoff.survey_sent_at < SURVEY_TTL

