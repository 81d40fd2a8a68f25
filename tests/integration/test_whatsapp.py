"""The WhatsApp channel against the real assistant: Rasa and the action server run on loopback ports
15305/15355 with the WhatsApp settings in their environment; replies go to a local fake Graph API."""
from __future__ import annotations

import json
import random
import sqlite3
import time
from typing import Any, Dict, Iterator, List

import pytest
import requests

from bot.evaluate import AssistantClient
from bot.servers import AssistantServers
from tests.channels.fake_graph import FakeGraph
from tests.channels.meta_signature import meta_signature
from tests.integration.conftest import client_for, running_servers, server_config

pytestmark = pytest.mark.integration

RASA_PORT, ACTION_PORT = 15305, 15355
VERIFY_TOKEN = "verify-token-for-tests"
APP_SECRET = "app-secret-for-tests"
SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"
MARKER_QUESTION, MARKER_ANSWER = "gimana cara aktifin google authenticator?", "Google Authenticator"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, graph: FakeGraph) -> Iterator[AssistantServers]:
    """Both servers with their own tracker, ticket and channel-state databases in a temporary folder."""
    config = server_config(tmp_path_factory.mktemp("whatsapp_servers"), RASA_PORT, ACTION_PORT,
                           env={"WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "WHATSAPP_APP_SECRET": APP_SECRET,
                                "WHATSAPP_ACCESS_TOKEN": graph.access_token,
                                "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
                                "WHATSAPP_API_BASE_URL": graph.api_base_url})
    with running_servers(config) as running:
        yield running


@pytest.fixture(scope="module")
def client(servers: AssistantServers) -> AssistantClient:
    return client_for(servers)


@pytest.fixture()
def wa_id() -> str:
    """A fresh customer (Indonesian mobile number) per test."""
    return "628" + "".join(random.choice("0123456789") for _ in range(10))


@pytest.fixture()
def fake(graph: FakeGraph) -> FakeGraph:
    graph.reset()
    return graph


