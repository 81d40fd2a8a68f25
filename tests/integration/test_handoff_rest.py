"""Live handoff end to end through the real Rasa and action servers: a REST customer, the CLI desk.

Ticket -> the bot stays silent and forwards -> an agent claims and replies (CLI) -> the reply is available
to the REST client -> close -> CSAT survey answered -> the bot answers again.
"""
from __future__ import annotations

from typing import Any, Dict, List

import pytest
import requests

from bot.handoff.store import HandoffStore
from bot.handoff.survey import rating_payload, skip_payload
from bot.tickets.__main__ import main as tickets_cli
from tests.integration.conftest import texts, wait_for
from tests.integration.test_report_flow import SEED, say, submit

pytestmark = pytest.mark.integration


def open_ticket(client: Any, sender: str) -> str:
    """A failed rupiah withdrawal reported and confirmed; the ticket id."""
    say(client, sender, "tolong, penarikan rupiah saya ke BCA gagal padahal saldo sudah terpotong")
    for answer in ("1,5 jt", "kemarin jam 10", "tidak tahu", "1234"):
        say(client, sender, answer)
    return submit(client, sender)


def agent_messages(servers: Any, sender: str, after: int = 0) -> List[Dict[str, Any]]:
    reply = requests.get(f"{servers.config.rasa_url}/webhooks/rest/messages",
                         params={"sender": sender, "after": after}, timeout=10)
    assert reply.status_code == 200, reply.text
    return reply.json()["messages"]



def cli(servers: Any, *args: str) -> int:
    return tickets_cli([*args, "--db", servers.config.tickets_db_url])


@pytest.fixture()
def handoffs(servers: Any) -> HandoffStore:
    from bot.tickets.database import connect

    return HandoffStore(connect(servers.config.tickets_db_url))


def test_agent_takes_over_replies_closes_and_the_customer_rates(client, servers, sender, handoffs, capsys):
    ticket_id = open_ticket(client, sender)

    first = client.send(sender, "halo kak, sudah dicek belum?")
    assert len(first) == 1 and "membalas" in first[0]["text"] and "di chat ini" in first[0]["text"]
    assert ticket_id in first[0]["text"] and "paling lambat" in first[0]["text"]
    assert client.send(sender, "cara deposit rupiah") == []          # silent: no knowledge answer now
    thread = [m.text for m in handoffs.thread(ticket_id) if m.from_customer]
    assert thread == ["halo kak, sudah dicek belum?", "cara deposit rupiah"]

    assert cli(servers, "claim", ticket_id, "--agent", "Rina") == 0
    claimed = wait_for(lambda: agent_messages(servers, sender))
    assert "Agen Rina sedang menangani laporan Anda" in claimed[0]["text"] and claimed[0]["ticket_id"] == ticket_id
    assert cli(servers, "reply", ticket_id, "Dana Anda sudah kami kembalikan, mohon cek saldo.") == 0
    reply = wait_for(lambda: agent_messages(servers, sender, after=claimed[-1]["id"]))
    assert reply[0]["text"] == "Agen Rina:\nDana Anda sudah kami kembalikan, mohon cek saldo."
    assert reply[0]["author"] == "Rina" and isinstance(reply[0]["created_at"], int)

    warned = texts(client.send(sender, f"ini seed saya {SEED}"))       # the secrets guard still works
    assert any("seed phrase" in text and "PENTING" in text for text in warned)
    forwarded = [m.text for m in handoffs.thread(ticket_id) if m.from_customer][-1]
    assert "abandon" not in forwarded and "disamarkan" in forwarded

    assert cli(servers, "close", ticket_id) == 0
    closing = wait_for(lambda: [m for m in agent_messages(servers, sender, after=reply[-1]["id"])
                                if m["buttons"]])
    assert [b["title"][0] for b in closing[0]["buttons"]] == ["5", "4", "3", "2", "1"]
    assert closing[0]["buttons"][0]["payload"] == rating_payload(ticket_id, 5)

    thanks = client.send(sender, rating_payload(ticket_id, 5))
    assert "Terima kasih atas penilaiannya" in thanks[0]["text"]
    assert client.send(sender, rating_payload(ticket_id, 1))[0]["text"].startswith("Penilaian untuk laporan")
    assert "masukan Anda sudah kami catat" in client.send(sender, "agennya cepat dan ramah")[0]["text"]
    handoff = handoffs.get(ticket_id)
    assert (handoff.state, handoff.rating, handoff.comment) == ("resolved", 5, "agennya cepat dan ramah")
    assert handoff.claimed_at <= handoff.first_reply_at <= handoff.resolved_at <= handoff.rated_at
    assert handoff.first_response_time() is not None and handoff.resolution_time() is not None

    again = texts(client.send(sender, "cara deposit rupiah"))          # the bot is back
    assert any("Deposit" in text or "deposit" in text for text in again)
    assert cli(servers, "show", ticket_id) == 0
    shown = capsys.readouterr().out
    assert "Penanganan agen:" in shown and "CSAT: 5/5" in shown and "Rina (cli)" in shown


def test_customer_goes_back_to_the_bot(client, servers, sender, handoffs):
    ticket_id = open_ticket(client, sender)
    left = client.send(sender, "kembali ke bot aja")
    assert len(left) == 1 and "kembali dilayani asisten virtual" in left[0]["text"]
    assert handoffs.get(ticket_id).state == "left"
    assert any("Deposit" in t or "deposit" in t for t in texts(client.send(sender, "cara deposit rupiah")))
    assert cli(servers, "claim", ticket_id, "--agent", "Rina") == 1   # nothing left to claim


def test_an_unanswered_survey_ends_quietly_and_is_never_asked_twice(client, servers, sender, handoffs):
    ticket_id = open_ticket(client, sender)
    assert cli(servers, "claim", ticket_id, "--agent", "Dodi") == 0
    assert cli(servers, "close", ticket_id) == 0
    wait_for(lambda: [m for m in agent_messages(servers, sender) if m["buttons"]])
    answer = texts(client.send(sender, "cara deposit rupiah"))        # not a rating: the bot answers
    assert any("eposit" in t for t in answer)
    assert handoffs.get(ticket_id).survey == "expired"
    late = client.send(sender, rating_payload(ticket_id, 4))           # a late tap is not recorded
    assert late[0]["text"].startswith("Survei untuk laporan") and handoffs.get(ticket_id).rating is None
    assert client.send(sender, skip_payload(ticket_id)) == []
    assert cli(servers, "close", ticket_id) == 1                        # closing again sends nothing


def test_a_survey_tap_for_someone_elses_ticket_is_ignored(client, servers, sender, handoffs):
    ticket_id = open_ticket(client, sender)
    assert cli(servers, "close", ticket_id) == 0
    assert client.send(sender + "-other", rating_payload(ticket_id, 1)) == []
    assert handoffs.get(ticket_id).rating is None


def test_health_reports_the_handoff(servers):
    health = requests.get(f"{servers.config.rasa_url}/webhooks/desks/", timeout=10).json()
    assert health["status"] == "ok" and health["gate_failures"] == 0
    assert set(health["outbox"]) == {"pending", "oldest_pending_seconds"}
    assert {"rest", "socketio"} <= set(health["customer_channels"])
    reply = requests.post(f"{servers.config.rasa_url}/webhooks/desks/chatwoot", data=b"{}", timeout=10)
    assert reply.status_code == 404   # no such desk configured here
