"""Rasa's Redis lock store, made atomic across processes and able to survive Redis going away.

Referenced from the endpoints file by its module path::

    lock_store:
      type: bot.lock_store.FallbackRedisLockStore
      url: redis://127.0.0.1:6379/1          # or a host name, with port / db / password keys
      key_prefix: kriptocs

Two changes to :class:`rasa.core.lock_store.RedisLockStore`:

1. **Atomic tickets.** Rasa's version reads a conversation's lock, changes it and writes it back with
   separate commands; two processes (Sanic workers, replicas) doing that for the same conversation at
   the same moment can overwrite each other's ticket and both go ahead (the race behind rasa PR #11256).
   Here every read-change-write is one optimistic Redis transaction (``WATCH``/``MULTI``/``EXEC``,
   repeated when another process changed the key in between).
2. **Redis down is a clear degraded state.** When Redis cannot be reached, locks are taken in this
   process instead (one warning in the log), ``GET /health`` shows part ``lock_store`` as degraded with the
   problem, and Redis is tried again at most every :data:`PROBE_INTERVAL_SECONDS`; once it answers, new
   locks go to Redis again (one log line). A conversation whose lock is held in this process stays there
   until it is released, so switching back never lets two of its messages run at once here. While
   degraded, only this process is serialised: with hash routing (deploy/haproxy.cfg) one conversation's
   messages reach one replica, so with one Sanic worker per replica nothing is lost.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from contextlib import asynccontextmanager
from typing import Any, AsyncIterator, Callable, Dict, Optional, Tuple, TypeVar
from urllib.parse import unquote, urlparse

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockError, LockStore, RedisLockStore
from rasa.utils.endpoints import EndpointConfig

from bot.health import DEGRADED, OK, health

logger = logging.getLogger(__name__)

PROBE_INTERVAL_SECONDS = 3.0        # while Redis is down, try it again at most this often
CONNECT_TIMEOUT_SECONDS = 1.0       # a Redis that does not accept the connection is "down" quickly
SOCKET_TIMEOUT_SECONDS = 2.0        # ... and one that stops answering (calls block the event loop)
KEY_GRACE_SECONDS = 60              # a lock key outlives its last ticket by this much, then Redis drops it
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

Result = TypeVar("Result")
Change = Callable[[Optional[TicketLock]], Tuple[Optional[TicketLock], Result]]


def redis_settings(endpoint_config: Optional[EndpointConfig], **kwargs: Any) -> Dict[str, Any]:
    """Keyword arguments for ``RedisLockStore`` from an endpoint's ``url`` (``redis://[:password@]host[:port][/db]``
    or a bare host) and its other keys; keys override what the URL says."""
    settings: Dict[str, Any] = {}
    url = (endpoint_config.url if endpoint_config else None) or kwargs.pop("url", None)
    extra = dict(endpoint_config.kwargs) if endpoint_config else {}
    extra.update(kwargs)
    if url:
        parsed = urlparse(url if "://" in url else f"redis://{url}")
        settings["host"] = parsed.hostname or "localhost"
        if parsed.port:
            settings["port"] = parsed.port
        if parsed.path.strip("/"):
            settings["db"] = int(parsed.path.strip("/"))
        if parsed.username:
            settings["username"] = unquote(parsed.username)
        if parsed.password:
            settings["password"] = unquote(parsed.password)
        settings["use_ssl"] = parsed.scheme == "rediss"
    known = ("host", "port", "db", "username", "password", "use_ssl", "ssl_certfile", "ssl_keyfile", "ssl_ca_certs",
             "key_prefix", "socket_timeout")
    settings.update({key: value for key, value in extra.items() if key in known and value is not None})
    settings.setdefault("socket_timeout", SOCKET_TIMEOUT_SECONDS)
    return settings


class RedisAvailability:
    """Whether Redis answers, since when it does not, and when to try it again. Thread-safe (health
    checks run the probe in a worker thread)."""

    def __init__(self, ping: Callable[[], Any], where: str, probe_interval: float = PROBE_INTERVAL_SECONDS) -> None:
        self._ping, self.where, self.probe_interval = ping, where, probe_interval
        self._lock = threading.Lock()
        self.problem: Optional[str] = None          # None while Redis is in use
        self.down_since: Optional[float] = None      # wall-clock time of the failure
        self._next_probe = 0.0

    @property
    def up(self) -> bool:
        return self.problem is None

    def mark_down(self, error: BaseException) -> None:
        """Redis failed: fall back (logged once per outage)."""
        with self._lock:
            first = self.problem is None
            self.problem = f"Redis at {self.where} unreachable: {type(error).__name__}: {error}"
            if first:
                self.down_since = time.time()
                self._next_probe = time.monotonic() + self.probe_interval
        if first:
            logger.warning("lock store: %s; locking conversations in this process until it answers again",
                           self.problem)

    def usable(self) -> bool:
        """True when Redis is in use; while it is down, probe it when the interval has passed."""
        if self.problem is None:
            return True
        with self._lock:
            if time.monotonic() < self._next_probe:
                return False
            self._next_probe = time.monotonic() + self.probe_interval
        try:
            self._ping()
        except REDIS_ERRORS as error:
            with self._lock:
                self.problem = f"Redis at {self.where} unreachable: {type(error).__name__}: {error}"
            return False
        with self._lock:
            outage = time.time() - (self.down_since or time.time())
            self.problem, self.down_since = None, None
        logger.warning("lock store: Redis at %s answers again after %.0f s; locking conversations in Redis",
                       self.where, outage)
        return True

    def report(self) -> Dict[str, Any]:
        """The ``lock_store`` part of ``GET /health``."""
        self.usable()   # notices a recovery even when no message arrives
        if self.problem is None:
            return {"status": OK, "backend": "redis", "redis": self.where}
        return {"status": DEGRADED, "backend": "in-process", "redis": self.where, "problem": self.problem,
                "since": round(self.down_since or 0.0)}


class FallbackRedisLockStore(RedisLockStore):
    """Redis lock store with atomic ticket updates and an in-process fallback while Redis is down."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        settings = redis_settings(endpoint_config, **kwargs)
        super().__init__(**settings)
        self.red.connection_pool.connection_kwargs["socket_connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        where = f"{settings.get('host', 'localhost')}:{settings.get('port', 6379)}/{settings.get('db', 1)}"
        self.availability = RedisAvailability(self.red.ping, where)
        self.fallback = InMemoryLockStore()
        health.register("lock_store", self._health)

    async def _health(self) -> Dict[str, Any]:
        return await asyncio.to_thread(self.availability.report)

    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        """Rasa's ticket lock for ``conversation_id``, in Redis or (Redis down) in this process."""
        store = self._store_for(conversation_id)
        if store is not self:
            async with self.fallback.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as held:
                yield held
            return
        try:
            ticket = self.issue_ticket(conversation_id, lock_lifetime)
            held = await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        except LockError as error:
            if not isinstance(error.__cause__, REDIS_ERRORS):
                raise
            self.availability.mark_down(error.__cause__)
            async with self.fallback.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as held:
                yield held
            return
        try:
            yield held
        finally:
            self._release(conversation_id, ticket)

    def _store_for(self, conversation_id: str) -> LockStore:
        """This store (Redis) or the in-process fallback; a conversation locked in-process stays there."""
        if self.fallback.get_lock(conversation_id) is not None:
            return self.fallback
        return self if self.availability.usable() else self.fallback

    async def _acquire_lock(self, conversation_id: str, ticket: int, wait_time_in_seconds: float) -> TicketLock:
        try:
            return await super()._acquire_lock(conversation_id, ticket, wait_time_in_seconds)
        except REDIS_ERRORS as error:
            raise LockError(f"Redis failed while waiting for the lock of {conversation_id}") from error

    def _release(self, conversation_id: str, ticket: int) -> None:
        """Give the ticket back; a Redis failure here only leaves a ticket that expires by itself."""
        try:
            self.cleanup(conversation_id, ticket)
        except REDIS_ERRORS as error:
            self.availability.mark_down(error)

    # -- atomic read-change-write of one conversation's lock ------------------------------------------
    def _atomically(self, conversation_id: str, change: Change) -> Any:
        """Apply ``change`` to the stored lock in one optimistic transaction; return its result. The
        key is deleted when no ticket is left and otherwise expires after its last ticket (+ a grace)."""
        key = self.key_prefix + conversation_id
        outcome: list = []

        def apply(pipe: redis.client.Pipeline) -> None:
            outcome.clear()
            raw = pipe.get(key)
            current = TicketLock.from_dict(json.loads(raw)) if raw else None
            updated, result = change(current)
            outcome.append(result)
            pipe.multi()
            if updated is None or not updated.tickets:
                pipe.delete(key)
            else:
                last_expiry = max(t.expires for t in updated.tickets)
                pipe.set(key, updated.dumps(), ex=max(1, int(last_expiry - time.time()) + KEY_GRACE_SECONDS))

        self.red.transaction(apply, key)
        return outcome[0]

    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        def issue(current: Optional[TicketLock]) -> Tuple[TicketLock, int]:
            lock = current or self.create_lock(conversation_id)
            return lock, lock.issue_ticket(lock_lifetime)

        try:
            return self._atomically(conversation_id, issue)
        except Exception as error:  # noqa: BLE001 - same contract as Rasa: LockError, cause attached
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error

    def update_lock(self, conversation_id: str) -> None:
        def drop_expired(current: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if current is not None:
                current.remove_expired_tickets()
            return current, None

        self._atomically(conversation_id, drop_expired)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        def finish(current: Optional[TicketLock]) -> Tuple[Optional[TicketLock], None]:
            if current is not None:
                current.remove_ticket_for(ticket_number)
            return current, None

        self._atomically(conversation_id, finish)

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; the key goes when nobody else waits (one transaction, no window in between)."""
        self.finish_serving(conversation_id, ticket_number)
