"""The two places the conversation meets incidents (called from the custom actions):

* :func:`notices_first` — before a knowledge answer or the start of a problem report: record the message for
  spike detection and show the active notices about its bank/network/coin first (once per conversation);
* :func:`observe_report` — after a report became a ticket: record the ticket's topics too (a bank named only
  in the form's answers still counts).

Both never raise and never hold the answer up for long: the database work runs in a small pool of its own
(not the one the knowledge search uses), is given up on after ``WAIT_SECONDS`` and skipped while
``MAX_PENDING`` calls are still running (e.g. the database hangs); the problem is logged and the conversation
goes on.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, TypeVar

from bot.incidents.model import Observation
from bot.incidents.notices import notices_for
from bot.incidents.runtime import incident_runtime
from bot.incidents.topics import topics_in_text, topics_of_entities
from bot.text_limits import clip
from bot.tickets.model import Ticket
from nlu.scrub import protected

logger = logging.getLogger(__name__)

EXAMPLE_CHARS = 300
TICKET_TOPIC_DETAILS = ("asset", "network", "bank_account")
WAIT_SECONDS = 3.0
MAX_PENDING = 4

T = TypeVar("T")
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="incidents")
_pending = threading.BoundedSemaphore(MAX_PENDING)


def _release_after(work: Callable[..., T], *args: Any) -> T:
    try:
        return work(*args)
    finally:
        _pending.release()


async def run_bounded(work: Callable[..., T], *args: Any) -> T:
    """``work(*args)`` in the incident pool; raises ``TimeoutError`` after ``WAIT_SECONDS`` (the work goes on
    in the background) or at once when ``MAX_PENDING`` calls are still running."""
    if not _pending.acquire(blocking=False):
        raise TimeoutError(f"{MAX_PENDING} incident calls still running")
    future = asyncio.get_running_loop().run_in_executor(_pool, _release_after, work, *args)
    try:
        return await asyncio.wait_for(asyncio.shield(future), WAIT_SECONDS)
    except asyncio.TimeoutError:
        raise TimeoutError(f"incident call took longer than {WAIT_SECONDS:.0f} s") from None


def example_text(text: str) -> str:
    """A customer's words as agents may see them in an alert: secrets redacted, personal data masked, one line,
    shortened."""
    return clip(" ".join(protected(text).split()), EXAMPLE_CHARS)


def _latest_user_event(tracker: Any) -> Dict[str, Any]:
    return next((e for e in reversed(tracker.events) if e.get("event") == "user"), None) or {}


def message_observations(tracker: Any, now: datetime) -> List[Observation]:
    """One observation per bank/network/coin the customer's last message names."""
    message = tracker.latest_message or {}
    topics = topics_of_entities(message.get("entities") or [])
    event = _latest_user_event(tracker)
    text = event.get("text") or message.get("text") or ""
    message_id = event.get("message_id")
    key = f"{tracker.sender_id}:{message_id}" if message_id else None
    intent = str((message.get("intent") or {}).get("name") or "unknown")
    return [Observation(topic, tracker.sender_id, now, intent, example_text(text), key) for topic in topics]


def ticket_observations(ticket: Ticket, now: datetime) -> List[Observation]:
    """One observation per bank/network/coin among a new ticket's details (keyed by the ticket)."""
    values = " ; ".join(detail.value for detail in ticket.details if detail.name in TICKET_TOPIC_DETAILS)
    return [Observation(topic, ticket.customer_id, now, ticket.category, example_text(ticket.summary),
                        f"ticket:{ticket.id}") for topic in topics_in_text(values)]


def _notices_first(tracker: Any, now: datetime) -> List[str]:
    runtime = incident_runtime()
    observations = message_observations(tracker, now)
    if not observations:
        return []
    opened = runtime.monitor.observe(observations, now)
    if opened:
        runtime.worker.wake()
    return notices_for(runtime.store, [o.topic for o in observations], tracker.sender_id, now)


async def notices_first(dispatcher: Any, tracker: Any, now: Optional[datetime] = None) -> None:
    """Record the customer's last message for spike detection and send the notices it should see first."""
    try:
        messages = await run_bounded(_notices_first, tracker, now or datetime.now(timezone.utc))
    except TimeoutError as error:
        logger.warning("incident notices skipped for %s: %s", getattr(tracker, "sender_id", "?"), error)
        return
    except Exception:  # noqa: BLE001 - incidents must never stop the answer
        logger.exception("incident notices skipped for %s", getattr(tracker, "sender_id", "?"))
        return
    for text in messages:
        dispatcher.utter_message(text=text)


def _observe_report(ticket: Ticket, now: datetime) -> None:
    runtime = incident_runtime()
    if runtime.monitor.observe(ticket_observations(ticket, now), now):
        runtime.worker.wake()


async def observe_report(ticket: Ticket, now: Optional[datetime] = None) -> None:
    """Record the topics of a new ticket for spike detection."""
    try:
        await run_bounded(_observe_report, ticket, now or datetime.now(timezone.utc))
    except TimeoutError as error:
        logger.warning("incident observation of ticket %s skipped: %s", ticket.id, error)
    except Exception:  # noqa: BLE001 - incidents must never stop the answer
        logger.exception("incident observation of ticket %s skipped", ticket.id)


def start_alert_delivery() -> None:
    """Connect and start delivering queued alerts at start-up (logged, retried on first use, if the
    database is not reachable yet)."""
    try:
        incident_runtime()
    except Exception:  # noqa: BLE001 - the action server still starts
        logger.exception("incident alerts not started yet; retried on the next message")
