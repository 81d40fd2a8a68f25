"""Where the stores holding customers' data are, with the same settings the assistant itself reads.

* Ticket database (tickets, handoff, outboxes, incidents, audit log; channel state in the production
  profile): ``TICKETS_DB_URL``, else ``DATABASE_URL``, else ``sqlite:///var/tickets.db``.
* Rasa's tracker store (table ``events``): ``DATABASE_URL`` (PostgreSQL), else the SQLite file
  ``<var>/tracker.db`` (``ASSISTANT_VAR_DIR``, default ``var/``), as ``python -m bot.serve`` configures it.
* Channel state file (``channel_seen``, ``channel_buttons``): ``CHANNEL_STATE_DB``, else ``var/channels.db``.
  (With ``DATABASE_URL`` the channels use the ticket database's ``channel_seen`` / ``channel_buttons``;
  those tables are always purged too.)
* Analytics events: ``ANALYTICS_DB_URL``, else ``<var>/analytics.db``.

A SQLite store whose file does not exist is skipped, never created.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine, make_url

from bot.privacy.batches import checkpoint, open_engine
from bot.tickets.database import normalise_url, resolve_url

ROOT = Path(__file__).resolve().parents[2]


def var_dir() -> Path:
    """The folder of the embedded stores (``ASSISTANT_VAR_DIR``, default ``var/``)."""
    return Path(os.environ.get("ASSISTANT_VAR_DIR", "").strip() or ROOT / "var")


def setting(name: str) -> str:
    return os.environ.get(name, "").strip()


@dataclass(frozen=True)
class Locations:
    """URLs of the databases (and the channel state file) a privacy command works on."""

    tickets_url: str
    tracker_url: str
    analytics_url: str
    channel_state_file: Path

    @classmethod
    def from_env(cls, tickets_url: Optional[str] = None, tracker_url: Optional[str] = None,
                 analytics_url: Optional[str] = None, channel_state_file: Optional[Path] = None) -> "Locations":
        """Given values first, then the settings above."""
        from bot.channels.state import state_db_path  # imports Rasa (bot.channels): only when needed

        database_url = setting("DATABASE_URL")
        return cls(
            tickets_url=resolve_url(tickets_url),
            tracker_url=normalise_url(tracker_url or database_url or f"sqlite:///{var_dir() / 'tracker.db'}"),
            analytics_url=normalise_url(analytics_url or setting("ANALYTICS_DB_URL")
                                        or f"sqlite:///{var_dir() / 'analytics.db'}"),
            channel_state_file=Path(channel_state_file or state_db_path()))


def sqlite_path(url: str) -> Optional[Path]:
    """The file of a ``sqlite:///`` URL (None for other databases and in-memory SQLite)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return None
    return Path(parsed.database) if parsed.database and parsed.database != ":memory:" else None


def exists(url: str) -> bool:
    """False only for a SQLite file that is not there (a server database is asked when opened)."""
    parsed = make_url(normalise_url(url))
    if parsed.get_backend_name() != "sqlite":
        return True
    path = sqlite_path(url)
    return path is not None and path.is_file()


def open_existing(url: str, is_store: Callable[[Engine], bool], what: str) -> Tuple[Optional[Engine], str]:
    """An engine (:func:`bot.privacy.batches.open_engine`) on ``url`` when it holds ``what`` (``is_store``
    says so), else None and why: a SQLite file that is not there, a PostgreSQL database that does not exist,
    or a database without the table. Nothing is ever created."""
    shown = make_url(url).render_as_string(hide_password=True)
    if not exists(url):
        return None, f"no {what} at {shown}"
    engine = open_engine(url)
    try:
        if is_store(engine):
            return engine, ""
    except sa.exc.OperationalError as error:
        if "does not exist" not in str(error.orig):
            engine.dispose()
            raise
    engine.dispose()
    return None, f"no {what} at {shown}"


def on_store(url: str, is_store: Callable[[Engine], bool], what: str,
             work: Callable[[Engine], Dict[str, Any]]) -> Dict[str, Any]:
    """``work(engine)`` on the store at ``url`` (then its write-ahead log checkpointed), or
    ``{"skipped": why}`` when it is not there (:func:`open_existing`)."""
    engine, why = open_existing(url, is_store, what)
    if engine is None:
        return {"skipped": why}
    try:
        result = work(engine)
        checkpoint(engine)
        return result
    finally:
        engine.dispose()
