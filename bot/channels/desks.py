"""Agent desks inside the Rasa server (``credentials.yml``: ``bot.channels.AgentDesks``).

Starts the live handoff when the server starts: the desks' own listeners (the Telegram group's polling),
the worker that delivers agents' replies to customers and customers' messages to the desks, and a sweep
that tells customers whose ticket nobody claimed in time and expires old surveys. The sweep and the
receivers of desks marked ``single_receiver`` (the Telegram group's ``getUpdates``) run in one process only
across Sanic workers and replicas (a lease, :mod:`bot.singleton`); the delivery worker runs everywhere (its
rows are leased one by one). Routes under
``/webhooks/desks/``: ``GET /`` health of every part, ``POST /<desk>`` a desk's webhook (Chatwoot).
A ticket database that is down is retried every few seconds and shown in the health, never fatal.
"""
from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import RequestError, check_body_size
from bot.handoff.customers import customer_senders
from bot.handoff.runtime import HandoffRuntime, gate, handoff_runtime
from bot.handoff.service import utc_now
from bot.health import DOWN, OK, health
from bot.singleton import SingletonJob, TaskSlot

logger = logging.getLogger(__name__)

RETRY_SECONDS = 5.0
SWEEP_SECONDS = 30.0
DELIVERY_INTERVAL_SECONDS = 1.0


class AgentDesks(InputChannel):
    """Runs the handoff's background work and the desks' webhooks."""

    @classmethod
    def name(cls) -> Text:
        return "desks"

    def __init__(self) -> None:
        self._tasks: List[asyncio.Task] = []
        self._started: Optional[HandoffRuntime] = None

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        desks = Blueprint("agent_desks", __name__)

        health.register("handoff", self.health)
        health.register("tickets", self.ticket_store_health)

        @desks.listener("after_server_start")
        async def start(*_: Any) -> None:
            self._tasks.append(asyncio.ensure_future(self._run()))

        @desks.listener("before_server_stop")
        async def stop(*_: Any) -> None:
            for task in self._tasks:
                task.cancel()
            for task in self._tasks:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self._tasks.clear()
            if self._started is not None:
                for desk in self._started.desks.values():
                    with contextlib.suppress(Exception):
                        await desk.stop()

        @desks.route("/", methods=["GET"])
        async def desks_health(_: Request) -> HTTPResponse:
            return response.json(await self.health())

        @desks.route(r"/<desk_name:[A-Za-z0-9_\-]{1,64}>", methods=["POST"])
        async def webhook(request: Request, desk_name: str) -> HTTPResponse:
            runtime = handoff_runtime.ready
            desk = runtime.desks.get(desk_name) if runtime else None
            if desk is None:
                return response.json({"error": f"no desk {desk_name!r} is running"}, status=404)
            try:
                check_body_size(request.body or b"")
            except RequestError as error:
                return response.json({"error": str(error)}, status=error.status)
            status, body = await desk.handle_webhook(request.body or b"", request.headers)
            return response.json(body or {}, status=status)

        return desks

    async def _run(self) -> None:
        """Build the runtime (retrying while the database is down), then start every part."""
        while True:
            try:
                runtime = await asyncio.to_thread(handoff_runtime.get)
                break
            except Exception as error:  # noqa: BLE001 - degrade, retry, never crash the server
                logger.error("live handoff unavailable (%s: %s); retrying in %.0f s", type(error).__name__, error,
                             RETRY_SECONDS)
                await asyncio.sleep(RETRY_SECONDS)
        self._started = runtime
        for desk in runtime.desks.values():
            if getattr(desk, "single_receiver", False):   # e.g. getUpdates: one poller across workers and replicas
                self._tasks.append(SingletonJob(f"desk:{desk.name}:receive", desk.start, desk.stop).launch())
                continue
            try:
                await desk.start()
            except Exception:  # noqa: BLE001 - one broken desk must not stop the others
                logger.exception("agent desk %s failed to start", desk.name)
        logger.info("live handoff running: desks %s; customer channels %s", ", ".join(runtime.desks) or "CLI only",
                    ", ".join(customer_senders.channels()))
        self._tasks.append(asyncio.ensure_future(runtime.worker.run(DELIVERY_INTERVAL_SECONDS)))
        sweep = TaskSlot(lambda: self._sweep(runtime))
        await SingletonJob("handoff:sweep", sweep.start, sweep.stop).run()   # one sweeper across all processes

    @staticmethod
    async def _sweep(runtime: HandoffRuntime) -> None:
        while True:
            try:
                await asyncio.to_thread(runtime.service.sweep)
            except Exception:  # noqa: BLE001 - retried at the next sweep
                logger.exception("handoff sweep failed; retrying in %.0f s", SWEEP_SECONDS)
            await asyncio.sleep(SWEEP_SECONDS)

    @staticmethod
    async def ticket_store_health() -> Dict[str, Any]:
        """The ticket database answers; how many ticket notifications wait for delivery, and for how long."""
        runtime = handoff_runtime.ready
        if runtime is None:
            return {"status": DOWN, "problem": handoff_runtime.last_error or "not connected yet"}
        try:
            count, oldest = await asyncio.to_thread(runtime.service.tickets.outbox.backlog, utc_now())
        except Exception as error:  # noqa: BLE001 - the database is down: say so
            return {"status": DOWN, "problem": f"{type(error).__name__}: {error}"}
        return {"status": OK, "backend": runtime.service.tickets.database.backend,
                "outbox": {"pending": count,
                           "oldest_pending_seconds": (utc_now() - oldest).total_seconds() if oldest else 0}}

    async def health(self) -> Dict[str, Any]:
        """Status of the handoff: database, desks, outbox backlog, gate failures."""
        runtime = handoff_runtime.ready
        if runtime is None:
            return {"status": "degraded", "error": handoff_runtime.last_error or "starting"}
        try:
            count, oldest = await asyncio.to_thread(runtime.service.store.outbox.backlog, utc_now())
            backlog: Dict[str, Any] = {"pending": count,
                                       "oldest_pending_seconds": (utc_now() - oldest).total_seconds() if oldest else 0}
        except Exception as error:  # noqa: BLE001 - the database is down: say so
            backlog = {"error": f"{type(error).__name__}: {error}"}
        desks = {name: desk.health() for name, desk in runtime.desks.items()}
        degraded = "error" in backlog or any(d.get("status") != "ok" for d in desks.values()) or gate.failures
        return {"status": "degraded" if degraded else "ok", "desks": desks, "outbox": backlog,
                "delivery_last_error": runtime.worker.last_error, "gate_failures": gate.failures,
                "customer_channels": customer_senders.channels()}
