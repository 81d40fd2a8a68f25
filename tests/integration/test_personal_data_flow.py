"""A REST conversation full of personal data, and a withdrawal report through its details, against the real Rasa
and action servers (loopback ports 17005-17007): afterwards no NIK, card number, full account number, e-mail
address or phone number is in the raw bytes of the tracker store, the ticket store, the channel state or the
analytics store (each with its write-ahead log), the agent notification, the handoff thread or the servers'
logs; the masked forms are there. The customer is told once that the KTP number was not kept, and the report
still records bank BCA with the last 4 digits and says so.
"""
from __future__ import annotations

import re
import sqlite3
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

from bot import wording
from bot.evaluate import AssistantClient
from bot.servers import AssistantServers
from bot.tickets import open_store
from tests.integration.conftest import client_for, running_servers, server_config, texts, wait_for
from tests.tickets.fakes import WebhookReceiver

pytestmark = pytest.mark.integration
RASA_PORT, ACTION_PORT, WEBHOOK_PORT = 17005, 17006, 17007

NIK, NIK_WOMAN = "3174055203900012", "3273014508850004"
CARD = "5264 7110 3089 2212"
ACCOUNT = "7311092648"
PHONE, PHONE_WRITTEN, PHONE_PLUS = "081398765432", "0813-9876-5432", "+62 813 9876 5432"
EMAIL = "budi.santoso77@gmail.com"
# Every way the personal data above could have been stored (digits with or without their separators).
FORBIDDEN = [NIK, NIK_WOMAN, CARD, CARD.replace(" ", ""), ACCOUNT, PHONE, PHONE_WRITTEN, PHONE_PLUS, "6281398765432",
             "81398765432", "9876-5432", "9876 5432", EMAIL, "budi.santoso77"]
MASKED = {"nik": "*" * 16, "card": "**** **** **** 2212", "account": "******2648", "phone": "0813-****-5432",
          "phone_plus": "+62 813 **** 5432", "email": "b***@gmail.com"}
TICKET_ID = re.compile(r"CS-\d{8}-\d{4}")


class PinnedWebhook(WebhookReceiver):
    """The helpdesk webhook on this test's own port."""

    async def _start_site(self) -> None:
        self.port = WEBHOOK_PORT
        await super()._start_site()


@pytest.fixture(scope="module")
def webhook() -> Iterator[PinnedWebhook]:
    receiver = PinnedWebhook()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, webhook: PinnedWebhook) -> Iterator[AssistantServers]:
    """Both servers with every store in a fresh folder (SQLite), a helpdesk webhook as the agents' notifier."""
    notifiers = (f"notifiers:\n  helpdesk_webhook:\n    kind: webhook\n    url: '{webhook.url}'\n"
                 f"    secret: '{webhook.secret}'\n")
    config = server_config(tmp_path_factory.mktemp("personal-data"), RASA_PORT, ACTION_PORT, notifiers=notifiers,
                           database_url="", redis_url="", rabbitmq_url="", analytics_db_url="")
    with running_servers(config, timeout=300) as running:
        yield running


def say(client: AssistantClient, sender: str, text: str) -> List[str]:
    replies = texts(client.send(sender, text))
    assert replies, text
    return replies


def sqlite_bytes(path: Path) -> bytes:
    """A database file with its write-ahead log and journal, as stored on disk."""
    parts = sorted(path.parent.glob(path.name + "*"))
    assert parts, path
    return b"".join(part.read_bytes() for part in parts)


def leaked(raw: bytes) -> List[str]:
    return [value for value in FORBIDDEN if value.encode() in raw]


def thread_has(servers: AssistantServers, ticket_id: str, words: str) -> bool:
    """Whether a message of the ticket's handoff thread contains ``words``."""
    path = Path(servers.config.tickets_db_url.removeprefix("sqlite:///"))
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT text FROM handoff_messages WHERE ticket_id = ?", (ticket_id,)).fetchall()
    return any(words in text for (text,) in rows)


