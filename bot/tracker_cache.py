"""Rasa's SQL tracker store without the repeated reads: each conversation's latest session is remembered as
this process last read or wrote it, and one indexed query checks that the database holds nothing newer.

Per message Rasa 3.6's ``SQLTrackerStore`` reads the conversation (a query with a sub-query over the
session's rows, JSON parsing), and when it saves, reads it *again* to find the events for the event broker
(``TrackerStore.stream_events``: a second read and replay of the whole conversation) and counts the stored
rows with the same query once more. Those reads were most of the tracker store's share of a turn.

:class:`CachingSQLTrackerStore` keeps, per conversation, the stored rows of the latest session (as JSON
text, so nothing a turn mutates leaks into the cache) and the highest row id. Before using them it asks
``SELECT max(id) FROM events WHERE sender_id = ?`` (the ``sender_id`` index). Equal: the cached rows are
what the database holds (no rows at all: a new conversation, nothing to read). Different (another replica
or Sanic worker wrote the conversation, or a row was deleted): Rasa's own query runs and the cache is
refilled. A save appends the tracker's events beyond the cached ones, publishes exactly those to the event
broker, and keeps what Rasa's query would now return: the rows from the latest ``session_started`` on. A
tracker that does not continue the cached rows takes Rasa's own path.

On SQLite (the embedded default) it also uses the project's SQLite engine
(:func:`bot.tickets.database.create_engine_for`, write-ahead logging). With write-ahead logging a transaction
that reads and then writes fails at once ("database is locked", no waiting) when another process (a second
Sanic worker) committed after its read began, so every transaction that may write takes the write lock when it
begins (``BEGIN IMMEDIATE``, waiting up to the busy timeout); reads alone stay concurrent.
"""
from __future__ import annotations

import contextlib
import json
import logging
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Iterator, List, Optional, Text, Tuple

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import SessionStarted
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from sqlalchemy.engine import Engine

from bot.tickets.database import create_engine_for

logger = logging.getLogger(__name__)

# Conversations kept per process, least recently used dropped first. A 6-turn conversation's rows are about
# 17 kB of JSON (40 events, measured), so this keeps the cache near 40 MB; set ``cached_conversations`` in the
# tracker store's endpoint configuration to change it. Only a conversation's next message benefits from it.
DEFAULT_CACHED_CONVERSATIONS = 2000


@dataclass(frozen=True)
class StoredRow:
    """One stored event: its timestamp, whether it starts a session, and its JSON text."""

    timestamp: float
    starts_session: bool
    data: str


@dataclass
class StoredSession:
    """The stored rows of one conversation's latest session (what Rasa's query returns) and the highest row id
    of the conversation (None: nothing stored)."""

    rows: List[StoredRow]
    last_id: Optional[int]

    def extended(self, new: List[StoredRow], last_id: int) -> "StoredSession":
        """These rows and ``new``, cut as Rasa's query cuts them: from the latest session start on (by time)."""
        rows = self.rows + new
        starts = [row.timestamp for row in rows if row.starts_session]
        if starts:
            rows = [row for row in rows if row.timestamp >= max(starts)]
        return StoredSession(rows, last_id)


