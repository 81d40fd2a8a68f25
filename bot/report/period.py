"""The report's period from the command line, in WIB.

``--until`` is a day (``2026-12-07``: up to the end of that day) or a moment (``2026-12-07T12:00``, WIB unless
it names its offset); without it, now. ``--since`` is a number of whole days ending with the ``--until`` day
(``7d``: that day and the six before, from midnight), a number of hours before ``--until`` (``24h``), a
day or a moment.
"""
from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta
from typing import Optional

from bot.analytics.metrics import Period
from bot.tickets.model import WIB

_RELATIVE = re.compile(r"^\s*(\d{1,4})\s*([dh])\s*$", re.IGNORECASE)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=WIB)


def _moment(text: str) -> Optional[datetime]:
    """A WIB-aware moment from ``YYYY-MM-DDTHH:MM[:SS][+07:00]``; None when ``text`` is only a day."""
    if len(text.strip()) <= 10:
        return None
    value = datetime.fromisoformat(text.strip())
    return value.replace(tzinfo=WIB) if value.tzinfo is None else value


def parse_until(text: Optional[str], now: datetime) -> datetime:
    """End of the period (exclusive)."""
    if not text:
        return now
    moment = _moment(text)
    return moment if moment else _midnight(date.fromisoformat(text.strip()) + timedelta(days=1))


def parse_since(text: str, until: datetime) -> datetime:
    """Start of the period (inclusive), given its end."""
    relative = _RELATIVE.match(text)
    if relative:
        amount, unit = int(relative.group(1)), relative.group(2).lower()
        if amount < 1:
            raise ValueError("--since needs at least 1 day or hour")
        if unit == "h":
            return until - timedelta(hours=amount)
        last_day = (until - timedelta(microseconds=1)).astimezone(WIB).date()
        return _midnight(last_day - timedelta(days=amount - 1))
    moment = _moment(text)
    return moment if moment else _midnight(date.fromisoformat(text.strip()))


def parse_period(since: str, until: Optional[str], now: datetime) -> Period:
    """The period ``--since``/``--until`` describe (ValueError when they do not make one)."""
    end = parse_until(until, now)
    return Period(parse_since(since, end), end)
