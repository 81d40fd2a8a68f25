"""Rasa's tracker store (SQL ``events``: one row per tracker event of a conversation, keyed by ``sender_id``,
the Rasa sender id that is our customer id): purge by age, export and erase one customer.

Rasa reads a conversation from its latest ``session_started`` on, so deleting events older than the
retention only shortens long-gone sessions. The tracker cache of a running assistant (``bot.tracker_cache``)
re-reads a conversation whose newest row changed, so an erased conversation is gone for it too. One rare
case remains: a session that was going on exactly at the cutoff, still cached by a process running since,
may write its purged first events back when that customer returns; they carry their old timestamps, so the
next purge deletes them again. The table is Rasa's: it is only read and deleted from here.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.privacy.batches import delete_in_batches, has_table

metadata = sa.MetaData()
events = sa.Table(  # rasa.core.tracker_store.SQLTrackerStore.SQLEvent
    "events", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False),
    sa.Column("type_name", sa.String(255), nullable=False),
    sa.Column("timestamp", sa.Float),
    sa.Column("intent_name", sa.String(255)),
    sa.Column("action_name", sa.String(255)),
    sa.Column("data", sa.Text),
)
COLUMNS = ("id", "sender_id", "type_name", "timestamp", "data")


def is_tracker_store(engine: Engine) -> bool:
    """Whether the database holds Rasa's tracker ``events`` (not, e.g., the analytics table of that name)."""
    return has_table(engine, "events", COLUMNS)


def purge(engine: Engine, before: datetime, batch_size: int, pause: float = 0.0, dry_run: bool = False) -> int:
    """Delete every event stamped before ``before``; how many (would) go."""
    return delete_in_batches(engine, events, events.c.timestamp < before.timestamp(), batch_size, pause,
                             dry_run=dry_run)


def export(engine: Engine, customer_id: str) -> List[Dict[str, Any]]:
    """The customer's events, oldest first, each with its decoded event."""
    query = sa.select(events).where(events.c.sender_id == customer_id).order_by(events.c.id)
    with engine.connect() as connection:
        return [{"id": row["id"], "type_name": row["type_name"], "timestamp": row["timestamp"],
                 "intent_name": row["intent_name"], "action_name": row["action_name"],
                 "event": _decoded(row["data"])} for row in connection.execute(query).mappings()]


def erase(engine: Engine, customer_id: str, batch_size: int) -> int:
    """Delete the customer's conversation; how many events went."""
    return delete_in_batches(engine, events, events.c.sender_id == customer_id, batch_size)


def _decoded(data: Any) -> Any:
    try:
        return json.loads(data) if data else None
    except ValueError:
        return data
