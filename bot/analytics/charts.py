"""The report's charts: matplotlib figures returned as inline SVG markup (no files, no external assets).

Each function takes the report's own numbers (the JSON sections of :mod:`bot.report.build`) and always
returns a drawable SVG, with an Indonesian "no data" note when the period has nothing to show.
"""
from __future__ import annotations

import io
import re
from typing import Any, Dict, List, Mapping, Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from bot.analytics.labels import PRIORITY_LABELS, channel_label, day_label  # noqa: E402
from bot.text_limits import clip  # noqa: E402

STYLE = {
    "svg.fonttype": "none",  # text stays text: small, selectable, rendered with the page's font
    "svg.hashsalt": "kripto-cs-report",  # stable ids: the same data gives the same SVG
    "font.family": "DejaVu Sans",
    "font.size": 10,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titleweight": "bold",
    "axes.titlesize": 11,
}
PALETTE = ("#1f6feb", "#2da44e", "#bf8700", "#cf222e", "#8250df", "#57606a")
CSAT_COLOURS = ("#cf222e", "#e16f24", "#bf8700", "#7fb800", "#2da44e")
NO_DATA = "Belum ada data pada periode ini"
_PROLOGUE = re.compile(r"^.*?(?=<svg)", re.DOTALL)


def plain(text: str) -> str:
    """Text shown as it is: ``$`` would otherwise start matplotlib's math mode."""
    return text.replace("$", r"\$")