@pytest.fixture(scope="module")
def conversation(servers: AssistantServers, webhook: PinnedWebhook) -> Dict[str, object]:
    """The whole conversation, once: what the customer was told, the ticket, the agents' notification."""
    client = client_for(servers, timeout=60)
    sender = f"pd-{uuid.uuid4().hex[:10]}"
    told: Dict[str, List[str]] = {}
    told["nik"] = say(client, sender, f"halo kak, saya Budi. NIK saya {NIK}, email {EMAIL}, hp {PHONE_WRITTEN}")
    told["card"] = say(client, sender, f"oh iya ini kartu debit saya {CARD} dan NIK istri {NIK_WOMAN}, buat jaga-jaga")
    told["report"] = say(client, sender, "tolong, penarikan rupiah saya ke BCA gagal padahal saldo sudah terpotong")
    assert "Berapa jumlahnya" in told["report"][-1], told["report"]
    assert "Kapan transaksinya" in " ".join(say(client, sender, "Rp 1.500.000"))
    assert "nomor referensi" in " ".join(say(client, sender, "kemarin jam 10"))
    assert "4 digit terakhir" in " ".join(say(client, sender, "tidak tahu"))
    told["account"] = say(client, sender, f"rekening BCA saya {ACCOUNT} a.n. Budi Santoso, hp {PHONE}")
    told["confirmed"] = say(client, sender, "/affirm")
    found = TICKET_ID.search(" ".join(told["confirmed"]))
    assert found, told
    ticket_id = found.group(0)
    told["handoff"] = texts(client.send(sender, f"kalau perlu hubungi saya di {PHONE_PLUS} atau {EMAIL}"))
    wait_for(lambda: thread_has(servers, ticket_id, "hubungi saya"), what="the message forwarded to the agents")
    notification = wait_for(lambda: [call for call in webhook.accepted if call.payload.get("id") == ticket_id],
                            timeout=60, what="the agents' notification")[0]
    store = open_store(servers.config.tickets_db_url)
    try:
        ticket = store.get(ticket_id)
    finally:
        store.database.reader.dispose()
    return {"sender": sender, "ticket_id": ticket_id, "told": told, "ticket": ticket, "notification": notification}


def test_the_customer_is_told_once_and_the_report_keeps_bank_and_last4(conversation):
    told = conversation["told"]
    assert told["nik"][0] == wording.PERSONAL_DATA_NOTE.format(what="nomor KTP")
    assert not any(text.startswith("Demi keamanan") for key, replies in told.items() if key != "nik"
                   for text in replies)                                   # once, also for the card number
    assert wording.REPORT_FULL_ACCOUNT in told["account"]
    summary = " ".join(told["account"])
    assert "BCA ••••2648" in summary and "Rp 1.500.000" in summary and "Apakah sudah benar" in summary
    ticket = conversation["ticket"]
    details = {detail.name: detail for detail in ticket.details}
    assert details["bank_account"].value == "BCA ••••2648" and "4 digit terakhir" in details["bank_account"].note
    assert ticket.customer_id == conversation["sender"] and ticket.channel == "rest"   # the contact channel id
    customer_lines = " ".join(line.text for line in ticket.transcript if line.speaker == "customer")
    assert MASKED["nik"] in customer_lines and MASKED["card"] in customer_lines and MASKED["email"] in customer_lines


def test_the_agents_notification_holds_only_masked_forms(conversation):
    notification = conversation["notification"]
    assert leaked(notification.raw_body) == []
    body = notification.raw_body.decode("utf-8")
    assert all(MASKED[kind] in body for kind in ("nik", "card", "account", "phone", "email"))


def test_no_store_and_no_log_holds_personal_data(servers, conversation):
    config = servers.config
    wait_for(lambda: conversation["ticket_id"].encode() in sqlite_bytes(config.analytics_db),
             what="the conversation up to the ticket in the analytics store")
    stores = {name: sqlite_bytes(path) for name, path in (
        ("tracker", config.tracker_db), ("tickets", config.log_dir / "tickets.db"),
        ("channel state", config.log_dir / "channels.db"), ("analytics", config.analytics_db))}
    logs = {path.name: path.read_bytes() for path in config.log_dir.glob("*.log")}
    assert {"actions-17005.log", "rasa-17005.log"} <= set(logs)
    assert {name: leaked(raw) for name, raw in {**stores, **logs}.items() if leaked(raw)} == {}
    # the masked forms are there, so the checks above did read the stored conversation (the last message went
    # to the agents only: the handoff thread in the ticket store, not Rasa)
    for name in ("tracker", "analytics"):
        missing = [kind for kind in MASKED if kind != "phone_plus" and MASKED[kind].encode() not in stores[name]]
        assert missing == [], name
    assert [kind for kind in MASKED if MASKED[kind].encode() not in stores["tickets"]] == []
    assert b"0813****5432" in stores["tracker"] and conversation["sender"].encode() in stores["tracker"]
