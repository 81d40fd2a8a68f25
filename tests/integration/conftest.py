"""Start the real action server and Rasa server once for the integration tests (loopback ports)."""
from __future__ import annotations

import uuid
from pathlib import Path
from typing import Iterator, List

import pytest
import requests

from bot.evaluate import AssistantClient
from bot.servers import AssistantServers, ServerConfig

RASA_PORT, ACTION_PORT = 15005, 15055


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
    """Both servers, with their own SQLite tracker store in a temporary folder."""
    work = tmp_path_factory.mktemp("servers")
    config = ServerConfig(rasa_port=RASA_PORT, action_port=ACTION_PORT, tracker_db=work / "tracker.db",
                          log_dir=work)
    running = AssistantServers(config).start(timeout=240)
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(servers: AssistantServers) -> AssistantClient:
    return AssistantClient(servers.config.rasa_url, servers.config.api_token)


@pytest.fixture()
def sender() -> str:
    """A fresh conversation id per test."""
    return f"test-{uuid.uuid4().hex[:10]}"


def texts(replies: List[dict]) -> List[str]:
    """The text of each reply."""
    return [r.get("text") or "" for r in replies]


def payloads(replies: List[dict]) -> List[str]:
    """Every button payload in the replies."""
    return [b["payload"] for r in replies for b in (r.get("buttons") or [])]


def post_raw(servers: AssistantServers, body: bytes, content_type: str = "application/json") -> requests.Response:
    return requests.post(f"{servers.config.rasa_url}/webhooks/rest/webhook", data=body,
                         headers={"Content-Type": content_type}, timeout=30)


def tracker_db(servers: AssistantServers) -> Path:
    return servers.config.tracker_db
