"""Live handoff end to end on Telegram: a customer of the Telegram channel and the agents' Telegram group
desk, each a local fake Bot API (their own bot tokens), through the real Rasa and action servers on
15505/15555, polling mode.

Ticket -> "Ambil" in the group -> the agent's reply reaches the customer -> the customer's follow-up
appears in the ticket's thread and the bot stays silent -> a forged update (not a member) and one from
another chat are ignored -> /tutup -> CSAT 5 stored and shown in the group.
"""
from __future__ import annotations

import itertools
import re
import time
from typing import Any, Dict, Iterator, List

import pytest

from bot.handoff.store import HandoffStore
from bot.servers import AssistantServers
from bot.tickets.database import connect
from tests.channels import telegram_builders as build
from tests.channels.fake_telegram import FakeBotAPI
from tests.integration.conftest import running_servers, server_config, wait_for

pytestmark = pytest.mark.integration

RASA_PORT, ACTION_PORT = 15505, 15555
GROUP, OTHER_GROUP = -1001555000111, -1009999000222
RINA, STRANGER = 7101, 7199
TICKET_ID = re.compile(r"CS-\d{8}-\d{4}")
_chats = itertools.count(930_001)


@pytest.fixture(scope="module")
def customers() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI(token="777000:CUSTOMER-bot-token")
    yield api
    api.close()


@pytest.fixture(scope="module")
def agents() -> Iterator[FakeBotAPI]:
    api = FakeBotAPI(token="888000:DESK-bot-token")
    api.add_group(GROUP)
    api.set_member(GROUP, RINA, "Rina")
    yield api
    api.close()


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory, customers: FakeBotAPI,
            agents: FakeBotAPI) -> Iterator[AssistantServers]:
    desks = ("desks:\n  telegram_agen:\n    kind: telegram_group\n"
             f"    token: '{agents.token}'\n    chat_id: '{GROUP}'\n    base_url: '{agents.api_url}'\n"
             f"    agents: '{RINA}'\n")
    config = server_config(tmp_path_factory.mktemp("handoff_telegram"), RASA_PORT, ACTION_PORT, desks=desks,
                           env={"TELEGRAM_BOT_TOKEN": customers.token, "TELEGRAM_API_BASE_URL": customers.api_url,
                                "TELEGRAM_MODE": "", "TELEGRAM_WEBHOOK_SECRET": "", "TELEGRAM_WEBHOOK_URL": ""})
    with running_servers(config) as running:
        yield running



class Customer:
    """One Telegram customer in a private chat with the customer bot."""

    def __init__(self, api: FakeBotAPI, chat_id: int) -> None:
        self.api, self.chat_id = api, chat_id

    def received(self) -> List[Dict[str, Any]]:
        return self.api.messages(self.chat_id)

    def say(self, text: str, expect_reply: bool = True) -> List[Dict[str, Any]]:
        before = len(self.received())
        self.api.push(build.text_update(self.api.next_update_id(), self.chat_id, text))
        return self._new(before) if expect_reply else []

    def tap(self, data: str) -> List[Dict[str, Any]]:
        before = len(self.received())
        self.api.push(build.callback_update(self.api.next_update_id(), self.chat_id, data))
        return self._new(before)

    def _new(self, before: int) -> List[Dict[str, Any]]:
        wait_for(lambda: len(self.received()) > before, what="a reply in the customer's chat")
        count = -1
        while count != len(self.received()):
            count = len(self.received())
            time.sleep(0.8)
        return self.received()[before:]


def texts(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m["text"] for m in messages)


def buttons(message: Dict[str, Any]) -> Dict[str, str]:
    """Button text -> callback_data of a message's inline keyboard."""
    return {b["text"]: b["callback_data"] for row in message["reply_markup"]["inline_keyboard"] for b in row}


def group_messages(agents: FakeBotAPI, ticket_id: str) -> List[Dict[str, Any]]:
    return [m for m in agents.messages(GROUP) if ticket_id in m["text"]]


