"""The event stream: which event broker the endpoints select, the analytics store's dedupe, and the RabbitMQ
consumer (batches, ack after commit, one row per event on redelivery, outages of RabbitMQ and PostgreSQL,
defence-in-depth redaction) on the machine's real PostgreSQL and RabbitMQ. Outages are made with a TCP proxy
in front of the real service (ports 16820-16829)."""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any, AsyncIterator, Callable, Dict, Iterator, List, Optional

import aio_pika
import aiormq
import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import make_url

from bot.analytics.consumer import EXCHANGE, BatchStore, Consumer, ConsumerSettings, Outages, declare_queue, next_batch
from bot.analytics.events import (
    create_database_if_missing,
    event_digest,
    open_engine,
    open_store,
    read_events,
    same_database,
    write_events,
    write_new_events,
)
from bot.endpoints import SQL_BROKER_CLASS, check_analytics_database, endpoints, pika_event_broker, sql_event_broker
from bot.servers import ROOT, ServerConfig, write_endpoints

RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
PG = "postgresql://kripto:pw@db.internal:5432/kripto"
OTP_METADATA = {"note": "kode otp 771122"}


# -- helpers ----------------------------------------------------------------------------------------------
def user_event(sender: str, text: str, stamp: float, **extra: Any) -> Dict[str, Any]:
    """A user event as Rasa publishes it."""
    return {"sender_id": sender, "event": "user", "timestamp": stamp, "text": text, "metadata": {}, **extra}


def conversation(sender: str, count: int, start: float = 1_700_000_000.0) -> List[Dict[str, Any]]:
    return [user_event(sender, f"pesan {index}", start + index) for index in range(count)]


def stored(url: str, sender_prefix: str = "") -> List[Dict[str, Any]]:
    """Every stored event (of senders starting with ``sender_prefix``), in storage order; nothing before the
    table exists (read only: creating it here would race with the consumer creating it)."""
    engine = sa.create_engine(url, future=True)
    try:
        if not sa.inspect(engine).has_table("events"):
            return []
        return [event for event in read_events(engine) if str(event.get("sender_id")).startswith(sender_prefix)]
    finally:
        engine.dispose()


