"""Privacy requests end to end: "minta data saya" / "hapus data saya" over REST -> Rasa -> action server ->
a ``privasi`` ticket in the ticket store -> the agents' helpdesk webhook; "cara tutup akun" stays a KB answer."""
from __future__ import annotations

import re
import uuid
from typing import Iterator

import pytest

from bot.evaluate import AssistantClient
from bot.servers import AssistantServers
from bot.tickets import TicketStore, open_store
from bot.tickets.sla import privacy_deadline
from tests.integration.conftest import client_for, payloads, running_servers, server_config, texts, wait_for
from tests.tickets.fakes import WebhookReceiver

pytestmark = pytest.mark.integration

RASA_PORT, ACTION_PORT, WEBHOOK_PORT = 17205, 17210, 17215
TICKET_ID = re.compile(r"CS-\d{8}-\d{4}")


@pytest.fixture(scope="module")
def helpdesk() -> Iterator[WebhookReceiver]:
    """The agents' helpdesk webhook, on a port of this test's range."""
    receiver = WebhookReceiver()
    receiver.down()
    receiver.port = WEBHOOK_PORT
    receiver.up()
    yield receiver
    receiver.close()


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, helpdesk: WebhookReceiver) -> Iterator[AssistantServers]:
    notifiers = (f"notifiers:\n  helpdesk_webhook:\n    kind: webhook\n    url: '{helpdesk.url}'\n"
                 f"    secret: '{helpdesk.secret}'\n")
    config = server_config(tmp_path_factory.mktemp("privacy"), RASA_PORT, ACTION_PORT, notifiers=notifiers)
    with running_servers(config) as running:
        yield running


@pytest.fixture(scope="module")
def client(live: AssistantServers) -> AssistantClient:
    return client_for(live, timeout=60)


@pytest.fixture(scope="module")
def store(live: AssistantServers) -> TicketStore:
    return open_store(live.config.tickets_db_url)


@pytest.fixture()
def sender() -> str:
    return f"pdp-{uuid.uuid4().hex[:10]}"


@pytest.mark.parametrize(("message", "intent", "word", "subcommand", "promise"), [
    ("minta data saya", "request_data_access", "AKSES", "export", "salinan data pribadi"),
    ("hapus data saya", "request_data_erasure", "HAPUS", "erase", "Saya sendiri tidak menghapus data apa pun"),
])
def test_a_privacy_request_opens_a_privasi_ticket_for_an_agent(client, store, helpdesk, sender, message, intent,
                                                               word, subcommand, promise):
    replies = texts(client.send(sender, message))
    joined = " ".join(replies)
    tracker = client.tracker(sender)
    assert tracker["latest_message"]["intent"]["name"] == intent
    ticket_id = TICKET_ID.search(replies[0]).group(0)
    assert tracker["slots"]["handoff_ticket"] == ticket_id
    assert promise in joined and "pemilik akun" in joined and "kanal resmi" in joined
    assert "3×24 jam" in joined and "paling lambat" in replies[-1]
    assert "tidak pernah meminta kata sandi, kode OTP, atau foto KTP" in joined

    ticket = store.get(ticket_id)
    assert (ticket.category, ticket.customer_id, ticket.channel, ticket.priority) == ("privasi", sender, "rest", "high")
    command = f"python -m bot.privacy {subcommand} --customer {sender}"
    assert ticket.summary.startswith(f"Permintaan {word} data pribadi (UU PDP) dari pelanggan {sender} via rest.")
    assert "Verifikasi dulu identitas pemilik akun lewat kanal resmi" in ticket.summary
    assert f"jalankan python -m bot.privacy {subcommand} --customer <ID pelanggan>" in ticket.summary
    details = {d.name: d for d in ticket.details}
    assert details["privacy_command"].value == command and details["identity"].status == "unverified"
    assert ticket.sla_due_at < privacy_deadline(ticket.created_at)
    assert [line.text for line in ticket.transcript if line.speaker == "customer"] == [message]

    notification = wait_for(lambda: [c.payload for c in helpdesk.accepted if c.payload.get("id") == ticket_id],
                            what="the helpdesk notification")[0]
    assert notification["category"] == "privasi" and notification["summary"] == ticket.summary
    assert {d["name"]: d["value"] for d in notification["details"]}["privacy_command"] == command

    # The conversation now waits for the agent: the customer's next message goes to them, not to the bot.
    follow_up = " ".join(texts(client.send(sender, "oke saya tunggu")))
    assert ticket_id in follow_up and "agen" in follow_up


def test_a_question_about_erasure_gets_the_article_and_an_offer_then_yes_opens_the_request(client, store, sender):
    question = "gimana cara minta hapus data pribadi saya?"
    replies = client.send(sender, question)
    tracker = client.tracker(sender)
    assert tracker["latest_message"]["intent"]["name"] == "request_data_erasure"
    assert tracker["slots"]["kb_article"] == "privasi-data" and tracker["slots"]["handoff_ticket"] is None
    assert "hapus data saya" in texts(replies)[0]            # the article says how a request is made
    assert "Mau saya ajukan permintaan penghapusan" in texts(replies)[-1]
    assert payloads(replies) == ["/affirm", "/deny"]
    assert [t for t in store.list(status=None) if t.customer_id == sender] == []   # nothing opened unasked

    reply = " ".join(texts(client.send(sender, "iya")))
    ticket_id = TICKET_ID.search(reply).group(0)
    ticket = store.get(ticket_id)
    assert ticket.category == "privasi" and ticket.summary.startswith("Permintaan HAPUS data pribadi")
    assert "privasi-data" in ticket.kb_articles
    assert [line.text for line in ticket.transcript if line.speaker == "customer"] == [question, "iya"]
    assert client.tracker(sender)["slots"]["privacy_offer"] is None


def test_no_to_the_offer_opens_nothing(client, store, sender):
    client.send(sender, "bisa minta salinan data pribadi saya?")
    assert client.tracker(sender)["slots"]["privacy_offer"] == "request_data_access"
    reply = " ".join(texts(client.send(sender, "/deny")))
    assert "tidak masalah" in reply and not TICKET_ID.search(reply)
    assert [t for t in store.list(status=None) if t.customer_id == sender] == []


@pytest.mark.parametrize(("message", "article"), [
    ("cara tutup akun", "tutup-akun"),
    ("min mau hapus akun gw, caranya gimana", "tutup-akun"),
    ("mau ganti nomor hp yang terdaftar", "ubah-email-telepon"),
])
def test_account_closure_and_changing_data_stay_knowledge_answers(client, store, sender, message, article):
    replies = texts(client.send(sender, message))
    tracker = client.tracker(sender)
    assert tracker["latest_message"]["intent"]["name"] == "ask_knowledge"
    assert tracker["slots"]["kb_article"] == article and tracker["slots"]["handoff_ticket"] is None
    assert not any(TICKET_ID.search(text) for text in replies)
    assert [t for t in store.list(status=None) if t.customer_id == sender] == []
