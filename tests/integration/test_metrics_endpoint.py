"""``GET /metrics`` on a real Rasa server with two Sanic workers (Redis lock store, database 9): customer
messages on REST move the message, latency and fallback counters by exactly what was sent whichever worker
handled each one; a handoff written to the ticket database shows in the gauges; the handoff sweep and the
gate's "kembali ke bot" move the handoff counters. A small Sanic app on the machine's non-loopback address
checks the access rule with a real socket peer (forged X-Forwarded-For refused, the token accepted)."""
from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Dict, FrozenSet, Iterator, Optional, Tuple

import psutil
import pytest
import redis
import requests
from prometheus_client.parser import text_string_to_metric_families

from bot.servers import AssistantServers, ServerConfig
from bot.tickets import open_store
from tests.integration.conftest import wait_for
from tests.tickets.drafts import make_draft

pytestmark = pytest.mark.integration
RASA_PORT, ACTION_PORT, PROBE_PORT = 16905, 16955, 16910
REDIS_URL = "redis://127.0.0.1:6379/9"
ROOT = Path(__file__).resolve().parents[2]

Samples = Dict[Tuple[str, FrozenSet[Tuple[str, str]]], float]


@pytest.fixture(scope="module")
def metrics_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
    work = tmp_path_factory.mktemp("metrics")
    (work / "notifiers.yml").write_text("notifiers: {}\n", encoding="utf-8")
    (work / "desks.yml").write_text("desks: {}\n", encoding="utf-8")
    redis.Redis.from_url(REDIS_URL).flushdb()
    config = ServerConfig(rasa_port=RASA_PORT, action_port=ACTION_PORT, tracker_db=work / "tracker.db", log_dir=work,
                          tickets_db_url=f"sqlite:///{work / 'tickets.db'}", database_url="", redis_url=REDIS_URL,
                          rabbitmq_url="", workers=2, notifiers_config=work / "notifiers.yml",
                          desks_config=work / "desks.yml")
    config.extra_env.update({"TELEGRAM_BOT_TOKEN": "", "WHATSAPP_ACCESS_TOKEN": "", "WHATSAPP_APP_SECRET": "",
                             "CHANNEL_STATE_DB": str(work / "channels.db"), "AGENT_HOURS": "00-24",
                             "HANDOFF_CLAIM_TIMEOUT_MINUTES": "30"})
    servers = AssistantServers(config).start(timeout=300)
    try:
        yield servers
    finally:
        servers.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()


def scrape(servers: AssistantServers, **params: str) -> Samples:
    reply = requests.get(f"{servers.config.rasa_url}/metrics", params=params, timeout=30)
    assert reply.status_code == 200, reply.text
    assert reply.headers["Content-Type"].startswith("text/plain")
    return {(item.name, frozenset(item.labels.items())): item.value
            for family in text_string_to_metric_families(reply.text) for item in family.samples}


def get(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def send(servers: AssistantServers, sender: str, text: str) -> list:
    """One message on its own connection (a fresh TCP connection may land on either worker)."""
    reply = requests.post(f"{servers.config.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text},
                          headers={"Connection": "close"}, timeout=60)
    assert reply.status_code == 200, reply.text
    return reply.json()


def latest_intent(servers: AssistantServers, sender: str) -> str:
    reply = requests.get(f"{servers.config.rasa_url}/conversations/{sender}/tracker",
                         params={"token": servers.config.api_token}, timeout=30)
    reply.raise_for_status()
    return reply.json()["latest_message"]["intent"]["name"]


def test_counters_are_exact_across_two_workers(metrics_servers: AssistantServers):
    servers = metrics_servers
    wait_for(lambda: get(scrape(servers), "kriptocs_ticket_store_up") == 1, 60, "ticket store gauge")
    # The kernel decides which worker accepts a connection; one may take a whole small batch on a loaded
    # machine. Send parallel greetings (at most 10 rounds) until both workers have counted something.
    for _ in range(10):
        if len(list(servers.config.metrics_dir.glob("counter_*.db"))) >= 2:
            break
        with ThreadPoolExecutor(max_workers=6) as pool:
            list(pool.map(lambda n: send(servers, f"metrics-warm-{uuid.uuid4().hex[:8]}", "halo"), range(6)))
    before = scrape(servers)
    texts = ["halo", "cara deposit rupiah", "😀😀😀", "wd usdt gw nyangkut", "asdfgh qwerty zxcvb", "lupa password"] * 2
    senders = [f"metrics-{uuid.uuid4().hex[:8]}" for _ in texts]
    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(lambda pair: send(servers, *pair), zip(senders, texts, strict=True)))
    intents = Counter(latest_intent(servers, sender) for sender in senders)   # what Rasa's NLU found
    assert intents["nlu_fallback"] >= 2, intents                             # the emoji-only messages at least
    after = scrape(servers)

    for intent, count in intents.items():
        moved = get(after, "kriptocs_messages_total", channel="rest", route="bot", intent=intent) - \
            get(before, "kriptocs_messages_total", channel="rest", route="bot", intent=intent)
        assert moved == count, (intent, moved, count)
    assert sum(value for (name, _), value in after.items() if name == "kriptocs_messages_total") - \
        sum(value for (name, _), value in before.items() if name == "kriptocs_messages_total") == len(texts)
    for name in ("kriptocs_reply_latency_seconds_count", "kriptocs_reply_latency_seconds_bucket"):
        labels = {"channel": "rest", **({"le": "+Inf"} if name.endswith("bucket") else {})}
        assert get(after, name, **labels) - get(before, name, **labels) == len(texts)
    assert get(after, "kriptocs_reply_latency_seconds_sum", channel="rest") > \
        get(before, "kriptocs_reply_latency_seconds_sum", channel="rest")
    assert get(after, "kriptocs_nlu_fallbacks_total", channel="rest") - \
        get(before, "kriptocs_nlu_fallbacks_total", channel="rest") == intents["nlu_fallback"]
    worker_files = list(servers.config.metrics_dir.glob("counter_*.db"))
    assert len(worker_files) == 2, worker_files                 # both workers counted; the scrape summed both
    assert get(after, "kriptocs_health_status", part="rest", status="ok") == 1
    assert get(after, "kriptocs_health_status", part="rasa", status="ok") == 1


