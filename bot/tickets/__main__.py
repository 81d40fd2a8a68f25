"""Command line for agents: ``python -m bot.tickets list|show|claim|reply|close|deliver`` (in Indonesian).

    python -m bot.tickets list [--all]          open tickets, most pressing SLA first (--all: every ticket)
    python -m bot.tickets show CS-20261122-0042 the full ticket, its notifications and the agent conversation
    python -m bot.tickets claim CS-20261122-0042 --agent Rina   take the ticket (the customer sees the name)
    python -m bot.tickets reply CS-20261122-0042 "Halo, saya cek ya"   the customer gets it on their channel
    python -m bot.tickets close CS-20261122-0042                resolve; the customer gets the CSAT survey
    python -m bot.tickets deliver [--once]      send queued notifications (continuously, or one pass)

claim/reply/close are the same operations the agent desks (Telegram group, Chatwoot) use; replies are
delivered by the running assistant (``make run``) through its outbox.

``--db URL`` selects the database (default ``TICKETS_DB_URL``, else ``sqlite:///var/tickets.db``).
list/show/claim/reply/close are written to the audit log (:mod:`bot.privacy.audit`): the OS user and the
agent's name (``--agent``), the ticket and the outcome.
"""
from __future__ import annotations

import argparse
import logging
import sys
import threading
from datetime import datetime, timezone
from typing import List, Optional

from bot.desks.config import declared_desk_names
from bot.handoff.model import Agent
from bot.handoff.render import handoff_text
from bot.handoff.service import CLI_DESK, CLOSED, DONE, NOT_FOUND, HandoffService, Outcome
from bot.handoff.store import HandoffStore
from bot.privacy import audit
from bot.tickets.config import load_notifiers
from bot.tickets.delivery import OutboxWorker
from bot.tickets.render import ticket_table, ticket_text
from bot.tickets.store import TicketStore, open_store


