"""Run a background job in exactly one process across Sanic workers and replicas.

Telegram allows one ``getUpdates`` poller per bot, and the handoff sweep must not tell a customer twice, but
with ``SANIC_WORKERS`` > 1 (and with several replicas) every process starts the same listeners. A
:class:`SingletonJob` makes them compete for a lease in the ticket database (:mod:`bot.tickets.leases`):

* the holder starts the job and renews the lease every ``renew_every``; the others retry at the same pace;
* a holder that stops releases the lease, so another process takes over within ``renew_every``; one that
  dies leaves it to expire after ``ttl``;
* a holder that cannot renew (database unreachable or slow) stops the job once ``ttl - renew_every`` has
  passed since its last successful renewal, before the lease can expire and be taken by someone else.
"""
from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import secrets
import socket
import threading
import time
from datetime import timedelta
from typing import Any, Awaitable, Callable, Dict, Optional, Union

from bot.tickets.database import connect
from bot.tickets.leases import LeaseStore

logger = logging.getLogger(__name__)

DEFAULT_TTL = timedelta(seconds=30)
DEFAULT_RENEW_EVERY = timedelta(seconds=10)
JobAction = Callable[[], Union[None, Awaitable[None]]]


_owners: Dict[int, str] = {}


def process_owner() -> str:
    """A name for this process that no other process (here or on another machine) has: host:pid:random.
    Per process id, so each forked Sanic worker gets its own."""
    pid = os.getpid()
    if pid not in _owners:
        _owners[pid] = f"{socket.gethostname()[:80]}:{pid}:{secrets.token_hex(4)}"
    return _owners[pid]


_shared: Dict[int, LeaseStore] = {}
_shared_lock = threading.Lock()


def shared_leases() -> LeaseStore:
    """This process's lease store on the ticket database (connected on first use, after Sanic forked)."""
    with _shared_lock:
        store = _shared.get(os.getpid())
        if store is None:
            store = _shared[os.getpid()] = LeaseStore(connect())
        return store


async def _call(action: JobAction) -> None:
    result = action()
    if inspect.isawaitable(result):
        await result


class TaskSlot:
    """Starts and stops one asyncio task made by ``factory`` (e.g. a periodic sweep run as a singleton)."""

    def __init__(self, factory: Callable[[], Awaitable[Any]]) -> None:
        self._factory = factory
        self._task: Optional[asyncio.Task] = None

    def start(self) -> None:
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self._factory())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


class SingletonJob:
    """Runs ``start_job`` while this process holds lease ``name`` and ``stop_job`` when it no longer does."""

    def __init__(self, name: str, start_job: JobAction, stop_job: JobAction,
                 leases: Callable[[], LeaseStore] = shared_leases, ttl: timedelta = DEFAULT_TTL,
                 renew_every: timedelta = DEFAULT_RENEW_EVERY, owner: Optional[str] = None) -> None:
        if ttl <= renew_every * 2:
            raise ValueError("ttl must exceed two renewal intervals, or one failed renewal would lose the lease")
        self.name = name
        self._owner = owner
        self._start_job, self._stop_job = start_job, stop_job
        self._leases = leases
        self._ttl, self._every = ttl, renew_every.total_seconds()
        self._safe_until = 0.0   # monotonic time until which the lease is certainly still ours
        self._task: Optional[asyncio.Task] = None
        self._problem: Optional[str] = None
        self.holding = False   # the last answer of the lease store
        self.running = False   # the job runs in this process

    @property
    def owner(self) -> str:
        """Who this process is in the lease table (decided in the running process, never before a fork)."""
        return self._owner or process_owner()

    def launch(self) -> asyncio.Task:
        """Compete for the lease in the background (until :meth:`close`)."""
        if self._task is None or self._task.done():
            self._task = asyncio.ensure_future(self.run())
        return self._task

    async def close(self) -> None:
        """Stop competing: stop the job if it runs here and release the lease."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def run(self) -> None:
        """Acquire or renew every ``renew_every``; start or stop the job accordingly; resign when cancelled."""
        try:
            while True:
                await self.step()
                await asyncio.sleep(self._every)
        finally:
            await asyncio.shield(self._resign())

    async def step(self) -> None:
        """One round: renew or acquire the lease, then start or stop the job to match."""
        attempt_started = time.monotonic()
        try:
            held = await asyncio.wait_for(asyncio.to_thread(self._acquire), timeout=self._every)
        except Exception as error:  # noqa: BLE001 - database down or slow: keep trying, stay safe
            self._report(f"{type(error).__name__}: {error}")
            if self.running and time.monotonic() >= self._safe_until:
                logger.warning("lease %s: not renewed in time; stopping the job here", self.name)
                await self._stop()
            return
        if self._problem is not None:
            logger.info("lease %s: database reachable again", self.name)
            self._problem = None
        self.holding = held
        if held:
            self._safe_until = attempt_started + self._ttl.total_seconds() - self._every
            if not self.running:
                await self._start()
        elif self.running:
            logger.warning("lease %s: taken over by another process; stopping the job here", self.name)
            await self._stop()

    def _acquire(self) -> bool:
        return self._leases().acquire(self.name, self.owner, self._ttl)

    def _report(self, problem: str) -> None:
        if problem != self._problem:
            logger.warning("lease %s: cannot reach the lease store (%s); retrying every %.0f s", self.name,
                           problem, self._every)
        self._problem = problem

    async def _start(self) -> None:
        logger.info("lease %s: held by %s; starting the job in this process", self.name, self.owner)
        try:
            await _call(self._start_job)
        except Exception:  # noqa: BLE001 - let another process try
            logger.exception("lease %s: the job failed to start; releasing the lease", self.name)
            await asyncio.to_thread(self._release)
            self.holding = False
            return
        self.running = True

    async def _stop(self) -> None:
        self.running = False
        try:
            await _call(self._stop_job)
        except Exception:  # noqa: BLE001 - stopping must go on
            logger.exception("lease %s: the job failed to stop cleanly", self.name)

    def _release(self) -> None:
        try:
            self._leases().release(self.name, self.owner)
        except Exception as error:  # noqa: BLE001 - it expires by itself after the ttl
            logger.warning("lease %s: not released (%s); it expires by itself", self.name, error)

    async def _resign(self) -> None:
        if self.running:
            await self._stop()
        if self.holding:
            await asyncio.to_thread(self._release)
            self.holding = False
