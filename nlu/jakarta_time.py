"""Jakarta time and the Indonesian names of days and months, defined once for the whole assistant.

``WIB`` (Waktu Indonesia Barat) is the fixed zone UTC+7: Jakarta has no daylight saving, so no tz database
is needed. The names come from Babel's ``id`` locale (``Jumat``, not ``Jum'at``); tests/unit/test_jakarta_time.py
pins them, because customers and agents read them.
"""
from __future__ import annotations

from datetime import timedelta, timezone
from typing import Tuple

from babel.dates import get_day_names, get_month_names

LOCALE = "id"
WIB = timezone(timedelta(hours=7), "WIB")

_DAYS = get_day_names("wide", locale=LOCALE)
_MONTHS = get_month_names("wide", locale=LOCALE)
_SHORT_MONTHS = get_month_names("abbreviated", locale=LOCALE)

DAY_NAMES: Tuple[str, ...] = tuple(_DAYS[weekday] for weekday in range(7))             # Senin … Minggu
MONTH_NAMES: Tuple[str, ...] = tuple(_MONTHS[month] for month in range(1, 13))         # Januari … Desember
SHORT_MONTH_NAMES: Tuple[str, ...] = tuple(_SHORT_MONTHS[month] for month in range(1, 13))   # Jan … Des
