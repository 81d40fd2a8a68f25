"""Show stored report values the way Indonesian customers and agents read them."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation


def format_number(value: Decimal, decimals_allowed: bool) -> str:
    """``1500000`` -> ``1.500.000``; ``0.05`` -> ``0,05`` (Indonesian separators)."""
    text = format(value.normalize(), "f") if decimals_allowed else format(value.quantize(Decimal(1)), "f")
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    whole = whole.lstrip("-")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"{sign}{grouped}" + (f",{fraction}" if fraction else "")


def format_amount(canonical: str) -> str:
    """``1500000 IDR`` -> ``Rp 1.500.000``; ``0.05 BTC`` -> ``0,05 BTC``; anything else unchanged."""
    number, _, currency = canonical.partition(" ")
    try:
        value = Decimal(number)
    except InvalidOperation:
        return canonical
    if not value.is_finite():   # "NaN IDR", "Infinity IDR": not an amount
        return canonical
    if currency == "IDR":
        return f"Rp {format_number(value, decimals_allowed=value != value.to_integral_value())}"
    return f"{format_number(value, decimals_allowed=True)} {currency}".strip()
