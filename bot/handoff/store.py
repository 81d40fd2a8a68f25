"""Handoff persistence: conversation state per ticket, the message thread, its outbox and desk links.

Every state change is a compare-and-set UPDATE, and the messages it causes are written in the same
transaction, so two agents (or a desk webhook delivered twice) can never claim, close or rate a ticket
twice, and a transition never exists without its messages. Text is redacted (secrets) before it is written, and
personal data is masked in everything but the agents' words to the customer (delivered as written).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.handoff.model import (
    ACTIVE_STATES,
    CUSTOMER_TARGET,
    SURVEY_ASKED,
    SURVEY_COMMENT,
    TO_CUSTOMER,
    WAITING,
    WITH_AGENT,
    Agent,
    Handoff,
    Outgoing,
    ThreadMessage,
)
from bot.tickets.database import Database
from bot.tickets.outbox import SENT, Outbox, QueueTable
from bot.tickets.schema import desk_links, handoff_messages, handoffs, message_outbox, tickets
from nlu.scrub import protected
from nlu.secrets import redact


class DuplicateMessage(Exception):
    """A message with this dedupe key exists already (a redelivered webhook or update)."""


MESSAGE_OUTBOX = QueueTable(message_outbox, "message_id", "target")
MAX_MESSAGE_CHARS = 4000


def _aware(value: Optional[datetime]) -> Optional[datetime]:
    if value is None:
        return None
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def handoff_from_row(row: Mapping[str, Any]) -> Handoff:
    """Rebuild a :class:`Handoff` from a ``handoffs`` row."""
    agent = Agent(row["agent_desk"], row["agent_id"], row["agent_name"]) if row["agent_desk"] else None
    times = {name: _aware(row[name]) for name in ("claimed_at", "first_reply_at", "resolved_at", "notice_sent_at",
                                                  "unclaimed_notice_at", "survey_sent_at", "rated_at")}
    return Handoff(ticket_id=row["ticket_id"], customer_id=row["customer_id"], channel=row["channel"],
                   state=row["state"], created_at=_aware(row["created_at"]),  # type: ignore[arg-type]
                   last_customer_at=_aware(row["last_customer_at"]),  # type: ignore[arg-type]
                   agent=agent, survey=row["survey"], rating=row["rating"], comment=row["comment"], **times)


def message_from_row(row: Mapping[str, Any]) -> ThreadMessage:
    """Rebuild a :class:`ThreadMessage` from a ``handoff_messages`` row."""
    return ThreadMessage(id=row["id"], ticket_id=row["ticket_id"], direction=row["direction"], author=row["author"],
                         text=row["text"], buttons=tuple((str(t), str(p)) for t, p in row["buttons"]),
                         created_at=_aware(row["created_at"]))  # type: ignore[arg-type]


def clean_text(text: str, personal_data: bool = True) -> str:
    """What may be stored of a message: secrets redacted and personal data masked, at most ``MAX_MESSAGE_CHARS``
    characters. ``personal_data=False`` keeps personal data: an agent's words to the customer are delivered from
    this row, as the agent wrote them."""
    text = text[: MAX_MESSAGE_CHARS * 2]
    cleaned = (protected(text) if personal_data else redact(text)[0]).strip()
    return cleaned[:MAX_MESSAGE_CHARS]


class HandoffStore:
    """Reads and changes handoffs in one ticket database."""

    def __init__(self, database: Database, on_change: Callable[[], None] = lambda: None) -> None:
        self.database = database
        self.outbox = Outbox(database, MESSAGE_OUTBOX)
        self.on_change = on_change  # called after every committed change (wakes the delivery worker)

    # ------------------------------------------------------------ reads

    def get(self, ticket_id: str) -> Optional[Handoff]:
        """The handoff of a ticket, or None."""
        with self.database.reader.connect() as connection:
            row = connection.execute(sa.select(handoffs).where(handoffs.c.ticket_id == ticket_id)).mappings().first()
        return handoff_from_row(row) if row else None

    def waiting_for(self, customer_id: str) -> Tuple[Optional[Handoff], Optional[Handoff]]:
        """The customer's newest handoff held by (or waiting for) an agent, and their newest handoff with a CSAT
        survey waiting for a rating or a comment; one query (the gate asks for every message; most customers
        have neither)."""
        active = survey = None
        with self.database.reader.connect() as connection:
            rows = connection.execute(
                sa.select(handoffs).where(handoffs.c.customer_id == customer_id,
                                          sa.or_(handoffs.c.state.in_(ACTIVE_STATES),
                                                 handoffs.c.survey.in_((SURVEY_ASKED, SURVEY_COMMENT))))
                .order_by(handoffs.c.created_at.desc())).mappings().all()
        for row in rows:
            if active is None and row["state"] in ACTIVE_STATES:
                active = handoff_from_row(row)
            if survey is None and row["survey"] in (SURVEY_ASKED, SURVEY_COMMENT):
                survey = handoff_from_row(row)
        return active, survey

    def in_states(self, states: Sequence[str]) -> List[Handoff]:
        """Handoffs in any of ``states``, oldest first."""
        with self.database.reader.connect() as connection:
            rows = connection.execute(sa.select(handoffs).where(handoffs.c.state.in_(list(states)))
                                      .order_by(handoffs.c.created_at)).mappings().all()
        return [handoff_from_row(row) for row in rows]

    def with_survey(self, survey: str) -> List[Handoff]:
        """Handoffs whose survey is in state ``survey``."""
        with self.database.reader.connect() as connection:
            rows = connection.execute(sa.select(handoffs).where(handoffs.c.survey == survey)).mappings().all()
        return [handoff_from_row(row) for row in rows]

    def thread(self, ticket_id: str) -> List[ThreadMessage]:
        """Every message of a ticket's handoff, oldest first."""
        with self.database.reader.connect() as connection:
            rows = connection.execute(sa.select(handoff_messages).where(handoff_messages.c.ticket_id == ticket_id)
                                      .order_by(handoff_messages.c.id)).mappings().all()
        return [message_from_row(row) for row in rows]

    def message(self, message_id: int) -> Optional[ThreadMessage]:
        """One message by id."""
        with self.database.reader.connect() as connection:
            row = connection.execute(sa.select(handoff_messages).where(handoff_messages.c.id == message_id)
                                     ).mappings().first()
        return message_from_row(row) if row else None

    def delivered_to_customer(self, customer_id: str, after_id: int = 0, limit: int = 100) -> List[ThreadMessage]:
        """Messages for the customer that were made available to their channel, after ``after_id``."""
        query = (_for_customer(sa.select(handoff_messages), customer_id)
                 .where(message_outbox.c.status == SENT, handoff_messages.c.id > after_id)
                 .order_by(handoff_messages.c.id).limit(limit))
        with self.database.reader.connect() as connection:
            return [message_from_row(row) for row in connection.execute(query).mappings()]

    def waiting_for_customer(self, customer_id: str) -> List[int]:
        """Ids of messages for this customer that are not delivered yet."""
        query = _for_customer(sa.select(handoff_messages.c.id), customer_id).where(message_outbox.c.status != SENT)
        with self.database.reader.connect() as connection:
            return list(connection.execute(query).scalars())

    def ticket_for_link(self, desk: str, ref: str) -> Optional[str]:
        """The ticket a desk's id belongs to."""
        with self.database.reader.connect() as connection:
            return connection.execute(sa.select(desk_links.c.ticket_id).where(
                desk_links.c.desk == desk, desk_links.c.ref == ref)).scalar()

    def links(self, ticket_id: str, desk: str) -> List[str]:
        """A desk's ids for a ticket, in the order they were recorded."""
        with self.database.reader.connect() as connection:
            return list(connection.execute(sa.select(desk_links.c.ref).where(
                desk_links.c.ticket_id == ticket_id, desk_links.c.desk == desk)
                .order_by(desk_links.c.created_at, desk_links.c.ref)).scalars())

    def desks_of(self, ticket_id: str) -> List[str]:
        """Desks that know the ticket (they announced it)."""
        with self.database.reader.connect() as connection:
            return list(connection.execute(sa.select(desk_links.c.desk).where(desk_links.c.ticket_id == ticket_id)
                                           .distinct().order_by(desk_links.c.desk)).scalars())

    # ------------------------------------------------------------ writes

    def link(self, desk: str, ref: str, ticket_id: str, now: datetime) -> None:
        """Record a desk's id for a ticket (idempotent)."""
        try:
            with self.database.writer.begin() as connection:
                connection.execute(sa.insert(desk_links).values(desk=desk, ref=ref, ticket_id=ticket_id,
                                                                created_at=now))
        except IntegrityError:
            pass  # recorded before (a redelivered announcement)

    def add_messages(self, connection: Connection, ticket_id: str, direction: str, messages: Iterable[Outgoing],
                     targets: Sequence[str], now: datetime, dedupe_key: Optional[str] = None) -> List[int]:
        """Write messages and queue each for ``targets``, inside ``connection``'s transaction."""
        ids = []
        for index, message in enumerate(messages):
            key = None if dedupe_key is None else (dedupe_key if index == 0 else f"{dedupe_key}#{index}")
            message_id = connection.execute(sa.insert(handoff_messages).values(
                ticket_id=ticket_id, direction=direction, author=message.author[:128],
                text=clean_text(message.text, personal_data=direction != TO_CUSTOMER),
                buttons=[list(button) for button in message.buttons], created_at=now, dedupe_key=key)
            ).inserted_primary_key[0]
            MESSAGE_OUTBOX.enqueue(connection, message_id, targets, now)
            ids.append(int(message_id))
        return ids

    def _seen(self, dedupe_key: str) -> bool:
        with self.database.reader.connect() as connection:
            return connection.execute(sa.select(handoff_messages.c.id).where(
                handoff_messages.c.dedupe_key == dedupe_key)).first() is not None

    def transition(self, ticket_id: str, when: Any, values: Dict[str, Any], now: datetime,
                   messages: Sequence[Tuple[str, Sequence[Outgoing], Sequence[str]]] = (),
                   close_ticket: bool = False, dedupe_key: Optional[str] = None) -> Optional[Handoff]:
        """Apply ``values`` if the row still matches ``when`` (compare-and-set); write ``messages``
        ((direction, messages, targets) triples) in the same transaction. The new handoff, or None.

        ``dedupe_key`` marks the first message: a second transition with the same key (a redelivered desk
        webhook) changes nothing and raises :class:`DuplicateMessage`."""
        try:
            with self.database.writer.begin() as connection:
                changed = connection.execute(sa.update(handoffs).where(handoffs.c.ticket_id == ticket_id, when)
                                             .values(**values)).rowcount == 1
                if not changed:
                    return None
                if close_ticket:
                    connection.execute(sa.update(tickets).where(tickets.c.id == ticket_id, tickets.c.status == "open")
                                       .values(status="closed", closed_at=now))
                for index, (direction, outgoing, targets) in enumerate(messages):
                    self.add_messages(connection, ticket_id, direction, outgoing, targets, now,
                                      dedupe_key if index == 0 else None)
                row = connection.execute(sa.select(handoffs).where(handoffs.c.ticket_id == ticket_id)).mappings().one()
        except IntegrityError:
            if dedupe_key is not None and self._seen(dedupe_key):
                raise DuplicateMessage(dedupe_key) from None
            raise
        if messages:
            self.on_change()
        return handoff_from_row(row)


