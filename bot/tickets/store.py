"""Ticket store: create, read, list and close tickets; queue their notifications atomically.

``create`` writes the ticket, its id counter and one outbox row per notifier in a single transaction, so a
ticket never exists without its notifications (and vice versa). Free text is redacted before it is
written (see :mod:`bot.tickets.redaction`).
"""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.tickets.database import Database, connect
from bot.tickets.ids import allocate_ticket_id
from bot.tickets.model import WIB, Ticket, TicketDraft
from bot.tickets.outbox import Outbox, enqueue
from bot.tickets.records import draft_columns, ticket_from_row
from bot.tickets.redaction import redact_draft
from bot.tickets.schema import handoffs, tickets
from bot.tickets.sla import sla_due

logger = logging.getLogger(__name__)

OPEN, CLOSED = "open", "closed"


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


class TicketStore:
    """Tickets and their notification outbox in one SQL database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.outbox = Outbox(database)

    def create(self, draft: TicketDraft, notifier_names: Sequence[str], now: Optional[datetime] = None) -> Ticket:
        """Store ``draft`` as a new open ticket and queue one notification per name.

        When an open ticket with the same ``dedupe_key`` exists, that ticket is returned unchanged and
        nothing is queued (a double-submitted form does not notify agents twice).
        """
        if now is not None and now.utcoffset() is None:
            raise ValueError(f"now must be timezone-aware; got naive {now.isoformat()}")
        draft = redact_draft(draft)
        created_at = (now or _utc_now()).astimezone(WIB)
        if draft.dedupe_key is not None:
            existing = self._open_by_dedupe_key(draft.dedupe_key)
            if existing is not None:
                return existing
        try:
            with self.database.writer.begin() as connection:
                ticket = self._insert(connection, draft, created_at, notifier_names)
        except IntegrityError:
            # A concurrent create with the same dedupe key won the race: return its ticket.
            existing = self._open_by_dedupe_key(draft.dedupe_key) if draft.dedupe_key is not None else None
            if existing is None:
                raise
            return existing
        logger.info("ticket %s created (%s, %s), notifications queued: %s", ticket.id, ticket.category,
                    ticket.priority, ", ".join(notifier_names) or "none")
        return ticket

    @staticmethod
    def _insert(connection: Connection, draft: TicketDraft, created_at: datetime,
                notifier_names: Sequence[str]) -> Ticket:
        ticket = Ticket.from_draft(draft, id=allocate_ticket_id(connection, created_at), status=OPEN,
                                   created_at=created_at, sla_due_at=sla_due(created_at, draft.priority))
        connection.execute(sa.insert(tickets).values(
            id=ticket.id, status=ticket.status, created_at=ticket.created_at, sla_due_at=ticket.sla_due_at,
            **draft_columns(draft)))
        enqueue(connection, ticket.id, notifier_names, created_at)
        # The conversation now waits for an agent (bot.handoff takes it from here; states in bot.handoff.model).
        connection.execute(sa.insert(handoffs).values(
            ticket_id=ticket.id, customer_id=draft.customer_id, channel=draft.channel, state="waiting",
            created_at=created_at, last_customer_at=created_at, survey="none"))
        return ticket

    def _open_by_dedupe_key(self, dedupe_key: str) -> Optional[Ticket]:
        with self.database.reader.connect() as connection:
            row = connection.execute(sa.select(tickets).where(
                tickets.c.dedupe_key == dedupe_key, tickets.c.status == OPEN)).mappings().first()
        return ticket_from_row(row) if row else None

    def get(self, ticket_id: str) -> Optional[Ticket]:
        """The ticket with this id, or None."""
        with self.database.reader.connect() as connection:
            row = connection.execute(sa.select(tickets).where(tickets.c.id == ticket_id)).mappings().first()
        return ticket_from_row(row) if row else None

    def list(self, status: Optional[str] = OPEN) -> List[Ticket]:
        """Tickets with ``status`` (None: all).

        Open tickets come as a work queue: earliest SLA deadline first, so the top line is what an agent
        should pick up next. Any other selection is history and comes newest first.
        """
        query = sa.select(tickets)
        if status is not None:
            query = query.where(tickets.c.status == status)
        if status == OPEN:
            query = query.order_by(tickets.c.sla_due_at, tickets.c.created_at, tickets.c.id)
        else:
            query = query.order_by(tickets.c.created_at.desc(), tickets.c.id.desc())
        with self.database.reader.connect() as connection:
            return [ticket_from_row(row) for row in connection.execute(query).mappings()]

    def close(self, ticket_id: str, now: Optional[datetime] = None) -> bool:
        """Close an open ticket; False when there is no such open ticket."""
        with self.database.writer.begin() as connection:
            closed = connection.execute(sa.update(tickets).where(tickets.c.id == ticket_id, tickets.c.status == OPEN)
                                        .values(status=CLOSED, closed_at=now or _utc_now())).rowcount == 1
        if closed:
            logger.info("ticket %s closed", ticket_id)
        return closed


def open_store(url: Optional[str] = None) -> TicketStore:
    """A store on ``url``, else ``TICKETS_DB_URL``, else ``sqlite:///var/tickets.db`` (tables are created)."""
    return TicketStore(connect(url))
