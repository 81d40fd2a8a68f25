"""nlu.addresses: checksum validation of BTC (Base58Check, Bech32/Bech32m), EVM (EIP-55) and TRON addresses."""
from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.addresses import base58check_payload, eip55_checksum, keccak256, validate_address

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check_encode(payload: bytes) -> str:
    raw = payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4]
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, rest = divmod(number, 58)
        out = ALPHABET[rest] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def test_keccak256_matches_known_digests():
    assert keccak256(b"").hex() == "c5d2460186f7233c927e7db2dcc703c0e500b653ca82273b7bfad8045d85a470"
    assert keccak256(b"abc").hex() == "4e03657aea45a94fc7d47ba826c8d667c0d1e6e33a64a036ec44f58fa12d6c45"


@pytest.mark.parametrize("address", [
    # EIP-55 test vectors
    "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed", "0xfB6916095ca1df60bB79Ce92cE3Ea74c37c5d359",
    "0xdbF03B407c01E7cD3CBea99509d93f8DDDC8C6FB", "0xD1220A0cf47c7B9Be7A2E6BA89F429762e7b9aDb",
    "0x52908400098527886e0f7030069857d2e4169ee7",  # all lowercase: no checksum to check
    # BIP-173 / BIP-350 mainnet vectors
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4", "BC1QW508D6QEJXTDG4Y5R3ZARVARY0C5XW7KV8F3T4",
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0",
    "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy",
    "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t",
])
def test_valid_addresses(address):
    assert validate_address(address).valid


@pytest.mark.parametrize(("address", "family"), [
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAeD", "evm"),   # one letter's case changed
    ("0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeA", "evm"),     # too short
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5", "btc"),   # bad checksum
    ("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3T4", "btc"),   # mixed case
    # v1 program with a Bech32 (not Bech32m) checksum is invalid under BIP-350
    ("bc1pw508d6qejxtdg4y5r3zarvary0c5xw7kw508d6qejxtdg4y5r3zarvary0c5xw7k7grplx", "btc"),
    ("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3", "btc"),
    ("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u", "tron"),
])
def test_invalid_addresses_say_why(address, family):
    check = validate_address(address)
    assert not check.valid and check.family == family and check.reason


def test_unknown_format():
    check = validate_address("rekening 1234")
    assert not check.valid and check.family is None and check.reason


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=20, max_size=20))
def test_eip55_round_trip_and_single_case_flip(raw):
    address = eip55_checksum("0x" + raw.hex())
    assert validate_address(address).valid
    letters = [i for i, c in enumerate(address) if i > 1 and c.isalpha()]
    if len({address[i].isupper() for i in letters}) == 2:  # mixed case: flipping one letter breaks it
        i = letters[0]
        flipped = address[:i] + address[i].swapcase() + address[i + 1:]
        assert not validate_address(flipped).valid


@settings(max_examples=40, deadline=None)
@given(st.binary(min_size=20, max_size=20), st.sampled_from([0x00, 0x05, 0x41]))
def test_base58check_round_trip_and_corruption(body, version):
    address = base58check_encode(bytes([version]) + body)
    assert base58check_payload(address) == bytes([version]) + body
    assert validate_address(address).valid
    position = len(address) // 2
    replacement = "2" if address[position] != "2" else "3"
    corrupted = address[:position] + replacement + address[position + 1:]
    assert not validate_address(corrupted).valid
