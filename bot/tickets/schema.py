"""Database tables for tickets, their per-day id counters and the notification outbox.

Created with ``metadata.create_all`` on first use; the same definitions work on SQLite and PostgreSQL.
Times are stored in UTC and always read back timezone-aware (SQLite has no time-zone type).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData()


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime: {value.isoformat()}")
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sla_due_at", UtcDateTime, nullable=False),
    sa.Column("closed_at", UtcDateTime, nullable=True),
    sa.Column("customer_id", sa.String(256), nullable=False),
    sa.Column("customer_name", sa.Text, nullable=True),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("category", sa.String(32), nullable=False),
    sa.Column("priority", sa.String(16), nullable=False),
    sa.Column("sentiment", sa.String(16), nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("details", sa.JSON, nullable=False),
    sa.Column("kb_articles", sa.JSON, nullable=False),
    sa.Column("transcript", sa.JSON, nullable=False),
    sa.Column("flags", sa.JSON, nullable=False),
    sa.Column("dedupe_key", sa.String(256), nullable=True),
)
# Only one OPEN ticket per dedupe key; once closed, the same key may open a new ticket.
sa.Index("uq_tickets_open_dedupe_key", tickets.c.dedupe_key, unique=True,
         postgresql_where=sa.and_(tickets.c.status == "open", tickets.c.dedupe_key.isnot(None)),
         sqlite_where=sa.and_(tickets.c.status == "open", tickets.c.dedupe_key.isnot(None)))
sa.Index("ix_tickets_status_sla", tickets.c.status, tickets.c.sla_due_at)

ticket_counters = sa.Table(
    "ticket_counters", metadata,
    sa.Column("day", sa.String(8), primary_key=True),  # YYYYMMDD in WIB
    sa.Column("last_value", sa.Integer, nullable=False),
)

outbox = sa.Table(
    "ticket_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("notifier", sa.String(64), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),  # pending | sent | failed (failed is still retried)
    sa.Column("attempts", sa.Integer, nullable=False, default=0),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("next_attempt_at", UtcDateTime, nullable=False),
    sa.Column("locked_until", UtcDateTime, nullable=True),  # lease of the worker delivering it right now
    sa.Column("lease_token", sa.String(64), nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("sent_at", UtcDateTime, nullable=True),
    sa.UniqueConstraint("ticket_id", "notifier", name="uq_outbox_ticket_notifier"),
)
sa.Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)
