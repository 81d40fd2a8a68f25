"""The retention purge across every store (``python -m bot.privacy purge``).

Each store is purged by age (:class:`bot.privacy.policy.RetentionPolicy`), in bounded batches of short
transactions, and reports what it deleted or rewrote. Running it again changes nothing (idempotent). Open
tickets are never touched. A store that does not exist is reported as skipped; the ticket database always
exists because the audit row of the purge is written there.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict

from bot.privacy import analytics, channel_state, incidents, tickets, tracker
from bot.privacy.batches import checkpoint, with_secure_delete
from bot.privacy.locations import Locations, on_store
from bot.privacy.policy import RetentionPolicy
from bot.tickets.database import Database

TICKETS_PER_BATCH = 200   # a ticket batch also rewrites its messages and outbox rows
Report = Dict[str, Dict[str, Any]]


def run_purge(locations: Locations, policy: RetentionPolicy, now: datetime, database: Database,
              dry_run: bool = False) -> Report:
    """Purge every store as of ``now`` (``database``: the ticket database, opened by the caller)."""
    cut = policy.cutoffs(now)
    batch, pause = policy.batch_size, policy.pause_seconds
    report: Report = {"tracker": on_store(
        locations.tracker_url, tracker.is_tracker_store, "tracker store",
        lambda engine: {"events_deleted": tracker.purge(engine, cut.tracker, batch, pause, dry_run)})}
    with_secure_delete(database)
    report["tickets"] = tickets.purge(database, cut.tickets, now, min(batch, TICKETS_PER_BATCH), pause, dry_run)
    report["incidents"] = incidents.purge(database, cut.incidents, batch, pause, dry_run)
    report["channel_state"] = channel_state.purge(database.writer, cut.channel_state, batch, pause, dry_run)
    checkpoint(database.writer)
    report["channel_state_file"] = on_store(
        f"sqlite:///{locations.channel_state_file}", channel_state.present_in_file, "channel state file",
        lambda engine: channel_state.purge(engine, cut.channel_state, batch, pause, dry_run))
    report["analytics"] = on_store(
        locations.analytics_url, analytics.is_analytics_store, "analytics store",
        lambda engine: {"events_scrubbed": analytics.purge(engine, cut.analytics_text, batch, pause, dry_run)})
    return report
