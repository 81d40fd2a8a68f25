"""``python -m bot.privacy purge|export|erase``: the retention purge and a customer's rights (UU PDP).

    python -m bot.privacy purge [--dry-run] [--now 2026-12-16T02:00] [--json]
        delete / strip what is past the retention policy in every store (safe from cron; idempotent)
    python -m bot.privacy export --customer tg-12345 [--out data.json] [--ticket CS-20261216-0001]
        everything held about the customer, as JSON (the file is created readable by its owner only)
    python -m bot.privacy erase --customer tg-12345 [--ticket CS-20261216-0001] [--json]
        erase the customer (after an agent verified who asks; open tickets are kept: close them first)

Every request is written to the audit log (who: ``--operator``, default the OS user; ``--ticket``: the
``privasi`` ticket it answers). Stores: ``--tickets-db``, ``--tracker-db``, ``--analytics-db``,
``--channel-state-db`` (defaults: the assistant's own settings, see :mod:`bot.privacy.locations`); the
retention policy comes from the ``PRIVACY_*`` settings (:mod:`bot.privacy.policy`). Exit status 0 when
done, 1 on a failure, 2 for a wrong command line.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import asdict, is_dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Dict, List, Optional

from bot.privacy import audit
from bot.privacy.files import write_private_text
from bot.privacy.locations import Locations
from bot.privacy.policy import RetentionPolicy
from bot.privacy.purge import run_purge
from bot.privacy.rights import erase_customer, export_customer
from bot.tickets.database import Database, connect
from bot.tickets.model import WIB

logger = logging.getLogger("bot.privacy")


def _parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--tickets-db", metavar="URL", help="database tiket (bawaan: TICKETS_DB_URL, DATABASE_URL, "
                                                            "lalu sqlite:///var/tickets.db)")
    common.add_argument("--tracker-db", metavar="URL", help="tracker store Rasa (bawaan: DATABASE_URL, lalu "
                                                            "sqlite:///var/tracker.db)")
    common.add_argument("--analytics-db", metavar="URL", help="database analitik (bawaan: ANALYTICS_DB_URL, lalu "
                                                              "sqlite:///var/analytics.db)")
    common.add_argument("--channel-state-db", metavar="PATH", type=Path,
                        help="file status kanal (bawaan: CHANNEL_STATE_DB, lalu var/channels.db)")
    common.add_argument("--operator", metavar="NAMA", help="siapa yang menjalankan (bawaan: pengguna OS)")
    common.add_argument("--json", action="store_true", help="hasil sebagai JSON")
    parser = argparse.ArgumentParser(prog="python -m bot.privacy", description="Data pribadi pelanggan (UU PDP): "
                                     "retensi, akses, dan penghapusan.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")
    purge = commands.add_parser("purge", parents=[common], help="hapus data yang melewati masa retensi")
    purge.add_argument("--dry-run", action="store_true", help="hanya hitung, tidak ada yang diubah")
    purge.add_argument("--now", metavar="ISO", help="anggap sekarang waktu ini (ISO 8601; tanpa zona: WIB)")
    for name, text in (("export", "semua data seorang pelanggan sebagai JSON"),
                       ("erase", "hapus data seorang pelanggan di semua penyimpanan")):
        command = commands.add_parser(name, parents=[common], help=text)
        command.add_argument("--customer", required=True, metavar="ID", help="sender id Rasa, mis. tg-12345")
        command.add_argument("--ticket", metavar="ID", help="tiket privasi yang dijawab permintaan ini")
        if name == "export":
            command.add_argument("--out", metavar="FILE", help="tulis ke file (izin 0600) alih-alih stdout")
    return parser


def parse_now(text: Optional[str]) -> datetime:
    """``--now``: ISO 8601; without a zone it is WIB; absent: the current time."""
    if not text:
        return datetime.now(timezone.utc)
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    return moment.replace(tzinfo=WIB) if moment.utcoffset() is None else moment


def json_value(value: Any) -> Any:
    """``json.dumps`` fallback: times as ISO 8601, dataclasses as dicts."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def counts_line(report: Dict[str, Dict[str, Any]]) -> List[str]:
    """One line per store: its counts, or why it was skipped."""
    lines = []
    for store, result in report.items():
        if "skipped" in result:
            lines.append(f"  {store}: dilewati ({result['skipped']})")
        else:
            lines.append(f"  {store}: " + " ".join(f"{key}={value}" for key, value in result.items()))
    return lines