def _for_customer(query: Any, customer_id: str) -> Any:
    """``query`` narrowed to the messages for this customer, joined with their customer outbox row."""
    return (query.join(handoffs, handoffs.c.ticket_id == handoff_messages.c.ticket_id)
            .join(message_outbox, sa.and_(message_outbox.c.message_id == handoff_messages.c.id,
                                          message_outbox.c.target == CUSTOMER_TARGET))
            .where(handoffs.c.customer_id == customer_id, handoff_messages.c.direction == TO_CUSTOMER))


def first_in_line() -> Any:
    """An outbox row whose ticket has no earlier message still waiting for the same target: messages of one
    conversation reach each place in the order they were written, one at a time."""
    earlier_outbox, earlier_message = message_outbox.alias("earlier_outbox"), handoff_messages.alias("earlier_message")
    this_ticket = (sa.select(handoff_messages.c.ticket_id).where(handoff_messages.c.id == message_outbox.c.message_id)
                   .scalar_subquery())
    return ~sa.exists(
        sa.select(earlier_outbox.c.id)
        .join(earlier_message, earlier_message.c.id == earlier_outbox.c.message_id)
        .where(earlier_outbox.c.target == message_outbox.c.target, earlier_message.c.ticket_id == this_ticket,
               earlier_outbox.c.status.in_(("pending", "failed")),
               earlier_outbox.c.message_id < message_outbox.c.message_id))


