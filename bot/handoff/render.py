"""The handoff of a ticket as agents read it in the terminal: state, timestamps (WIB), FRT, CSAT, thread."""
from __future__ import annotations

from datetime import timedelta
from typing import List, Optional, Sequence

from bot.handoff.model import LEFT, RESOLVED, WAITING, WITH_AGENT, Handoff, ThreadMessage
from bot.tickets.render import format_wib

STATE_LABELS = {WAITING: "menunggu agen", WITH_AGENT: "ditangani agen", RESOLVED: "selesai",
                LEFT: "pelanggan kembali ke bot"}
DIRECTION_LABELS = {"to_agent": "→ agen", "to_customer": "→ pelanggan"}


def duration_text(value: Optional[timedelta]) -> str:
    """``1 j 05 m`` (operating time), or ``-``."""
    if value is None:
        return "-"
    minutes = int(value.total_seconds() // 60)
    return f"{minutes // 60} j {minutes % 60:02d} m"


def handoff_text(handoff: Handoff, thread: Sequence[ThreadMessage]) -> str:
    """Lines for ``python -m bot.tickets show``."""
    agent = f"{handoff.agent.name} ({handoff.agent.desk})" if handoff.agent else "-"
    rating = f"{handoff.rating}/5" if handoff.rating else "-"
    stamps = [("Dibuat", handoff.created_at), ("Diambil", handoff.claimed_at),
              ("Balasan pertama agen", handoff.first_reply_at), ("Selesai", handoff.resolved_at),
              ("Dinilai", handoff.rated_at)]
    lines: List[str] = ["", "Penanganan agen:", f"  Status : {STATE_LABELS.get(handoff.state, handoff.state)}",
                        f"  Agen   : {agent}"]
    lines += [f"  {label}: {format_wib(at) if at else '-'}" for label, at in stamps]
    lines += [f"  Waktu respons pertama (jam operasional): {duration_text(handoff.first_response_time())}",
              f"  Waktu penyelesaian (jam operasional): {duration_text(handoff.resolution_time())}",
              f"  CSAT: {rating}" + (f" — \"{handoff.comment}\"" if handoff.comment else ""),
              "", f"Percakapan dengan agen ({len(thread)} pesan):"]
    for message in thread:
        text = message.text.replace("\n", "\n" + " " * 8)
        lines.append(f"  [{format_wib(message.created_at, with_year=False)}] {DIRECTION_LABELS[message.direction]} "
                     f"({message.author}): {text}")
    return "\n".join(lines)
