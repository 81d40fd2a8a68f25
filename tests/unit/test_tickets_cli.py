"""python -m bot.tickets: list, show, close and deliver, in Indonesian, with proper exit codes."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.tickets import TicketStore, open_store
from bot.tickets.__main__ import main
from tests.tickets.drafts import MOMENT, make_draft
from tests.tickets.fakes import WebhookReceiver

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def filled_store(sqlite_url: str) -> TicketStore:
    ticket_store = open_store(sqlite_url)
    ticket_store.create(make_draft(), ["helpdesk"], now=MOMENT)
    ticket_store.create(make_draft(customer_name=None, customer_id="wa-6281234", channel="whatsapp",
                                   priority="urgent", category="hacked_account", summary="Akun diretas, saldo hilang"),
                        [], now=MOMENT + timedelta(minutes=3))
    return ticket_store


def test_list_prints_open_tickets_as_an_aligned_table(filled_store, sqlite_url, capsys):
    assert main(["--db", sqlite_url, "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3
    header, first, second = lines
    assert header.startswith("ID") and "Prioritas" in header and "Batas SLA (WIB)" in header
    assert first.startswith("CS-20261122-0002") and "Mendesak" in first and "Akun diretas" in first  # SLA first
    assert second.startswith("CS-20261122-0001") and "Budi Santoso (id: tg-88123)" in second
    assert "22 Nov 10:18" in first and "22 Nov 11:18" in first  # created and due (urgent: 1 h), WIB
    cells = {"Prioritas": ("Mendesak", "Tinggi"), "Kategori": ("Akun diretas", "Penarikan kripto"),
             "Pelanggan": ("wa-6281234", "Budi Santoso"), "Ringkasan": ("Akun diretas, saldo", "WD 150 USDT")}
    for column, (in_first, in_second) in cells.items():
        assert header.index(column) == first.index(in_first) == second.index(in_second), column


def test_list_all_includes_closed_tickets(filled_store, sqlite_url, capsys):
    assert main(["close", "CS-20261122-0001", "--db", sqlite_url]) == 0
    assert "Tiket CS-20261122-0001 ditutup; survei kepuasan dikirim ke pelanggan." in capsys.readouterr().out
    assert main(["--db", sqlite_url, "list"]) == 0
    assert "CS-20261122-0001" not in capsys.readouterr().out
    assert main(["--db", sqlite_url, "list", "--all"]) == 0
    out = capsys.readouterr().out
    assert "Status" in out.splitlines()[0] and "Ditutup" in out and "Terbuka" in out


def test_list_says_so_when_there_is_nothing(sqlite_url, capsys):
    assert main(["--db", sqlite_url, "list"]) == 0
    assert capsys.readouterr().out.strip() == "Tidak ada tiket terbuka."


def test_show_prints_the_full_ticket_with_delivery_status(filled_store, sqlite_url, capsys):
    assert main(["--db", sqlite_url, "show", "CS-20261122-0001"]) == 0
    out = capsys.readouterr().out
    for expected in ("Tiket CS-20261122-0001", "Prioritas           : Tinggi", "Kanal               : telegram",
                     "❔ TXID: - (tidak diketahui)", "[22/11 10:15] Pelanggan: trc20, udah 12 jam",
                     "Status notifikasi:", "helpdesk: menunggu, belum dicoba"):
        assert expected in out, expected


def test_unknown_id_is_an_error_on_stderr(sqlite_url, capsys):
    assert main(["--db", sqlite_url, "show", "CS-20990101-0001"]) == 1
    captured = capsys.readouterr()
    assert captured.out == "" and "Tiket CS-20990101-0001 tidak ditemukan." in captured.err
    assert main(["--db", sqlite_url, "close", "CS-20990101-0001"]) == 1
    assert "tidak ditemukan" in capsys.readouterr().err


def test_deliver_once_sends_what_is_queued(filled_store, sqlite_url, webhook_receiver: WebhookReceiver, tmp_path,
                                           capsys):
    config = tmp_path / "notifiers.yml"
    config.write_text(f"notifiers:\n  helpdesk: {{kind: webhook, url: '{webhook_receiver.url}', "
                      f"secret: '{webhook_receiver.secret}'}}\n", encoding="utf-8")
    assert main(["--db", sqlite_url, "deliver", "--once", "--config", str(config)]) == 0
    assert "1 notifikasi terkirim." in capsys.readouterr().out
    assert [call.payload["id"] for call in webhook_receiver.accepted] == ["CS-20261122-0001"]
    assert main(["--db", sqlite_url, "show", "CS-20261122-0001"]) == 0
    assert "helpdesk: terkirim" in capsys.readouterr().out


def test_deliver_without_any_notifier_explains_itself(sqlite_url, tmp_path, capsys):
    config = tmp_path / "empty.yml"
    config.write_text("notifiers:\n  helpdesk: {kind: webhook, url: '', secret: ''}\n", encoding="utf-8")
    assert main(["--db", sqlite_url, "deliver", "--once", "--config", str(config)]) == 1
    assert "Tidak ada notifier aktif" in capsys.readouterr().err


def test_module_entry_point_in_a_real_process(filled_store, sqlite_url):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TICKETS_DB_URL": sqlite_url}
    shown = subprocess.run([sys.executable, "-m", "bot.tickets", "show", "CS-20261122-0002"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "Pelanggan           : wa-6281234" in shown.stdout and "Akun diretas, saldo hilang" in shown.stdout
    missing = subprocess.run([sys.executable, "-m", "bot.tickets", "show", "CS-00000000-0000"], cwd=ROOT, env=env,
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1 and "tidak ditemukan" in missing.stderr and missing.stdout == ""
