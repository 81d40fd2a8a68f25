"""nlu.amounts: Indonesian rupiah and crypto amounts, with hypothesis round-trip properties."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from nlu.amounts import Amount, find_amounts, parse_number


def first_amount(text: str) -> Amount | None:
    """The first certain amount in ``text``, or None."""
    return next(find_amounts(text), None)


@pytest.mark.parametrize(
    ("text", "value", "currency"),
    [
        ("Rp 1.500.000", "1500000", "IDR"),
        ("Rp1.500.000", "1500000", "IDR"),
        ("rp. 50.000", "50000", "IDR"),
        ("IDR 250.000", "250000", "IDR"),
        ("Rp 1.500.000,00", "1500000", "IDR"),
        ("1,5 jt", "1500000", "IDR"),
        ("1.5jt", "1500000", "IDR"),
        ("500rb", "500000", "IDR"),
        ("500 ribu", "500000", "IDR"),
        ("2 juta", "2000000", "IDR"),
        ("250k", "250000", "IDR"),
        ("2.5k", "2500", "IDR"),
        ("2 miliar", "2000000000", "IDR"),
        ("10.000 rupiah", "10000", "IDR"),
        ("1,5 juta rupiah", "1500000", "IDR"),
        ("0,05 BTC", "0.05", "BTC"),
        ("0.005 btc", "0.005", "BTC"),
        ("1.500 USDT", "1500", "USDT"),
        ("100USDT", "100", "USDT"),
        ("0,00000001 BTC", "0.00000001", "BTC"),
        ("0.5 bitcoin", "0.5", "BTC"),
        ("1 ethereum", "1", "ETH"),
        ("20 SOL", "20", "SOL"),
    ],
)
def test_first_amount(text, value, currency):
    amount = first_amount(text)
    assert amount is not None
    assert amount.value == Decimal(value)
    assert amount.currency == currency
    assert (amount.start, amount.end) == (0, len(text))


def test_comma_is_a_decimal_separator_for_crypto_but_thousands_for_rupiah():
    assert first_amount("1,234 BTC").value == Decimal("1.234")
    assert first_amount("12,345 IDR").value == Decimal("12345")


def test_amount_inside_a_sentence_has_correct_span():
    text = "min saya wd Rp 1.500.000 ke BCA kok belum masuk"
    (amount,) = list(find_amounts(text))
    assert text[amount.start:amount.end] == "Rp 1.500.000"
    assert amount.canonical() == "1500000 IDR"


def test_several_amounts_are_found_in_order():
    text = "kirim 50 USDT dan depo 1jt"
    found = list(find_amounts(text))
    assert [a.canonical() for a in found] == ["50 USDT", "1000000 IDR"]
    assert [text[a.start:a.end] for a in found] == ["50 USDT", "1jt"]


@pytest.mark.parametrize(
    "text",
    [
        "20/11 jam 14:30",
        "tanggal 20/11 jam 14:30 saya transfer",
        "rek 1234",
        "rek 1234567890 bca",
        "harga 5000",
        "1.500.000",  # bare number, no currency or multiplier
        "versi 1.2.3",
        "3 jam",
        "2x gagal",
        "",
    ],
)
def test_dates_times_and_bare_numbers_are_not_amounts(text):
    assert list(find_amounts(text)) == []
    assert first_amount(text) is None


@pytest.mark.parametrize(
    ("amount_text", "canonical"),
    [("Rp 1.500.000", "1500000 IDR"), ("1,5 jt", "1500000 IDR"), ("0,05 BTC", "0.05 BTC"),
     ("0.00000001 BTC", "0.00000001 BTC"), ("1.000.000,50 idr", "1000000.5 IDR")],
)
def test_canonical_form(amount_text, canonical):
    assert first_amount(amount_text).canonical() == canonical


@pytest.mark.parametrize(
    ("text", "crypto", "expected"),
    [
        ("1.500", False, "1500"),
        ("1.500", True, "1500"),
        ("1,500", False, "1500"),
        ("1,500", True, "1.5"),
        ("1,5", False, "1.5"),
        ("1.5", False, "1.5"),
        ("0,500", False, "0.5"),
        ("0.500", False, "0.5"),
        ("1.500.000", False, "1500000"),
        ("1.500.000,50", False, "1500000.50"),
        ("1,500,000.50", False, "1500000.50"),
    ],
)
def test_parse_number(text, crypto, expected):
    assert parse_number(text, crypto=crypto) == Decimal(expected)


@pytest.mark.parametrize("text", ["", "   ", "abc"])
def test_parse_number_rejects_non_numbers(text):
    assert parse_number(text) is None


# ---- properties -----------------------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_rupiah_with_dot_thousands_round_trips(n):
    text = f"Rp {n:,}".replace(",", ".")
    amount = first_amount(text)
    assert amount is not None
    assert amount.value == n
    assert amount.currency == "IDR"
    assert text[amount.start:amount.end] == text


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**15))
def test_rupiah_round_trips_inside_a_sentence(n):
    text = f"tolong cek wd Rp{n:,} ke rek BCA".replace(",", ".")
    (amount,) = list(find_amounts(text))
    assert amount.value == n
    assert amount.currency == "IDR"


_TICKERS = st.sampled_from(["BTC", "ETH", "USDT", "SOL", "XRP", "DOGE", "btc", "usdt", "eth"])


@settings(max_examples=400, deadline=None)
@given(st.integers(min_value=0, max_value=10**12), st.integers(min_value=0, max_value=8), _TICKERS)
def test_crypto_amount_with_comma_decimals_round_trips(mantissa, places, ticker):
    value = Decimal(mantissa).scaleb(-places)   # up to 8 decimals
    written = format(value, "f").replace(".", ",")
    text = f"kirim {written} {ticker} ke wallet"
    (amount,) = list(find_amounts(text))
    assert amount.value == value
    assert amount.currency == ticker.upper()
    assert text[amount.start:amount.end] == f"{written} {ticker}"


# ---- number words ---------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("dua juta", "2000000"),
        ("sejuta", "1000000"),
        ("satu juta", "1000000"),
        ("setengah juta", "500000"),
        ("lima ratus ribu", "500000"),
        ("satu koma lima juta", "1500000"),
        ("dua koma dua lima juta", "2250000"),     # after "koma" the digits are read one by one
        ("1 koma 25 juta", "1250000"),
        ("seratus dua puluh lima ribu", "125000"),
        ("tiga setengah juta", "3500000"),
        ("1 setengah jt", "1500000"),
        ("sejuta setengah", "1500000"),
        ("dua ratus lima puluh rb", "250000"),
        ("2 ratus rb", "200000"),
        ("sebelas ribu", "11000"),
        ("tujuh belas juta", "17000000"),
        ("seribu lima ratus", "1500"),             # after ribu a tail is units
        ("dua juta lima ratus ribu", "2500000"),
        ("dua juta lima ratus", "2500000"),        # a three-digit tail after juta: as said aloud
        ("satu miliar dua ratus juta", "1200000000"),
        ("semiliar", "1000000000"),
        ("DUA JUTA", "2000000"),
        ("Rp lima ratus ribu", "500000"),
        ("lima ratus rupiah", "500"),
        ("tiga ribu lima ratus lima puluh rupiah", "3550"),
    ],
)
def test_number_words(text, value):
    (amount,) = list(find_amounts(text))
    assert amount.value == Decimal(value)
    assert amount.currency == "IDR"
    assert (amount.start, amount.end) == (0, len(text))


@pytest.mark.parametrize(("text", "canonical"), [("setengah BTC", "0.5 BTC"), ("seratus USDT", "100 USDT"),
                                                 ("dua koma lima ETH", "2.5 ETH")])
def test_number_words_with_a_coin(text, canonical):
    assert first_amount(text).canonical() == canonical


@pytest.mark.parametrize(
    ("text", "span", "value"),
    [
        ("min wd saya dua juta belum masuk", "dua juta", "2000000"),
        ("dua juta lima hari lalu", "dua juta", "2000000"),           # "lima hari lalu" is a date
        ("dua juta lima puluh kak", "dua juta", "2000000"),           # only a three-digit tail joins
        ("depo lima ratus ribu dua hari lalu", "lima ratus ribu", "500000"),
        ("kemarin jam dua siang wd sejuta", "sejuta", "1000000"),
        ("saldo setengah juta, kok hilang", "setengah juta", "500000"),
    ],
)
def test_number_words_in_a_sentence(text, span, value):
    (amount,) = list(find_amounts(text))
    assert text[amount.start:amount.end] == span
    assert amount.value == Decimal(value)


@pytest.mark.parametrize(
    "text",
    ["lima ratus", "dua hari lalu", "setengah jam lalu", "jam setengah 3 sore", "jam dua siang", "satu", "koma",
     "seribu kali saya coba", "sejuta umat", "dua juta orang", "tunggu sebelas hari", "setengah", "dua puluh tiga",
     "tahun dua ribu dua puluh enam"],
)
def test_number_words_without_a_scale_or_currency_are_not_amounts(text):
    assert list(find_amounts(text, include_ambiguous=True)) == []


# ---- compounds ------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2 jt 500rb", "2500000"),
        ("2jt500rb", "2500000"),
        ("1jt 250 ribu", "1250000"),
        ("Rp1,5jt", "1500000"),
        ("Rp 2.500.000,00", "2500000"),
        ("2jt 500", "2500000"),                    # a three-digit tail after jt: ribu
        ("Rp 1 miliar 200 juta", "1200000000"),
        ("1 miliar 200 jt 50 rb", "1200050000"),
        ("sejuta 500rb", "1500000"),
        ("dua juta 500 ribu", "2500000"),
        ("2 jt 500rb rupiah", "2500000"),
    ],
)
def test_compounds(text, value):
    (amount,) = list(find_amounts(text))
    assert amount.value == Decimal(value)
    assert amount.currency == "IDR"
    assert (amount.start, amount.end) == (0, len(text))


@pytest.mark.parametrize(
    ("text", "canonicals"),
    [
        ("1jt 2jt", ["1000000 IDR", "2000000 IDR"]),              # not smaller: two amounts
        ("1,5jt 500rb", ["1500000 IDR", "500000 IDR"]),           # only a whole number of juta takes a tail
        ("500rb 1jt", ["500000 IDR", "1000000 IDR"]),
        ("2jt, 500rb", ["2000000 IDR", "500000 IDR"]),            # something between: two amounts
        ("1jt Rp 500rb", ["1000000 IDR", "500000 IDR"]),
        ("1jt rupiah 500rb", ["1000000 IDR", "500000 IDR"]),
        ("2jt 50", ["2000000 IDR"]),                              # only a three-digit tail joins
        ("2jt 500 kali", ["2000000 IDR"]),
        ("wd 2jt 20/11", ["2000000 IDR"]),
        ("2jt 100 USDT", ["2000000 IDR", "100 USDT"]),
    ],
)
def test_parts_that_do_not_join(text, canonicals):
    assert [a.canonical() for a in find_amounts(text)] == canonicals


# ---- ambiguous "m" --------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "readings", "currency"),
    [
        ("15m", ("15000000", "15000000000"), "IDR"),
        ("15M", ("15000000", "15000000000"), "IDR"),
        ("15 M", ("15000000", "15000000000"), "IDR"),
        ("15M IDR", ("15000000", "15000000000"), "IDR"),
        ("Rp 1,5 M", ("1500000", "1500000000"), "IDR"),
        ("rp15m", ("15000000", "15000000000"), "IDR"),
        ("0,5m", ("500000", "500000000"), "IDR"),
        ("2m USDT", ("2000000", "2000000000"), "USDT"),
    ],
)
def test_m_may_be_juta_or_miliar(text, readings, currency):
    assert list(find_amounts(text)) == [] and first_amount(text) is None   # never a guess by default
    (amount,) = list(find_amounts(text, include_ambiguous=True))
    assert amount.ambiguous
    assert amount.readings == tuple(Decimal(r) for r in readings)
    assert amount.currency == currency
    assert (amount.start, amount.end) == (0, len(text))


@pytest.mark.parametrize(("text", "value"), [("15 miliar", "15000000000"), ("15 milyar", "15000000000"),
                                             ("15 jt", "15000000"), ("15 juta", "15000000"), ("15 mil", None)])
def test_spelled_out_scales_are_certain(text, value):
    found = list(find_amounts(text, include_ambiguous=True))
    assert [a.value for a in found] == ([Decimal(value)] if value else [])
    assert not any(a.ambiguous for a in found)


@pytest.mark.parametrize("text", ["5m yg lalu", "5m yang lalu", "5 m lalu", "5m ago", "5M AGO", "5 menit lalu",
                                  "udah 30m yll", "15m sebelumnya"])
def test_minutes_ago_are_never_amounts(text):
    assert list(find_amounts(text, include_ambiguous=True)) == []


def test_an_ambiguous_amount_does_not_hide_the_certain_ones():
    text = "wd 15m, biaya 5rb"
    assert [a.canonical() for a in find_amounts(text)] == ["5000 IDR"]
    assert [a.ambiguous for a in find_amounts(text, include_ambiguous=True)] == [True, False]


# ---- properties: words, compounds, "m" --------------------------------------------------------------

_ONES = ("", "satu", "dua", "tiga", "empat", "lima", "enam", "tujuh", "delapan", "sembilan")
_SCALE_WORDS = ((10**9, ("miliar", "milyar"), "semiliar"), (10**6, ("juta", "jt"), "sejuta"),
                (10**3, ("ribu", "rb"), "seribu"))


def spell_group(n: int) -> str:
    """1-999 in Indonesian words, written independently of the parser."""
    hundreds, rest = divmod(n, 100)
    words = ["seratus"] if hundreds == 1 else [_ONES[hundreds], "ratus"] if hundreds else []
    if rest == 10:
        words.append("sepuluh")
    elif rest == 11:
        words.append("sebelas")
    elif 12 <= rest <= 19:
        words += [_ONES[rest - 10], "belas"]
    elif rest >= 20:
        tens, ones = divmod(rest, 10)
        words += [_ONES[tens], "puluh"] + ([_ONES[ones]] if ones else [])
    elif rest:
        words.append(_ONES[rest])
    return " ".join(words)


def spell(n: int, se: bool = True, short: bool = False) -> str:
    """``n`` in words: ``dua juta lima ratus ribu``; ``se``: ``sejuta`` (else ``satu juta``); ``short``: ``jt``."""
    words = []
    for scale, names, se_word in _SCALE_WORDS:
        group = n // scale % 1000
        if group == 1 and se:
            words.append(se_word)
        elif group:
            words += [spell_group(group), names[1] if short else names[0]]
    if n % 1000:
        words.append(spell_group(n % 1000))
    return " ".join(words)


def _said_aloud_clash(n: int) -> bool:
    """``dua juta lima ratus`` is read as said aloud (2.500.000), so 2.000.500 cannot be spelled that way."""
    return n >= 10**6 and n // 1000 % 1000 == 0 and n % 1000 != 0


_AROUND = st.sampled_from(["", "wd saya ", "min, depo ", "kemarin transfer ", "saldo tinggal ", "tolong cek "])
_AFTER = st.sampled_from(["", " belum masuk", " kak", ", tolong dicek", "!", " ke BCA", " dari kemarin"])
_CASE = st.sampled_from([str, str.upper, str.title])


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1000, max_value=999_999_999_999), st.booleans(), st.booleans(), _AROUND, _AFTER, _CASE)
def test_spelled_numbers_round_trip(n, se, short, before, after, case):
    assume(not _said_aloud_clash(n))
    words = case(spell(n, se, short))
    text = f"{before}{words}{after}"
    (amount,) = list(find_amounts(text, include_ambiguous=True))
    assert amount.value == n and amount.currency == "IDR" and not amount.ambiguous
    assert text[amount.start:amount.end] == words


@settings(max_examples=150, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.sampled_from(["rupiah", "USDT", "BTC"]), _AROUND)
def test_spelled_numbers_below_a_thousand_need_a_currency(n, unit, before):
    words = spell(n)
    assert list(find_amounts(f"{before}{words}", include_ambiguous=True)) == []
    (amount,) = list(find_amounts(f"{before}{words} {unit}"))
    assert amount.value == n and amount.currency == ("IDR" if unit == "rupiah" else unit)


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.sampled_from([(10**3, "ribu"), (10**6, "juta"), (10**9, "miliar")]),
       st.integers(min_value=0, max_value=99), st.booleans())
def test_setengah_and_koma(n, scale, decimals, half):
    size, word = scale
    digits = f"{decimals:02d}".rstrip("0") or "0"
    if half:
        text, expected = f"{spell(n)} setengah {word}", (Decimal(n) + Decimal("0.5")) * size
    else:
        text, expected = f"{spell(n)} koma {' '.join(_ONES[int(c)] or 'nol' for c in digits)} {word}", \
            Decimal(f"{n}.{digits}") * size
    (amount,) = list(find_amounts(text))
    assert amount.value == expected and (amount.start, amount.end) == (0, len(text))


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.integers(min_value=100, max_value=999), st.booleans())
def test_three_digit_tail_after_juta_is_ribu(millions, tail, words):
    text = f"{spell(millions)} juta {spell(tail)}" if words else f"{millions}jt {tail}"
    (amount,) = list(find_amounts(text))
    assert amount.value == millions * 10**6 + tail * 10**3


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.integers(min_value=0, max_value=999),
       st.sampled_from(["jt", "juta", " jt", " juta", "jt "]), st.sampled_from(["rb", "ribu", " rb", " ribu", "k"]),
       st.sampled_from(["", "Rp", "Rp ", "rp."]), st.sampled_from([" ", "", "  "]), _AROUND, _AFTER)
def test_generated_compounds(millions, thousands, jt, rb, rp, gap, before, after):
    compound = f"{rp}{millions}{jt}{gap}{thousands}{rb}".strip()
    assume(not compound.endswith("jt") or gap)
    text = f"{before}{compound}{after}"
    (amount,) = list(find_amounts(text))
    assert amount.value == millions * 10**6 + thousands * 10**3 and amount.currency == "IDR"
    assert text[amount.start:amount.end] == compound


_M_NUMBERS = st.one_of(st.integers(min_value=1, max_value=9999).map(str),
                       st.tuples(st.integers(1, 999), st.integers(1, 9)).map(lambda p: f"{p[0]},{p[1]}"))


@settings(max_examples=300, deadline=None)
@given(_M_NUMBERS, st.sampled_from(["m", "M", " m", " M"]), st.sampled_from(["", "Rp", "Rp ", "IDR "]),
       st.sampled_from(["", " IDR", " rupiah"]), _AROUND, _AFTER)
def test_m_is_always_ambiguous(number, m, rp, unit, before, after):
    written = f"{rp}{number}{m}{unit}"
    text = f"{before}{written}{after}"
    assert list(find_amounts(text)) == []
    (amount,) = list(find_amounts(text, include_ambiguous=True))
    base = parse_number(number)
    assert amount.readings == (base * 10**6, base * 10**9)
    assert text[amount.start:amount.end] == written


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=999), st.sampled_from(["m", "M", " m"]),
       st.sampled_from([" yg lalu", " yang lalu", " lalu", " ago", " yll"]), _AROUND)
def test_m_before_ago_is_a_time_not_an_amount(n, m, ago, before):
    assert list(find_amounts(f"{before}{n}{m}{ago}", include_ambiguous=True)) == []


_SOUP = st.sampled_from(["dua", "juta", "se", "sejuta", "setengah", "koma", "lima", "ratus", "puluh", "belas", "ribu",
                         "rb", "jt", "m", "M", "rp", "Rp", "500", "2", "1,5", "15m", "usdt", "rupiah", "hari", "kali",
                         "lalu", "yg", "ago", "seribu", "sebelas", ",", ".", "-", "nol", "miliar"])


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=80), st.lists(_SOUP, max_size=12).map(" ".join)))
def test_never_raises_and_spans_are_ordered(text):
    found = list(find_amounts(text, include_ambiguous=True))
    assert [a.start for a in found] == sorted(a.start for a in found)
    for a, b in zip(found, found[1:], strict=False):
        assert a.end <= b.start
    for amount in found:
        assert 0 <= amount.start < amount.end <= len(text)
        assert amount.value > 0 or amount.value == 0 and not amount.ambiguous
        assert all(r > amount.value for r in amount.alternatives)
        amount.canonical()
