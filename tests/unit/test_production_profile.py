"""The production profile's settings: the endpoints file Rasa reads (tracker store, lock store, event
broker), the number of Sanic workers Rasa accepts, and the tracker's ``events.sender_id`` index."""
from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa

from bot.endpoints import (
    TRACKER_STORE_CLASS,
    effective_workers,
    endpoints,
    pika_event_broker,
    redis_lock_store,
    requested_workers,
    sql_tracker_store,
)
from bot.servers import ServerConfig, write_endpoints
from bot.tracker_db import ensure_sender_index, has_sender_index

PG = "postgresql://kripto:p%40ss%3Aw0rd@db.internal:6543/kripto?sslmode=require"


def test_without_settings_the_embedded_default_is_kept(tmp_path: Path):
    config = endpoints("http://127.0.0.1:5055/webhook", tmp_path / "tracker.db")
    assert config == {"action_endpoint": {"url": "http://127.0.0.1:5055/webhook"},
                      "tracker_store": {"type": TRACKER_STORE_CLASS, "dialect": "sqlite",
                                        "db": str(tmp_path / "tracker.db")}}


def test_database_url_becomes_rasas_postgresql_tracker_store():
    assert sql_tracker_store(PG) == {"type": TRACKER_STORE_CLASS, "dialect": "postgresql", "url": "db.internal",
                                     "port": 6543, "db": "kripto", "username": "kripto", "password": "p@ss:w0rd",
                                     "query": {"sslmode": "require"}}
    assert sql_tracker_store("postgres://postgres@127.0.0.1/kripto")["port"] == 5432   # Heroku-style scheme
    with pytest.raises(ValueError):
        sql_tracker_store("mysql://root@127.0.0.1/kripto")


def test_redis_url_becomes_the_atomic_fallback_redis_lock_store():
    from bot.lock_store import redis_settings

    url = "redis://:s%40cret@cache:6380/3"
    assert redis_lock_store(url) == {"type": "bot.lock_store.FallbackRedisLockStore", "url": url,
                                     "key_prefix": "kriptocs"}
    assert redis_settings(None, url=url) == {"host": "cache", "port": 6380, "db": 3, "password": "s@cret",
                                             "use_ssl": False, "socket_timeout": 2.0}
    assert redis_settings(None, url="rediss://cache")["use_ssl"] is True
    for wrong in ("http://cache:6379", "redis://cache/zero"):
        with pytest.raises(ValueError):
            redis_lock_store(wrong)


def test_rabbitmq_url_is_rebuilt_by_rasa_with_its_credentials_and_vhost():
    from rasa.core.brokers.pika import PikaEventBroker

    config = pika_event_broker("amqp://cs:p%40ss@mq.internal:5673/kripto", "kripto_events")
    assert config["queues"] == ["kripto_events"] and config["url"] == "amqp://mq.internal:5673/kripto"
    loop = asyncio.new_event_loop()
    try:
        broker = PikaEventBroker(config["url"], config["username"], config["password"], port=config["port"],
                                 queues=config["queues"], event_loop=loop)
        assert broker._configure_url() == "amqp://cs:p%40ss@mq.internal:5673/kripto"
    finally:
        loop.close()
    assert pika_event_broker("amqp://127.0.0.1")["url"] == "amqp://127.0.0.1:5672"


def test_several_workers_need_redis(monkeypatch, caplog):
    assert effective_workers(2, "redis://127.0.0.1:6379/0") == 2
    assert effective_workers(2, "") == 1 and "need REDIS_URL" in caplog.text
    monkeypatch.setenv("RASA_WORKERS", "three")
    with pytest.raises(ValueError):
        requested_workers()
    monkeypatch.setenv("RASA_WORKERS", "0")
    assert requested_workers() == 1


def test_server_config_follows_database_url_unless_tickets_db_url_overrides(monkeypatch):
    monkeypatch.delenv("TICKETS_DB_URL", raising=False)
    config = ServerConfig(database_url=PG, redis_url="redis://127.0.0.1:6379/0", workers=2)
    assert config.tickets_db_url == PG and config.workers == 2
    assert config.profile_env() == {"DATABASE_URL": PG, "SANIC_WORKERS": "2"}
    assert ServerConfig(database_url=PG, tickets_db_url="sqlite:///t.db").tickets_db_url == "sqlite:///t.db"
    embedded = ServerConfig(database_url="", redis_url="", workers=4)
    assert embedded.workers == 1 and embedded.tickets_db_url.startswith("sqlite:///")
    assert embedded.profile_env() == {"DATABASE_URL": "", "SANIC_WORKERS": "1"}


def test_rasa_reads_the_written_endpoints_and_allows_two_workers_only_with_redis(tmp_path, monkeypatch,
                                                                                  postgres_url):
    from rasa.core.lock_store import LockStore, RedisLockStore
    from rasa.core.utils import AvailableEndpoints, number_of_sanic_workers

    from bot.lock_store import FallbackRedisLockStore

    monkeypatch.setenv("SANIC_WORKERS", "2")
    production = ServerConfig(log_dir=tmp_path, rasa_port=16390, database_url=postgres_url,
                              redis_url="redis://127.0.0.1:6379/5", rabbitmq_url="amqp://guest:guest@127.0.0.1/",
                              workers=2)
    path = write_endpoints(production)
    assert path.stat().st_mode & 0o777 == 0o600
    read = AvailableEndpoints.read_endpoints(str(path))
    assert read.tracker_store.type == TRACKER_STORE_CLASS and read.tracker_store.kwargs["dialect"] == "postgresql"
    assert read.event_broker.type == "pika"
    lock_store = LockStore.create(read.lock_store)
    assert isinstance(lock_store, FallbackRedisLockStore) and isinstance(lock_store, RedisLockStore)
    assert lock_store.red.connection_pool.connection_kwargs["db"] == 5
    assert number_of_sanic_workers(read.lock_store) == 2
    embedded = AvailableEndpoints.read_endpoints(str(write_endpoints(
        ServerConfig(log_dir=tmp_path, rasa_port=16391, tracker_db=tmp_path / "t.db", database_url="",
                     redis_url="", rabbitmq_url=""))))
    assert embedded.lock_store is None and number_of_sanic_workers(embedded.lock_store) == 1


def test_rasa_declares_the_sender_index_itself():
    from rasa.core.tracker_store import SQLTrackerStore

    indexed = [list(index.columns.keys()) for index in SQLTrackerStore.SQLEvent.__table__.indexes]
    assert ["sender_id"] in indexed


def test_an_events_table_without_the_sender_index_gets_it_once(postgres_url: str):
    engine = sa.create_engine(postgres_url, future=True)
    try:
        assert not ensure_sender_index(postgres_url)            # no events table yet: Rasa creates it, indexed
        with engine.begin() as connection:
            connection.execute(sa.text("CREATE TABLE events (id serial PRIMARY KEY, sender_id varchar(255) NOT NULL, "
                                       "type_name varchar(255) NOT NULL, timestamp float, data text)"))
        with engine.connect() as connection:
            assert not has_sender_index(connection)
        assert ensure_sender_index(postgres_url)
        with engine.connect() as connection:
            assert has_sender_index(connection)
        assert not ensure_sender_index(postgres_url)
    finally:
        engine.dispose()
