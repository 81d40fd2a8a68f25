"""nlu.personal_data: NIK, card, account and phone numbers and e-mail addresses are masked; amounts, TXIDs,
addresses, ids, dates and tickers are not."""
from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nlu.personal_data import BANK_ACCOUNT, CARD, EMAIL, NIK, PHONE, is_valid_nik, luhn_valid, mask_personal_data
from nlu.scrub import protect
from nlu.transactions import BankAccount, find_bank_account
from tests.unit import personal_data_samples as samples
from tests.unit.samples import BECH32_ADDRESS, EVM_ADDRESS, P2PKH_ADDRESS, P2SH_ADDRESS, TRON_ADDRESS, TXID

# Where customers put a number in a sentence: first, in the middle, last, glued to punctuation.
TEMPLATES = (
    "{x}", "{x} tolong dicek", "min ini {x}", "kak, {x}, gimana ya", "halo admin\n{x}\nmakasih",
    "tolong bantu ya ({x})", "datanya: {x}.", "udah 3 hari nunggu, {x} gmn kak?", "{x}!!",
)
RNG = st.randoms(use_true_random=False)


def place(template: str, value: str) -> str:
    return template.format(x=value)


def last4_shown(written: str) -> str:
    """``written`` with every digit but the last 4 masked, separators kept."""
    total = sum(char.isdigit() for char in written)
    seen, out = 0, []
    for char in written:
        if char.isdigit():
            seen += 1
            char = char if seen > total - 4 else "*"
        out.append(char)
    return "".join(out)


# --- fixed examples --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "masked", "kinds"), [
    ("NIK saya 3201234501900001 tolong cek", "NIK saya **************** tolong cek", [NIK]),
    ("ktp: 3174055203900012", "ktp: ****************", [NIK]),
    ("3271054107950003", "****************", [NIK]),                              # a woman: day 01 + 40
    ("kartu 4111 1111 1111 1111 kena debet", "kartu **** **** **** 1111 kena debet", [CARD]),
    ("cc 5500-0000-0000-0004", "cc ****-****-****-0004", [CARD]),
    ("amex 3782 822463 10005", "amex **** ****** *0005", [CARD]),
    ("4111111111111111", "************1111", [CARD]),
    ("transfer ke BCA 1234567890 belum masuk", "transfer ke BCA ******7890 belum masuk", [BANK_ACCOUNT]),
    ("rek mandiri 123-00-1234567-8", "rek mandiri *********5678", [BANK_ACCOUNT]),
    ("norek1234567890", "norek******7890", [BANK_ACCOUNT]),
    ("no rek BRI 0123 0100 1234 567", "no rek BRI ***********4567", [BANK_ACCOUNT]),
    ("BCA 123.456.7890", "BCA ******7890", [BANK_ACCOUNT]),
    ("VA 3901081234567890", "VA ************7890", [BANK_ACCOUNT]),
    ("OVO 081234567890", "OVO ********7890", [BANK_ACCOUNT]),                    # an e-wallet account
    ("1234567890", "******7890", [BANK_ACCOUNT]),                                 # a bare long number
    ("hp saya 081234567890", "hp saya 0812****7890", [PHONE]),
    ("wa +62 812-3456-7890 ya", "wa +62 812-****-7890 ya", [PHONE]),
    ("6281234567890", "62812****7890", [PHONE]),
    ("0812.3456.7890", "0812.****.7890", [PHONE]),
    ("telp kantor 021 5550 1234", "telp kantor 021 5*** 1234", [PHONE]),
    ("email budi.santoso@gmail.com", "email b***@gmail.com", [EMAIL]),
    ("Rp 1.500.000 ke BCA 1234567890 a.n. Budi, hp 0813 9876 5432",
     "Rp 1.500.000 ke BCA ******7890 a.n. Budi, hp 0813 **** 5432", [BANK_ACCOUNT, PHONE]),
])
def test_fixed_examples_are_masked(text, masked, kinds):
    assert mask_personal_data(text) == (masked, kinds)


