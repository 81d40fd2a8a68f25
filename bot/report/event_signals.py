"""Read the analytics event store fast: only the events that carry a signal are decoded.

A week of a busy assistant is millions of events, most of them irrelevant here (``action``,
``user_featurization``, the report form's bookkeeping slots, ordinary replies). Each stored row is first
looked at as text: its kind (``"event": "..."``) and, for slots, its name (the top-level keys are the only
ones with these names in Rasa's events); a ``bot`` row is decoded only when its first characters contain a
fragment of one of the replies that matter (:func:`bot.analytics.conversations.reply_needles`). Decoding and
classification are then exactly :func:`bot.analytics.conversations.signal_of`. (Letting the database drop
rows with SQL string functions was measured slower than these checks.)

The rows are read in id order (the order the broker stored them), split into id ranges read by worker
processes in parallel. The id range of a period is found by bisection on the timestamps, which follow the
store order up to small skews between Rasa workers (covered by a margin).
"""
from __future__ import annotations

import gc
import multiprocessing
import re
from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple

import sqlalchemy as sa
import ujson

from bot.analytics.conversations import RELEVANT_SLOTS, Signal, reply_needles, signal_of
from bot.analytics.events import events as events_table
from bot.analytics.events import open_engine

BATCH_ROWS = 20_000
ORDER_SKEW_SECONDS = 3600.0  # how far out of time order a stored event may be
_NEEDLES = reply_needles()
NEEDLE_WINDOW = 2000  # relevant replies are short: their fragment appears within the row's first characters
_ALWAYS_DECODED = ("user", "session_started")


# Where a row's kind and slot name are found without decoding it: first as Rasa's brokers write them
# (``"event": "bot"``; such a fragment cannot occur inside a JSON string, whose quotes are all escaped),
# else with any spacing (the top-level keys are the only ones with these names in Rasa's events).
_EVENT_KEY, _NAME_KEY = '"event": "', '"name": "'
_EVENT_ANY, _NAME_ANY = re.compile(r'"event"\s*:\s*"(\w+)"'), re.compile(r'"name"\s*:\s*"(\w+)"')


@contextmanager
def garbage_collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: building millions of small objects (which form no cycles)
    otherwise triggers it constantly and costs more than the work itself."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _any_spacing(data: str, pattern: "re.Pattern[str]") -> Optional[str]:
    match = pattern.search(data)
    return match.group(1) if match else None


def row_signal(data: str, since: float, until: float) -> Optional[Signal]:
    """The signal of one stored row when it has one and its timestamp is in ``[since, until)``.

    Called for every stored row, so the common case is kept to a few string searches."""
    at = data.find(_EVENT_KEY)
    if at >= 0:
        at += len(_EVENT_KEY)
        kind: Optional[str] = data[at:data.find('"', at)]
    else:
        kind = _any_spacing(data, _EVENT_ANY)
    if kind == "slot":
        at = data.find(_NAME_KEY)
        if at >= 0:
            at += len(_NAME_KEY)
            name: Optional[str] = data[at:data.find('"', at)]
        else:
            name = _any_spacing(data, _NAME_ANY)
        if name not in RELEVANT_SLOTS:
            return None
    elif kind == "bot":
        for needle in _NEEDLES:
            if data.find(needle, 0, NEEDLE_WINDOW) >= 0:
                break
        else:
            return None
    elif kind not in _ALWAYS_DECODED:
        return None
    event = ujson.loads(data)
    at_time = float(event.get("timestamp") or 0.0)
    return signal_of(event) if since <= at_time < until else None


def _timestamp_at_or_after(connection: sa.engine.Connection, row_id: int) -> Tuple[Optional[int], float]:
    row = connection.execute(sa.select(events_table.c.id, events_table.c.data).where(events_table.c.id >= row_id)
                             .order_by(events_table.c.id).limit(1)).first()
    if row is None:
        return None, float("inf")
    return int(row[0]), float(ujson.loads(row[1]).get("timestamp") or 0.0)


def first_id_from(engine: sa.engine.Engine, at: float) -> int:
    """The smallest stored id whose event is at ``at`` or later, assuming store order follows time."""
    with engine.connect() as connection:
        low, high = connection.execute(sa.select(sa.func.min(events_table.c.id), sa.func.max(events_table.c.id))).one()
        if low is None:
            return 1
        high += 1
        while low < high:
            middle = (low + high) // 2
            found, stamp = _timestamp_at_or_after(connection, middle)
            if found is None or stamp >= at:
                high = middle
            else:
                low = (found or middle) + 1
        return low


def _placeholder(engine: sa.engine.Engine) -> str:
    return "?" if engine.dialect.paramstyle == "qmark" else "%s"


def read_range(task: Tuple[str, int, int, float, float]) -> List[Signal]:
    """Signals of the rows with ``first <= id < end`` and a timestamp in ``[since, until)``; ``task`` is
    ``(url, first, end, since, until)``.

    Rows go through a plain DB-API cursor: at millions of rows, SQLAlchemy's row objects alone would cost
    more than everything else here."""
    with garbage_collection_paused():
        return _read_range(task)


def _read_range(task: Tuple[str, int, int, float, float]) -> List[Signal]:
    url, first, end, since, until = task
    engine = open_engine(url)
    mark = _placeholder(engine)
    query = f"SELECT data FROM events WHERE id >= {mark} AND id < {mark} ORDER BY id"
    signals: List[Signal] = []
    connection = engine.raw_connection()
    try:
        for low in range(first, end, BATCH_ROWS):
            cursor = connection.cursor()
            cursor.execute(query, (low, min(end, low + BATCH_ROWS)))
            for (data,) in cursor.fetchall():
                signal = row_signal(data, since, until)
                if signal is not None:
                    signals.append(signal)
            cursor.close()
    finally:
        connection.close()
        engine.dispose()
    return signals


def read_signals(url: str, since: float, until: float, workers: int = 2) -> List[Signal]:
    """Every signal with a timestamp in ``[since, until)``, in store order (``workers`` processes)."""
    engine = open_engine(url)
    try:
        first = first_id_from(engine, since - ORDER_SKEW_SECONDS)
        end = first_id_from(engine, until + ORDER_SKEW_SECONDS)
    finally:
        engine.dispose()
    if end <= first:
        return []
    parts = max(1, min(workers, (end - first) // BATCH_ROWS))
    bounds = [first + (end - first) * index // parts for index in range(parts + 1)]
    tasks = [(url, bounds[index], bounds[index + 1], since, until) for index in range(parts)]
    if parts == 1:
        return read_range(tasks[0])
    with multiprocessing.get_context("fork").Pool(parts) as pool, garbage_collection_paused():
        chunks = pool.map(read_range, tasks)
        return [signal for chunk in chunks for signal in chunk]
