"""The Chatwoot desk while Chatwoot is down (a real local fake Chatwoot and SQLite ticket store): starting
and handling the agents' webhooks never raise, the health goes degraded with the error and back to ok once
Chatwoot answers again."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Iterator

import pytest

from bot.desks.chatwoot import ChatwootDesk
from bot.handoff.service import TAKEN, HandoffService
from bot.handoff.store import HandoffStore
from bot.tickets.database import connect
from bot.tickets.model import Ticket
from bot.tickets.store import TicketStore
from tests.channels.fake_chatwoot import FakeChatwoot, WebhookDelivery
from tests.tickets.drafts import make_draft

NOW = datetime(2026, 11, 23, 3, 0, tzinfo=timezone.utc)  # Monday 10:00 WIB
REPLY = "Dana Anda sudah kami cek, mohon tunggu sebentar."


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
    chatwoot_desk = ChatwootDesk(name="chatwoot", base_url=chatwoot.base_url, account_id=chatwoot.account_id,
                                 inbox_id=chatwoot.inbox_id, api_token=chatwoot.api_token, service=service,
                                 webhook_secret=chatwoot.webhook_secret, timeout=3.0, agents=["7", "9"])
    yield chatwoot_desk
    await chatwoot_desk.settle()
    await chatwoot_desk.stop()


async def claimed_conversation(desk: ChatwootDesk, chatwoot: FakeChatwoot, service: HandoffService) -> Any:
    """A ticket announced in Chatwoot and claimed there by agent Sari: (ticket, conversation id)."""
    ticket: Ticket = service.tickets.create(make_draft(), ["chatwoot"], now=NOW)
    await desk.send(ticket, idempotency_key="1")
    conversation_id = await desk.conversation_of(ticket.id)
    await deliver(desk, chatwoot.assign(conversation_id, 9, "Sari"))
    return ticket, conversation_id


async def deliver(desk: ChatwootDesk, delivery: WebhookDelivery) -> Any:
    return await desk.handle_webhook(delivery.body, delivery.headers)


async def test_start_and_webhooks_while_chatwoot_is_down_never_raise_and_the_health_recovers(
        desk, chatwoot, service, caplog):
    caplog.set_level(logging.WARNING, logger="bot.desks")
    ticket, conversation_id = await claimed_conversation(desk, chatwoot, service)
    # Another agent's reply is refused with a private note to them: the one call that needs Chatwoot.
    refused = chatwoot.agent_reply(conversation_id, REPLY, agent_name="Rina", agent_id=7)
    again = chatwoot.agent_reply(conversation_id, REPLY + " (2)", agent_name="Rina", agent_id=7)
    notes_before = len(chatwoot.messages(conversation_id))
    await desk.stop()                        # no pooled connection: the next request must connect
    chatwoot.down()
    try:
        await desk.start()
        status, answer = await deliver(desk, refused)
        await desk.settle()                  # the note fails in the background, quietly
        assert (status, answer) == (200, {"status": TAKEN, "ticket_id": ticket.id})
        health = desk.health()
        assert health["status"] == "degraded" and "ConnectError" in health["last_error"]
        assert f"note to conversation {conversation_id} not posted" in caplog.text
    finally:
        chatwoot.up()
    assert (await deliver(desk, again))[1]["status"] == TAKEN
    await desk.settle()
    assert desk.health()["status"] == "ok" and desk.health()["last_error"] is None
    assert len(chatwoot.messages(conversation_id)) == notes_before + 1   # the note of the second reply only


async def test_chatwoot_answering_5xx_to_a_note_is_answered_200_and_shown_in_the_health(desk, chatwoot, service):
    ticket, conversation_id = await claimed_conversation(desk, chatwoot, service)
    refused = chatwoot.agent_reply(conversation_id, REPLY, agent_name="Rina", agent_id=7)
    chatwoot.fail_status = 503
    try:
        assert (await deliver(desk, refused))[0] == 200
        await desk.settle()
        assert desk.health()["status"] == "degraded" and "HTTP 503" in desk.health()["last_error"]
    finally:
        chatwoot.fail_status = None
    await deliver(desk, chatwoot.agent_reply(conversation_id, REPLY, agent_name="Rina", agent_id=7))
    await desk.settle()
    assert desk.health()["status"] == "ok"

