"""Incidents end to end: Rasa and the action server on loopback ports 16950/16951, a notice published with
``python -m bot.incidents`` is the first reply to a matching message (then the normal report flow), and a
burst of customers writing about one bank alerts the agents exactly once (fake Telegram group + webhook)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator, List

import pytest

from bot import wording
from bot.evaluate import AssistantClient
from bot.incidents.model import SPIKE
from bot.incidents.notices import customer_message, default_notice_text
from bot.incidents.store import IncidentStore, open_incident_store
from bot.servers import AssistantServers
from bot.tickets.schema import incident_outbox
from tests.integration.conftest import client_for, running_servers, server_config, texts, wait_for
from tests.tickets.fakes import FakeTelegram, WebhookReceiver

pytestmark = pytest.mark.integration

RASA_PORT, ACTION_PORT = 16950, 16951
MIN_CUSTOMERS = 4
ROOT = Path(__file__).resolve().parents[2]
TICKET_ID = re.compile(r"CS-\d{8}-\d{4}")


@pytest.fixture(scope="module")
def telegram() -> Iterator[FakeTelegram]:
    api = FakeTelegram()
    yield api
    api.close()


@pytest.fixture(scope="module")
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, telegram: FakeTelegram,
            webhook: WebhookReceiver) -> Iterator[AssistantServers]:
    """Both servers with their own databases, alerting the fake agents' Telegram group and webhook, and a
    spike threshold of 4 customers."""
    notifiers = ("notifiers:\n"
                 f"  telegram_agen:\n    kind: telegram\n    token: '{telegram.token}'\n    chat_id: '-100123'\n"
                 f"    base_url: '{telegram.api_url}'\n"
                 f"  helpdesk_webhook:\n    kind: webhook\n    url: '{webhook.url}'\n    secret: '{webhook.secret}'\n")
    config = server_config(tmp_path_factory.mktemp("incident_servers"), RASA_PORT, ACTION_PORT, notifiers=notifiers,
                           env={"INCIDENT_MIN_CUSTOMERS": str(MIN_CUSTOMERS), "INCIDENT_WINDOW_MINUTES": "15"})
    with running_servers(config) as running:
        yield running


@pytest.fixture(scope="module")
def client(servers: AssistantServers) -> AssistantClient:
    return client_for(servers, timeout=60)


@pytest.fixture(scope="module")
def store(servers: AssistantServers) -> IncidentStore:
    return open_incident_store(servers.config.tickets_db_url)


def new_sender() -> str:
    return f"incident-{uuid.uuid4().hex[:10]}"


def incidents_cli(servers: AssistantServers, *argv: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "bot.incidents", "--db", servers.config.tickets_db_url, *argv],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)


def say(client: AssistantClient, sender: str, text: str) -> List[str]:
    return texts(client.send(sender, text))


def test_a_published_notice_is_the_first_reply_then_the_report_goes_on(servers, client, store):
    published = incidents_cli(servers, "open", "--topic", "bca", "--expires", "2h")
    assert published.returncode == 0, published.stderr
    notice_id = published.stdout.split()[1]
    notice = customer_message(default_notice_text("bank:BCA"))

    sender = new_sender()
    replies = say(client, sender, "wd ke bca gagal dari tadi")
    assert replies[0] == notice
    assert replies[0].startswith("Mohon maaf atas ketidaknyamanannya. Saat ini penarikan ke BCA sedang terganggu")
    assert wording.REPORT_COLLECT in replies[1:]                       # then the normal flow: guide, then the form
    assert "Berapa jumlahnya" in replies[-1]

    # The customer still files the report; the notice is not repeated in this conversation.
    answers = ["1,5 jt", "kemarin jam 10", "tidak tahu", "1234"]
    later = [say(client, sender, answer) for answer in answers]
    assert not any(notice in reply for replies_ in later for reply in replies_)
    assert "Apakah sudah benar" in "\n".join(later[-1])
    confirmation = "\n".join(say(client, sender, "/affirm"))
    assert TICKET_ID.search(confirmation), confirmation
    assert notice not in say(client, sender, "penarikan ke bca masih gagal")
    assert store.get(notice_id).count == 1

    # Another conversation sees it too; once closed, nobody does.
    assert say(client, new_sender(), "kenapa wd ke BCA belum masuk")[0] == notice
    assert incidents_cli(servers, "close", notice_id).returncode == 0
    assert notice not in say(client, new_sender(), "wd ke bca gagal dari tadi")


def test_a_burst_about_one_bank_alerts_the_agents_exactly_once(servers, client, store, telegram, webhook):
    customers = MIN_CUSTOMERS + 3
    for _ in range(customers):
        assert say(client, new_sender(), "wd ke bri gagal dari tadi, saldo sudah terpotong")

    spike = wait_for(lambda: next((i for i in store.ongoing(now_utc()) if i.kind == SPIKE and i.topic == "bank:BRI"),
                                  None), what="a BRI spike")
    assert spike.count == customers                     # every message was recorded before it was answered
    # Every alert row is delivered, and no other was queued: nothing more can reach the agents.
    wait_for(lambda: delivered(store, spike.id), what="alert rows marked sent")
    webhook_alerts = [c.payload for c in webhook.accepted if c.payload.get("event") == "incident_spike"]
    group_alerts = [m["text"] for m in telegram.messages if "Lonjakan" in m["text"]]
    assert len(webhook_alerts) == 1 and len(group_alerts) == 1, (webhook_alerts, group_alerts)
    alert = webhook_alerts[0]
    assert alert["id"] == spike.id and alert["topic"] == "bank:BRI" and alert["count"] == MIN_CUSTOMERS
    assert alert["window_minutes"] == 15 and len(alert["examples"]) == 1   # the customers all wrote the same
    assert spike.id in group_alerts[0] and "Lonjakan pesan tentang bank BRI" in group_alerts[0]
    with store.database.reader.connect() as connection:
        rows = connection.execute(incident_outbox.select()).mappings().all()
    assert sorted(row["target"] for row in rows) == ["helpdesk_webhook", "telegram_agen"]
    assert [i.id for i in store.ongoing(now_utc()) if i.kind == SPIKE] == [spike.id]


def delivered(store: IncidentStore, incident_id: str) -> bool:
    with store.database.reader.connect() as connection:
        statuses = connection.execute(incident_outbox.select().where(incident_outbox.c.incident_id == incident_id)
                                      ).mappings().all()
    return bool(statuses) and all(row["status"] == "sent" for row in statuses)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)
