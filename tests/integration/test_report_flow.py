"""Problem reports end to end: REST -> Rasa -> form -> ticket store -> agent notification."""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from tests.integration.conftest import payloads, texts, tracker_db

pytestmark = pytest.mark.integration

TRON_OK = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TRON_BAD = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"   # last character changed: checksum fails
TXID = "7c0e1f4a9b2d3c5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6"
SEED = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"
TICKET_ID = re.compile(r"CS-\d{8}-\d{4}")


def say(client, sender: str, text: str) -> str:
    """Send one message and return all reply texts joined (buttons are checked separately)."""
    return "\n".join(texts(client.send(sender, text)))


def slots(client, sender: str) -> dict:
    return client.tracker(sender)["slots"]


def details(ticket) -> dict:
    return {d.name: d for d in ticket.details}


def submit(client, sender: str) -> str:
    """Confirm the summary; return the ticket id the customer was given."""
    reply = say(client, sender, "/affirm")
    match = TICKET_ID.search(reply)
    assert match, reply
    assert "paling lambat" in reply
    assert slots(client, sender)["handoff_ticket"] == match.group(0)
    return match.group(0)


def test_failed_idr_withdrawal_becomes_a_complete_ticket(client, sender, ticket_store, agent_inbox):
    replies = client.send(sender, "tolong, penarikan rupiah saya ke BCA gagal padahal saldo sudah terpotong")
    first = texts(replies)[0].lower()
    assert "paham" in first or "maaf" in first            # empathy first
    assert any("Penarikan" in t for t in texts(replies))    # then the guide
    assert "Berapa jumlahnya" in texts(replies)[-1]         # then collection (asset and bank already read)
    assert "Kapan transaksinya" in say(client, sender, "1,5 jt")
    assert "nomor referensi" in say(client, sender, "kemarin jam 10")
    assert "4 digit terakhir" in say(client, sender, "tidak tahu")
    summary = say(client, sender, "1234")
    assert "Rp 1.500.000" in summary and "BCA ••••1234" in summary and "Apakah sudah benar" in summary
    ticket_id = submit(client, sender)

    ticket = ticket_store.get(ticket_id)
    assert ticket.category == "withdrawal_idr" and ticket.customer_id == sender and ticket.channel == "rest"
    found = details(ticket)
    assert found["amount"].value == "Rp 1.500.000" and found["amount"].status == "valid"
    assert found["bank_account"].value == "BCA ••••1234"
    assert found["txid"].status == "unknown"
    assert found["tx_time"].status == "valid"
    assert "penarikan-gagal" in ticket.kb_articles
    assert any(line.speaker == "customer" and line.text == "1,5 jt" for line in ticket.transcript)
    assert ticket.sla_due_at > ticket.created_at
    notification = agent_inbox.wait_for(ticket_id)
    assert notification["id"] == ticket_id


def test_missing_usdt_trc20_deposit_with_txid_in_one_message(client, sender, ticket_store):
    reply = say(client, sender, f"deposit 100 USDT TRC20 belum masuk dari tadi pagi, txid {TXID}")
    state = slots(client, sender)
    assert (state["report_asset"], state["report_network"], state["report_amount"]) == ("USDT", "TRC20", "100 USDT")
    assert state["report_txid"] == TXID
    assert "alamat" in reply.lower()       # the only detail still missing
    summary = say(client, sender, TRON_OK)
    assert TXID in summary and "Apakah sudah benar" in summary
    ticket = ticket_store.get(submit(client, sender))
    assert ticket.category == "deposit_crypto"
    assert details(ticket)["address"].value == TRON_OK and details(ticket)["address"].status == "valid"


def test_hacked_account_is_urgent(client, sender, ticket_store):
    replies = client.send(sender, "akun saya diretas, saldo hilang semua!!")
    assert "sangat mencemaskan" in texts(replies)[0]
    assert "apa yang terjadi" in texts(replies)[-1].lower() or "kapan" in texts(replies)[-1].lower()
    flow = ["ada penarikan 500 USDT yang bukan saya lakukan dan saya tidak bisa login", "tadi pagi jam 7",
            "tidak tahu", "tidak tahu", "tidak tahu"]
    reply = ""
    for message in flow:
        reply = say(client, sender, message)
        if "Apakah sudah benar" in reply:
            break
    assert "Apakah sudah benar" in reply
    ticket = ticket_store.get(submit(client, sender))
    assert ticket.category == "hacked_account" and ticket.priority == "urgent"


def test_invalid_address_is_explained_then_a_valid_one_accepted(client, sender):
    say(client, sender, f"wd 50 USDT TRC20 saya belum sampai, dikirim kemarin jam 9, txid {TXID}")
    reply = say(client, sender, TRON_BAD)
    assert "belum benar" in reply and "diawali huruf T" in reply
    assert slots(client, sender)["report_address"] is None
    assert "Apakah sudah benar" in say(client, sender, TRON_OK)
    assert slots(client, sender)["report_address"] == TRON_OK


