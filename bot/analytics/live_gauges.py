"""Gauges computed at scrape time: tickets, outboxes, waiting handoffs (ticket database) and health (registry).

Shared state is read fresh on every scrape instead of being counted by the processes that change it: tickets
are created by the action server, claimed from desks in any worker or replica, closed from the CLI, so only
the database knows the truth. The queries are the ones the health check uses (``Outbox.backlog``) plus three
grouped counts. With several replicas every replica reports the same database figures: aggregate them with
``max``, not ``sum``. Channel health is this process's :mod:`bot.health` registry, one series per status.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any, Dict, Iterable, List, Optional, Tuple

import sqlalchemy as sa
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from bot.handoff.model import ACTIVE_STATES, WAITING
from bot.handoff.service import HandoffService, utc_now
from bot.health import DEGRADED, DISABLED, DOWN, OK, HealthRegistry
from bot.tickets.model import PRIORITIES
from bot.tickets.schema import handoffs, tickets
from bot.tickets.sla import add_operating_time

logger = logging.getLogger(__name__)

STATUSES = (OK, DEGRADED, DISABLED, DOWN)
NO_HANDOFF = "none"
OUTBOXES = ("tickets", "handoff")


def health_families(parts: Dict[str, Dict[str, Any]]) -> List[Metric]:
    """``kriptocs_health_status{part, status}``: 1 for the part's current status, 0 for the others (an
    unrecognised status counts as ``down``)."""
    family = GaugeMetricFamily("kriptocs_health_status", "Health of each part of this Rasa server "
                               "(GET /health): 1 for its current status.", labels=["part", "status"])
    for part, report in sorted(parts.items()):
        current = report.get("status") if report.get("status") in STATUSES else DOWN
        for status in STATUSES:
            family.add_metric([part, status], 1.0 if status == current else 0.0)
    return [family]


async def health_metrics(registry: HealthRegistry) -> List[Metric]:
    """Run every health check of this process (each limited to 3 s) and turn the answer into gauges."""
    _, body = await registry.report()
    return health_families(body.get("parts") or {})


def _open_tickets(connection: sa.engine.Connection) -> Iterable[Tuple[str, Optional[str], int]]:
    state = sa.func.coalesce(handoffs.c.state, NO_HANDOFF)
    return connection.execute(
        sa.select(tickets.c.priority, state, sa.func.count(tickets.c.id))
        .select_from(tickets.outerjoin(handoffs, handoffs.c.ticket_id == tickets.c.id))
        .where(tickets.c.status == "open").group_by(tickets.c.priority, state)).all()


def _waiting(connection: sa.engine.Connection) -> List[Tuple[datetime, datetime]]:
    return [(row[0], row[1]) for row in connection.execute(
        sa.select(handoffs.c.created_at, tickets.c.sla_due_at)
        .select_from(handoffs.join(tickets, tickets.c.id == handoffs.c.ticket_id))
        .where(handoffs.c.state == WAITING)).all()]


def _started(connection: sa.engine.Connection) -> List[Tuple[str, int]]:
    return [(row[0], int(row[1])) for row in connection.execute(
        sa.select(handoffs.c.channel, sa.func.count(handoffs.c.ticket_id)).group_by(handoffs.c.channel)).all()]


def ticket_families(service: HandoffService, now: Optional[datetime] = None) -> List[Metric]:
    """Gauges (and one database-derived counter) from the ticket database; raises when it does not answer."""
    now = now or utc_now()
    with service.tickets.database.reader.connect() as connection:
        open_rows, waiting, started = _open_tickets(connection), _waiting(connection), _started(connection)
    backlogs = {"tickets": service.tickets.outbox.backlog(now), "handoff": service.store.outbox.backlog(now)}

    open_tickets = GaugeMetricFamily("kriptocs_open_tickets", "Open tickets by handoff state (waiting for an agent, "
                                     "with_agent, none) and priority.", labels=["state", "priority"])
    counts = {(state, priority): 0 for state in ACTIVE_STATES for priority in PRIORITIES}
    for priority, state, count in open_rows:
        counts[(state or NO_HANDOFF, priority)] = counts.get((state or NO_HANDOFF, priority), 0) + int(count)
    for (state, priority), count in sorted(counts.items()):
        open_tickets.add_metric([state, priority], count)

    pending = GaugeMetricFamily("kriptocs_outbox_pending", "Outbox rows waiting for delivery (pending or failed "
                                "and still retried): tickets = notifications, handoff = agent/customer messages.",
                                labels=["outbox"])
    oldest = GaugeMetricFamily("kriptocs_outbox_oldest_pending_seconds", "Age of the oldest row waiting for "
                               "delivery (0 when none waits).", labels=["outbox"])
    for name in OUTBOXES:
        count, since = backlogs[name]
        pending.add_metric([name], count)
        oldest.add_metric([name], max((now - since).total_seconds(), 0.0) if since else 0.0)

    overdue = GaugeMetricFamily("kriptocs_handoffs_unclaimed_overdue", "Handoffs still waiting for an agent past "
                                "a deadline: claim = the claim timeout (HANDOFF_CLAIM_TIMEOUT_MINUTES of operating "
                                "time), response = the ticket's SLA.", labels=["deadline"])
    overdue.add_metric(["claim"], sum(1 for created, _ in waiting
                                      if add_operating_time(created, service.claim_timeout) <= now))
    overdue.add_metric(["response"], sum(1 for _, due in waiting if due <= now))
    longest = GaugeMetricFamily("kriptocs_handoff_oldest_waiting_seconds",
                                "How long the longest-waiting unclaimed handoff has waited (0 when none waits).")
    longest.add_metric([], max(((now - created).total_seconds() for created, _ in waiting), default=0.0))

    started_family = CounterMetricFamily("kriptocs_handoffs_started", "Handoffs to a human agent ever started, by "
                                         "the customer's channel (counted in the ticket database).",
                                         labels=["channel"])
    for channel, count in sorted(started):
        started_family.add_metric([channel], count)
    return [open_tickets, pending, oldest, overdue, longest, started_family]


async def database_metrics(service: Optional[HandoffService]) -> List[Metric]:
    """``kriptocs_ticket_store_up`` and, when the database answers, the ticket gauges."""
    up = GaugeMetricFamily("kriptocs_ticket_store_up", "1 when the ticket database answered this scrape.")
    families: List[Metric] = []
    if service is not None:
        try:
            families = await asyncio.to_thread(ticket_families, service)
        except Exception as error:  # noqa: BLE001 - a database that is down shows as ticket_store_up 0
            logger.warning("metrics: ticket database not readable (%s: %s)", type(error).__name__, error)
            families = []
    up.add_metric([], 1.0 if families else 0.0)
    return [up, *families]
