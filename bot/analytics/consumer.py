"""The analytics consumer: takes the tracker events Rasa's pika broker publishes off RabbitMQ and stores them
in the analytics database (:mod:`bot.analytics.events`), at least once and each event once.

* The queue is declared as Rasa declares it (durable, bound to the fanout exchange ``rasa-exchange``), so
  either may start first.
* Messages are taken ``prefetch`` at a time and stored in batches (up to ``batch_size``, or what arrived
  within ``batch_wait`` seconds of the first) in one transaction each; a message is acknowledged only after
  its batch is committed. A crash in between makes RabbitMQ deliver it again, and the event's digest (unique
  in the table) keeps it from being stored twice.
* Before storing, a defence-in-depth pass redacts any secret still found in an event (:mod:`nlu.scrub`).
* When RabbitMQ or the database is down, the consumer retries with backoff and logs one warning per outage
  (and one line when it is over); messages stay in RabbitMQ meanwhile.
* ``stop`` (SIGTERM in ``python -m bot.analytics.consume``) ends it after the batch in hand is stored.
"""
from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Protocol, Sequence, Tuple, Type
from urllib.parse import urlsplit

import aio_pika
import aiormq
import pamqp.exceptions
import sqlalchemy as sa

from bot.analytics.events import analytics_url, open_store, write_new_events
from bot.endpoints import DEFAULT_QUEUE, check_analytics_database, setting
from bot.retrying import Backoff
from nlu.scrub import scrub

logger = logging.getLogger("bot.analytics.consumer")

EXCHANGE = "rasa-exchange"   # rasa.core.brokers.pika.RABBITMQ_EXCHANGE (fanout; checked by the tests)
RABBITMQ = "RabbitMQ"
DATABASE = "analytics database"
POLL_SECONDS = 0.5        # how often a waiting consumer checks for stop and a lost connection
HEARTBEAT_SECONDS = 5.0   # the heartbeat file is touched at most this often
# aiormq's own errors, and pamqp's (the frame codec under it): a frame cut off by a broker going away mid-ack
# surfaces as ``pamqp.exceptions.AMQPFrameError``, which aiormq does not wrap.
AMQP_ERRORS: Tuple[Type[BaseException], ...] = (
    aiormq.exceptions.AMQPError, aiormq.exceptions.ChannelInvalidStateError, pamqp.exceptions.PAMQPException,
    ConnectionError, OSError, asyncio.TimeoutError)
DATABASE_ERRORS: Tuple[Type[BaseException], ...] = (sa.exc.OperationalError, sa.exc.InterfaceError)


@dataclass(frozen=True)
class ConsumerSettings:
    """Where to read, where to write, and how much at a time."""

    rabbitmq_url: str
    analytics_db_url: str
    queue: str = DEFAULT_QUEUE
    exchange: str = EXCHANGE       # Rasa's; the tests use their own so other runs' events stay out
    batch_size: int = 200
    batch_wait: float = 0.5        # seconds a batch waits for more messages after its first
    retry_initial: float = 0.5     # backoff after a failure, doubled up to retry_max
    retry_max: float = 30.0
    heartbeat_file: Optional[Path] = None   # touched while healthy (the compose health check reads it)

    @property
    def prefetch(self) -> int:
        """Unacknowledged messages RabbitMQ hands out at once: a full batch, and the next one arriving."""
        return 2 * self.batch_size

    @classmethod
    def from_env(cls, **overrides: Any) -> "ConsumerSettings":
        """``RABBITMQ_URL`` (required), ``RABBITMQ_QUEUE``, ``ANALYTICS_DB_URL``; refuses the tracker store's
        database (``DATABASE_URL``, when set here)."""
        rabbitmq_url = setting("RABBITMQ_URL")
        if urlsplit(rabbitmq_url).scheme not in ("amqp", "amqps"):
            raise ValueError("RABBITMQ_URL must be set to amqp://user:password@host:5672/vhost")
        database = analytics_url()
        check_analytics_database(database, setting("DATABASE_URL"))
        values: Dict[str, Any] = {"rabbitmq_url": rabbitmq_url, "analytics_db_url": database,
                                  "queue": setting("RABBITMQ_QUEUE", DEFAULT_QUEUE)}
        values.update(overrides)
        return cls(**values)

    def secrets(self) -> List[str]:
        """The passwords in the two URLs, kept out of log lines."""
        found = []
        for url in (self.rabbitmq_url, self.analytics_db_url):
            password = urlsplit(url).password
            if password:
                found.append(password)
        return found


