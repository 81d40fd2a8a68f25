"""The caching SQL tracker store stores and returns exactly what Rasa's own SQL tracker store does, reads the
conversation once, sees what another replica wrote, and publishes each event to the broker once."""
from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any, Dict, List

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.tracker_store import SQLTrackerStore, TrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, SlotSet, UserUttered
from rasa.utils.endpoints import EndpointConfig

from bot.endpoints import sqlite_tracker_store
from bot.tracker_cache import CachingSQLTrackerStore

DOMAIN = Domain.from_dict({"intents": ["greet", "ask_knowledge"], "slots": {
    "coin": {"type": "text", "influence_conversation": False, "mappings": [{"type": "custom"}]}}})


class RecordingBroker(EventBroker):
    """An event broker that keeps what was published, in order."""

    def __init__(self) -> None:
        self.published: List[Dict[str, Any]] = []

    def publish(self, event: Dict[str, Any]) -> None:
        self.published.append(event)


def turn(tracker: Any, text: str, at: float) -> None:
    """One customer message, the bot's reply and a slot, as Rasa appends them."""
    tracker.update(UserUttered(text, {"name": "ask_knowledge", "confidence": 0.9}, timestamp=at))
    tracker.update(SlotSet("coin", "BTC", timestamp=at + 0.1))
    tracker.update(BotUttered(f"jawaban untuk {text}", timestamp=at + 0.2))
    tracker.update(ActionExecuted("action_listen", timestamp=at + 0.3))


def caching_store(path: Path, broker: Any = None) -> CachingSQLTrackerStore:
    return CachingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(path), event_broker=broker)


def count_statements(store: SQLTrackerStore) -> List[str]:
    """Every SQL statement the store's engine runs from now on."""
    statements: List[str] = []
    sa.event.listen(store.engine, "before_cursor_execute",
                    lambda conn, cursor, statement, *rest: statements.append(statement))
    return statements


def stored_rows(path: Path) -> List[tuple]:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT sender_id, type_name, intent_name, action_name, data FROM events "
                                          "ORDER BY id")).all()
    engine.dispose()
    return [tuple(row) for row in rows]


async def run_conversation(store: TrackerStore) -> None:
    """A new conversation, three turns saved one by one (each from a freshly retrieved tracker), then a new
    session in the same conversation and one more turn."""
    tracker = store.init_tracker("tg-1")
    tracker.update(ActionExecuted("action_listen", timestamp=0.5))
    await store.save(tracker)
    tracker.update(ActionExecuted("action_session_start", timestamp=1.0))
    tracker.update(SessionStarted(timestamp=1.1))
    tracker.update(ActionExecuted("action_listen", timestamp=1.2))
    await store.save(tracker)
    for index in range(3):
        tracker = await store.retrieve("tg-1")
        turn(tracker, f"pesan {index}", 10.0 + index)
        await store.save(tracker)
    tracker = await store.retrieve("tg-1")
    tracker.update(ActionExecuted("action_session_start", timestamp=100.0))
    tracker.update(SessionStarted(timestamp=100.1))
    tracker.update(ActionExecuted("action_listen", timestamp=100.2))
    turn(tracker, "sesi baru", 101.0)
    await store.save(tracker)
    tracker = await store.retrieve("tg-1")
    turn(tracker, "lagi", 102.0)
    await store.save(tracker)


async def test_stores_and_publishes_exactly_what_rasas_sql_tracker_store_does(tmp_path: Path):
    rasa_broker, cached_broker = RecordingBroker(), RecordingBroker()
    rasa_store = SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"),
                                 event_broker=rasa_broker)
    cached = caching_store(tmp_path / "cached.db", cached_broker)
    await run_conversation(rasa_store)
    await run_conversation(cached)
    assert stored_rows(tmp_path / "cached.db") == stored_rows(tmp_path / "rasa.db")
    assert len(stored_rows(tmp_path / "cached.db")) == 4 + 3 * 4 + 7 + 4
    assert cached_broker.published == rasa_broker.published
    rasa_tracker, cached_tracker = await rasa_store.retrieve("tg-1"), await cached.retrieve("tg-1")
    assert [e.as_dict() for e in cached_tracker.events] == [e.as_dict() for e in rasa_tracker.events]
    assert cached_tracker.get_slot("coin") == "BTC" and cached_tracker.latest_message.text == "lagi"


async def test_a_turn_reads_the_conversation_once_and_checks_it_with_one_indexed_query(tmp_path: Path):
    store = caching_store(tmp_path / "t.db", RecordingBroker())
    await run_conversation(store)
    statements = count_statements(store)
    tracker = await store.retrieve("tg-1")
    turn(tracker, "satu lagi", 200.0)
    await store.save(tracker)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert len(selects) == 2 and all("max(events.id)" in s for s in selects), selects
    assert sum(s.lstrip().upper().startswith("INSERT") for s in statements) >= 1


async def test_a_new_conversation_and_a_new_session_are_never_read_back_from_the_database(tmp_path: Path):
    store = caching_store(tmp_path / "t.db", RecordingBroker())
    statements = count_statements(store)
    await run_conversation(store)
    selects = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    assert selects and all("max(events.id)" in s for s in selects), selects


