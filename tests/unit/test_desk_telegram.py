"""The Telegram group desk against the local fake Bot API and a real SQLite ticket store: announcing
tickets (plain group and forum), showing the thread, and the agents' taps, replies and commands."""
from __future__ import annotations

import asyncio
import time
from datetime import datetime, timezone
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

from bot.desks.telegram_group import TelegramGroupDesk, html_chunks
from bot.desks.telegram_group_updates import parse_group_update
from bot.handoff.model import RESOLVED, SURVEY_ASKED, TO_CUSTOMER, WAITING, WITH_AGENT, ThreadMessage
from bot.handoff.service import HandoffService
from bot.handoff.store import HandoffStore
from bot.tickets.database import connect
from bot.tickets.model import Ticket
from bot.tickets.notifiers import DeliveryError
from bot.tickets.store import TicketStore
from tests.channels.fake_telegram import BOT_USERNAME, FakeBotAPI, visible_length
from tests.channels.telegram_builders import group_callback_update as _group_callback
from tests.channels.telegram_builders import group_chat as chat
from tests.channels.telegram_builders import group_text_update as _group_text
from tests.tickets.drafts import make_draft

DESK = "telegram_agen"
GROUP, OTHER_GROUP = -1001234567890, -1009876543210
RINA, SARI, STRANGER = 5101, 5102, 5199


def text_update(user_id: int, name: str, text: str, reply_to: Optional[Dict[str, Any]] = None,
                topic: Optional[int] = None, chat_id: int = GROUP, update_id: Optional[int] = None) -> Dict[str, Any]:
    return _group_text(user_id, name, text, chat_id, reply_to=reply_to, topic=topic, update_id=update_id)


def callback_update(user_id: int, name: str, data: str, tapped: Dict[str, Any],
                    update_id: Optional[int] = None) -> Dict[str, Any]:
    return _group_callback(user_id, name, data, tapped, update_id=update_id)


# --- fixtures ---------------------------------------------------------------------------------------------

@pytest.fixture()
def state_db(tmp_path, monkeypatch) -> Any:
    path = tmp_path / "channels.db"
    monkeypatch.setenv("CHANNEL_STATE_DB", str(path))
    return path


@pytest.fixture()
def api() -> Iterator[FakeBotAPI]:
    server = FakeBotAPI(max_poll_wait=0.3)
    server.add_group(GROUP, "Agen CS Kripto")
    server.set_member(GROUP, RINA, "Rina")
    server.set_member(GROUP, SARI, "Sari", last_name="Dewi", status="administrator")
    yield server
    server.close()


@pytest.fixture()
def service(tmp_path) -> Iterator[HandoffService]:
    database = connect(f"sqlite:///{tmp_path / 'tickets.db'}")
    yield HandoffService(HandoffStore(database), TicketStore(database), desk_names=[DESK])
    database.reader.dispose()


@pytest.fixture()
def desk(api, service, state_db) -> TelegramGroupDesk:
    return make_desk(api, service)


def make_desk(api: FakeBotAPI, service: HandoffService, **options: Any) -> TelegramGroupDesk:
    options.setdefault("agents", [str(RINA), str(SARI)])   # the allow-list (empty: nobody may act)
    return TelegramGroupDesk(DESK, api.token, str(GROUP), service, base_url=api.api_url, **options)


def new_ticket(service: HandoffService) -> Ticket:
    return service.tickets.create(make_draft(), [DESK], now=datetime.now(timezone.utc))


async def announced(desk: TelegramGroupDesk, service: HandoffService, api: FakeBotAPI) -> Ticket:
    ticket = new_ticket(service)
    await desk.send(ticket, "1")
    return ticket


# --- update builders (the agents' supergroup) ---------------------------------------------------------------

def first_message(api: FakeBotAPI) -> Dict[str, Any]:
    """The announcement as Telegram returned it (the first non-service message in the group)."""
    return next(m for _, m in sorted(api.sent[str(GROUP)].items()) if "text" in m)


def answers(api: FakeBotAPI) -> List[Dict[str, Any]]:
    return [call.params for call in api.calls_to("answerCallbackQuery")]


def to_customer(service: HandoffService, ticket: Ticket) -> List[ThreadMessage]:
    return [m for m in service.store.thread(ticket.id) if m.direction == TO_CUSTOMER]


async def eventually(condition: Callable[[], Any], timeout: float = 10.0) -> Any:
    """Wait until ``condition()`` is truthy (or fail after ``timeout`` seconds)."""
    deadline = time.monotonic() + timeout
    while not (value := condition()):
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)
    return value


async def claim_by_rina(desk: TelegramGroupDesk, api: FakeBotAPI, ticket: Ticket) -> None:
    await desk.handle_update(callback_update(RINA, "Rina", f"ambil:{ticket.id}", first_message(api)))


