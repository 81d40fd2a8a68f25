"""nlu.amounts: Indonesian rupiah and crypto amounts, with hypothesis round-trip properties."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.amounts import find_amounts, parse_amount, parse_number


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
def test_parse_amount(text, value, currency):
    amount = parse_amount(text)
    assert amount is not None
    assert amount.value == Decimal(value)
    assert amount.currency == currency
    assert (amount.start, amount.end) == (0, len(text))


def test_comma_is_a_decimal_separator_for_crypto_but_thousands_for_rupiah():
    assert parse_amount("1,234 BTC").value == Decimal("1.234")
    assert parse_amount("12,345 IDR").value == Decimal("12345")


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
    assert parse_amount(text) is None


@pytest.mark.parametrize(
    ("amount_text", "canonical"),
    [("Rp 1.500.000", "1500000 IDR"), ("1,5 jt", "1500000 IDR"), ("0,05 BTC", "0.05 BTC"),
     ("0.00000001 BTC", "0.00000001 BTC"), ("1.000.000,50 idr", "1000000.5 IDR")],
)
def test_canonical_form(amount_text, canonical):
    assert parse_amount(amount_text).canonical() == canonical


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
    amount = parse_amount(text)
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
