"""Agent desks and the audit log: every announcement (a ticket shown to agents), claim, reply and close is a
row; someone not on the desk's allow-list is refused (Telegram: a short reply in the group; Chatwoot: 403),
logged and audited; an empty allow-list refuses everyone and says so loudly. Against the local fake Telegram
Bot API and fake Chatwoot, with a real SQLite ticket store."""
from __future__ import annotations

import logging
from datetime import datetime, timezone
from typing import Any, AsyncIterator, Dict, Iterator, List, Tuple

import pytest

from bot.desks.chatwoot import ChatwootDesk
from bot.desks.telegram_group import TelegramGroupDesk
from bot.handoff.model import TO_CUSTOMER, WAITING
from bot.handoff.service import HandoffService
from bot.handoff.store import HandoffStore
from bot.privacy.audit import AuditLog
from bot.tickets.database import connect
from bot.tickets.model import Ticket
from bot.tickets.store import TicketStore
from tests.channels.fake_chatwoot import FakeChatwoot
from tests.channels.fake_telegram import FakeBotAPI
from tests.channels.telegram_builders import group_callback_update, group_text_update
from tests.tickets.drafts import make_draft

GROUP = -1001234567001
RINA, SARI = 5101, 5102   # Rina is an agent; Sari is in the group but not on the allow-list
CUSTOMER = "tg-88123"


@pytest.fixture
def service(tmp_path, monkeypatch) -> Iterator[HandoffService]:
    monkeypatch.setenv("CHANNEL_STATE_DB", str(tmp_path / "channels.db"))
    database = connect(f"sqlite:///{tmp_path / 'tickets.db'}")
    yield HandoffService(HandoffStore(database), TicketStore(database), desk_names=["telegram_agen", "chatwoot"])
    database.reader.dispose()


@pytest.fixture
def telegram() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(max_poll_wait=0.3)
    server.add_group(GROUP)
    server.set_member(GROUP, RINA, "Rina")
    server.set_member(GROUP, SARI, "Sari")
    yield server
    server.close()


@pytest.fixture
def chatwoot() -> Iterator[FakeChatwoot]:
    server = FakeChatwoot()
    yield server
    server.close()


def new_ticket(service: HandoffService) -> Ticket:
    return service.tickets.create(make_draft(customer_id=CUSTOMER), ["telegram_agen", "chatwoot"],
                                  now=datetime.now(timezone.utc))


def rows(service: HandoffService) -> List[Tuple[str, str, str, str, str]]:
    """(desk, actor id, action, outcome, customer) of every audit row."""
    return [(r.desk, r.actor_id, r.action, r.outcome, r.customer_id or "")
            for r in AuditLog(service.store.database).entries()]


def to_customer(service: HandoffService, ticket: Ticket) -> List[str]:
    return [m.text for m in service.store.thread(ticket.id) if m.direction == TO_CUSTOMER]


# ---------------------------------------------------------------- Telegram group

def telegram_desk(telegram: FakeBotAPI, service: HandoffService, agents: List[str]) -> TelegramGroupDesk:
    return TelegramGroupDesk("telegram_agen", telegram.token, str(GROUP), service, base_url=telegram.api_url,
                             agents=agents)


def announcement(telegram: FakeBotAPI) -> Dict[str, Any]:
    return next(m for _, m in sorted(telegram.sent[str(GROUP)].items()) if "text" in m)


async def test_telegram_desk_actions_and_refusals_are_audited(telegram, service, caplog):
    desk = telegram_desk(telegram, service, [str(RINA)])
    ticket = new_ticket(service)
    await desk.send(ticket, "1")
    shown = announcement(telegram)

    caplog.set_level(logging.WARNING, logger="bot.desks")
    await desk.handle_update(group_callback_update(SARI, "Sari", f"ambil:{ticket.id}", shown))
    await desk.handle_update(group_text_update(SARI, "Sari", "Halo, saya bantu ya", GROUP, reply_to=shown))
    assert service.store.get(ticket.id).state == WAITING and to_customer(service, ticket) == []
    refusals = [m for m in telegram.messages(GROUP) if "tidak terdaftar sebagai agen" in m.get("text", "")]
    assert len(refusals) == 1 and refusals[0]["text"] == "⚠️ Maaf, Anda tidak terdaftar sebagai agen."
    alerts = [call.params for call in telegram.calls_to("answerCallbackQuery")]
    assert alerts[-1]["text"] == "Maaf, Anda tidak terdaftar sebagai agen." and alerts[-1]["show_alert"] == "true"
    assert caplog.text.count(f"from user {SARI} on ticket {ticket.id}: not on the agent list") == 2

    await desk.handle_update(group_callback_update(RINA, "Rina", f"ambil:{ticket.id}", shown))
    await desk.handle_update(group_text_update(RINA, "Rina", "Dana Anda kami cek ya", GROUP, reply_to=shown))
    await desk.handle_update(group_text_update(RINA, "Rina", "/tutup", GROUP, reply_to=shown))
    assert rows(service) == [
        ("telegram_agen", f"group:{GROUP}", "show", "ok", CUSTOMER),
        ("telegram_agen", str(SARI), "claim", "refused", CUSTOMER),
        ("telegram_agen", str(SARI), "reply", "refused", CUSTOMER),
        ("telegram_agen", str(RINA), "claim", "claimed", CUSTOMER),
        ("telegram_agen", str(RINA), "reply", "sent", CUSTOMER),
        ("telegram_agen", str(RINA), "close", "resolved", CUSTOMER)]
    assert "Dana Anda" not in " ".join(r.detail for r in AuditLog(service.store.database).entries())


