"""Rasa's tracker store on PostgreSQL: make sure ``events.sender_id`` is indexed.

Rasa 3.6 creates the ``events`` table itself on first start, with the index ``ix_events_sender_id``
(``SQLEvent.sender_id`` is declared ``index=True``), and reads every turn by ``sender_id``. A table created
by an older Rasa or by hand may lack the index, and then each message scans the whole table; this adds it
(``CREATE INDEX CONCURRENTLY``, so running replicas keep writing). Before Rasa created the table there is
nothing to do.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa

from bot.tickets.database import normalise_url

logger = logging.getLogger(__name__)

INDEX_NAME = "ix_events_sender_id"


def has_sender_index(connection: sa.engine.Connection) -> bool:
    """Whether some index of ``events`` starts with ``sender_id``."""
    indexes = sa.inspect(connection).get_indexes("events")
    return any((index.get("column_names") or [None])[0] == "sender_id" for index in indexes)


def ensure_sender_index(database_url: str) -> bool:
    """Create the index when the ``events`` table exists without one; True when it was created."""
    engine = sa.create_engine(normalise_url(database_url), future=True, connect_args={"connect_timeout": 10})
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if not sa.inspect(connection).has_table("events") or has_sender_index(connection):
                return False
            connection.execute(sa.text(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX_NAME} ON events (sender_id)"))
        logger.info("tracker store: created index %s on events (sender_id)", INDEX_NAME)
        return True
    finally:
        engine.dispose()
