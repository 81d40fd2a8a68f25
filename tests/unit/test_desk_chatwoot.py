"""The Chatwoot desk against a local Chatwoot (``tests.channels.fake_chatwoot``) and a real SQLite ticket store:
announcing tickets, the agents' webhooks (reply, private note, assignment, resolve), signatures, and what
happens when Chatwoot is down."""
from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any, AsyncIterator, Dict, Iterator, List

import pytest
from aiohttp import web

from bot.desks.chatwoot import ChatwootDesk, contact_identity, details_note, signature
from bot.handoff.model import RESOLVED, SURVEY_ASKED, TO_AGENT, TO_CUSTOMER, WAITING, WITH_AGENT, Agent
from bot.handoff.service import CLAIMED, DONE, DUPLICATE, SENT, TAKEN, HandoffService
from bot.handoff.store import HandoffStore
from bot.tickets.database import connect
from bot.tickets.model import Ticket
from bot.tickets.notifiers import DeliveryError, Undeliverable
from bot.tickets.render import format_wib
from bot.tickets.store import TicketStore
from tests.channels.fake_chatwoot import FakeChatwoot, WebhookDelivery, ruby_json
from tests.tickets.drafts import make_draft
from tests.tickets.fakes import LocalServer

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)  # Monday 10:00 WIB
REPLY = "Dana Anda sudah kami cek di jaringan TRC20, mohon tunggu 10 menit lagi."


@pytest.fixture
def service(tmp_path) -> Iterator[HandoffService]:
    database = connect(f"sqlite:///{tmp_path / 'tickets.db'}")
    yield HandoffService(HandoffStore(database), TicketStore(database), desk_names=["chatwoot"])
    database.reader.dispose()


@pytest.fixture
def chatwoot() -> Iterator[FakeChatwoot]:
    server = FakeChatwoot()
    yield server
    server.close()


@pytest.fixture
async def desk(chatwoot: FakeChatwoot, service: HandoffService) -> AsyncIterator[ChatwootDesk]:
    chatwoot_desk = make_desk(chatwoot, service)
    await chatwoot_desk.start()
    yield chatwoot_desk
    await chatwoot_desk.settle()
    await chatwoot_desk.stop()


def make_desk(chatwoot: FakeChatwoot, service: HandoffService, **overrides: Any) -> ChatwootDesk:
    settings: Dict[str, Any] = dict(name="chatwoot", base_url=chatwoot.base_url, account_id=chatwoot.account_id,
                                    inbox_id=chatwoot.inbox_id, api_token=chatwoot.api_token, service=service,
                                    webhook_secret=chatwoot.webhook_secret, timeout=3.0,
                                    agents=["7", "9"])   # the allow-list (Chatwoot user ids)
    settings.update(overrides)
    return ChatwootDesk(**settings)


def new_ticket(service: HandoffService, **draft_overrides: Any) -> Ticket:
    return service.tickets.create(make_draft(**draft_overrides), ["chatwoot"], now=NOW)


async def announced(desk: ChatwootDesk, service: HandoffService, **draft_overrides: Any):
    """A new ticket, announced in Chatwoot: (ticket, conversation display id)."""
    ticket = new_ticket(service, **draft_overrides)
    await desk.send(ticket, idempotency_key="1")
    conversation_id = await desk.conversation_of(ticket.id)
    assert conversation_id is not None
    return ticket, conversation_id


async def deliver(desk: ChatwootDesk, delivery: WebhookDelivery):
    return await desk.handle_webhook(delivery.body, delivery.headers)


def signed(chatwoot: FakeChatwoot, payload: Dict[str, Any], timestamp: int = 0) -> Dict[str, Any]:
    """Body and headers of a webhook Chatwoot would send with ``payload``."""
    body = ruby_json(payload)
    stamp = str(timestamp or int(time.time()))
    return {"body": body, "headers": {"Content-Type": "application/json", "X-Chatwoot-Timestamp": stamp,
                                      "X-Chatwoot-Signature": chatwoot.sign(body, stamp)}}


def to_customer(service: HandoffService, ticket_id: str) -> List[str]:
    return [message.text for message in service.store.thread(ticket_id) if message.direction == TO_CUSTOMER]


# ---------------------------------------------------------------- announcing tickets

