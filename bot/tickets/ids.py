"""Ticket ids: ``CS-<YYYYMMDD in WIB>-<per-day sequence>``, allocated inside the creating transaction.

The per-day counter is bumped with an atomic upsert (``INSERT ... ON CONFLICT DO UPDATE``), which row-locks
the day's counter until the transaction ends. Concurrent creators therefore queue on that row and get
consecutive numbers, and a rolled-back creation gives its number back.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from bot.tickets.model import WIB
from bot.tickets.schema import ticket_counters

ID_PREFIX = "CS"
_UPSERT_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def ticket_day(created_at: datetime) -> str:
    """The WIB calendar day of ``created_at`` as ``YYYYMMDD``."""
    return created_at.astimezone(WIB).strftime("%Y%m%d")


def format_ticket_id(day: str, sequence: int) -> str:
    """``CS-20261122-0042`` (at least four digits; the 10 000th ticket of a day gets five)."""
    return f"{ID_PREFIX}-{day}-{sequence:04d}"


def allocate_ticket_id(connection: Connection, created_at: datetime) -> str:
    """Take the next id of ``created_at``'s day; call inside the transaction that inserts the ticket."""
    day = ticket_day(created_at)
    upsert = _UPSERT_INSERTS[connection.dialect.name](ticket_counters).values(day=day, last_value=1)
    connection.execute(upsert.on_conflict_do_update(
        index_elements=[ticket_counters.c.day], set_={"last_value": ticket_counters.c.last_value + 1}))
    sequence = connection.execute(
        sa.select(ticket_counters.c.last_value).where(ticket_counters.c.day == day)).scalar_one()
    return format_ticket_id(day, sequence)
