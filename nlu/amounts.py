"""Parse Indonesian money and crypto amounts, written in digits or in words.

Understood: digits written the Indonesian or the English way (``Rp 1.500.000``, ``Rp 2.500.000,00``,
``1,5 jt``, ``Rp1,5jt``, ``500rb``, ``250k``, ``0,05 BTC``), compounds (``2 jt 500rb``, ``2jt500rb``,
``1jt 250 ribu``, ``2jt 500``) and number words (``dua juta``, ``sejuta``, ``setengah juta``, ``tiga setengah juta``,
``satu koma lima juta``, ``seratus dua puluh lima ribu``, ``dua ratus lima puluh rb``, ``1 setengah jt``).

How text is read:

- A plain number is no amount: it needs ``Rp``/``IDR``, a scale (``rb``, ``jt``, ``ribu``) or a currency
  after it (``rupiah``, a coin), so dates, times and account digits stay out. Words follow the same rule:
  ``lima ratus`` is no amount, ``lima ratus ribu`` and ``lima ratus rupiah`` are. A scale followed by a
  counted noun is no amount either (``seribu kali``, ``sejuta orang``).
- ``m``/``M`` is ambiguous: Indonesians write it for miliar (``Rp 1,5 M``) and, after English, for million
  (``15m``), in either case and with or without ``IDR`` (``15M IDR``). Such an amount has two readings
  (``value`` is the juta reading, ``alternatives`` the miliar one) and is only yielded when asked for
  (``include_ambiguous``), so nothing stores a guess. ``miliar``/``milyar`` and ``jt``/``juta`` are certain.
  ``5m yg lalu`` and ``5m ago`` are minutes (a time), never an amount.
- A three-digit tail after juta or miliar is the next lower scale, as said aloud: ``dua juta lima ratus``
  and ``2jt 500`` are Rp 2.500.000 (write ``Rp 2.000.500`` for the other reading). A shorter tail is left
  out of the amount (``dua juta lima hari lalu``: a date follows). After ribu a tail is units
  (``seribu lima ratus`` is 1.500).
- Parts join only from a larger scale to a smaller one (``2 jt 500rb``), so ``1jt 2jt`` stays two amounts.
- After ``koma`` digits are read one by one: ``dua koma dua lima juta`` is 2,25 juta.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from decimal import Decimal, InvalidOperation
from typing import Iterator, List, Optional, Sequence, Tuple

from nlu.vocabulary import is_ambiguous_lowercase, vocabulary

THOUSAND, MILLION, BILLION = Decimal(1_000), Decimal(1_000_000), Decimal(1_000_000_000)
_MULTIPLIERS = {
    "rb": THOUSAND, "ribu": THOUSAND, "k": THOUSAND, "rebu": THOUSAND,
    "jt": MILLION, "juta": MILLION, "jeti": MILLION,
    "miliar": BILLION, "milyar": BILLION,
}
_AMBIGUOUS_MULTIPLIER = "m"   # juta or miliar
_NUMBER = r"\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?|\d+(?:[.,]\d+)?"
_MULT = r"rb|ribu|rebu|k|jt|juta|jeti|miliar|milyar|m"
_MINUTES_AGO = re.compile(r"\s*(?:(?:yang|yg|yng)\s+)?(?:lalu|lalau|lalo|yll|sebelumnya|ke\s?belakang|ago)(?!\w)",
                          re.IGNORECASE)
_COUNTED = re.compile(r"\s*(?:kali|kl|x|orang|org|umat|persen|tahun|thn|bulan|bln|minggu|mgg|pekan|hari|hr|jam|"
                      r"menit|mnt|detik|dtk)(?!\w)", re.IGNORECASE)


def _unit_pattern() -> str:
    aliases = sorted({a for a in vocabulary().coins if " " not in a}, key=len, reverse=True)
    return "|".join(re.escape(a) for a in aliases)


_GLUED = r"(?<=jt|rb)|(?<=juta|ribu)"   # "2jt500rb": the next part may follow a scale without a space
AMOUNT_PATTERN = re.compile(
    rf"(?:(?<![\w.,])|{_GLUED})(?:(?P<rp>rp\.?|idr)\s*)?(?P<num>{_NUMBER})\s*(?P<mult>{_MULT})?\.?"
    rf"(?:\s*(?P<unit>rupiah|idr|{_unit_pattern()}))?(?:(?![\w])|(?:{_GLUED})(?=\d))",
    re.IGNORECASE,
)
_UNIT_AFTER = re.compile(rf"\s*(?P<unit>rupiah|idr|{_unit_pattern()})(?!\w)", re.IGNORECASE)
_RP_BEFORE = re.compile(r"(?<![\w.,])(?:rp\.?|idr)\s*$", re.IGNORECASE)
_YEAR_BEFORE = re.compile(r"(?<!\w)(?:tahun|thn|th)\s+$", re.IGNORECASE)   # "tahun dua ribu dua puluh enam"


@dataclass(frozen=True)
class Amount:
    """A parsed amount; ``currency`` is ``IDR``, a coin ticker, or None when unstated.

    ``alternatives`` holds the other readings of an ambiguous amount (``15m``: ``value`` 15 juta,
    alternative 15 miliar); it is empty when the reading is certain.
    """

    value: Decimal
    currency: Optional[str]
    start: int
    end: int
    alternatives: Tuple[Decimal, ...] = ()

    @property
    def ambiguous(self) -> bool:
        """True when the text may mean more than one value; ask before storing any of them."""
        return bool(self.alternatives)

    @property
    def readings(self) -> Tuple[Decimal, ...]:
        """Every value the text may mean, smallest first."""
        return (self.value, *self.alternatives)

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


# --- pieces: what one stretch of text says, before compounds are joined -----------------------------

@dataclass(frozen=True)
class _Piece:
    value: Decimal
    currency: Optional[str]
    start: int
    end: int
    scale: Optional[Decimal] = None        # the last scale written ("juta" in "2 juta")
    prefixed: bool = False                 # "Rp"/"IDR" before it
    unit: bool = False                     # a currency or coin after it
    alternatives: Tuple[Decimal, ...] = ()
    tail: bool = False                     # three plain digits: an amount only after "jt" ("2jt 500")


def _currency(unit: Optional[str]) -> Optional[str]:
    if not unit:
        return None
    return "IDR" if unit.lower() in ("rupiah", "idr") else vocabulary().coins[unit.lower()]


def _digit_pieces(text: str) -> Iterator[_Piece]:
    """Amounts in digits (``Rp 1.500.000``, ``1,5 jt``, ``15m``) and three-digit tails (``500``)."""
    for match in AMOUNT_PATTERN.finditer(text):
        rp, num, mult, unit = match.group("rp"), match.group("num"), match.group("mult"), match.group("unit")
        end = match.end()
        if unit and is_ambiguous_lowercase(unit):
            unit, end = None, len(text[:match.start("unit")].rstrip())   # "1 ada di hp lama": a word, not ADA
        mult = mult.lower() if mult else None
        if mult == _AMBIGUOUS_MULTIPLIER and _MINUTES_AGO.match(text, match.end("mult")):
            continue                                                     # "5m yg lalu": five minutes ago
        tail = not (rp or mult or unit) and len(num) == 3 and num.isdigit() and not _COUNTED.match(text, end)
        if not (rp or mult or unit or tail):
            continue
        currency = _currency(unit) or ("IDR" if rp or mult else None)
        value = parse_number(num, crypto=currency not in (None, "IDR"))
        if value is None:
            continue
        scale = _MULTIPLIERS.get(mult) if mult else None
        alternatives: Tuple[Decimal, ...] = ()
        if mult == _AMBIGUOUS_MULTIPLIER:
            value, alternatives = value * MILLION, (value * BILLION,)
        elif scale:
            value *= scale
        yield _Piece(value, currency, match.start(), end, scale, bool(rp), bool(unit), alternatives, tail)


# --- number words ------------------------------------------------------------------------------------

_DIGIT_WORDS = {"nol": 0, "satu": 1, "dua": 2, "tiga": 3, "empat": 4, "lima": 5, "enam": 6, "tujuh": 7,
                "delapan": 8, "sembilan": 9}
_SE_NUMBERS = {"sepuluh": 10, "sebelas": 11}
_SE_SCALES = {"seribu": THOUSAND, "sejuta": MILLION, "semiliar": BILLION, "semilyar": BILLION}
_HALF = frozenset({"setengah", "stengah"})
_NUMBER_WORDS = frozenset(_DIGIT_WORDS) | frozenset(_SE_NUMBERS) | frozenset(_SE_SCALES) | _HALF | frozenset(
    {"belas", "puluh", "ratus", "seratus", "koma"})
_WORD_SCALES = {word: scale for word, scale in _MULTIPLIERS.items() if word != "k"}
_TOKEN = re.compile(r"(?<![\w.,:/])\d{1,3}(?![\w]|[.,:/]\d)|(?<!\w)[a-z]+(?!\w)")


class _Words:
    """A cursor over the lowercase tokens of one run of number words."""

    def __init__(self, words: Sequence[str], at: int = 0) -> None:
        self.words, self.at = words, at

    def peek(self, ahead: int = 0) -> str:
        index = self.at + ahead
        return self.words[index] if index < len(self.words) else ""

    def take(self, count: int = 1) -> None:
        self.at += count


def _digit(word: str) -> Optional[int]:
    """``lima`` or ``5``: one digit, else None."""
    if word.isdigit() and len(word) == 1:
        return int(word)
    return _DIGIT_WORDS.get(word)


def _below_hundred(words: _Words) -> Optional[int]:
    """``sepuluh``, ``sebelas``, ``tujuh belas``, ``dua puluh lima``, ``lima``."""
    if words.peek() in _SE_NUMBERS:
        value = _SE_NUMBERS[words.peek()]
        words.take()
        return value
    digit = _digit(words.peek())
    if not digit:
        return None
    if words.peek(1) == "belas":
        words.take(2)
        return 10 + digit
    if words.peek(1) == "puluh":
        words.take(2)
        ones = _digit(words.peek())
        if ones:
            words.take()
        return digit * 10 + (ones or 0)
    words.take()
    return digit


def _below_thousand(words: _Words) -> Optional[int]:
    """A group of 1-999: ``seratus dua puluh lima``, ``lima ratus``, ``2 ratus``, or digits (``250``)."""
    word = words.peek()
    if word.isdigit() and len(word) > 1:
        words.take()
        return int(word) or None
    hundreds = 0
    if word == "seratus":
        hundreds = 100
        words.take()
    elif (digit := _digit(word)) and words.peek(1) == "ratus":
        hundreds = digit * 100
        words.take(2)
    rest = _below_hundred(words)
    return hundreds + (rest or 0) or None


def _decimals(words: _Words) -> str:
    """The digits after ``koma``, read one by one (``dua lima`` is ``25``) or as written (``25``)."""
    if words.peek().isdigit():
        digits = words.peek()
        words.take()
        return digits
    digits = ""
    while _digit(words.peek()) is not None:
        digits += str(_digit(words.peek()))
        words.take()
    return digits


def _quantity(words: _Words) -> Optional[Decimal]:
    """How many of a scale: ``setengah``, ``tiga setengah``, ``satu koma lima``, ``seratus dua puluh lima``."""
    if words.peek() in _HALF:
        words.take()
        return Decimal("0.5")
    group = _below_thousand(words)
    if group is None:
        return None
    if words.peek() in _HALF and words.peek(1) in _WORD_SCALES:
        words.take()
        return group + Decimal("0.5")
    if words.peek() == "koma":
        start = words.at
        words.take()
        digits = _decimals(words)
        if digits:
            return Decimal(f"{group}.{digits}")
        words.at = start
    return Decimal(group)


def _part(words: _Words) -> Optional[Tuple[Decimal, Decimal, bool]]:
    """One scaled part: ``sejuta``, ``dua juta``, ``setengah juta``, ``sejuta setengah``; (value, scale, whole)."""
    start = words.at
    quantity: Optional[Decimal]
    if words.peek() in _SE_SCALES:
        quantity, scale = Decimal(1), _SE_SCALES[words.peek()]
        words.take()
    else:
        quantity = _quantity(words)
        if quantity is None or words.peek() not in _WORD_SCALES:
            words.at = start
            return None
        scale = _WORD_SCALES[words.peek()]
        words.take()
    whole = quantity == quantity.to_integral_value()
    if whole and words.peek() in _HALF:      # "sejuta setengah", "dua juta setengah"
        words.take()
        return (quantity + Decimal("0.5")) * scale, scale, False
    return quantity * scale, scale, whole


def _read_words(words: _Words, counted_after: bool) -> Optional[Tuple[Decimal, bool]]:
    """The amount the words start with, as (value, has a scale); ``counted_after``: a noun such as ``hari``
    follows the run, so a last small group belongs to it ("lima ratus ribu dua hari lalu")."""
    total, last_scale, whole = Decimal(0), None, True
    while whole:
        start = words.at
        part = _part(words)
        if part is None:
            break
        value, scale, whole = part
        if last_scale is not None and scale >= last_scale:
            words.at = start
            break
        total, last_scale = total + value, scale
    if last_scale is None:
        quantity = _quantity(words)
        return (quantity, False) if quantity is not None else None
    if whole:
        start = words.at
        group = _below_thousand(words)
        at_end = words.at == len(words.words)
        if group is None or (at_end and counted_after) or (last_scale >= MILLION and not 100 <= group <= 999):
            words.at = start
        else:
            total += group * (last_scale / THOUSAND if last_scale >= MILLION else 1)
    return total, True


def _runs(lowered: str) -> Iterator[List[Tuple[str, int, int]]]:
    """Runs of number-word tokens separated only by spaces, each with at least one number word."""
    run: List[Tuple[str, int, int]] = []
    for match in _TOKEN.finditer(lowered):
        word = match.group(0)
        known = word in _NUMBER_WORDS or word in _WORD_SCALES or word.isdigit()
        if known and run and lowered[run[-1][2]:match.start()].isspace():
            run.append((word, match.start(), match.end()))
            continue
        if any(w in _NUMBER_WORDS for w, _, _ in run):
            yield run
        run = [(word, match.start(), match.end())] if known else []
    if any(w in _NUMBER_WORDS for w, _, _ in run):
        yield run


def _word_piece(text: str, run: Sequence[Tuple[str, int, int]], first: int, stop: int, value: Decimal,
                scaled: bool, counted_after: bool) -> Optional[_Piece]:
    """The amount that tokens ``first:stop`` of ``run`` spell, if it has a scale, ``Rp`` before it or a currency
    after it (and no counted noun: ``seribu kali``)."""
    start, end = run[first][1], run[stop - 1][2]
    at_end = stop == len(run)
    prefix = _RP_BEFORE.search(text, max(0, start - 8), start)
    unit_match = _UNIT_AFTER.match(text, end) if at_end else None
    unit = unit_match.group("unit") if unit_match and not is_ambiguous_lowercase(unit_match.group("unit")) else None
    if not (scaled or prefix or unit) or value <= 0 or (at_end and counted_after and not unit):
        return None
    if _YEAR_BEFORE.search(text, max(0, start - 8), start):
        return None
    last = run[stop - 1][0]
    return _Piece(value, _currency(unit) or "IDR", prefix.start() if prefix else start,
                  unit_match.end() if unit_match and unit else end, _WORD_SCALES.get(last) or _SE_SCALES.get(last),
                  bool(prefix), bool(unit))


def _word_pieces(text: str) -> Iterator[_Piece]:
    """Amounts in number words: ``dua juta``, ``setengah juta``, ``lima ratus rupiah``, ``setengah BTC``."""
    lowered = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    for run in _runs(lowered):
        tokens = [word for word, _, _ in run]
        counted_after = bool(_COUNTED.match(lowered, run[-1][2]))
        first = 0
        while first < len(run):
            words = _Words(tokens, first)
            read = _read_words(words, counted_after)
            if read is None or not any(w in _NUMBER_WORDS for w in tokens[first:words.at]):
                first += 1
                continue
            piece = _word_piece(text, run, first, words.at, *read, counted_after)
            if piece:
                yield piece
            first = words.at


# --- compounds ----------------------------------------------------------------------------------------

def _continues(head: _Piece, part: _Piece, gap: str) -> bool:
    """``2 jt`` + ``500rb``, ``1jt`` + ``250 ribu``, ``2jt`` + ``500``: a smaller part right after a whole
    number of a scale, with nothing but spaces between."""
    if gap.strip() or head.unit or head.scale is None or head.alternatives or part.alternatives or part.prefixed:
        return False
    if head.value % head.scale:
        return False
    if part.tail:
        return head.scale >= MILLION
    return part.scale is not None and part.scale < head.scale and part.value < head.scale


def _join(head: _Piece, part: _Piece) -> _Piece:
    assert head.scale is not None   # checked by _continues
    value = part.value * head.scale / THOUSAND if part.tail else part.value
    scale = head.scale / THOUSAND if part.tail else part.scale
    return replace(head, value=head.value + value, end=part.end, scale=scale, unit=part.unit,
                   currency=part.currency if part.unit else head.currency)


def _pieces(text: str) -> List[_Piece]:
    """Every piece, leftmost-longest without overlaps (digits win a tie), compounds joined."""
    found = [(p.start, -p.end, 0, p) for p in _digit_pieces(text)]
    found += [(p.start, -p.end, 1, p) for p in _word_pieces(text)]
    chosen: List[_Piece] = []
    for _, _, _, piece in sorted(found, key=lambda f: f[:3]):
        if chosen and piece.start < chosen[-1].end:
            continue
        if chosen and _continues(chosen[-1], piece, text[chosen[-1].end:piece.start]):
            chosen[-1] = _join(chosen[-1], piece)
        else:
            chosen.append(piece)
    return [p for p in chosen if not p.tail]


def find_amounts(text: str, include_ambiguous: bool = False) -> Iterator[Amount]:
    """Yield every amount in ``text`` with its span, in order.

    Ambiguous amounts (``15m``: juta or miliar) are left out unless ``include_ambiguous``; either way no
    part of them is read as another amount.
    """
    for piece in _pieces(text):
        if piece.alternatives and not include_ambiguous:
            continue
        yield Amount(piece.value, piece.currency, piece.start, piece.end, piece.alternatives)
