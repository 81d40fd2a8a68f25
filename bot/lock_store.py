"""Rasa's Redis lock store, made atomic across processes, quick to free a dead process's tickets, and able to
survive Redis going away.

Referenced from the endpoints file by its module path::

    lock_store:
      type: bot.lock_store.FallbackRedisLockStore
      url: redis://127.0.0.1:6379/1          # or a host name, with port / db / password keys
      key_prefix: kriptocs

Three changes to :class:`rasa.core.lock_store.RedisLockStore`:

1. **Atomic tickets.** Rasa's version reads a conversation's lock, changes it and writes it back with
   separate commands; two processes (Sanic workers, replicas) doing that for the same conversation at
   the same moment can overwrite each other's ticket and both go ahead (the race behind rasa PR #11256).
   Here every read-change-write is one optimistic Redis transaction (``WATCH``/``MULTI``/``EXEC``,
   repeated when another process changed the key in between). A ticket whose wait is cancelled is given
   back at once instead of blocking the conversation until it expires.
2. **A dead process's tickets expire within seconds.** A ticket lives ``TICKET_LOCK_LIFETIME`` (60 s), so a
   process killed while holding one used to stall that conversation's next message on another replica
   for up to a minute. Now every process (each Sanic worker: the owner is per process id,
   :func:`bot.singleton.process_owner`) keeps a heartbeat key ``<prefix>:alive:<owner>`` that expires after
   :data:`HEARTBEAT_TTL_SECONDS` and is renewed every :data:`HEARTBEAT_EVERY_SECONDS` by a daemon thread (so
   a turn that blocks the event loop does not stop it), and each ticket's owner is kept in the hash
   ``<prefix>:owners:<conversation>`` (ticket number -> owner), written in the same transaction as the
   ticket and expiring with the lock key. Whenever tickets are checked (issuing one, and ``update_lock``,
   which Rasa calls between attempts while waiting), the tickets of owners whose heartbeat key is gone are
   dropped in that transaction; the first process to notice a dead owner also frees that owner's other
   conversations and logs one line (owner, conversation count). A live process keeps its tickets for the
   full lifetime however slow its turn. A process only removes its own tickets (or ones without an owner,
   written before this change), so a ticket number reused after the key was dropped is safe.
   ``<prefix>`` is the configured ``key_prefix`` (lock keys stay ``<prefix>:lock:<conversation>``).
3. **Redis down is a clear degraded state.** When Redis cannot be reached, locks are taken in this
   process instead (one warning in the log), ``GET /health`` shows part ``lock_store`` as degraded with the
   problem, and Redis is tried again at most every :data:`PROBE_INTERVAL_SECONDS`; once it answers, new
   locks go to Redis again (one log line). A conversation whose lock is held in this process stays there
   until it is released, so switching back never lets two of its messages run at once here. While
   degraded, only this process is serialised: with hash routing (deploy/haproxy.cfg) one conversation's
   messages reach one replica, so with one Sanic worker per replica nothing is lost. The heartbeat
   cannot be renewed meanwhile, so tickets this process left in Redis count as dead once its key expired
   and other processes drop them; back on Redis, every ticket it issues renews its heartbeat in the same
   transaction, so none is ever issued without a live heartbeat.

Not guaranteed: a live process whose heartbeat cannot be renewed for :data:`HEARTBEAT_TTL_SECONDS` (Redis
unreachable from it only, or the process starved) loses its tickets to others while its turn still runs;
it logs a warning when it renews the key again.
"""
from __future__ import annotations

import asyncio
import atexit
import json
import logging
import os
import threading
import time
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, AsyncIterator, Callable, Dict, Iterable, List, Optional, Set, Tuple, TypeVar, cast
from urllib.parse import unquote, urlparse

import redis
from rasa.core.lock import TicketLock
from rasa.core.lock_store import (
    DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX,
    LOCK_LIFETIME,
    InMemoryLockStore,
    LockError,
    LockStore,
    RedisLockStore,
)
from rasa.utils.endpoints import EndpointConfig

from bot.health import DEGRADED, OK, health
from bot.singleton import process_owner

logger = logging.getLogger(__name__)

PROBE_INTERVAL_SECONDS = 3.0        # while Redis is down, try it again at most this often
CONNECT_TIMEOUT_SECONDS = 1.0       # a Redis that does not accept the connection is "down" quickly
SOCKET_TIMEOUT_SECONDS = 2.0        # ... and one that stops answering (calls block the event loop)
KEY_GRACE_SECONDS = 60              # a lock key outlives its last ticket by this much, then Redis drops it
HEARTBEAT_TTL_SECONDS = 5.0         # a process whose heartbeat key is this old counts as dead
HEARTBEAT_EVERY_SECONDS = 1.5       # ... and a live one renews it this often
REDIS_ERRORS = (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)

