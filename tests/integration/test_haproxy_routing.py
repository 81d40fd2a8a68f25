"""deploy/haproxy.cfg as HAProxy 2.6 runs it: the configuration is valid, each channel's conversation id is
read from the request (``json_query`` on the body, ``url_param``, the path) and keeps a conversation on one
replica, socket.io sticks by cookie, a replica whose ``GET /health`` answers 503 is taken out, and retries
never replay a POST that reached a replica. HAProxy runs the rendered file (ports 16440/16441) in front of
two small local HTTP servers (16442/16443) that say who answered; no Rasa is needed."""
from __future__ import annotations

import csv
import io
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest
import requests

from bot.child_server import ChildServer, ServerSpec
from bot.haproxy import DEPLOYED_CONFIG, check_config, haproxy_command, render_loopback
from bot.servers import ROOT

pytestmark = pytest.mark.integration
FRONTEND, STATS, REPLICA_PORTS = 16440, 16441, (16442, 16443)
BASE = f"http://127.0.0.1:{FRONTEND}"


class FakeReplica:
    """An HTTP server standing in for one Rasa replica: records every request, answers who it is."""

    def __init__(self, name: str, port: int) -> None:
        self.name, self.port = name, port
        self.requests: List[Dict[str, str]] = []
        self.health_status, self.drop_requests = 200, False
        self.server: Optional[ThreadingHTTPServer] = None

    def start(self) -> "FakeReplica":
        replica = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                if self.path == "/health":
                    self._send(replica.health_status, {"status": "ok" if replica.health_status == 200 else "down"})
                    return
                replica.requests.append({"method": self.command, "path": self.path, "body": body})
                if replica.drop_requests:   # like a replica dying mid-request: close without an answer
                    self.close_connection = True
                    return
                self._send(200, {"replica": replica.name})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} not within {timeout:.0f} s")


def server_stats() -> Dict[str, Dict[str, str]]:
    """HAProxy's statistics row of each server of backend ``conversations``."""
    text = requests.get(f"http://127.0.0.1:{STATS}/stats;csv", timeout=5).text.lstrip("# ")
    return {row["svname"]: row for row in csv.DictReader(io.StringIO(text))
            if row["pxname"] == "conversations" and row["svname"].startswith("rasa")}


@pytest.fixture(scope="module")
def replicas() -> Iterator[Dict[str, FakeReplica]]:
    fakes = {f"rasa{i}": FakeReplica(f"rasa{i}", port).start() for i, port in enumerate(REPLICA_PORTS, start=1)}
    yield fakes
    for fake in fakes.values():
        fake.stop()


@pytest.fixture(scope="module")
def haproxy(tmp_path_factory: pytest.TempPathFactory, replicas: Dict[str, FakeReplica]) -> Iterator[ChildServer]:
    work = tmp_path_factory.mktemp("haproxy")
    config = work / "haproxy.cfg"
    config.write_text(render_loopback(DEPLOYED_CONFIG.read_text(encoding="utf-8"), FRONTEND, STATS, REPLICA_PORTS))
    proxy = ChildServer(ServerSpec(name="HAProxy", command=haproxy_command(config), health_url=f"{BASE}/haproxy-health",
                                   log_path=work / "haproxy.log", cwd=ROOT))
    proxy.start()
    wait_for(lambda: proxy.healthy() and all(r["status"] == "UP" for r in server_stats().values()), 30,
             "HAProxy with both replicas up")
    yield proxy
    proxy.terminate()
    proxy.wait_stopped()
    proxy.close()


@pytest.fixture(autouse=True)
def healthy_replicas(replicas: Dict[str, FakeReplica], haproxy: ChildServer) -> Iterator[None]:
    """After each test: both fakes answer again and HAProxy sees them up."""
    yield
    for fake in replicas.values():
        fake.health_status, fake.drop_requests = 200, False
        if fake.server is None:
            fake.start()
    wait_for(lambda: all(r["status"] == "UP" for r in server_stats().values()), 30, "both replicas up again")


def replica_of(method: str, path: str, body: Optional[dict] = None, **kwargs: object) -> str:
    reply = requests.request(method, BASE + path, json=body, timeout=10, **kwargs)
    assert reply.status_code == 200, (reply.status_code, reply.text)
    assert reply.headers["X-Assistant-Replica"] == reply.json()["replica"]
    return reply.json()["replica"]


def rest(sender: str) -> dict:
    return {"sender": sender, "message": f"cara deposit {uuid.uuid4().hex[:4]}"}


def telegram_message(chat_id: int) -> dict:
    return {"update_id": 1, "message": {"message_id": 7, "chat": {"id": chat_id, "type": "private"}, "text": "halo"}}


def telegram_edit(chat_id: int) -> dict:
    return {"update_id": 2, "edited_message": {"message_id": 7, "chat": {"id": chat_id}, "text": "halo lagi"}}


def telegram_tap(chat_id: int) -> dict:
    return {"update_id": 3, "callback_query": {"id": "55", "from": {"id": 1}, "data": "/affirm",
                                               "message": {"message_id": 8, "chat": {"id": chat_id}}}}


def whatsapp_message(phone: str) -> dict:
    return {"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [{"field": "messages", "value": {
        "messaging_product": "whatsapp", "contacts": [{"wa_id": phone}],
        "messages": [{"from": phone, "id": f"wamid.{uuid.uuid4().hex}", "type": "text", "text": {"body": "halo"}}]}}]}]}