# Conditions for :meth:`HandoffStore.transition`.
IS_WAITING = handoffs.c.state == WAITING
IS_ACTIVE = handoffs.c.state.in_(ACTIVE_STATES)
SURVEY_WAITS_FOR_RATING = handoffs.c.survey == SURVEY_ASKED
SURVEY_WAITS_FOR_COMMENT = handoffs.c.survey == SURVEY_COMMENT
SURVEY_OPEN = handoffs.c.survey.in_((SURVEY_ASKED, SURVEY_COMMENT))
NO_NOTICE_YET = handoffs.c.notice_sent_at.is_(None)
NO_UNCLAIMED_NOTICE_YET = handoffs.c.unclaimed_notice_at.is_(None)


def held_by(agent: Agent) -> Any:
    """The conversation is with this agent."""
    return sa.and_(handoffs.c.state == WITH_AGENT, handoffs.c.agent_desk == agent.desk,
                   handoffs.c.agent_id == agent.agent_id)


__all__ = ["HandoffStore", "DuplicateMessage", "first_in_line", "clean_text", "MESSAGE_OUTBOX", "IS_WAITING",
           "IS_ACTIVE", "held_by", "SURVEY_WAITS_FOR_RATING", "SURVEY_WAITS_FOR_COMMENT", "SURVEY_OPEN",
           "NO_NOTICE_YET", "NO_UNCLAIMED_NOTICE_YET"]