async def test_announcement_opens_a_conversation_with_summary_and_private_details(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)

    [contact] = chatwoot.contacts
    assert (contact["identifier"], contact["name"]) == ("tg-88123", "Budi Santoso")
    assert contact["email"] is None and contact["phone_number"] is None
    conversation = chatwoot.conversation(conversation_id)
    assert conversation["contact_id"] == contact["id"]
    assert conversation["custom_attributes"] == {"ticket_id": ticket.id}
    assert conversation["status"] == "open"
    first, note = chatwoot.messages(conversation_id)
    assert (first["message_type"], first["private"], first["sender"]) == ("incoming", False, ("contact", contact["id"]))
    assert first["content"] == f"[{ticket.id}] WD 150 USDT via TRC20 belum masuk sejak semalam"
    assert (note["message_type"], note["private"]) == ("outgoing", True)
    for expected in (f"**Tiket {ticket.id}**", "**Prioritas:** Tinggi", "**Kategori:** Penarikan kripto",
                     f"**Batas respons (SLA):** {format_wib(ticket.sla_due_at)}",
                     "✅ Aset: `USDT` (valid)", "🔎 Jaringan: `TRC20` (disimpulkan: disimpulkan dari format alamat)",
                     "⚠️ Alamat tujuan: `TQ4ge3kZ2DuYtVv9ZnG7Ezj2kXsTVLdLgX` (belum terverifikasi: checksum alamat "
                     "tidak cocok)", "❔ TXID: `-` (tidak diketahui)",
                     "**Artikel KB yang sudah ditampilkan:** withdraw-crypto-pending, network-mismatch",
                     "Pelanggan: trc20, udah 12 jam"):
        assert expected in note["content"]
    assert format_wib(ticket.sla_due_at).endswith(" WIB")
    assert service.store.links(ticket.id, "chatwoot") == [f"conversation:{conversation_id}", f"note:{note['id']}"]
    assert {call.token for call in chatwoot.calls} == {chatwoot.api_token}


async def test_second_ticket_of_the_same_customer_reuses_the_contact(desk, chatwoot, service):
    first, first_conversation = await announced(desk, service)
    second, second_conversation = await announced(desk, service, summary="Deposit rupiah belum masuk",
                                                  category="deposit_idr")

    assert len(chatwoot.contacts) == 1
    assert len(chatwoot.api_calls("POST", "/contacts")) == 1
    assert first_conversation != second_conversation
    assert chatwoot.conversation(second_conversation)["contact_id"] == chatwoot.contacts[0]["id"]
    assert await desk.ticket_of(second_conversation) == second.id
    assert await desk.ticket_of(first_conversation) == first.id


