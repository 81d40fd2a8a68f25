"""Where the channels keep what they already handled (replay protection) and the buttons they issued.

* ``CHANNEL_STATE_DB`` set, or no ``DATABASE_URL``: a SQLite file (default ``var/channels.db``), shared by
  the processes of one machine and kept across restarts.
* ``DATABASE_URL`` set (production profile): the tables ``channel_seen`` and ``channel_buttons`` of the
  ticket database (created by its migrations), shared by every worker and replica, so a webhook redelivered
  to another replica, or a button tapped after a reply from another worker, is still recognised.

Connections are opened on first use in each process: Sanic forks its workers after the channels are built,
and a connection must never be shared across a fork.
"""
from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Dict, Optional, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from bot.privacy.files import private_file
from bot.tickets.database import Database, connect
from bot.tickets.schema import channel_buttons, channel_seen

ROOT = Path(__file__).resolve().parents[2]


class ChannelState(Protocol):
    """Storage behind ``SeenStore`` and ``IssuedButtons`` (times are Unix seconds)."""

    def remember(self, channel: str, key: str, at: float) -> bool:
        """Record ``key``; True only when it was not recorded before."""

    def forget(self, channel: str, key: str) -> None:
        """Drop a recorded key."""

    def prune_seen(self, before: float) -> None:
        """Drop keys recorded before ``before``."""

    def put_button(self, channel: str, chat: str, button_id: str, payload: str, at: float) -> None:
        """Record (or refresh) a button shown in ``chat``."""

    def button(self, channel: str, chat: str, button_id: str, since: float) -> Optional[str]:
        """The payload of a button shown in ``chat`` at or after ``since``, else None."""

    def prune_buttons(self, before: float) -> None:
        """Drop buttons recorded before ``before``."""

    def close(self) -> None:
        """Release connections."""


def state_db_path() -> Path:
    """The SQLite file (``CHANNEL_STATE_DB``, default ``var/channels.db``)."""
    return Path(os.environ.get("CHANNEL_STATE_DB") or ROOT / "var" / "channels.db")


class SqliteChannelState:
    """The state in a SQLite file (one connection per process, opened on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._connections: Dict[int, sqlite3.Connection] = {}

    def _connection(self) -> sqlite3.Connection:
        connection = self._connections.get(os.getpid())
        if connection is None:
            private_file(self.path)   # owner-only (0600, a new folder 0700); its -wal/-shm inherit it
            connection = sqlite3.connect(str(self.path), check_same_thread=False, isolation_level=None, timeout=10)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("CREATE TABLE IF NOT EXISTS seen (channel TEXT NOT NULL, key TEXT NOT NULL, "
                               "at REAL NOT NULL, PRIMARY KEY (channel, key))")
            connection.execute("CREATE TABLE IF NOT EXISTS issued_buttons (channel TEXT NOT NULL, "
                               "chat TEXT NOT NULL, button_id TEXT NOT NULL, payload TEXT NOT NULL, "
                               "at REAL NOT NULL, PRIMARY KEY (channel, chat, button_id))")
            self._connections[os.getpid()] = connection
        return connection

    def _execute(self, sql: str, parameters: tuple) -> sqlite3.Cursor:
        with self._lock:
            return self._connection().execute(sql, parameters)

    def remember(self, channel: str, key: str, at: float) -> bool:
        return self._execute("INSERT OR IGNORE INTO seen (channel, key, at) VALUES (?, ?, ?)",
                             (channel, key, at)).rowcount == 1

    def forget(self, channel: str, key: str) -> None:
        self._execute("DELETE FROM seen WHERE channel = ? AND key = ?", (channel, key))

    def prune_seen(self, before: float) -> None:
        self._execute("DELETE FROM seen WHERE at < ?", (before,))

    def put_button(self, channel: str, chat: str, button_id: str, payload: str, at: float) -> None:
        self._execute("INSERT OR REPLACE INTO issued_buttons (channel, chat, button_id, payload, at) "
                      "VALUES (?, ?, ?, ?, ?)", (channel, chat, button_id, payload, at))

    def button(self, channel: str, chat: str, button_id: str, since: float) -> Optional[str]:
        row = self._execute("SELECT payload FROM issued_buttons WHERE channel = ? AND chat = ? AND button_id = ? "
                            "AND at >= ?", (channel, chat, button_id, since)).fetchone()
        return row[0] if row else None

    def prune_buttons(self, before: float) -> None:
        self._execute("DELETE FROM issued_buttons WHERE at < ?", (before,))

    def close(self) -> None:
        with self._lock:
            connection = self._connections.pop(os.getpid(), None)
            if connection is not None:
                connection.close()


def _insert(database: Database, table: sa.Table) -> Any:
    """INSERT with the backend's ON CONFLICT support (PostgreSQL, or SQLite in tests)."""
    dialect = postgresql if database.backend == "postgresql" else sqlite
    return dialect.insert(table)


