"""Leases for background singletons, on SQLite and PostgreSQL: one holder wins, renewals, release and expiry
hand-over; and ``SingletonJob`` starting and stopping its job as the lease comes and goes."""
from __future__ import annotations

import asyncio
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, List

import pytest

from bot.singleton import SingletonJob, TaskSlot
from bot.tickets.database import connect
from bot.tickets.leases import LeaseStore

T0 = datetime(2026, 12, 2, 3, 0, tzinfo=timezone.utc)
TTL = timedelta(seconds=30)


@pytest.fixture
def leases(database_url: str) -> Iterator[LeaseStore]:
    database = connect(database_url)
    yield LeaseStore(database)
    database.reader.dispose()


def test_one_holder_wins_and_keeps_it_by_renewing(leases: LeaseStore):
    assert leases.acquire("poll", "worker-a", TTL, now=T0)
    assert not leases.acquire("poll", "worker-b", TTL, now=T0 + timedelta(seconds=1))
    assert leases.acquire("poll", "worker-a", TTL, now=T0 + timedelta(seconds=20))     # renewed until 0:50
    assert not leases.acquire("poll", "worker-b", TTL, now=T0 + timedelta(seconds=40))  # past the first expiry
    assert leases.holder("poll", now=T0 + timedelta(seconds=45)) == "worker-a"
    assert leases.acquire("sweep", "worker-b", TTL, now=T0)                            # names are independent


def test_an_expired_lease_is_handed_over(leases: LeaseStore):
    assert leases.acquire("poll", "worker-a", TTL, now=T0)
    assert leases.holder("poll", now=T0 + TTL) is None
    assert leases.acquire("poll", "worker-b", TTL, now=T0 + TTL)
    assert not leases.acquire("poll", "worker-a", TTL, now=T0 + TTL + timedelta(seconds=1))   # a's renewal fails
    assert leases.holder("poll", now=T0 + TTL + timedelta(seconds=1)) == "worker-b"


def test_a_released_lease_is_free_at_once_and_only_its_owner_releases_it(leases: LeaseStore):
    assert leases.acquire("poll", "worker-a", TTL, now=T0)
    assert not leases.release("poll", "worker-b")
    assert leases.holder("poll", now=T0) == "worker-a"
    assert leases.release("poll", "worker-a")
    assert leases.acquire("poll", "worker-b", TTL, now=T0 + timedelta(seconds=1))


