"""Report form, reading side: steering commands (cancel, don't know, correction, yes/no), Indonesian number
formatting, and ``read_details`` (every detail in one message, or why it is not valid)."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actions.reporting import details as d
from actions.reporting.commands import is_affirm, is_cancel, is_correction, is_deny, is_dont_know
from actions.reporting.formatting import format_amount, format_number
from actions.reporting.reading import Context, Finding, Issue, read_asset, read_details, read_problem
from nlu.datetimes import WIB
from nlu.entities import extract_entities

NOW = datetime(2026, 11, 26, 15, 20, tzinfo=WIB)
HEX64 = "ab" * 32
TRON = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t"
TRON_BROKEN = "TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6u"
EVM = "0x52908400098527886e0f7030069857d2e4169ee7"


def ctx(requested=None, problem=None, asset=None, network=None, **extra) -> Context:
    return Context(requested=requested, problem=problem, asset=asset, network=network, **extra)


def read(text, **context):
    findings, issues, pending = read_details(text, ctx(**context), NOW)
    return {f.slot: f for f in findings}, {i.slot: i for i in issues}, pending


# --- Commands --------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["batal", "Batal!", "gak jadi deh", "ga jadi", "cancel aja", "yaudah batal aja kak",
                                  "stop", "batalkan laporannya", "udahan dulu", "lupakan saja", "gk jd",
                                  "nggak jadi deh kak", "tidak jadi lapor"])
def test_cancel(text):
    assert is_cancel(text)


@pytest.mark.parametrize("text", ["transaksi saya dibatalkan", "penarikan saya batal", "jangan batal",
                                  "kenapa deposit saya dibatalkan?", "ya", "tidak tahu", ""])
def test_not_cancel(text):
    assert not is_cancel(text)


@pytest.mark.parametrize("text", ["tidak tahu", "gak tau", "ga tau kak", "gatau", "lupa", "saya lupa", "lupa kak",
                                  "tidak ingat lagi", "nggak tahu txidnya", "skip", "-", "tidak ada", "gak ada",
                                  "belum ada txidnya", "tdk tahu", "Tidak tahu"])
def test_dont_know(text):
    assert is_dont_know(text)


@pytest.mark.parametrize("text", ["tidak tahu harus bagaimana", "saya tahu", "100 USDT", "ya", "BCA 1234"])
def test_not_dont_know(text):
    assert not is_dont_know(text)


@pytest.mark.parametrize("text", ["eh salah, 2 juta", "ralat", "maksud saya BEP20", "bukan BCA tapi BRI",
                                  "yang bener 2 jt", "Salah!", "koreksi: TRC20", "harusnya kemarin"])
def test_correction(text):
    assert is_correction(text)


@pytest.mark.parametrize("text", ["jumlahnya 2 juta", "salahnya di mana", "kemarin jam 10", "100 USDT"])
def test_not_correction(text):
    assert not is_correction(text)


@pytest.mark.parametrize("text", ["ya", "iya", "Ya!", "ya benar", "sudah benar kak", "oke kirim", "/affirm", "y",
                                  "betul", "ya, kirim ke agen", "Ya, kirim ke agen", "iya kak", "sip", "ok"])
def test_affirm(text):
    assert is_affirm(text)


@pytest.mark.parametrize("text", ["ya tapi jumlahnya salah", "tidak", "batal", "jaringannya BEP20", "/deny"])
def test_not_affirm(text):
    assert not is_affirm(text)


@pytest.mark.parametrize("text", ["tidak", "bukan", "belum benar", "ada yang salah", "no", "/deny", "tidak sesuai",
                                  "gak", "nggak", "salah"])
def test_deny(text):
    assert is_deny(text)


@pytest.mark.parametrize("text", ["ya", "tidak tahu", "jaringannya BEP20", "bukan BCA tapi BRI"])
def test_not_deny(text):
    assert not is_deny(text)


# --- Formatting ------------------------------------------------------------------------------------

@pytest.mark.parametrize(("canonical", "shown"), [
    ("1500000 IDR", "Rp 1.500.000"), ("0.05 BTC", "0,05 BTC"), ("1500000.5 IDR", "Rp 1.500.000,5"),
    ("100 USDT", "100 USDT"), ("1E+3 USDT", "1.000 USDT"), ("2E+6 IDR", "Rp 2.000.000"),
    ("0.00000001 BTC", "0,00000001 BTC"), ("1e-8 BTC", "0,00000001 BTC"), ("1000000 USDT", "1.000.000 USDT"),
    ("100", "100"), ("abc", "abc"), ("", ""), ("pokoknya banyak", "pokoknya banyak"),
    ("NaN IDR", "NaN IDR"), ("Infinity USDT", "Infinity USDT"),
])
def test_format_amount(canonical, shown):
    assert format_amount(canonical) == shown


def test_format_number():
    assert format_number(Decimal("1234567"), decimals_allowed=False) == "1.234.567"
    assert format_number(Decimal("-1234567"), decimals_allowed=True) == "-1.234.567"
    assert format_number(Decimal("1.50"), decimals_allowed=True) == "1,5"
    assert format_number(Decimal("1234.4"), decimals_allowed=False) == "1.234"
    assert format_number(Decimal("0"), decimals_allowed=True) == "0"


@settings(max_examples=60)
@given(st.integers(min_value=1, max_value=10 ** 13))
def test_rupiah_format_round_trips(value):
    shown = format_amount(f"{value} IDR")
    assert shown.startswith("Rp ") and int(shown[3:].replace(".", "")) == value
    assert all(len(group) == 3 for group in shown[3:].split(".")[1:])


@settings(max_examples=60)
@given(st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(10 ** 9), places=8))
def test_crypto_format_round_trips(value):
    shown = format_amount(f"{value} USDT")
    number = shown.removesuffix(" USDT").replace(".", "").replace(",", ".")
    assert Decimal(number) == value


# --- Problem and asset -----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "problem"), [
    ("penarikan rupiah saya gagal", "withdrawal"), ("wd saya nyangkut", "withdrawal"), ("Penarikan", "withdrawal"),
    ("deposit belum masuk", "deposit"), ("topup gagal", "deposit"), ("Deposit", "deposit"),
    ("akun saya diretas", "hacked_account"), ("Akun diretas", "hacked_account"),
    ("ada transaksi aneh, bukan saya", "hacked_account"), ("saya ditipu orang", "fraud"), ("Penipuan", "fraud"),
    ("Lainnya", "other"), ("masalah lain", "other"),
    ("saya tertipu, penarikan ke penipu", "fraud"),   # fraud outranks the withdrawal it mentions
])
def test_read_problem(text, problem):
    assert read_problem(text) == problem


@pytest.mark.parametrize("text", ["halo kak", "lain kali saja", "kemarin jam 10"])
def test_read_problem_none(text):
    assert read_problem(text) is None


@pytest.mark.parametrize(("text", "asset"), [
    ("penarikan rupiah saya gagal", "IDR"), ("Rupiah", "IDR"), ("transfer bank", "IDR"), ("ke BCA", "IDR"),
    ("Rp 1.500.000", "IDR"), ("USDT", "USDT"), ("0,05 BTC", "BTC"), ("deposit eth", "ETH"),
    ("100 USDT lewat bank", "USDT"),   # a coin outranks the rupiah words
    ("halo", None), ("kripto", None),
])
def test_read_asset(text, asset):
    assert read_asset(text, extract_entities(text)) == asset


# --- read_details ----------------------------------------------------------------------------------

def test_activation_reads_problem_and_rupiah():
    found, issues, pending = read("penarikan rupiah saya gagal")
    assert found[d.PROBLEM].value == "withdrawal" and found[d.PROBLEM].display == "Penarikan"
    assert found[d.ASSET].value == "IDR" and found[d.ASSET].display == "Rupiah (IDR)"
    assert set(found) == {d.PROBLEM, d.ASSET} and not issues and pending == (None, None)


def test_one_message_carries_several_details():
    found, issues, _ = read(f"deposit 100 USDT TRC20 belum masuk, txid {HEX64}", problem="deposit")
    assert not issues
    assert {s: f.value for s, f in found.items()} == {d.ASSET: "USDT", d.NETWORK: "TRC20", d.AMOUNT: "100 USDT",
                                                       d.TXID: HEX64}
    assert all(f.status == "valid" for f in found.values())


def test_problem_is_not_reread_once_known_unless_correcting():
    found, _, _ = read("deposit saya belum masuk", problem="withdrawal", requested=d.TIME)
    assert d.PROBLEM not in found
    found, _, _ = read("maksud saya deposit", problem="withdrawal", requested=d.CONFIRMED, correcting=True)
    assert found[d.PROBLEM].value == "deposit"


def test_coin_named_only_as_crypto_is_asked_again():
    found, issues, _ = read("kripto", requested=d.ASSET, problem="withdrawal")
    assert not found and "USDT" in issues[d.ASSET].message


@pytest.mark.parametrize(("coin", "network"), [("BTC", "BTC"), ("SOL", "SOL"), ("TRX", "TRC20")])
def test_native_network_is_inferred_from_the_coin(coin, network):
    found, _, _ = read(coin, requested=d.ASSET, problem="withdrawal")
    assert found[d.NETWORK] == Finding(d.NETWORK, network, network, "inferred", f"jaringan bawaan {coin}")
    found, _, _ = read(coin, requested=d.ASSET, problem="withdrawal", network="BEP20")
    assert d.NETWORK not in found   # a network already given is not replaced by a guess


@pytest.mark.parametrize(("text", "asset", "canonical", "shown"), [
    ("1,5 jt", "IDR", "1500000 IDR", "Rp 1.500.000"),
    ("Rp 1.500.000", "IDR", "1500000 IDR", "Rp 1.500.000"),
    ("1.500.000", "IDR", "1500000 IDR", "Rp 1.500.000"),        # a bare number counts when the amount is asked
    ("500rb", "IDR", "500000 IDR", "Rp 500.000"),
    ("100", "USDT", "100 USDT", "100 USDT"),
    ("1,500", "USDT", "1.5 USDT", "1,5 USDT"),                   # crypto: the comma is a decimal comma
    ("0,05 BTC", "BTC", "0.05 BTC", "0,05 BTC"),
    ("2 juta", None, "2000000 IDR", "Rp 2.000.000"),
])
def test_amounts(text, asset, canonical, shown):
    found, issues, _ = read(text, requested=d.AMOUNT, problem="withdrawal", asset=asset)
    assert found[d.AMOUNT].value == canonical and found[d.AMOUNT].display == shown and not issues


@pytest.mark.parametrize("text", ["kemarin jam 10", "20/11 14:30", "tanggal 25", "jam 9 pagi"])
def test_numbers_of_a_time_are_not_a_bare_amount(text):
    found, _, _ = read(text, requested=d.AMOUNT, problem="withdrawal", asset="IDR")
    assert d.AMOUNT not in found and d.TIME in found


def test_bare_amount_next_to_a_time():
    found, _, _ = read("tanggal 25 jam 10, 1.500.000", requested=d.AMOUNT, problem="withdrawal", asset="IDR")
    assert found[d.AMOUNT].value == "1500000 IDR" and found[d.TIME].value == "2026-11-25 10:00 WIB"


def test_bare_number_is_not_an_amount_unless_asked():
    found, _, _ = read("1500000", requested=d.TIME, problem="withdrawal", asset="IDR")
    assert d.AMOUNT not in found


@pytest.mark.parametrize("text", ["0", "Rp 0", "20000000000000"])
def test_amount_out_of_range_is_explained(text):
    found, issues, _ = read(text, requested=d.AMOUNT, problem="withdrawal", asset="IDR")
    assert d.AMOUNT not in found
    assert "1,5 jt" in issues[d.AMOUNT].message and issues[d.AMOUNT].note == "jumlah di luar batas"


def test_time_is_canonical_and_displayed_in_wib():
    found, issues, _ = read("kemarin jam 10", requested=d.TIME, problem="withdrawal", asset="IDR")
    assert found[d.TIME].value == "2026-11-25 10:00 WIB"
    assert found[d.TIME].display == "Rabu, 25 November 2026 pukul 10.00 WIB" and not issues


def test_future_time_is_explained():
    found, issues, _ = read("besok jam 10", requested=d.TIME, problem="withdrawal", asset="IDR")
    assert d.TIME not in found
    assert "masa depan" in issues[d.TIME].message and "27 November 2026" in issues[d.TIME].message


def test_numbers_of_an_amount_are_not_read_as_a_time():
    found, _, _ = read("Rp 1.500.000", requested=d.AMOUNT, problem="withdrawal", asset="IDR")
    assert d.TIME not in found


def test_txid_valid_and_canonical_for_evm():
    found, _, _ = read(f"txid {HEX64.upper()}", requested=d.TXID, problem="withdrawal", asset="USDT",
                       network="ERC20")
    assert found[d.TXID].value == "0x" + HEX64


def test_short_hash_is_explained():
    found, issues, _ = read("hashnya 12ab34cd56ef78ab90cd12ef34ab56cd78ef90ab", requested=d.TXID,
                            problem="withdrawal", asset="USDT", network="TRC20")
    assert d.TXID not in found
    assert "40 karakter" in issues[d.TXID].message and "tidak tahu" in issues[d.TXID].message


def test_hex_txid_on_solana_is_explained():
    _, issues, _ = read(HEX64, requested=d.TXID, problem="deposit", asset="SOL", network="SOL")
    assert "Solana" in issues[d.TXID].message


def test_rupiah_reference_is_read_as_txid_only_when_asked():
    found, _, _ = read("ref 20261125ABC123", requested=d.TXID, problem="withdrawal", asset="IDR")
    assert found[d.TXID].value == "20261125ABC123"
    found, _, _ = read("ref 20261125ABC123", requested=d.TIME, problem="withdrawal", asset="IDR")
    assert d.TXID not in found


def test_full_account_number_is_never_kept_as_a_reference():
    found, _, _ = read("BCA 1234567890", requested=d.TXID, problem="withdrawal", asset="IDR")
    assert d.TXID not in found
    assert found[d.BANK_ACCOUNT].value == "BCA ••••7890"
    assert all("1234567890" not in f.value for f in found.values())


def test_address_valid_for_its_network():
    found, issues, _ = read(TRON, requested=d.ADDRESS, problem="withdrawal", asset="USDT", network="TRC20")
    assert found[d.ADDRESS].value == TRON and found[d.ADDRESS].status == "valid" and not issues
    assert d.NETWORK not in found


def test_address_tells_the_network_when_unknown():
    found, _, _ = read(TRON, requested=d.ADDRESS, problem="withdrawal", asset="USDT")
    assert found[d.NETWORK] == Finding(d.NETWORK, "TRC20", "TRC20", "inferred", "disimpulkan dari format alamat")
    found, _, _ = read(EVM, requested=d.ADDRESS, problem="withdrawal", asset="USDT")
    assert found[d.ADDRESS].value == EVM and d.NETWORK not in found   # ERC20 or BEP20: cannot tell


def test_broken_address_explained_with_an_example():
    found, issues, _ = read(TRON_BROKEN, requested=d.ADDRESS, problem="withdrawal", asset="USDT", network="TRC20")
    assert d.ADDRESS not in found
    issue = issues[d.ADDRESS]
    assert "checksum" in issue.message and "mis. TR7NHq" in issue.message and issue.note
    assert issue == Issue(d.ADDRESS, issue.message, "checksum Base58Check tidak valid")


def test_address_of_another_network_explained_with_the_expected_example():
    _, issues, _ = read(TRON, requested=d.ADDRESS, problem="withdrawal", asset="USDT", network="ERC20")
    message = issues[d.ADDRESS].message
    assert "bukan jaringan ERC20" in message and "0x" in message and "mis. 0x5290" in message


def test_address_of_unchecked_network_is_kept_unverified():
    xrp = "rMQ98K56yXJbDGv49ZSmW51sLn94Xe1mu1"
    found, issues, _ = read(xrp, requested=d.ADDRESS, problem="withdrawal", asset="XRP", network="XRP")
    assert found[d.ADDRESS].status == "unverified" and "XRP" in found[d.ADDRESS].note and not issues


def test_short_0x_address_is_explained_when_asked():
    _, issues, _ = read("0x5290840009852788", requested=d.ADDRESS, problem="withdrawal", asset="USDT",
                        network="ERC20")
    assert "40 karakter" in issues[d.ADDRESS].message


def test_bank_account_keeps_last4_only():
    found, _, pending = read("bca 1234567890", requested=d.BANK_ACCOUNT, problem="withdrawal", asset="IDR")
    account = found[d.BANK_ACCOUNT]
    assert account.value == account.display == "BCA ••••7890" and "4 digit terakhir" in account.note
    assert pending == (None, None)


def test_bank_account_in_two_halves():
    found, _, pending = read("BNI", requested=d.BANK_ACCOUNT, problem="withdrawal", asset="IDR")
    assert d.BANK_ACCOUNT not in found and pending == ("BNI", None)
    found, _, pending = read("1234", requested=d.BANK_ACCOUNT, problem="withdrawal", asset="IDR",
                             pending_bank="BNI")
    assert found[d.BANK_ACCOUNT].value == "BNI ••••1234" and pending == (None, None)
    found, _, pending = read("Mandiri", requested=d.BANK_ACCOUNT, problem="withdrawal", asset="IDR",
                             pending_last4="5678")
    assert found[d.BANK_ACCOUNT].value == "MANDIRI ••••5678" and pending == (None, None)


def test_bank_named_in_another_answer_is_remembered():
    found, _, pending = read("penarikan ke BCA gagal")
    assert pending == ("BCA", None) and found[d.ASSET].value == "IDR"


@pytest.mark.parametrize(("text", "requested"), [
    ("1500000", d.AMOUNT), ("tgl 25-11-2026 jam 10", d.TIME), ("ref 20261125ABC123", d.TXID),
    ("25 november 2026", d.TIME),
])
def test_digits_of_other_answers_are_not_an_account_ending(text, requested):
    _, _, pending = read(text, requested=requested, problem="withdrawal", asset="IDR")
    assert pending == (None, None)


def test_description_needs_two_words_and_is_cut():
    found, _, _ = read("ok", requested=d.DESCRIPTION, problem="other")
    assert d.DESCRIPTION not in found
    found, _, _ = read("saldo  saya\nhilang", requested=d.DESCRIPTION, problem="other")
    assert found[d.DESCRIPTION].value == "saldo saya hilang"
    found, _, _ = read("kata " * 400, requested=d.DESCRIPTION, problem="other")
    assert len(found[d.DESCRIPTION].value) == 1000
    found, _, _ = read("saldo saya hilang", requested=d.TIME, problem="other")
    assert d.DESCRIPTION not in found


def test_redacted_secret_alone_is_not_a_description():
    found, _, _ = read("[DIHAPUS: seed phrase]", requested=d.DESCRIPTION, problem="hacked_account")
    assert d.DESCRIPTION not in found
    found, _, _ = read("akun dibobol, ini seed saya [DIHAPUS: seed phrase]", requested=d.DESCRIPTION,
                       problem="hacked_account")
    assert found[d.DESCRIPTION].value.startswith("akun dibobol")


# --- Never raise -----------------------------------------------------------------------------------

CONTEXTS = st.builds(Context, requested=st.sampled_from((None,) + d.FORM_SLOTS),
                     problem=st.sampled_from((None,) + d.PROBLEMS), asset=st.sampled_from([None, "IDR", "USDT", "SOL"]),
                     network=st.sampled_from([None, "TRC20", "ERC20", "SOL", "XRP"]),
                     pending_bank=st.sampled_from([None, "BCA"]), pending_last4=st.sampled_from([None, "1234"]),
                     correcting=st.booleans())
PIECES = ["0x", "T", "bc1", "1", "3", "rp", "jt", "rb", "BCA", "1234", "/", "-", ":", ".", ",", " ", "ya", "batal",
          "tidak tahu", "USDT", "TRC20", "kemarin", "jam", "\x00", "\u200b", "🙂", HEX64, "WD-2026", "salah", "\n",
          "9" * 30, "abandon ", "deposit", "penarikan", "diretas", "1,5", "0,05 BTC", TRON, TRON_BROKEN, EVM]
TEXTS = st.one_of(st.text(max_size=300),
                  st.binary(max_size=300).map(lambda raw: raw.decode("latin-1")),
                  st.lists(st.sampled_from(PIECES), max_size=40).map("".join))


def _check_result(findings, issues, pending):
    assert all(isinstance(f, Finding) and f.slot in d.DETAIL_SLOTS and f.status in ("valid", "inferred",
               "unverified") for f in findings)
    assert all(isinstance(i, Issue) and i.message for i in issues)
    assert len(pending) == 2
    assert all(len(f.value) <= 1000 for f in findings)


@settings(max_examples=150)
@given(TEXTS, CONTEXTS)
def test_read_details_never_raises(text, context):
    _check_result(*read_details(text, context, NOW))


@settings(max_examples=6)
@given(st.sampled_from(PIECES), st.integers(min_value=10_000, max_value=50_000), CONTEXTS)
def test_read_details_handles_very_long_text(piece, length, context):
    piece += " "
    _check_result(*read_details((piece * (length // len(piece) + 1))[:length], context, NOW))


# --- Input masked at entry (nlu.personal_data, as every channel does before the form reads it) ----------

def masked(text: str) -> str:
    from nlu.personal_data import mask_personal_data
    return mask_personal_data(text)[0]


def test_masked_full_account_keeps_bank_and_last4_and_says_a_full_number_was_given():
    assert masked("bca 1234567890") == "bca ******7890"
    found, _, pending = read(masked("bca 1234567890"), requested=d.BANK_ACCOUNT, problem="withdrawal", asset="IDR")
    assert found[d.BANK_ACCOUNT].value == "BCA ••••7890" and "4 digit terakhir" in found[d.BANK_ACCOUNT].note
    assert pending == (None, None)
    found, _, _ = read(masked("rek mandiri 123-456-789-0123 a.n. Budi, hp 081234567890"),
                       requested=d.BANK_ACCOUNT, problem="withdrawal", asset="IDR")
    assert found[d.BANK_ACCOUNT].value == "MANDIRI ••••0123"


def test_masked_account_without_a_bank_waits_for_the_bank():
    found, _, pending = read(masked("1234567890"), requested=d.BANK_ACCOUNT, problem="withdrawal", asset="IDR")
    assert d.BANK_ACCOUNT not in found and pending == (None, "7890")


def test_masked_bare_number_given_as_a_reference_is_kept_with_its_last4_unverified():
    found, _, _ = read(masked("1234567890123"), requested=d.TXID, problem="withdrawal", asset="IDR")
    assert found[d.TXID].value == "*********0123" and found[d.TXID].status == "unverified"
    assert "4 digit terakhir" in found[d.TXID].note
    found, _, _ = read(masked("ref 1234567890123"), requested=d.TXID, problem="withdrawal", asset="IDR")
    assert found[d.TXID].value == "1234567890123" and found[d.TXID].status == "valid"   # named: never masked
    found, _, _ = read(masked("BCA 1234567890"), requested=d.TXID, problem="withdrawal", asset="IDR")
    assert d.TXID not in found and found[d.BANK_ACCOUNT].value == "BCA ••••7890"          # the account, not a ref


def test_masking_leaves_every_other_detail_readable():
    text = f"wd 100 USDT TRC20 ke {TRON} gagal kemarin jam 10, txid {HEX64}, hp saya 081234567890"
    assert masked(text) == text.replace("081234567890", "0812****7890")
    found, _, _ = read(masked(text), problem="withdrawal")
    assert (found[d.AMOUNT].value, found[d.NETWORK].value, found[d.ADDRESS].value, found[d.TXID].value) == (
        "100 USDT", "TRC20", TRON, HEX64)
    assert found[d.TIME].value == "2026-11-25 10:00 WIB"
