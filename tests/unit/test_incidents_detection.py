"""bot.incidents.detection: window vs baseline, the minimum count, cooldown, and when a spike ended (pure)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.incidents.detection import KEEP, NOTHING, OPEN, REOPEN, PastSpike, SpikePolicy, assess, decide, subsided_at

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)
POLICY = SpikePolicy(window=timedelta(minutes=15), baseline_period=timedelta(hours=24), min_customers=10,
                     factor=3.0, cooldown=timedelta(hours=1))


def test_a_quiet_topic_needs_the_minimum_number_of_customers():
    assert not assess(POLICY, 3, 0).is_spike          # three messages at 3 a.m. are not an outage
    assert not assess(POLICY, 9, 0).is_spike
    assert assess(POLICY, 10, 0).is_spike
    assert assess(POLICY, 10, 0).threshold == 10


def test_a_busy_topic_needs_several_times_its_baseline():
    # 960 customers in 24 h = 10 per 15 minutes usually; a spike needs 3 x 10 = 30.
    usual = assess(POLICY, 25, 960)
    assert usual.baseline == 10 and usual.threshold == 30 and not usual.is_spike
    assert assess(POLICY, 30, 960).is_spike


def test_the_baseline_is_scaled_from_its_period_to_the_window():
    policy = SpikePolicy(window=timedelta(minutes=10), baseline_period=timedelta(hours=1), min_customers=2, factor=2)
    assert policy.baseline(12) == 2.0            # 12 in an hour = 2 per 10 minutes
    assert policy.threshold(2.0) == 4
    assert policy.threshold(2.1) == 5            # rounded up: "at least three times" never rounds down


def test_windows_follow_the_clock():
    assert POLICY.window_start(NOW) == NOW - timedelta(minutes=15)
    assert POLICY.baseline_start(NOW) == NOW - timedelta(minutes=15) - timedelta(hours=24)
    assert POLICY.retention >= timedelta(hours=24, minutes=15)


def test_decide_opens_keeps_and_stays_quiet():
    spike, calm = assess(POLICY, 12, 0), assess(POLICY, 2, 0)
    assert decide(POLICY, spike, ongoing=False, last=None, now=NOW) == OPEN
    assert decide(POLICY, spike, ongoing=True, last=None, now=NOW) == KEEP      # one spike alerts once
    assert decide(POLICY, calm, ongoing=True, last=None, now=NOW) == KEEP
    assert decide(POLICY, calm, ongoing=False, last=None, now=NOW) == NOTHING


def test_cooldown_reopens_a_spike_that_just_subsided_and_alerts_again_later():
    spike = assess(POLICY, 12, 0)
    recent = PastSpike(NOW - timedelta(minutes=59), closed_by_operator=False)
    old = PastSpike(NOW - timedelta(minutes=61), closed_by_operator=False)
    assert decide(POLICY, spike, ongoing=False, last=recent, now=NOW) == REOPEN
    assert decide(POLICY, spike, ongoing=False, last=old, now=NOW) == OPEN


def test_a_spike_an_operator_closed_stays_closed_during_the_cooldown():
    spike = assess(POLICY, 12, 0)
    closed = PastSpike(NOW - timedelta(minutes=5), closed_by_operator=True)
    assert decide(POLICY, spike, ongoing=False, last=closed, now=NOW) == NOTHING
    assert decide(POLICY, spike, ongoing=False, last=closed, now=NOW + timedelta(hours=1)) == OPEN


def test_a_spike_ends_when_the_threshold_th_latest_customer_leaves_the_window():
    latest = [NOW - timedelta(minutes=m) for m in (1, 2, 20, 30)]
    # Threshold 2: the 2nd latest customer wrote at -2 min, so the window holds 2 customers until +13 min.
    assert subsided_at(POLICY, latest, 2, NOW) is None
    assert subsided_at(POLICY, latest, 2, NOW + timedelta(minutes=14)) == NOW + timedelta(minutes=13)
    # Threshold 3: the 3rd latest wrote at -20 min, so the window fell below 3 five minutes ago.
    assert subsided_at(POLICY, latest, 3, NOW) == NOW - timedelta(minutes=5)


def test_policy_from_the_environment_with_invalid_values_falling_back():
    policy = SpikePolicy.from_env({"INCIDENT_WINDOW_MINUTES": "5", "INCIDENT_MIN_CUSTOMERS": "4",
                                   "INCIDENT_SPIKE_FACTOR": "2.5", "INCIDENT_BASELINE_HOURS": "abc",
                                   "INCIDENT_COOLDOWN_MINUTES": "-3"})
    assert policy.window == timedelta(minutes=5) and policy.min_customers == 4 and policy.factor == 2.5
    assert policy.baseline_period == timedelta(hours=24) and policy.cooldown == timedelta(hours=1)
    assert SpikePolicy.from_env({}) == SpikePolicy()
