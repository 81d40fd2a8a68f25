"""Incidents (:mod:`bot.incidents`): what customers wrote about a topic (observations, with their sender id
and words), which conversations saw a notice, and the example messages kept in a spike's details.

The incidents themselves (topic, times, count, the notice text an operator wrote) are what the report
shows and stay. Observations and notice views go by age and with the customer; a spike's examples (words
of customers, no sender) go by age.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List

import sqlalchemy as sa

from bot.incidents.model import SPIKE
from bot.privacy.batches import delete_in_batches
from bot.tickets.database import Database
from bot.tickets.schema import incident_observations, incident_views, incidents


def purge(database: Database, before: datetime, batch_size: int, pause: float = 0.0,
          dry_run: bool = False) -> Dict[str, int]:
    """Delete observations and notice views from before ``before``; clear the examples of spikes opened then."""
    engine = database.writer
    counts = {
        "observations_deleted": delete_in_batches(engine, incident_observations, incident_observations.c.at < before,
                                                  batch_size, pause, dry_run=dry_run),
        "notice_views_deleted": delete_in_batches(engine, incident_views, incident_views.c.shown_at < before,
                                                  batch_size, pause, ("incident_id", "sender_id"), dry_run),
    }
    with (database.reader.connect() if dry_run else database.writer.begin()) as connection:
        spikes = connection.execute(sa.select(incidents.c.id, incidents.c.details).where(
            incidents.c.kind == SPIKE, incidents.c.opened_at < before)).all()
        cleared = [(incident_id, details) for incident_id, details in spikes if (details or {}).get("examples")]
        if not dry_run:
            for incident_id, details in cleared:
                connection.execute(sa.update(incidents).where(incidents.c.id == incident_id)
                                   .values(details={**details, "examples": []}))
    counts["spike_examples_cleared"] = len(cleared)
    return counts


def export(database: Database, customer_id: str) -> Dict[str, List[Dict[str, Any]]]:
    """The customer's observations and the notices they were shown."""
    with database.reader.connect() as connection:
        observations = connection.execute(sa.select(incident_observations).where(
            incident_observations.c.sender_id == customer_id).order_by(incident_observations.c.id)).mappings().all()
        views = connection.execute(sa.select(incident_views).where(
            incident_views.c.sender_id == customer_id).order_by(incident_views.c.shown_at)).mappings().all()
    return {"observations": [dict(row) for row in observations], "notice_views": [dict(row) for row in views]}


def erase(database: Database, customer_id: str, batch_size: int) -> Dict[str, int]:
    """Delete the customer's observations and notice views (the incidents' counts stay)."""
    engine = database.writer
    return {
        "observations_deleted": delete_in_batches(engine, incident_observations,
                                                  incident_observations.c.sender_id == customer_id, batch_size),
        "notice_views_deleted": delete_in_batches(engine, incident_views, incident_views.c.sender_id == customer_id,
                                                  batch_size, key_columns=("incident_id", "sender_id")),
    }
