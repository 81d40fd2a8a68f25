"""Live handoff end to end: a WhatsApp customer (local fake Graph API) and agents in Chatwoot (local fake
Chatwoot sending real, signed webhooks), through the real Rasa and action servers on 15405/15455.

Ticket -> Chatwoot conversation with the summary and a private note -> the customer's follow-up reaches
the conversation -> an agent's reply reaches WhatsApp (once, even when the webhook is redelivered) -> a
reply after the 24-hour window goes out as the approved template -> resolve -> the survey as a WhatsApp
list -> rating 5 stored and shown to the agent.
"""
from __future__ import annotations

import random
import re
import time
from typing import Any, Dict, Iterator, List

import pytest
import sqlalchemy as sa

from bot.handoff.store import HandoffStore
from bot.handoff.survey import rating_payload
from bot.servers import AssistantServers
from bot.tickets.database import connect
from bot.tickets.schema import handoffs
from tests.channels.fake_chatwoot import FakeChatwoot
from tests.channels.fake_graph import FakeGraph
from tests.integration.conftest import running_servers, server_config, wait_for
from tests.integration.test_whatsapp import APP_SECRET, VERIFY_TOKEN, Customer, body_texts

pytestmark = pytest.mark.integration

RASA_PORT, ACTION_PORT = 15405, 15455
TICKET_ID = re.compile(r"CS-\d{8}-\d{4}")
TEMPLATE = "balasan_agen"


@pytest.fixture(scope="module")
def chatwoot() -> Iterator[FakeChatwoot]:
    fake = FakeChatwoot(webhook_url=f"http://127.0.0.1:{RASA_PORT}/webhooks/desks/chatwoot")
    yield fake
    fake.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, graph: FakeGraph,
            chatwoot: FakeChatwoot) -> Iterator[AssistantServers]:
    desks = ("desks:\n  chatwoot:\n    kind: chatwoot\n"
             f"    base_url: '{chatwoot.base_url}'\n    account_id: '{chatwoot.account_id}'\n"
             f"    inbox_id: '{chatwoot.inbox_id}'\n    api_token: '{chatwoot.api_token}'\n"
             f"    webhook_secret: '{chatwoot.webhook_secret}'\n    agents: '7'\n")
    config = server_config(tmp_path_factory.mktemp("handoff_whatsapp"), RASA_PORT, ACTION_PORT, desks=desks,
                           env={"WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN, "WHATSAPP_APP_SECRET": APP_SECRET,
                                "WHATSAPP_ACCESS_TOKEN": graph.access_token,
                                "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
                                "WHATSAPP_API_BASE_URL": graph.api_base_url, "WHATSAPP_AGENT_TEMPLATE": TEMPLATE})
    with running_servers(config) as running:
        yield running



class Chat:
    """One WhatsApp customer and what the fake Graph API delivered to them."""

    def __init__(self, servers: AssistantServers, graph: FakeGraph, wa_id: str) -> None:
        self.customer, self.graph, self.wa_id = Customer(servers, wa_id, name="Siti Rahayu"), graph, wa_id

    def sent(self) -> List[Dict[str, Any]]:
        return self.graph.messages_to(self.wa_id)

    def say(self, text: str, settle: float = 0.8) -> List[Dict[str, Any]]:
        """Send text; the new messages the customer got (waiting until they stop coming)."""
        before = len(self.sent())
        self.customer.say(text)
        return self._new_after(before, settle)

    def tap(self, kind: str, choice_id: str, title: str, settle: float = 0.8) -> List[Dict[str, Any]]:
        before = len(self.sent())
        self.customer.tap(kind, choice_id, title)
        return self._new_after(before, settle)

    def _new_after(self, before: int, settle: float) -> List[Dict[str, Any]]:
        wait_for(lambda: len(self.sent()) > before, what="a reply on WhatsApp")
        count = -1
        while count != len(self.sent()):
            count = len(self.sent())
            time.sleep(settle)
        return self.sent()[before:]


def texts(messages: List[Dict[str, Any]]) -> str:
    return body_texts([m for m in messages if m["type"] in ("text", "interactive")])


