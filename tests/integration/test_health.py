"""``GET /health`` on the running Rasa server reports every part."""
from __future__ import annotations

import pytest
import requests

from bot.servers import AssistantServers

pytestmark = pytest.mark.integration   # the session ``servers`` fixture starts real Rasa and action servers


def test_health_lists_every_part_and_is_ok_with_embedded_defaults(servers: AssistantServers):
    reply = requests.get(f"{servers.config.rasa_url}/health", timeout=10)
    body = reply.json()
    assert reply.status_code == 200, body
    parts = body["parts"]
    for part in ("rasa", "actions", "rest", "socketio", "tickets", "handoff", "telegram", "whatsapp"):
        assert part in parts, (part, sorted(parts))
    assert parts["rasa"]["status"] == "ok" and parts["actions"]["status"] == "ok"
    assert parts["tickets"]["status"] == "ok" and parts["tickets"]["backend"] == "sqlite"
    assert parts["telegram"]["status"] == "disabled" and parts["whatsapp"]["status"] == "disabled"
    assert "pending" in parts["tickets"]["outbox"] and "outbox" in parts["handoff"]
