"""The actions' hooks (bot.incidents.hook) with a stand-in tracker and dispatcher: the notice comes first and
once per conversation, messages are recorded for spike detection, a burst alerts once, tickets count too, and
an incident failure never stops the answer."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any, Dict, Iterator, List, Optional

import pytest
import sqlalchemy as sa

from bot.incidents import hook
from bot.incidents.detection import SpikePolicy
from bot.incidents.monitor import SpikeMonitor
from bot.incidents.runtime import IncidentRuntime
from bot.incidents.store import IncidentStore
from bot.tickets import Detail, Ticket
from bot.tickets.database import connect
from bot.tickets.schema import incident_observations, incident_outbox
from tests.tickets.drafts import MOMENT, SEED_PHRASE, make_draft

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)


class Dispatcher:
    def __init__(self) -> None:
        self.texts: List[str] = []

    def utter_message(self, text: str = "", **_: Any) -> None:
        self.texts.append(text)


class Worker:
    def __init__(self) -> None:
        self.wakes = 0

    def wake(self) -> None:
        self.wakes += 1


def tracker(sender: str, text: str, entities: List[Dict[str, str]], message_id: Optional[str] = "m1",
            intent: str = "report_withdrawal_problem") -> SimpleNamespace:
    """What rasa-sdk's Tracker offers the hook: the sender, the classified message and the events."""
    return SimpleNamespace(sender_id=sender, latest_message={"text": text.lower(), "entities": entities,
                                                             "intent": {"name": intent}},
                           events=[{"event": "user", "text": text, "message_id": message_id}])


BCA = [{"entity": "bank", "value": "BCA", "start": 6, "end": 9}]


@pytest.fixture
def runtime(sqlite_url: str, monkeypatch) -> Iterator[IncidentRuntime]:
    store = IncidentStore(connect(sqlite_url))
    built = IncidentRuntime(store, SpikeMonitor(store, SpikePolicy(min_customers=3), lambda: ["helpdesk"]),
                            Worker())  # type: ignore[arg-type]
    monkeypatch.setattr(hook, "incident_runtime", lambda: built)
    yield built
    store.database.reader.dispose()


def observations(store: IncidentStore) -> List[tuple]:
    o = incident_observations.c
    with store.database.reader.connect() as connection:
        return [tuple(row) for row in connection.execute(sa.select(o.topic, o.sender_id, o.message_key, o.intent,
                                                                   o.example).order_by(o.id))]


async def test_the_matching_notice_comes_first_and_once_per_conversation(runtime):
    runtime.store.open_notice("bank:BCA", "Saat ini penarikan ke BCA sedang terganggu; dana Anda aman.",
                              T0 + timedelta(hours=4), T0)
    dispatcher = Dispatcher()
    await hook.notices_first(dispatcher, tracker("budi", "wd ke bca gagal dari tadi", BCA), now=T0)
    assert dispatcher.texts == [
        "Mohon maaf atas ketidaknyamanannya. Saat ini penarikan ke BCA sedang terganggu; dana Anda aman. "
        "Jika Anda tetap ingin melaporkan kendala Anda, saya tetap bantu catat detailnya untuk agen kami."]
    again = Dispatcher()
    await hook.notices_first(again, tracker("budi", "bca masih error", BCA, "m2"), now=T0 + timedelta(minutes=1))
    assert again.texts == []
    other_topic = Dispatcher()
    await hook.notices_first(other_topic, tracker("sari", "wd ke bri gagal", [{"entity": "bank", "value": "BRI"}]),
                             now=T0)
    assert other_topic.texts == []


async def test_messages_are_recorded_once_with_secrets_redacted(runtime):
    message = tracker("budi", f"wd ke bca gagal, seed saya {SEED_PHRASE}", BCA, "m7")
    await hook.notices_first(Dispatcher(), message, now=T0)
    await hook.notices_first(Dispatcher(), message, now=T0)          # the same message (e.g. a delegated action)
    (topic, sender, key, intent, example), = observations(runtime.store)
    assert (topic, sender, key, intent) == ("bank:BCA", "budi", "budi:m7", "report_withdrawal_problem")
    assert "abandon" not in example and "[DIHAPUS" in example


async def test_a_message_without_bank_network_or_coin_is_not_recorded(runtime):
    await hook.notices_first(Dispatcher(), tracker("budi", "wd saya gagal", []), now=T0)
    assert observations(runtime.store) == []


async def test_a_burst_of_customers_opens_one_spike_and_wakes_the_alert_worker(runtime):
    for number in range(6):
        await hook.notices_first(Dispatcher(), tracker(f"c{number}", "wd ke bca gagal", BCA),
                                 now=T0 + timedelta(minutes=number))
    assert runtime.worker.wakes == 1
    with runtime.store.database.reader.connect() as connection:
        assert connection.execute(sa.select(incident_outbox.c.target)).scalars().all() == ["helpdesk"]


async def test_a_ticket_counts_its_bank_network_and_coin(runtime):
    ticket = Ticket.from_draft(make_draft(category="withdrawal_idr", details=(
        Detail("asset", "Aset", "IDR", "valid"), Detail("bank_account", "Rekening bank", "BCA ••••1234", "valid"),
        Detail("description", "Keterangan", "pakai USDT juga", "valid"))),
        id="CS-20261122-0001", status="open", created_at=MOMENT, sla_due_at=MOMENT)
    await hook.observe_report(ticket, now=T0)
    await hook.observe_report(ticket, now=T0)
    assert [row[:4] for row in observations(runtime.store)] == [
        ("bank:BCA", "tg-88123", "ticket:CS-20261122-0001", "withdrawal_idr")]


async def test_an_incident_failure_never_stops_the_answer(monkeypatch, caplog):
    def broken() -> IncidentRuntime:
        raise RuntimeError("database down")

    monkeypatch.setattr(hook, "incident_runtime", broken)
    dispatcher = Dispatcher()
    await hook.notices_first(dispatcher, tracker("budi", "wd ke bca gagal", BCA), now=T0)
    await hook.observe_report(Ticket.from_draft(make_draft(), id="CS-1", status="open", created_at=MOMENT,
                                                sla_due_at=MOMENT))
    assert dispatcher.texts == []
    assert "incident notices skipped" in caplog.text and "database down" in caplog.text


async def test_a_hanging_database_delays_the_answer_only_briefly(monkeypatch, caplog):
    release = threading.Event()

    def hanging() -> IncidentRuntime:
        release.wait(30)
        raise RuntimeError("gave up")

    monkeypatch.setattr(hook, "incident_runtime", hanging)
    monkeypatch.setattr(hook, "WAIT_SECONDS", 0.2)
    try:
        started = time.monotonic()
        for number in range(hook.MAX_PENDING + 2):   # the later ones are skipped at once: calls still hang
            await hook.notices_first(Dispatcher(), tracker(f"c{number}", "wd ke bca gagal", BCA), now=T0)
        assert time.monotonic() - started < 0.2 * hook.MAX_PENDING + 2
        assert "longer than" in caplog.text and "still running" in caplog.text
    finally:
        release.set()
    wait_until(lambda: hook._pending._value == hook.MAX_PENDING)   # the hung calls finished: slots free again


def wait_until(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.05)
