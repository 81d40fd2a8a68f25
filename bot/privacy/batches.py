"""Bounded work on live databases: engines for purging and erasing, deletes in small transactions.

A purge runs next to the live assistant (from cron), so it never holds a table for long: rows are deleted
(or rewritten) at most ``batch_size`` at a time, each batch in its own short transaction, optionally with
a pause between batches. SQLite has one writer at a time and no queue: a writer that finds the database
locked sleeps and retries (at most 100 ms apart), so a purge that started its next batch at once could keep
the assistant waiting for seconds. On SQLite the purge therefore always leaves at least
:data:`SQLITE_YIELD_SECONDS` between batches, and a waiting writer gets in after at most one batch.
PostgreSQL locks rows, not the table: the assistant's inserts never wait for the purge.

On SQLite the connections use ``secure_delete`` (deleted content is overwritten, not left in free pages), and
:func:`checkpoint` folds the write-ahead log back into the database file so the old pages do not linger in
``-wal`` either. Errors never repeat the parameters (customers' data).
"""
from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any, Sequence

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from bot.tickets.database import SQLITE_BUSY_TIMEOUT_SECONDS, Database, normalise_url

logger = logging.getLogger(__name__)

SQLITE_YIELD_SECONDS = 0.1   # SQLite's busy handler retries at most 100 ms apart: a gap this long lets it in


def between_batches(engine: Engine, pause: float) -> None:
    """Wait between two batches: ``pause``, and on SQLite long enough for a waiting writer to get in."""
    wait = max(pause, SQLITE_YIELD_SECONDS) if engine.dialect.name == "sqlite" else pause
    if wait:
        time.sleep(wait)


def _secure_delete(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.close()


def open_engine(url: str) -> Engine:
    """An engine for purging/erasing on ``url``: SQLite with ``secure_delete`` and a busy timeout (its
    journal mode is left as the store's owner set it), PostgreSQL with pre-ping. Nothing is created."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(parsed, future=True, hide_parameters=True,
                                  connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False})
        sa.event.listen(engine, "connect", _secure_delete)
        return engine
    return sa.create_engine(parsed, future=True, hide_parameters=True, pool_pre_ping=True,
                            connect_args={"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {})


def has_table(engine: Engine, name: str, columns: Sequence[str] = ()) -> bool:
    """Whether ``name`` exists with at least ``columns``."""
    with engine.connect() as connection:
        inspector = sa.inspect(connection)
        if not inspector.has_table(name):
            return False
        present = {column["name"] for column in inspector.get_columns(name)}
    return set(columns) <= present


def _keys(table: sa.Table, key_columns: Sequence[str]) -> Any:
    columns = [table.c[name] for name in key_columns]
    return columns[0] if len(columns) == 1 else sa.tuple_(*columns)


def count(engine: Engine, table: sa.Table, condition: Any) -> int:
    """How many rows match ``condition``."""
    with engine.connect() as connection:
        return int(connection.execute(sa.select(sa.func.count()).select_from(table).where(condition)).scalar_one())


def delete_in_batches(engine: Engine, table: sa.Table, condition: Any, batch_size: int, pause: float = 0.0,
                      key_columns: Sequence[str] = ("id",), dry_run: bool = False) -> int:
    """Delete the rows matching ``condition``, ``batch_size`` per transaction; how many (would) go."""
    if dry_run:
        return count(engine, table, condition)
    batch = sa.select(*[table.c[name] for name in key_columns]).where(condition).limit(batch_size)
    statement = sa.delete(table).where(_keys(table, key_columns).in_(batch))
    total = 0
    while True:
        with engine.begin() as connection:
            deleted = connection.execute(statement).rowcount
        total += deleted
        if deleted < batch_size:
            return total
        between_batches(engine, pause)


def checkpoint(engine: Engine) -> None:
    """SQLite in WAL mode: copy the log into the database and truncate it (best effort: a reader that is
    still busy keeps it for now). Nothing to do elsewhere."""
    if engine.dialect.name != "sqlite":
        return
    connection = engine.raw_connection()   # outside any transaction: a checkpoint cannot run inside one
    try:
        cursor = connection.cursor()
        if cursor.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        cursor.close()
    except sqlite3.OperationalError as error:   # e.g. busy: the next checkpoint (SQLite's own, too) does it
        logger.info("write-ahead log checkpoint skipped: %s", error)
    finally:
        connection.close()


def with_secure_delete(database: Database) -> Database:
    """``database`` whose SQLite connections overwrite deleted content from now on (its pool is emptied so
    every later connection gets the setting); PostgreSQL as it is."""
    if database.backend == "sqlite":
        database.reader.dispose()
        sa.event.listen(database.reader, "connect", _secure_delete)
    return database
