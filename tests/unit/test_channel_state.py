"""Channel replay state and issued buttons: one SQLAlchemy store, in a SQLite file by default or in the
shared ticket database with ``DATABASE_URL`` (what several workers and replicas need), on SQLite and
PostgreSQL; a file of the old raw-sqlite3 code is upgraded by the migrations, keeping its rows."""
from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path
from typing import Iterator, List

import pytest
import sqlalchemy as sa

from bot.channels.common import SeenStore
from bot.channels.state import ChannelStateStore, file_url, open_channel_state
from bot.channels.telegram_buttons import ButtonStore
from bot.privacy import channel_state as privacy
from bot.privacy.batches import open_engine
from bot.tickets.database import create_engine_for
from bot.tickets.migrations import current_revision, head_revision
from nlu.payloads import button_payload

LONG_PAYLOAD = button_payload("choose_article", article_id="penarikan-kripto-tertunda-karena-jaringan-padat")
RACERS = 4

# The file exactly as the old raw-sqlite3 SqliteChannelState created it (before this store replaced it).
OLD_FILE_DDL = [
    "PRAGMA journal_mode=WAL",
    "CREATE TABLE IF NOT EXISTS seen (channel TEXT NOT NULL, key TEXT NOT NULL, "
    "at REAL NOT NULL, PRIMARY KEY (channel, key))",
    "CREATE TABLE IF NOT EXISTS issued_buttons (channel TEXT NOT NULL, "
    "chat TEXT NOT NULL, button_id TEXT NOT NULL, payload TEXT NOT NULL, "
    "at REAL NOT NULL, PRIMARY KEY (channel, chat, button_id))",
]


@pytest.fixture
def state(database_url: str) -> Iterator[ChannelStateStore]:
    store = ChannelStateStore(database_url)
    yield store
    store.close()


