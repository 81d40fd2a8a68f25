"""How long to wait before trying a failed call again: one backoff policy and one ``Retry-After`` reader.

Every outgoing call that is retried (ticket and handoff outboxes, the WhatsApp Graph client, Telegram
polling and ``setWebhook``, the agents' Telegram group) takes its waits from :class:`Backoff`, and every
"wait this long" a server sends (HTTP ``Retry-After``, Telegram's ``retry_after``) is read by
:func:`retry_after_seconds`.

Backoff: the wait after the n-th consecutive failure is ``first * 2**(n-1)``, capped at ``cap``. With
``jitter`` on it is *equal jitter*: half of that wait plus a random part of the other half, so retries of
many clients spread out while none comes sooner than half the plain wait. The random source is injectable
(``random``) so tests can pin the waits.
"""
from __future__ import annotations

import email.utils
import math
import random as _random
import re
import time
from dataclasses import dataclass, field
from datetime import timedelta, timezone
from typing import Callable, Optional

MAX_RETRY_AFTER_SECONDS = 86400.0   # a server asking for more than a day is read as asking for a day
DELTA_SECONDS = re.compile(r"[0-9]+(?:\.[0-9]+)?")   # RFC 9110 delta-seconds (fractions tolerated)
MAX_EXPONENT = 60                   # 2**60 times any first wait is beyond every cap; keeps the numbers small


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with a cap and optional equal jitter (see the module docstring)."""

    first: float                      # seconds after the first failure
    cap: float                        # no wait is longer
    jitter: bool = False
    random: Callable[[], float] = field(default=_random.random, compare=False, repr=False)  # in [0, 1)

    def delay(self, failures: int) -> float:
        """Seconds to wait after ``failures`` consecutive failures (1 → ``first``, 2 → twice that, ...)."""
        exponent = min(max(failures - 1, 0), MAX_EXPONENT)
        plain = min(self.cap, self.first * 2 ** exponent)
        if not self.jitter:
            return plain
        return plain / 2 + self.random() * plain / 2

    def schedule(self) -> "BackoffSchedule":
        """A counter of consecutive failures that hands out this policy's waits."""
        return BackoffSchedule(self)


class BackoffSchedule:
    """The waits of one retry loop: :meth:`next` after each failure, :meth:`reset` after a success."""

    def __init__(self, policy: Backoff) -> None:
        self.policy = policy
        self.failures = 0

    def next(self, retry_after: Optional[float] = None) -> float:
        """Count a failure and return the wait before the next try (at least ``retry_after`` when given)."""
        self.failures += 1
        delay = self.policy.delay(self.failures)
        return max(delay, retry_after) if retry_after is not None else delay

    def reset(self) -> None:
        self.failures = 0


def retry_after_seconds(value: object, now: Optional[float] = None,
                        cap: float = MAX_RETRY_AFTER_SECONDS) -> Optional[float]:
    """Seconds a server asked us to wait, or None when it did not say (or said something unreadable).

    ``value`` is an HTTP ``Retry-After`` header (RFC 9110 §10.2.3: delta-seconds such as ``"120"``, or an
    HTTP-date, read relative to ``now``, Unix seconds, default the clock) or Telegram's ``retry_after``
    (seconds as a number or, in some python-telegram-bot versions, a ``timedelta``; the library reads it
    from ``parameters.retry_after`` of the JSON error body). A date in the past is 0; negative numbers and
    NaN are unreadable; anything above ``cap`` (infinity too) is ``cap``.
    """
    seconds: Optional[float]
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _header_seconds(value.strip(), time.time() if now is None else now)
    else:
        return None
    if seconds is None or math.isnan(seconds) or seconds < 0:
        return None
    return min(seconds, cap)


def _header_seconds(text: str, now: float) -> Optional[float]:
    """A ``Retry-After`` header's seconds (delta-seconds or HTTP-date); None when it is neither."""
    if not text:
        return None
    if DELTA_SECONDS.fullmatch(text):
        return float(text)   # a huge value becomes inf, which the caller caps
    try:
        moment = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    if moment.tzinfo is None:   # "-0000": the RFC 5322 way of writing UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, moment.timestamp() - now)


def asked_wait(error: BaseException) -> Optional[float]:
    """The wait an exception carries in its ``retry_after`` (python-telegram-bot's ``RetryAfter``, our
    ``DeliveryError``), in seconds; None when it carries none."""
    return retry_after_seconds(getattr(error, "retry_after", None))