async def test_telegram_desk_with_an_empty_allow_list_refuses_everyone(telegram, service, caplog):
    with caplog.at_level(logging.ERROR, logger="bot.desks"):
        desk = telegram_desk(telegram, service, [])
    assert "no agents on its allow-list" in caplog.text and "every agent action in the group is refused" in caplog.text
    ticket = new_ticket(service)
    await desk.send(ticket, "1")
    await desk.handle_update(group_callback_update(RINA, "Rina", f"ambil:{ticket.id}", announcement(telegram)))
    assert service.store.get(ticket.id).state == WAITING
    assert rows(service)[-1] == ("telegram_agen", str(RINA), "claim", "refused", CUSTOMER)


# ---------------------------------------------------------------- Chatwoot

@pytest.fixture
async def chatwoot_desk(chatwoot: FakeChatwoot, service: HandoffService) -> AsyncIterator[ChatwootDesk]:
    desk = ChatwootDesk(name="chatwoot", base_url=chatwoot.base_url, account_id=chatwoot.account_id,
                        inbox_id=chatwoot.inbox_id, api_token=chatwoot.api_token, service=service,
                        webhook_secret=chatwoot.webhook_secret, timeout=3.0, agents=["9"])
    yield desk
    await desk.settle()
    await desk.stop()


async def test_chatwoot_desk_actions_and_refusals_are_audited(chatwoot_desk, chatwoot, service, caplog):
    ticket = new_ticket(service)
    await chatwoot_desk.send(ticket, idempotency_key="1")
    conversation = await chatwoot_desk.conversation_of(ticket.id)

    async def deliver(delivery: Any) -> Tuple[int, Any]:
        return await chatwoot_desk.handle_webhook(delivery.body, delivery.headers)

    caplog.set_level(logging.WARNING, logger="bot.desks")
    stranger_reply = await deliver(chatwoot.agent_reply(conversation, "Kirim OTP Anda", agent_name="Tamu", agent_id=8))
    stranger_claim = await deliver(chatwoot.assign(conversation, 8, "Tamu"))
    assert stranger_reply == stranger_claim == (403, {"error": "user 8 (Tamu) is not an agent of desk chatwoot"})
    assert service.store.get(ticket.id).state == WAITING and to_customer(service, ticket) == []
    assert "refused reply on ticket" in caplog.text and chatwoot_desk.health()["agents_refused"] == 2

    assert (await deliver(chatwoot.assign(conversation, 9, "Sari")))[0] == 200
    assert (await deliver(chatwoot.agent_reply(conversation, "Kami cek ya", agent_name="Sari", agent_id=9)))[0] == 200
    assert (await deliver(chatwoot.resolve(conversation)))[0] == 200
    assert rows(service) == [
        ("chatwoot", f"inbox:{chatwoot.inbox_id}", "show", "ok", CUSTOMER),
        ("chatwoot", "8", "reply", "refused", CUSTOMER),
        ("chatwoot", "8", "claim", "refused", CUSTOMER),
        ("chatwoot", "9", "claim", "claimed", CUSTOMER),
        ("chatwoot", "9", "reply", "sent", CUSTOMER),
        ("chatwoot", "9", "close", "resolved", CUSTOMER)]


async def test_chatwoot_resolve_by_an_unknown_agent_is_refused(chatwoot_desk, chatwoot, service):
    ticket = new_ticket(service)
    await chatwoot_desk.send(ticket, idempotency_key="1")
    conversation = await chatwoot_desk.conversation_of(ticket.id)
    resolved = chatwoot.resolve(conversation)   # nobody holds the ticket and nobody is assigned
    assert (await chatwoot_desk.handle_webhook(resolved.body, resolved.headers))[0] == 403
    assert service.store.get(ticket.id).state == WAITING
    assert rows(service)[-1] == ("chatwoot", "?", "close", "refused", CUSTOMER)


async def test_chatwoot_desk_with_an_empty_allow_list_says_so(chatwoot, service, caplog):
    with caplog.at_level(logging.ERROR, logger="bot.desks"):
        desk = ChatwootDesk(name="chatwoot", base_url=chatwoot.base_url, account_id=chatwoot.account_id,
                            inbox_id=chatwoot.inbox_id, api_token=chatwoot.api_token, service=service)
    try:
        assert "no agents on its allow-list" in caplog.text
        ticket = new_ticket(service)
        await desk.send(ticket, idempotency_key="1")
        conversation = await desk.conversation_of(ticket.id)
        reply = chatwoot.agent_reply(conversation, "Halo", agent_name="Sari", agent_id=9)
        assert (await desk.handle_webhook(reply.body, reply.headers))[0] == 403
    finally:
        await desk.stop()
