"""The ticket database's share of a customer's data: tickets, their live handoff (thread, CSAT comment),
notification and message outboxes, desk links.

Open tickets are never touched. A closed ticket past the retention (or any closed ticket of a customer who
asked for erasure) keeps its row for metrics and loses its personal fields (:mod:`bot.privacy.scrub`),
its handoff messages lose their text and its CSAT comment goes; whatever of it was still waiting in an
outbox is marked ``cancelled`` so a blanked message is never sent. Erasure also replaces the customer id
of the ticket and its handoff with a pseudonym. One batch of tickets is one transaction.
"""
from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.handoff.store import HandoffStore
from bot.privacy.batches import between_batches
from bot.privacy.scrub import PLACEHOLDER, kept_message_text, scrubbed_ticket_values
from bot.report.sources import SECRET_WARNING_PREFIX
from bot.tickets.database import Database
from bot.tickets.outbox import RETRYABLE, Outbox
from bot.tickets.render import ticket_dict
from bot.tickets.schema import desk_links, handoff_messages, handoffs, message_outbox, outbox, tickets
from bot.tickets.store import CLOSED, TicketStore

CANCELLED = "cancelled"   # an outbox row that must never be delivered (its content was removed)
CANCEL_REASON = "cancelled: personal data removed (bot.privacy)"
COUNT_KEYS = ("tickets_scrubbed", "handoff_messages_scrubbed", "comments_removed", "outbox_cancelled")


def _counts() -> Dict[str, int]:
    return dict.fromkeys(COUNT_KEYS, 0)


def scrub_tickets(connection: Connection, ticket_ids: Sequence[str], now: datetime,
                  pseudonym: Optional[str] = None) -> Dict[str, int]:
    """Remove the personal data of these (closed) tickets inside ``connection``'s transaction."""
    counts = _counts()
    if not ticket_ids:
        return counts
    ids = list(ticket_ids)
    values = {**scrubbed_ticket_values(), "scrubbed_at": now}
    if pseudonym is not None:
        values["customer_id"] = pseudonym
    counts["tickets_scrubbed"] = connection.execute(
        sa.update(tickets).where(tickets.c.id.in_(ids)).values(**values)).rowcount
    for message_id, text in connection.execute(sa.select(handoff_messages.c.id, handoff_messages.c.text)
                                               .where(handoff_messages.c.ticket_id.in_(ids))).all():
        kept = kept_message_text(text)
        if kept != text:
            connection.execute(sa.update(handoff_messages).where(handoff_messages.c.id == message_id)
                               .values(text=kept))
            counts["handoff_messages_scrubbed"] += 1
    counts["comments_removed"] = connection.execute(
        sa.update(handoffs).where(handoffs.c.ticket_id.in_(ids), handoffs.c.comment.isnot(None))
        .values(comment=None)).rowcount
    if pseudonym is not None:
        connection.execute(sa.update(handoffs).where(handoffs.c.ticket_id.in_(ids)).values(customer_id=pseudonym))
    cancelled = {"status": CANCELLED, "locked_until": None, "lease_token": None, "last_error": CANCEL_REASON}
    counts["outbox_cancelled"] = connection.execute(
        sa.update(outbox).where(outbox.c.ticket_id.in_(ids), outbox.c.status.in_(RETRYABLE))
        .values(**cancelled)).rowcount
    messages = sa.select(handoff_messages.c.id).where(handoff_messages.c.ticket_id.in_(ids))
    counts["outbox_cancelled"] += connection.execute(
        sa.update(message_outbox).where(message_outbox.c.message_id.in_(messages),
                                        message_outbox.c.status.in_(RETRYABLE)).values(**cancelled)).rowcount
    return counts


def _expired(before: datetime) -> Any:
    """Closed tickets whose personal data is past the retention and still there."""
    return sa.and_(tickets.c.status == CLOSED, sa.func.coalesce(tickets.c.closed_at, tickets.c.created_at) < before,
                   tickets.c.scrubbed_at.is_(None))


def purge(database: Database, before: datetime, now: datetime, batch_size: int, pause: float = 0.0,
          dry_run: bool = False) -> Dict[str, int]:
    """Scrub closed tickets closed before ``before`` (``batch_size`` tickets per transaction)."""
    if dry_run:
        return _dry_run(database, _expired(before))
    totals = _counts()
    while True:
        with database.writer.begin() as connection:
            ids = list(connection.execute(sa.select(tickets.c.id).where(_expired(before))
                                          .order_by(tickets.c.id).limit(batch_size)).scalars())
            for key, value in scrub_tickets(connection, ids, now).items():
                totals[key] += value
        if len(ids) < batch_size:
            return totals
        between_batches(database.writer, pause)