class Delivery(Protocol):
    """What the consumer needs of a RabbitMQ message (``aio_pika.IncomingMessage`` has it)."""

    body: bytes

    async def ack(self, multiple: bool = False) -> None: ...

    async def reject(self, requeue: bool = False) -> None: ...


class Outages:
    """One warning when a service goes down, one line when it is back; nothing for each retry."""

    def __init__(self, hide: Sequence[str] = ()) -> None:
        self._since: Dict[str, float] = {}
        self._hide = [value for value in hide if value]

    def down(self, service: str, error: BaseException) -> None:
        if service not in self._since:
            self._since[service] = time.monotonic()
            logger.warning("analytics consumer: %s unavailable (%s); retrying with backoff",
                           service, self.describe(error))

    def up(self, service: str) -> None:
        since = self._since.pop(service, None)
        if since is not None:
            logger.info("analytics consumer: %s available again after %.0f s", service, time.monotonic() - since)

    def is_down(self, service: str) -> bool:
        return service in self._since

    def describe(self, error: BaseException) -> str:
        """The error's type and first line, without the SQL statement or its parameters (event data) that
        SQLAlchemy appends, and without passwords."""
        cause = getattr(error, "orig", None) or error
        lines = str(cause).strip().splitlines()
        text = f"{type(cause).__name__}: {lines[0] if lines else ''}".rstrip(": ")
        for secret in self._hide:
            text = text.replace(secret, "***")
        return text


