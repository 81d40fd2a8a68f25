"""Flood protection against the real assistant: Rasa and the action server on loopback ports 16205/16255
with a low per-customer limit (5 messages a minute) and a cap of one message in Rasa with one waiting."""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Iterator, List

import pytest
import requests

from bot import wording
from bot.evaluate import AssistantClient
from bot.servers import AssistantServers
from tests.integration.conftest import client_for, running_servers, server_config

pytestmark = pytest.mark.integration

RASA_PORT, ACTION_PORT = 16205, 16255
PER_MINUTE = 5
QUESTIONS = ["halo", "cara deposit rupiah", "biaya penarikan usdt berapa", "cara aktifkan 2fa", "terima kasih",
             "lupa kata sandi", "kenapa wd saya pending", "cara verifikasi ktp", "limit penarikan harian", "oke"]


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
    """Both servers with their own databases in a temporary folder and low load limits."""
    config = server_config(tmp_path_factory.mktemp("flood_servers"), RASA_PORT, ACTION_PORT,
                           env={"FLOOD_MESSAGES_PER_MINUTE": str(PER_MINUTE), "MAX_CONCURRENT_MESSAGES": "1",
                                "MAX_QUEUED_MESSAGES": "1"})
    with running_servers(config) as running:
        yield running


@pytest.fixture(scope="module")
def client(servers: AssistantServers) -> AssistantClient:
    return client_for(servers, timeout=60)


def new_sender() -> str:
    return f"flood-{uuid.uuid4().hex[:10]}"


def user_texts(client: AssistantClient, sender: str) -> List[str]:
    return [event["text"] for event in client.tracker(sender)["events"] if event["event"] == "user"]


def test_messages_over_the_limit_get_no_nlu_and_one_slow_down_reply(client: AssistantClient):
    sender = new_sender()
    replies = [client.send(sender, text) for text in QUESTIONS]
    assert all(replies[:PER_MINUTE]), replies[:PER_MINUTE]
    assert not any(wording.FLOOD_SLOW_DOWN == r.get("text") for reply in replies[:PER_MINUTE] for r in reply)
    flooded = [r.get("text") for reply in replies[PER_MINUTE:] for r in reply]
    assert flooded == [wording.FLOOD_SLOW_DOWN], flooded          # one reply for five dropped messages
    assert user_texts(client, sender) == QUESTIONS[:PER_MINUTE]  # the dropped ones never reached Rasa

    other = new_sender()
    answer = client.send(other, "cara deposit rupiah")
    assert answer and wording.FLOOD_SLOW_DOWN not in [r.get("text") for r in answer]
    assert user_texts(client, other) == ["cara deposit rupiah"]


def test_concurrent_requests_over_the_cap_get_503_with_retry_after_not_timeouts(servers: AssistantServers):
    url = f"{servers.config.rasa_url}/webhooks/rest/webhook"
    count = 8
    start = threading.Barrier(count)

    def post(number: int) -> requests.Response:
        with requests.Session() as session:
            start.wait()
            return session.post(url, json={"sender": new_sender(), "message": QUESTIONS[number % len(QUESTIONS)]},
                                timeout=60)

    with ThreadPoolExecutor(max_workers=count) as pool:
        answers = list(pool.map(post, range(count)))   # a timeout would raise here
    statuses = sorted(answer.status_code for answer in answers)
    assert set(statuses) <= {200, 503} and 200 in statuses and 503 in statuses, statuses
    for busy in (answer for answer in answers if answer.status_code == 503):
        assert int(busy.headers["Retry-After"]) >= 1
        assert busy.json()["retry_after"] == int(busy.headers["Retry-After"]) and busy.json()["error"]
    for served in (answer for answer in answers if answer.status_code == 200):
        assert served.json() and served.json()[0].get("text"), served.json()

    flood = requests.get(f"{servers.config.rasa_url}/health", timeout=30).json()["parts"]["flood"]
    assert flood["status"] == "degraded" and flood["rejected"] == statuses.count(503)
    assert flood["max_concurrent"] == 1 and flood["max_queued"] == 1
