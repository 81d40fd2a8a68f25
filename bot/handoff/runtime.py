"""The live handoff inside the Rasa server: one service, its desks, the delivery worker and the gate.

Built lazily on first use, so a ticket database that is down at start-up degrades only the handoff (the
gate lets the bot answer, health says why) and is retried, never taking the server down.
"""
from __future__ import annotations

import logging
import os
import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Dict, Optional

from bot.desks.base import Desk
from bot.desks.config import declared_desk_names, load_desks
from bot.handoff.customers import customer_senders
from bot.handoff.delivery import HandoffWorker
from bot.handoff.gate import HandoffGate
from bot.handoff.service import DEFAULT_CLAIM_TIMEOUT, HandoffService, utc_now
from bot.handoff.store import HandoffStore
from bot.tickets.database import connect
from bot.tickets.store import TicketStore

logger = logging.getLogger(__name__)


def claim_timeout() -> timedelta:
    """``HANDOFF_CLAIM_TIMEOUT_MINUTES`` (operating minutes a ticket may wait unclaimed; default 30)."""
    raw = os.environ.get("HANDOFF_CLAIM_TIMEOUT_MINUTES", "").strip()
    try:
        return timedelta(minutes=float(raw)) if raw else DEFAULT_CLAIM_TIMEOUT
    except ValueError:
        logger.warning("HANDOFF_CLAIM_TIMEOUT_MINUTES=%r is not a number; using %s", raw, DEFAULT_CLAIM_TIMEOUT)
        return DEFAULT_CLAIM_TIMEOUT


@dataclass
class HandoffRuntime:
    """Everything the handoff needs in this process."""

    service: HandoffService
    desks: Dict[str, Desk]
    worker: HandoffWorker


def build_runtime() -> HandoffRuntime:
    """Connect to the ticket database and assemble the handoff (raises when the database is unreachable)."""
    database = connect()
    store = HandoffStore(database)
    service = HandoffService(store, TicketStore(database), declared_desk_names(), claim_timeout())
    desks = load_desks(service)
    worker = HandoffWorker(service, customer_senders, desks)
    store.on_change = worker.wake   # replies from desks and the gate go out at once, not at the next poll

    async def customer_back(customer_id: str) -> None:
        import asyncio

        waiting = await asyncio.to_thread(store.waiting_for_customer, customer_id)
        if not waiting:
            return
        if await asyncio.to_thread(store.outbox.retry_now, waiting, "customer", utc_now()):
            worker.wake()

    customer_senders.on_customer_back = customer_back
    return HandoffRuntime(service, desks, worker)


class LazyRuntime:
    """The runtime, built on first use; a failed build is retried at the next use."""

    def __init__(self) -> None:
        self._runtime: Optional[HandoffRuntime] = None
        self._lock = threading.Lock()
        self.last_error: Optional[str] = None

    def get(self) -> HandoffRuntime:
        if self._runtime is None:
            with self._lock:
                if self._runtime is None:
                    try:
                        self._runtime = build_runtime()
                        self.last_error = None
                    except Exception as error:
                        self.last_error = f"{type(error).__name__}: {error}"
                        raise
        return self._runtime

    @property
    def ready(self) -> Optional[HandoffRuntime]:
        return self._runtime


handoff_runtime = LazyRuntime()
gate = HandoffGate(lambda: handoff_runtime.get().service)
