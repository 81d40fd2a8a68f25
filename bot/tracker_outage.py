"""Rasa's tracker store wrapper for a database outage: never answer from a forgotten conversation, never
drop a turn that was answered.

Rasa wraps every tracker store in ``FailSafeTrackerStore``: when the database fails, ``retrieve`` returns
nothing (the turn runs on an empty conversation, so a report in progress is forgotten) and ``save`` writes
to memory only (the turn is never stored). :class:`OutageTolerantTrackerStore` replaces it
(:func:`install`):

* **save fails** (the turn already ran and was answered): the tracker is kept in this process and written
  to the database by a background task as soon as it answers again (every ``FLUSH_INTERVAL_SECONDS``);
  the next turns of that conversation continue from the kept tracker, so nothing is lost or forgotten;
* **retrieve fails** for a conversation with nothing kept here: :class:`TrackerStoreUnavailable` is raised
  before anything ran, so the channel refuses the message for a retry (REST answers 503 with
  ``Retry-After``; Telegram and WhatsApp, whose updates are already acknowledged, wait and try again,
  see :mod:`bot.channels.intake`);
* ``GET /health`` shows part ``tracker_store``: ``degraded`` with the problem and how many conversations
  wait to be written, ``ok`` again once everything is written.

Kept trackers live in this process only: a replica that dies during the outage loses what it kept (with
hash routing, only its own conversations' turns since the outage began).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Dict, Iterable, Optional, Set, Text

from rasa.core.tracker_store import FailSafeTrackerStore, InMemoryTrackerStore, TrackerStore
from rasa.shared.core.trackers import DialogueStateTracker

from bot.health import DEGRADED, OK, health
from bot.limits.capacity import Overloaded

logger = logging.getLogger(__name__)

FLUSH_INTERVAL_SECONDS = 2.0
RETRY_AFTER_SECONDS = 5


class TrackerStoreUnavailable(Overloaded):
    """The conversation could not be read: nothing was processed, the message may be sent again."""

    def __init__(self, error: BaseException) -> None:
        super().__init__(RETRY_AFTER_SECONDS)
        self.args = (f"tracker store unavailable ({type(error).__name__}: {error}); retry after "
                     f"{RETRY_AFTER_SECONDS} s",)


class StoreOutage:
    """Whether the database answers, since when not, and the log lines of one outage."""

    def __init__(self) -> None:
        self.problem: Optional[str] = None
        self.since: Optional[float] = None

    def failed(self, error: BaseException, doing: str) -> None:
        if self.problem is None:
            self.since = time.time()
            logger.error("tracker store: %s failed (%s: %s); keeping answered turns in this process and "
                         "refusing conversations it cannot read until the database answers", doing,
                         type(error).__name__, error)
        self.problem = f"{doing} failed: {type(error).__name__}: {error}"

    def recovered(self) -> None:
        if self.problem is not None:
            logger.warning("tracker store: the database answers again after %.0f s", time.time() - (self.since or 0))
        self.problem, self.since = None, None


class OutageTolerantTrackerStore(FailSafeTrackerStore):
    """``FailSafeTrackerStore`` that keeps unsaved turns and refuses unreadable conversations (see above)."""

    def __init__(self, tracker_store: TrackerStore, *args: Any, **kwargs: Any) -> None:
        super().__init__(tracker_store, *args, **kwargs)
        self.kept = InMemoryTrackerStore(tracker_store.domain, None)   # no broker: events were published once
        self.unsaved: Set[Text] = set()
        self.outage = StoreOutage()
        self._flusher: Optional[asyncio.Task] = None
        health.register("tracker_store", self.health)

    @property
    def domain(self) -> Any:
        return self._tracker_store.domain

    @domain.setter
    def domain(self, domain: Any) -> None:
        self._tracker_store.domain = domain
        kept = getattr(self, "kept", None)   # not yet there while the base class initialises
        if kept is not None:
            kept.domain = domain

    async def retrieve(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The conversation: the kept one while it waits to be written, else the database's."""
        if sender_id in self.unsaved:
            await self._flush(sender_id)
            if sender_id in self.unsaved:
                return await self.kept.retrieve(sender_id)
        try:
            tracker = await self._tracker_store.retrieve(sender_id)
        except Exception as error:  # noqa: BLE001 - any database failure
            self.outage.failed(error, "reading a conversation")
            raise TrackerStoreUnavailable(error) from error
        if not self.unsaved:
            self.outage.recovered()
        return tracker

    async def retrieve_full_tracker(self, sender_id: Text) -> Optional[DialogueStateTracker]:
        """The whole conversation (HTTP API, analytics): kept or from the database, refused during an outage."""
        if sender_id in self.unsaved:
            return await self.kept.retrieve_full_tracker(sender_id)
        try:
            return await self._tracker_store.retrieve_full_tracker(sender_id)
        except Exception as error:  # noqa: BLE001
            self.outage.failed(error, "reading a conversation")
            raise TrackerStoreUnavailable(error) from error

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Write the turn; keep it here (written later) when the database fails."""
        sender_id = tracker.sender_id
        if sender_id not in self.unsaved:
            try:
                await self._tracker_store.save(tracker)
                return
            except Exception as error:  # noqa: BLE001
                self.outage.failed(error, "saving a conversation")
        await self.kept.save(tracker)
        self.unsaved.add(sender_id)
        self._start_flusher()

    async def keys(self) -> Iterable[Text]:
        return set(await super().keys()) | set(self.unsaved)

    async def _flush(self, sender_id: Text) -> bool:
        """Write one kept conversation to the database; True when it was written."""
        tracker = await self.kept.retrieve_full_tracker(sender_id)
        try:
            if tracker is not None:
                await self._tracker_store.save(tracker)
        except Exception as error:  # noqa: BLE001
            self.outage.failed(error, "writing kept conversations")
            return False
        self.unsaved.discard(sender_id)
        self.kept.store.pop(sender_id, None)
        if not self.unsaved:
            self.outage.recovered()
        return True

    def _start_flusher(self) -> None:
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.get_running_loop().create_task(self._flush_until_written())

    async def _flush_until_written(self) -> None:
        """Background: every ``FLUSH_INTERVAL_SECONDS`` write what is kept, until nothing is."""
        while self.unsaved:
            await asyncio.sleep(FLUSH_INTERVAL_SECONDS)
            for sender_id in sorted(self.unsaved):
                if not await self._flush(sender_id):
                    break
        logger.info("tracker store: every kept conversation is written")

    async def health(self) -> Dict[str, Any]:
        """Part ``tracker_store`` of ``GET /health``."""
        if self.outage.problem is None and not self.unsaved:
            return {"status": OK}
        return {"status": DEGRADED, "problem": self.outage.problem or "writing kept conversations",
                "since": round(self.outage.since or 0), "conversations_waiting": len(self.unsaved)}


def _create_tracker_store(store: Optional[TrackerStore], domain: Any) -> TrackerStore:
    """Replacement of ``Agent._create_tracker_store``: the same store, wrapped by the class above."""
    if store is not None:
        store.domain = domain
        return OutageTolerantTrackerStore(store)
    return OutageTolerantTrackerStore(InMemoryTrackerStore(domain))


def install() -> None:
    """Make Rasa's agent wrap its tracker store in :class:`OutageTolerantTrackerStore`."""
    from rasa.core.agent import Agent

    Agent._create_tracker_store = staticmethod(_create_tracker_store)