Result = TypeVar("Result")


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


@dataclass
class TicketQueue:
    """One conversation's tickets (Rasa's :class:`TicketLock`) and the process that holds each."""

    lock: TicketLock
    owners: Dict[int, str] = field(default_factory=dict)     # ticket number -> owner; missing: unknown

    @classmethod
    def read(cls, conversation_id: str, raw_lock: Optional[bytes], raw_owners: Dict[bytes, bytes]) -> "TicketQueue":
        """The queue from the stored lock (JSON, or None) and owners hash (as Redis returns them)."""
        lock = TicketLock.from_dict(json.loads(raw_lock)) if raw_lock else TicketLock(conversation_id)
        owners = {int(number): owner.decode() for number, owner in raw_owners.items()}
        return cls(lock, owners)

    @property
    def numbers(self) -> Set[int]:
        return {ticket.number for ticket in self.lock.tickets}

    def holders(self) -> Set[str]:
        """The owners of the tickets in the queue."""
        return {self.owners[number] for number in self.numbers if number in self.owners}

    def current_owners(self) -> Dict[int, str]:
        """The owners of the tickets still in the queue (what to store)."""
        return {number: owner for number, owner in self.owners.items() if number in self.numbers}

    def issue(self, lifetime: float, owner: str) -> int:
        """A new ticket held by ``owner``."""
        number = self.lock.issue_ticket(lifetime)
        self.owners[number] = owner
        return number

    def drop_held_by(self, dead: Set[str]) -> bool:
        """Remove the tickets of ``dead`` owners; whether there were any."""
        doomed = [t for t in self.lock.tickets if self.owners.get(t.number) in dead]
        for ticket in doomed:
            self.lock.tickets.remove(ticket)
        return bool(doomed)

    def give_back(self, number: int, owner: str) -> None:
        """Remove ticket ``number`` if ``owner`` holds it (or its owner is unknown): a number reused after
        the key was dropped belongs to someone else."""
        if self.owners.get(number, owner) == owner:
            self.lock.remove_ticket_for(number)

    def remove_expired(self) -> None:
        self.lock.remove_expired_tickets()


class Heartbeat:
    """This process's key ``alive_key`` in Redis, renewed by a daemon thread until :meth:`stop`."""

    def __init__(self, red: redis.Redis, alive_key: str, ttl: float = HEARTBEAT_TTL_SECONDS,
                 every: float = HEARTBEAT_EVERY_SECONDS) -> None:
        self.red, self.key, self.ttl, self.every = red, alive_key, ttl, every
        self.pid = os.getpid()
        self._stopping = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._renewed_at: Optional[float] = None    # monotonic time of the last renewal by the thread

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Keep the key alive from now on (idempotent)."""
        if self.running and not self._stopping.is_set():
            return
        self._stopping = threading.Event()   # a thread still finishing after stop() keeps its own
        self._thread = threading.Thread(target=self._run, args=(self._stopping,), name="lock-store-heartbeat",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop renewing and delete the key, so others may take this process's tickets at once (only in the
        process it belongs to: a fork inherits the object, and the exit handlers, but not the thread)."""
        if os.getpid() != self.pid:
            return
        self._stopping.set()
        if self.running and self._thread is not threading.current_thread():
            assert self._thread is not None   # running says so
            self._thread.join(timeout=self.every + SOCKET_TIMEOUT_SECONDS)
        try:
            self.red.delete(self.key)
        except REDIS_ERRORS as error:
            logger.debug("lock store: heartbeat %s not deleted (%s); it expires by itself", self.key, error)

    def renew(self) -> None:
        """Set the key for another ``ttl``; warn when it had lapsed since the last renewal."""
        pipe = self.red.pipeline(transaction=False)
        pipe.exists(self.key)
        pipe.set(self.key, "1", px=int(self.ttl * 1000))
        existed, _ = pipe.execute()
        now = time.monotonic()
        if not existed and self._renewed_at is not None:
            logger.warning("lock store: heartbeat %s had lapsed (%.1f s since its last renewal); conversations "
                           "this process held may have been taken over", self.key, now - self._renewed_at)
        self._renewed_at = now

    def _run(self, stopping: threading.Event) -> None:
        while not stopping.is_set():
            try:
                self.renew()
            except REDIS_ERRORS as error:   # Redis down: the message path notices and falls back
                logger.debug("lock store: heartbeat not renewed: %s", error)
            stopping.wait(self.every)