def _dry_run(database: Database, condition: Any) -> Dict[str, int]:
    """What :func:`purge` would change."""
    chosen = sa.select(tickets.c.id).where(condition)
    with database.reader.connect() as connection:
        def scalar(query: Any) -> int:
            return int(connection.execute(query).scalar_one())
        return {
            "tickets_scrubbed": scalar(sa.select(sa.func.count()).select_from(tickets).where(condition)),
            "handoff_messages_scrubbed": scalar(sa.select(sa.func.count()).select_from(handoff_messages).where(
                handoff_messages.c.ticket_id.in_(chosen), handoff_messages.c.text != PLACEHOLDER,
                ~handoff_messages.c.text.startswith(SECRET_WARNING_PREFIX, autoescape=True))),
            "comments_removed": scalar(sa.select(sa.func.count()).select_from(handoffs).where(
                handoffs.c.ticket_id.in_(chosen), handoffs.c.comment.isnot(None))),
            "outbox_cancelled": scalar(sa.select(sa.func.count()).select_from(outbox).where(
                outbox.c.ticket_id.in_(chosen), outbox.c.status.in_(RETRYABLE))) + scalar(
                sa.select(sa.func.count()).select_from(message_outbox).join(
                    handoff_messages, handoff_messages.c.id == message_outbox.c.message_id).where(
                    handoff_messages.c.ticket_id.in_(chosen), message_outbox.c.status.in_(RETRYABLE))),
        }


def customer_ticket_ids(database: Database, customer_id: str, status: Optional[str] = None) -> List[str]:
    """Ids of the customer's tickets (with ``status`` when given), oldest first."""
    query = sa.select(tickets.c.id).where(tickets.c.customer_id == customer_id)
    if status is not None:
        query = query.where(tickets.c.status == status)
    with database.reader.connect() as connection:
        return list(connection.execute(query.order_by(tickets.c.created_at, tickets.c.id)).scalars())


def export(database: Database, customer_id: str) -> List[Dict[str, Any]]:
    """Every ticket of the customer with its handoff, thread, notifications, message deliveries and desk
    links (through the stores' own reads where they exist)."""
    store, handoff_store = TicketStore(database), HandoffStore(database)
    notifications = Outbox(database)
    found = []
    for ticket_id in customer_ticket_ids(database, customer_id):
        ticket = store.get(ticket_id)
        if ticket is None:
            continue
        handoff = handoff_store.get(ticket_id)
        found.append({
            "ticket": ticket_dict(ticket),
            "handoff": asdict(handoff) if handoff is not None else None,
            "messages": [asdict(message) for message in handoff_store.thread(ticket_id)],
            "notifications": [asdict(delivery) for delivery in notifications.deliveries(ticket_id)],
            "message_deliveries": _message_deliveries(database, ticket_id),
            "desk_links": _desk_links(database, ticket_id),
        })
    return found


def _message_deliveries(database: Database, ticket_id: str) -> List[Dict[str, Any]]:
    query = (sa.select(message_outbox).join(handoff_messages, handoff_messages.c.id == message_outbox.c.message_id)
             .where(handoff_messages.c.ticket_id == ticket_id).order_by(message_outbox.c.id))
    with database.reader.connect() as connection:
        return [{key: value for key, value in row.items() if key != "lease_token"}
                for row in connection.execute(query).mappings()]


def _desk_links(database: Database, ticket_id: str) -> List[Dict[str, Any]]:
    query = sa.select(desk_links).where(desk_links.c.ticket_id == ticket_id).order_by(desk_links.c.created_at)
    with database.reader.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def erase(database: Database, customer_id: str, pseudonym: str, now: datetime,
          batch_size: int) -> Dict[str, Any]:
    """Scrub every closed ticket of the customer and give it ``pseudonym``; open tickets are listed
    (``open_tickets_kept``) and left as they are."""
    totals: Dict[str, Any] = _counts()
    while True:
        with database.writer.begin() as connection:
            ids = list(connection.execute(sa.select(tickets.c.id).where(
                tickets.c.customer_id == customer_id, tickets.c.status == CLOSED)
                .order_by(tickets.c.id).limit(batch_size)).scalars())
            for key, value in scrub_tickets(connection, ids, now, pseudonym).items():
                totals[key] += value
        if len(ids) < batch_size:
            break
    totals["open_tickets_kept"] = customer_ticket_ids(database, customer_id, status="open")
    return totals
