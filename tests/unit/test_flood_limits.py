"""The per-customer flood limiter and the concurrency cap, on their own (no Rasa; fake clock, asyncio)."""
from __future__ import annotations

import asyncio
from typing import List

import pytest

from bot.limits.capacity import Admission, ConcurrencyCap, Overloaded
from bot.limits.flood import FloodLimiter


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


# --- flood limiter ------------------------------------------------------------------------------------------

def test_the_limit_is_per_rolling_window_not_per_calendar_minute():
    clock = FakeClock()
    limiter = FloodLimiter(3, window_seconds=60, clock=clock)
    accepted = []
    for _ in range(3):
        accepted.append(limiter.allow("budi"))
        clock.advance(10)                          # accepted at 0, 10, 20
    assert accepted == [True, True, True]
    clock.advance(29)                              # t = 59: all three still count
    assert not limiter.allow("budi")
    clock.advance(1)                               # t = 60: the first one has aged out
    assert limiter.allow("budi")
    assert not limiter.allow("budi")               # t = 60: 10, 20 and 60 count
    assert limiter.refused == 2


def test_refused_messages_do_not_push_the_window_forward():
    clock = FakeClock()
    limiter = FloodLimiter(2, window_seconds=60, clock=clock)
    assert limiter.allow("budi") and limiter.allow("budi")
    for _ in range(50):                            # a steady flood for the rest of the minute
        clock.advance(1)
        assert not limiter.allow("budi")
    clock.advance(10)                              # t = 60: served again
    assert limiter.allow("budi")


def test_senders_are_counted_separately():
    limiter = FloodLimiter(1, clock=FakeClock())
    assert limiter.allow(("rest", "budi"))
    assert not limiter.allow(("rest", "budi"))
    assert limiter.allow(("rest", "siti"))
    assert limiter.allow(("telegram", "budi"))     # same id on another channel is another customer


def test_a_notice_is_due_once_per_window_and_topic():
    clock = FakeClock()
    limiter = FloodLimiter(1, window_seconds=60, clock=clock)
    limiter.allow("budi")
    assert limiter.notice_due("budi", "slow_down")
    assert not limiter.notice_due("budi", "slow_down")
    assert limiter.notice_due("budi", "secret")    # another topic has its own allowance
    clock.advance(59)
    assert not limiter.notice_due("budi", "slow_down")
    clock.advance(1)
    assert limiter.notice_due("budi", "slow_down")


def test_idle_senders_are_forgotten():
    clock = FakeClock()
    limiter = FloodLimiter(2, window_seconds=60, clock=clock)
    for number in range(100):
        limiter.allow(f"customer-{number}")
    assert limiter.tracked == 100
    clock.advance(30)
    limiter.allow("budi")
    assert limiter.tracked == 101                  # nobody idle for a whole window yet
    clock.advance(30)
    limiter.allow("siti")
    assert limiter.tracked == 2                    # the hundred went quiet a minute ago; budi and siti remain


def test_forgetting_an_idle_sender_loses_nothing_that_still_counts():
    clock = FakeClock()
    limiter = FloodLimiter(1, window_seconds=60, clock=clock)
    assert limiter.allow("budi") and limiter.notice_due("budi", "slow_down")
    clock.advance(60)
    limiter.allow("siti")                          # budi is forgotten here
    assert limiter.allow("budi") and limiter.notice_due("budi", "slow_down")


def test_memory_is_bounded_even_when_every_message_has_a_new_sender():
    limiter = FloodLimiter(1, clock=FakeClock(), max_senders=50)
    for number in range(1000):
        limiter.allow(f"rotating-{number}")
    assert limiter.tracked == 50 and limiter.evicted == 950
    assert not limiter.allow("rotating-999")       # the most recently active are the ones remembered
    assert limiter.allow("rotating-0")             # the least recently active were dropped


@pytest.mark.parametrize("arguments", [dict(limit=0), dict(limit=5, window_seconds=0), dict(limit=5, max_senders=0)])
def test_nonsense_limits_are_refused(arguments):
    with pytest.raises(ValueError):
        FloodLimiter(**arguments)


# --- concurrency cap ----------------------------------------------------------------------------------------

BOUNDED = Admission(bounded=True)