async def eventually(condition: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """``condition()`` once truthy (checked every 50 ms); fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError(f"{what} not met within {timeout:.0f} s")


class TcpProxy:
    """Forwards ``127.0.0.1:port`` to a real service; ``cut()`` drops every connection and refuses new ones
    (the service is "down") until ``restore()``."""

    def __init__(self, port: int, target_port: int) -> None:
        self.port, self.target_port = port, target_port
        self._listener: Optional[socket.socket] = None
        self._sockets: List[socket.socket] = []
        self._lock = threading.Lock()
        self._running = False

    def restore(self) -> "TcpProxy":
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(16)
        listener.settimeout(0.1)
        self._listener, self._running = listener, True
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()
        return self

    def cut(self) -> None:
        self._running = False
        with self._lock:
            doomed, self._sockets = self._sockets, []
        if self._listener is not None:
            self._listener.close()
        for sock in doomed:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while self._running:
            try:
                client, _ = listener.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                upstream = socket.create_connection(("127.0.0.1", self.target_port), timeout=5)
            except OSError:
                client.close()
                continue
            upstream.settimeout(None)
            client.settimeout(None)
            with self._lock:
                self._sockets += [client, upstream]
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(source, target), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, target: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                target.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)


@pytest.fixture
def queue() -> Iterator[str]:
    """A queue and a fanout exchange of this test's own (Rasa's exchange would bring other runs' events);
    both deleted afterwards."""
    name = f"kriptocs_unit_{uuid.uuid4().hex[:10]}"
    yield name

    async def delete() -> None:
        connection = await aio_pika.connect(RABBITMQ_URL)
        async with connection:
            channel = await connection.channel()
            await channel.queue_delete(name)
            await channel.exchange_delete(name)

    asyncio.run(delete())


def settings_for(queue: str, database_url: str, rabbitmq_url: str = RABBITMQ_URL, **extra: Any) -> ConsumerSettings:
    return ConsumerSettings(rabbitmq_url=rabbitmq_url, analytics_db_url=database_url, queue=queue, exchange=queue,
                            retry_initial=0.05, retry_max=0.3, **extra)


async def publish(queue: str, bodies: List[bytes]) -> None:
    """Publish to the test's exchange (as Rasa publishes to its own), the queue declared and bound first."""
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        await declare_queue(channel, queue, queue)
        exchange = await channel.get_exchange(queue)
        for body in bodies:
            await exchange.publish(aio_pika.Message(body, delivery_mode=aio_pika.DeliveryMode.PERSISTENT), "")


async def waiting(queue: str) -> Optional[int]:
    """Messages ready in the queue (not delivered, or returned unacknowledged); None before it exists."""
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        try:
            declared = await channel.declare_queue(queue, durable=True, passive=True)
        except aiormq.exceptions.ChannelNotFoundEntity:
            return None
        return declared.declaration_result.message_count


def bodies(events: List[Dict[str, Any]]) -> List[bytes]:
    return [json.dumps(event).encode() for event in events]


@contextlib.asynccontextmanager
async def running(consumer: Consumer) -> AsyncIterator[asyncio.Task]:
    """The consumer in a task; stopped (and awaited) on exit."""
    task = asyncio.create_task(consumer.run())
    try:
        yield task
    finally:
        consumer.stop.set()
        await asyncio.wait_for(task, timeout=30)


def outage_warnings(caplog: pytest.LogCaptureFixture, service: str) -> List[str]:
    return [record.getMessage() for record in caplog.records
            if record.levelno == logging.WARNING and f"{service} unavailable" in record.getMessage()]


# -- which event broker ---------------------------------------------------------------------------------
def test_by_default_rasas_sql_broker_writes_analytics_db_next_to_the_logs(tmp_path: Path):
    config = ServerConfig(log_dir=tmp_path, tracker_db=tmp_path / "tracker.db", database_url="", redis_url="",
                          rabbitmq_url="", analytics_db_url="")
    assert config.analytics_db == tmp_path / "analytics.db"
    assert ServerConfig(database_url="", analytics_db_url="").analytics_db == ROOT / "var" / "analytics.db"
    written = yaml.safe_load(write_endpoints(config).read_text(encoding="utf-8"))
    assert written["event_broker"] == {"type": SQL_BROKER_CLASS, "dialect": "sqlite",
                                       "db": str(tmp_path / "analytics.db")}
    assert (tmp_path / "analytics.db").exists()   # prepared: table with the digest column, WAL mode


async def test_rasa_opens_the_written_sql_broker_and_read_events_reads_what_it_published(tmp_path: Path):
    from rasa.core.brokers.broker import EventBroker
    from rasa.core.utils import AvailableEndpoints

    config = ServerConfig(log_dir=tmp_path, tracker_db=tmp_path / "tracker.db", database_url="", redis_url="",
                          rabbitmq_url="", analytics_db_url="", rasa_port=16803)
    broker = await EventBroker.create(AvailableEndpoints.read_endpoints(str(write_endpoints(config))).event_broker)
    events = conversation("rasa-sql", 3)
    for event in events:
        broker.publish(event)
    assert stored(config.analytics_url) == events
    with sqlite_journal(tmp_path / "analytics.db") as mode:
        assert mode == "wal"


@contextlib.contextmanager
def sqlite_journal(path: Path) -> Iterator[str]:
    import sqlite3

    connection = sqlite3.connect(path)
    try:
        yield connection.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        connection.close()


def test_rabbitmq_selects_the_pika_broker_and_analytics_url_the_sql_broker(tmp_path: Path):
    action, tracker = "http://127.0.0.1:5055/webhook", tmp_path / "tracker.db"
    analytics = f"sqlite:///{tmp_path / 'analytics.db'}"
    production = endpoints(action, tracker, rabbitmq_url=RABBITMQ_URL, analytics_url=analytics)
    assert production["event_broker"]["type"] == "pika"
    assert endpoints(action, tracker, analytics_url=analytics)["event_broker"]["type"] == SQL_BROKER_CLASS
    assert "event_broker" not in endpoints(action, tracker)
    postgres = sql_event_broker("postgres://an:p%40ss@db.internal/analytics?sslmode=require")
    assert postgres == {"type": SQL_BROKER_CLASS, "dialect": "postgresql",
                        "url": "postgresql://an:p%40ss@db.internal/analytics?sslmode=require"}
    with pytest.raises(ValueError):
        sql_event_broker("mysql://root@127.0.0.1/analytics")


async def test_rasas_sql_broker_writes_postgresql_with_the_urls_options(postgres_url: str):
    from rasa.core.brokers.broker import EventBroker
    from rasa.utils.endpoints import EndpointConfig

    config = sql_event_broker(postgres_url)   # its search_path option selects the test's schema
    broker = await EventBroker.create(EndpointConfig.from_dict(config))
    try:
        broker.publish(user_event("rasa-pg", "halo", 1.0))
        assert broker.engine.pool._pre_ping
    finally:
        broker.engine.dispose()
    assert stored(postgres_url) == [user_event("rasa-pg", "halo", 1.0)]


async def test_the_sql_broker_is_rasas_with_an_engine_that_keeps_its_sqlite_connection(tmp_path: Path):
    from rasa.core.brokers.broker import EventBroker
    from rasa.core.brokers.sql import SQLEventBroker as RasasSQLEventBroker
    from rasa.utils.endpoints import EndpointConfig

    url = f"sqlite:///{tmp_path / 'analytics.db'}"
    broker = await EventBroker.create(EndpointConfig.from_dict(sql_event_broker(url)))
    assert isinstance(broker, RasasSQLEventBroker) and type(broker).publish is RasasSQLEventBroker.publish
    connects: List[int] = []
    sa.event.listen(broker.engine, "connect", lambda *_: connects.append(1))
    events = conversation("pooled", 50)
    for event in events:
        broker.publish(event)
    assert len(connects) <= 1          # Rasa's own engine opens (and checkpoints on closing) one per event
    with broker.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1   # NORMAL
    broker.engine.dispose()
    assert stored(url) == events


def test_the_tracker_stores_database_is_refused(tmp_path: Path):
    action, tracker = "http://127.0.0.1:5055/webhook", tmp_path / "tracker.db"
    for analytics in ("postgresql://other:secret@db.internal/kripto?sslmode=require", "postgres://db.internal/kripto"):
        with pytest.raises(ValueError, match="tracker store's database"):
            endpoints(action, tracker, database_url=PG, analytics_url=analytics)
    with pytest.raises(ValueError, match="tracker store's database"):
        endpoints(action, tracker, analytics_url=f"sqlite:///{tracker}")
    with pytest.raises(ValueError, match="tracker store's database"):
        write_endpoints(ServerConfig(log_dir=tmp_path, tracker_db=tracker, database_url="", redis_url="",
                                     rabbitmq_url="", analytics_db=tracker, analytics_db_url=""))
    check_analytics_database("postgresql://kripto:pw@db.internal/kripto_analytics", PG)
    check_analytics_database("postgresql://kripto:pw@db.other/kripto", PG)
    assert same_database(f"sqlite:///{tmp_path}/a/../t.db", f"sqlite:///{tmp_path}/t.db")


def test_the_consumer_refuses_missing_or_wrong_settings(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", PG)
    monkeypatch.setenv("ANALYTICS_DB_URL", PG)
    monkeypatch.setenv("RABBITMQ_URL", RABBITMQ_URL)
    with pytest.raises(ValueError, match="tracker store's database"):
        ConsumerSettings.from_env()
    monkeypatch.setenv("ANALYTICS_DB_URL", "postgresql://kripto:pw@db.internal/kripto_analytics")
    monkeypatch.setenv("RABBITMQ_QUEUE", "kripto_events")
    settings = ConsumerSettings.from_env(batch_size=10)
    assert (settings.queue, settings.batch_size, settings.prefetch) == ("kripto_events", 10, 20)
    assert settings.exchange == EXCHANGE
    monkeypatch.delenv("RABBITMQ_URL")
    with pytest.raises(ValueError, match="RABBITMQ_URL"):
        ConsumerSettings.from_env()
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "RABBITMQ_URL": ""}
    result = subprocess.run([sys.executable, "-m", "bot.analytics.consume"], env=env, cwd=ROOT, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 2 and "RABBITMQ_URL must be set" in result.stderr


async def test_what_rasas_pika_broker_publishes_is_stored_whoever_declared_the_queue_first(postgres_url: str,
                                                                                         queue: str):
    import rasa.shared.core.events  # noqa: F401 - PikaEventBroker uses it without importing it
    from rasa.core.brokers.pika import RABBITMQ_EXCHANGE, PikaEventBroker

    assert EXCHANGE == RABBITMQ_EXCHANGE
    assert ConsumerSettings(rabbitmq_url=RABBITMQ_URL, analytics_db_url="sqlite://").queue == "rasa_production_events"
    config = pika_event_broker(RABBITMQ_URL, queue)
    events = conversation("pika", 5)
    consumer = Consumer(settings_for(queue, postgres_url), asyncio.Event())
    async with running(consumer):
        await eventually_async(lambda: waiting(queue), lambda count: count == 0, what="the consumer's queue")
        broker = PikaEventBroker(config["url"], config["username"], config["password"], port=config["port"],
                                 queues=config["queues"], exchange_name=queue, event_loop=asyncio.get_running_loop())
        await broker.connect()   # declares the queue and exchange again: a mismatch would fail here
        try:
            for event in events:
                broker.publish(event)
            await eventually(lambda: len(stored(postgres_url, "pika")) == 5, what="Rasa's events stored")
        finally:
            await broker.close()
    assert stored(postgres_url, "pika") == events


# -- the store ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_each_event_is_stored_once_in_order(backend: str, tmp_path: Path, request: pytest.FixtureRequest):
    url = f"sqlite:///{tmp_path / 'analytics.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    engine = open_store(url)
    try:
        first, second = conversation("dedupe", 300), conversation("dedupe", 5, start=2_000_000_000.0)
        assert write_new_events(engine, first + first[:10]) == 300      # duplicates inside one batch
        assert write_new_events(engine, first[150:] + second) == 5        # a redelivery with new events
        assert write_new_events(engine, []) == 0
        assert list(read_events(engine)) == first + second
        assert list(read_events(engine, since=first[100]["timestamp"], until=first[103]["timestamp"])) == first[100:103]
        assert event_digest(dict(reversed(list(first[0].items())))) == event_digest(first[0])
        assert event_digest(first[0]) != event_digest(first[1])
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_table_rasas_broker_created_gets_the_digest_and_stays_rasas(backend: str, tmp_path: Path,
                                                                            request: pytest.FixtureRequest):
    from rasa.core.brokers.sql import SQLEventBroker
    from rasa.utils.endpoints import EndpointConfig

    url = f"sqlite:///{tmp_path / 'rasa.db'}" if backend == "sqlite" else request.getfixturevalue("postgres_url")
    broker = await SQLEventBroker.from_endpoint_config(EndpointConfig.from_dict(sql_event_broker(url)))
    before, after = user_event("rasa", "sebelum", 1.0), user_event("rasa", "sesudah", 3.0)
    broker.publish(before)
    engine = open_store(url)
    try:
        columns = {column["name"] for column in sa.inspect(engine).get_columns("events")}
        assert columns == {"id", "sender_id", "data", "digest"}
        ours = user_event("consumer", "dari antrean", 2.0)
        assert write_new_events(engine, [ours, ours]) == 1
        broker.publish(after)
        broker.publish(after)          # Rasa's broker writes NULL digests: never refused
        write_events(engine, [ours])   # the plain writer neither
        assert list(read_events(engine)) == [before, ours, after, after, ours]
    finally:
        engine.dispose()
        broker.engine.dispose()


def test_a_missing_postgresql_database_is_created(postgres_server_url: str):
    name = f"kriptocs_analytics_{uuid.uuid4().hex[:8]}"
    url = make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    admin = sa.create_engine(postgres_server_url, future=True, isolation_level="AUTOCOMMIT")
    try:
        assert create_database_if_missing(url) is True
        assert create_database_if_missing(url) is False
        engine = open_store(url)
        assert write_new_events(engine, conversation("fresh", 2)) == 2
        engine.dispose()
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    assert create_database_if_missing(f"sqlite:///{name}.db") is False


# -- the consumer ---------------------------------------------------------------------------------------
class FakeDelivery:
    """A message whose ack checks that its event is already committed (seen from another connection)."""

    def __init__(self, event: Dict[str, Any], committed: Callable[[str], bool]) -> None:
        self.body = json.dumps(event).encode()
        self.digest = event_digest(event)
        self._committed = committed
        self.acked_after_commit: Optional[bool] = None
        self.rejected = False

    async def ack(self, multiple: bool = False) -> None:
        self.acked_after_commit = self._committed(self.digest)

    async def reject(self, requeue: bool = False) -> None:
        self.rejected = True


async def test_acks_come_only_after_commit_and_wait_out_a_database_outage(postgres_url: str, caplog):
    caplog.set_level(logging.INFO, logger="bot.analytics.consumer")
    proxy = TcpProxy(16821, make_url(postgres_url).port or 5432).restore()
    through_proxy = make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)
    checker = open_engine(postgres_url)

    def committed(digest: str) -> bool:
        with checker.connect() as connection:
            return connection.execute(sa.text("SELECT count(*) FROM events WHERE digest = :d"),
                                      {"d": digest}).scalar_one() == 1

    failed_writes = [0]   # attempts the outage refused: what the test waits for instead of sleeping

    def write_counting_failures(engine: sa.engine.Engine, events: List[Dict[str, Any]]) -> int:
        try:
            return write_new_events(engine, events)
        except Exception:
            failed_writes[0] += 1
            raise

    stop = asyncio.Event()
    store = BatchStore(settings_for("unused", through_proxy), Outages(), stop, write=write_counting_failures)
    try:
        first = [FakeDelivery(event, committed) for event in conversation("ack", 3)]
        poison = FakeDelivery({}, committed)
        poison.body = b"\xff not json"
        assert await store.store(first + [poison])
        assert [delivery.acked_after_commit for delivery in first] == [True, True, True]
        assert poison.rejected and poison.acked_after_commit is None

        proxy.cut()
        second = [FakeDelivery(event, committed) for event in conversation("ack", 3, start=2e9)]
        storing = asyncio.create_task(store.store(second))
        await eventually(lambda: outage_warnings(caplog, "analytics database"), what="the outage warning")
        await eventually(lambda: failed_writes[0] >= 3, what="three attempts while down")
        assert all(delivery.acked_after_commit is None for delivery in second)   # several retries while down:
        assert len(outage_warnings(caplog, "analytics database")) == 1            # nothing acknowledged, one warning
        proxy.restore()
        assert await asyncio.wait_for(storing, timeout=20)
        assert [delivery.acked_after_commit for delivery in second] == [True, True, True]
        assert any("analytics database available again" in record.getMessage() for record in caplog.records)
        assert len(stored(postgres_url, "ack")) == 6

        proxy.cut()   # stopped during an outage: nothing acknowledged, so RabbitMQ will deliver it again
        third = [FakeDelivery(event, committed) for event in conversation("ack", 2, start=3e9)]
        failed_before = failed_writes[0]
        storing = asyncio.create_task(store.store(third))
        await eventually(lambda: failed_writes[0] > failed_before, what="an attempt refused by the outage")
        stop.set()                                # now it waits out the outage: stop it there
        assert await asyncio.wait_for(storing, timeout=10) is False
        assert all(delivery.acked_after_commit is None for delivery in third)
    finally:
        store.close()
        proxy.cut()
        checker.dispose()


async def test_messages_are_stored_in_batches_of_batch_size(postgres_url: str, queue: str, tmp_path: Path):
    sizes: List[int] = []

    def counting_write(engine: sa.engine.Engine, events: List[Dict[str, Any]]) -> int:
        sizes.append(len(events))
        return write_new_events(engine, events)

    events = conversation("batch", 250)
    await publish(queue, bodies(events))
    settings = settings_for(queue, postgres_url, batch_size=100, batch_wait=1.0, heartbeat_file=tmp_path / "alive")
    stop = asyncio.Event()
    consumer = Consumer(settings, stop, BatchStore(settings, Outages(), stop, write=counting_write))
    async with running(consumer):
        await eventually(lambda: len(stored(postgres_url, "batch")) == 250, what="250 events stored")
    assert sizes[:2] == [100, 100] and sum(sizes) == 250 and max(sizes) <= 100
    assert stored(postgres_url, "batch") == events
    assert await waiting(queue) == 0
    assert time.time() - (tmp_path / "alive").stat().st_mtime < 30   # the compose health check's heartbeat


class Crash(Exception):
    """The consumer dying between commit and ack."""


async def test_a_batch_redelivered_after_a_crash_is_not_stored_twice(postgres_url: str, queue: str):
    events = conversation("crash", 40)
    await publish(queue, bodies(events))

    def commit_then_crash(engine: sa.engine.Engine, batch: List[Dict[str, Any]]) -> int:
        write_new_events(engine, batch)
        raise Crash()

    settings = settings_for(queue, postgres_url, batch_size=100)
    stop = asyncio.Event()
    crashing = Consumer(settings, stop, BatchStore(settings, Outages(), stop, write=commit_then_crash))
    with pytest.raises(Crash):
        await asyncio.wait_for(crashing.run(), timeout=30)
    assert stored(postgres_url, "crash") == events            # committed, never acknowledged
    await eventually_async(lambda: waiting(queue), lambda count: count == 40, what="the batch back in the queue")
    stop = asyncio.Event()
    store = BatchStore(settings, Outages(), stop)
    async with running(Consumer(settings, stop, store)):
        await eventually(lambda: store.acknowledged == 40, what="the redelivered batch acknowledged")
    assert store.stored == 0                                   # all 40 came again; none added
    assert stored(postgres_url, "crash") == events
    assert await waiting(queue) == 0


async def eventually_async(get: Callable[[], Any], check: Callable[[Any], bool], timeout: float = 20.0,
                           what: str = "condition") -> Any:
    """``await get()`` until ``check`` accepts it; fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = await get()
        if check(value):
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"{what} not met within {timeout:.0f} s")


async def test_the_consumer_reconnects_after_a_rabbitmq_outage(postgres_url: str, queue: str, caplog):
    caplog.set_level(logging.INFO, logger="bot.analytics.consumer")
    proxy = TcpProxy(16822, 5672).restore()
    settings = settings_for(queue, postgres_url, rabbitmq_url=f"amqp://guest:guest@127.0.0.1:{proxy.port}/")
    consumer = Consumer(settings, asyncio.Event())
    try:
        async with running(consumer):
            before, during = conversation("mq", 10), conversation("mq", 10, start=2e9)
            await publish(queue, bodies(before))
            await eventually(lambda: len(stored(postgres_url, "mq")) == 10, what="events before the outage")
            proxy.cut()
            await eventually(lambda: outage_warnings(caplog, "RabbitMQ"), what="the outage warning")
            await publish(queue, bodies(during))   # RabbitMQ keeps them while the consumer cannot connect
            await asyncio.sleep(1.0)               # several reconnect attempts fail meanwhile
            assert len(outage_warnings(caplog, "RabbitMQ")) == 1
            proxy.restore()
            await eventually(lambda: len(stored(postgres_url, "mq")) == 20, what="events after the outage")
        assert stored(postgres_url, "mq") == before + during
        assert any("RabbitMQ available again" in record.getMessage() for record in caplog.records)
        assert len(outage_warnings(caplog, "RabbitMQ")) == 1
        assert "guest" not in " ".join(outage_warnings(caplog, "RabbitMQ"))
    finally:
        proxy.cut()


async def test_a_secret_left_in_an_event_is_redacted_before_it_is_stored(postgres_url: str, queue: str, caplog):
    caplog.set_level(logging.INFO, logger="bot.analytics.consumer")
    leaky = user_event("scrub", "halo", 1.0, metadata=OTP_METADATA)
    slot = {"sender_id": "scrub", "event": "slot", "timestamp": 2.0, "name": "session_started_metadata",
            "value": OTP_METADATA}
    article = {"sender_id": "scrub", "event": "bot", "timestamp": 3.0, "metadata": {},
               "text": "2. Lupa kata sandi: gunakan **Lupa kata sandi** daripada terus menebak.", "data": {}}
    await publish(queue, bodies([leaky, slot, article]))
    async with running(Consumer(settings_for(queue, postgres_url), asyncio.Event())):
        await eventually(lambda: len(stored(postgres_url, "scrub")) == 3, what="three events stored")
    saved = stored(postgres_url, "scrub")
    assert saved[0]["metadata"] == {"note": "kode otp [DIHAPUS: otp]"} and saved[0]["text"] == "halo"
    assert saved[1]["value"] == {"note": "kode otp [DIHAPUS: otp]"}
    assert saved[2] == article                       # the assistant's own text is not a customer's secret
    warnings = [record.getMessage() for record in caplog.records if "carried a secret" in record.getMessage()]
    assert len(warnings) == 2 and "metadata.note (otp)" in warnings[0]
    assert "771122" not in " ".join(record.getMessage() for record in caplog.records)


async def test_next_batch_raises_when_the_connection_is_lost():
    inbox: asyncio.Queue = asyncio.Queue()
    lost = asyncio.Event()
    settings = ConsumerSettings(rabbitmq_url=RABBITMQ_URL, analytics_db_url="sqlite://", batch_size=3, batch_wait=0.2)
    for index in range(5):
        inbox.put_nowait(index)
    assert await next_batch(inbox, settings, asyncio.Event(), lost) == [0, 1, 2]
    assert await next_batch(inbox, settings, asyncio.Event(), lost) == [3, 4]
    assert await next_batch(inbox, settings, asyncio.Event(), lost) == []
    lost.set()
    with pytest.raises(ConnectionError):
        await next_batch(inbox, settings, asyncio.Event(), lost)
