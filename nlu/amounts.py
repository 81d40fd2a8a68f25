"""Parse Indonesian money and crypto amounts: ``Rp 1.500.000``, ``1,5 jt``, ``500rb``, ``0,05 BTC``."""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Iterator, Optional

from nlu.vocabulary import is_ambiguous_lowercase, vocabulary

_MULTIPLIERS = {
    "rb": Decimal(1_000), "ribu": Decimal(1_000), "k": Decimal(1_000), "rebu": Decimal(1_000),
    "jt": Decimal(1_000_000), "juta": Decimal(1_000_000), "jeti": Decimal(1_000_000),
    "m": Decimal(1_000_000_000), "miliar": Decimal(1_000_000_000), "milyar": Decimal(1_000_000_000),
}
_NUMBER = r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_MULT = r"rb|ribu|rebu|k|jt|juta|jeti|miliar|milyar|m"


def _unit_pattern() -> str:
    aliases = sorted({a for a in vocabulary().coins if " " not in a}, key=len, reverse=True)
    return "|".join(re.escape(a) for a in aliases)


AMOUNT_PATTERN = re.compile(
    rf"(?<![\w.,])(?:(?P<rp>rp\.?|idr)\s*)?(?P<num>{_NUMBER})\s*(?P<mult>{_MULT})?\.?"
    rf"(?:\s*(?P<unit>rupiah|idr|{_unit_pattern()}))?(?![\w])",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Amount:
    """A parsed amount; ``currency`` is ``IDR``, a coin ticker, or None when unstated."""

    value: Decimal
    currency: Optional[str]
    start: int
    end: int

    def canonical(self) -> str:
        """Text form such as ``1500000 IDR`` or ``0.05 BTC``."""
        number = format(self.value.normalize(), "f")
        return f"{number} {self.currency}" if self.currency else number


def parse_number(text: str, crypto: bool = False) -> Optional[Decimal]:
    """Parse a number written the Indonesian way (``.`` thousands, ``,`` decimals) or the English way."""
    text = text.strip()
    if not text:
        return None
    dots, commas = text.count("."), text.count(",")
    if dots and commas:
        decimal_sep = "," if text.rfind(",") > text.rfind(".") else "."
        thousands = "." if decimal_sep == "," else ","
        text = text.replace(thousands, "").replace(decimal_sep, ".")
    elif dots > 1 or commas > 1:
        text = text.replace("." if dots > 1 else ",", "")
    elif dots == 1 or commas == 1:
        sep = "." if dots else ","
        head, tail = text.split(sep)
        is_thousands = len(tail) == 3 and head not in ("", "0") and not (crypto and sep == ",")
        text = head + tail if is_thousands else f"{head}.{tail}"
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def find_amounts(text: str) -> Iterator[Amount]:
    """Yield every amount in ``text`` with its span.

    Bare numbers count only with a currency, an ``Rp`` prefix or a multiplier (``rb``, ``jt``),
    so dates, times and account digits are not mistaken for amounts.
    """
    coins = vocabulary().coins
    for match in AMOUNT_PATTERN.finditer(text):
        rp, mult, unit = match.group("rp"), match.group("mult"), match.group("unit")
        if unit and is_ambiguous_lowercase(unit):
            unit = None  # "1 ada di hp lama", "5 ton beras": ordinary words, not coins
        if not (rp or mult or unit):
            continue
        currency: Optional[str] = None
        if unit:
            currency = "IDR" if unit.lower() in ("rupiah", "idr") else coins[unit.lower()]
        elif rp or mult:
            currency = "IDR"
        value = parse_number(match.group("num"), crypto=currency not in (None, "IDR"))
        if value is None:
            continue
        if mult:
            value *= _MULTIPLIERS[mult.lower()]
        yield Amount(value=value, currency=currency, start=match.start(), end=match.end())


def parse_amount(text: str) -> Optional[Amount]:
    """Return the first amount in ``text``, or None."""
    return next(find_amounts(text), None)
