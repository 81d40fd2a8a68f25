"""The health registry and the action-server check (no Rasa)."""
from __future__ import annotations

import asyncio
import http.server
import threading
from typing import Iterator

import pytest

from bot.health import DEGRADED, DISABLED, DOWN, OK, HealthRegistry
from bot.health_route import action_health_url, action_server_check


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


class _Health(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        code = 200 if self.path == "/health" else 404
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(b'{"status": "ok"}')

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