class CachingSQLTrackerStore(SQLTrackerStore):
    """``SQLTrackerStore`` whose reads and saves reuse the rows it last saw, checked by one indexed query."""

    engine: Engine   # Rasa's, replaced by the project's on SQLite

    def __init__(self, *args: Any, cached_conversations: int = DEFAULT_CACHED_CONVERSATIONS, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._read_sessionmaker: Optional[Any] = None   # None: reads use Rasa's session scope
        if self.engine.dialect.name == "sqlite" and self.engine.url.database not in (None, "", ":memory:"):
            self._use_pooled_wal_engine()
        self.cached_conversations = int(cached_conversations)
        self._sessions: "OrderedDict[str, StoredSession]" = OrderedDict()

    def _use_pooled_wal_engine(self) -> None:
        """SQLite: the project's engine (pooled connections, write-ahead logging, owner-only file) instead of
        Rasa's, which opens a connection per session and commits through a rollback journal (several file
        syncs and a journal file created and deleted per turn)."""
        url = self.engine.url.render_as_string(hide_password=False)
        self.engine.dispose()
        self.engine = create_engine_for(url)
        # Rasa's session scope (saves, and Rasa's own reads) takes the write lock up front; retrieve does not.
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine.execution_options(sqlite_begin="IMMEDIATE"))
        self._read_sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    @contextlib.contextmanager
    def _read_scope(self) -> Iterator[Any]:
        """A session for reading only: on SQLite a plain (deferred) transaction, else Rasa's session scope."""
        if self._read_sessionmaker is None:
            with self.session_scope() as session:
                yield session
            return
        session = self._read_sessionmaker()
        try:
            yield session
        finally:
            session.close()

    # -- the cache ------------------------------------------------------------------------------------------
    def _last_id(self, session: Any, sender_id: Text) -> Optional[int]:
        """The highest row id stored for ``sender_id`` (None: nothing stored)."""
        return session.query(sa.func.max(self.SQLEvent.id)).filter(self.SQLEvent.sender_id == sender_id).scalar()

    def _remember(self, sender_id: Text, stored: StoredSession) -> None:
        """Keep ``stored`` as the conversation's latest, evicting the least recently used beyond the limit."""
        self._sessions[sender_id] = stored
        self._sessions.move_to_end(sender_id)
        while len(self._sessions) > self.cached_conversations:
            self._sessions.popitem(last=False)

    def _current(self, session: Any, sender_id: Text) -> Optional[StoredSession]:
        """What the database holds for ``sender_id`` without reading its rows: the cached rows when nothing
        newer was stored, no rows when nothing is stored; None when the rows must be read."""
        last_id = self._last_id(session, sender_id)
        cached = self._sessions.get(sender_id)
        if cached is not None and cached.last_id == last_id:
            self._sessions.move_to_end(sender_id)
            return cached
        self._sessions.pop(sender_id, None)
        return StoredSession([], None) if last_id is None else None

    def forget(self, sender_id: Text) -> None:
        """Drop what is cached for ``sender_id`` (after the rows were changed outside this store)."""
        self._sessions.pop(sender_id, None)

    # -- reading ----------------------------------------------------------------------------------------------
    def _read_session(self, session: Any, sender_id: Text) -> StoredSession:
        """The latest session's rows from the database (Rasa's own query)."""
        rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=False).all()
        stored = [StoredRow(row.timestamp, row.type_name == SessionStarted.type_name, row.data) for row in rows]
        return StoredSession(stored, max((row.id for row in rows), default=None))

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The conversation's latest session, from the cache when the database holds nothing newer."""
        with self._read_scope() as session:
            stored = self._current(session, sender_id) or self._read_session(session, sender_id)
        if stored.last_id is None:
            return None
        self._remember(sender_id, stored)
        if not self.domain:
            return None
        events = [json.loads(row.data) for row in stored.rows]
        return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)

    # -- saving -----------------------------------------------------------------------------------------------
    def _new_events(self, stored: Optional[StoredSession], tracker: DialogueStateTracker) -> Optional[List[Any]]:
        """The tracker's events after the stored rows, or None when the tracker does not continue them."""
        if stored is None or len(tracker.events) < len(stored.rows):
            return None
        events = list(tracker.events)
        known, new = events[: len(stored.rows)], events[len(stored.rows):]
        if known and stored.rows[-1].timestamp != known[-1].timestamp:
            return None
        return new

    def _row(self, sender_id: Text, event: Any) -> Tuple[Any, StoredRow]:
        """The ``events`` row of one event, and what the cache keeps of it."""
        data = event.as_dict()
        text = json.dumps(data)
        row = self.SQLEvent(sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                            intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                            action_name=data.get("name"), data=text)
        return row, StoredRow(data.get("timestamp"), isinstance(event, SessionStarted), text)

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the events the database lacks; publish exactly those to the event broker."""
        sender_id = tracker.sender_id
        with self.session_scope() as session:
            stored = self._current(session, sender_id)
            new = self._new_events(stored, tracker)
            if stored is not None and new is not None:
                self._append(session, sender_id, stored, new)
                return
        self.forget(sender_id)
        await super().save(tracker)   # Rasa's own path; the next retrieve refills the cache
        self.forget(sender_id)        # its broker diff read the rows from before the save

    def _publish(self, new: List[Any], sender_id: Text) -> None:
        """Hand ``new`` to the event broker: in one batch where it takes batches (the SQL broker: one commit
        per turn), else one by one as Rasa does."""
        if self.event_broker is None:
            return
        bodies = [{"sender_id": sender_id, **event.as_dict()} for event in new]
        publish_batch = getattr(self.event_broker, "publish_batch", None)
        if publish_batch is not None:
            publish_batch(bodies)
            return
        for body in bodies:
            self.event_broker.publish(body)

    def _append(self, session: Any, sender_id: Text, stored: StoredSession, new: List[Any]) -> None:
        """Publish and store ``new``, then remember the session's rows with them."""
        if not new:
            return
        self._publish(new, sender_id)
        rows = [self._row(sender_id, event) for event in new]
        session.add_all([row for row, _ in rows])
        session.flush()
        extended = stored.extended([kept for _, kept in rows], max(row.id for row, _ in rows))
        session.commit()
        self._remember(sender_id, extended)
        logger.debug("Tracker with sender_id '%s' stored to database (%d new events)", sender_id, len(new))