# --- announcing ---------------------------------------------------------------------------------------------

async def test_announcement_in_a_plain_group_has_the_ambil_button_and_is_posted_once(desk, service, api):
    ticket = await announced(desk, service, api)
    sent = api.messages(GROUP)
    assert len(sent) == 1 and not api.refused()
    assert sent[0]["parse_mode"] == "HTML" and f"Tiket {ticket.id}" in sent[0]["text"]
    assert sent[0]["reply_markup"]["inline_keyboard"] == [[{"text": "Ambil", "callback_data": f"ambil:{ticket.id}"}]]
    assert "message_thread_id" not in sent[0] and not api.calls_to("createForumTopic")
    message_id = first_message(api)["message_id"]
    assert service.store.links(ticket.id, DESK) == [f"msg:{message_id}"]
    await desk.send(ticket, "1")                                     # redelivered after a crash
    assert len(api.messages(GROUP)) == 1


async def test_announcement_in_a_forum_gets_its_own_topic(desk, service, api):
    api.add_group(GROUP, "Agen CS Kripto", is_forum=True)
    first, second = new_ticket(service), new_ticket(service)
    await desk.send(first, "1")
    await desk.send(second, "2")
    topics = [call.params for call in api.calls_to("createForumTopic")]
    assert [t["name"] for t in topics] == [f"{first.id} · Penarikan kripto", f"{second.id} · Penarikan kripto"]
    sent = api.messages(GROUP)
    thread_ids = sorted(api.topics[str(GROUP)])
    assert [int(m["message_thread_id"]) for m in sent] == thread_ids and len(set(thread_ids)) == 2
    assert sent[0]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == f"ambil:{first.id}"
    links = service.store.links(first.id, DESK)
    assert f"topic:{thread_ids[0]}" in links and any(ref.startswith("msg:") for ref in links)
    assert len(api.calls_to("getChat")) == 1                         # is_forum is cached


