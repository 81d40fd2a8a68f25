"""nlu.secrets: seed phrases, private keys, passwords and OTPs are found and redacted; normal text is not."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mnemonic import Mnemonic

from nlu.secrets import REDACTION_PATTERN, find_secrets, redact

WORDS = Mnemonic("english").wordlist
SEED_12 = "legal winner thank year wave sausage worth useful legal winner thank yellow"
SEED_24 = Mnemonic("english").to_mnemonic(bytes(range(32)))
WIF = "5HueCGU8rMjxEXxiPuD5BDku4MkFqeZyd4dZ1jvhTVqvbTLvyTJ"
XPRV = ("xprv9s21ZrQH143K3QTDL4LXw2F7HEK3wJUD2nW2nRk4stbPy6cq3jPPqjiChkVvvNKmPGJxWUtg6LnF5kejMRNNU3TGtRBeJgk33yuGBx"
        "rMPHi")
TXID = "a1" * 32


@pytest.mark.parametrize(("text", "kind"), [
    (f"ini seed saya {SEED_12}", "seed_phrase"),
    (SEED_24, "seed_phrase"),
    ("seed: " + " ".join(w[:4] for w in SEED_12.split()), "seed_phrase"),
    (f"wif {WIF}", "private_key"),
    (f"kunci: {XPRV}", "extended_private_key"),
    (f"private key 0x{'ab' * 32}", "private_key"),
    ("password saya: Rahasia123!", "password"),
    ("pw: hunter22", "password"),
    ("kode otp 482913 udah masuk", "otp"),
    ("OTP: 123456", "otp"),
])
def test_secret_is_found_and_redacted(text, kind):
    assert kind in [s.kind for s in find_secrets(text)]
    cleaned, kinds = redact(text)
    assert kind in kinds
    assert REDACTION_PATTERN.search(cleaned)
    secret_part = {"seed_phrase": "winner", "private_key": WIF[5:20] if "wif" in text else "abab",
                   "extended_private_key": XPRV[10:30], "password": "Rahasia123" if "Rahasia" in text else "hunter22",
                   "otp": "482913" if "482913" in text else "123456"}[kind]
    if kind == "seed_phrase" and text == SEED_24:
        secret_part = SEED_24.split()[3]
    elif kind == "seed_phrase" and text.startswith("seed: "):   # words given by their 4-letter prefixes
        secret_part = text[len("seed: "):]
        assert "winn than year" in secret_part
    assert secret_part in text and secret_part not in cleaned


@pytest.mark.parametrize("text", [
    "saya lupa password, gimana resetnya?", "ganti kata sandi ke yang baru gimana", "seed phrase saya hilang",
    f"txid {TXID} belum masuk", "wd 500rb ke bca kode 1234", "kode otp tidak masuk-masuk",
    "apa itu private key?", "able about above",  # three BIP39 words are not a phrase
])
def test_ordinary_support_text_is_untouched(text):
    assert redact(text) == (text, [])


@settings(max_examples=50, deadline=None)
@given(st.lists(st.sampled_from(WORDS), min_size=12, max_size=24))
def test_any_run_of_twelve_or_more_bip39_words_is_removed(words):
    phrase = " ".join(words)
    cleaned, kinds = redact(f"tolong cek ini {phrase} makasih")
    assert kinds == ["seed_phrase"]
    assert cleaned == "tolong cek ini [DIHAPUS: seed phrase] makasih"


def test_redaction_markers_name_their_kinds():
    from nlu.secrets import redacted_kinds

    cleaned, kinds = redact(f"{SEED_12} dan password: Rahasia123!")
    assert redacted_kinds(cleaned) == kinds == ["seed_phrase", "password"]


@pytest.mark.parametrize("message", [
    "password saya: Rahasia123! tolong login-in akun saya",
    "kode otp 482913, tolong proses wd saya",
    "seed phrase: legal winner thank year wave sausage worth useful legal winner thank yellow",
    "pin: 123456 dan password = qwerty99",
])
def test_redacting_redacted_text_changes_nothing(message: str):
    once, kinds = redact(message)
    assert kinds and redact(once) == (once, [])
