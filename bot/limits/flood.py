"""Per-customer flood limit: at most ``limit`` messages in any rolling ``window_seconds`` from one sender.

Pure bookkeeping (no Rasa, no I/O; the clock is injected), used by :mod:`bot.channels.intake`. A sliding
window log: each sender keeps the times of its accepted messages in the current window (never more than
``limit`` of them), so refused messages do not push the sender's window forward — a customer who stops
flooding is served again as soon as the oldest accepted message is a window old.

Memory is bounded: senders idle for a whole window are forgotten (losslessly: nothing of theirs still
counts), and at most ``max_senders`` are tracked at once (the least recently active is dropped first).
"""
from __future__ import annotations

import time
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from typing import Callable, Deque, Dict, Hashable

DEFAULT_WINDOW_SECONDS = 60.0
DEFAULT_MAX_SENDERS = 20_000

Clock = Callable[[], float]


@dataclass
class _Sender:
    """What is remembered about one sender: accepted message times and when each kind of notice went out."""

    last_seen: float
    accepted: Deque[float] = field(default_factory=deque)
    notices: Dict[str, float] = field(default_factory=dict)


class FloodLimiter:
    """Counts messages per sender key (e.g. ``(channel, sender_id)``) and refuses the ones over the limit."""

    def __init__(self, limit: int, window_seconds: float = DEFAULT_WINDOW_SECONDS, clock: Clock = time.monotonic,
                 max_senders: int = DEFAULT_MAX_SENDERS) -> None:
        if limit < 1 or window_seconds <= 0 or max_senders < 1:
            raise ValueError("limit, window_seconds and max_senders must be positive")
        self.limit = limit
        self.window_seconds = window_seconds
        self.max_senders = max_senders
        self._clock = clock
        self._senders: "OrderedDict[Hashable, _Sender]" = OrderedDict()   # least recently active first
        self.refused = 0   # messages refused since start
        self.evicted = 0   # active senders dropped because ``max_senders`` were tracked

    @property
    def tracked(self) -> int:
        """How many senders are remembered right now."""
        return len(self._senders)

    def allow(self, key: Hashable) -> bool:
        """Record one message from ``key``; False when it is over the limit (and so must not be handled)."""
        now = self._clock()
        sender = self._touch(key, now)
        while sender.accepted and sender.accepted[0] <= now - self.window_seconds:
            sender.accepted.popleft()
        if len(sender.accepted) < self.limit:
            sender.accepted.append(now)
            return True
        self.refused += 1
        return False

    def notice_due(self, key: Hashable, topic: str) -> bool:
        """True at most once per window for each ``(key, topic)``: whether to tell the sender (again) about
        ``topic`` (e.g. "slow down"). Recorded as sent when True."""
        now = self._clock()
        sender = self._touch(key, now)
        last = sender.notices.get(topic)
        if last is not None and now - last < self.window_seconds:
            return False
        sender.notices[topic] = now
        return True

    def _touch(self, key: Hashable, now: float) -> _Sender:
        """The record of ``key`` (created when new), marked as the most recently active; forgets idle senders."""
        self._forget_idle(now)
        sender = self._senders.get(key)
        if sender is None:
            sender = self._senders[key] = _Sender(last_seen=now)
            if len(self._senders) > self.max_senders:
                self._senders.popitem(last=False)
                self.evicted += 1
        else:
            sender.last_seen = now
            self._senders.move_to_end(key)
        return sender

    def _forget_idle(self, now: float) -> None:
        """Drop senders with no message for a whole window: none of their messages or notices still counts."""
        horizon = now - self.window_seconds
        while self._senders:
            key, oldest = next(iter(self._senders.items()))
            if oldest.last_seen > horizon:
                return
            del self._senders[key]
