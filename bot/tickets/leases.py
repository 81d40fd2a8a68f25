"""Leases: which process runs a job that must run only once across Sanic workers and replicas.

A lease is one row of ``leases`` (name, owner, expiry). ``acquire`` is a compare-and-set: it takes the row
when it is free, expired or already the caller's (then it renews it), and fails while another owner holds
it. On PostgreSQL a concurrent UPDATE re-checks its condition after the other transaction commits, and two
INSERTs of a new name collide on the primary key, so exactly one process wins; on SQLite the write lock
(``BEGIN IMMEDIATE``) serialises the attempts. Expiry is judged by the database's clock on PostgreSQL
(replicas' clocks may drift apart) and by this machine's clock on SQLite (every process shares it).
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.tickets.database import Database
from bot.tickets.schema import leases


def database_now(connection: Connection) -> datetime:
    """The current time, aware UTC: PostgreSQL's clock, or this machine's for SQLite."""
    if connection.dialect.name == "postgresql":
        value = connection.execute(sa.select(sa.func.now())).scalar_one()
        return value.astimezone(timezone.utc)
    return datetime.now(timezone.utc)


class LeaseStore:
    """Acquire, renew, release and inspect leases in the ticket database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def acquire(self, name: str, owner: str, ttl: timedelta, now: Optional[datetime] = None) -> bool:
        """Take or renew lease ``name`` for ``owner`` until ``ttl`` from now; False while someone else holds it.

        ``now`` replaces the clock (tests); it must be timezone-aware."""
        c = leases.c
        with self._db.writer.begin() as connection:
            moment = now or database_now(connection)
            renewed_or_taken = connection.execute(
                sa.update(leases).where(c.name == name, sa.or_(c.owner == owner, c.expires_at <= moment))
                .values(owner=owner, expires_at=moment + ttl,
                        acquired_at=sa.case((c.owner == owner, c.acquired_at), else_=moment))).rowcount
        if renewed_or_taken == 1:
            return True
        try:
            with self._db.writer.begin() as connection:
                moment = now or database_now(connection)
                connection.execute(sa.insert(leases).values(name=name, owner=owner, expires_at=moment + ttl,
                                                            acquired_at=moment))
        except IntegrityError:   # the row exists and is held by another owner (or was inserted just now)
            return False
        return True

    def release(self, name: str, owner: str) -> bool:
        """Give the lease up at once (only its owner can); True when it was held by ``owner``."""
        with self._db.writer.begin() as connection:
            return connection.execute(
                sa.delete(leases).where(leases.c.name == name, leases.c.owner == owner)).rowcount == 1

    def holder(self, name: str, now: Optional[datetime] = None) -> Optional[str]:
        """The owner holding ``name`` now, or None when it is free or expired."""
        with self._db.reader.connect() as connection:
            moment = now or database_now(connection)
            return connection.execute(sa.select(leases.c.owner).where(
                leases.c.name == name, leases.c.expires_at > moment)).scalar_one_or_none()