def test_the_deployed_and_the_rendered_configuration_are_valid(tmp_path: Path):
    deployed = check_config(DEPLOYED_CONFIG)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    rendered = tmp_path / "haproxy.cfg"
    rendered.write_text(render_loopback(DEPLOYED_CONFIG.read_text(), FRONTEND, STATS, REPLICA_PORTS))
    checked = check_config(rendered)
    assert checked.returncode == 0 and "Warnings" not in checked.stdout + checked.stderr, checked.stderr


def test_each_channel_keeps_a_conversation_on_one_replica(haproxy, replicas):
    seen = set()
    for n in range(24):
        sender, chat_id, phone = f"budi-{n}", -1001234567000 - n * 7919, f"62812{n:07d}"
        by_rest = {replica_of("POST", "/webhooks/rest/webhook", rest(sender)) for _ in range(3)}
        by_rest.add(replica_of("GET", f"/webhooks/rest/messages?sender={sender}&after=0"))
        by_rest.add(replica_of("GET", f"/conversations/{sender}/tracker"))
        by_telegram = {replica_of("POST", "/webhooks/telegram/webhook", make(chat_id))
                       for make in (telegram_message, telegram_edit, telegram_tap, telegram_message)}
        by_whatsapp = {replica_of("POST", "/webhooks/whatsapp/webhook", whatsapp_message(phone)) for _ in range(3)}
        assert len(by_rest) == 1 and len(by_telegram) == 1 and len(by_whatsapp) == 1, (n, by_rest, by_telegram,
                                                                                       by_whatsapp)
        seen |= by_rest | by_telegram | by_whatsapp
    assert seen == {"rasa1", "rasa2"}, "conversations are spread over both replicas"


def test_requests_without_a_conversation_id_are_spread(haproxy):
    status_callback = {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": {"statuses": [{}]}}]}]}
    answered = [replica_of("POST", "/webhooks/whatsapp/webhook", status_callback) for _ in range(8)]
    assert set(answered) == {"rasa1", "rasa2"}


def test_socketio_sticks_to_the_replica_named_in_its_cookie(haproxy):
    first = requests.get(f"{BASE}/socket.io/?EIO=4&transport=polling", timeout=10)
    chosen = first.json()["replica"]
    assert first.cookies.get("ASSISTANT_REPLICA") == chosen
    other = "rasa2" if chosen == "rasa1" else "rasa1"
    for name in (chosen, other, chosen):
        assert replica_of("GET", "/socket.io/?EIO=4&transport=polling&sid=abc", cookies={"ASSISTANT_REPLICA": name}) \
            == name


def keys_on(replica: str, count: int) -> List[str]:
    """REST senders that HAProxy currently sends to ``replica``."""
    found: List[str] = []
    for n in range(200):
        if len(found) == count:
            break
        if replica_of("GET", f"/webhooks/rest/messages?sender=probe-{n}") == replica:
            found.append(f"probe-{n}")
    assert len(found) == count
    return found


def test_a_replica_answering_503_on_health_is_taken_out_and_gets_its_conversations_back(haproxy, replicas):
    senders = keys_on("rasa1", 5)
    replicas["rasa1"].health_status = 503
    wait_for(lambda: server_stats()["rasa1"]["status"] == "DOWN", 20, "rasa1 marked down")
    assert {replica_of("POST", "/webhooks/rest/webhook", rest(s)) for s in senders} == {"rasa2"}
    replicas["rasa1"].health_status = 200
    wait_for(lambda: server_stats()["rasa1"]["status"] == "UP", 20, "rasa1 up again")
    assert {replica_of("POST", "/webhooks/rest/webhook", rest(s)) for s in senders} == {"rasa1"}


def test_a_post_that_reached_a_replica_is_never_replayed_but_a_get_is(haproxy, replicas):
    sender = keys_on("rasa1", 1)[0]
    for fake in replicas.values():
        fake.requests.clear()
    replicas["rasa1"].drop_requests = True
    body = rest(sender)
    post = requests.post(f"{BASE}/webhooks/rest/webhook", json=body, timeout=10)
    assert post.status_code == 502, "the client is told; it may retry"
    posted = [r for fake in replicas.values() for r in fake.requests if r["method"] == "POST"]
    assert [json.loads(r["body"]) for r in posted] == [body], "delivered once, to rasa1, and not replayed"
    get = requests.get(f"{BASE}/webhooks/rest/messages?sender={sender}", timeout=10)
    assert get.status_code == 200 and get.json()["replica"] == "rasa2", "a read is retried on the other replica"


def test_a_refused_connection_is_redispatched_to_the_other_replica(haproxy, replicas):
    senders = keys_on("rasa1", 3)
    redispatched_before = int(server_stats()["rasa1"]["wredis"] or 0)
    replicas["rasa1"].stop()   # refuses connections at once; HAProxy's next check is up to 2 s away
    answered = [replica_of("POST", "/webhooks/rest/webhook", rest(s)) for s in senders]
    assert answered == ["rasa2"] * 3
    stats = server_stats()["rasa1"]
    assert stats["status"] != "UP" or int(stats["wredis"] or 0) > redispatched_before, stats
