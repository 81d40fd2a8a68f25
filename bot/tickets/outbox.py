"""Durable outboxes: one row per (subject, target), written with what it delivers, never deleted.

Two tables use it: ticket notifications (subject: the ticket, target: a notifier or desk) and handoff
messages (subject: a message, target: the customer or a desk). A row is ``pending`` until delivered
(``sent``). Workers claim due rows with a compare-and-set UPDATE that sets a lease (``locked_until`` +
``lease_token``), so two workers never hold the same row; a failed attempt releases the lease and
schedules the next one with exponential backoff (jittered). After many failures the row is flagged ``failed`` for
humans to notice, and it is still retried. A row that can never be delivered (e.g. WhatsApp's 24-hour
window closed and no template is configured) is marked ``undeliverable`` and no longer retried.
"""
from __future__ import annotations

import random as _random
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Collection, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from bot.retrying import Backoff
from bot.tickets.database import Database
from bot.tickets.schema import outbox

PENDING, SENT, FAILED, UNDELIVERABLE = "pending", "sent", "failed", "undeliverable"
RETRYABLE = (PENDING, FAILED)
MAX_ERROR_CHARS = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """When to try a row again: :class:`~bot.retrying.Backoff` from ``first_delay`` up to ``max_delay``, with
    equal jitter, so the rows that failed together (a platform down for everyone) do not all come back in
    the same second when it recovers."""

    first_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(minutes=10)
    flag_failed_after: int = 10  # attempts; the row is marked "failed" (still retried) from then on
    jitter: bool = True
    random: Callable[[], float] = field(default=_random.random, compare=False, repr=False)   # in [0, 1)

    def delay(self, attempts: int) -> timedelta:
        """Wait after the ``attempts``-th failed attempt: without jitter 5 s, 10 s, 20 s, ... up to 10 min;
        with it, half of that plus a random part of the other half."""
        policy = Backoff(first=self.first_delay.total_seconds(), cap=self.max_delay.total_seconds(),
                         jitter=self.jitter, random=self.random)
        return timedelta(seconds=policy.delay(attempts))


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
    subject: Any  # the ticket id (notifications) or the message id (handoff messages)
    target: str  # notifier / desk name, or "customer"
    attempts: int  # including the attempt being made now
    lease_token: str

    @property
    def ticket_id(self) -> str:
        """The subject of a ticket notification."""
        return str(self.subject)

    @property
    def notifier(self) -> str:
        """The target of a ticket notification."""
        return self.target


def enqueue(connection: Connection, ticket_id: str, notifier_names: Iterable[str], now: datetime) -> None:
    """Add a pending notification row per notifier; call inside the transaction that inserts the ticket."""
    TICKET_OUTBOX.enqueue(connection, ticket_id, notifier_names, now)


@dataclass(frozen=True)
class QueueTable:
    """An outbox table: its subject and target columns (the rest is the same in every outbox table)."""

    table: sa.Table
    subject: str
    target: str

    def column(self, name: str) -> sa.Column:
        return self.table.c[name]

    def is_due(self, now: datetime) -> sa.sql.ColumnElement:
        c = self.table.c
        return sa.and_(c.status.in_(RETRYABLE), c.next_attempt_at <= now,
                       sa.or_(c.locked_until.is_(None), c.locked_until <= now))

    def enqueue(self, connection: Connection, subject: Any, targets: Iterable[str], now: datetime) -> None:
        """Add a pending row per target; call inside the transaction that writes the subject."""
        rows = [{self.subject: subject, self.target: name, "status": PENDING, "attempts": 0, "created_at": now,
                 "next_attempt_at": now} for name in dict.fromkeys(targets)]
        if rows:
            connection.execute(sa.insert(self.table), rows)


TICKET_OUTBOX = QueueTable(outbox, "ticket_id", "notifier")