@pytest.mark.parametrize("text", [
    "Rp 1.500.000", "2.000.000,00", "saya tf 15000000", "1,5jt", "0.005 BTC", "Rp 1.500.000.000", "1500000000 IDR",
    "transfer BCA 1.500.000.000", "saldo 2500000000 hilang", f"txid {TXID}", f"0x{TXID}", TXID.upper(),
    EVM_ADDRESS, TRON_ADDRESS, BECH32_ADDRESS, P2PKH_ADDRESS, P2SH_ADDRESS, "order id 123456789012",
    "no. pesanan 20261125000123", "ref 1234567890", "#123456789012", "invoice 9988776655", "UID 123456789",
    "tiket CS-20261125-0001", "WD-20261125-8812", "TRX123456789012", "tgl 25/11/2026 jam 14:30",
    "2026-11-25T14:30:00Z", "25-11-2026 14:30", "20261125143000", "USDT BEP20 TRC20 ERC20", "block 18923456",
    "https://etherscan.io/block/18923456", "saya punya 3 akun, 2 hp", "0812", "kode 12345",
])
def test_numbers_that_are_not_personal_data_stay(text):
    assert mask_personal_data(text) == (text, [])


def test_a_reference_label_keeps_even_a_number_that_looks_like_a_nik():
    assert mask_personal_data("no referensi 3201234501900001")[1] == []
    assert mask_personal_data("rekening BCA 3201234501900001")[1] == [BANK_ACCOUNT]   # the bank word wins
    assert mask_personal_data("NIK 1234567890123456")[1] == [NIK]                      # a named NIK, even invalid


def test_a_phone_named_as_such_is_masked_even_after_a_reference_word():
    assert mask_personal_data("no hp untuk transaksi 081234567890")[1] == [PHONE]
    assert mask_personal_data("id transaksi 081234567890")[1] == []


def test_labels_before_an_earlier_number_belong_to_it():
    masked, kinds = mask_personal_data("rek BCA 1234567890, hp 081234567890 dan 0813-1111-2222")
    assert kinds == [BANK_ACCOUNT, PHONE, PHONE]
    assert masked == "rek BCA ******7890, hp 0812****7890 dan 0813-****-2222"


@pytest.mark.parametrize(("text", "kinds"), [
    ("3273014508850004 itu NIK saya", [NIK]),                                    # named right after it
    ("norek 1234567890 (BCA)", [BANK_ACCOUNT]),
    ("rek BCA 123.456.7890. 5264 7110 3089 2212", [BANK_ACCOUNT, CARD]),          # a new sentence: no bank word
    ("invoice 1805671117\nno KTP 3273014508850004", [NIK]),                      # the next line names another
    ("wa 62885871270365. IDR 614.000.000", [PHONE]),                             # no amount, whatever the IDR after
    ("(debit) dan 20200819202513", []),                                          # a time stamp
])
def test_labels_name_the_number_next_to_them(text, kinds):
    assert mask_personal_data(text)[1] == kinds


def test_a_count_after_an_account_number_is_not_joined_to_it():
    assert mask_personal_data("rek BCA 1234567890 10 kali gagal") == ("rek BCA ******7890 10 kali gagal",
                                                                     [BANK_ACCOUNT])


@pytest.mark.parametrize(("digits", "valid"), [
    ("3201234501900001", True), ("3271054107950003", True), ("9501010101010001", True),
    ("2001234501900001", False),    # 20 is no province
    ("3200234501900001", False),    # regency 00
    ("3201004501900001", False),    # district 00
    ("3201230001900001", False),    # day 00
    ("3201237201900001", False),    # day 72 (women: 41-71)
    ("3201233002900001", False),    # 30 February
    ("3201230113900001", False),    # month 13
    ("3201230101900000", False),    # sequence 0000
    ("320123010190001", False),     # 15 digits
])
def test_nik_structure(digits, valid):
    assert is_valid_nik(digits) is valid


def test_luhn():
    assert luhn_valid("4111111111111111") and luhn_valid("378282246310005")
    assert not luhn_valid("4111111111111112")


def test_report_form_reads_a_masked_account():
    masked, _ = mask_personal_data("BCA 1234567890")
    assert find_bank_account(masked) == BankAccount("BCA", "7890", True)
    masked, _ = mask_personal_data("rek mandiri 1234-5678-9012")
    assert find_bank_account(masked) == BankAccount("MANDIRI", "9012", True)
    assert find_bank_account("rek bca ****5678") == BankAccount("BCA", "5678", False)   # typed by the customer
    assert find_bank_account(mask_personal_data("hp 081234567890 rek BCA 1234")[0]) == BankAccount("BCA", "1234",
                                                                                                    False)


# --- generated personal data: always masked, the masked form present ------------------------------------

@settings(max_examples=150)
@given(RNG, st.sampled_from(TEMPLATES))
def test_any_nik_is_masked_completely(rng, template):
    number = samples.nik(rng)
    masked, kinds = mask_personal_data(place(template, number))
    assert kinds == [NIK] and number not in masked and place(template, "*" * 16) == masked


