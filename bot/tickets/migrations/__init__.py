"""Alembic migrations of the ticket database, applied when the store opens (``upgrade``).

A new database gets every table; a database created by ``metadata.create_all`` before migrations existed
is adopted by the first revision (it creates only what is missing) and then upgraded like any other.
Processes opening the database at the same moment (action server, Rasa workers, CLI) take turns: a
PostgreSQL advisory lock, or SQLite's write lock (``BEGIN IMMEDIATE``), is held while migrating, and a
database already at the newest revision is only read.

The channel state file (``var/channels.db``, :mod:`bot.channels.state`) is migrated with the same tree: it
holds the ticket tables too, empty, and uses only ``channel_seen`` / ``channel_buttons``.

New revision: ``.venv/bin/alembic -c bot/tickets/migrations/alembic.ini revision -m "what changes"``
(``--autogenerate`` compares with ``bot/tickets/schema.py``; set ``TICKETS_DB_URL`` to a database at head).
"""
from __future__ import annotations

import contextlib
import logging
from functools import lru_cache
from pathlib import Path
from typing import Iterator, Optional

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

logger = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent
ADVISORY_LOCK_KEY = 0x6B726970  # "krip": serialises migrations of one PostgreSQL database


def alembic_config(connection: Optional[Connection] = None) -> Config:
    """Alembic's configuration for this package; ``connection`` is what ``env.py`` migrates."""
    config = Config(str(MIGRATIONS_DIR / "alembic.ini"))
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@lru_cache(maxsize=1)
def head_revision() -> str:
    """The newest revision of this code."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None, "bot/tickets/migrations/versions has no revision"
    return head


def current_revision(connection: Connection) -> Optional[str]:
    """The revision the database is at (None: never migrated)."""
    return MigrationContext.configure(connection).get_current_revision()


@contextlib.contextmanager
def exclusive_transaction(engine: Engine) -> Iterator[Connection]:
    """A transaction no other migrating process runs alongside (committed when the block ends)."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as connection:
            connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": ADVISORY_LOCK_KEY})
            yield connection
    else:
        with engine.execution_options(sqlite_begin="IMMEDIATE").begin() as connection:
            yield connection


def upgrade(engine: Engine) -> None:
    """Bring the database to the newest revision (nothing is written when it is there already)."""
    head = head_revision()
    with engine.connect() as connection:
        if current_revision(connection) == head:
            return
    with exclusive_transaction(engine) as connection:
        before = current_revision(connection)
        if before == head:   # another process migrated while this one waited for the lock
            return
        command.upgrade(alembic_config(connection), "head")
    logger.info("ticket database migrated from %s to %s", before or "an unversioned database", head)