@pytest.fixture
def shared_database(monkeypatch, postgres_url: str) -> str:
    """The production profile: DATABASE_URL set, no CHANNEL_STATE_DB / TICKETS_DB_URL."""
    monkeypatch.delenv("CHANNEL_STATE_DB", raising=False)
    monkeypatch.delenv("TICKETS_DB_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    return postgres_url


def old_file(path: Path, now: float) -> None:
    """A channel state file written by the old code: two replay keys and two buttons."""
    connection = sqlite3.connect(str(path), isolation_level=None)
    try:
        for statement in OLD_FILE_DDL:
            connection.execute(statement)
        connection.executemany("INSERT OR IGNORE INTO seen (channel, key, at) VALUES (?, ?, ?)",
                               [("telegram", "777:1001", now), ("whatsapp", "wamid.A", now - 10)])
        connection.executemany("INSERT OR REPLACE INTO issued_buttons (channel, chat, button_id, payload, at) "
                               "VALUES (?, ?, ?, ?, ?)", [("telegram", "2002", "t:abc", LONG_PAYLOAD, now),
                                                          ("whatsapp", "6281234500000", "w:1", "/affirm", now)])
    finally:
        connection.close()


def table_names(path: Path) -> List[str]:
    connection = sqlite3.connect(str(path))
    try:
        return [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    finally:
        connection.close()


def revision_in(path: Path) -> str:
    engine = create_engine_for(file_url(path))
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    finally:
        engine.dispose()


def test_a_key_is_new_once_per_channel_until_forgotten_or_pruned(state: ChannelStateStore):
    now = time.time()
    assert state.remember("telegram", "1:500", now)
    assert not state.remember("telegram", "1:500", now + 1)
    assert state.remember("whatsapp", "1:500", now)
    state.forget("telegram", "1:500")
    assert state.remember("telegram", "1:500", now + 2)
    state.prune_seen(now + 1.5)          # drops the whatsapp key (older), keeps the renewed telegram one
    assert state.remember("whatsapp", "1:500", now + 3)
    assert not state.remember("telegram", "1:500", now + 3)


def test_buttons_are_per_chat_refreshed_and_expire(state: ChannelStateStore):
    now = time.time()
    state.put_button("telegram", "9", "t:abc", "/affirm", now - 100)
    state.put_button("telegram", "9", "t:abc", LONG_PAYLOAD, now)        # same id again: replaced
    assert state.button("telegram", "9", "t:abc", since=now - 10) == LONG_PAYLOAD
    assert state.button("telegram", "10", "t:abc", since=now - 10) is None
    assert state.button("whatsapp", "9", "t:abc", since=now - 10) is None
    assert state.button("telegram", "9", "t:abc", since=now + 1) is None   # expired
    state.prune_buttons(now + 1)
    assert state.button("telegram", "9", "t:abc", since=0) is None


def _race(state: ChannelStateStore, start: "multiprocessing.synchronize.Barrier",
          results: "multiprocessing.Queue") -> None:
    """A forked worker: the parent's store (its engine inherited), the same key at the same moment."""
    start.wait(timeout=60)
    results.put(state.remember("telegram", "777:race", time.time()))
    state.close()


def test_forked_workers_racing_on_one_key_record_it_once(state: ChannelStateStore):
    assert state.remember("telegram", "777:before-fork", time.time())   # the parent holds open connections
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(RACERS), context.Queue()
    workers = [context.Process(target=_race, args=(state, start, results)) for _ in range(RACERS)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=60) for _ in workers]
    for worker in workers:
        worker.join(timeout=60)
    assert sorted(outcomes) == [False] * (RACERS - 1) + [True]
    assert [worker.exitcode for worker in workers] == [0] * RACERS
    assert not state.remember("telegram", "777:race", time.time())       # the parent still works, and sees it


def test_with_database_url_replicas_share_replay_state_and_buttons(shared_database: str):
    replica_a, replica_b = SeenStore(), SeenStore()
    assert replica_a._state.url is None     # the ticket database
    assert replica_a.first_time("telegram", "777:1001")
    assert not replica_b.first_time("telegram", "777:1001")     # a redelivery to the other replica
    buttons_a, buttons_b = ButtonStore(), ButtonStore()
    data = buttons_a.issue(42, LONG_PAYLOAD)
    assert buttons_b.resolve(42, data) == LONG_PAYLOAD and buttons_b.resolve(43, data) is None


def test_channel_state_db_still_selects_a_sqlite_file(monkeypatch, tmp_path, postgres_url: str):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("CHANNEL_STATE_DB", str(tmp_path / "channels.db"))
    assert open_channel_state().url == file_url(tmp_path / "channels.db")
    monkeypatch.delenv("CHANNEL_STATE_DB")
    monkeypatch.delenv("DATABASE_URL")
    assert open_channel_state().url.endswith("/var/channels.db")


def test_the_sqlite_file_is_opened_on_first_use_not_before_a_fork(tmp_path):
    path = tmp_path / "state" / "channels.db"
    state = ChannelStateStore.in_file(path)
    assert not path.exists()
    assert state.remember("telegram", "1", time.time())
    assert path.exists() and revision_in(path) == head_revision()   # created by the migrations
    state.close()


def test_a_file_of_the_old_code_is_upgraded_keeping_its_keys_and_buttons(tmp_path):
    path, now = tmp_path / "channels.db", time.time()
    old_file(path, now)
    state = open_channel_state(path)
    try:
        assert not state.remember("telegram", "777:1001", now)            # still known: no second reply
        assert not state.remember("whatsapp", "wamid.A", now)
        assert state.remember("telegram", "777:1002", now)
        assert state.button("telegram", "2002", "t:abc", since=now - 1) == LONG_PAYLOAD
        assert state.button("whatsapp", "6281234500000", "w:1", since=now - 1) == "/affirm"
    finally:
        state.close()
    assert revision_in(path) == head_revision()
    assert {"channel_seen", "channel_buttons"} <= set(table_names(path))
    assert not {"seen", "issued_buttons"} & set(table_names(path))         # nothing left where purges don't look


def test_privacy_upgrades_a_file_of_the_old_code_before_exporting_its_buttons(tmp_path):
    path, now = tmp_path / "channels.db", time.time()
    old_file(path, now)
    engine = open_engine(file_url(path))
    try:
        assert privacy.present_in_file(engine)
        assert [row["button_id"] for row in privacy.export(engine, "tg-2002")] == ["t:abc"]
        assert privacy.erase(engine, "tg-2002", batch_size=10) == 1
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM channel_seen")).scalar_one() == 2
    finally:
        engine.dispose()


def test_privacy_skips_a_file_that_holds_no_channel_state(tmp_path):
    path = tmp_path / "other.db"
    sqlite3.connect(str(path)).close()
    engine = open_engine(file_url(path))
    try:
        assert not privacy.present_in_file(engine)
    finally:
        engine.dispose()
    assert table_names(path) == []                                           # not migrated into a store
