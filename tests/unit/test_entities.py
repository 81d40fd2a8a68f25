"""nlu.entities: rule-based coin, network, bank, amount, TXID and wallet-address extraction."""
from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nlu.amounts import find_amounts
from nlu.entities import TXID_PATTERN, WALLET_PATTERNS, SpanSet, extract_entities
from nlu.vocabulary import vocabulary
from tests.unit.samples import BECH32_ADDRESS, EVM_ADDRESS, P2PKH_ADDRESS, P2SH_ADDRESS, TRON_ADDRESS, TXID


def triples(text):
    return [(e.entity, e.value, text[e.start:e.end]) for e in extract_entities(text)]


def kinds(text):
    return {(e.entity, e.value) for e in extract_entities(text)}


def test_sample_identifiers_have_the_expected_shape():
    assert len(EVM_ADDRESS) == 42 and len(TXID) == 64 and len(TRON_ADDRESS) == 34


def test_full_support_message():
    text = "wd 100 USDT TRC20 ke BCA"
    assert triples(text) == [
        ("amount", "100 USDT", "100 USDT"),
        ("coin", "USDT", "USDT"),
        ("network", "TRC20", "TRC20"),
        ("bank", "BCA", "BCA"),
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("beli bitcoin", {("coin", "BTC")}),
        ("kirim eth via erc20", {("coin", "ETH"), ("network", "ERC20")}),
        ("tether lewat jaringan tron", {("coin", "USDT"), ("network", "TRON")}),
        ("pakai BEP-20", {("network", "BEP20")}),
        ("pakai bep 20", {("network", "BEP20")}),
        ("lewat bnb smart chain", {("network", "BEP20")}),
        ("shiba inu naik", {("coin", "SHIB")}),
        ("rekening bank central asia", {("bank", "BCA")}),
        ("tf dari mandiri", {("bank", "MANDIRI")}),
        ("blu by bca digital", {("bank", "BLU")}),
        ("jaringan bitcoin", {("network", "BTC")}),
    ],
)
def test_vocabulary_entities_are_canonical(text, expected):
    assert kinds(text) == expected


def test_network_phrase_is_not_also_a_coin():
    # "jaringan btc" is the BTC network; the "btc" inside it must not add a coin entity.
    assert triples("kirim lewat jaringan btc dong") == [("network", "BTC", "jaringan btc")]


def test_ticker_with_network_suffix():
    assert triples("USDT-TRC20") == [("coin", "USDT", "USDT"), ("network", "TRC20", "TRC20")]


@pytest.mark.parametrize(
    "text",
    [
        "ada yang bisa bantu?",
        "saya ada dana darurat",
        "dia jago trading",
        "link nya mana min",
        "kirim sol",
        "pakai ovo",
        "beras 5 ton",
    ],
)
def test_ambiguous_lowercase_words_are_not_coin_or_bank(text):
    assert not {e for e in extract_entities(text) if e.entity in ("coin", "bank", "network")}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("depo pake DANA", ("bank", "DANA")),
        ("harga ADA turun", ("coin", "ADA")),
        ("bank jago", ("bank", "JAGO")),
        ("Bank Jago", ("bank", "JAGO")),
        ("rekening JAGO", ("bank", "JAGO")),
        ("kirim SOL", ("coin", "SOL")),
        ("bayar pakai OVO", ("bank", "OVO")),
    ],
)
def test_ambiguous_aliases_count_when_capitalised_or_unambiguous(text, expected):
    assert expected in kinds(text)


@pytest.mark.parametrize(
    ("address", "label"),
    [
        (EVM_ADDRESS, "evm"),
        (EVM_ADDRESS.lower(), "evm"),
        (TRON_ADDRESS, "tron"),
        (BECH32_ADDRESS, "bech32"),
        (P2PKH_ADDRESS, "base58 1..."),
        (P2SH_ADDRESS, "base58 3..."),
    ],
)
def test_wallet_addresses(address, label):
    text = f"tolong cek alamat {address}, udah bener?"
    found = [e for e in extract_entities(text) if e.entity == "wallet_address"]
    assert len(found) == 1, label
    assert found[0].value == address
    assert text[found[0].start:found[0].end] == address


@pytest.mark.parametrize(
    "text",
    [
        "0x" + "ab" * 19,               # 38 hex digits: too short for EVM
        "0x" + "ab" * 20 + "f",         # 41 hex digits: too long
        "0x" + "g" * 40,                # not hex
        "T" + "1" * 20,                 # too short for TRON
        "1" + "0" * 30,                 # '0' is not base58
    ],
)
def test_malformed_addresses_are_rejected(text):
    assert not [e for e in extract_entities(f"alamat {text}") if e.entity == "wallet_address"]


def test_evm_address_inside_other_text_is_not_cut_out():
    glued = "abc" + EVM_ADDRESS
    assert not [e for e in extract_entities(glued) if e.entity == "wallet_address"]


