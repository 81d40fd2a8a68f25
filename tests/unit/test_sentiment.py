"""nlu.sentiment.detect_mood: calm, upset and urgent customers."""
from __future__ import annotations

import pytest

from nlu.sentiment import Mood, detect_mood


@pytest.mark.parametrize(
    "text",
    [
        "halo kak mau tanya cara deposit",
        "Halo, saya ingin bertanya",
        "cara ganti pw",
        "makasih kak",
        "biaya wd usdt trc20 berapa?",
        "kirim USDT lewat TRC20 ke BCA",   # tickers in capitals are not shouting
        "",
    ],
)
def test_calm(text):
    assert detect_mood(text) is Mood.CALM


@pytest.mark.parametrize(
    "text",
    [
        "saldo hilang, tolong segera",
        "WD SAYA KOK BELUM MASUK",          # shouting
        "kenapa lama banget sih??",
        "wd ku belum masuk udh 3 jam!!",
        "kapan masuknya",
        "gimana ini uang saya",
        "duit saya ilang",                  # slang "duit" normalised to "uang"
        "panik bgt",
        "kesel bgt",
        "tolonggg",
        "yaallah",
    ],
)
def test_upset(text):
    assert detect_mood(text) is Mood.UPSET


@pytest.mark.parametrize(
    "text",
    [
        "AKUN SAYA DIHACK TOLONG",
        "akun gw kena hack",
        "dihek",
        "ada transaksi yg bukan saya",
        "bukan gw yg wd",
        "saya ditipu",
        "kena scam",
        "kena tipu",
        "akun saya dibobol",
        "uang gw raib",
        "saldo usdt gw kekuras",
    ],
)
def test_urgent(text):
    assert detect_mood(text) is Mood.URGENT


def test_urgent_wins_over_upset():
    assert detect_mood("TOLONG!! akun saya dihack, panik") is Mood.URGENT


def test_ya_allah_is_upset():
    assert detect_mood("ya allah saldo gw kemana") is Mood.UPSET


@pytest.mark.parametrize("text", ["saya tertipu orang yang ngaku admin", "ketipu kayaknya 😭"])
def test_tertipu_is_urgent(text):
    assert detect_mood(text) is Mood.URGENT
