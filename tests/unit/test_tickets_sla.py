"""bot.tickets.sla: response deadlines counted in operating hours (08:00–22:00 WIB by default)."""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.tickets import WIB, next_opening, sla_due, within_operating_hours
from bot.tickets.sla import RESPONSE_TARGETS, OperatingHours, _parse_or_default, configured_hours

DEFAULT_HOURS = OperatingHours.parse("08-22")


def wib(day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, second, tzinfo=WIB)


@pytest.fixture(autouse=True)
def default_agent_hours(monkeypatch):
    monkeypatch.delenv("AGENT_HOURS", raising=False)


@pytest.mark.parametrize(("created", "priority", "due"), [
    (wib(22, 10), "urgent", wib(22, 11)),
    (wib(22, 10), "high", wib(22, 14)),
    (wib(22, 10), "normal", wib(23, 20)),          # 12 h today, 12 h tomorrow from 08:00
    (wib(22, 22, 30), "normal", wib(24, 18)),      # after closing: 14 h tomorrow from 08:00, 10 h the day after
    (wib(22, 21, 30), "normal", wib(24, 17, 30)),  # the last 30 min of the shift count: 0.5 + 14 + 9.5 h
    (wib(22, 21, 30), "urgent", wib(23, 8, 30)),   # 30 min before closing, 30 min after opening
    (wib(22, 21), "urgent", wib(22, 22)),          # ends exactly with the shift: due at closing time
    (wib(22, 22), "urgent", wib(23, 9)),           # closing time itself is off duty
    (wib(22, 3), "high", wib(22, 12)),             # night: the clock starts at 08:00
    (wib(22, 7, 59, 59), "urgent", wib(22, 9)),
    (wib(22, 8), "normal", wib(23, 18)),           # a full day is 14 h
])
def test_deadline_counts_operating_time_only(created, priority, due):
    assert sla_due(created, priority) == due


def test_deadline_is_computed_in_wib_whatever_the_input_zone():
    created_utc = datetime(2026, 11, 22, 23, 30, tzinfo=timezone.utc)  # 06:30 WIB on the 23rd
    due = sla_due(created_utc, "urgent")
    assert due == wib(23, 9)
    assert due.utcoffset() == timedelta(hours=7)


@pytest.mark.parametrize(("moment", "open_"), [
    (wib(22, 8), True), (wib(22, 21, 59, 59), True), (wib(22, 22), False), (wib(22, 7, 59, 59), False),
    (wib(22, 0), False), (datetime(2026, 11, 22, 1, 0, tzinfo=timezone.utc), True),  # 08:00 WIB
])
def test_within_operating_hours_boundaries(moment, open_):
    assert within_operating_hours(moment) is open_


@pytest.mark.parametrize(("moment", "opening"), [
    (wib(22, 5), wib(22, 8)),
    (wib(22, 12, 34), wib(22, 12, 34)),  # already open: now
    (wib(22, 22), wib(23, 8)),
    (wib(22, 23, 59), wib(23, 8)),
    (wib(30, 23), datetime(2026, 12, 1, 8, tzinfo=WIB)),  # month boundary
])
def test_next_opening(moment, opening):
    assert next_opening(moment) == opening


def test_agent_hours_from_environment(monkeypatch):
    monkeypatch.setenv("AGENT_HOURS", "00-24")
    assert within_operating_hours(wib(22, 3))
    assert sla_due(wib(22, 21, 30), "normal") == wib(23, 21, 30)
    monkeypatch.setenv("AGENT_HOURS", "07:30-21:45")
    assert configured_hours() == OperatingHours(opens=450, closes=1305)
    assert sla_due(wib(22, 21, 15), "urgent") == wib(23, 8)


def test_invalid_agent_hours_fall_back_to_default_with_a_warning(monkeypatch, caplog):
    monkeypatch.setenv("AGENT_HOURS", "22-08")
    _parse_or_default.cache_clear()
    with caplog.at_level(logging.WARNING, logger="bot.tickets.sla"):
        assert configured_hours() == DEFAULT_HOURS
        assert configured_hours() == DEFAULT_HOURS
    assert len([r for r in caplog.records if "AGENT_HOURS" in r.getMessage()]) == 1  # said once, not per call


