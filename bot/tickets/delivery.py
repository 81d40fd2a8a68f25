"""Deliver queued ticket notifications: one pass on demand, or continuously in a daemon thread.

Each pass leases the due outbox rows of the configured notifiers, sends them concurrently and records the
outcome. A send is bounded by half the lease, so no other worker can take the row over while it is still
being sent; a crash between sending and marking is covered by the ``Idempotency-Key`` the webhook gets.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from datetime import datetime, timedelta, timezone
from typing import List, Mapping, Optional, Set

from bot.retrying import asked_wait
from bot.tickets.notifiers import DeliveryError, Notifier, Undeliverable
from bot.tickets.outbox import Claim, Outbox, RetryPolicy
from bot.tickets.store import TicketStore

logger = logging.getLogger(__name__)

DEFAULT_LEASE = timedelta(seconds=60)


class OutboxWorker:
    """Delivers the notification outbox of ``store`` through ``notifiers`` (by name).

    Subclasses deliver another outbox by overriding :attr:`outbox`, :meth:`targets` and :meth:`send`.
    """

    kind = "ticket"  # what a row delivers, for the logs

    def __init__(self, store: TicketStore, notifiers: Mapping[str, Notifier], retry: RetryPolicy = RetryPolicy(),
                 lease: timedelta = DEFAULT_LEASE, batch_size: int = 20) -> None:
        self.store = store
        self.notifiers = dict(notifiers)
        self.retry = retry
        self.lease = lease
        self.batch_size = batch_size
        self._reported_unconfigured: Set[str] = set()
        self.last_error: Optional[str] = None
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None

    # ------------------------------------------------------------ what to deliver, and how

    @property
    def outbox(self) -> Outbox:
        """The outbox this worker empties."""
        return self.store.outbox

    def targets(self) -> List[str]:
        """Targets this worker can deliver to."""
        return list(self.notifiers)

    async def send(self, claim: Claim) -> None:
        """Deliver one claimed row; raise on failure (``Undeliverable``: never retry)."""
        ticket = self.store.get(claim.ticket_id)
        if ticket is None:  # cannot happen with the foreign key; kept from crashing the whole pass
            raise DeliveryError(f"ticket {claim.ticket_id} not found")
        await self.notifiers[claim.notifier].send(ticket, idempotency_key=str(claim.delivery_id))

    def claim(self, now: datetime) -> List[Claim]:
        """Lease the rows to deliver in this pass."""
        return self.outbox.claim_due(self.targets(), now, self.lease, limit=self.batch_size)

    async def on_undeliverable(self, claim: Claim, error: Undeliverable) -> None:
        """Called once when a row is given up on (subclasses tell someone)."""

    # ------------------------------------------------------------ one pass

    async def deliver_due(self, now: Optional[datetime] = None) -> int:
        """Deliver every due row once (in the running event loop); return how many were sent."""
        now = now or datetime.now(timezone.utc)
        self._report_unconfigured()
        claims = self.claim(now)
        outcomes = await asyncio.gather(*(self._deliver(claim, now) for claim in claims))
        return sum(outcomes)

    def run_once(self, now: Optional[datetime] = None) -> int:
        """:meth:`deliver_due` from synchronous code (not from inside a running event loop)."""
        return asyncio.run(self.deliver_due(now))

    async def _deliver(self, claim: Claim, now: datetime) -> bool:
        try:
            await asyncio.wait_for(self.send(claim), timeout=self.lease.total_seconds() / 2)
        except Undeliverable as error:
            self.outbox.mark_undeliverable(claim, str(error), now)
            logger.error("%s %s for %s cannot be delivered, given up: %s", self.kind, claim.subject, claim.target,
                         error)
            await self.on_undeliverable(claim, error)
            return False
        except Exception as error:  # noqa: BLE001 - any failure of a notifier means "retry later"
            self._record_failure(claim, now, error)
            return False
        self.outbox.mark_sent(claim, now)
        logger.info("%s %s delivered via %s (attempt %d)", self.kind, claim.subject, claim.target, claim.attempts)
        return True

    def _record_failure(self, claim: Claim, now: datetime, error: BaseException) -> None:
        delay = self.retry.delay(claim.attempts)
        retry_after = asked_wait(error)   # the receiver's Retry-After, already capped
        if retry_after:
            delay = max(delay, timedelta(seconds=retry_after))
        flagged = claim.attempts >= self.retry.flag_failed_after
        message = str(error) if isinstance(error, DeliveryError) else f"{type(error).__name__}: {error}"
        self.outbox.mark_failed(claim, message, retry_at=now + delay, flag_failed=flagged)
        self.last_error = f"{claim.target}: {message}"
        log = logger.error if claim.attempts == self.retry.flag_failed_after else logger.warning
        log("%s %s via %s failed (attempt %d%s): %s; retrying in %ds", self.kind, claim.subject, claim.target,
            claim.attempts, ", flagged as failed" if flagged else "", message, delay.total_seconds())

    def _report_unconfigured(self) -> None:
        """Log once per target name that has queued rows but cannot be delivered to here."""
        targets = set(self.targets())
        for name in self.outbox.undelivered_notifiers():
            if name not in targets and name not in self._reported_unconfigured:
                self._reported_unconfigured.add(name)
                logger.warning("%s rows for %r stay pending: it is not configured here", self.kind, name)

    # ------------------------------------------------------------ background thread

    def start(self, interval: float = 2.0) -> None:
        """Deliver in a daemon thread every ``interval`` seconds (sooner after :meth:`wake`)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run_forever, args=(interval,), name="ticket-outbox", daemon=True)
        self._thread.start()

    def wake(self) -> None:
        """Start the next pass now (e.g. right after a ticket was created)."""
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish the current pass and end the thread."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    async def run(self, interval: float = 1.0) -> None:
        """Deliver in the running event loop every ``interval`` seconds (sooner after :meth:`wake`) until
        cancelled; for senders bound to that loop (e.g. the socket.io server)."""
        while True:
            try:
                if await self.deliver_due():
                    continue  # more may be waiting behind what was just sent
            except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable; try again later
                logger.exception("%s outbox pass failed; retrying in %.1fs", self.kind, interval)
            await asyncio.get_running_loop().run_in_executor(None, self._wake.wait, interval)
            self._wake.clear()

    def _run_forever(self, interval: float) -> None:
        loop = asyncio.new_event_loop()
        try:
            while not self._stopping.is_set():
                try:
                    loop.run_until_complete(self.deliver_due())
                except Exception:  # noqa: BLE001 - e.g. the database is briefly unreachable; try again later
                    logger.exception("ticket outbox pass failed; retrying in %.1fs", interval)
                self._wake.wait(interval)
                self._wake.clear()
        finally:
            loop.close()
