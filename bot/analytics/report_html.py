"""Render a report dict (:func:`bot.report.build.build_report`) as one self-contained HTML page: inline CSS,
inline SVG charts, no scripts, fonts or images from elsewhere. Everything from data is escaped."""
from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Dict, Mapping, Optional

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.analytics import labels
from bot.analytics.charts import all_charts

TEMPLATES = Path(__file__).resolve().parent / "templates"
WIDE_CHARTS = ("top_articles", "gaps")  # drawn across both columns
CHART_CAPTIONS = (
    ("volume", "Jumlah percakapan per hari (WIB), menurut kanal."),
    ("self_service", "Bagian percakapan per hari yang terlayani mandiri, yang dikonfirmasi \u201cYa, membantu\u201d, "
                     "dan yang dialihkan ke agen."),
    ("csat", "Nilai survei kepuasan setelah tiket diselesaikan agen."),
    ("first_response", "Median (p50) dan p90 waktu respons pertama agen per prioritas; garis merah: target SLA."),
    ("top_articles", "Artikel yang paling sering dikirim sebagai jawaban; merah: dijawab \u201cBelum membantu\u201d."),
    ("gaps", "Kelompok pertanyaan yang belum terjawab, menurut jumlah pesan."),
)


def environment() -> Environment:
    """Jinja with autoescaping, strict variables and the Indonesian formatting filters."""
    env = Environment(loader=FileSystemLoader(str(TEMPLATES)), autoescape=select_autoescape(["html", "j2"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(percent=labels.percent, number=labels.number, duration=labels.duration, day=labels.day_label,
                       moment=labels.moment, channel=labels.channel_label)
    return env


def period_text(report: Mapping[str, Any]) -> str:
    """``Rabu, 2 Desember 2026 – Selasa, 8 Desember 2026`` (the last day the period touches)."""
    since = datetime.fromisoformat(report["period"]["since"])
    last = datetime.fromisoformat(report["period"]["until"]) - timedelta(microseconds=1)
    first_day, last_day = labels.day_name(since.date()), labels.day_name(last.date())
    return first_day if first_day == last_day else f"{first_day} – {last_day}"


def render_html(report: Mapping[str, Any], charts: Optional[Dict[str, str]] = None) -> str:
    """The report page."""
    return environment().get_template("report.html.j2").render(
        report=report, charts=charts if charts is not None else all_charts(report), chart_captions=CHART_CAPTIONS,
        period_text=period_text(report), wide_charts=WIDE_CHARTS, category_labels=labels.CATEGORY_LABELS,
        priority_labels=labels.PRIORITY_LABELS, reason_labels=labels.GAP_REASON_LABELS,
        incident_kinds=labels.INCIDENT_KIND_LABELS, day_label=labels.day_label, channel_label=labels.channel_label)
