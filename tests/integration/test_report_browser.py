"""The support-analytics report as a support lead sees it: ``python -m bot.report`` on synthetic traffic in the
real event shape, opened in Debian's Chromium through Playwright. Every chart's SVG must render with a real
size, the page must load nothing from elsewhere, customer text must stay text, and the JSON output must carry
the same numbers. The screenshot is kept at ``var/artifacts/report.png``.

Playwright and ``/usr/bin/chromium`` are required: without them this test fails, it is never skipped.
"""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterator, List

import pytest
from playwright.sync_api import Browser, sync_playwright

from bench.report_bench import write_synthetic
from bot import wording
from bot.analytics import labels
from bot.analytics.events import open_engine, write_events
from bot.incidents.store import open_incident_store
from bot.servers import ROOT
from bot.tickets.model import WIB

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "var" / "artifacts"
CHARTS = ("volume", "self_service", "csat", "first_response", "top_articles", "gaps")
INJECTION = '<img src=x onerror="alert(1)"> kapan bisa trading futures'
NOTICE = "Saat ini penarikan ke BCA sedang terganggu; dana Anda aman."


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Dict[str, Any]:
    """300 synthetic conversations of the last 7 days, plus one whose text tries to inject markup."""
    work = tmp_path_factory.mktemp("report")
    analytics, tickets = f"sqlite:///{work / 'analytics.db'}", f"sqlite:///{work / 'tickets.db'}"
    end = datetime.now(timezone.utc).replace(microsecond=0)
    write_synthetic(analytics, tickets, 300, end, seed=11)
    open_incident_store(tickets).open_notice("bank:BCA", NOTICE, expires_at=end + timedelta(hours=4),
                                             now=end - timedelta(hours=3))
    at = (end - timedelta(hours=2)).timestamp()
    write_events(open_engine(analytics), [
        {"sender_id": "tg-inject", "event": "session_started", "timestamp": at},
        {"sender_id": "tg-inject", "event": "user", "timestamp": at + 1, "text": INJECTION, "input_channel": "telegram",
         "parse_data": {"intent": {"name": "nlu_fallback", "confidence": 0.3}}, "metadata": {}},
        {"sender_id": "tg-inject", "event": "bot", "timestamp": at + 2, "text": wording.UNCLEAR, "metadata": {}},
    ])
    return {"dir": work, "analytics": analytics, "tickets": tickets, "until": end.astimezone(WIB).date().isoformat()}


def run_report(data: Dict[str, Any], out: Path, *extra: str) -> None:
    command = [sys.executable, "-m", "bot.report", "--since", "7d", "--until", data["until"], "--out", str(out),
               "--analytics-db", data["analytics"], "--tickets-db", data["tickets"], "--gap-sample", "400", *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def outputs(data: Dict[str, Any]) -> Dict[str, Any]:
    html, as_json = data["dir"] / "report.html", data["dir"] / "report.json"
    run_report(data, html)
    run_report(data, as_json, "--format", "json")
    return {"html": html, "json": json.loads(as_json.read_text(encoding="utf-8"))}


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian Chromium; its absence is a failure."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install it with `bash scripts/system_packages.sh` (make test does)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True)
        yield chromium
        chromium.close()


def test_report_renders_every_chart_in_chromium(outputs: Dict[str, Any], browser: Browser) -> None:
    html: Path = outputs["html"]
    text = html.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and 'href="http' not in text and 'src="http' not in text
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="id-ID")
    page = context.new_page()
    requests: List[str] = []
    dialogs: List[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(html.as_uri())
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Laporan Dukungan Pelanggan"
    for name in CHARTS:
        svg = page.locator(f'figure[data-chart="{name}"] svg')
        assert svg.count() == 1, name
        box = svg.bounding_box()
        assert box is not None and box["width"] > 100 and box["height"] > 50, (name, box)
        drawn = page.evaluate("(svg) => { const b = svg.getBBox(); return [b.width, b.height, "
                              "svg.querySelectorAll('path, rect, text, use').length]; }", svg.element_handle())
        assert drawn[0] > 0 and drawn[1] > 0 and drawn[2] > 5, (name, drawn)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
    assert [url for url in requests if not url.startswith("file://")] == []   # self-contained
    assert dialogs == [] and page.locator("img").count() == 0                 # customer text stayed text
    context.close()


def test_html_and_json_carry_the_same_numbers(outputs: Dict[str, Any], browser: Browser) -> None:
    report = outputs["json"]
    totals = report["metrics"]["totals"]
    assert totals["conversations"] > 250 and totals["tickets"] > 0 and totals["csat"]["responses"] > 0
    incidents = [(item["kind"], item["topic"], item["text"]) for item in report["incidents"]["items"]]
    assert incidents == [("notice", "bank:BCA", NOTICE)]
    page = browser.new_page()
    page.goto(outputs["html"].as_uri())
    cards = {page.locator(".card .label").nth(i).inner_text(): page.locator(".card .value").nth(i).inner_text()
             for i in range(page.locator(".card").count())}
    assert cards["Percakapan"] == labels.number(totals["conversations"])
    assert cards["Tingkat layanan mandiri"] == labels.percent(totals["self_service"]["rate"])
    assert cards["Tingkat pengalihan ke agen"] == labels.percent(totals["handoff"]["rate"])
    assert cards["Waktu respons pertama"] == labels.duration(totals["first_response"]["p50_minutes"])
    assert page.locator(".incident h3").first.inner_text().startswith("bank BCA")
    shown = [example for group in report["gaps"]["groups"] for example in group["examples"]]
    assert "<img src=x" not in outputs["html"].read_text(encoding="utf-8")
    if INJECTION in shown:   # listed as a gap: visible as text, not markup
        assert page.get_by_text(INJECTION).count() >= 1
    page.close()


def test_channel_filter(data: Dict[str, Any], outputs: Dict[str, Any]) -> None:
    out = data["dir"] / "telegram.json"
    run_report(data, out, "--channel", "telegram", "--format", "json")
    telegram = json.loads(out.read_text(encoding="utf-8"))
    expected = next(row for row in outputs["json"]["metrics"]["by_channel"] if row["channel"] == "telegram")
    assert [row["channel"] for row in telegram["metrics"]["by_channel"]] == ["telegram"]
    assert telegram["metrics"]["totals"]["conversations"] == expected["conversations"]
    assert telegram["metrics"]["totals"]["tickets"] == expected["tickets"]
