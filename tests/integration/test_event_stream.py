"""The event stream end to end, in both profiles, with a conversation in which the customer pastes a seed
phrase, an OTP and a password:

* default: Rasa's SQL event broker writes the SQLite analytics store next to the logs (ports 16805/16806);
* production: Rasa's pika broker publishes to a RabbitMQ queue of this test's own, ``python -m
  bot.analytics.consume`` stores the events in a fresh PostgreSQL database it creates itself (ports
  16815/16816); the queue and both databases are removed afterwards.

Either way the store holds the user, bot and action events of the conversation and no secret anywhere (the
SQLite file's raw bytes; every column of every row in PostgreSQL).
"""
from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Tuple

import aio_pika
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.analytics.events import open_engine, read_events
from bot.evaluate import AssistantClient
from bot.servers import ROOT, AssistantServers, ServerConfig, child_env
from tests.integration.conftest import wait_for as wait_until

pytestmark = pytest.mark.integration
RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672/"
SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"
# (message, a piece of the secret that must never be stored)
SECRET_MESSAGES: List[Tuple[str, str]] = [
    (f"min ini seed phrase dompet gw {SEED} tolong cek saldo", "sausage worth useful"),
    ("kode otp 482913, tolong proses wd saya", "482913"),
    ("password saya: Rahasia123! tolong login-in akun saya", "Rahasia123"),
]
METADATA_SECRET = "771122"   # a REST client's own metadata carrying an OTP


def wait_for(condition: Callable[[], object], timeout: float = 60.0, what: str = "condition") -> object:
    """The suite's :func:`tests.integration.conftest.wait_for` with this module's 60 s (servers under load)."""
    return wait_until(condition, timeout=timeout, what=what)


def hold_conversation(client: AssistantClient, sender: str) -> None:
    """A greeting, then each secret; every message is answered."""
    assert client.send(sender, "halo kak")
    for message, _ in SECRET_MESSAGES:
        assert client.send(sender, message)


def events_of(url: str, sender: str) -> List[Dict]:
    engine = open_engine(url)
    try:
        return [event for event in read_events(engine) if event.get("sender_id") == sender]
    finally:
        engine.dispose()


def conversation_complete(url: str, sender: str) -> Optional[List[Dict]]:
    """The sender's stored events once the last warning's bot reply is among them."""
    events = events_of(url, sender)
    users = [event for event in events if event["event"] == "user"]
    last_user = events.index(users[-1]) if len(users) == 1 + len(SECRET_MESSAGES) else None
    if last_user is not None and any(event["event"] == "bot" for event in events[last_user:]):
        return events
    return None


def check_conversation(events: List[Dict]) -> None:
    """The user, bot and action events of :func:`hold_conversation`, the secrets already redacted."""
    kinds = {event["event"] for event in events}
    assert {"user", "bot", "action"} <= kinds, kinds
    users = [event for event in events if event["event"] == "user"]
    assert users[0]["text"] == "halo kak"
    assert [event["metadata"].get("redacted_secrets") for event in users[1:]] == [["seed_phrase"], ["otp"],
                                                                                  ["password"]]
    assert all("[DIHAPUS:" in event["text"] for event in users[1:])
    actions = [event["name"] for event in events if event["event"] == "action"]
    assert actions.count("action_warn_secret") == len(SECRET_MESSAGES) and "action_listen" in actions
    assert any(event["text"].startswith("PENTING") for event in events if event["event"] == "bot")


def leaked(raw: bytes) -> List[str]:
    """The secrets (of the conversation and of the metadata) found in ``raw``."""
    pieces = [piece for _, piece in SECRET_MESSAGES] + [METADATA_SECRET]
    return [piece for piece in pieces if piece.encode() in raw]


def sqlite_bytes(path: Path) -> bytes:
    """The database file with its write-ahead log and journal, as stored on disk."""
    return b"".join(part.read_bytes() for part in sorted(path.parent.glob(path.name + "*")))


def postgres_text(url: str) -> bytes:
    """Every column of every row of every table of the database, as text."""
    engine = sa.create_engine(url, future=True)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            texts = [connection.execute(sa.text(f'SELECT t::text FROM "{table}" t')).scalars().all()
                     for table in tables]
    finally:
        engine.dispose()
    return "\n".join(row for rows in texts for row in rows).encode()


