"""Channel isolation (issue 9): a platform that misbehaves never takes the server down.

The real Rasa and action servers (ports 16105/16155) start against a local Telegram Bot API that answers
``getMe`` with a malformed result, or (second server start) holds ``getMe`` longer than the client's
timeout. Each time: the server comes up, REST and the web chat (socket.io) answer a real question, the
Telegram channel's health says degraded (one log line), WhatsApp webhooks are acknowledged while the Graph
API is down (degraded, then ok once a reply gets through), and once the Bot API behaves, a customer's
Telegram message (getUpdates) is answered (sendMessage) without a restart.
"""
from __future__ import annotations

import json
import queue
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator, List

import pytest
import requests
import socketio

from bot.servers import AssistantServers
from tests.channels import telegram_builders as build
from tests.channels.fake_graph import FakeGraph
from tests.channels.fake_telegram import GET_ME_HANGING, GET_ME_MALFORMED, GET_ME_OK, FakeBotAPI
from tests.channels.meta_signature import meta_signature
from tests.integration.conftest import running_servers, server_config

pytestmark = pytest.mark.integration

RASA_PORT, ACTION_PORT = 16105, 16155
QUESTION = "cara deposit rupiah"
ANSWER_TITLE = "deposit Rupiah"          # kb/articles/deposit-rupiah.md: "Cara deposit Rupiah (IDR)"
WA_VERIFY_TOKEN, WA_APP_SECRET = "verify-token-faults", "app-secret-faults"
TELEGRAM_CHAT = 930_001


@dataclass
class FaultyPlatforms:
    """The running assistant, the misbehaving Bot API and the (at first unreachable) Graph API."""

    fault: str
    api: FakeBotAPI
    graph: FakeGraph
    servers: AssistantServers

    def get(self, path: str) -> requests.Response:
        return requests.get(f"{self.servers.config.rasa_url}{path}", timeout=10)

    def log(self) -> str:
        path = Path(self.servers.config.log_dir) / f"rasa-{RASA_PORT}.log"
        return path.read_text(encoding="utf-8", errors="replace")

    def log_lines(self, text: str) -> List[str]:
        return [line for line in self.log().splitlines() if text in line]


