"""nlu.transactions (TXIDs per network, platform ids, bank references, bank accounts) and the per-network
address check at the end of nlu.addresses (``solana_address_ok``, ``validate_address_for_network``)."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.addresses import (
    FAMILY_NAMES,
    NETWORK_FAMILIES,
    eip55_checksum,
    solana_address_ok,
    validate_address_for_network,
)
from nlu.transactions import (
    BankAccount,
    bank_reference_candidates,
    check_txid,
    find_bank_account,
    txid_attempts,
    txid_candidates,
)
from tests.unit.personal_data_samples import base58 as base58_encode
from tests.unit.personal_data_samples import base58check as base58check_encode

HEX64 = "3a1f" * 16
TRON_USDT = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
EVM_CHECKSUMMED = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"
BTC_SEGWIT = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"
BTC_LEGACY = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"


# --- TXIDs -----------------------------------------------------------------------------------------

def test_txid_candidates_in_order_of_appearance():
    text = f"TXID: 0x{'ab' * 32}, id penarikan WD-20261125-8812"
    assert txid_candidates(text) == ["0x" + "ab" * 32, "WD-20261125-8812"]


@pytest.mark.parametrize(("text", "expected"), [
    ("WD-20261125-8812 gagal", ["WD-20261125-8812"]),
    ("id DP1234567", ["DP1234567"]),
    ("nomor invoice INV_20261100042 ya", ["INV_20261100042"]),
    ("txid " + HEX64, [HEX64]),
])
def test_txid_candidates_find_hashes_and_platform_ids(text, expected):
    assert txid_candidates(text) == expected


@pytest.mark.parametrize("text", [
    "TRX123",                       # too short for a platform id
    "ref ABC-123",                  # no platform prefix followed by digits
    "withdraw saya gagal",          # "wd"-like words without digits
    "a" * 63,                       # one character short of a hash
    "a" * 65,                       # one too many: not a hash either
    "deposit 100 USDT",
])
def test_txid_candidates_ignore_non_references(text):
    assert txid_candidates(text) == []


@pytest.mark.parametrize("network", ["ERC20", "BEP20", "POLYGON", "ARBITRUM"])
def test_evm_txid_is_canonical_lowercase_with_0x(network):
    check = check_txid(HEX64.upper(), network)
    assert check == check_txid("0x" + HEX64, network)
    assert check.valid and check.value == "0x" + HEX64.lower()


@pytest.mark.parametrize("network", ["TRC20", "TRON", "BTC", None, "TON"])
def test_non_evm_txid_is_canonical_lowercase_without_0x(network):
    for reference in (HEX64.upper(), "0x" + HEX64):
        check = check_txid(reference, network)
        assert check.valid and check.value == HEX64.lower()


def test_upper_case_0x_prefix_is_accepted():
    text = "txid 0X" + HEX64
    assert txid_candidates(text) == ["0X" + HEX64]
    assert check_txid("0X" + HEX64, "ERC20").value == "0x" + HEX64
    assert check_txid("0X" + HEX64, "TRC20").value == HEX64


def test_hex_txid_is_rejected_for_solana_with_reason():
    check = check_txid(HEX64, "SOL")
    assert not check.valid and "Solana" in check.reason


def test_solana_signature_accepted_for_solana_or_unknown_network_only():
    signature = base58_encode(bytes(range(1, 65)))
    assert 86 <= len(signature) <= 88
    assert txid_candidates(f"sig {signature} ok") == [signature]
    assert check_txid(signature, "SOL") == check_txid(signature, None)
    assert check_txid(signature, "SOL").valid and check_txid(signature, "SOL").value == signature
    assert not check_txid(signature, "ERC20").valid
    assert not check_txid(signature, "TRC20").valid


def test_base58_run_that_is_not_64_bytes_is_not_a_signature():
    not_a_signature = base58_encode(b"\xff" * 60)
    check = check_txid(not_a_signature, "SOL")
    assert not check.valid and "Solana" in check.reason and "heksadesimal" not in check.reason


def test_short_hex_on_solana_gets_the_solana_hint():
    check = check_txid("abc123", "SOL")
    assert not check.valid and "Base58" in check.reason and "64" not in check.reason


@pytest.mark.parametrize(("reference", "length"), [("abc123", 6), ("a" * 63, 63), ("0x" + "f" * 40, 40)])
def test_short_hex_is_explained_with_its_length(reference, length):
    check = check_txid(reference, "ERC20")
    assert not check.valid and f"{length} karakter" in check.reason and "64" in check.reason


def test_unrecognised_txid_reason():
    check = check_txid("z" * 80, None)
    assert not check.valid and "tidak dikenali" in check.reason and check.value == "z" * 80


def test_platform_id_is_valid_on_any_network_and_upper_cased():
    for network in ("ERC20", "TRC20", "SOL", None):
        check = check_txid(" wd-20261125-8812 ", network)
        assert check.valid and check.value == "WD-20261125-8812"


def test_txid_attempts_need_a_digit_and_twenty_characters():
    assert txid_attempts("hash abc123def456ghi789jkl0 ok") == ["abc123def456ghi789jkl0"]
    assert txid_attempts("pesan tanpa angka abcdefghijklmnopqrstuvwxyz") == []
    assert txid_attempts("pendek abc123") == []


@settings(max_examples=40)
@given(st.binary(min_size=32, max_size=32), st.sampled_from(list(NETWORK_FAMILIES)))
def test_any_hex_txid_round_trips(raw, network):
    check = check_txid(raw.hex(), network)
    if NETWORK_FAMILIES[network] == "solana":
        assert not check.valid
    else:
        assert check.valid and check.value.removeprefix("0x") == raw.hex()
        assert check.value.startswith("0x") == (NETWORK_FAMILIES[network] == "evm")


# --- Bank references and accounts ------------------------------------------------------------------

def test_bank_reference_candidates_skip_amounts():
    assert bank_reference_candidates("transfer Rp 1.500.000 ref 1234567890") == ["1234567890"]
    assert bank_reference_candidates("ref 20261125ABC123") == ["20261125ABC123"]
    assert bank_reference_candidates("berita 2026 ok") == []      # too short
    assert bank_reference_candidates("transfer 1,5 jt") == []


@pytest.mark.parametrize(("text", "bank", "last4", "full"), [
    ("BCA 1234", "BCA", "1234", False),
    ("rek bca ****5678", "BCA", "5678", False),
    ("BNI xx9876", "BNI", "9876", False),
    ("bca 1234567890", "BCA", "7890", True),
    ("mandiri 1234-5678-9012", "MANDIRI", "9012", True),
    ("bank rakyat indonesia 0012 3456", "BRI", "3456", True),
    ("BCA a.n. budi 1234", "BCA", "1234", False),
    ("transfer 1,5 jt ke BCA 1234", "BCA", "1234", False),   # the amount is not the account
    ("BRI", "BRI", None, False),
    ("BCA 123", "BCA", None, False),                         # 3 digits are not an account ending
    ("jam 10:30 bca", "BCA", None, False),                   # a time is not an account ending
    ("1234", None, "1234", False),
])
def test_find_bank_account(text, bank, last4, full):
    assert find_bank_account(text) == BankAccount(bank, last4, full)


def test_find_bank_account_ignores_addresses_and_says_nothing_without_bank_or_digits():
    assert find_bank_account(f"{TRON_USDT} BCA") == BankAccount("BCA", None, False)
    assert find_bank_account("halo kak") is None
    assert find_bank_account("bca " + "1" * 23).last4 is None   # too long to be an account number


def test_bank_account_display_never_shows_more_than_last4():
    assert BankAccount("BCA", "1234", True).display() == "BCA ••••1234"
    assert BankAccount(None, "1234").display() == "••••1234"
    assert BankAccount("BRI", None).display() == "BRI"


@settings(max_examples=60)
@given(st.sampled_from(["BCA", "bca", "BRI", "BNI", "Mandiri", "rek BCA", "rekening bri no", "CIMB Niaga"]),
       st.text(alphabet="0123456789", min_size=4, max_size=16))
def test_any_account_number_after_a_bank_yields_its_last4(bank, number):
    account = find_bank_account(f"{bank} {number}")
    assert account is not None and account.bank is not None
    assert account.last4 == number[-4:]
    assert account.full_number_given == (len(number) > 6)
    assert number not in account.display() or len(number) == 4


# --- Address per network ---------------------------------------------------------------------------

def test_solana_address_ok():
    assert solana_address_ok(base58_encode(bytes(range(32))))
    assert solana_address_ok("11111111111111111111111111111111")     # the system program: 32 zero bytes
    assert not solana_address_ok(TRON_USDT)                          # 25 bytes
    assert not solana_address_ok("0" * 40)                           # not Base58
    assert not solana_address_ok(base58_encode(b"\xff" * 40))        # too long


@pytest.mark.parametrize(("address", "network", "family"), [
    (TRON_USDT, "TRC20", "tron"), (TRON_USDT, "TRON", "tron"), (" " + TRON_USDT + " ", "TRC20", "tron"),
    (EVM_CHECKSUMMED, "ERC20", "evm"), (EVM_CHECKSUMMED.lower(), "BEP20", "evm"),
    (EVM_CHECKSUMMED, "POLYGON", "evm"), (EVM_CHECKSUMMED, "ARBITRUM", "evm"),
    (BTC_SEGWIT, "BTC", "btc"), (BTC_LEGACY, "BTC", "btc"), (TRON_USDT, None, "tron"),
])
def test_address_fits_its_network(address, network, family):
    check = validate_address_for_network(address, network)
    assert check.valid and check.family == family and check.reason is None


@pytest.mark.parametrize(("address", "network", "family"), [
    (TRON_USDT, "ERC20", "tron"), (TRON_USDT, "BEP20", "tron"), (EVM_CHECKSUMMED, "TRC20", "evm"),
    (BTC_SEGWIT, "ERC20", "btc"), (EVM_CHECKSUMMED, "BTC", "evm"),
])
def test_address_of_another_family_explains_the_mismatch(address, network, family):
    check = validate_address_for_network(address, network)
    assert not check.valid and check.family == family
    assert check.reason == f"alamat ini berformat {FAMILY_NAMES[family]}, bukan jaringan {network}"


def test_unchecked_networks_are_reported_as_such():
    for network in ("XRP", "TON", "BEP2"):
        assert validate_address_for_network(TRON_USDT, network) == validate_address_for_network("xyz", network)
        assert validate_address_for_network("xyz", network).reason == "unchecked"


def test_solana_network_requires_a_solana_key():
    assert validate_address_for_network(base58_encode(bytes(range(32))), "SOL").valid
    check = validate_address_for_network(TRON_USDT, "SOL")
    assert not check.valid and check.family == "solana" and "Solana" in check.reason


def test_broken_checksum_keeps_the_checksum_reason():
    broken = TRON_USDT[:-1] + ("u" if TRON_USDT[-1] != "u" else "v")
    check = validate_address_for_network(broken, "TRC20")
    assert not check.valid and check.family == "tron" and "checksum" in check.reason


@settings(max_examples=40)
@given(st.binary(min_size=20, max_size=20))
def test_any_tron_address_fits_trc20_only(body):
    address = base58check_encode(b"\x41" + body)
    assert validate_address_for_network(address, "TRC20").valid
    assert validate_address_for_network(address, None).family == "tron"
    for network in ("ERC20", "BEP20", "BTC", "SOL"):
        assert not validate_address_for_network(address, network).valid


@settings(max_examples=40)
@given(st.binary(min_size=20, max_size=20), st.sampled_from([0x00, 0x05]))
def test_any_btc_address_fits_btc_only(body, version):
    address = base58check_encode(bytes([version]) + body)
    assert validate_address_for_network(address, "BTC").valid
    for network in ("ERC20", "TRC20", "SOL"):
        assert not validate_address_for_network(address, network).valid


@settings(max_examples=30)
@given(st.binary(min_size=20, max_size=20))
def test_any_evm_address_fits_evm_networks_only(raw):
    address = eip55_checksum("0x" + raw.hex())
    for network in ("ERC20", "BEP20", "POLYGON", "ARBITRUM", None):
        check = validate_address_for_network(address, network)
        assert check.valid and check.family == "evm"
    for network in ("TRC20", "BTC", "SOL"):
        assert not validate_address_for_network(address, network).valid


@settings(max_examples=80)
@given(st.binary(min_size=32, max_size=32))
def test_any_solana_key_is_accepted_when_the_network_is_unknown(raw):
    """Keys whose Base58 form starts with 1, 3 or T must not be taken for a broken BTC/TRON address."""
    address = base58_encode(raw)
    assert validate_address_for_network(address, "SOL").valid
    check = validate_address_for_network(address, None)
    assert check.valid and check.family == "solana"
    assert not validate_address_for_network(address, "TRC20").valid


@pytest.mark.parametrize("prefix", ["1", "3", "T"])
def test_solana_keys_that_look_like_btc_or_tron(prefix):
    raw = next(bytes([i, j]) + bytes(30) for i in range(256) for j in range(256)
               if base58_encode(bytes([i, j]) + bytes(30)).startswith(prefix))
    check = validate_address_for_network(base58_encode(raw), None)
    assert check.valid and check.family == "solana"
