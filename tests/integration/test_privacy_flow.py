"""A customer's data rights and the retention purge against the running assistant (real Rasa and action
servers, SQLite stores as the embedded profile writes them, ports 17105/17155): ``python -m bot.privacy
export`` finds the conversation, the ticket and the analytics events Rasa wrote; ``erase`` removes them while
the servers run (nothing left in the raw files), other customers are untouched, the erased customer can start
over; a purge as of three years later empties the tracker store and the assistant keeps answering."""
from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest

from bot.evaluate import AssistantClient
from bot.servers import ROOT, AssistantServers, child_env
from bot.tickets import open_store
from bot.tickets.__main__ import main as tickets_cli
from tests.integration.conftest import client_for, running_servers, server_config, texts, wait_for
from tests.integration.test_report_flow import say, submit

pytestmark = pytest.mark.integration

RASA_PORT, ACTION_PORT = 17105, 17155
NAME = "Siti Aminah Kusumawardani"


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AssistantServers]:
    config = server_config(tmp_path_factory.mktemp("privacy_flow"), RASA_PORT, ACTION_PORT, database_url="",
                           redis_url="", rabbitmq_url="", analytics_db_url="")
    with running_servers(config) as running:
        yield running


@pytest.fixture(scope="module")
def client(servers: AssistantServers) -> AssistantClient:
    return client_for(servers)


def privacy(servers: AssistantServers, *args: str) -> subprocess.CompletedProcess:
    """``python -m bot.privacy`` on this run's stores, as an operator would run it next to the servers."""
    work = servers.config.log_dir
    options = ["--tickets-db", servers.config.tickets_db_url, "--tracker-db", f"sqlite:///{work / 'tracker.db'}",
               "--analytics-db", servers.config.analytics_url, "--channel-state-db", str(work / "channels.db")]
    result = subprocess.run([sys.executable, "-m", "bot.privacy", *args, *options], cwd=ROOT, env=child_env(),
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    return result


def user_texts(tracker: Dict[str, Any]) -> List[str]:
    return [event.get("text") or "" for event in tracker["events"] if event["event"] == "user"]


def raw_bytes(folder: Path) -> bytes:
    return b"".join(path.read_bytes() for path in folder.iterdir()
                    if path.is_file() and ".db" in path.name)


def test_export_erase_and_purge_next_to_the_running_assistant(servers, client, capsys):
    customer, other = f"rest-privasi-{uuid.uuid4().hex[:8]}", f"rest-lain-{uuid.uuid4().hex[:8]}"
    assert texts(client.send(customer, f"halo kak, saya {NAME}, cara deposit rupiah gimana?"))
    say(client, customer, "tolong, penarikan rupiah saya ke BCA gagal padahal saldo sudah terpotong")
    for answer in ("1,5 jt", "kemarin jam 10", "tidak tahu", "1234"):
        say(client, customer, answer)
    ticket_id = submit(client, customer)
    assert tickets_cli(["close", ticket_id, "--db", servers.config.tickets_db_url, "--agent", "Rina"]) == 0
    assert texts(client.send(other, "cara deposit rupiah gimana ya, saya Budi Hartono"))
    work = servers.config.log_dir
    wait_for(lambda: NAME.encode() in (work / "analytics.db").read_bytes() + _wal(work / "analytics.db"),
             what="the conversation in the analytics store")

    out = work / "ekspor.json"
    privacy(servers, "export", "--customer", customer, "--out", str(out))
    data = json.loads(out.read_text(encoding="utf-8"))
    assert any(NAME in (event["event"].get("text") or "") for event in data["tracker"]["events"])
    assert [t["ticket"]["id"] for t in data["tickets"]] == [ticket_id] and data["tickets"][0]["ticket"]["transcript"]
    assert any(NAME in json.dumps(event["event"], ensure_ascii=False) for event in data["analytics"]["events"])
    assert "Budi Hartono" not in out.read_text(encoding="utf-8")

    erased = json.loads(privacy(servers, "erase", "--customer", customer, "--json").stdout)["stores"]
    assert erased["tracker"]["events_deleted"] == len(data["tracker"]["events"])
    assert erased["tickets"]["tickets_scrubbed"] == 1 and erased["tickets"]["open_tickets_kept"] == []
    assert erased["analytics"]["events_scrubbed"] == len(data["analytics"]["events"])

    assert not any(NAME in text for text in user_texts(client.tracker(customer)))
    ticket = open_store(servers.config.tickets_db_url).get(ticket_id)
    assert ticket.customer_id.startswith("erased-") and ticket.transcript == () and ticket.category == "withdrawal_idr"
    assert NAME.encode() not in raw_bytes(work)                  # tracker, tickets, analytics, channels (+ -wal)
    assert any("Budi Hartono" in text for text in user_texts(client.tracker(other)))
    again = client.send(customer, "cara deposit rupiah")         # the erased customer starts over
    assert any("eposit" in text for text in texts(again))
    assert user_texts(client.tracker(customer)) == ["cara deposit rupiah"]

    purged = json.loads(privacy(servers, "purge", "--now", "2029-12-31T00:00", "--json").stdout)["stores"]
    assert purged["tracker"]["events_deleted"] > 0 and purged["analytics"]["events_scrubbed"] > 0
    assert user_texts(client.tracker(other)) == []
    assert any("eposit" in text for text in texts(client.send(other, "cara deposit rupiah")))
    capsys.readouterr()


def _wal(path: Path) -> bytes:
    wal = path.with_name(path.name + "-wal")
    return wal.read_bytes() if wal.exists() else b""