@pytest.mark.parametrize("spec", ["", "8", "22-08", "08-25", "08:60-22", "08-08", "pagi-malam"])
def test_operating_hours_parse_rejects_nonsense(spec):
    with pytest.raises(ValueError):
        OperatingHours.parse(spec)


def test_naive_datetimes_and_unknown_priorities_are_rejected():
    with pytest.raises(ValueError, match="timezone-aware"):
        sla_due(datetime(2026, 11, 22, 10), "urgent")
    with pytest.raises(ValueError, match="priority"):
        sla_due(wib(22, 10), "critical")


# ---------------------------------------------------------------- properties

ZONES = st.sampled_from([WIB, timezone.utc, timezone(timedelta(hours=-5)), timezone(timedelta(hours=9))])
MOMENTS = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 1, 1), timezones=ZONES)
PRIORITIES = st.sampled_from(sorted(RESPONSE_TARGETS))


@st.composite
def operating_hours(draw) -> OperatingHours:
    opens = draw(st.integers(0, 23 * 60))
    return OperatingHours(opens=opens, closes=draw(st.integers(opens + 1, 24 * 60)))


def operating_time_between(start: datetime, end: datetime, hours: OperatingHours) -> timedelta:
    """Independent oracle: sum the overlap of [start, end] with each day's window."""
    total = timedelta(0)
    day = start.astimezone(WIB).date() - timedelta(days=1)
    while day <= end.astimezone(WIB).date():
        opens, closes = hours.window(day)
        overlap = min(closes, end) - max(opens, start)
        total += max(overlap, timedelta(0))
        day += timedelta(days=1)
    return total


@settings(max_examples=200)
@given(MOMENTS, PRIORITIES, operating_hours())
def test_due_is_after_creation_inside_hours_and_exactly_the_target_of_operating_time(created, priority, hours):
    due = sla_due(created, priority, hours)
    assert due >= created
    local = due.astimezone(WIB)
    opens, closes = hours.window(local.date())
    closing_of_previous_day = hours.window(local.date() - timedelta(days=1))[1]
    assert opens <= local <= closes or local == closing_of_previous_day  # "24:00" is the next day's midnight
    assert operating_time_between(created, due, hours) == RESPONSE_TARGETS[priority]


@settings(max_examples=200)
@given(MOMENTS, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=3)), PRIORITIES, operating_hours())
def test_due_is_monotonic_in_creation_time(created, later_by, priority, hours):
    assert sla_due(created, priority, hours) <= sla_due(created + later_by, priority, hours)


@settings(max_examples=200)
@given(MOMENTS, operating_hours())
def test_next_opening_is_open_and_nothing_earlier_is(moment, hours):
    opening = next_opening(moment, hours)
    assert opening >= moment
    assert within_operating_hours(opening, hours)
    if opening > moment:  # every minute between was off duty
        assert not within_operating_hours(moment, hours)
        assert not within_operating_hours(opening - timedelta(microseconds=1), hours)


@settings(max_examples=300)
@given(MOMENTS, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=5)), operating_hours())
def test_operating_time_between_matches_the_oracle(start, length, hours):
    from bot.tickets.sla import operating_time_between as production

    assert production(start, start + length, hours) == operating_time_between(start, start + length, hours)
    assert production(start + length, start, hours) == timedelta(0)


@settings(max_examples=200)
@given(MOMENTS, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=2)), operating_hours())
def test_adding_operating_time_and_measuring_it_agree(start, duration, hours):
    from bot.tickets.sla import add_operating_time
    from bot.tickets.sla import operating_time_between as production

    end = add_operating_time(start, duration, hours)
    assert end >= start and production(start, end, hours) == duration


def test_first_response_over_a_night_counts_only_the_working_minutes():
    from bot.tickets.sla import operating_time_between as production

    assert production(wib(22, 21, 30), wib(23, 8, 15), DEFAULT_HOURS) == timedelta(minutes=45)