def _contend(leases: LeaseStore, round_: int) -> List[bool]:
    """Eight threads try to acquire the lease at the same moment; whether each got it."""
    moment = T0 + round_ * (TTL + timedelta(seconds=1))
    barrier, results = threading.Barrier(8), [False] * 8

    def contend(index: int) -> None:
        barrier.wait()
        results[index] = leases.acquire("poll", f"worker-{round_}-{index}", TTL, now=moment)

    threads = [threading.Thread(target=contend, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_exactly_one_of_many_simultaneous_contenders_wins(leases: LeaseStore):
    for round_ in range(3):   # a new name (INSERT race), then an expired one twice (UPDATE race)
        results = _contend(leases, round_)
        assert results.count(True) == 1, results


def test_the_database_clock_decides_expiry(leases: LeaseStore):
    assert leases.acquire("poll", "worker-a", timedelta(seconds=1))
    assert not leases.acquire("poll", "worker-b", timedelta(seconds=1))
    time.sleep(1.3)
    assert leases.acquire("poll", "worker-b", timedelta(seconds=1))


# --- SingletonJob -----------------------------------------------------------------------------------------

class Job:
    """Records whether it runs."""

    def __init__(self) -> None:
        self.running = False
        self.starts = 0

    def start(self) -> None:
        self.running = True
        self.starts += 1

    async def stop(self) -> None:
        self.running = False


class FlakyStore:
    """A lease store whose database can be switched off."""

    def __init__(self, store: LeaseStore) -> None:
        self.store, self.down = store, False

    def acquire(self, *args: object, **kwargs: object) -> bool:
        if self.down:
            raise ConnectionError("database unreachable")
        return self.store.acquire(*args, **kwargs)

    def release(self, *args: object, **kwargs: object) -> bool:
        if self.down:
            raise ConnectionError("database unreachable")
        return self.store.release(*args, **kwargs)


class CountedSingletonJob(SingletonJob):
    """A ``SingletonJob`` that counts its finished rounds, so a test can wait for them instead of sleeping."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.rounds = 0
        self._round_done = asyncio.Condition()

    async def step(self) -> None:
        await super().step()
        async with self._round_done:
            self.rounds += 1
            self._round_done.notify_all()

    async def until_round(self, number: int, timeout: float = 10.0) -> None:
        """Return once ``number`` rounds have finished; fail after ``timeout`` seconds."""
        async with self._round_done:
            await asyncio.wait_for(self._round_done.wait_for(lambda: self.rounds >= number), timeout)


def singleton(store: object, job: Job, owner: str, ttl: float = 1.0, every: float = 0.2) -> CountedSingletonJob:
    return CountedSingletonJob("poll", job.start, job.stop, leases=lambda: store, ttl=timedelta(seconds=ttl),
                               renew_every=timedelta(seconds=every), owner=owner)


async def test_only_the_holder_runs_the_job_and_a_crashed_holder_is_replaced_after_the_ttl(leases: LeaseStore):
    job_a, job_b = Job(), Job()
    a, b = singleton(leases, job_a, "worker-a"), singleton(leases, job_b, "worker-b")
    await a.step()
    await b.step()
    assert (job_a.running, job_b.running) == (True, False)
    await a.step()                       # renewed: still only a
    await b.step()
    assert (job_a.running, job_b.running) == (True, False)
    await asyncio.sleep(1.1)             # a "crashes": no renewal for longer than the ttl
    await b.step()
    assert job_b.running
    await a.step()                       # a comes back: the lease is b's now, so a stops its job
    assert (job_a.running, job_b.running) == (False, True)


async def test_a_holder_that_stops_hands_over_within_one_renewal(leases: LeaseStore):
    job_a, job_b = Job(), Job()
    a, b = singleton(leases, job_a, "worker-a", ttl=30.0, every=0.1), singleton(leases, job_b, "worker-b",
                                                                                  ttl=30.0, every=0.1)
    a.launch()
    await a.until_round(1)
    b.launch()
    await b.until_round(2)               # b asked twice while a held the lease: refused both times
    assert (job_a.running, job_b.running) == (True, False)
    await a.close()                      # releases the lease; b takes it at its next round, not after 30 s
    assert not job_a.running
    await b.until_round(b.rounds + 2)    # the round under way may have asked before the release; the next one not
    assert job_b.running and job_b.starts == 1
    await b.close()
    assert leases.holder("poll") is None


async def test_a_holder_that_cannot_renew_stops_before_its_lease_can_expire(leases: LeaseStore):
    flaky, job = FlakyStore(leases), Job()
    holder = singleton(flaky, job, "worker-a", ttl=1.0, every=0.2)
    started = time.monotonic()
    await holder.step()
    assert job.running
    flaky.down = True
    while job.running:
        await asyncio.sleep(0.2)
        await holder.step()
    stopped_after = time.monotonic() - started
    assert 0.7 <= stopped_after < 1.0    # ttl - one renewal interval: before anyone else may take it
    flaky.down = False
    await holder.step()                  # the lease is still its own (not expired, nobody took it)
    assert job.running and job.starts == 2


async def test_task_slot_runs_one_task_and_cancels_it():
    started: List[int] = []
    ended: List[int] = []
    ticked = asyncio.Event()

    async def sweep() -> None:
        started.append(1)
        try:
            while True:
                ticked.set()
                await asyncio.sleep(0.05)
        finally:
            ended.append(1)

    slot = TaskSlot(sweep)
    slot.start()
    slot.start()                         # already running: not a second task
    await asyncio.wait_for(ticked.wait(), timeout=10)
    await slot.stop()
    assert started == [1] and ended == [1]   # one task ran, and stop() ended it (it cannot tick again)


def test_each_forked_worker_is_its_own_owner():
    import multiprocessing

    from bot.singleton import process_owner

    parent = process_owner()
    context = multiprocessing.get_context("fork")   # how Sanic starts its workers
    queue = context.Queue()
    child = context.Process(target=lambda: queue.put(process_owner()))
    child.start()
    owner_in_child = queue.get(timeout=30)
    child.join(timeout=30)
    assert owner_in_child != parent and process_owner() == parent
    assert owner_in_child.split(":")[1] == str(child.pid)
