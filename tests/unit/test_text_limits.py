"""bot/text_limits.py: the one ``clip`` and the one UTF-16 length, with fixed vectors."""
from __future__ import annotations

import pytest

from bot.text_limits import clip, utf16_length


@pytest.mark.parametrize("text, limit, expected", [
    ("Saldo belum masuk ke akun", 100, "Saldo belum masuk ke akun"),
    ("Saldo belum masuk ke akun", 16, "Saldo belum…"),                 # cut at a word boundary
    ("Saldo  belum\nmasuk", 100, "Saldo belum masuk"),                # one line, single spaces
    ("Biaya penarikan, deposit", 18, "Biaya penarikan…"),             # no comma before the ellipsis
    ("Penarikantertunda", 10, "Penarikan…"),                          # one long word: cut inside it
    ("abcde", 5, "abcde"),
    ("abcdef", 5, "abcd…"),
    ("", 5, ""),
])
def test_clip_vectors(text, limit, expected):
    assert clip(text, limit) == expected


def test_clip_never_exceeds_the_limit():
    text = "Mohon maaf atas ketidaknyamanannya, tim kami sedang memeriksa transaksi Anda."
    assert all(len(clip(text, limit)) <= limit for limit in range(2, len(text) + 2))


@pytest.mark.parametrize("text, expected", [("", 0), ("Halo", 4), ("Rp 1.000", 8), ("é", 1), ("🙏", 2),
                                            ("Terima kasih 🙏🙂", 17), ("𝔸", 2)])
def test_utf16_length_counts_code_units(text, expected):
    assert utf16_length(text) == expected
