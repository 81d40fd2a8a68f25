"""Spike detection, pure logic: how many customers wrote about a topic in the last window, compared with its
baseline, and what to do about it (open a spike and alert, keep it going, reopen it, or nothing).

Customers are counted, not messages: one panicked customer writing ten times is not an outage. The baseline
is the topic's usual number of customers per window, averaged over the period before the window (24 hours by
default); a spike needs at least ``min_customers`` and ``factor`` times the baseline, so three messages at
3 a.m. are never a spike. A spike that subsided less than ``cooldown`` ago is reopened without a new alert,
so one wave alerts once even when it dips below the threshold for a moment.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Mapping, Optional, Sequence

OPEN, KEEP, REOPEN, NOTHING = "open", "keep", "reopen", "nothing"


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    try:
        value = float(environ.get(name, "").strip() or default)
    except ValueError:
        return default
    return value if value > 0 else default


@dataclass(frozen=True)
class SpikePolicy:
    """How spikes are recognised; every value can be set in the environment (see :meth:`from_env`)."""

    window: timedelta = timedelta(minutes=15)
    baseline_period: timedelta = timedelta(hours=24)
    min_customers: int = 10
    factor: float = 3.0
    cooldown: timedelta = timedelta(hours=1)
    examples: int = 3

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "SpikePolicy":
        """``INCIDENT_WINDOW_MINUTES`` (15), ``INCIDENT_BASELINE_HOURS`` (24), ``INCIDENT_MIN_CUSTOMERS`` (10),
        ``INCIDENT_SPIKE_FACTOR`` (3), ``INCIDENT_COOLDOWN_MINUTES`` (60); invalid values keep the default."""
        default = cls()
        return cls(
            window=timedelta(minutes=_number(environ, "INCIDENT_WINDOW_MINUTES", default.window.total_seconds() / 60)),
            baseline_period=timedelta(hours=_number(environ, "INCIDENT_BASELINE_HOURS",
                                                    default.baseline_period.total_seconds() / 3600)),
            min_customers=int(_number(environ, "INCIDENT_MIN_CUSTOMERS", default.min_customers)),
            factor=_number(environ, "INCIDENT_SPIKE_FACTOR", default.factor),
            cooldown=timedelta(minutes=_number(environ, "INCIDENT_COOLDOWN_MINUTES",
                                               default.cooldown.total_seconds() / 60)),
        )

    @property
    def window_minutes(self) -> int:
        """The window in whole minutes (for people)."""
        return max(1, round(self.window.total_seconds() / 60))

    @property
    def retention(self) -> timedelta:
        """How long observations are needed: the baseline period and the window before it."""
        return self.baseline_period + 2 * self.window

    def window_start(self, now: datetime) -> datetime:
        """Messages after this moment are in the current window."""
        return now - self.window

    def baseline_start(self, now: datetime) -> datetime:
        """Messages after this moment (and before the window) make the baseline."""
        return now - self.window - self.baseline_period

    def baseline(self, customers_in_period: int) -> float:
        """Usual customers per window, from the customers of the whole baseline period."""
        return customers_in_period * (self.window / self.baseline_period)

    def threshold(self, baseline: float) -> int:
        """Customers in one window that make a spike."""
        return max(self.min_customers, math.ceil(self.factor * baseline - 1e-9))


@dataclass(frozen=True)
class Assessment:
    """A topic's current window against its baseline."""

    count: int  # customers in the current window
    baseline: float  # usual customers per window
    threshold: int  # customers that make a spike

    @property
    def is_spike(self) -> bool:
        return self.count >= self.threshold


def assess(policy: SpikePolicy, customers_in_window: int, customers_in_baseline_period: int) -> Assessment:
    """Compare the current window with the baseline."""
    baseline = policy.baseline(customers_in_baseline_period)
    return Assessment(customers_in_window, baseline, policy.threshold(baseline))


@dataclass(frozen=True)
class PastSpike:
    """The latest spike of a topic that already ended."""

    closed_at: datetime
    closed_by_operator: bool


def decide(policy: SpikePolicy, assessment: Assessment, ongoing: bool, last: Optional[PastSpike],
           now: datetime) -> str:
    """``keep`` an ongoing spike up to date; ``open`` a new one (alert); ``reopen`` one that subsided within the
    cooldown (no alert); or do ``nothing`` (also for a spike an operator closed within the cooldown)."""
    if ongoing:
        return KEEP
    if not assessment.is_spike:
        return NOTHING
    if last is not None and now - last.closed_at < policy.cooldown:
        return NOTHING if last.closed_by_operator else REOPEN
    return OPEN


def subsided_at(policy: SpikePolicy, latest_per_customer: Sequence[datetime], threshold: int,
                now: datetime) -> Optional[datetime]:
    """When an ongoing spike ended, or None if it still goes on at ``now``.

    ``latest_per_customer`` holds each customer's latest message about the topic during the spike. The window
    counts at least ``threshold`` customers exactly until the ``threshold``-th most recent of them leaves it.
    """
    latest = sorted(latest_per_customer, reverse=True)
    if len(latest) >= threshold:
        end = latest[threshold - 1] + policy.window
    elif latest:
        end = latest[0] + policy.window
    else:
        return now
    return None if end > now else end