def test_whatsapp_customer_and_chatwoot_agents(servers, graph, chatwoot):
    chat = Chat(servers, graph, "628" + "".join(random.choice("0123456789") for _ in range(10)))
    chat.say("tolong, penarikan rupiah saya ke BCA gagal padahal saldo sudah terpotong")
    for answer in ("1,5 jt", "kemarin jam 10", "tidak tahu"):
        chat.say(answer)
    summary = chat.say("1234")
    assert "Apakah sudah benar" in texts(summary)
    confirmation = texts(chat.tap("button_reply", "/affirm", "Ya, benar"))
    ticket_id = TICKET_ID.search(confirmation).group(0)

    # Chatwoot: a conversation with the summary, the details as a private note.
    conversation = wait_for(lambda: [c for c in chatwoot.conversations
                                     if c["custom_attributes"].get("ticket_id") == ticket_id], what="conversation")[0]
    opening = wait_for(lambda: len(chatwoot.messages(conversation["id"])) >= 2 and
                       chatwoot.messages(conversation["id"]), what="summary and note")
    assert opening[0]["message_type"] == "incoming" and not opening[0]["private"]
    assert any(m["private"] and "Rp 1.500.000" in m["content"] for m in opening)
    conversation_id = conversation["id"]

    # The customer's follow-up reaches the conversation; the bot itself stays silent.
    notice = chat.say("halo kak, dana saya gimana?")
    assert len(notice) == 1 and "di chat ini" in texts(notice)
    wait_for(lambda: any(m["content"] == "halo kak, dana saya gimana?" and m["message_type"] == "incoming"
                         for m in chatwoot.messages(conversation_id)), what="follow-up in Chatwoot")

    # An agent's reply reaches WhatsApp, once even when Chatwoot redelivers the webhook.
    before = len(chat.sent())
    delivery = chatwoot.agent_reply(conversation_id, "Halo Kak Siti, saya Rina. Dana sedang kami cek.",
                                    agent_name="Rina", agent_id=7)
    chatwoot.redeliver(delivery)
    reply = wait_for(lambda: [m for m in chat.sent()[before:] if "Dana sedang kami cek" in texts([m])],
                     what="the agent's reply on WhatsApp")
    time.sleep(2)
    assert sum("Dana sedang kami cek" in texts([m]) for m in chat.sent()) == 1
    assert texts(reply).startswith("Agen Rina:")
    assert any("Agen Rina sedang menangani laporan Anda" in texts([m]) for m in chat.sent()[before:])

    # 25 hours later: the reply goes out as the approved template.
    store = HandoffStore(connect(servers.config.tickets_db_url))
    with store.database.writer.begin() as connection:
        connection.execute(sa.update(handoffs).where(handoffs.c.ticket_id == ticket_id)
                           .values(last_customer_at=sa.func.datetime("now", "-25 hours")))
    chatwoot.agent_reply(conversation_id, "Dana sudah kembali ke rekening BCA Anda.", agent_name="Rina", agent_id=7)
    template = wait_for(lambda: [m for m in chat.sent() if m["type"] == "template"], what="template")[-1]
    assert template["template"]["name"] == TEMPLATE
    assert "Dana sudah kembali" in template["template"]["components"][0]["parameters"][0]["text"]

    # Resolve in Chatwoot: the customer gets the news and the survey as a list; rating 5 is stored.
    chat.customer.say("oke sudah masuk, terima kasih")   # the customer writes again: the window opens; no reply
    wait_for(lambda: any(m["content"] == "oke sudah masuk, terima kasih" for m in chatwoot.messages(conversation_id)),
             what="the second follow-up in Chatwoot")
    before = len(chat.sent())
    chatwoot.resolve(conversation_id)
    survey = wait_for(lambda: [m for m in chat.sent()[before:] if m["type"] == "interactive"], what="survey")[-1]
    assert survey["interactive"]["type"] == "list"
    rows = survey["interactive"]["action"]["sections"][0]["rows"]
    assert rows[0]["title"] == "5 - Sangat puas"
    thanks = chat.tap("list_reply", rows[0]["id"], rows[0]["title"])
    assert "Terima kasih atas penilaiannya" in texts(thanks)
    handoff = store.get(ticket_id)
    assert (handoff.state, handoff.rating, handoff.agent.name, handoff.agent.desk) == ("resolved", 5, "Rina",
                                                                                       "chatwoot")
    wait_for(lambda: any(m["private"] and "5/5" in m["content"] for m in chatwoot.messages(conversation_id)),
             what="the rating shown in Chatwoot")
    assert rating_payload(ticket_id, 5) not in texts(chat.sent())   # payloads are never shown as text