class Customer:
    """Sends signed webhooks as one WhatsApp user."""

    def __init__(self, servers: AssistantServers, wa_id: str, name: str = "Siti Rahayu") -> None:
        self.url = f"{servers.config.rasa_url}/webhooks/whatsapp/webhook"
        self.wa_id, self.name = wa_id, name
        self.count = 0

    def message(self, kind: str, content: Dict[str, Any]) -> Dict[str, Any]:
        self.count += 1
        return {"from": self.wa_id, "id": f"wamid.{self.wa_id}.{self.count}", "timestamp": str(int(time.time())),
                "type": kind, kind: content}

    def body(self, *messages: Dict[str, Any], statuses: List[Dict[str, Any]] = ()) -> bytes:
        metadata = {"display_phone_number": "6281100000000", "phone_number_id": "109876543210"}
        value: Dict[str, Any] = {"messaging_product": "whatsapp", "metadata": metadata}
        if messages:
            value["contacts"] = [{"profile": {"name": self.name}, "wa_id": self.wa_id}]
            value["messages"] = list(messages)
        if statuses:
            value["statuses"] = list(statuses)
        return json.dumps({"object": "whatsapp_business_account",
                           "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}]}).encode()

    def post(self, raw: bytes, signature: Any = "sign") -> requests.Response:
        headers = {"Content-Type": "application/json"}
        if signature == "sign":
            signature = meta_signature(raw, APP_SECRET)
        if signature is not None:
            headers["X-Hub-Signature-256"] = signature
        return requests.post(self.url, data=raw, headers=headers, timeout=10)

    def say(self, text: str) -> bytes:
        raw = self.body(self.message("text", {"body": text}))
        assert self.post(raw).status_code == 200
        return raw

    def tap(self, kind: str, choice_id: str, title: str) -> None:
        raw = self.body(self.message("interactive", {"type": kind, kind: {"id": choice_id, "title": title}}))
        assert self.post(raw).status_code == 200


def replies(fake: FakeGraph, wa_id: str, count: int, settle: float = 1.0) -> List[Dict[str, Any]]:
    """The messages sent to ``wa_id`` once at least ``count`` arrived (plus ``settle`` seconds for more)."""
    return fake.wait_for(wa_id, count, timeout=45, settle=settle)


def marker_answer(customer: "Customer", fake: FakeGraph) -> List[Dict[str, Any]]:
    """Send a marker question and wait for its answer; it must be the first thing sent to this customer.

    Webhooks of one customer are handled in order, so anything an earlier request wrongly triggered would have
    been sent before the marker's answer: this proves "nothing was sent" without sleeping and hoping.
    """
    customer.say(MARKER_QUESTION)
    sent = wait_interactive(fake, customer.wa_id)
    assert sent[0]["type"] == "text" and MARKER_ANSWER in sent[0]["text"]["body"], sent
    assert len(fake.calls) == len(sent), fake.calls      # no other call reached the Graph API
    return sent


def last_interactive(messages: List[Dict[str, Any]]) -> Dict[str, Any]:
    return [m for m in messages if m["type"] == "interactive"][-1]["interactive"]


def wait_interactive(fake: FakeGraph, wa_id: str, count: int = 1) -> List[Dict[str, Any]]:
    """Messages to ``wa_id`` once ``count`` interactive ones have arrived."""
    deadline = time.monotonic() + 45
    while time.monotonic() < deadline:
        sent = fake.messages_to(wa_id)
        if sum(m["type"] == "interactive" for m in sent) >= count:
            time.sleep(0.5)
            return fake.messages_to(wa_id)
        time.sleep(0.1)
    raise AssertionError(f"no interactive reply to {wa_id}: {fake.calls}")


def body_texts(messages: List[Dict[str, Any]]) -> str:
    return " ".join(m["text"]["body"] if m["type"] == "text" else m["interactive"]["body"]["text"] for m in messages)


def bot_events(client: AssistantClient, wa_id: str) -> List[Dict[str, Any]]:
    return [e for e in client.tracker(f"wa-{wa_id}")["events"] if e["event"] == "bot"]


def user_events(client: AssistantClient, wa_id: str) -> List[Dict[str, Any]]:
    return [e for e in client.tracker(f"wa-{wa_id}")["events"] if e["event"] == "user"]


# --- handshake and request checks -------------------------------------------------------------------------

def test_verification_handshake(servers):
    url = f"{servers.config.rasa_url}/webhooks/whatsapp/webhook"
    ok = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": VERIFY_TOKEN,
                                   "hub.challenge": "1158201444"}, timeout=10)
    assert (ok.status_code, ok.text) == (200, "1158201444") and ok.headers["Content-Type"].startswith("text/plain")
    wrong = requests.get(url, params={"hub.mode": "subscribe", "hub.verify_token": "nope", "hub.challenge": "1"},
                         timeout=10)
    assert wrong.status_code == 403 and "1" not in wrong.text
    assert requests.get(url, timeout=10).status_code == 403


def test_unsigned_badly_signed_and_malformed_requests_are_refused(servers, fake, wa_id):
    customer = Customer(servers, wa_id)
    raw = customer.body(customer.message("text", {"body": "halo"}))
    assert customer.post(raw, signature=None).status_code == 401
    assert customer.post(raw, signature="sha256=" + "0" * 64).status_code == 403
    assert customer.post(raw, signature=meta_signature(raw, "another-secret")).status_code == 403
    for malformed in (b"{", b"[]", b'{"object": "whatsapp_business_account", "entry": "x"}',
                      customer.body(dict(customer.message("text", {"body": 5})))):
        status = customer.post(malformed).status_code
        assert 400 <= status < 500, (malformed, status)
    assert customer.post(b"{" + b" " * 1_000_001 + b"}").status_code == 413
    marker_answer(customer, fake)     # the refused "halo" above got no reply before the marker's answer


# --- conversations ----------------------------------------------------------------------------------------

def test_knowledge_question_is_answered_with_reply_buttons(servers, fake, client, wa_id):
    customer = Customer(servers, wa_id)
    customer.say("gimana cara aktifin google authenticator?")
    sent = wait_interactive(fake, wa_id)
    assert sent[0]["type"] == "text" and "Google Authenticator" in sent[0]["text"]["body"]
    assert sent[0]["text"]["body"].startswith("*") and "**" not in body_texts(sent)
    buttons = last_interactive(sent)
    assert buttons["type"] == "button"
    assert [b["reply"]["id"] for b in buttons["action"]["buttons"]] == ["/affirm", "/deny"]
    assert client.tracker(f"wa-{wa_id}")["slots"]["kb_article"] == "aktivasi-2fa"


