"""Assemble the report: events → conversations, tickets and handoffs → metrics, gap list, incidents.

The result is one JSON-ready dict; ``--format json`` writes it as it is and the HTML page is rendered from it,
so both show the same numbers.
"""
from __future__ import annotations

import multiprocessing
import os
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Dict, Optional, TypeVar

from bot.analytics.conversations import build_conversations
from bot.analytics.events import analytics_url
from bot.analytics.gaps import (
    DEFAULT_SAMPLE_LIMIT,
    Embeddings,
    GapList,
    RetrievalEmbeddings,
    find_gaps,
    gap_messages,
    no_gaps,
)
from bot.analytics.metrics import SELF_SERVICE_WINDOW, Period, summarise, to_datetime
from bot.report.event_signals import garbage_collection_paused, read_signals
from bot.report.incidents import incidents_in_period
from bot.report.sources import load_agent_side_warnings, load_ticket_times, load_tickets
from bot.tickets.database import connect
from bot.tickets.model import WIB
from bot.tickets.sla import configured_hours
from bot.wording import agent_hours_text
from kb.articles import load_articles

# Events read around the period: a conversation that began before it is recognised (and left out), one
# still going at its end is complete.
LOOKBACK = timedelta(hours=6)
LOOKAHEAD = timedelta(hours=6)
TOP_GAP_GROUPS = 20
T = TypeVar("T")
SCHEMA_VERSION = 1


@dataclass(frozen=True)
class ReportRequest:
    """What to report on and where the data lives (``None``: the configured databases)."""

    period: Period
    channel: Optional[str] = None
    analytics_db_url: Optional[str] = None
    tickets_db_url: Optional[str] = None
    gap_sample: int = DEFAULT_SAMPLE_LIMIT
    workers: int = field(default_factory=lambda: max(1, min(2, os.cpu_count() or 1)))
    now: Optional[datetime] = None


class Stopwatch:
    """Seconds spent per step (the benchmark prints them)."""

    def __init__(self) -> None:
        self.steps: Dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        self.steps[step] = round(now - self._last, 3)
        self._last = now


def gap_section(gaps: GapList) -> Dict[str, Any]:
    """The gap list as the report's JSON section."""
    return {"messages": gaps.messages, "sampled": gaps.sampled, "estimated": gaps.estimated,
            "by_reason": gaps.by_reason, "groups": [asdict(group) for group in gaps.groups]}


def run_in_forked_child(function: Callable[[], T]) -> Callable[[], T]:
    """Start ``function`` in a forked child process now; the returned callable waits for its result (or
    raises its error). Nothing is pickled but the result: the child shares the parent's data as it was."""
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)

    def child() -> None:
        try:
            sender.send((True, function()))
        except BaseException as error:  # noqa: BLE001 - handed to the parent, which raises it
            sender.send((False, error))

    process = context.Process(target=child, daemon=True)
    process.start()
    sender.close()

    def result() -> T:
        try:
            ok, value = receiver.recv()
        except EOFError:
            raise RuntimeError(f"the child process died (exit code {process.exitcode})") from None
        finally:
            process.join()
        if not ok:
            raise value
        return value

    return result


def build_report(request: ReportRequest, embeddings: Callable[[], Embeddings] = RetrievalEmbeddings.load,
                 stopwatch: Optional[Stopwatch] = None) -> Dict[str, Any]:
    """The report of ``request`` as a JSON-ready dict (see the README, "Support analytics")."""
    with garbage_collection_paused():
        return _build_report(request, embeddings, stopwatch)


def _build_report(request: ReportRequest, embeddings: Callable[[], Embeddings],
                  stopwatch: Optional[Stopwatch]) -> Dict[str, Any]:
    clock = stopwatch or Stopwatch()
    period, channel = request.period, request.channel
    now = (request.now or datetime.now(timezone.utc)).astimezone(WIB)
    signals = read_signals(analytics_url(request.analytics_db_url), (period.since - LOOKBACK).timestamp(),
                           (period.until + LOOKAHEAD).timestamp(), request.workers)
    clock.lap("events")
    conversations = [c for c in build_conversations(signals)
                     if period.contains(to_datetime(c.started_at)) and (channel is None or c.channel == channel)]
    del signals
    messages = gap_messages(conversations)

    def group_gaps() -> GapList:
        return find_gaps(messages, embeddings(), request.gap_sample, top=TOP_GAP_GROUPS) if messages else no_gaps()

    # Embedding the gap sample is the slowest single step: with a second core it runs beside tickets and metrics.
    gaps_result = run_in_forked_child(group_gaps) if request.workers > 1 and messages else group_gaps
    clock.lap("conversations")
    database = connect(request.tickets_db_url)
    tickets = load_tickets(database, period.since, period.until, channel)
    ticket_times = load_ticket_times(database, period.since - LOOKBACK, period.until + SELF_SERVICE_WINDOW)
    warnings = load_agent_side_warnings(database, period.since, period.until, channel)
    database.reader.dispose()
    clock.lap("tickets")
    titles = {article.id: article.title for article in load_articles().values()}
    metrics = summarise(conversations, tickets, warnings, period, ticket_times, now, configured_hours(), titles)
    clock.lap("metrics")
    gaps = gaps_result()
    clock.lap("gaps (waiting for them)" if gaps_result is not group_gaps else "gaps")
    incidents = incidents_in_period(period, request.tickets_db_url)
    clock.lap("incidents")
    return {
        "schema": SCHEMA_VERSION,
        "period": {"since": period.since.astimezone(WIB).isoformat(), "until": period.until.astimezone(WIB).isoformat(),
                   "days": [row["day"] for row in metrics["by_day"]], "timezone": "WIB (UTC+07:00)"},
        "channel": channel,
        "generated_at": now.isoformat(),
        "operating_hours": agent_hours_text(),
        "metrics": metrics,
        "gaps": gap_section(gaps),
        "incidents": {"items": incidents},
    }

