"""The health registry and the action-server check (no Rasa)."""
from __future__ import annotations

import asyncio
import http.server
import threading
from typing import Iterator

import pytest

from bot.health import DEGRADED, DISABLED, DOWN, OK, HealthRegistry
from bot.health_route import action_health_url, action_server_check, knowledge_base_check


def run(coro):
    return asyncio.run(coro)


def test_all_parts_ok_or_disabled_is_ok():
    registry = HealthRegistry()
    registry.register("rest", lambda: {"status": OK})
    registry.register("telegram", lambda: {"status": DISABLED, "missing": ["TELEGRAM_BOT_TOKEN"]})
    status, body = run(registry.report())
    assert status == 200 and body["status"] == OK
    assert body["parts"]["telegram"]["missing"] == ["TELEGRAM_BOT_TOKEN"]


def test_a_degraded_part_degrades_the_whole_but_keeps_200():
    registry = HealthRegistry()
    registry.register("rest", lambda: {"status": OK})
    registry.register("whatsapp", lambda: {"status": DEGRADED, "problem": "Graph down"})
    status, body = run(registry.report())
    assert (status, body["status"]) == (200, DEGRADED)


def test_a_critical_part_down_answers_503_and_a_non_critical_one_does_not():
    registry = HealthRegistry()
    registry.register("tickets", lambda: {"status": DOWN, "problem": "refused"})
    assert run(registry.report())[0] == 200
    registry.register("actions", lambda: {"status": DOWN, "problem": "refused"}, critical=True)
    status, body = run(registry.report())
    assert (status, body["status"]) == (503, DOWN)


def test_a_broken_or_hanging_check_reports_down_without_breaking_the_report(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr("bot.health.CHECK_TIMEOUT_SECONDS", 0.05)
    registry = HealthRegistry()

    def broken() -> dict:
        raise RuntimeError("boom")

    async def hanging() -> dict:
        await asyncio.sleep(5)
        return {"status": OK}

    registry.register("broken", broken)
    registry.register("hanging", hanging)
    registry.register("odd", lambda: "fine")   # type: ignore[arg-type, return-value]
    registry.register("rest", lambda: {"status": OK})
    status, body = run(registry.report())
    parts = body["parts"]
    assert status == 200 and body["status"] == DEGRADED
    assert parts["broken"] == {"status": DOWN, "problem": "RuntimeError: boom"}
    assert parts["hanging"]["status"] == DOWN and "no answer" in parts["hanging"]["problem"]
    assert parts["odd"]["status"] == DOWN and parts["rest"]["status"] == OK


KNOWLEDGE_BASE = b'{"status": "degraded", "articles": 84, "problem": "rusak.md: no front matter", "since": 1796000000}'


class _Health(http.server.BaseHTTPRequestHandler):
    """An action server's health routes: ``/health`` and the knowledge base's (degraded); ``/odd`` answers
    JSON that is not a status."""

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        body = {"/health": b'{"status": "ok"}', "/health/knowledge_base": KNOWLEDGE_BASE,
                "/odd": b'["ok"]'}.get(self.path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(body or b'{"error": "not found"}')

    def log_message(self, *_: object) -> None:
        pass


@pytest.fixture()
def action_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Health)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhook"
    server.shutdown()
    server.server_close()


def test_the_action_server_check_follows_the_real_server(action_server: str):
    url = action_health_url(action_server)
    assert run(action_server_check(url))["status"] == OK
    assert run(action_server_check(url.replace("/health", "/nope")))["problem"] == "HTTP 404"
    refused = run(action_server_check("http://127.0.0.1:9/health"))
    assert refused["status"] == DOWN and "ConnectError" in refused["problem"]


def test_the_knowledge_base_part_is_what_the_action_server_reports(action_server: str):
    base = action_server[: -len("/webhook")]
    degraded = run(knowledge_base_check(f"{base}/health/knowledge_base"))
    assert degraded == {"status": DEGRADED, "articles": 84, "problem": "rusak.md: no front matter",
                        "since": 1796000000}
    assert run(knowledge_base_check(f"{base}/odd"))["status"] == DOWN
    assert run(knowledge_base_check(f"{base}/nope"))["status"] == DOWN
    refused = run(knowledge_base_check("http://127.0.0.1:9/health/knowledge_base"))
    assert refused["status"] == DOWN and "ConnectError" in refused["problem"]


def test_the_action_server_plugin_adds_the_knowledge_base_route():
    from rasa_sdk.plugin import plugin_manager
    from sanic import Sanic

    from rasa_sdk_plugins import KNOWLEDGE_BASE_HEALTH_PATH

    app = Sanic("plugin_probe")
    plugin_manager().hook.attach_sanic_app_extensions(app=app)
    assert KNOWLEDGE_BASE_HEALTH_PATH.lstrip("/") in {route.path for route in app.router.routes}
