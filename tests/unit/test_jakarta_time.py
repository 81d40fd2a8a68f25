"""nlu/jakarta_time.py: the one WIB zone and the Indonesian names customers and agents read (from Babel)."""
from __future__ import annotations

from datetime import date, datetime, timezone

from nlu.jakarta_time import DAY_NAMES, MONTH_NAMES, SHORT_MONTH_NAMES, WIB


def test_wib_is_utc_plus_seven_without_daylight_saving():
    for month in (1, 7):
        moment = datetime(2026, month, 1, 0, 0, tzinfo=timezone.utc).astimezone(WIB)
        assert (moment.hour, moment.tzname()) == (7, "WIB")


def test_day_names_are_exactly_the_ones_customers_see():
    assert DAY_NAMES == ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu")   # "Jumat", not "Jum'at"
    assert DAY_NAMES[date(2026, 11, 27).weekday()] == "Jumat"


def test_month_names_are_exactly_the_ones_customers_see():
    assert MONTH_NAMES == ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
                           "Oktober", "November", "Desember")
    assert SHORT_MONTH_NAMES == ("Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des")