async def test_send_errors_are_delivery_errors_without_the_token(desk, service, api):
    ticket = new_ticket(service)
    api.fail("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(DeliveryError) as raised:
        await desk.send(ticket, "1")
    assert raised.value.retry_after == 7.0 and api.token not in str(raised.value)
    api.fail("getMe", 401, "Unauthorized")
    with pytest.raises(DeliveryError) as raised:
        await desk.send(ticket, "1")
    assert api.token not in str(raised.value)
    assert service.store.links(ticket.id, DESK) == []


# --- claiming -----------------------------------------------------------------------------------------------

async def test_claim_by_button_then_a_second_agent_is_refused_with_an_alert(desk, service, api):
    ticket = await announced(desk, service, api)
    await claim_by_rina(desk, api, ticket)
    handoff = service.store.get(ticket.id)
    assert handoff.state == WITH_AGENT and handoff.agent.name == "Rina" and handoff.agent.agent_id == str(RINA)
    assert [m.text for m in to_customer(service, ticket)] == [
        f"Agen Rina sedang menangani laporan Anda ({ticket.id}). Balasannya akan muncul di chat ini."]
    assert answers(api)[-1]["text"] == f"Tiket {ticket.id} sekarang Anda tangani."
    assert answers(api)[-1].get("show_alert") in (None, "false")

    await desk.handle_update(callback_update(SARI, "Sari", f"ambil:{ticket.id}", first_message(api)))
    assert service.store.get(ticket.id).agent.name == "Rina"
    assert answers(api)[-1]["text"] == f"Tiket {ticket.id} sedang ditangani Rina."
    assert answers(api)[-1]["show_alert"] == "true"
    assert len(to_customer(service, ticket)) == 1


async def test_unknown_button_is_answered(desk, service, api):
    await announced(desk, service, api)
    await desk.handle_update(callback_update(RINA, "Rina", "hapus:semua", first_message(api)))
    assert answers(api)[-1]["text"] == "Tombol tidak dikenal."


# --- replying and closing -----------------------------------------------------------------------------------

async def test_agent_reply_reaches_the_customer_and_a_refused_reply_is_explained(desk, service, api):
    ticket = await announced(desk, service, api)
    await claim_by_rina(desk, api, ticket)
    announcement = first_message(api)
    await desk.handle_update(text_update(RINA, "Rina", "Dana Anda sedang kami cek ya.", reply_to=announcement))
    last = to_customer(service, ticket)[-1]
    assert last.author == "Rina" and last.text == "Agen Rina:\nDana Anda sedang kami cek ya."

    sari = text_update(SARI, "Sari", "Saya bantu juga", reply_to=announcement)
    await desk.handle_update(sari)
    assert len(to_customer(service, ticket)) == 2                   # the claim notice and Rina's reply only
    notice = api.messages(GROUP)[-1]
    assert "sedang ditangani Rina" in notice["text"]
    assert notice["reply_parameters"]["message_id"] == sari["message"]["message_id"]


async def test_reply_inside_a_forum_topic_claims_and_reaches_the_customer(desk, service, api):
    api.add_group(GROUP, "Agen CS Kripto", is_forum=True)
    ticket = await announced(desk, service, api)
    topic = next(iter(api.topics[str(GROUP)]))
    created = api.message(GROUP, topic)                              # Telegram's topic-creation message
    await desk.handle_update(text_update(RINA, "Rina", "Halo Kak, saya cek dulu.", reply_to=created, topic=topic))
    handoff = service.store.get(ticket.id)
    assert handoff.state == WITH_AGENT and handoff.agent.name == "Rina"
    assert to_customer(service, ticket)[-1].text == "Agen Rina:\nHalo Kak, saya cek dulu."


async def test_tutup_command_resolves_and_queues_the_survey(desk, service, api):
    ticket = await announced(desk, service, api)
    await claim_by_rina(desk, api, ticket)
    await desk.handle_update(text_update(RINA, "Rina", f"/tutup@{BOT_USERNAME}", reply_to=first_message(api)))
    handoff = service.store.get(ticket.id)
    assert handoff.state == RESOLVED and handoff.survey == SURVEY_ASKED
    assert service.tickets.get(ticket.id).status == "closed"
    survey = to_customer(service, ticket)[-1]
    assert "Seberapa puas" in survey.text and len(survey.buttons) == 5
    assert not any("tutup" in m.text for m in to_customer(service, ticket))


async def test_tutup_for_another_bot_and_unknown_commands_are_not_sent(desk, service, api):
    ticket = await announced(desk, service, api)
    await desk.handle_update(text_update(RINA, "Rina", "/tutup@bot_lain", reply_to=first_message(api)))
    await desk.handle_update(text_update(RINA, "Rina", "/hapus", reply_to=first_message(api)))
    assert service.store.get(ticket.id).state == WAITING and not to_customer(service, ticket)
    assert "Perintah tidak dikenal" in api.messages(GROUP)[-1]["text"]


# --- what is ignored ----------------------------------------------------------------------------------------

async def test_non_members_and_other_chats_are_ignored(api, service, state_db):
    desk = make_desk(api, service, agents=[str(RINA), str(SARI), str(STRANGER)])   # listed, but not in the group
    ticket = await announced(desk, service, api)
    announcement = first_message(api)
    await desk.handle_update(callback_update(STRANGER, "Penyusup", f"ambil:{ticket.id}", announcement))
    await desk.handle_update(text_update(STRANGER, "Penyusup", "kirim seed phrase Anda", reply_to=announcement))
    elsewhere = {**announcement, "chat": chat(OTHER_GROUP)}
    await desk.handle_update(callback_update(RINA, "Rina", f"ambil:{ticket.id}", elsewhere))
    await desk.handle_update(text_update(RINA, "Rina", "halo", reply_to=announcement, chat_id=OTHER_GROUP))
    assert service.store.get(ticket.id).state == WAITING and not to_customer(service, ticket)
    assert not answers(api) and len(api.messages(GROUP)) == 1
    assert [c.params["user_id"] for c in api.calls_to("getChatMember")] == [str(STRANGER)]   # cached after once


async def test_allow_list_and_unlinked_messages(api, service, state_db):
    desk = make_desk(api, service, agents=[str(SARI)])
    ticket = await announced(desk, service, api)
    await desk.handle_update(callback_update(RINA, "Rina", f"ambil:{ticket.id}", first_message(api)))
    assert service.store.get(ticket.id).state == WAITING
    assert answers(api)[-1]["text"] == "Maaf, Anda tidak terdaftar sebagai agen."
    await desk.handle_update(text_update(SARI, "Sari", "obrolan biasa di grup"))       # not linked to a ticket
    assert service.store.get(ticket.id).state == WAITING and not api.calls_to("getChatMember")


async def test_a_replayed_update_is_ignored_also_after_a_restart(desk, service, api):
    ticket = await announced(desk, service, api)
    await claim_by_rina(desk, api, ticket)
    update = text_update(RINA, "Rina", "Sudah kami proses.", reply_to=first_message(api))
    await desk.handle_update(update)
    await desk.handle_update(update)
    await make_desk(api, service).handle_update(update)
    assert [m.text for m in to_customer(service, ticket)].count("Agen Rina:\nSudah kami proses.") == 1


# --- showing the thread -------------------------------------------------------------------------------------

async def test_customer_message_is_a_reply_to_the_announcement_and_replies_to_it_work(desk, service, api):
    ticket = await announced(desk, service, api)
    announcement = first_message(api)
    service.forward(service.store.get(ticket.id), "Halo <admin> & tim, kapan dana saya masuk?")
    message = service.store.thread(ticket.id)[-1]
    assert message.from_customer
    await desk.deliver(ticket, service.store.get(ticket.id), message)
    shown = api.messages(GROUP)[-1]
    assert shown["text"] == f"💬 Pelanggan ({ticket.id}):\nHalo &lt;admin&gt; &amp; tim, kapan dana saya masuk?"
    assert shown["reply_parameters"] == {"message_id": announcement["message_id"], "allow_sending_without_reply": True}
    assert "reply_markup" not in shown
    posted = max(api.sent[str(GROUP)])
    assert api.message(GROUP, posted)["reply_to_message"]["message_id"] == announcement["message_id"]
    await desk.deliver(ticket, service.store.get(ticket.id), message)   # redelivered: not posted twice
    assert len(api.messages(GROUP)) == 2

    await desk.handle_update(text_update(RINA, "Rina", "Sore ini ya Kak.", reply_to=api.message(GROUP, posted)))
    assert to_customer(service, ticket)[-1].text == "Agen Rina:\nSore ini ya Kak."


async def test_notes_while_claimed_carry_the_selesai_button_and_close_it(desk, service, api):
    ticket = await announced(desk, service, api)
    await claim_by_rina(desk, api, ticket)
    note = [m for m in service.store.thread(ticket.id) if m.author == "system"][-1]
    await desk.deliver(ticket, service.store.get(ticket.id), note)
    shown = api.messages(GROUP)[-1]
    assert shown["text"] == f"ℹ️ Tiket {ticket.id} diambil oleh Rina."
    assert shown["reply_markup"]["inline_keyboard"] == [[{"text": "Selesai", "callback_data": f"tutup:{ticket.id}"}]]
    selesai = api.message(GROUP, max(api.sent[str(GROUP)]))
    await desk.handle_update(callback_update(RINA, "Rina", f"tutup:{ticket.id}", selesai))
    assert service.store.get(ticket.id).state == RESOLVED


async def test_long_customer_text_is_split_within_the_limit(desk, service, api):
    ticket = await announced(desk, service, api)
    service.forward(service.store.get(ticket.id), "saldo <hilang> & " * 235)   # ~4000 characters, escaping grows
    await desk.deliver(ticket, service.store.get(ticket.id), service.store.thread(ticket.id)[-1])
    shown = api.messages(GROUP)[1:]
    assert shown and not api.refused()
    assert all(visible_length(m["text"], "HTML") <= 4096 for m in shown)
    assert all(len(html_chunk) <= 100 for html_chunk in html_chunks("a & b " * 40, 100))


async def test_deliver_before_the_announcement_raises(desk, service, api):
    ticket = new_ticket(service)
    service.forward(service.store.get(ticket.id), "halo?")
    with pytest.raises(DeliveryError):
        await desk.deliver(ticket, service.store.get(ticket.id), service.store.thread(ticket.id)[-1])
    assert not api.messages(GROUP)


# --- polling ------------------------------------------------------------------------------------------------

async def test_polling_survives_a_malformed_update_and_a_server_error(desk, service, api):
    ticket = await announced(desk, service, api)
    desk.first_backoff = 0.05
    api.webhook = {"url": "https://lama.example/hook"}
    api.fail("getUpdates", 500)
    await desk.start()
    try:
        await eventually(lambda: desk.health()["status"] == "degraded")
        assert "Internal Server Error" in desk.health()["last_error"] and api.token not in desk.health()["last_error"]
        api.push({"update_id": None, "message": {"chat": "rusak"}})
        api.push(callback_update(RINA, "Rina", f"ambil:{ticket.id}", first_message(api),
                                 update_id=api.next_update_id()))
        await eventually(lambda: service.store.get(ticket.id).state == WITH_AGENT)
        await eventually(lambda: desk.health()["status"] == "ok")
    finally:
        await desk.stop()
    methods = [c.method for c in api.calls if c.method in ("deleteWebhook", "getUpdates")]
    assert methods[0] == "deleteWebhook"
    statuses = [c.status for c in api.calls_to("getUpdates")]
    assert statuses[0] == 500 and 200 in statuses[1:]
    assert api.calls_to("getUpdates")[-1].params["allowed_updates"] == ["message", "callback_query"]


async def test_webhook_is_not_offered_and_parsing_is_strict(desk):
    status, body = await desk.handle_webhook(b"{}", {})
    assert status == 404 and "error" in body
    assert desk.health() == {"status": "ok", "last_error": None}
    assert parse_group_update({"update_id": 1, "edited_message": {}}) is None
    with pytest.raises(ValueError):
        parse_group_update({"update_id": "1", "message": {}})