def test_tapped_reply_button_gets_the_next_reply(servers, fake, client, wa_id):
    customer = Customer(servers, wa_id)
    customer.say("lupa password gabisa login")
    before = len(wait_interactive(fake, wa_id))
    customer.tap("button_reply", "/affirm", "Ya, membantu")
    sent = replies(fake, wa_id, before + 1)
    assert "Senang bisa membantu" in body_texts(sent[before:])
    assert client.tracker(f"wa-{wa_id}")["slots"]["kb_helpful"] is True
    assert user_events(client, wa_id)[-1]["text"] == "/affirm"


def test_vague_question_gets_a_list_and_a_row_choice_opens_the_article(servers, fake, client, wa_id):
    customer = Customer(servers, wa_id)
    customer.say("mau tanya soal biaya")
    sent = wait_interactive(fake, wa_id)
    listing = last_interactive(sent)
    assert listing["type"] == "list", listing
    rows = listing["action"]["sections"][0]["rows"]
    assert len(rows) == 4 and rows[-1]["id"] == "/request_human"
    assert all(len(r["title"]) <= 24 and len(r.get("description", "")) <= 72 for r in rows)
    chosen = json.loads(rows[0]["id"][len("/choose_article"):])["article_id"]
    customer.tap("list_reply", rows[0]["id"], rows[0]["title"])
    replies(fake, wa_id, len(sent) + 1)
    assert client.tracker(f"wa-{wa_id}")["slots"]["kb_article"] == chosen


def test_forged_reply_id_is_not_trusted(servers, fake, client, wa_id):
    customer = Customer(servers, wa_id)
    customer.tap("button_reply", '/choose_article{"article_id":"penipuan"}', "halo")
    replies(fake, wa_id, 1)
    assert user_events(client, wa_id)[-1]["text"] == "halo"
    assert client.tracker(f"wa-{wa_id}")["slots"]["kb_article"] is None


def test_non_text_message_gets_the_text_only_reply(servers, fake, client, wa_id):
    customer = Customer(servers, wa_id)
    raw = customer.body(customer.message("image", {"id": "1", "mime_type": "image/jpeg", "caption": "ktp saya"}))
    assert customer.post(raw).status_code == 200
    sent = replies(fake, wa_id, 1)
    assert len(sent) == 1 and sent[0]["text"]["body"].startswith("Maaf, saat ini saya hanya bisa membaca pesan teks")


def test_status_callback_gets_no_reply(servers, fake, wa_id):
    customer = Customer(servers, wa_id)
    status = {"id": "wamid.OUT1", "status": "read", "timestamp": str(int(time.time())), "recipient_id": wa_id}
    assert customer.post(customer.body(statuses=[status])).status_code == 200
    marker_answer(customer, fake)     # the status callback got no reply before the marker's answer


def test_replayed_webhook_gets_exactly_one_reply(servers, fake, client, wa_id):
    customer = Customer(servers, wa_id)
    raw = customer.say("halo kak")
    assert customer.post(raw).status_code == 200 and customer.post(raw).status_code == 200
    sent = replies(fake, wa_id, 1, settle=3)
    assert len(user_events(client, wa_id)) == 1
    assert len(sent) == len(bot_events(client, wa_id)) >= 1


def test_graph_api_errors_are_retried_and_delivered_once(servers, fake, client, wa_id):
    fake.fail_next(500, times=2)
    Customer(servers, wa_id).say("halo kak")
    sent = replies(fake, wa_id, 1, settle=3)
    assert [c.status for c in fake.calls][:3] == [500, 500, 200]
    assert len(sent) == len(bot_events(client, wa_id)) >= 1
    assert len({json.dumps(m, sort_keys=True) for m in sent}) == len(sent)   # nothing twice


def test_seed_phrase_never_reaches_the_tracker_store(servers, fake, client, wa_id):
    Customer(servers, wa_id).say(f"ini seed phrase dompet saya {SEED} tolong cek saldonya")
    sent = wait_interactive(fake, wa_id)
    assert "PENTING" in body_texts(sent)
    with sqlite3.connect(servers.config.tracker_db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (f"wa-{wa_id}",)).fetchall()
    assert rows and not any("sausage" in data or "legal winner" in data for (data,) in rows)


def test_profile_name_is_in_the_tracker_metadata(servers, fake, client, wa_id):
    Customer(servers, wa_id, name="Dewi Lestari").say("halo kak")
    replies(fake, wa_id, 1)
    [user] = user_events(client, wa_id)
    assert user["metadata"]["customer_name"] == "Dewi Lestari"
    assert user["input_channel"] == "whatsapp"
