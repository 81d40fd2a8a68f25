"""Delivering handoff messages: order per conversation, retries, WhatsApp's 24-hour window, undeliverable
messages reported to the agents (real SQLite store; the WhatsApp Cloud API is a local fake)."""
from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Iterator, List

import pytest

from bot.channels.whatsapp import WhatsAppOutput
from bot.channels.whatsapp_choices import ChoiceStore
from bot.channels.whatsapp_graph import GraphClient
from bot.handoff.customers import CustomerSenders, WhatsAppSender, WhatsAppTemplate
from bot.handoff.delivery import HandoffWorker
from bot.handoff.model import Handoff, ThreadMessage
from bot.handoff.service import utc_now
from bot.tickets import TicketStore
from bot.tickets.notifiers import DeliveryError
from tests.channels.fake_graph import FakeGraph
from tests.handoff.fixtures import RINA, Desk, make_desk


class FlakyCustomer:
    """A customer channel that refuses the first ``failures`` sends."""

    def __init__(self, failures: int = 0) -> None:
        self.failures = failures
        self.got: List[str] = []

    async def send(self, handoff: Handoff, message: ThreadMessage) -> None:
        if self.failures:
            self.failures -= 1
            raise DeliveryError("platform down")
        self.got.append(message.text)


class RecordingDesk:
    name = "telegram_agen"

    def __init__(self) -> None:
        self.got: List[str] = []

    async def deliver(self, ticket, handoff, message) -> None:
        self.got.append(message.text)


def worker_for(desk: Desk, customer: object) -> tuple:
    senders = CustomerSenders()
    senders.register("telegram", customer)  # type: ignore[arg-type]
    agents = RecordingDesk()
    return HandoffWorker(desk.service, senders, {"telegram_agen": agents}), agents


def drain(worker: HandoffWorker, passes: int = 10, step: timedelta = timedelta(seconds=1)) -> None:
    """``passes`` delivery passes, the clock moving on by ``step`` before each."""
    async def run() -> None:
        start = utc_now()
        for index in range(passes):
            await worker.deliver_due(start + step * (index + 1))

    asyncio.run(run())


def waiting_for_customer(desk: Desk) -> int:
    """Rows for the customer still to be delivered (pending or failed)."""
    return len(desk.store.outbox.claim_due(["customer"], utc_now() + timedelta(days=30), timedelta(seconds=1),
                                           limit=100))


@pytest.fixture
def desk(sqlite_store: TicketStore) -> Desk:
    desk = make_desk(sqlite_store)
    desk.service.claim(desk.ticket_id, RINA)
    for text in ("satu", "dua", "tiga"):
        desk.service.reply(desk.ticket_id, text, RINA)
    return desk


def test_messages_reach_the_customer_in_order_and_once(desk):
    customer = FlakyCustomer()
    worker, agents = worker_for(desk, customer)
    drain(worker)
    assert [text.split("\n")[-1] for text in customer.got] == [
        f"Agen Rina sedang menangani laporan Anda ({desk.ticket_id}). Balasannya akan muncul di chat ini.",
        "satu", "dua", "tiga"]
    assert agents.got == [f"Tiket {desk.ticket_id} diambil oleh Rina."]
    drain(worker)
    assert len(customer.got) == 4


def test_a_platform_outage_delays_but_never_reorders_or_loses(desk):
    customer = FlakyCustomer(failures=2)
    worker, _ = worker_for(desk, customer)
    drain(worker, passes=3)                          # the first message fails, the rest must wait behind it
    assert customer.got == []
    drain(worker, passes=10, step=timedelta(minutes=10))
    assert [text.split("\n")[-1] for text in customer.got][1:] == ["satu", "dua", "tiga"]
    assert waiting_for_customer(desk) == 0


@pytest.fixture
def graph() -> Iterator[FakeGraph]:
    api = FakeGraph()
    yield api
    api.close()