async def stopped_within(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds``; True as soon as ``stop`` is set."""
    try:
        await asyncio.wait_for(stop.wait(), timeout=seconds)
    except asyncio.TimeoutError:
        return False
    return True


def decode(delivery: Delivery) -> Optional[Dict[str, Any]]:
    """The event a message carries, or None when it is not a JSON object with an ``event`` name."""
    try:
        event = json.loads(delivery.body)
    except (UnicodeDecodeError, ValueError):
        return None
    return event if isinstance(event, dict) and isinstance(event.get("event"), str) else None


# the assistant's own texts (templates, articles): not scanned
AUTHORED: Dict[str, Tuple[str, ...]] = {"bot": ("text", "data")}


def redacted(event: Dict[str, Any]) -> Dict[str, Any]:
    """The event with any secret still in it redacted; a warning says where (never what). The assistant's own
    texts are left alone: an article line such as "Lupa kata sandi: gunakan ..." looks like a password."""
    authored = AUTHORED.get(event.get("event") or "", ())
    cleaned, findings = scrub({key: value for key, value in event.items() if key not in authored})
    if findings:
        places = ", ".join(sorted({f"{finding.path} ({finding.kind})" for finding in findings}))
        logger.warning("analytics consumer: a %s event of %s carried a secret in %s; redacted before storing",
                       event.get("event"), event.get("sender_id"), places)
    return {key: event[key] if key in authored else cleaned[key] for key in event}


class BatchStore:
    """Stores a batch of deliveries in one transaction, then acknowledges them."""

    def __init__(self, settings: ConsumerSettings, outages: Outages, stop: asyncio.Event,
                 engine: Optional[sa.engine.Engine] = None,
                 write: Callable[[sa.engine.Engine, List[Dict[str, Any]]], int] = write_new_events) -> None:
        self.settings, self.outages, self.stop = settings, outages, stop
        self.engine = engine
        self.write = write
        self.backoff = Backoff(first=settings.retry_initial, cap=settings.retry_max).schedule()
        self.stored = 0         # rows added since start (redeliveries not counted)
        self.acknowledged = 0   # messages acknowledged since start

    async def open(self) -> bool:
        """Connect to the analytics database (created with its table when missing), retrying while it is
        down or refuses (no privilege yet, another process creating the table at the same moment); False when
        stopped first."""
        while self.engine is None:
            try:
                self.engine = await asyncio.to_thread(open_store, self.settings.analytics_db_url)
            except sa.exc.DBAPIError as error:
                self.outages.down(DATABASE, error)
                if await stopped_within(self.stop, self.backoff.next()):
                    return False
        self.outages.up(DATABASE)
        self.backoff.reset()
        return True

    async def store(self, batch: Sequence[Delivery]) -> bool:
        """Reject what is not an event, store the rest (retrying while the database is down), then ack each
        message. False, with nothing acknowledged, when stopped before the batch could be stored: RabbitMQ
        delivers it again later."""
        events, kept = [], []
        for delivery in batch:
            event = decode(delivery)
            if event is None:
                logger.error("analytics consumer: dropped a message that is not a Rasa event (%d bytes)",
                             len(delivery.body))
                await delivery.reject(requeue=False)
            else:
                events.append(redacted(event))
                kept.append(delivery)
        if not await self.open():
            return False
        while True:
            try:
                self.stored += await asyncio.to_thread(self.write, self.engine, events)
                break
            except DATABASE_ERRORS as error:
                self.outages.down(DATABASE, error)
                if await stopped_within(self.stop, self.backoff.next()):
                    return False
        self.outages.up(DATABASE)
        self.backoff.reset()
        for delivery in kept:   # committed: now RabbitMQ may forget them
            await delivery.ack()
            self.acknowledged += 1
        return True

    def close(self) -> None:
        if self.engine is not None:
            self.engine.dispose()


class Consumer:
    """Consumes the queue until ``stop`` is set, reconnecting to RabbitMQ with backoff."""

    def __init__(self, settings: ConsumerSettings, stop: asyncio.Event, store: Optional[BatchStore] = None) -> None:
        self.settings, self.stop = settings, stop
        self.outages = store.outages if store else Outages(settings.secrets())
        self.store = store or BatchStore(settings, self.outages, stop)
        self.backoff = Backoff(first=settings.retry_initial, cap=settings.retry_max).schedule()
        self._last_beat = float("-inf")

    async def run(self) -> None:
        """Open the database, then consume; return once stopped."""
        try:
            if not await self.store.open():
                return
            while not self.stop.is_set():
                try:
                    await self.consume_once()
                except AMQP_ERRORS as error:
                    self.outages.down(RABBITMQ, error)
                    if await stopped_within(self.stop, self.backoff.next()):
                        return
        finally:
            self.store.close()

    async def consume_once(self) -> None:
        """One connection: declare the queue as Rasa does, then store batches until stopped (return) or the
        connection is lost (raise)."""
        connection = await aio_pika.connect(self.settings.rabbitmq_url, timeout=10)
        lost = asyncio.Event()
        connection.close_callbacks.add(lambda *_: lost.set())
        try:
            channel = await connection.channel()
            channel.close_callbacks.add(lambda *_: lost.set())
            await channel.set_qos(prefetch_count=self.settings.prefetch)
            queue = await declare_queue(channel, self.settings.queue, self.settings.exchange)
            inbox: "asyncio.Queue[Delivery]" = asyncio.Queue()
            await queue.consume(inbox.put)
            self.outages.up(RABBITMQ)
            self.backoff.reset()
            logger.info("analytics consumer: storing events from queue %s", self.settings.queue)
            while not self.stop.is_set():
                batch = await next_batch(inbox, self.settings, self.stop, lost)
                self.beat()
                if batch and not await self.store.store(batch):
                    return
        finally:
            if not lost.is_set():
                await connection.close()   # unacknowledged messages go back to the queue

    def beat(self) -> None:
        """Touch the heartbeat file (connected, and the last batch stored), at most every few seconds."""
        now = time.monotonic()
        if self.settings.heartbeat_file is not None and now - self._last_beat >= HEARTBEAT_SECONDS:
            self.settings.heartbeat_file.touch()
            self._last_beat = now


async def declare_queue(channel: aio_pika.abc.AbstractChannel, name: str,
                        exchange_name: str = EXCHANGE) -> aio_pika.abc.AbstractQueue:
    """The queue exactly as Rasa's pika broker declares it: durable, bound to the fanout exchange."""
    exchange = await channel.declare_exchange(exchange_name, type=aio_pika.ExchangeType.FANOUT)
    queue = await channel.declare_queue(name, durable=True)
    await queue.bind(exchange, "")
    return queue


async def next_batch(inbox: "asyncio.Queue[Delivery]", settings: ConsumerSettings, stop: asyncio.Event,
                     lost: asyncio.Event) -> List[Delivery]:
    """The next batch: the first message (waited for while not stopped), then whatever else arrives within
    ``batch_wait``, up to ``batch_size``. Empty when nothing came in a poll interval or when stopped; raises
    ``ConnectionError`` when the connection was lost (its unacknowledged messages will be delivered again)."""
    batch: List[Delivery] = []
    try:
        batch.append(await asyncio.wait_for(inbox.get(), timeout=POLL_SECONDS))
    except asyncio.TimeoutError:
        pass
    if lost.is_set():
        raise ConnectionError("RabbitMQ connection lost")
    if not batch or stop.is_set():
        return batch
    deadline = time.monotonic() + settings.batch_wait
    while len(batch) < settings.batch_size:
        if inbox.empty():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or lost.is_set():
                break
            try:
                batch.append(await asyncio.wait_for(inbox.get(), timeout=remaining))
            except asyncio.TimeoutError:
                break
        else:
            batch.append(inbox.get_nowait())
    return batch
