"""Present incidents to agents and operators: the spike alert (plain text, Telegram HTML, JSON) and the
command line's table. Labels and sentences come from :mod:`bot.wording`."""
from __future__ import annotations

import html
from datetime import datetime
from typing import Any, Dict, List, Sequence

from bot import wording
from bot.incidents.model import NOTICE, Incident
from bot.incidents.topics import topic_label
from bot.text_limits import clip
from bot.tickets.render import clean, format_wib

CLIP_EXAMPLE = 200
KIND_LABELS = {"notice": "Pemberitahuan", "spike": "Lonjakan"}


def number(value: float) -> str:
    """``0,5`` / ``2`` (Indonesian decimal comma, at most one decimal)."""
    rounded = round(value, 1)
    return str(int(rounded)) if rounded == int(rounded) else f"{rounded:.1f}".replace(".", ",")


def spike_summary(topic: str, count: int, minutes: int, baseline: float) -> str:
    """``12 pelanggan menulis tentang bank BCA dalam 15 menit terakhir (biasanya ±0,5).``"""
    return wording.NOTE_SPIKE_SUMMARY.format(count=count, topic=topic_label(topic), minutes=minutes,
                                          baseline=number(baseline))


def notice_command(topic: str) -> str:
    """The command that publishes a notice for ``topic`` with the default text."""
    return f"python -m bot.incidents open --topic {topic} --expires 4h"


def examples(incident: Incident) -> List[str]:
    """The alert's example messages, cleaned and shortened."""
    return [clip(clean(text), CLIP_EXAMPLE) for text in incident.details.get("examples") or []]


def _summary(incident: Incident) -> str:
    details = incident.details
    return spike_summary(incident.topic, int(details.get("detected_count") or incident.count),
                         int(details.get("window_minutes") or 0), float(details.get("baseline") or 0))


def alert_text(incident: Incident) -> str:
    """The alert for agents as plain text."""
    lines = [f"{wording.NOTE_SPIKE_TITLE.format(topic=topic_label(incident.topic))} ({incident.id})",
             _summary(incident)]
    if examples(incident):
        lines += [wording.NOTE_SPIKE_EXAMPLES, *(f"- {text}" for text in examples(incident))]
    lines += [wording.NOTE_SPIKE_NOTICE, notice_command(incident.topic)]
    return "\n".join(lines)


def esc(text: str) -> str:
    """Text safe inside Telegram HTML."""
    return html.escape(text, quote=False)


def alert_html(incident: Incident) -> str:
    """The alert for the agents' Telegram group (well within Telegram's 4096 characters)."""
    title = wording.NOTE_SPIKE_TITLE.format(topic=topic_label(incident.topic))
    lines = [f"🚨 <b>{esc(title)}</b> ({esc(incident.id)})",
             esc(_summary(incident))]
    if examples(incident):
        lines += ["", f"<b>{esc(wording.NOTE_SPIKE_EXAMPLES)}</b>",
                  *(f"• <i>{esc(text)}</i>" for text in examples(incident))]
    lines += ["", esc(wording.NOTE_SPIKE_NOTICE), f"<code>{esc(notice_command(incident.topic))}</code>"]
    return "\n".join(lines)


def alert_dict(incident: Incident) -> Dict[str, Any]:
    """The alert as JSON for webhooks (``"event": "incident_spike"``, told apart from ticket notifications)."""
    details = incident.details
    return {
        "event": "incident_spike", "id": incident.id, "kind": incident.kind, "topic": incident.topic,
        "topic_label": topic_label(incident.topic), "opened_at": incident.opened_at.isoformat(),
        "count": int(details.get("detected_count") or incident.count),
        "window_minutes": details.get("window_minutes"), "baseline": details.get("baseline"),
        "threshold": details.get("threshold"), "examples": examples(incident), "text": alert_text(incident),
    }


def incident_table(found: Sequence[Incident], now: datetime) -> str:
    """Incidents as an aligned table for operators."""
    header = ["ID", "Jenis", "Topik", "Mulai (WIB)", "Selesai (WIB)", "Jumlah", "Teks"]
    rows = [header]
    for incident in found:
        if incident.closed_at is not None and incident.closed_at <= now:
            end = format_wib(incident.closed_at, with_year=False)
        elif incident.expires_at is not None:
            end = f"s.d. {format_wib(incident.expires_at, with_year=False)}"
        else:
            end = "berlangsung"
        count = f"{incident.count} {'dilihat' if incident.kind == NOTICE else 'pelanggan'}"
        rows.append([incident.id, KIND_LABELS.get(incident.kind, incident.kind), topic_label(incident.topic),
                     format_wib(incident.opened_at, with_year=False), end, count, clip(clean(incident.text), 60)])
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)
