"""python -m bot.incidents: open (default text, custom text, expiry), list, close, and errors, round trip."""
from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from bot.incidents.cli import main, parse_duration
from bot.incidents.store import open_incident_store

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 22, 3, 0, tzinfo=timezone.utc)   # 10:00 WIB


def opened_id(output: str) -> str:
    return output.split()[1]


def test_open_list_close_round_trip(sqlite_url, capsys):
    assert main(["--db", sqlite_url, "open", "--topic", "bca", "--expires", "4h"], now=T0) == 0
    out = capsys.readouterr().out
    notice_id = opened_id(out)
    assert out.startswith(f"Pemberitahuan {notice_id} untuk bank BCA aktif sampai 22 Nov 2026 14:00 WIB.")
    assert "Mohon maaf atas ketidaknyamanannya. Saat ini penarikan ke BCA sedang terganggu" in out
    assert f"python -m bot.incidents close {notice_id}" in out

    store = open_incident_store(sqlite_url)
    assert [n.id for n in store.active_notices(["bank:BCA"], T0 + timedelta(hours=1))] == [notice_id]

    assert main(["--db", sqlite_url, "list"], now=T0 + timedelta(hours=1)) == 0
    header, row = capsys.readouterr().out.splitlines()
    assert header.startswith("ID") and "Topik" in header
    assert row.startswith(notice_id) and "Pemberitahuan" in row and "bank BCA" in row and "s.d. 22 Nov 14:00" in row

    assert main(["--db", sqlite_url, "close", notice_id.lower()], now=T0 + timedelta(hours=2)) == 0
    assert f"Insiden {notice_id} ditutup" in capsys.readouterr().out
    assert store.active_notices(["bank:BCA"], T0 + timedelta(hours=2)) == []
    assert main(["--db", sqlite_url, "close", notice_id], now=T0 + timedelta(hours=3)) == 1
    assert "sudah selesai" in capsys.readouterr().err

    assert main(["--db", sqlite_url, "list"], now=T0 + timedelta(hours=3)) == 0
    assert capsys.readouterr().out.strip() == "Tidak ada insiden yang sedang berlangsung."
    assert main(["--db", sqlite_url, "list", "--all"], now=T0 + timedelta(hours=3)) == 0
    assert notice_id in capsys.readouterr().out


def test_open_with_a_message_of_the_operator(sqlite_url, capsys):
    message = "Penarikan via jaringan TRC20   sedang lambat.  Dana Anda aman."
    assert main(["--db", sqlite_url, "open", "--topic", "network:trc-20", "--message", message], now=T0) == 0
    out = capsys.readouterr().out
    assert "jaringan TRC20 aktif sampai 22 Nov 2026 14:00 WIB" in out             # 4 h by default
    notice = open_incident_store(sqlite_url).get(opened_id(out))
    assert notice.text == "Penarikan via jaringan TRC20 sedang lambat. Dana Anda aman."
    assert notice.topic == "network:TRC20" and notice.expires_at == T0 + timedelta(hours=4)


@pytest.mark.parametrize("argv, error", [
    (["open", "--topic", "bank antah"], "bukan nama bank"),
    (["open", "--topic", "planet:bca"], "jenis topik"),
    (["open", "--topic", "bca", "--expires", "besok"], "durasi"),
    (["open", "--topic", "bca", "--expires", "30d"], "paling lama 7 hari"),
])
def test_mistakes_are_explained_with_exit_status_2(sqlite_url, capsys, argv, error):
    assert main(["--db", sqlite_url, *argv], now=T0) == 2
    assert error in capsys.readouterr().err


def test_close_of_an_unknown_incident(sqlite_url, capsys):
    assert main(["--db", sqlite_url, "close", "INC-000000"], now=T0) == 1
    assert "tidak ditemukan" in capsys.readouterr().err


def test_durations():
    assert parse_duration("30m") == timedelta(minutes=30)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration(" 2 H ") == timedelta(hours=2)
    assert parse_duration("7d") == timedelta(days=7)
    for bad in ("", "0h", "4", "4x", "h4"):
        with pytest.raises(ValueError):
            parse_duration(bad)


def test_the_module_runs_from_the_command_line(sqlite_url):
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TICKETS_DB_URL": sqlite_url}
    run = lambda *argv: subprocess.run([sys.executable, "-m", "bot.incidents", *argv], cwd=ROOT, env=env,  # noqa: E731
                                       capture_output=True, text=True, timeout=120)
    opened = run("open", "--topic", "usdt", "--expires", "45m")
    assert opened.returncode == 0, opened.stderr
    assert "koin USDT" in opened.stdout
    listed = run("list")
    assert listed.returncode == 0 and opened_id(opened.stdout) in listed.stdout
    assert run("close", opened_id(opened.stdout)).returncode == 0
    assert run("open", "--topic", "tidak-ada").returncode == 2
