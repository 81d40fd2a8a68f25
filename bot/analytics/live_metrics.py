"""The Rasa server's live counters for operators (Prometheus, served at ``/metrics`` by :mod:`bot.metrics_route`).

Every piece of instrumentation is here; the call sites hold one-line hooks:

* :func:`track` wraps the intake handler (``bot.channels.intake``): one ``kriptocs_messages_total`` per
  customer message, labelled with its channel, its ``route`` (``bot`` — Rasa answered; ``handoff`` — the
  handoff gate took it: agent conversation, survey, "kembali ke bot"; ``flood_limited``; ``busy`` — the
  concurrency cap refused it; ``error``) and, for ``bot``, the intent Rasa's NLU found; the reply latency
  (intake to Rasa's last reply sent) of ``bot`` messages; ``kriptocs_nlu_fallbacks_total``.
* :func:`record_parse` is called by Rasa's patched ``MessageProcessor.parse_message`` (``bot.rasa_runtime``)
  and gives the message being tracked its intent (a context variable carries the turn through Rasa; a
  parse outside a customer turn, e.g. ``/model/parse``, is not counted).
* :func:`note_route` marks a message the flood limit or the cap turned away.
* :func:`handoff_event` counts what happens to handed-over conversations (``bot.handoff.service``).

Why multiprocess mode: Rasa may run several Sanic workers (``RASA_WORKERS``), and a scrape reaches one of
them. Counters and histograms can only be computed where the event happens, so each process writes them to
memory-mapped files in ``PROMETHEUS_MULTIPROC_DIR`` (:mod:`bot.analytics.metrics_dir`) and a scrape adds up
every process's files: exact totals whichever worker answers, kept when a worker exits. Gauges of shared state
(tickets, outboxes, waiting handoffs, health) are not kept here at all: :mod:`bot.analytics.live_gauges`
computes them at scrape time from the database and the health registry, so no worker can report a stale copy.
"""
from __future__ import annotations

import logging
import re
import time
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Collection, Dict, Optional

from prometheus_client import CollectorRegistry, Counter, Histogram, values

from bot.analytics.metrics_dir import metrics_dir

logger = logging.getLogger(__name__)

BOT, HANDOFF, FLOOD_LIMITED, BUSY, ERROR = "bot", "handoff", "flood_limited", "busy", "error"
NO_INTENT, UNKNOWN_INTENT, OTHER_INTENT = "none", "unknown", "other"
FALLBACK_INTENT = "nlu_fallback"
HANDOFF_EVENTS = ("claimed", "resolved", "left", "unclaimed")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)
_LABEL_VALUE = re.compile(r"[^a-z0-9_]")


def _use_multiprocess_values() -> None:
    """Multiprocess values whenever the folder is configured, even if something imported prometheus_client
    before it was set (the mode is otherwise fixed at that first import)."""
    if metrics_dir() is not None and values.ValueClass is values.MutexValue:
        logger.warning("prometheus_client was imported before PROMETHEUS_MULTIPROC_DIR was set; switching to "
                       "multiprocess values")
        values.ValueClass = values.MultiProcessValue()


_use_multiprocess_values()

# Its own registry, so importing this module twice (tests) or a library's metrics never clash; in
# multiprocess mode /metrics reads the files instead and this registry only serves single-process use.
REGISTRY = CollectorRegistry(auto_describe=True)
MESSAGES = Counter("kriptocs_messages", "Customer messages received through the channels' intake.",
                   ["channel", "route", "intent"], registry=REGISTRY)
REPLY_LATENCY = Histogram("kriptocs_reply_latency_seconds",
                          "From a customer message entering the intake to the bot's reply sent (route=bot).",
                          ["channel"], buckets=LATENCY_BUCKETS, registry=REGISTRY)
FALLBACKS = Counter("kriptocs_nlu_fallbacks", "Customer messages Rasa's NLU classified as nlu_fallback.",
                    ["channel"], registry=REGISTRY)
HANDOFFS = Counter("kriptocs_handoff_events", "Live-handoff transitions: claimed, resolved, left, unclaimed "
                   "(nobody claimed it within the claim timeout; the customer was told).", ["event"],
                   registry=REGISTRY)


@dataclass
class Turn:
    """One customer message on its way through the intake and Rasa."""

    channel: str
    started: float
    route: Optional[str] = None
    intent: Optional[str] = None


_turn: ContextVar[Optional[Turn]] = ContextVar("kriptocs_live_metrics_turn", default=None)


def label(value: Optional[str], fallback: str = UNKNOWN_INTENT) -> str:
    """A short, safe label value: lower case letters, digits and ``_`` (channel names come from requests'
    routes only, but a label must never grow the number of series without bound)."""
    cleaned = _LABEL_VALUE.sub("_", (value or "").strip().lower())[:40]
    return cleaned or fallback


IntakeHandler = Callable[[Any], Awaitable[bool]]


def track(handler: IntakeHandler, clock: Callable[[], float] = time.monotonic) -> IntakeHandler:
    """``handler`` (the intake's composed handler) counting each message and timing the bot's replies."""

    async def tracked(message: Any) -> bool:
        turn = Turn(label(getattr(message, "input_channel", None), "unknown"), clock())
        token = _turn.set(turn)
        try:
            handled = await handler(message)
        except BaseException:
            turn.route = turn.route or ERROR
            raise
        else:
            turn.route = turn.route or (HANDOFF if handled else BOT)
            return handled
        finally:
            _turn.reset(token)
            _record(turn, clock() - turn.started)

    return tracked


def _record(turn: Turn, elapsed: float) -> None:
    intent = (turn.intent or UNKNOWN_INTENT) if turn.route == BOT else NO_INTENT
    try:
        MESSAGES.labels(turn.channel, turn.route or ERROR, intent).inc()
        if turn.route == BOT:
            REPLY_LATENCY.labels(turn.channel).observe(max(elapsed, 0.0))
            if intent == FALLBACK_INTENT:
                FALLBACKS.labels(turn.channel).inc()
    except Exception:  # noqa: BLE001 - monitoring must never cost a customer their reply
        logger.exception("could not count a %s message", turn.channel)


def note_route(route: str) -> None:
    """Mark the message being tracked as turned away (``FLOOD_LIMITED`` or ``BUSY``)."""
    turn = _turn.get()
    if turn is not None:
        turn.route = route


def record_parse(parse_data: Dict[str, Any], known_intents: Collection[str] = ()) -> None:
    """Give the message being tracked the intent Rasa's NLU found (names outside the domain become
    ``other``, so an injected ``/payload`` cannot invent series)."""
    turn = _turn.get()
    if turn is None:
        return
    name = str(((parse_data or {}).get("intent") or {}).get("name") or "")
    if not name:
        turn.intent = UNKNOWN_INTENT
    elif name == FALLBACK_INTENT or name in known_intents:
        turn.intent = name
    else:
        turn.intent = OTHER_INTENT


def handoff_event(event: str) -> None:
    """Count a live-handoff transition (one of :data:`HANDOFF_EVENTS`); never raises."""
    try:
        HANDOFFS.labels(event if event in HANDOFF_EVENTS else "other").inc()
    except Exception:  # noqa: BLE001 - monitoring must never break a handoff
        logger.exception("could not count handoff event %s", event)