class FallbackRedisLockStore(RedisLockStore):
    """Redis lock store with atomic ticket updates, heartbeats that free a dead process's tickets, and an
    in-process fallback while Redis is down."""

    def __init__(self, endpoint_config: Optional[EndpointConfig] = None, **kwargs: Any) -> None:
        settings = redis_settings(endpoint_config, **kwargs)
        super().__init__(**settings)
        self.red.connection_pool.connection_kwargs["socket_connect_timeout"] = CONNECT_TIMEOUT_SECONDS
        where = f"{settings.get('host', 'localhost')}:{settings.get('port', 6379)}/{settings.get('db', 1)}"
        self.availability = RedisAvailability(self.red.ping, where)
        self.fallback = InMemoryLockStore()
        self.namespace = self.key_prefix[:-len(DEFAULT_REDIS_LOCK_STORE_KEY_PREFIX)]   # "<prefix>:" or ""
        self.heartbeat_ttl, self.heartbeat_every = HEARTBEAT_TTL_SECONDS, HEARTBEAT_EVERY_SECONDS
        self._heartbeat: Optional[Heartbeat] = None
        self._reported_dead: Set[str] = set()
        health.register("lock_store", self._health)

    async def _health(self) -> Dict[str, Any]:
        return await asyncio.to_thread(self.availability.report)

    # -- keys and the heartbeat --------------------------------------------------------------------------------
    @property
    def owner(self) -> str:
        """Who holds this process's tickets (per process id, so each forked Sanic worker is its own)."""
        return process_owner()

    def alive_key(self, owner: str) -> str:
        return f"{self.namespace}alive:{owner}"

    def owners_key(self, conversation_id: str) -> str:
        return f"{self.namespace}owners:{conversation_id}"

    def heartbeat(self) -> Heartbeat:
        """This process's heartbeat, renewed from the first ticket it issues in Redis on (a fork gets its own)."""
        beat = self._heartbeat
        if beat is None or beat.pid != os.getpid():
            beat = self._heartbeat = Heartbeat(self.red, self.alive_key(self.owner), self.heartbeat_ttl,
                                               self.heartbeat_every)
            atexit.register(beat.stop)
        beat.start()
        return beat

    def close(self) -> None:
        """Stop this process's heartbeat and delete its key (also run at interpreter exit)."""
        if self._heartbeat is not None:
            self._heartbeat.stop()

    # -- the lock Rasa takes per message --------------------------------------------------------------------
    @asynccontextmanager
    async def lock(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME,
                   wait_time_in_seconds: float = 1) -> AsyncIterator[TicketLock]:
        """Rasa's ticket lock for ``conversation_id``, in Redis or (Redis down) in this process."""
        held = None
        if self._store_for(conversation_id) is self:
            held = await self._hold_in_redis(conversation_id, lock_lifetime, wait_time_in_seconds)
        if held is None:
            async with self.fallback.lock(conversation_id, lock_lifetime, wait_time_in_seconds) as in_process:
                yield in_process
            return
        lock, ticket = held
        try:
            yield lock
        finally:
            self._release(conversation_id, ticket)

    async def _hold_in_redis(self, conversation_id: str, lock_lifetime: float,
                             wait_time_in_seconds: float) -> Optional[Tuple[TicketLock, int]]:
        """Wait for the lock in Redis: the lock and this ticket, or None when Redis failed (now marked down).
        A wait that ends otherwise (cancelled, lock lost) gives the ticket back."""
        try:
            ticket = self.issue_ticket(conversation_id, lock_lifetime)
        except LockError as error:
            self._mark_down_or_raise(error)
            return None
        try:
            return await self._acquire_lock(conversation_id, ticket, wait_time_in_seconds), ticket
        except LockError as error:
            if not isinstance(error.__cause__, REDIS_ERRORS):
                self._release(conversation_id, ticket)
            self._mark_down_or_raise(error)
            return None
        except BaseException:
            self._release(conversation_id, ticket)
            raise

    def _mark_down_or_raise(self, error: LockError) -> None:
        """Fall back when Redis caused ``error``; any other lock error goes to Rasa."""
        if not isinstance(error.__cause__, REDIS_ERRORS):
            raise error
        self.availability.mark_down(error.__cause__)

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

    # -- atomic read-change-write of one conversation's tickets --------------------------------------------
    def _atomically(self, conversation_id: str, change: Callable[[TicketQueue], Result],
                    renew_heartbeat: bool = False) -> Result:
        """Apply ``change`` to the conversation's tickets in one transaction (after dropping dead owners'
        tickets, see :meth:`_transact`); return its result."""
        result, dead = self._transact(conversation_id, change, renew_heartbeat)
        if dead:
            self._free_dead_owners(dead)
        return result

    def _transact(self, conversation_id: str, change: Callable[[TicketQueue], Result],
                  renew_heartbeat: bool = False) -> Tuple[Result, Set[str]]:
        """One optimistic transaction: drop the tickets of owners without a heartbeat, apply ``change``,
        store the lock and its owners (deleted when no ticket is left, else expiring after the last ticket
        plus a grace) and, with ``renew_heartbeat``, this process's heartbeat. Returns the change's result
        and the dead owners whose tickets were dropped."""
        key, owners_key, me = self.key_prefix + conversation_id, self.owners_key(conversation_id), self.owner
        outcome: List[Tuple[Result, Set[str]]] = []

        def apply(pipe: redis.client.Pipeline) -> None:
            outcome.clear()
            # Before multi(), a watching pipeline runs each command at once and returns its reply (types-redis
            # types every pipeline command as returning the pipeline).
            raw_lock = cast(Optional[bytes], pipe.get(key))
            raw_owners = cast(Dict[bytes, bytes], pipe.hgetall(owners_key))
            queue = TicketQueue.read(conversation_id, raw_lock, raw_owners)
            queue.remove_expired()
            dead = self._without_heartbeat(pipe, queue.holders() - {me})
            queue.drop_held_by(dead)
            outcome.append((change(queue), dead))
            pipe.multi()
            self._store(pipe, key, owners_key, queue)
            if renew_heartbeat:
                pipe.set(self.alive_key(me), "1", px=int(self.heartbeat_ttl * 1000))

        self.red.transaction(apply, key, owners_key)
        return outcome[0]

    def _without_heartbeat(self, pipe: redis.client.Pipeline, owners: Iterable[str]) -> Set[str]:
        """Those of ``owners`` whose heartbeat key is gone."""
        owners = sorted(owners)
        if not owners:
            return set()
        alive_keys = [self.alive_key(owner) for owner in owners]
        beats = cast(List[Optional[bytes]], pipe.mget(alive_keys))   # before multi(): see _transact
        return {owner for owner, beat in zip(owners, beats, strict=True) if beat is None}

    @staticmethod
    def _store(pipe: redis.client.Pipeline, key: str, owners_key: str, queue: TicketQueue) -> None:
        if not queue.lock.tickets:
            pipe.delete(key, owners_key)
            return
        last_expiry = max(t.expires for t in queue.lock.tickets)
        seconds = max(1, int(last_expiry - time.time()) + KEY_GRACE_SECONDS)
        pipe.set(key, queue.lock.dumps(), ex=seconds)
        pipe.delete(owners_key)
        owners = queue.current_owners()
        if owners:
            pipe.hset(owners_key, mapping={str(number): owner for number, owner in owners.items()})
            pipe.expire(owners_key, seconds)

    def _free_dead_owners(self, dead: Set[str]) -> None:
        """First time this process meets a dead owner: drop its tickets in every conversation and log once."""
        for owner in sorted(dead - self._reported_dead):
            self._reported_dead.add(owner)
            freed = 1 + sum(owner in self._transact(conversation, lambda queue: None)[1]
                            for conversation in self._conversations_held_by(owner))
            logger.warning("lock store: process %s stopped renewing its heartbeat; dropped its tickets in %d "
                           "conversation(s)", owner, freed)

    def _conversations_held_by(self, owner: str) -> List[str]:
        """The conversations in which ``owner`` holds a ticket (a scan of the owners hashes)."""
        prefix = self.owners_key("")
        return [key.decode()[len(prefix):] for key in self.red.scan_iter(match=f"{prefix}*", count=500)
                if owner.encode() in self.red.hvals(key)]

    # -- Rasa's ticket operations, each one transaction --------------------------------------------------------
    def issue_ticket(self, conversation_id: str, lock_lifetime: float = LOCK_LIFETIME) -> int:
        """A new ticket held by this process; its heartbeat is renewed in the same transaction."""
        owner = self.owner
        try:
            ticket = self._atomically(conversation_id, lambda queue: queue.issue(lock_lifetime, owner),
                                      renew_heartbeat=True)
        except Exception as error:  # noqa: BLE001 - same contract as Rasa: LockError, cause attached
            raise LockError(f"Error while acquiring lock. Error:\n{error}") from error
        self.heartbeat()
        return ticket

    def update_lock(self, conversation_id: str) -> None:
        """Drop expired tickets and those of dead processes (Rasa calls this between attempts)."""
        self._atomically(conversation_id, lambda queue: None)

    def finish_serving(self, conversation_id: str, ticket_number: int) -> None:
        owner = self.owner
        self._atomically(conversation_id, lambda queue: queue.give_back(ticket_number, owner))

    def cleanup(self, conversation_id: str, ticket_number: int) -> None:
        """Remove the ticket; the key goes when nobody else waits (one transaction, no window in between)."""
        self.finish_serving(conversation_id, ticket_number)
