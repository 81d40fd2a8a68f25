"""A cap on how many customer messages this process hands to Rasa at once, with a bounded wait queue.

Overload turns into waiting in line (first come, first served) and, past the queue's size or a message's
longest wait, into a clear refusal (:class:`Overloaded`, carrying a ``Retry-After``), never into a pile of
requests that all time out. Pure asyncio (one event loop), no Rasa; the clock (for the health view) is
injected.
"""
from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable, Deque, Dict, Optional

DEFAULT_RETRY_AFTER_SECONDS = 5
REJECTING_WINDOW_SECONDS = 60.0   # health shows "degraded" for this long after a refusal

Clock = Callable[[], float]


class Overloaded(Exception):
    """The message was refused because too many are being handled or waiting; try again later."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many messages at once; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True)
class Admission:
    """How a message waits for a slot.

    ``bounded``: refused at once when ``max_queued`` messages already wait (for requests a client can
    retry); otherwise it always joins the line. ``max_wait``: seconds it may wait before being refused
    (None: as long as it takes)."""

    bounded: bool = True
    max_wait: Optional[float] = None


class _WaitExpired(Exception):
    """A waiting message's ``max_wait`` passed before a slot was free."""


class ConcurrencyCap:
    """At most ``limit`` holders at once; others wait in order, at most ``max_queued`` of the bounded ones."""

    def __init__(self, limit: int, max_queued: int, clock: Clock = time.monotonic,
                 retry_after: int = DEFAULT_RETRY_AFTER_SECONDS) -> None:
        if limit < 1 or max_queued < 0:
            raise ValueError("limit must be at least 1 and max_queued at least 0")
        self.limit = limit
        self.max_queued = max_queued
        self.retry_after = retry_after
        self._clock = clock
        self._waiters: Deque[asyncio.Future] = deque()
        self.in_flight = 0
        self.rejected = 0   # refusals since start
        self._last_rejected_at: Optional[float] = None

    @property
    def queued(self) -> int:
        """Messages waiting for a slot right now."""
        return len(self._waiters)

    async def acquire(self, admission: Admission) -> None:
        """Wait for a slot (in arrival order); raise :class:`Overloaded` when refused."""
        if self.in_flight < self.limit and not self._waiters:
            self.in_flight += 1
            return
        if admission.bounded and len(self._waiters) >= self.max_queued:
            raise self._refuse()
        turn = asyncio.get_running_loop().create_future()
        self._waiters.append(turn)
        timer = (asyncio.get_running_loop().call_later(admission.max_wait, self._expire, turn)
                 if admission.max_wait is not None else None)
        try:
            await turn
        except _WaitExpired:
            self._drop(turn)
            raise self._refuse() from None
        except asyncio.CancelledError:
            if turn.done() and not turn.cancelled() and turn.exception() is None:
                self.release()   # the slot was handed over just as the waiter was cancelled: pass it on
            else:
                self._drop(turn)
            raise
        finally:
            if timer is not None:
                timer.cancel()

    def release(self) -> None:
        """Give the slot back: to the first message still waiting, or free it."""
        while self._waiters:
            turn = self._waiters.popleft()
            if not turn.done():
                turn.set_result(None)   # the slot moves to this waiter; ``in_flight`` is unchanged
                return
        self.in_flight = max(0, self.in_flight - 1)

    def rejecting(self) -> bool:
        """Whether a message was refused within the last ``REJECTING_WINDOW_SECONDS``."""
        return self._last_rejected_at is not None and \
            self._clock() - self._last_rejected_at < REJECTING_WINDOW_SECONDS

    def status(self) -> Dict[str, Any]:
        """Load figures for the health view."""
        return {"max_concurrent": self.limit, "in_flight": self.in_flight, "queued": self.queued,
                "max_queued": self.max_queued, "rejected": self.rejected}

    def _refuse(self) -> Overloaded:
        self.rejected += 1
        self._last_rejected_at = self._clock()
        return Overloaded(self.retry_after)

    def _expire(self, turn: asyncio.Future) -> None:
        if not turn.done():
            turn.set_exception(_WaitExpired())

    def _drop(self, turn: asyncio.Future) -> None:
        try:
            self._waiters.remove(turn)
        except ValueError:
            pass
