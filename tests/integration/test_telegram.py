"""The Telegram channel end to end: real Rasa and action servers talking to a local fake Bot API.

Webhook mode (ports 15105/15155) and polling mode (15205/15255) each start their servers once for this
module, with their own tracker database, channel state database (``CHANNEL_STATE_DB``) and fake API.
"""
from __future__ import annotations

import itertools
import json
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Union

import pytest
import requests

from bot.channels.common import MAX_BODY_BYTES
from bot.evaluate import AssistantClient
from bot.servers import AssistantServers, ServerConfig
from bot.wording import NON_TEXT_REPLY
from tests.channels import telegram_builders as build
from tests.channels.fake_telegram import FakeBotAPI

pytestmark = pytest.mark.integration

SECRET = "rahasia_Webhook-2024"
PUBLIC_URL = "https://cs.contoh.test/webhooks/telegram/webhook"
SEED = "legal winner thank year wave sausage worth useful legal winner thank yellow"
QUESTION = "gimana cara aktifin google authenticator"
_chats = itertools.count(910_001)


@dataclass
class Telegram:
    """A running assistant with the Telegram channel, and the fake Bot API it talks to."""

    api: FakeBotAPI
    servers: AssistantServers
    client: AssistantClient

    @property
    def webhook_url(self) -> str:
        return f"{self.servers.config.rasa_url}/webhooks/telegram/webhook"

    def post(self, update: Union[Dict[str, Any], bytes], secret: Optional[str] = SECRET) -> requests.Response:
        body = update if isinstance(update, bytes) else json.dumps(update).encode("utf-8")
        headers = {"Content-Type": "application/json"}
        if secret is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        return requests.post(self.webhook_url, data=body, headers=headers, timeout=30)

    def user_events(self, chat_id: int) -> List[Dict[str, Any]]:
        events = self.client.tracker(f"tg-{chat_id}").get("events") or []
        return [e for e in events if e.get("event") == "user"]

    def stored_events(self, chat_id: int) -> List[str]:
        with sqlite3.connect(self.servers.config.tracker_db) as db:
            return [data for (data,) in db.execute("SELECT data FROM events WHERE sender_id = ?", (f"tg-{chat_id}",))]


def marker_answer(mode: Telegram, chat: int, earlier: int = 0) -> List[Dict[str, Any]]:
    """Send ``QUESTION`` as a marker and wait for its answer: it must be the next thing sent to ``chat``.

    One chat's updates are handled in order, so anything an earlier update wrongly triggered would have been
    sent, and recorded as a user event, before the marker's answer: "nothing happened" without sleeping.
    ``earlier`` is how many messages the chat legitimately had before the marker.
    """
    api = mode.api
    assert mode.post(build.text_update(api.next_update_id(), chat, QUESTION)).status_code == 200
    messages = api.wait_messages(chat, count=earlier + 2, settle=0.5)
    assert "Google Authenticator" in messages[earlier]["text"], messages[earlier:]
    return messages