@settings(max_examples=150)
@given(RNG, st.sampled_from(TEMPLATES))
def test_any_card_number_keeps_only_its_last_4(rng, template):
    written = samples.card(rng)
    number = re.sub(r"\D", "", written)
    masked, kinds = mask_personal_data(place(template, written))
    if len(written) == 16 and is_valid_nik(number):
        assert kinds == [NIK]              # 16 digits both ways: masked as the stricter kind
        return
    assert kinds == [CARD] and masked == place(template, last4_shown(written))
    assert number not in re.sub(r"\D", "", masked)


def masked_phone(written: str) -> str:
    """``0812****7890``: the prefix (``0812``, ``62812``, ``+62 812``) and the last 4 digits shown."""
    digits = re.sub(r"\D", "", written)
    kept, seen, out = (5 if digits.startswith("62") else 4), 0, []
    for char in written:
        if char.isdigit():
            seen += 1
            char = char if seen <= kept or seen > len(digits) - 4 else "*"
        out.append(char)
    return "".join(out)


@settings(max_examples=150)
@given(RNG, st.sampled_from(TEMPLATES), st.sampled_from(("", "hp ", "no wa ", "WA: ", "telp ")))
def test_any_phone_number_keeps_its_prefix_and_last_4(rng, template, label):
    written = samples.phone(rng)
    masked, kinds = mask_personal_data(place(template, label + written))
    assert kinds == [PHONE] and masked == place(template, label + masked_phone(written))
    assert re.sub(r"\D", "", written) not in re.sub(r"\D", "", masked) and masked.count("*") >= 2


@settings(max_examples=150)
@given(RNG, st.sampled_from(TEMPLATES))
def test_any_email_keeps_its_first_letter_and_domain(rng, template):
    address = samples.email(rng)
    local, domain = address.split("@")
    masked, kinds = mask_personal_data(place(template, address))
    assert kinds == [EMAIL] and masked == place(template, f"{local[0]}***@{domain}")


@settings(max_examples=150)
@given(RNG, st.sampled_from(("rek {bank} {x}", "norek {bank}: {x}", "rekening {bank} saya {x}",
                             "transfer ke {bank} {x} a.n. Budi", "{bank} {x}", "no rek {x} ({bank})")))
def test_any_account_number_after_a_bank_word_keeps_its_last_4(rng, template):
    bank, written = samples.account(rng)
    number = re.sub(r"\D", "", written)
    text = template.format(bank=bank, x=written)
    masked, kinds = mask_personal_data(text)
    assert kinds == [BANK_ACCOUNT] and number not in re.sub(r"\D", "", masked)
    assert masked == text.replace(written, "*" * (len(number) - 4) + number[-4:])
    account = find_bank_account(masked)
    assert account.last4 == number[-4:] and account.full_number_given


# --- generated numbers that must stay ---------------------------------------------------------------------

@settings(max_examples=300)
@given(RNG, st.sampled_from(sorted(samples.KEPT)), st.sampled_from(TEMPLATES))
def test_amounts_txids_addresses_ids_and_dates_are_never_changed(rng, kind, template):
    text = place(template, samples.KEPT[kind](rng))
    assert mask_personal_data(text) == (text, [])


@settings(max_examples=150)
@given(RNG)
def test_mixed_messages_mask_only_the_personal_data(rng):
    kept = [samples.KEPT[kind](rng) for kind in sorted(samples.KEPT)]
    personal = [samples.nik(rng), samples.email(rng), "hp " + samples.phone(rng)]
    pieces = kept + personal
    rng.shuffle(pieces)
    masked, kinds = mask_personal_data(" , ".join(pieces))
    assert sorted(kinds) == sorted([NIK, EMAIL, PHONE])
    for piece in kept:
        assert piece in masked


@settings(max_examples=150)
@given(RNG)
def test_masking_is_idempotent(rng):
    bank, account = samples.account(rng)
    text = (f"NIK {samples.nik(rng)}, kartu {samples.card(rng)}, rek {bank} {account} dan hp {samples.phone(rng)} "
            f"{samples.email(rng)} {samples.amount(rng)} password: Rahasia123! {samples.txid(rng)}")
    once, _, personal = protect(text)
    assert personal == [NIK, CARD, BANK_ACCOUNT, PHONE, EMAIL]
    assert protect(once) == (once, [], [])