@pytest.mark.parametrize("txid", [TXID, "0x" + TXID, TXID.upper()])
def test_txid(txid):
    text = f"txid {txid} belum masuk"
    assert triples(text) == [("txid", txid, txid)]


def test_txid_is_not_also_a_wallet_address():
    # A 64-hex TXID contains 40-hex substrings; they must not be reported as EVM addresses.
    assert {e.entity for e in extract_entities("0x" + TXID)} == {"txid"}


def test_amount_entity_with_coin_inside():
    text = "saya kirim 0,05 BTC kemarin"
    assert triples(text) == [("amount", "0.05 BTC", "0,05 BTC"), ("coin", "BTC", "BTC")]


def test_rupiah_amount_and_bank():
    text = "transfer Rp 1.500.000 ke BNI via VA"
    assert triples(text) == [("amount", "1500000 IDR", "Rp 1.500.000"), ("bank", "BNI", "BNI")]


def test_dates_and_account_numbers_are_not_amounts():
    assert [e for e in extract_entities("tf tgl 20/11 jam 14:30 ke rek 1234") if e.entity == "amount"] == []


def test_entities_are_sorted_and_spans_index_the_original_text():
    text = (f"Halo min, wd 0,5 ETH lewat ERC20 ke {EVM_ADDRESS} gagal, txid {TXID}. "
            f"Sebelumnya depo Rp 2.000.000 via BCA va dan 1jt dari DANA, USDT ke {TRON_ADDRESS}")
    entities = extract_entities(text)
    vocab = vocabulary()
    assert [e.start for e in entities] == sorted(e.start for e in entities)
    for e in entities:
        surface = text[e.start:e.end]
        assert 0 <= e.start < e.end <= len(text)
        if e.entity in ("txid", "wallet_address"):
            assert surface == e.value
        elif e.entity == "amount":
            assert next(find_amounts(surface)).canonical() == e.value
        else:
            table = {"coin": vocab.coins, "network": vocab.networks, "bank": vocab.banks}[e.entity]
            key = re.sub(r"[\s-]+", " ", surface.lower())
            assert e.value in (table.get(key), table.get(key.replace(" ", "-")), table.get(key.replace(" ", ""))), e
    assert {(e.entity, e.value) for e in entities} >= {
        ("amount", "0.5 ETH"), ("coin", "ETH"), ("network", "ERC20"), ("wallet_address", EVM_ADDRESS),
        ("txid", TXID), ("amount", "2000000 IDR"), ("bank", "BCA"), ("amount", "1000000 IDR"),
        ("bank", "DANA"), ("coin", "USDT"), ("wallet_address", TRON_ADDRESS),
    }
    # Nothing is reported inside an address or a TXID.
    long_spans = [(e.start, e.end) for e in entities if e.entity in ("txid", "wallet_address")]
    for e in entities:
        if e.entity not in ("txid", "wallet_address"):
            assert not any(e.start < end and start < e.end for start, end in long_spans), e


def test_as_dict_has_rasa_shape():
    (entity,) = extract_entities("BCA")
    assert entity.as_dict() == {"entity": "bank", "value": "BCA", "start": 0, "end": 3}


@pytest.mark.parametrize("text", ["", "halo kak", "😭😭"])
def test_no_entities(text):
    assert extract_entities(text) == []


def test_patterns_cover_the_four_address_families():
    assert [name for name, _ in WALLET_PATTERNS] == ["evm", "tron", "btc_bech32", "btc_base58"]
    assert TXID_PATTERN.fullmatch(TXID)


@pytest.mark.parametrize(
    "text",
    ["akun saya 2, yang 1 ada di hp lama", "udah kirim 3 link tapi ga ada yang bisa dibuka", "beras 5 ton"],
)
def test_ambiguous_lowercase_word_after_number_is_not_a_crypto_amount(text):
    assert [e for e in extract_entities(text) if e.entity == "amount"] == []


@pytest.mark.parametrize(("text", "coin"), [("depo USDTnya blm masuk", "USDT"), ("BTCnya udah dikirim", "BTC")])
def test_coin_with_nya_clitic(text, coin):
    assert ("coin", coin) in kinds(text)


@given(st.lists(st.tuples(st.integers(0, 200), st.integers(1, 20)), max_size=30),
       st.integers(0, 220), st.integers(1, 20))
def test_span_set_overlap_matches_a_linear_scan(candidates, start, length):
    spans = SpanSet()
    stored = []
    for begin, size in candidates:
        span = (begin, begin + size)
        if not any(span[0] < end and begin_ < span[1] for begin_, end in stored):
            spans.add(span)
            stored.append(span)
    probe = (start, start + length)
    assert spans.overlaps(probe) == any(probe[0] < end and begin < probe[1] for begin, end in stored)


def test_twenty_thousand_addresses_in_one_message_are_all_extracted():
    text = (TRON_ADDRESS + " ") * 20_000
    found = extract_entities(text)
    assert len(found) == 20_000 and {e.entity for e in found} == {"wallet_address"}
