"""Where the channels keep what they already handled (replay protection) and the buttons they issued: the
tables ``channel_seen`` and ``channel_buttons`` (:mod:`bot.tickets.schema`), through SQLAlchemy.

* ``CHANNEL_STATE_DB`` set, or no ``DATABASE_URL``: a SQLite file (default ``var/channels.db``), shared by
  the processes of one machine and kept across restarts.
* ``DATABASE_URL`` set (production profile): the ticket database, shared by every worker and replica, so a
  webhook redelivered to another replica, or a button tapped after a reply from another worker, is still
  recognised.

Either database is created and upgraded by the ticket database's Alembic migrations
(:mod:`bot.tickets.migrations`), so the SQLite file also holds the ticket tables, empty: one schema and one
migration history instead of two. A file of the old raw-``sqlite3`` code (tables ``seen`` and
``issued_buttons``) keeps its rows (revision 0005).

Each process connects (and migrates) on first use: Sanic forks its workers after the channels are built,
and a connection must never be shared across a fork.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any, Dict, Optional

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.tickets.database import Database, connect
from bot.tickets.schema import channel_buttons, channel_seen

ROOT = Path(__file__).resolve().parents[2]


def state_db_path() -> Path:
    """The SQLite file (``CHANNEL_STATE_DB``, default ``var/channels.db``)."""
    return Path(os.environ.get("CHANNEL_STATE_DB") or ROOT / "var" / "channels.db")


def file_url(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite file ``path``."""
    return f"sqlite:///{path}"


def _insert(database: Database, table: sa.Table) -> Any:
    """INSERT with the backend's ON CONFLICT support."""
    dialect = postgresql if database.backend == "postgresql" else sqlite
    return dialect.insert(table)


class ChannelStateStore:
    """Replay keys and issued buttons in one database (times are Unix seconds). Each process opens its own
    engine on first use (PostgreSQL engines are not made fork-safe by ``create_engine_for``)."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url   # None: the ticket database (TICKETS_DB_URL, else DATABASE_URL)
        self._lock = threading.Lock()
        self._databases: Dict[int, Database] = {}

    @classmethod
    def in_file(cls, path: Path) -> "ChannelStateStore":
        """The state in the SQLite file ``path`` (created owner-only on first use)."""
        return cls(file_url(path))

    def _database(self) -> Database:
        with self._lock:
            database = self._databases.get(os.getpid())
            if database is None:
                database = self._databases[os.getpid()] = connect(self.url)
            return database

    def remember(self, channel: str, key: str, at: float) -> bool:
        """Record ``key``; True only when it was not recorded before (atomic across processes)."""
        database = self._database()
        statement = _insert(database, channel_seen).values(channel=channel, key=key, at=at) \
            .on_conflict_do_nothing(index_elements=["channel", "key"])
        with database.writer.begin() as connection:
            return connection.execute(statement).rowcount == 1

    def forget(self, channel: str, key: str) -> None:
        """Drop a recorded key."""
        with self._database().writer.begin() as connection:
            connection.execute(sa.delete(channel_seen).where(channel_seen.c.channel == channel,
                                                             channel_seen.c.key == key))

    def prune_seen(self, before: float) -> None:
        """Drop keys recorded before ``before``."""
        with self._database().writer.begin() as connection:
            connection.execute(sa.delete(channel_seen).where(channel_seen.c.at < before))

    def put_button(self, channel: str, chat: str, button_id: str, payload: str, at: float) -> None:
        """Record (or refresh) a button shown in ``chat``."""
        database = self._database()
        insert = _insert(database, channel_buttons).values(channel=channel, chat=chat, button_id=button_id,
                                                            payload=payload, at=at)
        statement = insert.on_conflict_do_update(index_elements=["channel", "chat", "button_id"],
                                                 set_={"payload": insert.excluded.payload, "at": insert.excluded.at})
        with database.writer.begin() as connection:
            connection.execute(statement)

    def button(self, channel: str, chat: str, button_id: str, since: float) -> Optional[str]:
        """The payload of a button shown in ``chat`` at or after ``since``, else None."""
        c = channel_buttons.c
        with self._database().reader.connect() as connection:
            return connection.execute(sa.select(c.payload).where(
                c.channel == channel, c.chat == chat, c.button_id == button_id, c.at >= since)).scalar_one_or_none()

    def prune_buttons(self, before: float) -> None:
        """Drop buttons recorded before ``before``."""
        with self._database().writer.begin() as connection:
            connection.execute(sa.delete(channel_buttons).where(channel_buttons.c.at < before))

    def close(self) -> None:
        """Release this process's connections."""
        with self._lock:
            database = self._databases.pop(os.getpid(), None)
        if database is not None:
            database.reader.dispose()


def open_channel_state(path: Optional[Path] = None) -> ChannelStateStore:
    """``path`` or ``CHANNEL_STATE_DB`` (SQLite); else the ticket database when ``DATABASE_URL`` is set; else
    ``var/channels.db``."""
    if path is None and not os.environ.get("CHANNEL_STATE_DB") and os.environ.get("DATABASE_URL", "").strip():
        return ChannelStateStore()
    return ChannelStateStore.in_file(Path(path or state_db_path()))
