"""Incidents in the ticket database: notices, spikes, the observations spikes are detected from, which
customers saw a notice, and the outbox of spike alerts (tables in :mod:`bot.tickets.schema`).

The report reads them with :func:`list_incidents`. Writes that may race between replicas are safe: an
observation is recorded once per message and topic, a notice is shown once per conversation (both by their
keys), and one ongoing spike per topic is enforced by a unique index (the loser of a race sees it as taken).
"""
from __future__ import annotations

import secrets
import threading
from datetime import datetime, timezone
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from bot.incidents.model import NOTICE, SPIKE, Incident, Observation
from bot.tickets.database import Database, connect, resolve_url
from bot.tickets.outbox import Outbox, QueueTable
from bot.tickets.schema import incident_observations, incident_outbox, incident_views, incidents
from nlu.secrets import redact

ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford's base 32: no I, L, O, U to misread
INCIDENT_OUTBOX = QueueTable(incident_outbox, "incident_id", "target")
_UPSERT_INSERTS = {"postgresql": postgresql_insert, "sqlite": sqlite_insert}


def new_incident_id() -> str:
    """``INC-7K3QX2``: short enough to type in ``python -m bot.incidents close``."""
    return "INC-" + "".join(secrets.choice(ID_ALPHABET) for _ in range(6))


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def require_aware(name: str, value: datetime) -> datetime:
    """``value`` if it has a time zone (times are compared across replicas and time zones)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware; got naive {value.isoformat()}")
    return value


def _insert_ignoring_duplicates(connection: Connection, table: sa.Table, values: Mapping[str, Any]) -> bool:
    """Insert a row unless one with the same unique key exists; True when inserted."""
    statement = _UPSERT_INSERTS[connection.dialect.name](table).values(**values).on_conflict_do_nothing()
    return connection.execute(statement).rowcount == 1


def incident_from_row(row: Mapping[str, Any], now: datetime) -> Incident:
    """An incident from its row; a notice past its expiry reads as closed when it expired."""
    closed_at = row["closed_at"]
    expires_at = row["expires_at"]
    if closed_at is None and expires_at is not None and expires_at <= now:
        closed_at = expires_at
    return Incident(id=row["id"], kind=row["kind"], topic=row["topic"], opened_at=row["opened_at"],
                    closed_at=closed_at, count=int(row["count"]), text=row["text"], expires_at=expires_at,
                    details=dict(row["details"] or {}))


class IncidentStore:
    """Reads and writes incidents on one ticket database."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.outbox = Outbox(database, INCIDENT_OUTBOX)

    # ------------------------------------------------------------ observations

    def record(self, observation: Observation) -> bool:
        """Store one customer message about a topic (secrets redacted from its example, as agents see it);
        False when this message was already recorded for it."""
        with self.database.writer.begin() as connection:
            return _insert_ignoring_duplicates(connection, incident_observations, {
                "topic": observation.topic, "at": require_aware("at", observation.at),
                "sender_id": observation.sender_id, "message_key": observation.message_key,
                "intent": observation.intent, "example": redact(observation.example)[0]})

    def customers_between(self, topic: str, after: datetime, until: datetime) -> int:
        """Distinct customers who wrote about ``topic`` in ``(after, until]``."""
        o = incident_observations.c
        with self.database.reader.connect() as connection:
            return int(connection.execute(
                sa.select(sa.func.count(sa.distinct(o.sender_id)))
                .where(o.topic == topic, o.at > after, o.at <= until)).scalar_one())

    def latest_per_customer(self, topic: str, after: datetime, limit: int) -> List[datetime]:
        """Each customer's latest message time about ``topic`` after ``after``, newest first (at most ``limit``)."""
        o = incident_observations.c
        latest = sa.func.max(o.at)
        with self.database.reader.connect() as connection:
            rows = connection.execute(sa.select(latest.label("latest")).where(o.topic == topic, o.at > after)
                                      .group_by(o.sender_id).order_by(latest.desc()).limit(limit)).scalars()
            return [_aware(value) for value in rows]

    def examples(self, topic: str, after: datetime, limit: int) -> List[str]:
        """The newest different texts customers wrote about ``topic`` after ``after``."""
        o = incident_observations.c
        with self.database.reader.connect() as connection:
            texts = connection.execute(sa.select(o.example).where(o.topic == topic, o.at > after, o.example != "")
                                       .order_by(o.at.desc(), o.id.desc()).limit(limit * 10)).scalars()
            return list(dict.fromkeys(texts))[:limit]

    def prune(self, before: datetime) -> int:
        """Forget observations older than ``before``."""
        with self.database.writer.begin() as connection:
            return connection.execute(sa.delete(incident_observations)
                                      .where(incident_observations.c.at < before)).rowcount

    # ------------------------------------------------------------ spikes

    def ongoing_spikes(self, now: datetime) -> List[Incident]:
        """Spikes not closed yet."""
        c = incidents.c
        return self._select(sa.select(incidents).where(c.kind == SPIKE, c.closed_at.is_(None)), now)

    def ongoing_spike(self, topic: str, now: datetime) -> Optional[Incident]:
        """The ongoing spike of ``topic``, if any."""
        c = incidents.c
        found = self._select(sa.select(incidents).where(c.kind == SPIKE, c.topic == topic, c.closed_at.is_(None)),
                             now)
        return found[0] if found else None

    def last_closed_spike(self, topic: str, now: datetime) -> Optional[Incident]:
        """The spike of ``topic`` that ended last, if any."""
        c = incidents.c
        found = self._select(sa.select(incidents).where(c.kind == SPIKE, c.topic == topic, c.closed_at.isnot(None))
                             .order_by(c.closed_at.desc()).limit(1), now)
        return found[0] if found else None

    def open_spike(self, topic: str, now: datetime, count: int, text: str, details: Dict[str, Any],
                   alert_targets: Sequence[str]) -> Optional[Incident]:
        """Store a new spike and queue one alert per target, in one transaction; None when another process
        opened the topic's spike first."""
        values = {"id": new_incident_id(), "kind": SPIKE, "topic": topic, "opened_at": now, "expires_at": None,
                  "closed_at": None, "count": count, "text": text, "details": details, "last_seen_at": now}
        try:
            with self.database.writer.begin() as connection:
                connection.execute(sa.insert(incidents).values(**values))
                INCIDENT_OUTBOX.enqueue(connection, values["id"], alert_targets, now)
        except IntegrityError:
            return None
        return incident_from_row(values, now)

    def update_spike(self, incident_id: str, count: int, last_seen_at: datetime) -> None:
        """Record how many customers an ongoing spike has reached so far."""
        c = incidents.c
        with self.database.writer.begin() as connection:
            connection.execute(sa.update(incidents).where(c.id == incident_id, c.closed_at.is_(None))
                               .values(count=sa.func.max(c.count, count) if connection.dialect.name == "sqlite"
                                       else sa.func.greatest(c.count, count), last_seen_at=last_seen_at))

    def end_spike(self, incident_id: str, at: datetime) -> bool:
        """Close a spike that subsided at ``at``."""
        c = incidents.c
        with self.database.writer.begin() as connection:
            return connection.execute(sa.update(incidents).where(c.id == incident_id, c.closed_at.is_(None))
                                      .values(closed_at=at)).rowcount == 1

    def reopen_spike(self, incident_id: str) -> bool:
        """Continue a spike that subsided a moment ago (no new alert); False if that is no longer possible."""
        c = incidents.c
        try:
            with self.database.writer.begin() as connection:
                return connection.execute(sa.update(incidents).where(c.id == incident_id, c.closed_at.isnot(None))
                                          .values(closed_at=None)).rowcount == 1
        except IntegrityError:  # another process opened a new spike of the topic meanwhile
            return False

    # ------------------------------------------------------------ notices

    def open_notice(self, topic: str, text: str, expires_at: datetime, now: datetime) -> List[Incident]:
        """Publish a notice; the topic's notices still shown are closed by it. Returns the new notice first,
        then the ones it replaced."""
        c = incidents.c
        values = {"id": new_incident_id(), "kind": NOTICE, "topic": topic, "opened_at": now,
                  "expires_at": require_aware("expires_at", expires_at), "closed_at": None, "count": 0,
                  "text": text, "details": {}, "last_seen_at": None}
        shown = sa.and_(c.kind == NOTICE, c.topic == topic, *self._not_over(now))
        with self.database.writer.begin() as connection:
            replaced = [incident_from_row(row, now) for row in
                        connection.execute(sa.select(incidents).where(shown)).mappings()]
            connection.execute(sa.update(incidents).where(shown).values(closed_at=now))
            connection.execute(sa.insert(incidents).values(**values))
        return [incident_from_row(values, now), *replaced]

    def active_notices(self, topics: Iterable[str], now: datetime) -> List[Incident]:
        """Notices shown now for any of ``topics``, oldest first."""
        wanted = list(topics)
        if not wanted:
            return []
        c = incidents.c
        return self._select(sa.select(incidents).where(c.kind == NOTICE, c.topic.in_(wanted), c.opened_at <= now,
                                                       *self._not_over(now)).order_by(c.opened_at, c.id), now)

    def mark_shown(self, incident_id: str, sender_id: str, now: datetime) -> bool:
        """Remember that this conversation saw the notice (and count it); False if it had seen it already."""
        with self.database.writer.begin() as connection:
            first_time = _insert_ignoring_duplicates(connection, incident_views, {
                "incident_id": incident_id, "sender_id": sender_id, "shown_at": now})
            if first_time:
                connection.execute(sa.update(incidents).where(incidents.c.id == incident_id)
                                   .values(count=incidents.c.count + 1))
            return first_time

    # ------------------------------------------------------------ any incident

    def get(self, incident_id: str, now: Optional[datetime] = None) -> Optional[Incident]:
        """The incident with this id (case does not matter), or None."""
        found = self._select(sa.select(incidents).where(incidents.c.id == incident_id.strip().upper()),
                             now or utc_now())
        return found[0] if found else None

    def close(self, incident_id: str, now: datetime, by_operator: bool = True) -> bool:
        """End a notice or a spike now; False when there is no such incident still going on."""
        c = incidents.c
        row = self.get(incident_id, now)
        if row is None or not row.is_active(now):
            return False
        values: Dict[str, Any] = {"closed_at": now}
        if by_operator:
            values["details"] = {**row.details, "closed_by": "operator"}
        with self.database.writer.begin() as connection:
            return connection.execute(sa.update(incidents).where(c.id == row.id, *self._not_over(now))
                                      .values(**values)).rowcount == 1

    def between(self, since: datetime, until: datetime, now: Optional[datetime] = None) -> List[Incident]:
        """Incidents going on at any moment of ``[since, until)``, oldest first."""
        c = incidents.c
        require_aware("since", since)
        require_aware("until", until)
        query = sa.select(incidents).where(
            c.opened_at < until, sa.or_(c.closed_at.is_(None), c.closed_at >= since),
            sa.or_(c.expires_at.is_(None), c.expires_at >= since)).order_by(c.opened_at, c.id)
        return self._select(query, now or utc_now())

    def ongoing(self, now: datetime) -> List[Incident]:
        """Notices still shown and spikes not over, oldest first."""
        c = incidents.c
        return self._select(sa.select(incidents).where(*self._not_over(now)).order_by(c.opened_at, c.id), now)

    @staticmethod
    def _not_over(now: datetime) -> List[sa.sql.ColumnElement]:
        c = incidents.c
        return [c.closed_at.is_(None), sa.or_(c.expires_at.is_(None), c.expires_at > now)]

    def _select(self, query: sa.sql.Select, now: datetime) -> List[Incident]:
        with self.database.reader.connect() as connection:
            return [incident_from_row(row, now) for row in connection.execute(query).mappings()]


def _aware(value: datetime) -> datetime:
    """Aggregates (``max``) bypass the column type on SQLite and come back naive: they are UTC."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


_stores: Dict[str, IncidentStore] = {}
_stores_lock = threading.Lock()


def open_incident_store(url: Optional[str] = None) -> IncidentStore:
    """The store on ``url``, else ``TICKETS_DB_URL``, else ``DATABASE_URL``, else ``var/tickets.db`` (one per
    database and process; the database is migrated on first use)."""
    resolved = resolve_url(url)
    with _stores_lock:
        if resolved not in _stores:
            _stores[resolved] = IncidentStore(connect(resolved))
        return _stores[resolved]


def list_incidents(since: datetime, until: datetime, url: Optional[str] = None) -> List[Incident]:
    """Every incident (notice or spike) going on at some moment between ``since`` and ``until`` (aware
    datetimes), oldest first; the ticket database is found like :func:`bot.tickets.database.resolve_url`."""
    return open_incident_store(url).between(since, until)
