"""``bot.lock_store.FallbackRedisLockStore`` against a private ``redis-server`` (port 16460): tickets are
atomic across processes, two processes never hold one conversation's lock at once, a SIGKILLed process's
tickets are dropped once its heartbeat expires while a slow live holder keeps its lock, and when Redis goes
away locks fall back to the process (one log line, health degraded) and return to Redis once it answers."""
from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Iterator, List, Optional

import pytest
import redis
from rasa.utils.endpoints import EndpointConfig

from bot.health import DEGRADED, OK, health
from bot.local_services import PrivateRedis
from bot.lock_store import HEARTBEAT_TTL_SECONDS, FallbackRedisLockStore, redis_settings

REDIS_PORT = 16460
ROOT = Path(__file__).resolve().parents[2]
_opened: List[FallbackRedisLockStore] = []


@pytest.fixture()
def private_redis(tmp_path) -> Iterator[PrivateRedis]:
    server = PrivateRedis(REDIS_PORT, tmp_path / "redis").start()
    yield server
    server.remove()


@pytest.fixture(autouse=True)
def close_stores() -> Iterator[None]:
    """Stop the heartbeat threads of the stores a test opened."""
    yield
    while _opened:
        _opened.pop().close()


def new_store(server: PrivateRedis) -> FallbackRedisLockStore:
    """A store as Rasa builds it from the endpoints file (``LockStore.create`` passes ``endpoint_config``)."""
    store = FallbackRedisLockStore(endpoint_config=EndpointConfig(url=server.url, key_prefix="test"))
    store.availability.probe_interval = 0.2
    _opened.append(store)
    return store


def client() -> redis.Redis:
    return redis.Redis(port=REDIS_PORT, db=1)


# A process holding conversations' locks (argv: Redis URL, seconds to hold, conversations) during a slow turn
# that blocks its event loop; it says "held <owner>", then "kept" or "lost" (whether its tickets are still
# first in every queue) and releases them.
HOLDER = """
import asyncio, contextlib, sys, time
from rasa.utils.endpoints import EndpointConfig
from bot.lock_store import FallbackRedisLockStore

url, hold_s, conversations = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
store = FallbackRedisLockStore(endpoint_config=EndpointConfig(url=url, key_prefix="test"))

def first_in_queue(conversation):
    lock = store.get_lock(conversation)
    return lock is not None and lock.now_serving == 0

async def hold():
    async with contextlib.AsyncExitStack() as stack:
        for conversation in conversations:
            await stack.enter_async_context(store.lock(conversation, lock_lifetime=60))
        print("held", store.owner, flush=True)
        time.sleep(hold_s)
        print("kept" if all(map(first_in_queue, conversations)) else "lost", flush=True)

asyncio.run(hold())
"""


class Holder:
    """:data:`HOLDER` as a separate process, with its output read line by line."""

    def __init__(self, server: PrivateRedis, hold_s: float, *conversations: str) -> None:
        path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-c", HOLDER, server.url, str(hold_s), *conversations], cwd=ROOT, text=True,
            stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": path})
        self._lines: "queue.Queue[str]" = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.process.stdout:
            self._lines.put(line.strip())

    def said(self, word: str, timeout: float) -> str:
        """The rest of the next line, which must start with ``word``; AssertionError after ``timeout``."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"holder did not say {word!r} within {timeout:.0f} s") from None
        assert line.split(" ")[0] == word, line
        return line[len(word):].strip()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait(timeout=30)


@contextlib.contextmanager
def holder(server: PrivateRedis, hold_s: float, *conversations: str) -> Iterator[Holder]:
    process = Holder(server, hold_s, *conversations)
    try:
        yield process
    finally:
        process.stop()


async def seconds_to_acquire(store: FallbackRedisLockStore, conversation: str, wait_s: float,
                             timeout: float) -> float:
    """How long taking the conversation's lock took (it is released at once); TimeoutError after ``timeout``."""
    started = time.monotonic()

    async def take() -> float:
        async with store.lock(conversation, lock_lifetime=60, wait_time_in_seconds=wait_s):
            return time.monotonic() - started

    return await asyncio.wait_for(take(), timeout)