def to_svg(figure: Figure) -> str:
    """The figure as an ``<svg>`` element (XML prologue and doctype removed), then closed. Figures keep
    their set size, so every chart is drawn at the same scale on the page."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    return _PROLOGUE.sub("", buffer.getvalue(), count=1).strip()


WIDTH, WIDE = 6.4, 12.8  # inches: a chart in one column of the page, or across both


def _figure(width: float = WIDTH, height: float = 3.4) -> Figure:
    return plt.figure(figsize=(width, height), constrained_layout=True)


def _empty(title: str, width: float = WIDTH) -> str:
    with plt.rc_context(STYLE):
        figure = _figure(width=width, height=1.8)
        axes = figure.add_subplot()
        axes.set_title(title, loc="left")
        axes.text(0.5, 0.45, NO_DATA, ha="center", va="center", color="#57606a", transform=axes.transAxes)
        axes.set_axis_off()
        return to_svg(figure)


def volume_chart(volume: Sequence[Mapping[str, Any]], days: Sequence[str]) -> str:
    """Conversations per day, stacked by channel."""
    title = "Volume percakapan per hari dan kanal"
    if not any(row["conversations"] for row in volume):
        return _empty(title)
    channels = list(dict.fromkeys(row["channel"] for row in volume))
    counts = {(row["day"], row["channel"]): row["conversations"] for row in volume}
    with plt.rc_context(STYLE):
        figure = _figure()
        axes = figure.add_subplot()
        bottom = [0] * len(days)
        for index, channel in enumerate(channels):
            values = [counts.get((day, channel), 0) for day in days]
            axes.bar(range(len(days)), values, bottom=bottom, color=PALETTE[index % len(PALETTE)],
                     label=plain(channel_label(channel)), width=0.7)
            bottom = [b + v for b, v in zip(bottom, values, strict=True)]
        axes.set_xticks(range(len(days)), [day_label(day) for day in days], rotation=0 if len(days) <= 7 else 45,
                        ha="center" if len(days) <= 7 else "right", fontsize=8.5)
        axes.set_ylim(0, max(bottom) * 1.25)
        axes.set_ylabel("Percakapan")
        axes.set_title(title, loc="left")
        axes.legend(frameon=False, ncol=len(channels), loc="upper left", fontsize=8.5)
        return to_svg(figure)


def self_service_chart(by_day: Sequence[Mapping[str, Any]]) -> str:
    """Per day: self-service rate, of which confirmed helpful, and handoff rate (percent of conversations)."""
    title = "Layanan mandiri dibanding pengalihan ke agen"
    if not any(row["conversations"] for row in by_day):
        return _empty(title)
    series = (("self_service", "Layanan mandiri", PALETTE[1]),
              ("self_service_confirmed", "Dikonfirmasi \u201cYa, membantu\u201d", PALETTE[0]),
              ("handoff", "Dialihkan ke agen", PALETTE[3]))
    width = 0.27
    with plt.rc_context(STYLE):
        figure = _figure()
        axes = figure.add_subplot()
        for offset, (key, label, colour) in enumerate(series):
            values = [100 * (row[key]["rate"] or 0) for row in by_day]
            axes.bar([i + (offset - 1) * width for i in range(len(by_day))], values, width=width, color=colour,
                     label=label)
        axes.set_xticks(range(len(by_day)), [day_label(row["day"]) for row in by_day],
                        rotation=0 if len(by_day) <= 7 else 45, ha="center" if len(by_day) <= 7 else "right",
                        fontsize=8.5)
        axes.set_ylabel("% percakapan")
        axes.set_ylim(0, 125)
        axes.set_yticks(range(0, 101, 25))
        axes.set_title(title, loc="left")
        axes.legend(frameon=False, ncol=3, loc="upper left", fontsize=8.5)
        return to_svg(figure)


def csat_chart(csat: Mapping[str, Any]) -> str:
    """How many customers gave each rating, 1 (tidak puas) to 5 (sangat puas)."""
    title = "Sebaran CSAT (1 = tidak puas, 5 = sangat puas)"
    distribution = csat["distribution"]
    if not csat["responses"]:
        return _empty(title)
    scores = sorted(distribution, key=int)
    with plt.rc_context(STYLE):
        figure = _figure()
        axes = figure.add_subplot()
        bars = axes.bar(scores, [distribution[s] for s in scores], color=CSAT_COLOURS, width=0.6)
        axes.bar_label(bars, padding=2)
        axes.set_ylim(0, max(distribution.values()) * 1.15)
        axes.set_xlabel("Nilai")
        axes.set_ylabel("Jawaban survei")
        axes.set_title(title, loc="left")
        return to_svg(figure)


def first_response_chart(first_response: Mapping[str, Any]) -> str:
    """Per priority: FRT p50 and p90 (operating hours) against the SLA target, with the share within SLA."""
    title = "Waktu respons pertama dibanding SLA (jam operasional)"
    rows = [(priority, block) for priority, block in first_response["by_priority"].items()
            if block["answered"] or block["breached"] or block["waiting"]]
    if not rows:
        return _empty(title)
    with plt.rc_context(STYLE):
        figure = _figure(height=1.6 + 0.6 * len(rows))
        axes = figure.add_subplot()
        for index, (_priority, block) in enumerate(rows):
            p50, p90 = (block["p50_minutes"] or 0) / 60, (block["p90_minutes"] or 0) / 60
            axes.barh(index + 0.18, p90, height=0.34, color="#a5c8ff", label="p90" if index == 0 else None)
            axes.barh(index - 0.18, p50, height=0.34, color=PALETTE[0], label="p50" if index == 0 else None)
            target = block["target_minutes"] / 60
            axes.plot([target, target], [index - 0.45, index + 0.45], color=PALETTE[3], linewidth=2,
                      label="Target SLA" if index == 0 else None)
            share = block["within_sla_rate"]
            note = f"{round(100 * share)}% sesuai SLA" if share is not None else "belum ada yang jatuh tempo"
            axes.text(max(p90, target) * 1.02, index, f" {note}", va="center", fontsize=9, color="#24292f")
        axes.set_yticks(range(len(rows)), [PRIORITY_LABELS.get(priority, priority) for priority, _ in rows])
        axes.set_xlabel("Jam operasional")
        axes.set_xlim(0, max(max((b["p90_minutes"] or 0), b["target_minutes"]) for _, b in rows) / 60 * 1.45)
        axes.set_ylim(-0.6, len(rows) + 0.1)
        axes.set_title(title, loc="left")
        axes.legend(frameon=False, ncol=3, loc="upper right", fontsize=8.5)
        return to_svg(figure)


def top_articles_chart(articles: Sequence[Mapping[str, Any]], limit: int = 10) -> str:
    """The most answered articles, with how many answers got "Belum membantu"."""
    title = "Artikel paling sering dijawabkan"
    top: List[Mapping[str, Any]] = list(articles[:limit])
    if not top:
        return _empty(title, WIDE)
    top.reverse()  # largest at the top
    with plt.rc_context(STYLE):
        figure = _figure(width=WIDE, height=1.0 + 0.3 * len(top))
        axes = figure.add_subplot()
        positions = range(len(top))
        axes.barh(positions, [row["answers"] for row in top], color=PALETTE[0], label="Dijawab")
        axes.barh(positions, [row["not_helpful"] for row in top], color=PALETTE[3], label="\u201cBelum membantu\u201d")
        axes.set_yticks(positions, [plain(clip(row["title"], 60)) for row in top])
        axes.set_xlabel("Jawaban")
        axes.set_title(title, loc="left")
        axes.legend(frameon=False, ncol=2, loc="lower right")
        return to_svg(figure)


def gaps_chart(groups: Sequence[Mapping[str, Any]], limit: int = 10) -> str:
    """The largest groups of unanswered questions (volume), labelled by their most typical message."""
    title = "Celah basis pengetahuan: pertanyaan yang belum terjawab"
    top: List[Mapping[str, Any]] = list(groups[:limit])
    if not top:
        return _empty(title, WIDE)
    top.reverse()
    with plt.rc_context(STYLE):
        figure = _figure(width=WIDE, height=1.0 + 0.3 * len(top))
        axes = figure.add_subplot()
        bars = axes.barh(range(len(top)), [group["volume"] for group in top], color=PALETTE[4])
        axes.bar_label(bars, padding=2, fontsize=8)
        axes.set_yticks(range(len(top)), [plain(clip(group["examples"][0], 60)) if group["examples"] else "–"
                                          for group in top])
        axes.set_xlabel("Pesan")
        axes.set_title(title, loc="left")
        return to_svg(figure)


def all_charts(report: Mapping[str, Any]) -> Dict[str, str]:
    """Every chart of a report dict, by name."""
    metrics = report["metrics"]
    days = [row["day"] for row in metrics["by_day"]]
    return {
        "volume": volume_chart(metrics["volume"], days),
        "self_service": self_service_chart(metrics["by_day"]),
        "csat": csat_chart(metrics["totals"]["csat"]),
        "first_response": first_response_chart(metrics["totals"]["first_response"]),
        "top_articles": top_articles_chart(metrics["articles"]),
        "gaps": gaps_chart(report["gaps"]["groups"]),
    }