def whatsapp_desk(sqlite_store: TicketStore, graph: FakeGraph, tmp_path, template=None) -> tuple:
    desk = make_desk(sqlite_store, customer_id="wa-6281234567890", channel="whatsapp")
    client = GraphClient(graph.access_token, graph.phone_number_id, graph.api_base_url, max_attempts=1)
    choices = ChoiceStore(tmp_path / "channels.db")
    sender = WhatsAppSender(lambda: WhatsAppOutput(client, choices), client, template)
    senders = CustomerSenders()
    senders.register("whatsapp", sender)
    agents = RecordingDesk()
    age_the_window(desk, 0)   # the customer wrote just now (the fixture's ticket is from another day)
    return desk, HandoffWorker(desk.service, senders, {"telegram_agen": agents}), agents


def age_the_window(desk: Desk, hours: float) -> None:
    """Pretend the customer last wrote ``hours`` ago."""
    import sqlalchemy as sa

    from bot.tickets.schema import handoffs

    with desk.store.database.writer.begin() as connection:
        connection.execute(sa.update(handoffs).where(handoffs.c.ticket_id == desk.ticket_id)
                           .values(last_customer_at=utc_now() - timedelta(hours=hours)))


def test_whatsapp_inside_the_window_gets_the_text_and_the_survey_as_a_list(sqlite_store, graph, tmp_path):
    desk, worker, _ = whatsapp_desk(sqlite_store, graph, tmp_path)
    desk.service.claim(desk.ticket_id, RINA)
    desk.service.close(desk.ticket_id, RINA)
    drain(worker)
    sent = graph.messages_to("6281234567890")
    assert [m["type"] for m in sent] == ["text", "text", "interactive"]
    assert sent[2]["interactive"]["type"] == "list"   # five ratings: more than three reply buttons
    rows = sent[2]["interactive"]["action"]["sections"][0]["rows"]
    assert [row["title"] for row in rows] == ["5 - Sangat puas", "4 - Puas", "3 - Cukup", "2 - Kurang puas",
                                              "1 - Tidak puas"]


def test_whatsapp_outside_the_window_uses_the_approved_template(sqlite_store, graph, tmp_path):
    desk, worker, _ = whatsapp_desk(sqlite_store, graph, tmp_path, WhatsAppTemplate("balasan_agen", "id"))
    desk.service.claim(desk.ticket_id, RINA)
    age_the_window(desk, 25)
    desk.service.reply(desk.ticket_id, "Dana sudah kembali.\nSilakan cek saldo.", RINA)
    drain(worker)
    template = graph.messages_to("6281234567890")[-1]
    assert template["type"] == "template" and template["template"]["name"] == "balasan_agen"
    assert template["template"]["language"] == {"code": "id"}
    assert template["template"]["components"][0]["parameters"] == [
        {"type": "text", "text": "Agen Rina: Dana sudah kembali. Silakan cek saldo."}]


def test_whatsapp_outside_the_window_without_a_template_tells_the_agent_why(sqlite_store, graph, tmp_path):
    desk, worker, agents = whatsapp_desk(sqlite_store, graph, tmp_path)
    desk.service.claim(desk.ticket_id, RINA)
    age_the_window(desk, 30)
    desk.service.reply(desk.ticket_id, "Dana sudah kembali.", RINA)
    drain(worker)
    assert graph.messages_to("6281234567890") == []
    assert any("TIDAK terkirim" in text and "24 jam" in text and "Dana sudah kembali" in text for text in agents.got)
    assert waiting_for_customer(desk) == 0     # given up on, not retried forever
    drain(worker, step=timedelta(hours=1))
    assert graph.messages_to("6281234567890") == []


def test_whatsapp_refusing_a_message_is_retried(sqlite_store, graph, tmp_path):
    desk, worker, _ = whatsapp_desk(sqlite_store, graph, tmp_path)
    graph.fail_next(503)
    desk.service.claim(desk.ticket_id, RINA)
    drain(worker, passes=2)
    assert graph.messages_to("6281234567890") == []
    drain(worker, step=timedelta(minutes=5))
    assert len(graph.messages_to("6281234567890")) == 1
