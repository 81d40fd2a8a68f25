"""The socket.io channel (used by the web chat widget) answers like REST does."""
from __future__ import annotations

import queue
import uuid

import pytest
import socketio

pytestmark = pytest.mark.integration


def test_socketio_conversation_gets_the_knowledge_answer(servers):
    replies: "queue.Queue[dict]" = queue.Queue()
    client = socketio.Client(reconnection=False)
    client.on("bot_uttered", replies.put)
    session_id = uuid.uuid4().hex
    client.connect(servers.config.rasa_url, socketio_path="socket.io", transports=["polling"], wait_timeout=20)
    try:
        client.emit("session_request", {"session_id": session_id})
        client.emit("user_uttered", {"message": "gimana cara aktifin google authenticator", "session_id": session_id})
        received = []
        while True:
            received.append(replies.get(timeout=30))
            if received[-1].get("quick_replies") or received[-1].get("buttons"):
                break
    finally:
        client.disconnect()
    assert "Google Authenticator" in received[0]["text"]
    buttons = received[-1].get("quick_replies") or received[-1].get("buttons")
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]
