"""Command line for operators: ``python -m bot.incidents open|close|list`` (in Indonesian).

    python -m bot.incidents open --topic bca [--message "..."] [--expires 4h]   publish a notice
    python -m bot.incidents close INC-7K3QX2                                    end a notice (or a spike) now
    python -m bot.incidents list [--all] [--days 7]                             what goes on (--all: history)

A notice is shown first to every customer whose message names its bank, network or coin, once per
conversation, until it expires or is closed; a new notice for the same topic replaces the old one. Without
``--message`` a polite default text for the topic is used. ``--db URL`` selects the ticket database.
"""
from __future__ import annotations

import argparse
import re
import sys
from datetime import datetime, timedelta, timezone
from typing import List, Optional

from bot.incidents.detection import SpikePolicy
from bot.incidents.monitor import SpikeMonitor
from bot.incidents.notices import customer_message, default_notice_text
from bot.incidents.render import incident_table
from bot.incidents.store import IncidentStore, open_incident_store
from bot.incidents.topics import parse_topic, topic_label
from bot.tickets.render import format_wib

DEFAULT_EXPIRY = "4h"
MAX_EXPIRY = timedelta(days=7)
UNITS = {"m": "minutes", "h": "hours", "d": "days"}
_PART = re.compile(r"(\d+)\s*([mhd])")


def parse_duration(text: str) -> timedelta:
    """``30m``, ``4h``, ``1d``, ``1h30m`` as a duration (more than zero, at most 7 days)."""
    plain = text.strip().lower().replace(" ", "")
    if not plain or _PART.sub("", plain):
        raise ValueError(f"durasi {text!r} tidak dikenali; contoh: 30m, 4h, 1d, 1h30m")
    duration = sum((timedelta(**{UNITS[unit]: int(amount)}) for amount, unit in _PART.findall(plain)), timedelta())
    if duration <= timedelta(0) or duration > MAX_EXPIRY:
        raise ValueError("durasi harus lebih dari 0 dan paling lama 7 hari (7d)")
    return duration


def _parser() -> argparse.ArgumentParser:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                          help="URL database (bawaan: TICKETS_DB_URL, lalu DATABASE_URL, lalu sqlite:///var/tickets.db)")
    parser = argparse.ArgumentParser(prog="python -m bot.incidents", parents=[database],
                                     description="Insiden: pemberitahuan gangguan untuk pelanggan dan lonjakan pesan.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")
    opening = commands.add_parser("open", parents=[database], help="umumkan gangguan ke pelanggan")
    opening.add_argument("--topic", required=True, metavar="TOPIK",
                         help="bank, jaringan atau koin: bca, bank:mandiri, network:trc20, coin:usdt")
    opening.add_argument("--message", metavar="TEKS", help="isi pemberitahuan (bawaan: templat sopan per topik)")
    opening.add_argument("--expires", default=DEFAULT_EXPIRY, metavar="DURASI",
                         help=f"berlaku selama, mis. 30m, 4h, 1d (bawaan {DEFAULT_EXPIRY})")
    closing = commands.add_parser("close", parents=[database], help="akhiri pemberitahuan atau lonjakan")
    closing.add_argument("incident_id", metavar="ID")
    listing = commands.add_parser("list", parents=[database], help="insiden yang sedang berlangsung")
    listing.add_argument("--all", action="store_true", help="termasuk yang sudah selesai")
    listing.add_argument("--days", type=int, default=7, help="dengan --all: berapa hari ke belakang (bawaan 7)")
    return parser


def _open(store: IncidentStore, topic_text: str, message: Optional[str], expires: str, now: datetime) -> int:
    try:
        topic = parse_topic(topic_text)
        duration = parse_duration(expires)
    except ValueError as error:
        print(str(error), file=sys.stderr)
        return 2
    text = " ".join((message or "").split()) or default_notice_text(topic)
    expires_at = now + duration
    notice, *replaced = store.open_notice(topic, text, expires_at, now)
    print(f"Pemberitahuan {notice.id} untuk {topic_label(topic)} aktif sampai {format_wib(expires_at)}.")
    for old in replaced:
        print(f"Pemberitahuan {old.id} sebelumnya untuk topik ini ditutup (digantikan).")
    print(f"Pelanggan yang menulis tentang {topic_label(topic)} akan membaca lebih dulu:")
    print(f"  {customer_message(notice.text)}")
    print(f"Tutup lebih awal dengan: python -m bot.incidents close {notice.id}")
    return 0


def _close(store: IncidentStore, incident_id: str, now: datetime) -> int:
    if store.close(incident_id, now):
        print(f"Insiden {incident_id.strip().upper()} ditutup; pemberitahuannya tidak ditampilkan lagi.")
        return 0
    known = store.get(incident_id, now)
    print(f"Insiden {incident_id} {'sudah selesai sebelumnya' if known else 'tidak ditemukan'}.", file=sys.stderr)
    return 1


def _list(store: IncidentStore, history: bool, days: int, now: datetime) -> int:
    SpikeMonitor(store, SpikePolicy.from_env(), lambda: []).end_subsided(now)   # spikes that calmed down end
    found = store.between(now - timedelta(days=max(days, 1)), now, now) if history else store.ongoing(now)
    if not found:
        print("Tidak ada insiden." if history else "Tidak ada insiden yang sedang berlangsung.")
        return 0
    print(incident_table(found, now))
    return 0


def main(argv: Optional[List[str]] = None, now: Optional[datetime] = None) -> int:
    """Run the command line; return the exit code."""
    args = _parser().parse_args(argv)
    store = open_incident_store(getattr(args, "db", None))
    now = now or datetime.now(timezone.utc)
    if args.command == "open":
        return _open(store, args.topic, args.message, args.expires, now)
    if args.command == "close":
        return _close(store, args.incident_id, now)
    return _list(store, args.all, args.days, now)