def process_group_members(pgid: int) -> List[int]:
    """Live (not zombie) processes in a process group, read from /proc."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):
            continue                       # the process ended while we looked
        if int(group) == pgid and state != "Z":
            members.append(int(stat.parent.name))
    return members


def start_assistant(work: Path, api: FakeBotAPI, rasa_port: int, action_port: int,
                    env: Dict[str, str]) -> AssistantServers:
    notifiers = work / "notifiers.yml"
    notifiers.write_text("notifiers: {}\n", encoding="utf-8")
    base_env = {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.api_url, "TELEGRAM_MODE": "",
                "TELEGRAM_WEBHOOK_SECRET": "", "TELEGRAM_WEBHOOK_URL": "",
                "CHANNEL_STATE_DB": str(work / "channels.db")}
    config = ServerConfig(rasa_port=rasa_port, action_port=action_port, tracker_db=work / "tracker.db",
                          log_dir=work, tickets_db_url=f"sqlite:///{work / 'tickets.db'}", notifiers_config=notifiers,
                          extra_env={**base_env, **env})
    return AssistantServers(config).start(timeout=240)


@pytest.fixture(scope="module")
def webhook_mode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Telegram]:
    api = FakeBotAPI()
    servers = start_assistant(tmp_path_factory.mktemp("telegram_webhook"), api, 15105, 15155,
                              {"TELEGRAM_WEBHOOK_SECRET": SECRET, "TELEGRAM_WEBHOOK_URL": PUBLIC_URL})
    yield Telegram(api, servers, AssistantClient(servers.config.rasa_url, servers.config.api_token))
    servers.stop()
    api.close()


@pytest.fixture(scope="module")
def polling_mode(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Telegram]:
    api = FakeBotAPI()
    api.webhook = {"url": "https://lama.contoh.test/hook"}   # left from a webhook deployment: must be deleted
    servers = start_assistant(tmp_path_factory.mktemp("telegram_polling"), api, 15205, 15255, {})
    yield Telegram(api, servers, AssistantClient(servers.config.rasa_url, servers.config.api_token))
    servers.stop()
    api.close()


# --- webhook mode -----------------------------------------------------------------------------------------

def test_webhook_is_registered_with_the_secret(webhook_mode):
    calls = webhook_mode.api.wait_for(lambda: webhook_mode.api.calls_to("setWebhook"), timeout=10)
    assert calls and calls[-1].accepted
    assert calls[-1].params["url"] == PUBLIC_URL and calls[-1].params["secret_token"] == SECRET
    assert calls[-1].params["allowed_updates"] == ["message", "callback_query"]
    assert webhook_mode.api.calls_to("getMe")


@pytest.mark.parametrize("secret", [None, "", "salah", SECRET[:-1], SECRET + "x", SECRET.upper()])
def test_wrong_or_missing_secret_is_403(webhook_mode, secret):
    chat = next(_chats)
    reply = webhook_mode.post(build.text_update(webhook_mode.api.next_update_id(), chat, "halo"), secret=secret)
    assert reply.status_code == 403
    marker_answer(webhook_mode, chat)
    assert [e["text"] for e in webhook_mode.user_events(chat)] == [QUESTION]   # the refused "halo" never arrived


@pytest.mark.parametrize(("body", "status"), [
    (b"{", 400), (b"", 400), (b"\xff\xfe{}", 400), (b"[]", 400), (b'"halo"', 400),
    (b'{"update_id": "1", "message": {"chat": {"id": 5}, "text": "x"}}', 400),
    (b'{"update_id": 1, "message": {"chat": {"id": 5}, "text": ["x"]}}', 400),
    (b'{"update_id": 1, "callback_query": {"id": 7}}', 400),
    (b'{"update_id": 1, "message": "' + b"a" * (MAX_BODY_BYTES + 10) + b'"}', 413),
])
def test_malformed_bodies_are_4xx(webhook_mode, body, status):
    assert webhook_mode.post(body).status_code == status
    assert webhook_mode.post(body, secret="salah").status_code == 403


def test_question_gets_the_knowledge_answer_with_an_inline_keyboard(webhook_mode):
    api, chat = webhook_mode.api, next(_chats)
    reply = webhook_mode.post(build.text_update(api.next_update_id(), chat, QUESTION))
    # Acknowledged at once (how fast is measured by bench/channel_latency.py, not asserted here).
    assert reply.status_code == 200 and reply.json() == {"ok": True, "duplicate": False}
    messages = api.wait_messages(chat, count=2)
    assert all(m["parse_mode"] == "HTML" for m in messages)
    assert messages[0]["text"].startswith("<b>") and "Google Authenticator" in messages[0]["text"]
    keyboard = messages[-1]["reply_markup"]["inline_keyboard"]
    assert [row[0]["callback_data"] for row in keyboard] == ["/affirm", "/deny"]
    assert [c.params["action"] for c in api.calls_to("sendChatAction") if c.params["chat_id"] == str(chat)]
    assert not api.refused()


def test_button_tap_is_answered_and_continues_the_conversation(webhook_mode):
    api, chat = webhook_mode.api, next(_chats)
    webhook_mode.post(build.text_update(api.next_update_id(), chat, QUESTION))
    before = len(api.wait_messages(chat, count=2))
    tap = build.callback_update(api.next_update_id(), chat, "/affirm", query_id=f"tap-{chat}")
    assert webhook_mode.post(tap).status_code == 200
    after = api.wait_messages(chat, count=before + 1)
    assert len(after) > before
    assert f"tap-{chat}" in [c.params["callback_query_id"] for c in api.calls_to("answerCallbackQuery")]
    assert webhook_mode.user_events(chat)[-1]["parse_data"]["intent"]["name"] == "affirm"


def test_tap_with_data_we_never_issued_is_answered_but_not_sent_to_rasa(webhook_mode):
    api, chat = webhook_mode.api, next(_chats)
    forged = [build.callback_update(api.next_update_id(), chat, data, query_id=f"forged-{chat}-{n}")
              for n, data in enumerate(["/request_human", '/intent{"x":"y"}', "/affirm", "halo"])]
    for update in forged:
        assert webhook_mode.post(update).status_code == 200
    ids = {u["callback_query"]["id"] for u in forged}
    assert api.wait_for(lambda: ids <= {c.params["callback_query_id"] for c in api.calls_to("answerCallbackQuery")})
    marker_answer(webhook_mode, chat)
    assert [e["text"] for e in webhook_mode.user_events(chat)] == [QUESTION]   # no forged tap reached Rasa


@pytest.mark.parametrize("make", [build.photo_update, build.sticker_update])
def test_photo_or_sticker_gets_the_text_request(webhook_mode, make):
    api, chat = webhook_mode.api, next(_chats)
    assert webhook_mode.post(make(api.next_update_id(), chat)).status_code == 200
    messages = api.wait_messages(chat, count=1)
    assert [m["text"] for m in messages] == [NON_TEXT_REPLY]
    assert not webhook_mode.user_events(chat)


def test_edited_message_and_other_updates_are_acknowledged_and_ignored(webhook_mode):
    api, chat = webhook_mode.api, next(_chats)
    assert webhook_mode.post(build.edited_update(api.next_update_id(), chat, "ralat")).status_code == 200
    assert webhook_mode.post({"update_id": api.next_update_id(), "my_chat_member": {}}).status_code == 200
    marker_answer(webhook_mode, chat)
    assert [e["text"] for e in webhook_mode.user_events(chat)] == [QUESTION]   # the edit was not sent to Rasa


def test_start_greets_and_the_first_name_reaches_the_dialogue(webhook_mode):
    api, chat = webhook_mode.api, next(_chats)
    start = build.text_update(api.next_update_id(), chat, "/start", first_name="Siti")
    assert webhook_mode.post(start).status_code == 200
    messages = api.wait_messages(chat, count=1)
    assert any(word in messages[0]["text"] for word in ("Halo", "Hai", "Selamat"))
    (event,) = webhook_mode.user_events(chat)
    assert event["text"] == "/greet" and event["parse_data"]["intent"]["name"] == "greet"
    assert event["metadata"]["customer_name"] == "Siti" and event["metadata"]["telegram_user_id"] == chat


def test_secrets_in_a_message_never_reach_the_tracker_store(webhook_mode):
    api, chat = webhook_mode.api, next(_chats)
    update = build.text_update(api.next_update_id(), chat, f"min ini seed phrase dompet gw {SEED} tolong cek saldo")
    assert webhook_mode.post(update).status_code == 200
    messages = api.wait_messages(chat, count=1)
    assert messages[0]["text"].startswith("PENTING")
    stored = webhook_mode.stored_events(chat)
    assert stored and not any("sausage" in data or "yellow" in data for data in stored)


def test_replayed_update_is_answered_once_even_after_a_restart(webhook_mode):
    api, chat = webhook_mode.api, next(_chats)
    update = build.text_update(api.next_update_id(), chat, QUESTION)
    replies = [webhook_mode.post(update) for _ in range(3)]
    assert [r.status_code for r in replies] == [200, 200, 200]
    assert [r.json()["duplicate"] for r in replies] == [False, True, True]
    answered = len(api.wait_messages(chat, count=2, settle=2.0))
    assert len(webhook_mode.user_events(chat)) == 1

    webhook_mode.servers.stop()
    webhook_mode.servers.start(timeout=240)
    replay = webhook_mode.post(update)
    assert replay.status_code == 200 and replay.json()["duplicate"] is True
    marker_answer(webhook_mode, chat, earlier=answered)      # the replay was not answered before the marker
    assert len(webhook_mode.user_events(chat)) == 2


# --- polling mode -----------------------------------------------------------------------------------------

def test_polling_answers_a_queued_update(polling_mode):
    api, chat = polling_mode.api, next(_chats)
    api.push(build.text_update(None, chat, QUESTION, first_name="Andi"))   # type: ignore[arg-type]
    messages = api.wait_messages(chat, count=2, timeout=60)
    assert "Google Authenticator" in messages[0]["text"]
    assert messages[-1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "/affirm"
    assert polling_mode.user_events(chat)[0]["metadata"]["customer_name"] == "Andi"
    methods = [c.method for c in api.calls if c.method in ("deleteWebhook", "getUpdates")]
    assert methods[0] == "deleteWebhook" and not api.webhook
    assert not [c for c in api.refused() if c.method == "getUpdates"]


def test_polling_mode_refuses_webhook_posts(polling_mode):
    reply = polling_mode.post(build.text_update(polling_mode.api.next_update_id(), next(_chats), "halo"))
    assert reply.status_code == 404


def test_polling_stops_with_the_server(polling_mode):
    groups = [child.pid for child in polling_mode.servers.children]    # each child leads its own process group
    polling_mode.servers.stop()
    deadline = time.monotonic() + 15
    while any(process_group_members(g) for g in groups if g) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [process_group_members(g) for g in groups if g and process_group_members(g)]   # no poller left
    assert polling_mode.api.calls_to("getUpdates")          # it was polling until the stop
    log = (polling_mode.servers.config.log_dir / f"rasa-{polling_mode.servers.config.rasa_port}.log").read_text(
        encoding="utf-8", errors="replace")
    assert "telegram channel: polling for updates" in log
    assert not [line for line in log.splitlines() if "ERROR" in line and "telegram" in line]
    assert "Task was destroyed" not in log and "Task exception was never retrieved" not in log
    assert polling_mode.api.token not in log                       # httpx would log Bot API URLs (token inside)
