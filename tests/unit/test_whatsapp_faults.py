"""The WhatsApp channel's health when the Graph API misbehaves (a real local fake Graph API, no Rasa): a
reply that cannot be delivered because the Graph API is down, failing, too slow or refusing the credentials
degrades the channel with one log line per problem; the next delivered reply makes it ok again. A refusal of
one message does not."""
from __future__ import annotations

import logging
from typing import Any, Iterator, List

import pytest

from bot.channels import WhatsAppInput
from bot.channels.whatsapp import WhatsAppSettings
from bot.channels.whatsapp_graph import GraphClient
from bot.channels.whatsapp_messages import text_messages
from bot.health import HealthRegistry
from tests.channels.fake_graph import FakeGraph

WA_ID = "6281234567890"


@pytest.fixture(autouse=True)
def channel_logs(caplog: pytest.LogCaptureFixture) -> None:
    """Capture the channels' INFO lines too ("recovered")."""
    caplog.set_level(logging.INFO, logger="bot.channels")


@pytest.fixture()
def fake() -> Iterator[FakeGraph]:
    server = FakeGraph()
    yield server
    server.close()


async def no_wait(_: float) -> None:
    """Backoff without waiting (the delays themselves are tested in test_whatsapp_channel.py)."""


def graph_for(base_url: str, access_token: str = "EAAtest-access-token", **kwargs: Any) -> GraphClient:
    return GraphClient(access_token, "109876543210", base_url, sleep=no_wait, **kwargs)


def message(text: str = "Halo, ada yang bisa dibantu?") -> dict:
    return text_messages(WA_ID, text)[0]


def log_lines(caplog: pytest.LogCaptureFixture, word: str) -> List[str]:
    return [r.getMessage() for r in caplog.records if r.name.startswith("bot.channels") and word in r.getMessage()]


async def test_graph_api_unreachable_degrades_once_and_a_delivered_reply_recovers(fake, caplog):
    graph = graph_for(fake.api_base_url, max_attempts=2)
    fake.down()                                                     # connection refused (no pooled connection yet)
    try:
        assert not await graph.send(message())
        assert not await graph.send(message("pesan kedua"))
        problem = graph.problem
        assert problem.startswith("Graph API unreachable (ConnectError")
        assert graph.state.status() == {"status": "degraded", "problem": problem}
    finally:
        fake.up()
    assert await graph.send(message("pesan ketiga"))
    await graph.aclose()
    assert graph.problem is None and graph.state.status() == {"status": "ok"}
    assert len(log_lines(caplog, "channel degraded")) == 1         # two messages lost, one line
    assert log_lines(caplog, "recovered") == [f"whatsapp channel recovered (was: {problem})"]
    assert [m["text"]["body"] for m in fake.accepted] == ["pesan ketiga"]


async def test_server_errors_until_the_last_attempt_degrade_with_the_graph_error(fake):
    fake.fail_next(503, times=3)
    graph = graph_for(fake.api_base_url, max_attempts=3)
    assert not await graph.send(message())
    assert graph.problem == "Graph API failing (HTTP 503: Something went wrong (code 131000))"
    assert await graph.send(message())
    await graph.aclose()
    assert graph.problem is None


async def test_a_retry_that_succeeds_never_degrades(fake, caplog):
    fake.fail_next(500, times=1)
    graph = graph_for(fake.api_base_url)
    assert await graph.send(message())
    await graph.aclose()
    assert graph.problem is None and not log_lines(caplog, "channel degraded")


async def test_a_graph_api_slower_than_the_timeout_degrades(fake):
    fake.hold_seconds = 1.0
    graph = graph_for(fake.api_base_url, max_attempts=2, timeout=0.2)
    assert not await graph.send(message())
    assert graph.problem == "Graph API unreachable (ReadTimeout)"
    fake.hold_seconds = 0.0
    assert await graph.send(message())
    await graph.aclose()
    assert graph.problem is None


async def test_refused_credentials_degrade_without_retry_and_never_show_the_token(fake, caplog):
    graph = graph_for(fake.api_base_url, access_token="EAAwrong-token")
    assert not await graph.send(message())
    await graph.aclose()
    assert len(fake.calls) == 1
    assert graph.problem == ("Graph API refused the credentials (HTTP 401: Invalid OAuth access token "
                             "(code 190))")
    assert "check WHATSAPP_ACCESS_TOKEN" in log_lines(caplog, "channel degraded")[0]
    assert "EAAwrong-token" not in caplog.text


async def test_a_refused_message_is_not_a_channel_problem(fake, caplog):
    graph = graph_for(fake.api_base_url)
    assert not await graph.send({"messaging_product": "whatsapp", "to": WA_ID, "type": "text", "text": {"body": ""}})
    await graph.aclose()
    assert graph.problem is None and graph.last_refusal.startswith("HTTP 400")
    assert not log_lines(caplog, "channel degraded")


async def test_the_channel_health_is_registered_and_follows_the_graph_api(fake, monkeypatch, tmp_path):
    monkeypatch.setenv("CHANNEL_STATE_DB", str(tmp_path / "channels.db"))
    registry = HealthRegistry()
    monkeypatch.setattr("bot.channels.whatsapp.health", registry)
    monkeypatch.setattr("bot.health.health", registry)
    settings = WhatsAppSettings(verify_token="v", app_secret="s", access_token=fake.access_token,
                                phone_number_id=fake.phone_number_id, api_base_url=fake.api_base_url)
    channel = WhatsAppInput(settings)

    async def handler(_: Any) -> None:
        return None

    channel.blueprint(handler)
    _, body = await registry.report()
    assert body["parts"]["whatsapp"] == {"status": "ok"}
    output = channel.get_output_channel()
    fake.fail_next(500, times=10)
    output.graph.max_attempts = 1                                  # no backoff waits in this test
    await output.send_text_message(WA_ID, "halo")
    _, body = await registry.report()
    assert body["status"] == "degraded" and body["parts"]["whatsapp"] == {
        "status": "degraded", "problem": "Graph API failing (HTTP 500: Something went wrong (code 131000))"}
    fake.reset()
    await output.send_text_message(WA_ID, "halo lagi")
    await output.graph.aclose()
    _, body = await registry.report()
    assert body["parts"]["whatsapp"] == {"status": "ok"}

    WhatsAppInput(WhatsAppSettings(), ["WHATSAPP_ACCESS_TOKEN"]).blueprint(handler)
    _, body = await registry.report()
    assert body["parts"]["whatsapp"] == {"status": "disabled", "missing": ["WHATSAPP_ACCESS_TOKEN"]}
