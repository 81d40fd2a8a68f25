"""The production profile on the machine's real services: ``DATABASE_URL`` (PostgreSQL tracker and ticket
store, the tickets migrated by Alembic), ``REDIS_URL`` (the Redis lock store, which lets Rasa run two Sanic
workers) and ``RABBITMQ_URL`` (Rasa's pika event broker). One Rasa server with two workers and its action
server run on ports 16305/16355 against a database, a Redis database number and a queue of their own,
which are removed afterwards."""
from __future__ import annotations

import asyncio
import json
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Dict, Iterator, List

import aio_pika
import psutil
import pytest
import redis
import requests
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.evaluate import AssistantClient
from bot.servers import AssistantServers, ServerConfig
from bot.tickets.migrations import head_revision

pytestmark = pytest.mark.integration
RASA_PORT, ACTION_PORT = 16305, 16355
REDIS_URL = "redis://127.0.0.1:6379/7"
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"


@pytest.fixture(scope="module")
def database_url(postgres_server_url: str) -> Iterator[str]:
    """A new PostgreSQL database for this module, dropped afterwards."""
    name = f"kriptocs_it_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(postgres_server_url, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(postgres_server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def queue() -> Iterator[str]:
    """The RabbitMQ queue the event broker publishes to; deleted afterwards."""
    name = f"kriptocs_it_{uuid.uuid4().hex[:10]}"
    yield name

    async def delete() -> None:
        connection = await aio_pika.connect(RABBITMQ_URL)
        try:
            channel = await connection.channel()
            await channel.queue_delete(name)
        finally:
            await connection.close()

    asyncio.run(delete())


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory, database_url: str, queue: str) -> Iterator[AssistantServers]:
    work: Path = tmp_path_factory.mktemp("production")
    (work / "notifiers.yml").write_text("notifiers: {}\n", encoding="utf-8")
    (work / "desks.yml").write_text("desks: {}\n", encoding="utf-8")
    config = ServerConfig(rasa_port=RASA_PORT, action_port=ACTION_PORT, log_dir=work, tracker_db=work / "unused.db",
                          tickets_db_url="", database_url=database_url, redis_url=REDIS_URL,
                          rabbitmq_url=RABBITMQ_URL, rabbitmq_queue=queue, workers=2,
                          notifiers_config=work / "notifiers.yml", desks_config=work / "desks.yml")
    config.extra_env.update({"TELEGRAM_BOT_TOKEN": "", "WHATSAPP_ACCESS_TOKEN": "", "WHATSAPP_APP_SECRET": "",
                             "TICKETS_DB_URL": "", "CHANNEL_STATE_DB": ""})
    servers = AssistantServers(config).start(timeout=300)
    yield servers
    servers.stop()
    redis.Redis.from_url(REDIS_URL).flushdb()


@pytest.fixture(scope="module")
def client(production: AssistantServers) -> AssistantClient:
    return AssistantClient(production.config.rasa_url, production.config.api_token, timeout=60)


def user_texts(client: AssistantClient, sender: str) -> List[str]:
    """The customer's messages in the tracker, in order."""
    return [event["text"] for event in client.tracker(sender)["events"] if event["event"] == "user"]


def test_the_endpoints_select_postgresql_redis_rabbitmq_and_two_workers(production: AssistantServers):
    config = production.config
    assert config.workers == 2 and config.tickets_db_url == config.database_url
    rasa = psutil.Process(production.children[1].pid)
    workers = [child for child in rasa.children(recursive=True) if "python" in child.name().lower()]
    assert len(workers) >= 2, f"expected two Sanic worker processes under Rasa, found {workers}"


def test_conversations_in_parallel_are_answered_and_kept_in_order(client: AssistantClient):
    questions = ["cara deposit rupiah", "berapa biaya penarikan", "makasih kak"]
    senders = [f"prod-{uuid.uuid4().hex[:8]}" for _ in range(6)]

    def converse(sender: str) -> List[list]:
        return [client.send(sender, text) for text in questions]

    with ThreadPoolExecutor(max_workers=6) as pool:
        replies: Dict[str, List[list]] = dict(zip(senders, pool.map(converse, senders), strict=True))
    for sender in senders:
        assert all(answer and answer[0].get("text") for answer in replies[sender]), replies[sender]
        assert user_texts(client, sender) == questions


def test_trackers_live_in_postgresql_with_the_sender_index(client: AssistantClient, database_url: str):
    sender = f"prod-{uuid.uuid4().hex[:8]}"
    client.send(sender, "cara verifikasi akun")
    engine = sa.create_engine(database_url, future=True)
    try:
        with engine.connect() as connection:
            stored = connection.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s AND "
                                                "type_name = 'user'"), {"s": sender}).scalar_one()
            indexes = sa.inspect(connection).get_indexes("events")
            revision = connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one()
            ticket_tables = set(sa.inspect(connection).get_table_names())
    finally:
        engine.dispose()
    assert stored == 1
    assert any(index["column_names"][:1] == ["sender_id"] for index in indexes)
    assert revision == head_revision()
    assert {"tickets", "ticket_outbox", "handoffs", "leases", "channel_seen"} <= ticket_tables


def test_health_reports_the_redis_lock_store(production: AssistantServers):
    health = requests.get(f"{production.config.rasa_url}/health", timeout=10)
    assert health.status_code == 200, health.text
    parts = health.json()["parts"]
    assert parts["lock_store"]["status"] == "ok" and parts["lock_store"]["backend"] == "redis"


async def take_events(queue: str, sender: str, timeout: float) -> List[dict]:
    """The events of ``sender`` taken off ``queue`` until its bot reply arrived (the broker publishes in the
    background) or ``timeout`` passed."""
    connection = await aio_pika.connect(RABBITMQ_URL)
    mine: List[dict] = []
    deadline = time.monotonic() + timeout
    try:
        channel = await connection.channel()
        source = await channel.get_queue(queue, ensure=True)
        while time.monotonic() < deadline and not any(event["event"] == "bot" for event in mine):
            message = await source.get(no_ack=True, fail=False)
            if message is None:
                await asyncio.sleep(0.2)
                continue
            event = json.loads(message.body)
            if event.get("sender_id") == sender:
                mine.append(event)
    finally:
        await connection.close()
    return mine


def published_events(queue: str, sender: str, timeout: float = 20.0) -> List[dict]:
    return asyncio.run(take_events(queue, sender, timeout))


def test_every_event_is_published_to_rabbitmq(client: AssistantClient, queue: str):
    sender = f"prod-{uuid.uuid4().hex[:8]}"
    client.send(sender, "lupa password gimana")
    mine = published_events(queue, sender)
    assert [event["text"] for event in mine if event["event"] == "user"] == ["lupa password gimana"]
    assert any(event["event"] == "bot" for event in mine)
