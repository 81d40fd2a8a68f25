"""Channel replay state and issued buttons: SQLite file by default, the shared ticket database with
``DATABASE_URL`` (what several workers and replicas need), on SQLite and PostgreSQL."""
from __future__ import annotations

import time
from typing import Iterator

import pytest

from bot.channels.common import SeenStore
from bot.channels.state import SqlChannelState, SqliteChannelState, open_channel_state
from bot.channels.telegram_buttons import ButtonStore
from nlu.payloads import button_payload
from tests.tickets.fixtures import database_url, postgres_server_url, postgres_url, sqlite_url  # noqa: F401

LONG_PAYLOAD = button_payload("choose_article", article_id="penarikan-kripto-tertunda-karena-jaringan-padat")


@pytest.fixture
def sql_state(database_url: str) -> Iterator[SqlChannelState]:
    state = SqlChannelState(database_url)
    yield state
    state.close()


@pytest.fixture
def shared_database(monkeypatch, postgres_url: str) -> str:
    """The production profile: DATABASE_URL set, no CHANNEL_STATE_DB / TICKETS_DB_URL."""
    monkeypatch.delenv("CHANNEL_STATE_DB", raising=False)
    monkeypatch.delenv("TICKETS_DB_URL", raising=False)
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    return postgres_url


def test_a_key_is_new_once_per_channel_until_forgotten_or_pruned(sql_state: SqlChannelState):
    now = time.time()
    assert sql_state.remember("telegram", "1:500", now)
    assert not sql_state.remember("telegram", "1:500", now + 1)
    assert sql_state.remember("whatsapp", "1:500", now)
    sql_state.forget("telegram", "1:500")
    assert sql_state.remember("telegram", "1:500", now + 2)
    sql_state.prune_seen(now + 1.5)          # drops the whatsapp key (older), keeps the renewed telegram one
    assert sql_state.remember("whatsapp", "1:500", now + 3)
    assert not sql_state.remember("telegram", "1:500", now + 3)


def test_buttons_are_per_chat_refreshed_and_expire(sql_state: SqlChannelState):
    now = time.time()
    sql_state.put_button("telegram", "9", "t:abc", "/affirm", now - 100)
    sql_state.put_button("telegram", "9", "t:abc", LONG_PAYLOAD, now)        # same id again: replaced
    assert sql_state.button("telegram", "9", "t:abc", since=now - 10) == LONG_PAYLOAD
    assert sql_state.button("telegram", "10", "t:abc", since=now - 10) is None
    assert sql_state.button("whatsapp", "9", "t:abc", since=now - 10) is None
    assert sql_state.button("telegram", "9", "t:abc", since=now + 1) is None   # expired
    sql_state.prune_buttons(now + 1)
    assert sql_state.button("telegram", "9", "t:abc", since=0) is None


def test_with_database_url_replicas_share_replay_state_and_buttons(shared_database: str):
    replica_a, replica_b = SeenStore(), SeenStore()
    assert isinstance(replica_a._state, SqlChannelState)
    assert replica_a.first_time("telegram", "777:1001")
    assert not replica_b.first_time("telegram", "777:1001")     # a redelivery to the other replica
    buttons_a, buttons_b = ButtonStore(), ButtonStore()
    data = buttons_a.issue(42, LONG_PAYLOAD)
    assert buttons_b.resolve(42, data) == LONG_PAYLOAD and buttons_b.resolve(43, data) is None


def test_channel_state_db_still_selects_a_sqlite_file(monkeypatch, tmp_path, postgres_url: str):
    monkeypatch.setenv("DATABASE_URL", postgres_url)
    monkeypatch.setenv("CHANNEL_STATE_DB", str(tmp_path / "channels.db"))
    assert isinstance(open_channel_state(), SqliteChannelState)
    monkeypatch.delenv("CHANNEL_STATE_DB")
    monkeypatch.delenv("DATABASE_URL")
    state = open_channel_state()
    assert isinstance(state, SqliteChannelState) and state.path.name == "channels.db"


def test_the_sqlite_file_is_opened_on_first_use_not_before_a_fork(tmp_path):
    path = tmp_path / "state" / "channels.db"
    state = SqliteChannelState(path)
    assert not path.exists()
    assert state.remember("telegram", "1", time.time())
    assert path.exists()
    state.close()
