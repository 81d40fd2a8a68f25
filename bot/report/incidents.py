"""Incidents in the report: operator notices and detected spikes from :mod:`bot.incidents`, times in WIB.

The report passes its ``--tickets-db`` so incidents come from the same database as the tickets.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Callable, Dict, List, Optional

from bot.analytics.metrics import Period
from bot.incidents.store import list_incidents
from bot.incidents.topics import topic_label
from bot.tickets.model import WIB


def _iso(at: Optional[datetime]) -> Optional[str]:
    return at.astimezone(WIB).isoformat() if at is not None else None


def incident_row(incident: Any, label: Callable[[str], str] = topic_label) -> Dict[str, Any]:
    """One incident as the report shows it (times in WIB; ``topic_label`` as people read it, "bank BCA")."""
    return {"id": str(incident.id), "kind": str(incident.kind), "topic": str(incident.topic),
            "topic_label": label(str(incident.topic)), "opened_at": _iso(incident.opened_at),
            "closed_at": _iso(incident.closed_at), "count": int(incident.count), "text": str(incident.text)}


def incidents_in_period(period: Period, tickets_db_url: Optional[str] = None) -> List[Dict[str, Any]]:
    """The period's incidents, oldest first."""
    found = list_incidents(period.since, period.until, **({"url": tickets_db_url} if tickets_db_url else {}))
    return [incident_row(item) for item in sorted(found, key=lambda item: item.opened_at)]
