"""Live handoff: how long from an agent's reply to the customer's platform, per desk and channel, with the
real Rasa and action servers and local fakes of Telegram (customers and the agents' group), the WhatsApp
Cloud API and Chatwoot (prints figures; not a test).

    .venv/bin/python bench/handoff_latency.py [--replies 30]

Paths: Telegram group desk -> Telegram customer; Chatwoot webhook -> WhatsApp customer; the CLI (another
process, so the Rasa server notices it at its next outbox poll, 1 s) -> Telegram customer.
"""
from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.channel_latency import percentiles, wait_until  # noqa: E402
from bot.handoff.service import HandoffService  # noqa: E402
from bot.handoff.store import HandoffStore  # noqa: E402
from bot.servers import AssistantServers, ServerConfig  # noqa: E402
from bot.tickets import open_store  # noqa: E402
from tests.channels import telegram_builders as build  # noqa: E402
from tests.channels.fake_chatwoot import FakeChatwoot  # noqa: E402
from tests.channels.fake_graph import FakeGraph  # noqa: E402
from tests.channels.fake_telegram import FakeBotAPI  # noqa: E402
from tests.tickets.drafts import make_draft  # noqa: E402

GROUP, RINA = -1001777000111, 8101
RASA_PORT, ACTION_PORT = 16305, 16355


def timed(send: Callable[[], None], arrived: Callable[[], bool]) -> float:
    start = time.perf_counter()
    send()
    wait_until(arrived)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--replies", type=int, default=30)
    args = parser.parse_args()
    customers, agents = FakeBotAPI(token="777000:BENCH-customers"), FakeBotAPI(token="888000:BENCH-agents")
    agents.add_group(GROUP)
    agents.set_member(GROUP, RINA, "Rina")
    graph, chatwoot = FakeGraph(), FakeChatwoot(webhook_url=f"http://127.0.0.1:{RASA_PORT}/webhooks/desks/chatwoot")
    work = Path(tempfile.mkdtemp(prefix="bench-handoff-"))
    (work / "notifiers.yml").write_text("notifiers: {}\n", encoding="utf-8")
    (work / "desks.yml").write_text(
        "desks:\n"
        f"  telegram_agen:\n    kind: telegram_group\n    token: '{agents.token}'\n    chat_id: '{GROUP}'\n"
        f"    base_url: '{agents.api_url}'\n    agents: '{RINA}'\n"
        f"  chatwoot:\n    kind: chatwoot\n    base_url: '{chatwoot.base_url}'\n"
        f"    account_id: '{chatwoot.account_id}'\n    inbox_id: '{chatwoot.inbox_id}'\n"
        f"    api_token: '{chatwoot.api_token}'\n    webhook_secret: '{chatwoot.webhook_secret}'\n"
        "    agents: '7'\n", encoding="utf-8")
    env: Dict[str, str] = {
        "TELEGRAM_BOT_TOKEN": customers.token, "TELEGRAM_API_BASE_URL": customers.api_url, "TELEGRAM_MODE": "polling",
        "TELEGRAM_WEBHOOK_SECRET": "", "TELEGRAM_WEBHOOK_URL": "",
        "WHATSAPP_VERIFY_TOKEN": "bench-verify", "WHATSAPP_APP_SECRET": "bench-app-secret",
        "WHATSAPP_ACCESS_TOKEN": graph.access_token, "WHATSAPP_PHONE_NUMBER_ID": graph.phone_number_id,
        "WHATSAPP_API_BASE_URL": graph.api_base_url, "CHANNEL_STATE_DB": str(work / "channels.db")}
    tickets_url = f"sqlite:///{work / 'tickets.db'}"
    config = ServerConfig(rasa_port=RASA_PORT, action_port=ACTION_PORT, tracker_db=work / "tracker.db", log_dir=work,
                          tickets_db_url=tickets_url, notifiers_config=work / "notifiers.yml",
                          desks_config=work / "desks.yml", extra_env=env)
    servers = AssistantServers(config).start(timeout=240)
    store = open_store(tickets_url)
    service = HandoffService(HandoffStore(store.database), store, ["telegram_agen", "chatwoot"])
    chats, phones = itertools.count(810_001), itertools.count(6281300000001)
    results: Dict[str, List[float]] = {"Telegram desk -> Telegram customer": [],
                                       "Chatwoot -> WhatsApp customer": [], "CLI -> Telegram customer": []}

    def one_round(number: int) -> None:
        """One reply on each path, each timed until the customer's platform accepted it."""
        chat = next(chats)
        ticket = store.create(make_draft(customer_id=f"tg-{chat}", channel="telegram"),
                              ["telegram_agen", "chatwoot"])
        wait_until(lambda: service.store.links(ticket.id, "telegram_agen"))   # announced and recorded
        announcement = wait_until(lambda: [m for _, m in sorted(agents.sent.get(str(GROUP), {}).items())
                                           if ticket.id in m.get("text", "")])[0]
        text = f"Balasan desk {number}"
        results["Telegram desk -> Telegram customer"].append(timed(
            lambda: agents.push(build.group_text_update(RINA, "Rina", text, GROUP, reply_to=announcement)),
            lambda: any(text in m["text"] for m in customers.messages(chat))))

        text = f"Balasan CLI {number}"
        results["CLI -> Telegram customer"].append(timed(
            lambda: service.reply(ticket.id, text, None),
            lambda: any(text in m["text"] for m in customers.messages(chat))))

        wa_id = str(next(phones))
        ticket = store.create(make_draft(customer_id=f"wa-{wa_id}", channel="whatsapp"),
                              ["telegram_agen", "chatwoot"])
        wait_until(lambda: service.store.links(ticket.id, "chatwoot"))
        conversation = wait_until(lambda: [c for c in chatwoot.conversations
                                           if c["custom_attributes"].get("ticket_id") == ticket.id])[0]
        text = f"Balasan Chatwoot {number}"
        results["Chatwoot -> WhatsApp customer"].append(timed(
            lambda: chatwoot.agent_reply(conversation["id"], text, agent_name="Rina", agent_id=7),
            lambda: any(m.get("type") == "text" and text in m["text"]["body"] for m in graph.messages_to(wa_id))))

    try:
        for number in range(args.replies):
            one_round(number)
        print(f"{args.replies} agent replies per path, one at a time, fakes on loopback "
              "(from the agent's action to the customer's platform accepting the message)")
        for path, values in results.items():
            print(f"{path:36} {percentiles(values)}")
    finally:
        servers.stop()
        for fake in (customers, agents, graph, chatwoot):
            fake.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
