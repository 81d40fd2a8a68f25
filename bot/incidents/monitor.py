"""Watch customer messages for spikes: record each observation, end spikes that subsided, and open a spike
(queuing one alert per agent target) when a topic's window crosses its threshold.

Runs wherever messages are classified (the action server); every replica records into the same database, so
counts and the one-ongoing-spike-per-topic rule hold across replicas. Time comes from ``now`` arguments, so
tests drive it with a fake clock.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Callable, List, Optional, Sequence

from bot.incidents import render
from bot.incidents.detection import KEEP, OPEN, REOPEN, Assessment, PastSpike, SpikePolicy, assess, decide, subsided_at
from bot.incidents.model import Incident, Observation
from bot.incidents.store import IncidentStore

logger = logging.getLogger(__name__)

PRUNE_EVERY = timedelta(minutes=10)


class SpikeMonitor:
    """Spike detection on an :class:`IncidentStore` with a :class:`SpikePolicy`."""

    def __init__(self, store: IncidentStore, policy: SpikePolicy, alert_targets: Callable[[], Sequence[str]]) -> None:
        self.store = store
        self.policy = policy
        self.alert_targets = alert_targets  # notifier and desk names an alert is queued for
        self._pruned_at: Optional[datetime] = None

    def observe(self, observations: Sequence[Observation], now: datetime) -> List[Incident]:
        """Record the observations of one message and evaluate their topics; return the spikes opened now
        (each with its alerts queued)."""
        opened: List[Incident] = []
        self.end_subsided(now)   # first: the formula holds while no message is newer than ``now``
        fresh = [observation for observation in observations if self.store.record(observation)]
        for topic in dict.fromkeys(observation.topic for observation in fresh):
            spike = self.evaluate(topic, now)
            if spike is not None:
                opened.append(spike)
        self._prune(now)
        return opened

    def assessment(self, topic: str, now: datetime) -> Assessment:
        """The topic's current window against its baseline."""
        window_start = self.policy.window_start(now)
        in_window = self.store.customers_between(topic, window_start, now)
        in_baseline = self.store.customers_between(topic, self.policy.baseline_start(now), window_start)
        return assess(self.policy, in_window, in_baseline)

    def evaluate(self, topic: str, now: datetime) -> Optional[Incident]:
        """Open, keep up to date or reopen the topic's spike; the spike when it was opened now."""
        current = self.assessment(topic, now)
        ongoing = self.store.ongoing_spike(topic, now)
        last = None if ongoing else self.store.last_closed_spike(topic, now)
        past = (PastSpike(last.closed_at, last.details.get("closed_by") == "operator")
                if last is not None and last.closed_at is not None else None)
        action = decide(self.policy, current, ongoing is not None, past, now)
        if action == KEEP and ongoing is not None:
            self._keep(ongoing, now)
        elif action == REOPEN and last is not None:
            if self.store.reopen_spike(last.id):
                logger.info("spike %s about %s continues (%d customers in %d min)", last.id, topic, current.count,
                            self.policy.window_minutes)
                self._keep(last, now)
        elif action == OPEN:
            return self._open(topic, current, now)
        return None

    def end_subsided(self, now: datetime) -> List[str]:
        """Close every ongoing spike whose window fell below its threshold; their ids."""
        ended = []
        for spike in self.store.ongoing_spikes(now):
            threshold = int(spike.details.get("threshold") or self.policy.min_customers)
            since = spike.opened_at - self.policy.window
            latest = self.store.latest_per_customer(spike.topic, since, threshold)
            end = subsided_at(self.policy, latest, threshold, now)
            if end is not None and self.store.end_spike(spike.id, max(end, spike.opened_at)):
                logger.info("spike %s about %s subsided", spike.id, spike.topic)
                ended.append(spike.id)
        return ended

    def _keep(self, spike: Incident, now: datetime) -> None:
        count = self.store.customers_between(spike.topic, spike.opened_at - self.policy.window, now)
        self.store.update_spike(spike.id, count, now)

    def _open(self, topic: str, current: Assessment, now: datetime) -> Optional[Incident]:
        examples = self.store.examples(topic, self.policy.window_start(now), self.policy.examples)
        details = {"window_minutes": self.policy.window_minutes, "baseline": round(current.baseline, 2),
                   "threshold": current.threshold, "detected_count": current.count, "examples": examples}
        text = render.spike_summary(topic, current.count, self.policy.window_minutes, current.baseline)
        targets = list(self.alert_targets())
        spike = self.store.open_spike(topic, now, current.count, text, details, targets)
        if spike is not None:
            logger.warning("spike %s: %s; alerts queued for %s", spike.id, text, ", ".join(targets) or "nobody")
        return spike

    def _prune(self, now: datetime) -> None:
        if self._pruned_at is not None and now - self._pruned_at < PRUNE_EVERY:
            return
        self._pruned_at = now
        self.store.prune(now - self.policy.retention)
