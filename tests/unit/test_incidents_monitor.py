"""bot.incidents.monitor with a fake clock, on SQLite and PostgreSQL: a burst opens one spike and queues one
alert per target; baseline, repeated customers, duplicates, subsiding, cooldown and concurrent replicas."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone
from typing import Iterator, List, Optional

import pytest
import sqlalchemy as sa

from bot.incidents.detection import SpikePolicy
from bot.incidents.model import SPIKE, Observation
from bot.incidents.monitor import SpikeMonitor
from bot.incidents.store import IncidentStore
from bot.tickets.database import connect
from bot.tickets.schema import incident_observations, incident_outbox, incidents

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
BCA, BRI = "bank:BCA", "bank:BRI"
TARGETS = ["telegram_agen", "helpdesk_webhook"]
POLICY = SpikePolicy(window=timedelta(minutes=10), baseline_period=timedelta(hours=1), min_customers=3, factor=3.0,
                     cooldown=timedelta(minutes=30))


@pytest.fixture
def store(database_url: str) -> Iterator[IncidentStore]:
    incident_store = IncidentStore(connect(database_url))
    yield incident_store
    incident_store.database.reader.dispose()


@pytest.fixture
def monitor(store: IncidentStore) -> SpikeMonitor:
    return SpikeMonitor(store, POLICY, lambda: TARGETS)


def say(monitor: SpikeMonitor, sender: str, at: datetime, topic: str = BCA, text: str = "wd ke bca gagal",
        key: Optional[str] = None) -> list:
    return monitor.observe([Observation(topic, sender, at, "report_withdrawal_problem", text, key)], at)


def burst(monitor: SpikeMonitor, customers: int, start: datetime, topic: str = BCA, prefix: str = "c") -> list:
    opened = []
    for number in range(customers):
        opened += say(monitor, f"{prefix}{number}", start + timedelta(seconds=20 * number), topic,
                      text=f"wd ke bca gagal ({prefix}{number})")
    return opened


def alert_rows(store: IncidentStore) -> List[tuple]:
    with store.database.reader.connect() as connection:
        return [tuple(row) for row in connection.execute(
            sa.select(incident_outbox.c.incident_id, incident_outbox.c.target, incident_outbox.c.status)
            .order_by(incident_outbox.c.id))]


def spikes(store: IncidentStore) -> list:
    return [i for i in store.between(T0 - timedelta(days=1), T0 + timedelta(days=1), T0) if i.kind == SPIKE]


def test_a_burst_opens_one_spike_and_queues_one_alert_per_target(store, monitor):
    assert burst(monitor, 2, T0) == []                      # below the minimum: nothing yet
    opened = say(monitor, "c2", T0 + timedelta(minutes=1))
    assert len(opened) == 1
    spike = opened[0]
    assert (spike.kind, spike.topic, spike.count, spike.closed_at) == (SPIKE, BCA, 3, None)
    assert spike.details["threshold"] == 3 and spike.details["window_minutes"] == 10
    assert spike.details["baseline"] == 0
    assert "3 pelanggan" in spike.text and "bank BCA" in spike.text and "10 menit" in spike.text
    assert alert_rows(store) == [(spike.id, "telegram_agen", "pending"), (spike.id, "helpdesk_webhook", "pending")]

    assert burst(monitor, 5, T0 + timedelta(minutes=2), prefix="later") == []   # the same wave: no new alert
    assert len(alert_rows(store)) == 2
    assert store.get(spike.id).count == 8                   # customers reached so far


def test_examples_are_the_newest_different_messages(monitor):
    say(monitor, "a", T0, text="wd ke bca gagal")
    say(monitor, "b", T0 + timedelta(seconds=10), text="wd ke bca gagal")
    spike, = say(monitor, "c", T0 + timedelta(seconds=20), text="bca error terus, dana saya aman?")
    assert spike.details["examples"] == ["bca error terus, dana saya aman?", "wd ke bca gagal"]


def test_one_customer_writing_many_times_is_one_customer(store, monitor):
    for minute in range(10):
        assert say(monitor, "panik", T0 + timedelta(minutes=minute / 2)) == []
    assert say(monitor, "other", T0 + timedelta(minutes=6)) == []
    assert alert_rows(store) == []


def test_the_same_message_is_recorded_once(store, monitor):
    for _ in range(3):
        say(monitor, "a", T0, key="a:msg-1")
    with store.database.reader.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(incident_observations)).scalar_one() == 1


def test_topics_are_counted_apart(store, monitor):
    burst(monitor, 2, T0, topic=BCA)
    burst(monitor, 2, T0, topic=BRI, prefix="r")
    assert alert_rows(store) == []


def test_a_usual_busy_hour_raises_the_threshold(store, monitor):
    # 12 customers in the hour before the window: 2 per 10 minutes usually, so a spike needs 6.
    for number in range(12):   # history, recorded before this test's monitor watched
        store.record(Observation(BCA, f"usual{number}", T0 - timedelta(minutes=65) + timedelta(minutes=4 * number),
                                 "ask_knowledge", "cara wd ke bca"))
    start = T0
    assert burst(monitor, 5, start) == []
    opened = say(monitor, "c5", start + timedelta(minutes=3))
    assert len(opened) == 1 and opened[0].details["threshold"] == 6 and opened[0].details["baseline"] == 2.0


def test_a_spike_subsides_reopens_within_the_cooldown_and_alerts_again_after_it(store, monitor):
    spike, = burst(monitor, 3, T0)
    # Customers wrote at T0, T0+20 s and T0+40 s: once the first leaves the window, fewer than 3 remain.
    later = T0 + timedelta(minutes=15)
    say(monitor, "someone", later)
    ended = store.get(spike.id, later)
    assert ended.closed_at == T0 + POLICY.window

    again = burst(monitor, 3, T0 + timedelta(minutes=20), prefix="second")   # within 30 min of the end
    assert again == [] and store.get(spike.id).closed_at is None              # the same wave goes on
    assert len(alert_rows(store)) == 2

    quiet = T0 + timedelta(minutes=45)
    say(monitor, "someone", quiet)
    assert store.get(spike.id, quiet).closed_at is not None
    third = burst(monitor, 3, T0 + timedelta(hours=2), prefix="third")        # long after: a new wave
    assert len(third) == 1 and third[0].id != spike.id
    assert len(alert_rows(store)) == 4


def test_a_spike_an_operator_closed_does_not_alert_again_during_the_cooldown(store, monitor):
    spike, = burst(monitor, 3, T0)
    assert store.close(spike.id, T0 + timedelta(minutes=2))
    assert burst(monitor, 4, T0 + timedelta(minutes=3), prefix="more") == []
    assert store.get(spike.id).closed_at == T0 + timedelta(minutes=2)
    assert len(alert_rows(store)) == 2


def test_replicas_observing_at_the_same_moment_open_one_spike(store, database_url):
    replicas = [SpikeMonitor(IncidentStore(connect(database_url)), POLICY, lambda: TARGETS) for _ in range(6)]
    barrier, errors, opened = threading.Barrier(6), [], []

    def observe(index: int) -> None:
        barrier.wait()
        try:
            opened.extend(say(replicas[index], f"r{index}", T0 + timedelta(seconds=index)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=observe, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    for replica in replicas:
        replica.store.database.reader.dispose()
    assert errors == []
    assert len(spikes(store)) == 1 and len(opened) == 1
    assert len(alert_rows(store)) == 2


def test_old_observations_are_pruned(store, monitor):
    say(monitor, "old", T0)
    say(monitor, "new", T0 + POLICY.retention + timedelta(minutes=1))
    with store.database.reader.connect() as connection:
        senders = connection.execute(sa.select(incident_observations.c.sender_id)).scalars().all()
    assert senders == ["new"]


def test_a_spike_row_is_unique_per_topic_while_it_goes_on(store):
    first = store.open_spike(BCA, T0, 3, "x", {}, TARGETS)
    assert first is not None
    assert store.open_spike(BCA, T0, 3, "x", {}, TARGETS) is None      # the unique index: lost race
    assert store.open_spike(BRI, T0, 3, "x", {}, TARGETS) is not None
    with store.database.reader.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(incidents)).scalar_one() == 2
