"""The analytics event store: every tracker event Rasa's event broker published, one JSON row each.

The table has the shape of Rasa's SQL event broker (``events``: ``id``, ``sender_id``, ``data``), whether
Rasa wrote it itself (embedded default: SQLite ``var/analytics.db``) or the RabbitMQ consumer did
(production: PostgreSQL). It lives in a database of its own (``ANALYTICS_DB_URL``), never in the tracker
store's database, whose table of the same name holds the trackers.

One column is added to Rasa's shape: ``digest``, the SHA-256 of the event (``event_digest``), unique, so the
RabbitMQ consumer can store a redelivered event once (``write_new_events``). Rows Rasa's SQL broker writes
leave it NULL (a unique index allows any number of NULLs), and ``read_events`` never reads it.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, Iterable, Iterator, List, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from bot.tickets.database import create_engine_for, normalise_url

ROOT = Path(__file__).resolve().parent.parent.parent
DEFAULT_ANALYTICS_DB = ROOT / "var" / "analytics.db"
READ_BATCH = 5000
INSERT_CHUNK = 250            # rows per INSERT statement (4 parameters each: below SQLite's limit of 999)
DIGEST_INDEX = "ux_events_digest"

metadata = sa.MetaData()
events = sa.Table(
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255)),
    sa.Column("data", sa.Text),
    sa.Column("digest", sa.String(64)),   # NULL in rows Rasa's SQL broker wrote
    sa.Index(DIGEST_INDEX, "digest", unique=True),
)


def analytics_url(url: Optional[str] = None) -> str:
    """``url``, else ``ANALYTICS_DB_URL``, else the SQLite file ``var/analytics.db``."""
    return url or os.environ.get("ANALYTICS_DB_URL", "").strip() or f"sqlite:///{DEFAULT_ANALYTICS_DB}"


def open_engine(url: Optional[str] = None) -> sa.engine.Engine:
    """An engine on the analytics database with its ``events`` table created when missing."""
    chosen = analytics_url(url)
    engine = create_engine_for(chosen)   # a new SQLite file is created owner-only (bot.privacy.files)
    metadata.create_all(engine)
    return engine


def write_events(engine: sa.engine.Engine, published: Iterable[Dict[str, Any]]) -> int:
    """Store published events (dicts as Rasa publishes them) in one transaction; return how many."""
    rows = [{"sender_id": event.get("sender_id"), "data": json.dumps(event, ensure_ascii=False)}
            for event in published]
    if rows:
        with engine.begin() as connection:
            connection.execute(sa.insert(events), rows)
    return len(rows)


def read_events(engine: sa.engine.Engine, since: Optional[float] = None,
                until: Optional[float] = None) -> Iterator[Dict[str, Any]]:
    """Every stored event (decoded, in the order it was stored) whose ``timestamp`` (seconds since the
    epoch) is in ``[since, until)``; ``None`` leaves that end open. Read in batches by id."""
    last_id = 0
    while True:
        with engine.connect() as connection:
            batch = connection.execute(sa.select(events.c.id, events.c.data).where(events.c.id > last_id)
                                       .order_by(events.c.id).limit(READ_BATCH)).all()
        if not batch:
            return
        for _row_id, data in batch:
            event = json.loads(data)
            stamp = event.get("timestamp") or 0.0
            if (since is None or stamp >= since) and (until is None or stamp < until):
                yield event
        last_id = batch[-1][0]


# -- additions for the event stream: dedupe and database preparation ----------------------------------
def event_digest(event: Dict[str, Any]) -> str:
    """SHA-256 of the event's canonical JSON: the same event (a redelivery) always gives the same digest."""
    canonical = json.dumps(event, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def write_new_events(engine: sa.engine.Engine, published: Iterable[Dict[str, Any]]) -> int:
    """Like :func:`write_events` (one transaction, in order), but an event whose digest is already stored is
    skipped, so storing a redelivered batch again adds nothing; return how many rows were added. The table
    needs the digest index (:func:`ensure_digest_column`)."""
    rows: List[Dict[str, Any]] = []
    seen = set()
    for event in published:
        digest = event_digest(event)
        if digest not in seen:
            seen.add(digest)
            rows.append({"sender_id": event.get("sender_id"), "digest": digest,
                         "data": json.dumps(event, ensure_ascii=False)})
    if not rows:
        return 0
    dialect_insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert
    added = 0
    with engine.begin() as connection:
        for start in range(0, len(rows), INSERT_CHUNK):
            statement = dialect_insert(events).values(rows[start:start + INSERT_CHUNK])
            added += connection.execute(statement.on_conflict_do_nothing(index_elements=["digest"])).rowcount
    return added


def ensure_digest_column(engine: sa.engine.Engine) -> None:
    """Give an ``events`` table created by Rasa's SQL broker the ``digest`` column and its unique index."""
    with engine.begin() as connection:
        columns = {column["name"] for column in sa.inspect(connection).get_columns("events")}
        if "digest" not in columns:
            connection.execute(sa.text("ALTER TABLE events ADD COLUMN digest VARCHAR(64)"))
        connection.execute(sa.text(f"CREATE UNIQUE INDEX IF NOT EXISTS {DIGEST_INDEX} ON events (digest)"))


def open_store(url: Optional[str] = None) -> sa.engine.Engine:
    """:func:`open_engine`, the PostgreSQL database created first when missing, the digest column added when
    Rasa's SQL broker created the table: what :func:`write_new_events` needs. Errors do not show the rows."""
    chosen = analytics_url(url)
    create_database_if_missing(chosen)
    engine = open_engine(chosen)
    engine.hide_parameters = True   # an error message never repeats the events (customers' messages)
    ensure_digest_column(engine)
    return engine


def create_database_if_missing(url: str) -> bool:
    """Create the PostgreSQL database of ``url`` when connecting says it does not exist (through the
    ``postgres`` maintenance database; needs the CREATEDB privilege); True when it was created. Any other
    connection error is raised. SQLite: nothing to do."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "postgresql" or not parsed.database:
        return False
    target = sa.create_engine(parsed, future=True, connect_args={"connect_timeout": 10})
    try:
        with target.connect():
            return False
    except sa.exc.OperationalError as error:
        if "does not exist" not in str(error.orig):
            raise
    finally:
        target.dispose()
    admin = sa.create_engine(parsed.set(database="postgres"), future=True, isolation_level="AUTOCOMMIT",
                             connect_args={"connect_timeout": 10})
    try:
        with admin.connect() as connection:
            quoted = connection.dialect.identifier_preparer.quote(parsed.database)
            connection.execute(sa.text(f"CREATE DATABASE {quoted}"))
        return True
    except sa.exc.ProgrammingError as error:   # created meanwhile by another process
        if "already exists" not in str(error.orig):
            raise
        return False
    finally:
        admin.dispose()


def same_database(first: str, second: str) -> bool:
    """Whether two database URLs name the same database (same backend, host, port and database, whatever the
    user, password or options; SQLite files compared by resolved path)."""
    one, two = make_url(normalise_url(first)), make_url(normalise_url(second))
    if one.get_backend_name() != two.get_backend_name():
        return False
    if one.get_backend_name() == "sqlite":
        return bool(one.database) and Path(one.database).resolve() == Path(two.database or "").resolve()
    return ((one.host or "localhost", one.port or 5432, one.database)
            == (two.host or "localhost", two.port or 5432, two.database))