async def test_messages_beyond_the_cap_and_the_queue_are_refused_with_a_retry_after():
    clock = FakeClock()
    cap = ConcurrencyCap(limit=2, max_queued=0, clock=clock, retry_after=7)
    await cap.acquire(BOUNDED)
    await cap.acquire(BOUNDED)
    with pytest.raises(Overloaded) as refused:
        await cap.acquire(BOUNDED)
    assert refused.value.retry_after == 7
    assert cap.status() == {"max_concurrent": 2, "in_flight": 2, "queued": 0, "max_queued": 0, "rejected": 1}
    assert cap.rejecting()
    clock.advance(61)
    assert not cap.rejecting()                     # degraded only while (recently) refusing
    cap.release()
    await cap.acquire(BOUNDED)                     # a freed slot is usable again
    assert cap.in_flight == 2


async def test_waiting_messages_get_the_slot_in_arrival_order():
    cap = ConcurrencyCap(limit=1, max_queued=2, clock=FakeClock())
    await cap.acquire(BOUNDED)
    served: List[str] = []

    async def customer(name: str) -> None:
        await cap.acquire(BOUNDED)
        served.append(name)

    first, second = asyncio.ensure_future(customer("first")), asyncio.ensure_future(customer("second"))
    await asyncio.sleep(0)
    assert cap.queued == 2
    with pytest.raises(Overloaded):                # the line is full
        await cap.acquire(BOUNDED)
    cap.release()
    await first
    assert served == ["first"] and cap.in_flight == 1 and cap.queued == 1
    cap.release()
    await second
    assert served == ["first", "second"] and cap.in_flight == 1 and cap.queued == 0


async def test_a_newcomer_does_not_jump_the_line():
    cap = ConcurrencyCap(limit=1, max_queued=5, clock=FakeClock())
    await cap.acquire(BOUNDED)
    waiting = asyncio.ensure_future(cap.acquire(BOUNDED))
    await asyncio.sleep(0)
    cap.release()                                  # handed to the waiter, not left free for anyone
    late = asyncio.ensure_future(cap.acquire(BOUNDED))
    await waiting
    await asyncio.sleep(0)
    assert not late.done() and cap.in_flight == 1 and cap.queued == 1
    cap.release()
    await late


async def test_unbounded_messages_wait_even_when_the_line_is_full():
    cap = ConcurrencyCap(limit=1, max_queued=0, clock=FakeClock())
    await cap.acquire(BOUNDED)
    background = [asyncio.ensure_future(cap.acquire(Admission(bounded=False))) for _ in range(3)]
    await asyncio.sleep(0)
    assert cap.queued == 3 and cap.rejected == 0
    for task in background:
        cap.release()
        await task
    assert cap.in_flight == 1 and cap.queued == 0


async def test_a_message_that_waits_too_long_is_refused_and_leaves_the_line():
    cap = ConcurrencyCap(limit=1, max_queued=5, clock=FakeClock())
    await cap.acquire(BOUNDED)
    with pytest.raises(Overloaded):
        await cap.acquire(Admission(bounded=True, max_wait=0.01))
    assert cap.queued == 0 and cap.rejected == 1 and cap.in_flight == 1
    cap.release()
    assert cap.in_flight == 0


async def test_a_cancelled_waiter_leaves_the_line_and_keeps_the_count_right():
    cap = ConcurrencyCap(limit=1, max_queued=5, clock=FakeClock())
    await cap.acquire(BOUNDED)
    waiter = asyncio.ensure_future(cap.acquire(BOUNDED))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert cap.queued == 0
    cap.release()
    assert cap.in_flight == 0


async def test_a_slot_handed_to_a_waiter_cancelled_at_that_moment_is_passed_on():
    cap = ConcurrencyCap(limit=1, max_queued=5, clock=FakeClock())
    await cap.acquire(BOUNDED)
    unlucky = asyncio.ensure_future(cap.acquire(BOUNDED))
    next_in_line = asyncio.ensure_future(cap.acquire(BOUNDED))
    await asyncio.sleep(0)
    cap.release()                                  # the slot goes to ``unlucky``...
    unlucky.cancel()                               # ...which is cancelled before it runs again
    with pytest.raises(asyncio.CancelledError):
        await unlucky
    await next_in_line                             # so the slot moved on instead of leaking
    assert cap.in_flight == 1 and cap.queued == 0
    cap.release()
    assert cap.in_flight == 0


@pytest.mark.parametrize("limit, max_queued", [(0, 5), (1, -1)])
def test_nonsense_caps_are_refused(limit, max_queued):
    with pytest.raises(ValueError):
        ConcurrencyCap(limit, max_queued)