def test_settings_come_from_the_url_and_the_endpoint_keys():
    config = EndpointConfig(url="redis://:s3cret@redis.internal:6380/2", key_prefix="kriptocs")
    settings = redis_settings(config)
    assert settings == {"host": "redis.internal", "port": 6380, "db": 2, "password": "s3cret", "use_ssl": False,
                        "key_prefix": "kriptocs", "socket_timeout": 2.0}
    bare = redis_settings(EndpointConfig(url="localhost", port=6379, db=1))
    assert (bare["host"], bare["port"], bare["db"]) == ("localhost", 6379, 1)


def test_tickets_issued_by_two_processes_at_once_are_all_different(private_redis):
    """Rasa's own RedisLockStore reads, changes and writes the lock separately, so two processes issuing
    at the same moment can get the same ticket number; here every number is issued exactly once."""
    stores = [new_store(private_redis), new_store(private_redis)]   # two "processes": own clients, no shared state
    conversation = f"race-{uuid.uuid4().hex[:6]}"

    def issue(index: int) -> List[int]:
        return [stores[index % 2].issue_ticket(conversation, 120) for _ in range(100)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = [n for batch in pool.map(issue, range(4)) for n in batch]
    assert sorted(numbers) == list(range(400))


def test_two_processes_never_hold_the_same_conversation_at_once(private_redis):
    conversation, inside, overlaps, entered = f"mutex-{uuid.uuid4().hex[:6]}", [0], [], []
    guard = threading.Lock()

    def process(store: FallbackRedisLockStore) -> None:
        async def handle_messages() -> None:
            for _ in range(5):
                async with store.lock(conversation, lock_lifetime=30, wait_time_in_seconds=0.01):
                    with guard:
                        inside[0] += 1
                        overlaps.append(inside[0])
                        entered.append(1)
                    await asyncio.sleep(0.02)
                    with guard:
                        inside[0] -= 1
        asyncio.run(handle_messages())

    threads = [threading.Thread(target=process, args=(new_store(private_redis),)) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(entered) == 15 and max(overlaps) == 1, overlaps
    assert client().keys("test:lock:*") == [] and client().keys("test:owners:*") == [], \
        "released locks leave no key behind"


async def held_in_redis(store: FallbackRedisLockStore, conversation: str) -> bool:
    """Take the conversation's lock and say whether Redis holds it meanwhile."""
    async with store.lock(conversation, wait_time_in_seconds=0.01):
        try:
            return bool(redis.Redis(port=REDIS_PORT, db=1).exists(f"test:lock:{conversation}"))
        except redis.exceptions.ConnectionError:
            return False


def test_redis_down_falls_back_to_the_process_then_returns(private_redis, caplog):
    store = new_store(private_redis)
    store.heartbeat_every = 600   # its thread renews the heartbeat once: afterwards only tickets do
    conversation = f"down-{uuid.uuid4().hex[:6]}"
    assert asyncio.run(held_in_redis(store, conversation))
    assert asyncio.run(health.report())[1]["parts"]["lock_store"]["status"] == OK

    private_redis.stop(hard=True)
    with caplog.at_level(logging.WARNING, logger="bot.lock_store"):
        for _ in range(5):   # messages keep being handled, locked in this process
            assert asyncio.run(held_in_redis(store, conversation)) is False
    falling_back = [r for r in caplog.records if "locking conversations in this process" in r.getMessage()]
    assert len(falling_back) == 1, [r.getMessage() for r in caplog.records]
    status, body = asyncio.run(health.report())
    part = body["parts"]["lock_store"]
    assert status == 200 and part["status"] == DEGRADED and part["backend"] == "in-process"
    assert f"127.0.0.1:{REDIS_PORT}" in part["problem"] and "unreachable" in part["problem"]

    private_redis.start()   # empty: this process's heartbeat key is gone too
    asyncio.run(asyncio.wait_for(until(lambda: store.availability.usable()), 10))
    assert asyncio.run(health.report())[1]["parts"]["lock_store"]["status"] == OK
    assert not client().exists(f"test:alive:{store.owner}")
    assert asyncio.run(held_in_redis(store, conversation)), "new locks are taken in Redis again"
    assert client().pttl(f"test:alive:{store.owner}") > 0, "with the heartbeat renewed along with the ticket"


def test_a_killed_holders_tickets_are_dropped_once_its_heartbeat_expires(private_redis, caplog):
    """Before: the other process waited for the ticket's 60 s lifetime. Now: the heartbeat's TTL."""
    store = new_store(private_redis)
    first, second = f"killed-{uuid.uuid4().hex[:6]}", f"killed-{uuid.uuid4().hex[:6]}"
    with holder(private_redis, 600, first, second) as held:
        owner = held.said("held", timeout=60)
        assert client().hgetall(f"test:owners:{first}") == {b"0": owner.encode()}
        assert client().pttl(f"test:alive:{owner}") > 0
        held.process.send_signal(signal.SIGKILL)
        held.process.wait(timeout=10)
        killed_at = time.monotonic()
        beat_left_s = client().pttl(f"test:alive:{owner}") / 1000
        with caplog.at_level(logging.WARNING, logger="bot.lock_store"):
            waited = asyncio.run(seconds_to_acquire(store, first, wait_s=0.5, timeout=30))
            freed_at = time.monotonic()
            assert asyncio.run(seconds_to_acquire(store, second, wait_s=0.5, timeout=30)) < 0.5, \
                "its other conversation was freed along with the first"
    assert beat_left_s - 0.1 <= freed_at - killed_at <= HEARTBEAT_TTL_SECONDS + 1, (beat_left_s, waited)
    dropped = [r.getMessage() for r in caplog.records if "stopped renewing its heartbeat" in r.getMessage()]
    assert dropped == [f"lock store: process {owner} stopped renewing its heartbeat; dropped its tickets in 2 "
                       "conversation(s)"], [r.getMessage() for r in caplog.records]


def test_a_live_holder_keeps_its_lock_longer_than_the_heartbeat_ttl(private_redis):
    """A slow turn (here one that even blocks the holder's event loop) keeps the lock; the other waits."""
    store = new_store(private_redis)
    conversation, hold_s = f"slow-{uuid.uuid4().hex[:6]}", HEARTBEAT_TTL_SECONDS + 3
    with holder(private_redis, hold_s, conversation) as held:
        held.said("held", timeout=60)
        waited = asyncio.run(seconds_to_acquire(store, conversation, wait_s=0.2, timeout=hold_s + 30))
        assert held.said("kept", timeout=10) == ""
        assert held.process.wait(timeout=30) == 0
    assert waited >= hold_s - 1, f"took the lock after {waited:.1f} s while it was held {hold_s:.0f} s"


def issue_in_fork(store: FallbackRedisLockStore, conversation: str) -> None:
    store.issue_ticket(conversation, 60)


def test_a_forked_worker_holds_its_tickets_under_its_own_name(private_redis):
    store = new_store(private_redis)
    parents, childs = f"parent-{uuid.uuid4().hex[:6]}", f"child-{uuid.uuid4().hex[:6]}"
    store.issue_ticket(parents, 60)
    worker = multiprocessing.get_context("fork").Process(target=issue_in_fork, args=(store, childs))
    worker.start()
    worker.join(timeout=60)
    assert worker.exitcode == 0
    parent_owner = client().hget(f"test:owners:{parents}", "0").decode()
    child_owner = client().hget(f"test:owners:{childs}", "0").decode()
    assert parent_owner == store.owner and f":{os.getpid()}:" in parent_owner
    assert f":{worker.pid}:" in child_owner and child_owner != parent_owner
    assert client().exists(f"test:alive:{parent_owner}", f"test:alive:{child_owner}") == 2


def test_closing_the_store_deletes_its_heartbeat(private_redis):
    store = new_store(private_redis)
    store.issue_ticket(f"close-{uuid.uuid4().hex[:6]}", 60)
    assert client().exists(f"test:alive:{store.owner}")
    store.close()
    assert not client().exists(f"test:alive:{store.owner}")


def test_a_cancelled_wait_gives_its_ticket_back(private_redis):
    store, other = new_store(private_redis), new_store(private_redis)
    conversation = f"cancel-{uuid.uuid4().hex[:6]}"

    def tickets() -> int:
        lock = store.get_lock(conversation)
        return len(lock.tickets) if lock else 0

    async def wait_then_cancel() -> Optional[int]:
        async with store.lock(conversation, lock_lifetime=60):
            waiting = asyncio.ensure_future(seconds_to_acquire(other, conversation, wait_s=0.05, timeout=60))
            await asyncio.wait_for(until(lambda: tickets() == 2), 10)
            waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await waiting
            return tickets()

    assert asyncio.run(wait_then_cancel()) == 1, "the cancelled waiter's ticket is gone"
    assert tickets() == 0


async def until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0.02)