def test_seed_phrase_mid_form_is_warned_and_stored_nowhere(client, servers, sender, ticket_store):
    say(client, sender, "deposit rupiah saya belum masuk dari BCA 5678")
    reply = say(client, sender, f"ini seed phrase saya {SEED}")
    assert "PENTING" in reply and "seed phrase" in reply
    assert "Berapa jumlahnya" in reply        # the form goes on where it was
    say(client, sender, "Rp 250.000")
    say(client, sender, "tadi jam 8 pagi")
    say(client, sender, "tidak tahu")
    ticket = ticket_store.get(submit(client, sender))
    assert "secret_shared:seed_phrase" in ticket.flags and ticket.priority == "urgent"
    with sqlite3.connect(tracker_db(servers)) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (sender,)).fetchall()
    assert rows and not any("abandon abandon" in data for (data,) in rows)
    assert not any("abandon abandon" in line.text for line in ticket.transcript)
    assert b"abandon abandon" not in ticket_db_bytes(servers)


def ticket_db_bytes(servers) -> bytes:
    """Raw bytes of the SQLite ticket database, its journal and write-ahead log included."""
    path = Path(servers.config.tickets_db_url.split("///", 1)[1])
    files = [path] + [path.with_name(path.name + suffix) for suffix in ("-wal", "-journal")]
    return b"".join(f.read_bytes() for f in files if f.exists())


def test_cancel_midway_creates_no_ticket(client, sender, ticket_store):
    say(client, sender, "wd rupiah saya gagal")
    say(client, sender, "2 juta")
    reply = say(client, sender, "gak jadi deh")
    assert "dibatalkan" in reply.lower() or "batalkan" in reply.lower()
    state = slots(client, sender)
    assert state["handoff_ticket"] is None and state["report_amount"] is None
    assert client.tracker(sender).get("active_loop", {}).get("name") in (None, "")


def test_correction_midway_replaces_the_value(client, sender, ticket_store):
    say(client, sender, "penarikan rupiah saya gagal")
    say(client, sender, "1 juta")
    reply = say(client, sender, "eh salah, 2 juta")
    assert "Rp 2.000.000" in reply
    assert slots(client, sender)["report_amount"] == "2000000 IDR"
    say(client, sender, "kemarin jam 10")
    say(client, sender, "tidak tahu")
    summary = say(client, sender, "Mandiri 9876")
    assert "Rp 2.000.000" in summary and "Rp 1.000.000" not in summary


def test_request_human_collects_details_first(client, sender):
    replies = client.send(sender, "saya mau bicara dengan CS manusia")
    assert any("Agen bertugas setiap hari" in t for t in texts(replies))
    assert {"Penarikan", "Deposit"} <= set(payloads(replies))


def test_not_helpful_answer_starts_a_report(client, sender):
    client.send(sender, "gimana cara daftar akun baru")
    replies = client.send(sender, "/deny")
    assert "teruskan ke agen" in " ".join(texts(replies))
    assert slots(client, sender)["report_description"] == "gimana cara daftar akun baru"


def test_fraud_report_with_the_scammers_address(client, sender, ticket_store):
    reply = say(client, sender, f"saya ketipu orang ngaku admin, udah kirim 200 USDT ke alamat {TRON_OK}")
    assert "sangat mencemaskan" in reply and "Kapan kejadiannya" in reply
    say(client, sender, "kemarin sore")
    summary = say(client, sender, "tidak tahu")
    assert TRON_OK in summary and "200 USDT" in summary
    ticket = ticket_store.get(submit(client, sender))
    assert ticket.category == "fraud" and ticket.priority == "urgent"
    assert details(ticket)["address"].status == "valid" and details(ticket)["network"].value == "TRC20"


def test_knowledge_question_in_the_middle_is_answered_and_the_form_goes_on(client, sender):
    say(client, sender, "penarikan rupiah saya gagal")
    reply = say(client, sender, "berapa lama sih biasanya penarikan rupiah sampai ke rekening?")
    assert "lanjutkan laporannya" in reply and reply.rstrip().endswith(
        "Contoh: \"Rp 1.500.000\", \"1,5 jt\", atau \"100 USDT\".")
    assert not slots(client, sender)["report_failures"]
    assert "Kapan transaksinya" in say(client, sender, "1,5 jt")


def test_a_how_to_question_read_as_a_report_gets_the_article_and_no_form(client, sender):
    replies = client.send(sender, "cara deposit rupiah")
    assert slots(client, sender)["kb_article"] == "deposit-rupiah"
    assert client.tracker(sender).get("active_loop", {}).get("name") in (None, "")
    assert payloads(replies)[-2:] == ["/affirm", "/deny"]
