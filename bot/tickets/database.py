"""Connect to the ticket database (SQLite file by default, PostgreSQL by URL) and create its tables.

SQLite needs two adjustments to be safe with several threads and processes (action server, delivery
worker, CLI): write-ahead logging so readers never block the writer, and ``BEGIN IMMEDIATE`` for write
transactions so concurrent writers queue on the busy timeout instead of failing with "database is locked"
when a read lock cannot be upgraded. PostgreSQL needs nothing special.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import IntegrityError, ProgrammingError

from bot.tickets.schema import metadata

logger = logging.getLogger(__name__)

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


def resolve_url(url: Optional[str] = None) -> str:
    """``url``, else ``TICKETS_DB_URL``, else the SQLite file ``var/tickets.db`` (relative to the cwd)."""
    return url or os.environ.get("TICKETS_DB_URL", "").strip() or DEFAULT_DB_URL


def _prepare_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" hook below issues BEGIN itself
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        mode = connection.get_execution_options().get("sqlite_begin", "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")


def _create_engine(url: str) -> Engine:
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend not in SUPPORTED_BACKENDS:
        raise ValueError(f"ticket database must be SQLite or PostgreSQL; got {parsed.render_as_string()}")
    if backend == "postgresql":
        return sa.create_engine(parsed, future=True, pool_pre_ping=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(parsed, future=True,
                              connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
    _prepare_sqlite(engine)
    return engine


def _create_tables(engine: Engine) -> None:
    """``create_all``, tolerating another process creating the same tables at the same moment."""
    try:
        metadata.create_all(engine)
    except (IntegrityError, ProgrammingError) as error:
        logger.info("tables were created concurrently (%s); checking again", error.__class__.__name__)
        metadata.create_all(engine)


def connect(url: Optional[str] = None) -> Database:
    """Engines for ``url`` (see :func:`resolve_url`) with every ticket table created."""
    engine = _create_engine(resolve_url(url))
    _create_tables(engine)
    return Database(reader=engine, writer=engine.execution_options(sqlite_begin="IMMEDIATE"))
