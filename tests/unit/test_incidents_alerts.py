"""Spike alerts: targets from notifiers.yml and desks.yml, delivery through the durable outbox to the fake
Telegram group and webhook (once, retried after a failure), and what the agents read."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest

from bot.incidents.alerts import AlertWorker, alert_target_names, load_alert_senders
from bot.incidents.detection import SpikePolicy
from bot.incidents.model import Observation
from bot.incidents.monitor import SpikeMonitor
from bot.incidents.render import alert_html, alert_text
from bot.incidents.store import IncidentStore
from bot.tickets.database import connect
from tests.tickets.fakes import FakeTelegram, WebhookReceiver, telegram_html_problems

T0 = datetime(2026, 11, 22, 8, 0, tzinfo=timezone.utc)
POLICY = SpikePolicy(window=timedelta(minutes=10), min_customers=3)


@pytest.fixture
def configs(tmp_path: Path, telegram_api: FakeTelegram, webhook_receiver: WebhookReceiver):
    notifiers = tmp_path / "notifiers.yml"
    notifiers.write_text(
        "notifiers:\n"
        f"  helpdesk:\n    kind: webhook\n    url: '{webhook_receiver.url}'\n    secret: '{webhook_receiver.secret}'\n"
        "  later_hook:\n    kind: webhook\n    url: ''\n    secret: ''\n", encoding="utf-8")
    desks = tmp_path / "desks.yml"
    desks.write_text(
        "desks:\n"
        f"  telegram_agen:\n    kind: telegram_group\n    token: '{telegram_api.token}'\n    chat_id: '-100777'\n"
        f"    base_url: '{telegram_api.api_url}'\n"
        "  chatwoot:\n    kind: chatwoot\n    base_url: http://127.0.0.1:9\n    account_id: '1'\n    inbox_id: '1'\n"
        "    api_token: x\n", encoding="utf-8")
    return notifiers, desks


@pytest.fixture
def store(sqlite_url: str) -> Iterator[IncidentStore]:
    incident_store = IncidentStore(connect(sqlite_url))
    yield incident_store
    incident_store.database.reader.dispose()


def spike_with_alerts(store: IncidentStore, targets):
    monitor = SpikeMonitor(store, POLICY, lambda: targets)
    texts = ["wd ke bca gagal dari tadi", "password: rahasia123 bca error", "bca gangguan?"]
    opened = []
    for number, text in enumerate(texts):
        at = T0 + timedelta(minutes=number)
        opened += monitor.observe([Observation("bank:BCA", f"c{number}", at, "report_withdrawal_problem", text)], at)
    return opened[0]


def test_targets_are_declared_notifiers_and_desks_that_can_take_alerts(configs):
    notifiers, desks = configs
    assert alert_target_names(notifiers, desks) == ["helpdesk", "later_hook", "telegram_agen"]   # not chatwoot
    assert sorted(load_alert_senders(notifiers, desks)) == ["helpdesk", "telegram_agen"]          # configured only


def test_an_alert_reaches_the_group_and_the_webhook_once(store, configs, telegram_api, webhook_receiver):
    notifiers, desks = configs
    spike = spike_with_alerts(store, alert_target_names(notifiers, desks))
    worker = AlertWorker(store, load_alert_senders(notifiers, desks))
    assert worker.run_once(T0 + timedelta(minutes=3)) == 2
    assert worker.run_once(T0 + timedelta(minutes=4)) == 0                 # a sent alert is never sent again

    message, = telegram_api.messages
    assert message["chat_id"] == "-100777" and spike.id in message["text"]
    assert telegram_html_problems(message["text"]) == []
    assert "Lonjakan pesan tentang bank BCA" in message["text"] and "3 pelanggan" in message["text"]
    assert "rahasia123" not in message["text"]                             # secrets redacted in examples

    call, = webhook_receiver.accepted
    assert call.signature_ok and call.idempotency_key.startswith("incident:")
    payload = call.payload
    assert payload["event"] == "incident_spike" and payload["id"] == spike.id and payload["topic"] == "bank:BCA"
    assert payload["count"] == 3 and payload["window_minutes"] == 10 and payload["threshold"] == 3
    assert len(payload["examples"]) == 3 and "python -m bot.incidents open --topic bank:BCA" in payload["text"]
    assert not any("rahasia123" in example for example in payload["examples"])


def test_a_failed_alert_is_retried_later(store, configs, webhook_receiver):
    notifiers, desks = configs
    spike_with_alerts(store, ["helpdesk"])
    worker = AlertWorker(store, {"helpdesk": load_alert_senders(notifiers, desks)["helpdesk"]})
    webhook_receiver.fail_status = 503
    assert worker.run_once(T0 + timedelta(minutes=3)) == 0
    webhook_receiver.fail_status = None
    assert worker.run_once(T0 + timedelta(minutes=3, seconds=1)) == 0       # backing off
    assert worker.run_once(T0 + timedelta(minutes=4)) == 1
    assert len(webhook_receiver.accepted) == 1
    keys = {call.idempotency_key for call in webhook_receiver.calls}
    assert len(keys) == 1                                                    # the same key on every attempt


def test_alert_text_for_people(store):
    spike = spike_with_alerts(store, [])
    text = alert_text(spike)
    assert text.splitlines()[0] == f"Lonjakan pesan tentang bank BCA ({spike.id})"
    assert "(biasanya ±0)" in text and "Contoh pesan" in text
    assert json.dumps(spike.details)   # stored as JSON
    assert "<b>" in alert_html(spike)
