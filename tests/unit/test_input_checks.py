"""nlu.input_checks.classify_input: what kind of text the customer sent."""
from __future__ import annotations

import pytest

from nlu.input_checks import InputKind, classify_input
from tests.unit.samples import EVM_ADDRESS, TXID


@pytest.mark.parametrize("text", ["", "   ", "\n\t", "<br>", "&nbsp;", "<b></b>", "\x00\x01"])
def test_empty(text):
    assert classify_input(text) is InputKind.EMPTY


@pytest.mark.parametrize("text", ["😭😭😭", "🙏", "👍🏻", "???!!!", "...", "12345", "💰 100 💸"])
def test_symbols_only(text):
    assert classify_input(text) is InputKind.SYMBOLS


@pytest.mark.parametrize(
    "text",
    [
        "\x00\x01\x02\x03abc\x04\x05",          # binary noise with control bytes
        "\ufffd\ufffdabc",                      # mojibake replacement characters
        "abc\x01\x02\x03\x04\x05\x06\x07",
        "asdfghjkl",                            # keyboard mashing
        "qwrtzp sdfghj",
        "kdjfhskdjfh",
        "xzcvbnm qwrtyp",
    ],
)
def test_junk(text):
    assert classify_input(text) is InputKind.JUNK


@pytest.mark.parametrize(
    "text",
    [
        "How do I withdraw my money?",
        "hello can you help me with my account",
        "What is the withdrawal fee?",
        "my account is locked please help",
        "Как вывести деньги?",
        "如何提款",
        "こんにちは",
        "مرحبا كيف حالك",
    ],
)
def test_foreign_language(text):
    assert classify_input(text) is InputKind.FOREIGN


@pytest.mark.parametrize(
    "text",
    [
        "halo kak",
        "saldo saya belum masuk",
        "Bagaimana cara mengaktifkan autentikasi dua faktor?",
        "wd gw nyangkut min tolong",
        "knp wd gw blm msk",
        "depo via VA blm masuk, udh 3 jam",
        "mksh bngt",
        "gmn cr nya",
        "brp fee wd usdt trc20",
        "tolonggg kakkk 😭",
        "saya mau withdraw",            # one English loan word in an Indonesian sentence
        "akun saya locked please help",
        "min, deposit USDT TRC20 saya belum masuk",
        "ok",
        "p",
        "thx min",
        f"txid {TXID}",
        EVM_ADDRESS,
    ],
)
def test_normal_indonesian_including_slang_is_text(text):
    assert classify_input(text) is InputKind.TEXT


def test_input_kind_values_are_stable_strings():
    assert {k.value for k in InputKind} == {"text", "empty", "symbols", "junk", "foreign"}
