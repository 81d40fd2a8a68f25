"""nlu.normalizer: slang, repeated letters, reduplication, markup and length limits."""
from __future__ import annotations

import pytest

from nlu.normalizer import clean_text, normalize, normalize_token, slang_table, tokens


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("wd gw nyangkut min", "penarikan saya tertahan admin"),
        ("depo via VA blm masuk", "deposit via virtual account belum masuk"),
        ("tf ke rek bca", "transfer ke rekening bca"),
        ("lupa pw gmn", "lupa kata sandi bagaimana"),
        ("gak bisa, udh coba", "tidak bisa , sudah coba"),
        ("gabisa login", "tidak bisa masuk"),
        ("knp saldo blm masuk", "kenapa saldo belum masuk"),
        ("makasih kak", "terima kasih kak"),
        ("mau topup 2 jt", "mau deposit 2 juta"),
        ("akun dihack", "akun diretas"),
    ],
)
def test_slang_and_domain_abbreviations_are_expanded(raw, expected):
    assert normalize(raw) == expected


def test_output_is_lowercase_even_for_shouting():
    assert normalize("TOLONG WD SAYA GAK MASUK") == "tolong penarikan saya tidak masuk"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("tolonggg", "tolong"),
        ("tolonggg kakkk", "tolong kak"),
        ("saldooo", "saldo"),
        ("gimanaaa", "bagaimana"),   # squeezed, then looked up as slang
        ("wdddd", "penarikan"),
        ("gakk", "tidak"),           # double letter squeezed only because "gak" is a known word
    ],
)
def test_repeated_letters_are_squeezed(raw, expected):
    assert normalize(raw) == expected


def test_ordinary_double_letters_survive():
    # "maaf" and "saat" contain legitimate double vowels; only runs of 3+ are squeezed blindly.
    assert normalize("maaf saat ini") == "maaf saat ini"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("hati2 ya", "hati-hati iya"),
        ("pelan2", "pelan-pelan"),
        ("uang2 gw", "uang-uang saya"),
        ("hatiii2", "hati-hati"),
    ],
)
def test_reduplication_with_digit_two(raw, expected):
    assert normalize(raw) == expected


def test_reduplicated_multiword_slang_is_not_doubled():
    # "gbs" expands to two words; doubling "tidak bisa-tidak bisa" would be nonsense.
    assert normalize_token("gbs2") == "tidak bisa"


@pytest.mark.parametrize("token", ["usdt", "trc20", "erc20", "btc", "2fa", "0x1234abcdef", "123456"])
def test_tickers_codes_and_numbers_are_not_rewritten(token):
    assert normalize(token) == token


def test_long_codes_are_not_squeezed():
    address = "0x" + "a" * 40
    assert normalize(f"kirim ke {address}") == f"kirim ke {address}"


def test_html_tags_and_entities_are_removed():
    assert normalize("<b>halo</b> &amp; kak") == "halo & kak"
    assert normalize('<a href="https://x.test">klik</a> disini') == "klik disini"
    # Escaped markup is unescaped first and then stripped like real tags.
    assert normalize("akun &lt;b&gt;saya&lt;/b&gt;") == "akun saya"
    assert clean_text("&nbsp;") == ""


def test_control_characters_become_spaces():
    assert clean_text("halo\x00\x07dunia") == "halo dunia"
    assert clean_text("a\x1b[31mb\x7f") == "a [31mb"
    assert normalize("wd\x00gw") == "penarikan saya"


def test_newlines_and_tabs_collapse_to_single_spaces():
    assert clean_text("  halo\n\n\tkak  \r\n ") == "halo kak"


def test_unicode_compatibility_forms_are_folded():
    # Full-width characters and ligatures from some mobile keyboards.
    assert normalize("ｗｄ ＵＳＤＴ") == "penarikan usdt"
    assert clean_text("ﬁ") == "fi"


@pytest.mark.parametrize("empty", ["", "   ", "\n\t", None, "<br>", "\x00\x01"])
def test_empty_input_gives_empty_string(empty):
    assert normalize(empty) == ""


def test_max_chars_truncates_before_normalising():
    text = "kata " * 1000
    assert normalize(text, max_chars=20) == "kata kata kata kata"
    assert len(normalize("a b " * 3000)) <= 2000


def test_default_limit_is_2000_characters():
    long_text = "saldo " * 1000  # 6000 characters
    out = normalize(long_text)
    # 333 full words use 1998 characters; the cut falls inside the 334th word.
    assert out.split() == ["saldo"] * 333 + ["sa"]


def test_original_text_is_not_modified():
    original = "WD gw nyangkut"
    normalize(original)
    assert original == "WD gw nyangkut"


def test_slang_table_is_lowercase_and_covers_domain_terms():
    table = slang_table()
    assert all(k == k.lower() and v == v.lower() for k, v in table.items())
    for key in ["wd", "depo", "tf", "nyangkut", "pw", "rek", "va", "gak", "udh", "blm", "gmn"]:
        assert key in table, key
    assert table["va"] == "virtual account"


def test_tokens_split_words_and_punctuation():
    assert tokens("halo, kak! e-mail") == ["halo", ",", "kak", "!", "e-mail"]


def test_numbers_with_separators_stay_whole():
    assert normalize("wd 1.500.000 ke rek") == "penarikan 1.500.000 ke rekening"
