"""Durable notification outbox: one row per (ticket, notifier), written with the ticket, never deleted.

A row is ``pending`` until delivered (``sent``). Workers claim due rows with a compare-and-set UPDATE that
sets a lease (``locked_until`` + ``lease_token``), so two workers never hold the same row; a failed attempt
releases the lease and schedules the next one with exponential backoff. After many failures the row is
flagged ``failed`` for humans to notice, and it is still retried.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Collection, Iterable, List, Optional

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.tickets.database import Database
from bot.tickets.schema import outbox

PENDING, SENT, FAILED = "pending", "sent", "failed"
RETRYABLE = (PENDING, FAILED)
MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff: ``first_delay`` doubled per failed attempt, capped at ``max_delay``."""

    first_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=10)
    flag_failed_after: int = 10  # attempts; the row is marked "failed" (still retried) from then on

    def delay(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failed attempt (1 → 5 s, 2 → 10 s, 3 → 20 s, ...)."""
        exponent = min(max(attempts - 1, 0), 30)  # 2**30 * 5 s is far beyond any cap; avoids huge numbers
        return min(self.first_delay * (2 ** exponent), self.max_delay)


@dataclass(frozen=True)
class Delivery:
    """The delivery state of one notification, as shown to agents."""

    id: int
    ticket_id: str
    notifier: str
    status: str
    attempts: int
    created_at: datetime
    next_attempt_at: datetime
    last_error: Optional[str]
    sent_at: Optional[datetime]


@dataclass(frozen=True)
class Claim:
    """A row this worker holds the lease on and must now deliver."""

    delivery_id: int
    ticket_id: str
    notifier: str
    attempts: int  # including the attempt being made now
    lease_token: str


def enqueue(connection: Connection, ticket_id: str, notifier_names: Iterable[str], now: datetime) -> None:
    """Add a pending row per notifier; call inside the transaction that inserts the ticket."""
    rows = [{"ticket_id": ticket_id, "notifier": name, "status": PENDING, "attempts": 0, "created_at": now,
             "next_attempt_at": now} for name in dict.fromkeys(notifier_names)]
    if rows:
        connection.execute(sa.insert(outbox), rows)


def _is_due(now: datetime) -> sa.sql.ColumnElement:
    return sa.and_(outbox.c.status.in_(RETRYABLE), outbox.c.next_attempt_at <= now,
                   sa.or_(outbox.c.locked_until.is_(None), outbox.c.locked_until <= now))


class Outbox:
    """Claims, completes and reports outbox rows of one database."""

    def __init__(self, database: Database) -> None:
        self._db = database

    def claim_due(self, notifier_names: Collection[str], now: datetime, lease: timedelta,
                  limit: int = 20) -> List[Claim]:
        """Lease up to ``limit`` due rows for the given notifiers; rows another worker won are skipped."""
        if not notifier_names:
            return []
        token = uuid.uuid4().hex
        claims: List[Claim] = []
        with self._db.writer.begin() as connection:
            candidates = connection.execute(
                sa.select(outbox.c.id, outbox.c.ticket_id, outbox.c.notifier, outbox.c.attempts)
                .where(_is_due(now), outbox.c.notifier.in_(list(notifier_names)))
                .order_by(outbox.c.next_attempt_at, outbox.c.id).limit(limit)).all()
            for row in candidates:
                won = connection.execute(
                    sa.update(outbox).where(outbox.c.id == row.id, _is_due(now))
                    .values(locked_until=now + lease, lease_token=token, attempts=outbox.c.attempts + 1)).rowcount
                if won == 1:
                    claims.append(Claim(row.id, row.ticket_id, row.notifier, row.attempts + 1, token))
        return claims

    def mark_sent(self, claim: Claim, now: datetime) -> bool:
        """Record a successful delivery (even if the lease ran out meanwhile: it was delivered)."""
        with self._db.writer.begin() as connection:
            return connection.execute(
                sa.update(outbox).where(outbox.c.id == claim.delivery_id, outbox.c.status != SENT)
                .values(status=SENT, sent_at=now, locked_until=None, lease_token=None)).rowcount == 1

    def mark_failed(self, claim: Claim, error: str, retry_at: datetime, flag_failed: bool) -> bool:
        """Release the lease and schedule the next attempt; False if the lease was lost to another worker."""
        with self._db.writer.begin() as connection:
            return connection.execute(
                sa.update(outbox).where(outbox.c.id == claim.delivery_id, outbox.c.lease_token == claim.lease_token,
                                        outbox.c.status.in_(RETRYABLE))
                .values(status=FAILED if flag_failed else PENDING, next_attempt_at=retry_at, locked_until=None,
                        lease_token=None, last_error=error[:MAX_ERROR_CHARS])).rowcount == 1

    def deliveries(self, ticket_id: str) -> List[Delivery]:
        """Every notification of a ticket, in the order they were queued."""
        with self._db.reader.connect() as connection:
            rows = connection.execute(
                sa.select(outbox).where(outbox.c.ticket_id == ticket_id).order_by(outbox.c.id)).mappings().all()
        return [Delivery(id=row["id"], ticket_id=row["ticket_id"], notifier=row["notifier"], status=row["status"],
                         attempts=row["attempts"], created_at=row["created_at"],
                         next_attempt_at=row["next_attempt_at"], last_error=row["last_error"],
                         sent_at=row["sent_at"]) for row in rows]

    def undelivered_notifiers(self) -> List[str]:
        """Names of notifiers that still have undelivered rows (configured or not)."""
        with self._db.reader.connect() as connection:
            return list(connection.execute(
                sa.select(outbox.c.notifier).where(outbox.c.status.in_(RETRYABLE)).distinct()
                .order_by(outbox.c.notifier)).scalars())