def test_telegram_customer_and_agents_group(servers, customers, agents):
    customer = Customer(customers, next(_chats))
    customer.say("tolong, penarikan rupiah saya ke BCA gagal padahal saldo sudah terpotong")
    for answer in ("1,5 jt", "kemarin jam 10", "tidak tahu"):
        customer.say(answer)
    summary = customer.say("1234")
    confirm = [data for m in summary if m.get("reply_markup") for text, data in buttons(m).items()
               if data == "/affirm"]
    ticket_id = TICKET_ID.search(texts(customer.tap(confirm[0]))).group(0)

    # The ticket in the agents' group, with the "Ambil" button.
    announcement_call = wait_for(lambda: group_messages(agents, ticket_id), what="announcement")[0]
    assert buttons(announcement_call) == {"Ambil": f"ambil:{ticket_id}"}
    announcement = wait_for(lambda: [m for _, m in sorted(agents.sent[str(GROUP)].items())
                                     if ticket_id in m.get("text", "")], what="stored announcement")[0]

    # Rina claims it; the customer learns her name. Her reply reaches the customer.
    agents.push(build.group_callback_update(RINA, "Rina", f"ambil:{ticket_id}", announcement))
    claimed = wait_for(lambda: [m for m in customer.received() if "Agen Rina sedang menangani" in m["text"]],
                       what="claim notice")
    assert ticket_id in claimed[0]["text"]
    agents.push(build.group_text_update(RINA, "Rina", "Halo Kak Budi, saya Rina. Dana sedang saya cek ke bank.",
                                        GROUP, reply_to=announcement))
    reply = wait_for(lambda: [m for m in customer.received() if "Dana sedang saya cek" in m["text"]], what="reply")
    assert reply[0]["text"].startswith("Agen Rina:")

    # The customer's follow-up appears in the ticket's thread; the bot says nothing itself.
    before = len(customer.received())
    customer.say("oke kak, cara deposit rupiah gimana ya sambil nunggu?", expect_reply=False)
    forwarded = wait_for(lambda: [m for m in agents.messages(GROUP) if "cara deposit rupiah gimana" in m["text"]],
                         what="follow-up in the group")
    assert forwarded[0]["reply_parameters"]["message_id"] == announcement["message_id"]
    notice = wait_for(lambda: customer.received()[before:], what="the one-time notice")
    time.sleep(1.0)
    assert len(customer.received()[before:]) == 1 and "di chat ini" in notice[0]["text"]
    assert "Deposit" not in texts(customer.received()[before:])

    # A non-member's reply and an update from another chat never reach the customer.
    agents.set_member(OTHER_GROUP, STRANGER, "Penipu")
    before = len(customer.received())
    agents.push(build.group_text_update(STRANGER, "Penipu", "Saya admin, kirim kode OTP Anda", GROUP,
                                        reply_to=announcement))
    agents.push(build.group_text_update(RINA, "Rina", "pesan dari grup lain", OTHER_GROUP, reply_to=announcement))
    marker = build.group_text_update(RINA, "Rina", "Mohon ditunggu sebentar ya.", GROUP, reply_to=announcement)
    agents.push(marker)
    wait_for(lambda: any("Mohon ditunggu sebentar" in m["text"] for m in customer.received()[before:]), what="marker")
    after = texts(customer.received()[before:])
    assert "kirim kode OTP Anda" not in after and "grup lain" not in after

    # /tutup closes; the survey comes as buttons; 5 is stored and shown in the group.
    before = len(customer.received())
    agents.push(build.group_text_update(RINA, "Rina", "/tutup", GROUP, reply_to=announcement))
    survey = wait_for(lambda: [m for m in customer.received()[before:] if m.get("reply_markup")], what="survey")[0]
    assert "Agen Rina telah menyelesaikan" in texts(customer.received()[before:])
    ratings = buttons(survey)
    assert list(ratings) == ["5 - Sangat puas", "4 - Puas", "3 - Cukup", "2 - Kurang puas", "1 - Tidak puas"]
    thanks = customer.tap(ratings["5 - Sangat puas"])
    assert "Terima kasih atas penilaiannya" in texts(thanks)
    handoff = HandoffStore(connect(servers.config.tickets_db_url)).get(ticket_id)
    assert (handoff.state, handoff.rating, handoff.agent.name) == ("resolved", 5, "Rina")
    assert handoff.created_at <= handoff.claimed_at <= handoff.first_reply_at <= handoff.resolved_at <= \
        handoff.rated_at
    wait_for(lambda: any("5/5" in m["text"] for m in agents.messages(GROUP)), what="rating in the group")
    again = customer.say("cara deposit rupiah")          # the bot is back
    assert "eposit" in texts(again)
