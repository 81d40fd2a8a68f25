"""nlu.tokenization: spaCy Indonesian tokenizer that keeps tickers, addresses and TXIDs whole.

Importing spaCy takes ~20 s here (it pulls in TensorFlow), so every tokenizer test lives in this module.
"""
from __future__ import annotations

import pytest

from nlu.tokenization import tokenize
from tests.unit.samples import BECH32_ADDRESS, EVM_ADDRESS, P2PKH_ADDRESS, TRON_ADDRESS, TXID


def words(text):
    return [w for w, _ in tokenize(text)]


def assert_offsets(text):
    toks = tokenize(text)
    for word, start in toks:
        assert text[start:start + len(word)] == word, (word, start)
    starts = [s for _, s in toks]
    assert starts == sorted(starts)
    return toks


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("USDT", ["USDT"]),
        ("usdt", ["usdt"]),
        ("USDTnya", ["USDT", "nya"]),
        ("usdtnya", ["usdt", "nya"]),
        ("BTCnya udah masuk?", ["BTC", "nya", "udah", "masuk", "?"]),
        ("TRC20nya", ["TRC20", "nya"]),
        ("100USDT", ["100", "USDT"]),
        ("100usdt", ["100", "usdt"]),
        ("1,5USDT", ["1,5", "USDT"]),
        ("kirim 0,5BTC", ["kirim", "0,5", "BTC"]),
        ("100 USDT", ["100", "USDT"]),
        ("USDT-TRC20", ["USDT", "-", "TRC20"]),
        ("(USDT)", ["(", "USDT", ")"]),
        ("USDT?", ["USDT", "?"]),
        ("usdc/usdt", ["usdc", "/", "usdt"]),
        ("erc20", ["erc20"]),
        ("trc20", ["trc20"]),
    ],
)
def test_tickers_are_never_split(text, expected):
    assert words(text) == expected
    assert_offsets(text)


@pytest.mark.parametrize("code", [EVM_ADDRESS, TRON_ADDRESS, BECH32_ADDRESS, P2PKH_ADDRESS, TXID, "0x" + TXID])
def test_addresses_and_txids_stay_one_token(code):
    text = f"tolong cek {code}, sudah benar?"
    toks = assert_offsets(text)
    assert (code, text.index(code)) in toks
    assert words(text) == ["tolong", "cek", code, ",", "sudah", "benar", "?"]


def test_trailing_punctuation_is_split_from_addresses():
    assert words(f"ke {BECH32_ADDRESS}.") == ["ke", BECH32_ADDRESS, "."]


def test_email_stays_one_token():
    assert words("email saya a.b@gmail.com ya") == ["email", "saya", "a.b@gmail.com", "ya"]


def test_indonesian_number_stays_one_token():
    assert words("wd 1.500.000 ke rek") == ["wd", "1.500.000", "ke", "rek"]


def test_offsets_with_irregular_spacing():
    text = "  halo   kak,\tmau wd 100USDT  "
    toks = assert_offsets(text)
    assert toks == [("halo", 2), ("kak", 9), (",", 12), ("mau", 14), ("wd", 18), ("100", 21), ("USDT", 24)]


@pytest.mark.parametrize("text", ["", "   ", "\n\t "])
def test_whitespace_only_gives_no_tokens(text):
    assert tokenize(text) == []


def test_full_message_offsets():
    text = f"Min, wd 250 USDTnya via TRC20 ke {TRON_ADDRESS} blm masuk!! txid {TXID}"
    toks = assert_offsets(text)
    assert [w for w, _ in toks] == ["Min", ",", "wd", "250", "USDT", "nya", "via", "TRC20", "ke", TRON_ADDRESS,
                                    "blm", "masuk", "!", "!", "txid", TXID]
