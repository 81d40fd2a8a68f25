"""How fast the Telegram and WhatsApp webhooks acknowledge, and how long until the reply reaches the
platform, measured against local fakes of the Bot API and the Graph API (prints figures; not a test).

    .venv/bin/python bench/channel_latency.py [--messages 40]
"""
from __future__ import annotations

import argparse
import hashlib
import hmac
import itertools
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.servers import AssistantServers, ServerConfig  # noqa: E402
from tests.channels import telegram_builders as build  # noqa: E402
from tests.channels.fake_graph import FakeGraph  # noqa: E402
from tests.channels.fake_telegram import FakeBotAPI  # noqa: E402

QUESTIONS = ["cara deposit rupiah", "lupa password gabisa login", "biaya penarikan usdt berapa",
             "gimana cara aktifin google authenticator"]
TELEGRAM_SECRET = "bench_secret-1"
WHATSAPP_SECRET = "bench-app-secret"


def percentiles(values: List[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms"


def wait_until(condition: Callable[[], Any], timeout: float = 30.0) -> Any:
    """``condition()`` once it is truthy (polled every 2 ms); TimeoutError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError("no reply reached the fake platform")
        time.sleep(0.002)


def timed_webhook(url: str, body: bytes, headers: Dict[str, str], replies: Callable[[], int]) -> Tuple[float, float]:
    """POST one webhook; (acknowledgement, first reply at the fake platform) in ms."""
    before = replies()
    start = time.perf_counter()
    answer = requests.post(url, data=body, timeout=30, headers={"Content-Type": "application/json", **headers})
    ack = time.perf_counter() - start
    answer.raise_for_status()
    wait_until(lambda: replies() > before)
    return ack * 1000, (time.perf_counter() - start) * 1000


def telegram_round(servers: AssistantServers, api: FakeBotAPI, chat: int, text: str) -> Tuple[float, float]:
    """(acknowledgement, first reply) in ms for one webhook update."""
    body = json.dumps(build.text_update(api.next_update_id(), chat, text)).encode()
    return timed_webhook(f"{servers.config.rasa_url}/webhooks/telegram/webhook", body,
                         {"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET}, lambda: len(api.messages(chat)))


def whatsapp_round(servers: AssistantServers, graph: FakeGraph, wa_id: str, number: int,
                   text: str) -> Tuple[float, float]:
    """(acknowledgement, first reply) in ms for one signed webhook."""
    message = {"from": wa_id, "id": f"wamid.bench.{wa_id}.{number}", "timestamp": str(int(time.time())),
               "type": "text", "text": {"body": text}}
    value = {"messaging_product": "whatsapp", "metadata": {"display_phone_number": "6281100000000",
                                                           "phone_number_id": graph.phone_number_id},
             "contacts": [{"profile": {"name": "Bench"}, "wa_id": wa_id}], "messages": [message]}
    body = json.dumps({"object": "whatsapp_business_account",
                       "entry": [{"id": "WABA", "changes": [{"field": "messages", "value": value}]}]}).encode()
    signature = "sha256=" + hmac.new(WHATSAPP_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return timed_webhook(f"{servers.config.rasa_url}/webhooks/whatsapp/webhook", body,
                         {"X-Hub-Signature-256": signature}, lambda: len(graph.messages_to(wa_id)))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=40)
    args = parser.parse_args()
    api, graph = FakeBotAPI(), FakeGraph()
    work = Path(tempfile.mkdtemp(prefix="bench-channels-"))
    (work / "notifiers.yml").write_text("notifiers: {}\n", encoding="utf-8")
    env: Dict[str, str] = {
        "TELEGRAM_BOT_TOKEN": api.token, "TELEGRAM_API_BASE_URL": api.api_url, "TELEGRAM_MODE": "webhook",
        "TELEGRAM_WEBHOOK_SECRET": TELEGRAM_SECRET, "TELEGRAM_WEBHOOK_URL": "",
        "WHATSAPP_VERIFY_TOKEN": "bench-verify", "WHATSAPP_APP_SECRET": WHATSAPP_SECRET,
        "WHATSAPP_ACCESS_TOKEN": graph.access_token, "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
        "WHATSAPP_API_BASE_URL": graph.api_base_url, "CHANNEL_STATE_DB": str(work / "channels.db")}
    config = ServerConfig(rasa_port=16205, action_port=16255, tracker_db=work / "tracker.db", log_dir=work,
                          tickets_db_url=f"sqlite:///{work / 'tickets.db'}", notifiers_config=work / "notifiers.yml",
                          extra_env=env)
    servers = AssistantServers(config).start(timeout=240)
    try:
        results = {"telegram": ([], []), "whatsapp": ([], [])}
        chats = itertools.count(700_001)
        for number, text in zip(range(args.messages), itertools.cycle(QUESTIONS)):
            for channel, (acks, replies) in results.items():
                if channel == "telegram":
                    ack, first = telegram_round(servers, api, next(chats), text)
                else:
                    ack, first = whatsapp_round(servers, graph, f"62812{number:07d}", number, text)
                acks.append(ack)
                replies.append(first)
        print(f"{args.messages} knowledge questions per channel, one at a time, fakes on loopback")
        for channel, (acks, replies) in results.items():
            print(f"{channel:9} webhook acknowledged: {percentiles(acks)}")
            print(f"{channel:9} first reply at fake : {percentiles(replies)}")
    finally:
        servers.stop()
        api.close()
        graph.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
