"""Connect to the ticket database (SQLite file by default, PostgreSQL by URL) and migrate it to the newest
schema (Alembic, ``bot.tickets.migrations``).

SQLite needs two adjustments to be safe with several threads and processes (action server, delivery
worker, CLI): write-ahead logging so readers never block the writer, and ``BEGIN IMMEDIATE`` for write
transactions so concurrent writers queue on the busy timeout instead of failing with "database is locked"
when a read lock cannot be upgraded. PostgreSQL needs nothing special.
"""
from __future__ import annotations

import os
import sqlite3
import time
import weakref
from dataclasses import dataclass
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from bot.privacy.files import private_file
from bot.tickets import migrations

DEFAULT_DB_URL = "sqlite:///var/tickets.db"
SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
SUPPORTED_BACKENDS = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Database:
    """The engines of one ticket database."""

    reader: Engine  # plain transactions, for reads
    writer: Engine  # same pool; on SQLite every transaction takes the write lock up front

    @property
    def backend(self) -> str:
        """``"sqlite"`` or ``"postgresql"``."""
        return self.reader.dialect.name


def normalise_url(url: str) -> str:
    """``postgres://`` (Heroku-style, refused by SQLAlchemy 1.4) as ``postgresql://``; anything else as given."""
    return "postgresql://" + url[len("postgres://"):] if url.startswith("postgres://") else url


def resolve_url(url: Optional[str] = None) -> str:
    """``url``, else ``TICKETS_DB_URL``, else ``DATABASE_URL`` (the production profile's PostgreSQL), else the
    SQLite file ``var/tickets.db`` (relative to the cwd)."""
    chosen = (url or os.environ.get("TICKETS_DB_URL", "").strip() or os.environ.get("DATABASE_URL", "").strip()
              or DEFAULT_DB_URL)
    return normalise_url(chosen)


def _use_wal(cursor: Any) -> None:
    """Switch the file to write-ahead logging (persistent, so usually a no-op). Switching needs a moment
    alone with the file and SQLite does not wait for it (no busy handler), so when several processes open a
    new database at once the switch is tried again until the busy timeout."""
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        try:
            if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "wal":
                cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _prepare_sqlite(engine: Engine, durable: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" hook below issues BEGIN itself
        cursor = dbapi_connection.cursor()
        _use_wal(cursor)
        cursor.execute("PRAGMA foreign_keys=ON")
        if not durable:
            cursor.execute("PRAGMA synchronous=NORMAL")   # with WAL: commits without a disk sync
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def create_engine_for(url: str, durable: bool = True) -> Engine:
    """An engine for a SQLite or PostgreSQL URL, with the SQLite adjustments above (no tables touched).

    ``durable=False`` (SQLite only) sets ``synchronous=NORMAL``: a commit then costs no disk sync, and a power
    cut (not a crash of the process) may lose the last commits. For rows written on every event that may be
    lost that way (Rasa's SQL event broker, :mod:`bot.analytics.broker`)."""
    parsed = make_url(normalise_url(url))
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ValueError(f"ticket database must be SQLite or PostgreSQL; got {parsed.render_as_string()}")
    if backend == "postgresql":
        engine = sa.create_engine(parsed, future=True, pool_pre_ping=True)
        forget_in_child(engine)   # a forked Sanic worker must not share the parent's server connections
        return engine
    if parsed.database and parsed.database != ":memory:":
        private_file(parsed.database)   # owner-only (0600, a new folder 0700); SQLite's -wal/-shm inherit it
    # A pool of open connections (SQLAlchemy 1.4 opens a new SQLite connection for every checkout, and each
    # open costs the pragmas below: a sixth of a turn's CPU in the handoff gate). A forked child gets its own.
    engine = sa.create_engine(parsed, future=True, poolclass=sa.pool.QueuePool,
                              connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
    _prepare_sqlite(engine, durable)
    forget_in_child(engine)
    return engine


def forget_in_child(engine: Engine) -> None:
    """After a fork, the child drops the pooled connections it inherited (the parent keeps using them) and
    opens its own. Only a weak reference is kept, so the engine can still be collected."""
    reference = weakref.ref(engine)

    def _after_fork() -> None:
        inherited = reference()
        if inherited is not None:
            inherited.dispose(close=False)

    os.register_at_fork(after_in_child=_after_fork)


def connect(url: Optional[str] = None) -> Database:
    """Engines for ``url`` (see :func:`resolve_url`), the database migrated to the newest schema."""
    engine = create_engine_for(resolve_url(url))
    migrations.upgrade(engine)
    return Database(reader=engine, writer=engine.execution_options(sqlite_begin="IMMEDIATE"))
