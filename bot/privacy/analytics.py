"""The analytics event store (``events``: ``id``, ``sender_id``, ``data`` JSON): every tracker event the event
broker published, read by ``python -m bot.report``.

The report builds conversations from these rows, so rows are never deleted: the retention purge rewrites
old events without their free text (:func:`bot.privacy.scrub.scrub_event`), and erasure does the same for
one customer at any age and also replaces their sender id (in the column and in the event) with a
pseudonym. The unique ``digest`` of the original event is kept, so a redelivered copy is still recognised.
"""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

import sqlalchemy as sa
import ujson
from sqlalchemy.engine import Engine

from bot.analytics.events import events
from bot.privacy.batches import between_batches, has_table
from bot.privacy.scrub import SCRUBBED_MARK, scrub_event
from bot.report.event_signals import ORDER_SKEW_SECONDS, first_id_from

_MARK_TEXT = f'"{SCRUBBED_MARK}": true'


def is_analytics_store(engine: Engine) -> bool:
    """Whether the database holds the analytics ``events`` (not Rasa's tracker table of the same name)."""
    if not has_table(engine, "events", ("id", "sender_id", "data")):
        return False
    return not has_table(engine, "events", ("type_name",))


def _decoded(data: Optional[str]) -> Optional[Dict[str, Any]]:
    try:
        event = ujson.loads(data) if data else None
    except ValueError:
        return None
    return event if isinstance(event, dict) else None


def _encoded(event: Dict[str, Any]) -> str:
    return json.dumps(event, ensure_ascii=False)


def _rewrite(engine: Engine, rows: Sequence[Tuple[int, str, Optional[str]]]) -> int:
    """Store new ``(id, data, sender_id)`` values (sender None: unchanged) in one transaction."""
    if not rows:
        return 0
    with engine.begin() as connection:
        for row_id, data, sender in rows:
            values: Dict[str, Any] = {"data": data}
            if sender is not None:
                values["sender_id"] = sender
            connection.execute(sa.update(events).where(events.c.id == row_id).values(**values))
    return len(rows)


def purge(engine: Engine, before: datetime, batch_size: int, pause: float = 0.0, dry_run: bool = False) -> int:
    """Scrub every event stamped before ``before`` that still holds its text; how many (would) change.

    Rows are read in id order, which follows time up to the broker's small skews
    (:data:`bot.report.event_signals.ORDER_SKEW_SECONDS`), so the scan stops past the first row stamped
    that long after ``before``."""
    end = first_id_from(engine, before.timestamp() + ORDER_SKEW_SECONDS)
    limit, last_id, changed = before.timestamp(), 0, 0
    while True:
        with engine.connect() as connection:
            batch = connection.execute(sa.select(events.c.id, events.c.data)
                                       .where(events.c.id > last_id, events.c.id < end)
                                       .order_by(events.c.id).limit(batch_size)).all()
        if not batch:
            return changed
        last_id = batch[-1][0]
        rewritten: List[Tuple[int, str, Optional[str]]] = []
        for row_id, data in batch:
            if not data or _MARK_TEXT in data:
                continue
            event = _decoded(data)
            if event is None or float(event.get("timestamp") or 0.0) >= limit:
                continue
            scrubbed = scrub_event(event)
            if {key: value for key, value in scrubbed.items() if key != SCRUBBED_MARK} != event:
                rewritten.append((row_id, _encoded(scrubbed), None))   # events without personal data stay as they are
        changed += len(rewritten) if dry_run else _rewrite(engine, rewritten)
        if rewritten and not dry_run:
            between_batches(engine, pause)


def export(engine: Engine, customer_id: str) -> List[Dict[str, Any]]:
    """The customer's stored events, in stored order."""
    query = sa.select(events.c.id, events.c.data).where(events.c.sender_id == customer_id).order_by(events.c.id)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    return [{"id": row_id, "event": _decoded(data) or data} for row_id, data in rows]


def erase(engine: Engine, customer_id: str, pseudonym: str, batch_size: int) -> int:
    """Scrub every event of the customer and give it ``pseudonym`` as sender; how many rows changed."""
    changed = 0
    while True:
        with engine.connect() as connection:
            batch = connection.execute(sa.select(events.c.id, events.c.data)
                                       .where(events.c.sender_id == customer_id)
                                       .order_by(events.c.id).limit(batch_size)).all()
        rewritten = []
        for row_id, data in batch:
            event = _decoded(data)
            new_data = _encoded(scrub_event(event, sender_id=pseudonym)) if event is not None else ""
            rewritten.append((row_id, new_data, pseudonym))
        changed += _rewrite(engine, rewritten)
        if len(batch) < batch_size:
            return changed
