"""What the report reads besides the events: tickets with their live handoff, and the secrets warnings the
handoff gate sent while an agent held a conversation (those never reach Rasa's tracker)."""
from __future__ import annotations

from datetime import datetime
from typing import Dict, List, Optional

import sqlalchemy as sa

from bot import wording
from bot.analytics.metrics import AgentSideWarning, TicketRecord
from bot.handoff.model import TO_CUSTOMER
from bot.handoff.store import handoff_from_row
from bot.tickets.database import Database
from bot.tickets.schema import handoff_messages, handoffs, tickets

SECRET_WARNING_PREFIX = wording.SECRET_WARNING.split("{what}")[0]


def load_tickets(database: Database, since: datetime, until: datetime,
                 channel: Optional[str] = None) -> List[TicketRecord]:
    """Tickets created in ``[since, until)`` (on ``channel`` when given), each with its handoff."""
    ticket_query = sa.select(tickets.c.id, tickets.c.customer_id, tickets.c.channel, tickets.c.category,
                             tickets.c.priority, tickets.c.created_at, tickets.c.sla_due_at).where(
        tickets.c.created_at >= since, tickets.c.created_at < until)
    handoff_query = sa.select(handoffs).join(tickets, tickets.c.id == handoffs.c.ticket_id).where(
        tickets.c.created_at >= since, tickets.c.created_at < until)
    if channel:
        ticket_query = ticket_query.where(tickets.c.channel == channel)
        handoff_query = handoff_query.where(tickets.c.channel == channel)
    with database.reader.connect() as connection:
        held = {row["ticket_id"]: handoff_from_row(row) for row in connection.execute(handoff_query).mappings()}
        rows = connection.execute(ticket_query.order_by(tickets.c.created_at, tickets.c.id)).mappings().all()
    return [TicketRecord(id=row["id"], customer_id=row["customer_id"], channel=row["channel"],
                         category=row["category"], priority=row["priority"], created_at=row["created_at"],
                         sla_due_at=row["sla_due_at"], handoff=held.get(row["id"])) for row in rows]


def load_ticket_times(database: Database, since: datetime, until: datetime) -> Dict[str, List[float]]:
    """Creation times (epoch seconds, sorted) of every ticket created in ``[since, until)``, per customer
    (for the self-service rule: no ticket within 24 h of an answer, whatever the channel)."""
    query = sa.select(tickets.c.customer_id, tickets.c.created_at).where(
        tickets.c.created_at >= since, tickets.c.created_at < until).order_by(tickets.c.created_at)
    times: Dict[str, List[float]] = {}
    with database.reader.connect() as connection:
        for customer_id, created_at in connection.execute(query):
            times.setdefault(customer_id, []).append(created_at.timestamp())
    return times


def load_agent_side_warnings(database: Database, since: datetime, until: datetime,
                             channel: Optional[str] = None) -> List[AgentSideWarning]:
    """Secrets warnings the handoff gate sent to customers in ``[since, until)``."""
    query = (sa.select(handoff_messages.c.created_at, handoffs.c.channel)
             .join(handoffs, handoffs.c.ticket_id == handoff_messages.c.ticket_id)
             .where(handoff_messages.c.direction == TO_CUSTOMER,
                    handoff_messages.c.text.startswith(SECRET_WARNING_PREFIX, autoescape=True),
                    handoff_messages.c.created_at >= since, handoff_messages.c.created_at < until))
    if channel:
        query = query.where(handoffs.c.channel == channel)
    with database.reader.connect() as connection:
        return [AgentSideWarning(at=row[0], channel=row[1]) for row in connection.execute(query)]