def test_a_waiting_handoff_shows_in_the_gauges_and_its_transitions_are_counted(metrics_servers: AssistantServers,
                                                                             monkeypatch):
    servers = metrics_servers
    monkeypatch.setenv("AGENT_HOURS", "00-24")   # as the servers run: the ticket's due times come from this process
    before = scrape(servers)
    customer = f"metrics-{uuid.uuid4().hex[:8]}"
    opened = datetime.now(timezone.utc) - timedelta(hours=2)
    ticket = open_store(servers.config.tickets_db_url).create(
        make_draft(customer_id=customer, channel="rest", priority="urgent"), ["helpdesk"], now=opened)

    def moved(name: str, **labels: str) -> float:
        return get(scrape(servers), name, **labels) - get(before, name, **labels)

    wait_for(lambda: moved("kriptocs_handoff_events_total", event="unclaimed") == 1, 90, "the sweep's unclaimed notice")
    now = scrape(servers)
    assert get(now, "kriptocs_open_tickets", state="waiting", priority="urgent") - \
        get(before, "kriptocs_open_tickets", state="waiting", priority="urgent") == 1
    assert get(now, "kriptocs_handoffs_started_total", channel="rest") - \
        get(before, "kriptocs_handoffs_started_total", channel="rest") == 1
    pending = "kriptocs_outbox_pending"
    assert get(now, pending, outbox="tickets") - get(before, pending, outbox="tickets") == 1
    assert get(now, "kriptocs_outbox_oldest_pending_seconds", outbox="tickets") >= 2 * 3600 - 5
    assert get(now, "kriptocs_handoffs_unclaimed_overdue", deadline="claim") >= 1
    assert get(now, "kriptocs_handoffs_unclaimed_overdue", deadline="response") >= 1
    assert get(now, "kriptocs_handoff_oldest_waiting_seconds") >= 2 * 3600 - 5

    send(servers, customer, "halo, ada agen?")            # held for the agent: the gate answers, not Rasa
    send(servers, customer, "kembali ke bot aja")         # the customer leaves the queue
    after = scrape(servers)
    assert get(after, "kriptocs_messages_total", channel="rest", route="handoff", intent="none") - \
        get(before, "kriptocs_messages_total", channel="rest", route="handoff", intent="none") == 2
    assert get(after, "kriptocs_handoff_events_total", event="left") - \
        get(before, "kriptocs_handoff_events_total", event="left") == 1
    assert get(after, "kriptocs_open_tickets", state="waiting", priority="urgent") == \
        get(before, "kriptocs_open_tickets", state="waiting", priority="urgent")
    assert open_store(servers.config.tickets_db_url).get(ticket.id).status == "closed"


# ------------------------------------------------------------------ access with a real, non-loopback peer

PROBE_APP = """
import sys
from sanic import Sanic
from bot.metrics_route import install_metrics_route
app = Sanic("metrics_probe")
install_metrics_route(app, "probe-token")
app.run(host=sys.argv[1], port=int(sys.argv[2]), access_log=False)
"""


def non_loopback_address() -> Optional[str]:
    for addresses in psutil.net_if_addrs().values():
        for address in addresses:
            if address.family.name == "AF_INET" and not address.address.startswith("127."):
                return address.address
    return None


@pytest.fixture(scope="module")
def probe(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    host = non_loopback_address()
    if host is None:
        pytest.skip("no non-loopback IPv4 address to test a real remote peer (the unit tests forge one)")
    folder = tmp_path_factory.mktemp("probe-metrics")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PROMETHEUS_MULTIPROC_DIR": str(folder),
           "RASA_TELEMETRY_ENABLED": "false"}
    process = subprocess.Popen([sys.executable, "-c", PROBE_APP, host, str(PROBE_PORT)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{host}:{PROBE_PORT}/metrics"

    def answers() -> bool:
        if process.poll() is not None:
            pytest.fail(f"the probe app exited with {process.returncode}")
        try:
            requests.get(url, timeout=2)
            return True
        except requests.ConnectionError:
            return False

    try:
        wait_for(answers, 60, "the probe app")
        yield url
    finally:
        process.terminate()
        process.wait(15)


def test_a_remote_peer_needs_the_token_and_cannot_forge_loopback(probe: str):
    plain = requests.get(probe, timeout=10)
    assert plain.status_code == 403 and set(plain.json()) == {"error"} and "forbidden" in plain.json()["error"]
    assert requests.get(probe, headers={"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1",
                                        "Forwarded": "for=127.0.0.1"}, timeout=10).status_code == 403
    assert requests.get(probe, params={"token": "wrong"}, timeout=10).status_code == 403
    assert requests.get(probe, params={"token": "probe-token"}, timeout=10).status_code == 200
    served = requests.get(probe, headers={"Authorization": "Bearer probe-token"}, timeout=10)
    assert served.status_code == 200 and "kriptocs_ticket_store_up" in served.text


def test_the_rasa_server_serves_its_loopback_clients_and_the_token(metrics_servers: AssistantServers):
    assert requests.get(f"{metrics_servers.config.rasa_url}/metrics", timeout=30).status_code == 200
    assert scrape(metrics_servers, token=metrics_servers.config.api_token)