async def test_redelivered_announcement_creates_nothing_twice(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    await desk.send(ticket, idempotency_key="1")

    assert len(chatwoot.conversations) == 1
    assert len(chatwoot.api_calls("POST", "/conversations")) == 1
    assert len(chatwoot.messages(conversation_id)) == 2  # summary + details, once


async def test_announcement_retry_finishes_what_a_failure_left_undone(desk, chatwoot, service):
    ticket = new_ticket(service)
    chatwoot.fail_path("POST", "/messages", status=503)  # the private note fails
    with pytest.raises(DeliveryError):
        await desk.send(ticket, idempotency_key="1")
    assert len(chatwoot.conversations) == 1

    await desk.send(ticket, idempotency_key="1")
    [conversation] = chatwoot.conversations
    assert [m["private"] for m in chatwoot.messages(conversation["id"])] == [False, True]


async def test_lost_answer_to_conversation_create_does_not_open_a_second_one(desk, chatwoot, service):
    ticket = new_ticket(service)
    chatwoot.fail_path("POST", "/conversations", status=502, after_effect=True)
    with pytest.raises(DeliveryError):
        await desk.send(ticket, idempotency_key="1")

    await desk.send(ticket, idempotency_key="1")
    [conversation] = chatwoot.conversations
    assert await desk.conversation_of(ticket.id) == conversation["id"]
    assert len(chatwoot.messages(conversation["id"])) == 2


async def test_whatsapp_number_never_reaches_chatwoot(desk, chatwoot, service):
    await announced(desk, service, customer_id="wa-6281234567890", customer_name=None, channel="whatsapp")
    await announced(desk, service, customer_id="wa-6281234567890", customer_name=None, channel="whatsapp",
                    summary="Akun terkunci")

    [contact] = chatwoot.contacts
    assert "6281234567890" not in json.dumps(contact)
    assert contact["identifier"].startswith("wa-p") and contact["name"] == "wa-62812****7890"
    every_request = json.dumps([call.body for call in chatwoot.calls] + [call.query for call in chatwoot.calls])
    assert "6281234567890" not in every_request


def test_contact_identity_keeps_opaque_ids_and_masks_personal_ones():
    ticket = new_ticket_like(customer_id="tg-123456789", customer_name="Budi (0812-3456-7890)")
    assert contact_identity(ticket, "k") == ("tg-123456789", "Budi (0812-****-7890)")
    email = new_ticket_like(customer_id="budi@example.com", customer_name=None)
    identifier, name = contact_identity(email, "k")
    assert "budi@example.com" not in identifier + name and name == "b***@example.com"
    assert contact_identity(email, "k")[0] == identifier != contact_identity(email, "other key")[0]


def new_ticket_like(**overrides: Any) -> Ticket:
    return Ticket.from_draft(replace(make_draft(), **overrides), id="CS-20261123-0001", status="open",
                             created_at=NOW, sla_due_at=NOW + timedelta(hours=1))


def test_details_note_warns_about_shared_secrets_first():
    ticket = new_ticket_like(flags=("secret_shared:seed_phrase",))
    lines = details_note(ticket).splitlines()
    assert lines[0] == "**Tiket CS-20261123-0001**"
    assert lines[2].startswith("🚨 **PERHATIAN: pelanggan membagikan frasa pemulihan")


# ---------------------------------------------------------------- the agents' webhooks

async def test_agent_reply_reaches_the_customer_once_even_when_redelivered(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    reply = chatwoot.agent_reply(conversation_id, REPLY, agent_name="Rina", agent_id=7)

    assert await deliver(desk, reply) == (200, {"status": SENT, "ticket_id": ticket.id})
    assert await deliver(desk, chatwoot.redeliver(reply)) == (200, {"status": DUPLICATE, "ticket_id": ticket.id})
    assert (await deliver(desk, chatwoot.redeliver(reply, resign=False)))[1]["status"] == DUPLICATE

    from_agent = [m for m in service.store.thread(ticket.id) if m.direction == TO_CUSTOMER and m.author == "Rina"]
    assert [m.text for m in from_agent] == [f"Agen Rina:\n{REPLY}"]
    handoff = service.store.get(ticket.id)
    assert handoff.state == WITH_AGENT and handoff.agent == Agent("chatwoot", "7", "Rina")
    assert handoff.first_reply_at is not None


async def test_private_notes_incoming_and_own_messages_are_ignored(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    before = service.store.thread(ticket.id)
    note = chatwoot.agent_reply(conversation_id, "cek dulu ke tim finance", agent_name="Rina", private=True)
    own = chatwoot.events("message_created")[:2]  # the summary (incoming) and our details note (private)
    assert [(d.payload["message_type"], d.payload["private"]) for d in own] == [("incoming", False), ("outgoing", True)]

    for delivery in [note, *own]:
        status, answer = await deliver(desk, delivery)
        assert status == 200 and answer["status"] == "ignored"
    bot_reply = chatwoot.agent_reply(conversation_id, "Halo dari bot", agent_id=8)
    payload = {**bot_reply.payload, "sender": {"id": 2, "name": "Bot", "type": "agent_bot"}}
    assert (await desk.handle_webhook(**signed(chatwoot, payload)))[1] == {"status": "ignored",
                                                                         "reason": "not sent by an agent"}

    assert service.store.thread(ticket.id) == before
    assert service.store.get(ticket.id).state == WAITING


async def test_conversations_without_a_ticket_and_other_inboxes_are_ignored(desk, chatwoot, service):
    _, conversation_id = await announced(desk, service)
    reply = chatwoot.agent_reply(conversation_id, REPLY)
    stray = {**reply.payload, "conversation": {**reply.payload["conversation"], "id": 999}}
    other_inbox = {**reply.payload, "inbox": {"id": 99, "name": "Email"}}

    assert (await desk.handle_webhook(**signed(chatwoot, stray)))[1]["reason"] == "conversation without ticket"
    assert (await desk.handle_webhook(**signed(chatwoot, other_inbox)))[1]["reason"] == "another account or inbox"
    assert (await desk.handle_webhook(**signed(chatwoot, {"event": "contact_created", "id": 5})))[0] == 200


async def test_missing_wrong_or_stale_signature_is_refused(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    reply = chatwoot.agent_reply(conversation_id, REPLY)
    stamp = reply.headers["X-Chatwoot-Timestamp"]
    forged = {**reply.headers, "X-Chatwoot-Signature": signature("not-the-secret", stamp, reply.body)}
    old = str(int(time.time()) - 3600)
    stale = {**reply.headers, "X-Chatwoot-Timestamp": old, "X-Chatwoot-Signature": chatwoot.sign(reply.body, old)}
    unsigned = {key: value for key, value in reply.headers.items() if not key.startswith("X-Chatwoot-Sig")}
    tampered = reply.body.replace(b"10 menit", b"1 menit")

    for body, headers in ((reply.body, unsigned), (reply.body, forged), (reply.body, stale),
                          (tampered, reply.headers), (reply.body, {})):
        assert await desk.handle_webhook(body, headers) == (401, {"error": "invalid or missing X-Chatwoot-Signature"})
    assert to_customer(service, ticket.id) == []
    assert service.store.get(ticket.id).state == WAITING
    assert desk.health()["webhooks_refused"] == 5

    stamp = str(int(time.time()))
    garbage = {"X-Chatwoot-Timestamp": stamp, "X-Chatwoot-Signature": chatwoot.sign(b"{not json", stamp)}
    assert await desk.handle_webhook(b"{not json", garbage) == (400, {"error": "malformed JSON"})


async def test_without_a_secret_unsigned_webhooks_are_accepted(service):
    unsigned_chatwoot = FakeChatwoot(webhook_secret="")  # a Chatwoot version (or inbox) that does not sign
    desk = make_desk(unsigned_chatwoot, service, webhook_secret="")
    try:
        ticket, conversation_id = await announced(desk, service)
        reply = unsigned_chatwoot.agent_reply(conversation_id, REPLY)
        assert "X-Chatwoot-Signature" not in reply.headers
        assert await deliver(desk, reply) == (200, {"status": SENT, "ticket_id": ticket.id})
        assert desk.health()["webhooks_signed"] is False
    finally:
        await desk.stop()
        unsigned_chatwoot.close()


async def test_lowercase_header_names_are_accepted(desk, chatwoot, service):
    _, conversation_id = await announced(desk, service)
    reply = chatwoot.agent_reply(conversation_id, REPLY)
    lowered = {key.lower(): value for key, value in reply.headers.items()}
    assert (await desk.handle_webhook(reply.body, lowered))[1]["status"] == SENT


async def test_resolve_closes_the_handoff_and_sends_the_survey(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    await deliver(desk, chatwoot.agent_reply(conversation_id, REPLY, agent_name="Rina", agent_id=7))
    resolved = chatwoot.resolve(conversation_id)

    assert await deliver(desk, resolved) == (200, {"status": DONE, "ticket_id": ticket.id})
    handoff = service.store.get(ticket.id)
    assert (handoff.state, handoff.survey) == (RESOLVED, SURVEY_ASKED)
    assert handoff.agent == Agent("chatwoot", "7", "Rina")
    survey = service.store.thread(ticket.id)[-2]
    assert survey.direction == TO_CUSTOMER and survey.text.startswith("Seberapa puas Anda")
    assert len(survey.buttons) == 5
    assert service.tickets.get(ticket.id).status == "closed"

    count = len(service.store.thread(ticket.id))
    assert (await deliver(desk, chatwoot.redeliver(resolved)))[1]["status"] == "ignored"
    updated = chatwoot.events("conversation_updated")[-1]  # the status change also comes as an update
    assert (await deliver(desk, updated))[1]["status"] == "ignored"
    assert len(service.store.thread(ticket.id)) == count


async def test_resolving_an_unclaimed_ticket_credits_the_assignee(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    chatwoot.add_agent(9, "Sari")
    chatwoot.conversation(conversation_id)["assignee_id"] = 9  # assigned before the desk saw it
    assert (await deliver(desk, chatwoot.resolve(conversation_id)))[1]["status"] == DONE
    assert service.store.get(ticket.id).agent == Agent("chatwoot", "9", "Sari")
    assert "Agen Sari telah menyelesaikan" in to_customer(service, ticket.id)[0]


async def test_assignment_claims_and_another_agents_reply_is_refused_with_a_note(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    assert (await deliver(desk, chatwoot.assign(conversation_id, 9, "Sari")))[1]["status"] == CLAIMED
    handoff = service.store.get(ticket.id)
    assert handoff.state == WITH_AGENT and handoff.agent == Agent("chatwoot", "9", "Sari")
    assert to_customer(service, ticket.id) == [
        f"Agen Sari sedang menangani laporan Anda ({ticket.id}). Balasannya akan muncul di chat ini."]

    other = chatwoot.agent_reply(conversation_id, REPLY, agent_name="Rina", agent_id=7)
    assert (await deliver(desk, other))[1]["status"] == TAKEN
    await desk.settle()
    assert len(to_customer(service, ticket.id)) == 1
    note = chatwoot.messages(conversation_id)[-1]
    assert note["private"] and note["content"] == (f"⚠️ Balasan ini TIDAK diteruskan ke pelanggan: Tiket {ticket.id} "
                                                   "sedang ditangani Sari.")


async def test_ticket_held_on_another_desk_is_not_closed_from_chatwoot(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    service.claim(ticket.id, Agent("telegram_agen", "555", "Dewi"))
    assert (await deliver(desk, chatwoot.resolve(conversation_id)))[1]["status"] == TAKEN
    await desk.settle()
    assert service.store.get(ticket.id).state == WITH_AGENT
    assert "ditangani Dewi di telegram_agen" in chatwoot.messages(conversation_id)[-1]["content"]


# ---------------------------------------------------------------- the thread, to Chatwoot

async def test_customer_words_arrive_as_incoming_and_notes_as_private(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    handoff = service.store.get(ticket.id)
    service.forward(handoff, "sudah 13 jam belum masuk juga")
    service.claim(ticket.id, Agent("chatwoot", "7", "Rina"))
    words, note = [m for m in service.store.thread(ticket.id) if m.direction == TO_AGENT]

    await desk.deliver(ticket, service.store.get(ticket.id), words)
    await desk.deliver(ticket, service.store.get(ticket.id), note)

    customer, private = chatwoot.messages(conversation_id)[-2:]
    contact_id = chatwoot.conversation(conversation_id)["contact_id"]
    assert (customer["content"], customer["message_type"], customer["private"], customer["sender"]) == (
        "sudah 13 jam belum masuk juga", "incoming", False, ("contact", contact_id))
    assert (private["content"], private["message_type"], private["private"]) == (
        f"Tiket {ticket.id} diambil oleh Rina.", "outgoing", True)
    assert chatwoot.conversation(conversation_id)["status"] == "open"


async def test_ticket_closed_elsewhere_resolves_the_conversation(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    service.close(ticket.id)  # e.g. the CLI
    closing = [m for m in service.store.thread(ticket.id) if m.direction == TO_AGENT][-1]
    await desk.deliver(ticket, service.store.get(ticket.id), closing)

    assert chatwoot.conversation(conversation_id)["status"] == "resolved"
    assert chatwoot.messages(conversation_id)[-1]["content"].startswith(f"Tiket {ticket.id} diselesaikan")
    echo = chatwoot.events("conversation_status_changed")[-1]  # Chatwoot tells us back: harmless
    assert (await deliver(desk, echo))[1] == {"status": "ignored", "reason": "ticket already closed"}


async def test_deliver_without_announcement_raises(desk, chatwoot, service):
    ticket = new_ticket(service)
    handoff = service.store.get(ticket.id)
    service.forward(handoff, "halo?")
    [words] = [m for m in service.store.thread(ticket.id) if m.direction == TO_AGENT]
    with pytest.raises(DeliveryError, match="no Chatwoot conversation"):
        await desk.deliver(ticket, handoff, words)
    assert chatwoot.calls == []


async def test_deleted_conversation_is_undeliverable(desk, chatwoot, service):
    ticket, conversation_id = await announced(desk, service)
    service.forward(service.store.get(ticket.id), "halo?")
    [words] = [m for m in service.store.thread(ticket.id) if m.direction == TO_AGENT]
    chatwoot.fail_path("POST", f"/conversations/{conversation_id}/messages", status=404)
    with pytest.raises(Undeliverable):
        await desk.deliver(ticket, service.store.get(ticket.id), words)


# ---------------------------------------------------------------- Chatwoot unavailable

async def test_chatwoot_errors_and_outages_raise_delivery_error(desk, chatwoot, service):
    ticket = new_ticket(service)
    chatwoot.fail_status, chatwoot.retry_after = 503, 30
    with pytest.raises(DeliveryError) as failure:
        await desk.send(ticket, idempotency_key="1")
    assert failure.value.retry_after == 30 and "HTTP 503" in str(failure.value)
    assert desk.health()["status"] == "degraded"

    chatwoot.fail_status, chatwoot.retry_after = None, None
    await desk.send(ticket, idempotency_key="1")
    assert len(chatwoot.conversations) == 1 and desk.health()["status"] == "ok"


async def test_chatwoot_down_is_a_delivery_error_until_it_is_back(chatwoot, service):
    desk = make_desk(chatwoot, service)  # no pooled connection: the next request must connect
    ticket = new_ticket(service)
    chatwoot.down()
    try:
        with pytest.raises(DeliveryError, match="ConnectError") as failure:
            await desk.send(ticket, idempotency_key="1")
        assert failure.value.retry_after is None and desk.health()["status"] == "degraded"
        service.forward(service.store.get(ticket.id), "halo?")
        [words] = [m for m in service.store.thread(ticket.id) if m.direction == TO_AGENT]
        with pytest.raises(DeliveryError):
            await desk.deliver(ticket, service.store.get(ticket.id), words)
    finally:
        chatwoot.up()
    try:
        await desk.send(ticket, idempotency_key="1")
        await desk.deliver(ticket, service.store.get(ticket.id), words)
    finally:
        await desk.stop()
    [conversation] = chatwoot.conversations
    assert chatwoot.messages(conversation["id"])[-1]["content"] == "halo?"


async def test_wrong_token_is_a_delivery_error(chatwoot, service):
    desk = make_desk(chatwoot, service, api_token="wrong")
    try:
        with pytest.raises(DeliveryError, match="HTTP 401"):
            await desk.send(new_ticket(service), idempotency_key="1")
    finally:
        await desk.stop()
    assert chatwoot.contacts == []


# ---------------------------------------------------------------- over HTTP, as deployed

class DeskEndpoint(LocalServer):
    """``/webhooks/desks/<name>`` in front of a desk, in its own thread and event loop."""

    def __init__(self, desk: ChatwootDesk) -> None:
        self.desk = desk
        app = web.Application()
        app.router.add_post("/webhooks/desks/chatwoot", self._handle)
        super().__init__(app)

    async def _handle(self, request: web.Request) -> web.Response:
        status, answer = await self.desk.handle_webhook(await request.read(), request.headers)
        return web.json_response(answer, status=status)

    def close(self) -> None:
        """Stop the desk's work in this loop (notes, HTTP client), then the server."""
        self._call(self.desk.stop())
        super().close()


async def test_webhooks_over_http_from_announcement_to_resolve(desk, chatwoot, service):
    endpoint = DeskEndpoint(desk)
    chatwoot.webhook_url = f"{endpoint.base_url}/webhooks/desks/chatwoot"
    try:
        ticket, conversation_id = await announced(desk, service)
        reply = chatwoot.agent_reply(conversation_id, REPLY, agent_name="Rina", agent_id=7)
        again = chatwoot.redeliver(reply)
        resolved = chatwoot.resolve(conversation_id)
        chatwoot.settle()
    finally:
        endpoint.close()

    assert (reply.status, reply.response["status"]) == (200, SENT)
    assert (again.status, again.response["status"]) == (200, DUPLICATE)
    assert (resolved.status, resolved.response["status"]) == (200, DONE)
    assert all(delivery.status == 200 for delivery in chatwoot.webhooks)
    own = [d for d in chatwoot.events("message_created") if d is not reply and d is not again]
    assert own and all(d.response["status"] == "ignored" for d in own)
    assert to_customer(service, ticket.id)[1] == f"Agen Rina:\n{REPLY}"
    assert service.store.get(ticket.id).state == RESOLVED