class Outbox:
    """Claims, completes and reports the rows of one outbox table."""

    def __init__(self, database: Database, queue: QueueTable = TICKET_OUTBOX) -> None:
        self._db = database
        self.queue = queue

    def claim_due(self, targets: Collection[str], now: datetime, lease: timedelta, limit: int = 20,
                  where: Optional[sa.sql.ColumnElement] = None) -> List[Claim]:
        """Lease up to ``limit`` due rows for the given targets (and ``where``, e.g. "no earlier row of the
        same conversation waits"); rows another worker won are skipped."""
        if not targets:
            return []
        q, c = self.queue, self.queue.table.c
        token = uuid.uuid4().hex
        claims: List[Claim] = []
        query = (sa.select(c.id, q.column(q.subject).label("subject"), q.column(q.target).label("target"), c.attempts)
                 .where(q.is_due(now), q.column(q.target).in_(list(targets))))
        if where is not None:
            query = query.where(where)
        with self._db.writer.begin() as connection:
            candidates = connection.execute(query.order_by(c.next_attempt_at, c.id).limit(limit)).all()
            for row in candidates:
                won = connection.execute(
                    sa.update(q.table).where(c.id == row.id, q.is_due(now))
                    .values(locked_until=now + lease, lease_token=token, attempts=c.attempts + 1)).rowcount
                if won == 1:
                    claims.append(Claim(row.id, row.subject, row.target, row.attempts + 1, token))
        return claims

    def mark_sent(self, claim: Claim, now: datetime) -> bool:
        """Record a successful delivery (even if the lease ran out meanwhile: it was delivered)."""
        c = self.queue.table.c
        with self._db.writer.begin() as connection:
            return connection.execute(
                sa.update(self.queue.table).where(c.id == claim.delivery_id, c.status.in_(RETRYABLE))
                .values(status=SENT, sent_at=now, locked_until=None, lease_token=None)).rowcount == 1

    def mark_failed(self, claim: Claim, error: str, retry_at: datetime, flag_failed: bool) -> bool:
        """Release the lease and schedule the next attempt; False if the lease was lost to another worker."""
        c = self.queue.table.c
        with self._db.writer.begin() as connection:
            return connection.execute(
                sa.update(self.queue.table).where(c.id == claim.delivery_id, c.lease_token == claim.lease_token,
                                                  c.status.in_(RETRYABLE))
                .values(status=FAILED if flag_failed else PENDING, next_attempt_at=retry_at, locked_until=None,
                        lease_token=None, last_error=error[:MAX_ERROR_CHARS])).rowcount == 1

    def mark_undeliverable(self, claim: Claim, error: str, now: datetime) -> bool:
        """Give up on a row that can never be delivered (recorded with the reason, no more attempts)."""
        c = self.queue.table.c
        with self._db.writer.begin() as connection:
            return connection.execute(
                sa.update(self.queue.table).where(c.id == claim.delivery_id, c.status.in_(RETRYABLE))
                .values(status=UNDELIVERABLE, locked_until=None, lease_token=None,
                        last_error=error[:MAX_ERROR_CHARS])).rowcount == 1

    def retry_now(self, subjects: Collection[Any], target: str, now: datetime) -> int:
        """Make the waiting rows of these subjects for ``target`` due at once (e.g. the customer is back)."""
        if not subjects:
            return 0
        q, c = self.queue, self.queue.table.c
        with self._db.writer.begin() as connection:
            return connection.execute(
                sa.update(q.table).where(q.column(q.subject).in_(list(subjects)), q.column(q.target) == target,
                                         c.status.in_(RETRYABLE), c.next_attempt_at > now)
                .values(next_attempt_at=now)).rowcount

    def backlog(self, now: datetime) -> Tuple[int, Optional[datetime]]:
        """How many rows wait for delivery, and since when the oldest waits."""
        c = self.queue.table.c
        with self._db.reader.connect() as connection:
            count, oldest = connection.execute(
                sa.select(sa.func.count(c.id), sa.func.min(c.created_at)).where(c.status.in_(RETRYABLE))).one()
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=timezone.utc)
        return int(count), oldest

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
        """Names of targets that still have undelivered rows (configured or not)."""
        target = self.queue.column(self.queue.target)
        with self._db.reader.connect() as connection:
            return list(connection.execute(
                sa.select(target).where(self.queue.table.c.status.in_(RETRYABLE)).distinct()
                .order_by(target)).scalars())
