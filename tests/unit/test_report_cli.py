"""``python -m bot.report``: the period from ``--since``/``--until`` in WIB, the output format, and the incidents
adapter that tolerates only a missing ``bot.incidents`` module."""
from __future__ import annotations

import types
from datetime import datetime, timedelta, timezone

import pytest

from bot.analytics.metrics import Period
from bot.report import incidents as report_incidents
from bot.report.__main__ import output_format
from bot.report.period import parse_period
from bot.tickets.model import WIB

NOW = datetime(2026, 12, 8, 3, 30, tzinfo=timezone.utc)   # Tuesday 8 December, 10:30 WIB


def test_days_are_whole_wib_days_ending_with_until() -> None:
    period = parse_period("7d", None, NOW)
    assert period.since == datetime(2026, 12, 2, tzinfo=WIB) and period.until == NOW
    period = parse_period("7d", "2026-12-07", NOW)
    assert (period.since, period.until) == (datetime(2026, 12, 1, tzinfo=WIB), datetime(2026, 12, 8, tzinfo=WIB))
    assert [day.day for day in period.days()] == [1, 2, 3, 4, 5, 6, 7]


def test_hours_dates_and_moments() -> None:
    assert parse_period("24h", None, NOW).since == NOW - timedelta(hours=24)
    period = parse_period("2026-11-30", "2026-12-01T12:00", NOW)
    assert period.since == datetime(2026, 11, 30, tzinfo=WIB) and period.until == datetime(2026, 12, 1, 12, tzinfo=WIB)
    with pytest.raises(ValueError):
        parse_period("0d", None, NOW)
    with pytest.raises(ValueError):
        parse_period("2026-12-09", "2026-12-01", NOW)


def test_output_format_follows_the_file_name_unless_chosen() -> None:
    assert output_format(None, "laporan.json") == "json" and output_format(None, "laporan.html") == "html"
    assert output_format("json", "-") == "json" and output_format(None, "-") == "html"


PERIOD = Period(datetime(2026, 12, 1, tzinfo=WIB), datetime(2026, 12, 8, tzinfo=WIB))


def test_incidents_come_from_the_store_in_wib(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []

    def list_incidents(since, until, url=None):
        calls.append((since, until, url))
        return [types.SimpleNamespace(id="INC-2", kind="spike", topic="coin:USDT", count=14, text="wd usdt gagal",
                                      opened_at=datetime(2026, 12, 3, 2, tzinfo=timezone.utc), closed_at=None),
                types.SimpleNamespace(id="INC-1", kind="notice", topic="bank:BCA", count=30, text="BCA terganggu",
                                      opened_at=datetime(2026, 12, 2, 2, tzinfo=timezone.utc),
                                      closed_at=datetime(2026, 12, 2, 5, tzinfo=timezone.utc))]

    monkeypatch.setattr(report_incidents, "list_incidents", list_incidents)
    found = report_incidents.incidents_in_period(PERIOD, "sqlite:///x.db")
    assert calls == [(PERIOD.since, PERIOD.until, "sqlite:///x.db")]
    assert [item["id"] for item in found] == ["INC-1", "INC-2"]
    assert found[0]["opened_at"] == "2026-12-02T09:00:00+07:00" and found[1]["closed_at"] is None
    assert found[0]["topic_label"] == "bank BCA"