async def test_rows_written_by_another_replica_are_read_not_served_from_the_cache(tmp_path: Path):
    path = tmp_path / "shared.db"
    first, second = caching_store(path, RecordingBroker()), caching_store(path, RecordingBroker())
    await run_conversation(first)
    tracker = await second.retrieve("tg-1")        # the other replica takes the next message
    turn(tracker, "dari replika dua", 300.0)
    await second.save(tracker)
    tracker = await first.retrieve("tg-1")
    assert tracker.latest_message.text == "dari replika dua"
    turn(tracker, "kembali ke replika satu", 301.0)
    await first.save(tracker)
    texts = [row[4] for row in stored_rows(path) if row[1] == "user"]
    assert sum("dari replika dua" in text for text in texts) == 1
    assert sum("kembali ke replika satu" in text for text in texts) == 1


async def test_a_save_racing_another_workers_commit_waits_for_it_instead_of_failing(tmp_path: Path):
    """Two Sanic workers on one SQLite file: worker two commits between worker one's check of the
    conversation and its insert. With write-ahead logging a read-then-write transaction would fail at once
    ("database is locked"); both saves must land."""
    path = tmp_path / "shared.db"
    first, second = caching_store(path, RecordingBroker()), caching_store(path, RecordingBroker())
    other = second.init_tracker("wa-2")
    turn(other, "dari worker dua", 2.0)
    second_done = threading.Event()

    def second_worker_saves() -> None:
        asyncio.run(second.save(other))
        second_done.set()

    worker = threading.Thread(target=second_worker_saves)
    checked = first._last_id

    def check_then_let_the_other_worker_commit(session: Any, sender_id: str) -> Any:
        last_id = checked(session, sender_id)
        if not worker.is_alive() and not second_done.is_set():
            worker.start()
            second_done.wait(timeout=0.5)   # without the write lock held here, worker two commits now
        return last_id

    first._last_id = check_then_let_the_other_worker_commit
    tracker = first.init_tracker("tg-1")
    turn(tracker, "dari worker satu", 1.0)
    await first.save(tracker)
    worker.join(timeout=60)
    assert second_done.is_set()
    senders = {row[0] for row in stored_rows(path) if row[1] == "user"}
    assert senders == {"tg-1", "wa-2"}


async def test_each_new_event_reaches_the_broker_once(tmp_path: Path):
    broker = RecordingBroker()
    store = caching_store(tmp_path / "t.db", broker)
    await run_conversation(store)
    keys = [(event["event"], event["timestamp"]) for event in broker.published]
    assert len(keys) == len(set(keys)) == len(stored_rows(tmp_path / "t.db"))
    assert all(event["sender_id"] == "tg-1" for event in broker.published)


async def stale_save(store: TrackerStore) -> None:
    """Two trackers of one conversation retrieved before either is saved (the lock store prevents this in
    a running assistant), saved one after the other."""
    await run_conversation(store)
    stale = await store.retrieve("tg-1")
    fresh = await store.retrieve("tg-1")
    turn(fresh, "baru", 400.0)
    await store.save(fresh)
    turn(stale, "lama", 401.0)
    await store.save(stale)


async def test_a_tracker_that_does_not_continue_the_cached_rows_is_saved_as_rasa_saves_it(tmp_path: Path):
    await stale_save(SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db")))
    await stale_save(caching_store(tmp_path / "cached.db"))
    assert stored_rows(tmp_path / "cached.db") == stored_rows(tmp_path / "rasa.db")


async def test_the_least_recently_used_conversations_leave_the_cache(tmp_path: Path):
    store = CachingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "t.db"),
                                   cached_conversations=2)
    for sender in ("a", "b", "c"):
        tracker = store.init_tracker(sender)
        turn(tracker, sender, 1.0)
        await store.save(tracker)
        await store.retrieve(sender)
    assert list(store._sessions) == ["b", "c"]
    assert (await store.retrieve("a")).latest_message.text == "a"


def test_the_endpoints_select_this_store(tmp_path: Path):
    config = EndpointConfig.from_dict(sqlite_tracker_store(tmp_path / "t.db"))
    assert type(TrackerStore.create(config, DOMAIN)) is CachingSQLTrackerStore


async def test_the_sql_event_broker_gets_a_turns_events_in_one_transaction_in_order(tmp_path: Path):
    from bot.analytics.broker import SQLEventBroker

    broker = SQLEventBroker(dialect="sqlite", db=str(tmp_path / "analytics.db"))
    reference = RecordingBroker()
    await run_conversation(SQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "rasa.db"),
                                           event_broker=reference))
    store = caching_store(tmp_path / "t.db", broker)
    await run_conversation(store)
    commits = count_statements(broker)
    sa.event.listen(broker.engine, "commit", lambda connection: commits.append("COMMIT"))
    tracker = await store.retrieve("tg-1")
    turn(tracker, "satu lagi", 500.0)
    await store.save(tracker)
    assert commits.count("COMMIT") == 1 and sum(s.startswith("INSERT") for s in commits) >= 1
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    with engine.connect() as connection:
        published = [json.loads(row[0]) for row in connection.execute(sa.text("SELECT data FROM events ORDER BY id"))]
    engine.dispose()
    assert published[:len(reference.published)] == reference.published
    assert [event.get("text") for event in published[len(reference.published):]][0] == "satu lagi"