def _parser() -> argparse.ArgumentParser:
    database = argparse.ArgumentParser(add_help=False)
    database.add_argument("--db", metavar="URL", default=argparse.SUPPRESS,
                          help="URL database (bawaan: TICKETS_DB_URL, lalu sqlite:///var/tickets.db)")
    parser = argparse.ArgumentParser(prog="python -m bot.tickets", parents=[database],
                                     description="Tiket untuk agen CS: daftar, detail, tutup, kirim notifikasi.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="PERINTAH")
    listing = commands.add_parser("list", parents=[database], help="daftar tiket terbuka")
    listing.add_argument("--all", action="store_true", help="termasuk tiket yang sudah ditutup")
    listing.add_argument("--agent", metavar="NAMA", help="nama agen untuk log audit (bawaan: pengguna OS)")
    show = commands.add_parser("show", parents=[database], help="detail lengkap satu tiket")
    show.add_argument("ticket_id", metavar="ID")
    show.add_argument("--agent", metavar="NAMA", help="nama agen untuk log audit (bawaan: pengguna OS)")
    claim = commands.add_parser("claim", parents=[database], help="ambil tiket (nama agen terlihat pelanggan)")
    claim.add_argument("ticket_id", metavar="ID")
    claim.add_argument("--agent", required=True, metavar="NAMA", help="nama agen, mis. Rina")
    reply = commands.add_parser("reply", parents=[database], help="balas pelanggan di kanalnya")
    reply.add_argument("ticket_id", metavar="ID")
    reply.add_argument("text", metavar="TEKS")
    reply.add_argument("--agent", metavar="NAMA", help="bawaan: agen yang memegang tiket")
    close = commands.add_parser("close", parents=[database], help="selesaikan tiket (survei kepuasan dikirim)")
    close.add_argument("ticket_id", metavar="ID")
    close.add_argument("--agent", metavar="NAMA", help="nama agen untuk log audit (bawaan: pengguna OS)")
    deliver = commands.add_parser("deliver", parents=[database], help="kirim notifikasi yang menunggu")
    deliver.add_argument("--once", action="store_true", help="satu putaran lalu selesai")
    deliver.add_argument("--config", metavar="PATH", help="file notifier (default: NOTIFIERS_CONFIG / notifiers.yml)")
    deliver.add_argument("--interval", type=float, default=2.0, help="detik antar putaran (default 2)")
    return parser


def _list(store: TicketStore, include_closed: bool) -> int:
    found = store.list(status=None if include_closed else "open")
    if not found:
        print("Tidak ada tiket." if include_closed else "Tidak ada tiket terbuka.")
        return 0
    print(ticket_table(found, now=datetime.now(timezone.utc), with_status=include_closed))
    return 0


def _show(service: HandoffService, ticket_id: str) -> int:
    store = service.tickets
    ticket = store.get(ticket_id)
    if ticket is None:
        print(f"Tiket {ticket_id} tidak ditemukan.", file=sys.stderr)
        return 1
    print(ticket_text(ticket, store.outbox.deliveries(ticket_id), now=datetime.now(timezone.utc)))
    handoff = service.store.get(ticket_id)
    if handoff is not None:
        print(handoff_text(handoff, service.store.thread(ticket_id)))
    return 0


def _report(outcome: Outcome) -> int:
    print(outcome.message, file=sys.stdout if outcome.ok else sys.stderr)
    return 0 if outcome.ok else 1


def _close(service: HandoffService, ticket_id: str) -> Outcome:
    if service.store.get(ticket_id) is None and service.tickets.get(ticket_id) is not None:
        # A ticket from before the live handoff: close it as before.
        if service.tickets.close(ticket_id):
            print(f"Tiket {ticket_id} ditutup.")
            return Outcome(audit.OK, "")
        print(f"Tiket {ticket_id} sudah ditutup sebelumnya.", file=sys.stderr)
        return Outcome(CLOSED, "")
    outcome = service.close(ticket_id, None)
    if outcome.ok:
        print(f"Tiket {ticket_id} ditutup; survei kepuasan dikirim ke pelanggan.")
        return outcome
    _report(outcome)
    return outcome


def cli_agent(name: str) -> Agent:
    """An agent acting from the command line."""
    return Agent(desk=CLI_DESK, agent_id=name.strip().lower(), name=name.strip())


def cli_actor(agent_name: Optional[str]) -> audit.Actor:
    """Who acts from the command line, for the audit log: the OS user, and the agent's name when given."""
    user = audit.os_user()
    return audit.Actor(CLI_DESK, user, (agent_name or "").strip() or user)


def _deliver(store: TicketStore, config: Optional[str], once: bool, interval: float) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    notifiers = load_notifiers(config)
    if not notifiers:
        print("Tidak ada notifier aktif; isi notifiers.yml / variabel lingkungannya dulu.", file=sys.stderr)
        return 1
    worker = OutboxWorker(store, notifiers)
    if once:
        print(f"{worker.run_once()} notifikasi terkirim.")
        return 0
    print(f"Mengirim notifikasi lewat {', '.join(notifiers)} (Ctrl+C untuk berhenti)...")
    worker.start(interval)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("Berhenti.")
    finally:
        worker.stop()
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    """Run the CLI; return the exit code."""
    args = _parser().parse_args(argv)
    store = open_store(getattr(args, "db", None))
    service = HandoffService(HandoffStore(store.database), store, declared_desk_names())
    log, actor = audit.AuditLog(store.database), cli_actor(getattr(args, "agent", None))
    if args.command == "list":
        status = _list(store, args.all)
        log.record(actor, audit.LIST, detail="all" if args.all else "open")
        return status
    if args.command == "show":
        status = _show(service, args.ticket_id)
        log.record(actor, audit.SHOW, audit.OK if status == 0 else NOT_FOUND, args.ticket_id)
        return status
    if args.command == "claim":
        if not args.agent.strip():
            print("Nama agen wajib diisi (--agent).", file=sys.stderr)
            return 2
        outcome = service.claim(args.ticket_id, cli_agent(args.agent))
        log.record(actor, audit.CLAIM, outcome.code, args.ticket_id)
        return _report(outcome)
    if args.command == "reply":
        outcome = service.reply(args.ticket_id, args.text, cli_agent(args.agent) if args.agent else None)
        log.record(actor, audit.REPLY, outcome.code, args.ticket_id)
        return _report(outcome)
    if args.command == "close":
        outcome = _close(service, args.ticket_id)
        log.record(actor, audit.CLOSE, outcome.code, args.ticket_id)
        return 0 if outcome.code in (audit.OK, DONE) else 1
    return _deliver(store, args.config, args.once, args.interval)


if __name__ == "__main__":
    sys.exit(main())
