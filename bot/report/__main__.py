"""``python -m bot.report --since 7d [--until DATE] [--channel telegram] [--format html|json] --out report.html``

Reads the analytics event store (``ANALYTICS_DB_URL``, default ``var/analytics.db``) and the ticket database
(``TICKETS_DB_URL`` / ``DATABASE_URL``, default ``var/tickets.db``) and writes one self-contained HTML page
or the same numbers as JSON. ``--out -`` writes to standard output.
"""
from __future__ import annotations

import argparse
import json
import logging
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import List, Optional

from bot.analytics.gaps import DEFAULT_SAMPLE_LIMIT
from bot.report.build import ReportRequest, build_report
from bot.report.period import parse_period

FORMATS = ("html", "json")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m bot.report", description=(
        "Laporan dukungan pelanggan: percakapan, layanan mandiri, CSAT, waktu respons, celah basis pengetahuan."))
    p.add_argument("--since", default="7d", help="7d (whole days up to --until), 24h, a day (2026-12-01) or a moment")
    p.add_argument("--until", help="last day (2026-12-07, included) or a moment (2026-12-07T12:00, WIB); default now")
    p.add_argument("--channel", help="only this channel (telegram, whatsapp, socketio, rest)")
    p.add_argument("--format", choices=FORMATS, help="html or json (default: from --out's suffix, else html)")
    p.add_argument("--out", required=True, help="file to write, or - for standard output")
    p.add_argument("--analytics-db", help="analytics database URL (default ANALYTICS_DB_URL or var/analytics.db)")
    p.add_argument("--tickets-db", help="ticket database URL (default TICKETS_DB_URL, DATABASE_URL or var/tickets.db)")
    p.add_argument("--gap-sample", type=int, default=DEFAULT_SAMPLE_LIMIT,
                   help=f"at most this many gap messages are embedded and grouped (default {DEFAULT_SAMPLE_LIMIT})")
    p.add_argument("--workers", type=int, help="processes reading the events (default: up to 2)")
    return p


def output_format(chosen: Optional[str], out: str) -> str:
    """``--format``, else ``json`` for a ``.json`` file, else ``html``."""
    if chosen:
        return chosen
    return "json" if out.lower().endswith(".json") else "html"


def main(argv: Optional[List[str]] = None) -> int:
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        period = parse_period(args.since, args.until, datetime.now(timezone.utc))
    except ValueError as error:
        print(f"periode tidak valid: {error}", file=sys.stderr)
        return 2
    request = ReportRequest(period=period, channel=args.channel, analytics_db_url=args.analytics_db,
                            tickets_db_url=args.tickets_db, gap_sample=args.gap_sample,
                            **({"workers": args.workers} if args.workers else {}))
    report = build_report(request)
    if output_format(args.format, args.out) == "json":
        text = json.dumps(report, ensure_ascii=False, indent=2) + "\n"
    else:
        from bot.analytics.report_html import render_html

        text = render_html(report)
    if args.out == "-":
        sys.stdout.write(text)
    else:
        Path(args.out).parent.mkdir(parents=True, exist_ok=True)
        Path(args.out).write_text(text, encoding="utf-8")
        print(f"laporan ditulis ke {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
