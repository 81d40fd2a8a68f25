"""Indonesian labels and number, date and duration formats shared by the report's charts and HTML."""
from __future__ import annotations

from datetime import date, datetime
from typing import Optional, Union

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal, format_percent

from bot.tickets.model import WIB
from bot.tickets.render import CATEGORY_LABELS, PRIORITY_LABELS

LOCALE = "id"
MISSING = "–"
CHANNEL_LABELS = {"telegram": "Telegram", "whatsapp": "WhatsApp", "socketio": "Web chat", "webchat": "Web chat",
                  "rest": "REST API", "unknown": "Tidak diketahui"}
GAP_REASON_LABELS = {"clarification": "Perlu klarifikasi", "fallback": "Tidak dipahami",
                     "not_helpful": "Belum membantu"}
INCIDENT_KIND_LABELS = {"notice": "Pemberitahuan operator", "spike": "Lonjakan terdeteksi"}
SECRET_KIND_LABELS = {"seed_phrase": "seed phrase", "private_key": "private key", "extended_private_key": "private key",
                      "password": "kata sandi", "otp": "kode OTP"}

__all__ = ["CATEGORY_LABELS", "PRIORITY_LABELS", "CHANNEL_LABELS", "GAP_REASON_LABELS", "INCIDENT_KIND_LABELS",
           "SECRET_KIND_LABELS", "channel_label", "day_label", "day_name", "moment", "percent", "number", "duration"]


def channel_label(channel: str) -> str:
    """``socketio`` → ``Web chat``; unknown names as they are."""
    return CHANNEL_LABELS.get(channel, channel)


def _as_date(day: Union[str, date]) -> date:
    return date.fromisoformat(day) if isinstance(day, str) else day


def day_label(day: Union[str, date]) -> str:
    """``Sel, 1 Des`` (short weekday and month, Indonesian)."""
    return format_date(_as_date(day), "EEE, d MMM", locale=LOCALE)


def day_name(day: Union[str, date]) -> str:
    """``Selasa, 1 Desember 2026``."""
    return format_date(_as_date(day), "EEEE, d MMMM y", locale=LOCALE)


def moment(at: Union[str, datetime, None]) -> str:
    """``1 Des 2026 14.30 WIB`` for an aware datetime or ISO text; ``–`` for none."""
    if at is None:
        return MISSING
    value = datetime.fromisoformat(at) if isinstance(at, str) else at
    return format_datetime(value.astimezone(WIB), "d MMM y HH.mm", tzinfo=WIB, locale=LOCALE) + " WIB"


def percent(fraction: Optional[float]) -> str:
    """``12,3%``; ``–`` when there was nothing to count."""
    return MISSING if fraction is None else format_percent(fraction, "#,##0.0%", locale=LOCALE)


def number(value: Optional[float], decimals: int = 0) -> str:
    """``100.000`` / ``4,25``; ``–`` for none."""
    if value is None:
        return MISSING
    pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
    return format_decimal(value, pattern, locale=LOCALE)


def duration(minutes: Optional[float]) -> str:
    """Operating time as ``45 mnt`` / ``3 j 05 mnt``; ``–`` for none."""
    if minutes is None:
        return MISSING
    whole = int(round(minutes))
    hours, rest = divmod(whole, 60)
    return f"{rest} mnt" if not hours else f"{hours} j {rest:02d} mnt"