def hermetic(config: ServerConfig, work: Path) -> ServerConfig:
    """No channel credentials of the shell, channel state in the run's folder."""
    config.extra_env.update({"TELEGRAM_BOT_TOKEN": "", "WHATSAPP_ACCESS_TOKEN": "", "WHATSAPP_APP_SECRET": "",
                             "CHANNEL_STATE_DB": "" if config.database_url else str(work / "channels.db")})
    return config


def quiet_configs(work: Path) -> Dict[str, Path]:
    (work / "notifiers.yml").write_text("notifiers: {}\n", encoding="utf-8")
    (work / "desks.yml").write_text("desks: {}\n", encoding="utf-8")
    return {"notifiers_config": work / "notifiers.yml", "desks_config": work / "desks.yml"}


# -- default: Rasa's SQL broker on SQLite ---------------------------------------------------------------
class TestDefaultProfile:
    @pytest.fixture(scope="class")
    def servers(self, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
        work = tmp_path_factory.mktemp("event-stream-default")
        config = ServerConfig(rasa_port=16805, action_port=16806, log_dir=work, tracker_db=work / "tracker.db",
                              tickets_db_url=f"sqlite:///{work / 'tickets.db'}", database_url="", redis_url="",
                              rabbitmq_url="", analytics_db_url="", **quiet_configs(work))
        running = AssistantServers(hermetic(config, work)).start(timeout=300)
        yield running
        running.stop()

    def test_the_conversation_is_in_the_sqlite_store_without_its_secrets(self, servers: AssistantServers):
        config = servers.config
        assert config.analytics_db == config.log_dir / "analytics.db"
        client = AssistantClient(config.rasa_url, config.api_token, timeout=60)
        sender = f"stream-{uuid.uuid4().hex[:8]}"
        hold_conversation(client, sender)
        events = wait_for(lambda: conversation_complete(config.analytics_url, sender), what="the conversation stored")
        check_conversation(events)
        raw = sqlite_bytes(config.analytics_db)
        assert sender.encode() in raw   # the leak check does read the stored rows
        assert leaked(raw) == []

    def test_a_secret_in_a_rest_clients_metadata_is_not_stored(self, servers: AssistantServers):
        config = servers.config
        client = AssistantClient(config.rasa_url, config.api_token, timeout=60)
        sender = f"stream-{uuid.uuid4().hex[:8]}"
        assert client.send(sender, "halo kak", metadata={"note": f"kode otp {METADATA_SECRET}"})
        wait_for(lambda: any(event["event"] == "bot" for event in events_of(config.analytics_url, sender)),
                 what="the reply stored")
        assert leaked(sqlite_bytes(config.analytics_db)) == []


# -- production: RabbitMQ + the consumer + PostgreSQL ---------------------------------------------------
def fresh_database_url(server_url: str, prefix: str) -> str:
    return make_url(server_url).set(database=f"{prefix}_{uuid.uuid4().hex[:10]}").render_as_string(hide_password=False)


def drop_database(server_url: str, url: str) -> None:
    admin = sa.create_engine(server_url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'))
    finally:
        admin.dispose()


def create_database(server_url: str, url: str) -> None:
    admin = sa.create_engine(server_url, future=True, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{make_url(url).database}"'))
    finally:
        admin.dispose()


async def queue_state(name: str, delete: bool = False) -> Optional[int]:
    """Messages ready in the queue (None when it does not exist); deletes it with ``delete``."""
    connection = await aio_pika.connect(RABBITMQ_URL)
    async with connection:
        channel = await connection.channel()
        if delete:
            await channel.queue_delete(name)
            return None
        try:
            declared = await channel.declare_queue(name, durable=True, passive=True)
        except aio_pika.exceptions.ChannelNotFoundEntity:
            return None
        return declared.declaration_result.message_count


class ConsumerProcess:
    """``python -m bot.analytics.consume`` as a child process, its output in a log file."""

    def __init__(self, env: Dict[str, str], log_path: Path) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")   # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([sys.executable, "-m", "bot.analytics.consume", "--batch-wait", "0.2"],
                                        cwd=ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                        start_new_session=True)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 30.0) -> Optional[int]:
        """SIGTERM, then SIGKILL if it does not exit in ``timeout``; its exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)
        self._log.close()
        return self.process.returncode


class TestProductionProfile:
    @pytest.fixture(scope="class")
    def stores(self, postgres_server_url: str) -> Iterator[Dict[str, str]]:
        """A queue, a tracker database (created here) and an analytics database (left to the consumer to
        create); all removed afterwards."""
        names = {"queue": f"kriptocs_stream_{uuid.uuid4().hex[:10]}",
                 "tracker": fresh_database_url(postgres_server_url, "kriptocs_stream_tracker"),
                 "analytics": fresh_database_url(postgres_server_url, "kriptocs_stream_analytics")}
        create_database(postgres_server_url, names["tracker"])
        try:
            yield names
        finally:
            asyncio.run(queue_state(names["queue"], delete=True))
            for key in ("tracker", "analytics"):
                drop_database(postgres_server_url, names[key])

    @pytest.fixture(scope="class")
    def consumer(self, stores: Dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[ConsumerProcess]:
        env = child_env()
        env.update({"RABBITMQ_URL": RABBITMQ_URL, "RABBITMQ_QUEUE": stores["queue"],
                    "ANALYTICS_DB_URL": stores["analytics"], "DATABASE_URL": stores["tracker"]})
        process = ConsumerProcess(env, tmp_path_factory.mktemp("consumer") / "consumer.log")
        try:
            wait_for(lambda: "storing events from queue" in process.log() or process.process.poll() is not None,
                     timeout=60, what="the consumer connected")
            assert process.process.poll() is None, process.log()
            yield process
        finally:
            process.stop()

    @pytest.fixture(scope="class")
    def servers(self, stores: Dict[str, str], consumer: ConsumerProcess,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
        work = tmp_path_factory.mktemp("event-stream-production")
        config = ServerConfig(rasa_port=16815, action_port=16816, log_dir=work, tracker_db=work / "unused.db",
                              tickets_db_url="", database_url=stores["tracker"], redis_url="",
                              rabbitmq_url=RABBITMQ_URL, rabbitmq_queue=stores["queue"],
                              analytics_db_url=stores["analytics"], **quiet_configs(work))
        config.extra_env["TICKETS_DB_URL"] = ""
        running = AssistantServers(hermetic(config, work)).start(timeout=300)
        yield running
        running.stop()

    def test_the_conversation_reaches_postgresql_through_rabbitmq_without_its_secrets(
            self, servers: AssistantServers, stores: Dict[str, str], consumer: ConsumerProcess):
        config = servers.config
        client = AssistantClient(config.rasa_url, config.api_token, timeout=60)
        sender = f"stream-{uuid.uuid4().hex[:8]}"
        hold_conversation(client, sender)
        # A secret in a REST client's own metadata is redacted at entry like the text.
        metadata_sender = f"stream-{uuid.uuid4().hex[:8]}"
        assert client.send(metadata_sender, "halo kak", metadata={"note": f"kode otp {METADATA_SECRET}"})
        events = wait_for(lambda: conversation_complete(stores["analytics"], sender), what="the conversation stored")
        check_conversation(events)
        wait_for(lambda: any(event["event"] == "bot" for event in events_of(stores["analytics"], metadata_sender)),
                 what="the metadata conversation stored")
        assert leaked(postgres_text(stores["analytics"])) == []
        assert "carried a secret" not in consumer.log()   # the channels redacted everything, metadata included
        assert METADATA_SECRET not in consumer.log()
        wait_for(lambda: asyncio.run(queue_state(stores["queue"])) == 0, what="the queue drained")
        assert events_of(stores["analytics"], sender) == events   # nothing stored twice
        assert sender.encode() in postgres_text(stores["analytics"])   # the leak check does read the rows

    def test_the_consumer_exits_cleanly_on_sigterm(self, servers: AssistantServers, consumer: ConsumerProcess):
        assert consumer.process.poll() is None
        assert consumer.stop() == 0
        log = consumer.log()
        assert "analytics consumer: stopped" in log and "Traceback" not in log
        assert "unavailable" not in log   # no outage during the run