class SqlChannelState:
    """The state in the ticket database (SQLAlchemy; connected on first use in each process)."""

    def __init__(self, url: Optional[str] = None) -> None:
        self.url = url
        self._lock = threading.Lock()
        self._databases: Dict[int, Database] = {}

    def _database(self) -> Database:
        with self._lock:
            database = self._databases.get(os.getpid())
            if database is None:
                database = self._databases[os.getpid()] = connect(self.url)
            return database

    def remember(self, channel: str, key: str, at: float) -> bool:
        database = self._database()
        statement = _insert(database, channel_seen).values(channel=channel, key=key, at=at) \
            .on_conflict_do_nothing(index_elements=["channel", "key"])
        with database.writer.begin() as connection:
            return connection.execute(statement).rowcount == 1

    def forget(self, channel: str, key: str) -> None:
        with self._database().writer.begin() as connection:
            connection.execute(sa.delete(channel_seen).where(channel_seen.c.channel == channel,
                                                             channel_seen.c.key == key))

    def prune_seen(self, before: float) -> None:
        with self._database().writer.begin() as connection:
            connection.execute(sa.delete(channel_seen).where(channel_seen.c.at < before))

    def put_button(self, channel: str, chat: str, button_id: str, payload: str, at: float) -> None:
        database = self._database()
        insert = _insert(database, channel_buttons).values(channel=channel, chat=chat, button_id=button_id,
                                                            payload=payload, at=at)
        statement = insert.on_conflict_do_update(index_elements=["channel", "chat", "button_id"],
                                                 set_={"payload": insert.excluded.payload, "at": insert.excluded.at})
        with database.writer.begin() as connection:
            connection.execute(statement)

    def button(self, channel: str, chat: str, button_id: str, since: float) -> Optional[str]:
        c = channel_buttons.c
        with self._database().reader.connect() as connection:
            return connection.execute(sa.select(c.payload).where(
                c.channel == channel, c.chat == chat, c.button_id == button_id, c.at >= since)).scalar_one_or_none()

    def prune_buttons(self, before: float) -> None:
        with self._database().writer.begin() as connection:
            connection.execute(sa.delete(channel_buttons).where(channel_buttons.c.at < before))

    def close(self) -> None:
        with self._lock:
            database = self._databases.pop(os.getpid(), None)
        if database is not None:
            database.reader.dispose()


def open_channel_state(path: Optional[Path] = None) -> ChannelState:
    """``path`` or ``CHANNEL_STATE_DB`` (SQLite); else the ticket database when ``DATABASE_URL`` is set; else
    ``var/channels.db``."""
    if path is not None or os.environ.get("CHANNEL_STATE_DB"):
        return SqliteChannelState(Path(path or state_db_path()))
    if os.environ.get("DATABASE_URL", "").strip():
        return SqlChannelState()
    return SqliteChannelState(state_db_path())
