"""Service-level deadlines counted in the agents' operating hours (WIB, every day of the week).

Agents work 08:00–22:00 WIB by default; ``AGENT_HOURS`` changes that ("08-22", "07:30-23:00", "00-24" for
round the clock). A ticket's response clock only runs while agents are on duty: a normal ticket created at
21:30 starts counting at 08:00 the next morning. Every function here is pure apart from reading
``AGENT_HOURS`` when no explicit :class:`OperatingHours` is given.
"""
from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from typing import Optional, Tuple

from bot.tickets.model import WIB

logger = logging.getLogger(__name__)

RESPONSE_TARGETS = {"urgent": timedelta(hours=1), "high": timedelta(hours=4), "normal": timedelta(hours=24)}
# Privacy requests (category "privasi"): an agent answers within the "high" target, so identity is verified well
# before the deadline that UU PDP (UU 27/2022) Pasal 32 ayat (2) sets for access: 3 x 24 hours after the request
# is received, calendar time (not operating hours). Erasure requests are held to the same deadline internally.
PRIVACY_PRIORITY = "high"
PRIVACY_DEADLINE = timedelta(hours=72)
DEFAULT_AGENT_HOURS = "08-22"
MINUTES_PER_DAY = 24 * 60
_HOURS_SPEC = re.compile(r"^\s*(\d{1,2})(?::(\d{2}))?\s*-\s*(\d{1,2})(?::(\d{2}))?\s*$")


@dataclass(frozen=True)
class OperatingHours:
    """Daily on-duty window in WIB, as minutes after midnight: ``opens <= t < closes``."""

    opens: int
    closes: int

    def __post_init__(self) -> None:
        if not 0 <= self.opens < self.closes <= MINUTES_PER_DAY:
            raise ValueError(f"operating hours need 00:00 <= opening < closing <= 24:00; got {self}")

    @classmethod
    def parse(cls, spec: str) -> "OperatingHours":
        """Parse ``"08-22"`` or ``"08:30-21:45"`` (24-hour clock, ``24`` allowed as the closing hour)."""
        match = _HOURS_SPEC.match(spec)
        if not match:
            raise ValueError(f"operating hours must look like '08-22' or '08:30-21:45'; got {spec!r}")
        open_h, open_m, close_h, close_m = (int(part or 0) for part in match.groups())
        if open_m >= 60 or close_m >= 60:
            raise ValueError(f"minutes must be below 60 in {spec!r}")
        return cls(opens=open_h * 60 + open_m, closes=close_h * 60 + close_m)

    def window(self, day: date) -> Tuple[datetime, datetime]:
        """Opening and closing moment (WIB) of ``day``."""
        midnight = datetime.combine(day, time(0), tzinfo=WIB)
        return midnight + timedelta(minutes=self.opens), midnight + timedelta(minutes=self.closes)


@lru_cache(maxsize=8)
def _parse_or_default(spec: str) -> OperatingHours:
    try:
        return OperatingHours.parse(spec)
    except ValueError as error:
        logger.warning("invalid AGENT_HOURS (%s); using the default %s", error, DEFAULT_AGENT_HOURS)
        return OperatingHours.parse(DEFAULT_AGENT_HOURS)


def configured_hours() -> OperatingHours:
    """Operating hours from ``AGENT_HOURS`` (default 08-22); an invalid value is logged once and ignored."""
    return _parse_or_default(os.environ.get("AGENT_HOURS", "").strip() or DEFAULT_AGENT_HOURS)


def _in_wib(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"a timezone-aware datetime is required; got naive {at.isoformat()}")
    return at.astimezone(WIB)


def within_operating_hours(at: datetime, hours: Optional[OperatingHours] = None) -> bool:
    """Whether agents are on duty at ``at`` (closing time itself is already off duty)."""
    local = _in_wib(at)
    opens, closes = (hours or configured_hours()).window(local.date())
    return opens <= local < closes


def next_opening(at: datetime, hours: Optional[OperatingHours] = None) -> datetime:
    """The first moment at or after ``at`` when agents are on duty (``at`` itself, in WIB, if they are)."""
    hours = hours or configured_hours()
    local = _in_wib(at)
    opens, closes = hours.window(local.date())
    if local < opens:
        return opens
    if local < closes:
        return local
    return hours.window(local.date() + timedelta(days=1))[0]


def add_operating_time(start: datetime, duration: timedelta, hours: Optional[OperatingHours] = None) -> datetime:
    """The moment ``duration`` of operating time after ``start`` (WIB); time off duty does not count.

    The result is inside operating hours or exactly at a closing time (a span that ends with the shift ends
    at closing, not at the next opening).
    """
    hours = hours or configured_hours()
    remaining = duration
    clock = next_opening(start, hours)
    while True:
        closes = hours.window(clock.date())[1]
        if remaining <= closes - clock:
            return clock + remaining
        remaining -= closes - clock
        clock = hours.window(clock.date() + timedelta(days=1))[0]


def operating_time_between(start: datetime, end: datetime, hours: Optional[OperatingHours] = None) -> timedelta:
    """How much operating time passes from ``start`` to ``end`` (zero when ``end`` is not later)."""
    hours = hours or configured_hours()
    clock, end = next_opening(start, hours), _in_wib(end)
    total = timedelta(0)
    while clock < end:
        closes = hours.window(clock.date())[1]
        total += min(closes, end) - clock
        clock = hours.window(clock.date() + timedelta(days=1))[0]
    return total


def sla_due(created_at: datetime, priority: str, hours: Optional[OperatingHours] = None) -> datetime:
    """When an agent must have answered: the priority's target counted in operating time only (WIB).

    Targets: urgent 1 h, high 4 h, normal 24 h (see :func:`add_operating_time`).
    """
    if priority not in RESPONSE_TARGETS:
        raise ValueError(f"priority must be one of {', '.join(RESPONSE_TARGETS)}; got {priority!r}")
    return add_operating_time(created_at, RESPONSE_TARGETS[priority], hours)


def privacy_deadline(received_at: datetime) -> datetime:
    """When a privacy request must be fulfilled: :data:`PRIVACY_DEADLINE` after it was received (WIB, every
    hour counts, on duty or not)."""
    return _in_wib(received_at) + PRIVACY_DEADLINE