def wait_for(condition: Callable[[], Any], timeout: float, what: str) -> Any:
    """``condition()`` once it is truthy (checked every 0.3 s); fails after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.3)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


@pytest.fixture(scope="module", params=[GET_ME_MALFORMED, GET_ME_HANGING])
def faulty(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultyPlatforms]:
    """One server start per fault, all state in a temporary folder."""
    api = FakeBotAPI()
    api.get_me_mode = request.param
    graph = FakeGraph()
    graph.down()                                    # connection refused until a test brings it up
    env = {"TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.api_url, "TELEGRAM_MODE": "polling",
           "TELEGRAM_WEBHOOK_SECRET": "", "TELEGRAM_WEBHOOK_URL": "",
           "WHATSAPP_VERIFY_TOKEN": WA_VERIFY_TOKEN, "WHATSAPP_APP_SECRET": WA_APP_SECRET,
           "WHATSAPP_ACCESS_TOKEN": graph.access_token, "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
           "WHATSAPP_API_BASE_URL": graph.api_base_url}
    config = server_config(tmp_path_factory.mktemp(f"faults_{request.param}"), RASA_PORT, ACTION_PORT, env=env)
    with running_servers(config, timeout=300) as servers:
        yield FaultyPlatforms(request.param, api, graph, servers)
    api.close()
    graph.close()


def test_the_server_is_up_and_telegram_is_degraded(faulty):
    expected = "getMe failed (TimedOut: Timed out)" if faulty.fault == GET_ME_HANGING else "getMe failed ("
    health = wait_for(lambda: (lambda h: h if h.get("problem", "").startswith(expected) else None)(
        faulty.get("/webhooks/telegram/").json()), timeout=60, what="Telegram health degraded")
    assert health["status"] == "degraded" and health["mode"] == "polling"
    overall = faulty.get("/health")
    assert overall.status_code == 200                           # a degraded channel keeps the replica in service
    parts = overall.json()["parts"]
    assert parts["telegram"]["status"] == "degraded" and parts["rasa"]["status"] == "ok"
    assert not faulty.api.calls_to("getUpdates")               # no polling while getMe fails


def test_rest_answers_a_real_question(faulty):
    reply = requests.post(f"{faulty.servers.config.rasa_url}/webhooks/rest/webhook",
                          json={"sender": f"rest-{uuid.uuid4().hex[:8]}", "message": QUESTION}, timeout=60)
    assert reply.status_code == 200
    assert any(ANSWER_TITLE in (message.get("text") or "") for message in reply.json())


def test_the_web_chat_answers_a_real_question(faulty):
    replies: "queue.Queue[dict]" = queue.Queue()
    confirmed: "queue.Queue[str]" = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", replies.put)
    client.on("session_confirm", confirmed.put)
    session_id = uuid.uuid4().hex
    client.connect(faulty.servers.config.rasa_url, socketio_path="socket.io", transports=["polling"],
                   wait_timeout=20)
    try:
        client.emit("session_request", {"session_id": session_id})
        assert confirmed.get(timeout=20) == session_id
        client.emit("user_uttered", {"message": QUESTION, "session_id": session_id})
        assert ANSWER_TITLE in replies.get(timeout=60).get("text", "")
    finally:
        client.disconnect()


def whatsapp_text(wa_id: str, text: str) -> bytes:
    """A signed-ready webhook body with one customer text message, as the Cloud API sends it."""
    message = {"from": wa_id, "id": f"wamid.{uuid.uuid4().hex}", "timestamp": str(int(time.time())),
               "type": "text", "text": {"body": text}}
    value = {"messaging_product": "whatsapp",
             "metadata": {"display_phone_number": "6281100000000", "phone_number_id": "109876543210"},
             "contacts": [{"profile": {"name": "Dewi"}, "wa_id": wa_id}], "messages": [message]}
    body = {"object": "whatsapp_business_account",
            "entry": [{"id": "WABA-1", "changes": [{"field": "messages", "value": value}]}]}
    return json.dumps(body).encode("utf-8")


def post_whatsapp(faulty: FaultyPlatforms, raw: bytes) -> requests.Response:
    headers = {"Content-Type": "application/json", "X-Hub-Signature-256": meta_signature(raw, WA_APP_SECRET)}
    return requests.post(f"{faulty.servers.config.rasa_url}/webhooks/whatsapp/webhook", data=raw, headers=headers,
                         timeout=10)


def test_whatsapp_is_acknowledged_while_the_graph_api_is_down_and_recovers(faulty):
    assert faulty.get("/webhooks/whatsapp/").json() == {"status": "ok"}
    first, second = "6281200000001", "6281200000002"
    assert post_whatsapp(faulty, whatsapp_text(first, QUESTION)).status_code == 200
    health = wait_for(lambda: (lambda h: h if h["status"] == "degraded" else None)(
        faulty.get("/webhooks/whatsapp/").json()), timeout=90, what="WhatsApp health degraded")
    assert health["problem"].startswith("Graph API unreachable (ConnectError")
    assert post_whatsapp(faulty, whatsapp_text(second, "halo")).status_code == 200   # still acknowledged
    faulty.graph.up()
    assert post_whatsapp(faulty, whatsapp_text(second, QUESTION)).status_code == 200
    wait_for(lambda: any(ANSWER_TITLE in (m.get("text") or {}).get("body", "")
                         for m in faulty.graph.messages_to(second)), timeout=90, what="WhatsApp answer delivered")
    assert faulty.get("/webhooks/whatsapp/").json() == {"status": "ok"}
    assert len(faulty.log_lines("whatsapp channel degraded")) == 1


def test_telegram_recovers_without_a_restart(faulty):
    pids = faulty.servers.pids
    faulty.api.get_me_mode = GET_ME_OK                           # the correct Bot API, same address
    update = faulty.api.push(build.text_update(None, TELEGRAM_CHAT, QUESTION))   # type: ignore[arg-type]
    messages = faulty.api.wait_messages(TELEGRAM_CHAT, count=1, timeout=120)
    assert messages and ANSWER_TITLE in messages[0]["text"]
    assert faulty.get("/webhooks/telegram/").json() == {"status": "ok", "mode": "polling"}
    assert faulty.servers.pids == pids                          # the same processes: no restart

    calls = list(faulty.api.calls)
    connected = next(i for i, call in enumerate(calls) if call.method == "getMe" and call.accepted)
    assert all(call.method == "getMe" for call in calls[:connected])   # no polling while getMe failed
    assert any(c.method == "getUpdates" and c.params.get("offset") == str(update["update_id"] + 1) for c in calls)
    degraded = faulty.log_lines("telegram channel degraded")
    assert len(degraded) == 1 and len(faulty.log_lines("telegram channel recovered")) == 1
    assert faulty.api.token not in faulty.log() and "Traceback" not in faulty.log()
