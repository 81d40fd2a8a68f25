"""The socket.io channel (used by the web chat widget) answers like REST does, and refuses what it must:
other origins, malformed events, messages into a session the connection did not ask for; secrets are
redacted at entry."""
from __future__ import annotations

import asyncio
import queue
import sqlite3
import time
import uuid
from typing import Dict, Iterator, List, Optional

import pytest
import requests
import socketio
import websockets

from tests.integration.conftest import WEBCHAT_EMBED_ORIGIN, tracker_db

pytestmark = pytest.mark.integration

QUESTION = "gimana cara aktifin google authenticator"


class Chat:
    """A socket.io client in one persistent session, collecting what the server sends."""

    def __init__(self, url: str, headers: Optional[Dict[str, str]] = None) -> None:
        self.replies: "queue.Queue[dict]" = queue.Queue()
        self.redacted: "queue.Queue[dict]" = queue.Queue()
        self.client = socketio.Client(reconnection=False)
        self.client.on("bot_uttered", self.replies.put)
        self.client.on("user_redacted", self.redacted.put)
        self.session_id = uuid.uuid4().hex
        self.client.connect(url, socketio_path="socket.io", transports=["polling"], wait_timeout=20,
                            headers=headers or {})

    def join(self) -> None:
        """Ask for the session and wait for its confirmation."""
        confirmed: "queue.Queue[str]" = queue.Queue()
        self.client.on("session_confirm", confirmed.put)
        self.client.emit("session_request", {"session_id": self.session_id})
        assert confirmed.get(timeout=20) == self.session_id

    def say(self, text: str, **extra: object) -> None:
        self.client.emit("user_uttered", {"message": text, "session_id": self.session_id, **extra})

    def until_buttons(self, timeout: float = 30) -> List[dict]:
        """Replies up to and including the first one with buttons."""
        received = []
        while True:
            received.append(self.replies.get(timeout=timeout))
            if received[-1].get("quick_replies") or received[-1].get("buttons"):
                return received

    def close(self) -> None:
        self.client.disconnect()


@pytest.fixture()
def chat(servers) -> Iterator[Chat]:
    session = Chat(servers.config.rasa_url)
    session.join()
    yield session
    session.close()


def test_socketio_conversation_gets_the_knowledge_answer(chat):
    chat.say(QUESTION)
    received = chat.until_buttons()
    assert "Google Authenticator" in received[0]["text"]
    buttons = received[-1].get("quick_replies") or received[-1].get("buttons")
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]


def test_malformed_events_are_ignored_and_the_connection_keeps_working(chat):
    chat.client.emit("user_uttered", "bukan objek")
    chat.client.emit("user_uttered", ["daftar"])
    chat.say(12345)                                   # message is not a string
    chat.say("halo", metadata="{bukan json")           # metadata is not JSON
    chat.say("halo", metadata=[1, 2])                  # metadata is not an object
    chat.client.emit("user_uttered", {"message": "halo", "session_id": {"x": 1}})
    chat.client.emit("session_request", "bukan objek")
    chat.say(QUESTION)
    received = chat.until_buttons()
    assert "Google Authenticator" in received[0]["text"], "a malformed event was answered"


def test_a_message_over_one_megabyte_does_not_break_the_server(servers, chat):
    try:
        chat.say("a" * 1_000_001)
    except Exception:  # noqa: BLE001 - the transport may refuse it outright (HTTP 413); that is fine
        pass
    with pytest.raises(queue.Empty):
        chat.replies.get(timeout=3)
    fresh = Chat(servers.config.rasa_url)
    try:
        fresh.join()
        fresh.say(QUESTION)
        assert "Google Authenticator" in fresh.until_buttons()[0]["text"]
    finally:
        fresh.close()


def test_cannot_write_into_a_session_it_did_not_request(servers, chat):
    intruder = Chat(servers.config.rasa_url)
    try:
        intruder.client.emit("user_uttered", {"message": QUESTION, "session_id": chat.session_id})
        with pytest.raises(queue.Empty):
            chat.replies.get(timeout=4)
        assert intruder.replies.empty()
    finally:
        intruder.close()


def test_secrets_are_redacted_at_entry_and_the_widget_is_told(servers, chat):
    chat.say("kode otp 482913, tolong proses wd saya", message_id="m-1")
    redacted = chat.redacted.get(timeout=20)
    assert redacted["message_id"] == "m-1"
    assert "482913" not in redacted["text"] and "DIHAPUS" in redacted["text"]
    replies = chat.until_buttons()
    assert replies[0]["text"].startswith("PENTING")
    # The replies are emitted while Rasa handles the message; the tracker is saved just after.
    rows: list = []
    for _ in range(100):
        with sqlite3.connect(tracker_db(servers)) as db:
            rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (chat.session_id,)).fetchall()
        if rows:
            break
        time.sleep(0.1)
    assert rows and not any("482913" in data for (data,) in rows)


async def websocket_status(servers, origin: str) -> int:
    """HTTP status of a direct WebSocket handshake from ``origin`` (101 when it opens)."""
    url = f"ws://{servers.config.host}:{servers.config.rasa_port}/socket.io/?EIO=4&transport=websocket"
    try:
        async with websockets.connect(url, origin=origin, open_timeout=10):
            return 101
    except websockets.exceptions.InvalidStatusCode as refused:
        return refused.status_code


def test_only_allowed_origins_can_connect(servers):
    url = f"{servers.config.rasa_url}/socket.io/?EIO=4&transport=polling"
    refused = requests.get(url, headers={"Origin": "http://evil.example"}, timeout=10)
    assert refused.status_code == 403
    allowed = requests.get(url, headers={"Origin": WEBCHAT_EMBED_ORIGIN}, timeout=10)
    assert allowed.status_code == 200
    assert allowed.headers["Access-Control-Allow-Origin"] == WEBCHAT_EMBED_ORIGIN   # exactly one value
    with pytest.raises(socketio.exceptions.ConnectionError):
        Chat(servers.config.rasa_url, headers={"Origin": "http://evil.example"})
    assert asyncio.run(websocket_status(servers, "http://evil.example")) == 403   # browsers apply no CORS here
    assert asyncio.run(websocket_status(servers, WEBCHAT_EMBED_ORIGIN)) == 101
    embedded = Chat(servers.config.rasa_url, headers={"Origin": WEBCHAT_EMBED_ORIGIN})
    try:
        embedded.join()
    finally:
        embedded.close()
