"""Convert tickets to database rows and back (JSON columns for the nested values)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Mapping

from bot.tickets.model import WIB, Detail, Ticket, TicketDraft, TranscriptLine


def draft_columns(draft: TicketDraft) -> Dict[str, Any]:
    """Column values for the draft part of a ticket row."""
    return {
        "customer_id": draft.customer_id,
        "customer_name": draft.customer_name,
        "channel": draft.channel,
        "category": draft.category,
        "priority": draft.priority,
        "sentiment": draft.sentiment,
        "summary": draft.summary,
        "details": [{"name": d.name, "label": d.label, "value": d.value, "status": d.status, "note": d.note}
                    for d in draft.details],
        "kb_articles": list(draft.kb_articles),
        "transcript": [{"at": line.at.isoformat(), "speaker": line.speaker, "text": line.text}
                       for line in draft.transcript],
        "flags": list(draft.flags),
        "dedupe_key": draft.dedupe_key,
    }


def ticket_from_row(row: Mapping[str, Any]) -> Ticket:
    """Rebuild a ticket from a ``tickets`` row; times are returned in WIB."""
    return Ticket(
        id=row["id"],
        status=row["status"],
        created_at=row["created_at"].astimezone(WIB),
        sla_due_at=row["sla_due_at"].astimezone(WIB),
        closed_at=row["closed_at"].astimezone(WIB) if row["closed_at"] else None,
        customer_id=row["customer_id"],
        customer_name=row["customer_name"],
        channel=row["channel"],
        category=row["category"],
        priority=row["priority"],
        sentiment=row["sentiment"],
        summary=row["summary"],
        details=tuple(Detail(**item) for item in row["details"]),
        kb_articles=tuple(row["kb_articles"]),
        transcript=tuple(TranscriptLine(at=datetime.fromisoformat(item["at"]), speaker=item["speaker"],
                                        text=item["text"]) for item in row["transcript"]),
        flags=tuple(row["flags"]),
        dedupe_key=row["dedupe_key"],
    )