def _actor(args: argparse.Namespace) -> audit.Actor:
    user = audit.os_user()
    return audit.Actor(audit.PRIVACY_DESK, user, (args.operator or user).strip())


def _totals(report: Dict[str, Dict[str, Any]]) -> Dict[str, Any]:
    """The counts of a report for the audit row (no ids, no text)."""
    return {store: {key: value for key, value in result.items() if isinstance(value, (int, float))}
            for store, result in report.items() if "skipped" not in result}


def _purge(args: argparse.Namespace, locations: Locations, database: Database, log: audit.AuditLog) -> int:
    now = parse_now(args.now)
    policy = RetentionPolicy.from_env()
    report = run_purge(locations, policy, now, database, dry_run=args.dry_run)
    log.record(_actor(args), audit.PURGE, audit.DRY_RUN if args.dry_run else audit.OK,
               detail={"now": now.isoformat(), "totals": _totals(report)})
    if args.json:
        print(json.dumps({"now": now.isoformat(), "dry_run": args.dry_run, "stores": report}, indent=2))
    else:
        print(f"Purge per {now.astimezone(WIB).isoformat()}" + (" (uji coba: tidak ada yang diubah)"
                                                                 if args.dry_run else ""))
        print("\n".join(counts_line(report)))
    return 0


def _export(args: argparse.Namespace, locations: Locations, database: Database, log: audit.AuditLog) -> int:
    now = datetime.now(timezone.utc)
    data = export_customer(locations, database, args.customer, now)
    text = json.dumps(data, ensure_ascii=False, indent=2, default=json_value) + "\n"
    sizes = {"tracker_events": len(data["tracker"].get("events", [])), "tickets": len(data["tickets"]),
             "channel_buttons": len(data["channel_state"]["buttons"])
             + len(data["channel_state"]["buttons_in_file"].get("buttons", [])),
             "analytics_events": len(data["analytics"].get("events", [])),
             "incident_observations": len(data["incidents"]["observations"])}
    log.record(_actor(args), audit.EXPORT, audit.OK, args.ticket, args.customer,
               {"to": "file" if args.out else "stdout", "counts": sizes})   # before the data leaves this process
    if args.out:
        write_private_text(args.out, text)
        print(f"Data {args.customer} ditulis ke {args.out}: " + ", ".join(f"{k}={v}" for k, v in sizes.items()),
              file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0


def _erase(args: argparse.Namespace, locations: Locations, database: Database, log: audit.AuditLog) -> int:
    policy = RetentionPolicy.from_env()
    try:
        report = erase_customer(locations, database, args.customer, datetime.now(timezone.utc), policy.batch_size)
    except Exception as error:
        log.record(_actor(args), audit.ERASE, audit.FAILED, args.ticket, args.customer, type(error).__name__)
        raise
    open_tickets = report["tickets"].get("open_tickets_kept") or []
    log.record(_actor(args), audit.ERASE, audit.OK, args.ticket, args.customer,
               {"totals": _totals(report), "open_tickets_kept": len(open_tickets)})
    if args.json:
        print(json.dumps({"customer_id": args.customer, "stores": report}, indent=2))
        return 0
    print(f"Data {args.customer} dihapus:")
    print("\n".join(counts_line(report)))
    if open_tickets:
        print(f"Tiket yang masih terbuka TIDAK dihapus: {', '.join(open_tickets)}. Tutup dulu, lalu jalankan "
              "erase sekali lagi.")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Run the command line; return the exit status."""
    args = _parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    if getattr(args, "customer", None) is not None:
        args.customer = args.customer.strip()
        if not args.customer:
            print("--customer tidak boleh kosong.", file=sys.stderr)
            return 2
    try:
        parse_now(getattr(args, "now", None))
    except ValueError as error:
        print(f"--now tidak valid: {error}", file=sys.stderr)
        return 2
    locations = Locations.from_env(args.tickets_db, args.tracker_db, args.analytics_db, args.channel_state_db)
    database = connect(locations.tickets_url)
    try:
        command = {"purge": _purge, "export": _export, "erase": _erase}[args.command]
        return command(args, locations, database, audit.AuditLog(database))
    except Exception as error:  # noqa: BLE001 - one line for the operator (and cron's mail), details in the log
        logger.exception("privacy %s failed", args.command)
        print(f"Gagal: {type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}", file=sys.stderr)
        return 1
    finally:
        database.reader.dispose()


if __name__ == "__main__":
    sys.exit(main())
