"""Short replies that steer the report form: cancel, "don't know", corrections, yes/no."""
from __future__ import annotations

import re

from nlu.normalizer import clean_text, normalize

_CANCEL = re.compile(
    r"^(?:(?:eh|ah|udah|sudah|ya|yaudah|ok|oke|kak|min|saya|aku)\s+)*"
    r"(?:batal|batalkan|dibatalkan saja|cancel|tidak jadi|nggak jadi|enggak jadi|gak jadi|ga jadi|stop|berhenti|"
    r"udahan|sudahi|lupakan)"
    r"(?:\s+(?:saja|aja|deh|dulu|ya|kak|min|laporannya|laporan|lapor|lapornya))*$")
_DONT_KNOW = re.compile(
    r"^(?:(?:saya|aku|gw|gue|maaf|wah|duh|hmm|kak|min)\s+)*"
    r"(?:tidak tahu|nggak tahu|tidak tau|gak tau|ga tau|gatau|tidak ingat|tidak ingat lagi|lupa|kurang tahu|"
    r"belum tahu|tidak ada|belum ada|tidak punya|belum punya|skip|lewati|lewat|tidak yakin|entah|kosong|-)"
    r"(?:\s+(?:kak|min|ya|juga|sih|deh|nih|soalnya|yang mana|itu|txidnya|hashnya|idnya|alamatnya|jaringannya))*$")
_CORRECTION = re.compile(
    r"\b(salah|ralat|koreksi|maksud saya|maksudnya|maksud aku|bukan|ganti|ubah|diganti|diubah|harusnya|"
    r"seharusnya|yang benar|yg benar|yang bener|sebenarnya)\b")
_AFFIRM = re.compile(
    r"^(?:ya|iya|y|yes|yap|yup|betul|benar|bener|sudah benar|sudah betul|sudah|sip|siap|ok|oke|okay|kirim|"
    r"lanjut|setuju|mantap|ya benar|ya betul|ya kirim|iya benar|kirim saja|sudah sesuai|sesuai|cocok)"
    r"(?:\s+(?:kak|min|ya|sudah|benar|betul|kirim|saja|aja|deh|semua|semuanya|sesuai|ke agen))*[.!]*$")
_DENY = re.compile(r"^(?:tidak|bukan|belum|salah|no|nope|ada yang salah|belum benar|belum sesuai|tidak sesuai)"
                   r"(?:\s+(?:kak|min|ya|benar|betul|sesuai|semua|itu))*[.!]*$")


def _plain(text: str) -> str:
    words = normalize(text).replace("iya", "ya")
    return re.sub(r"[^\w\s-]", " ", words).strip()


def _both(text: str) -> tuple:
    plain = _plain(text)
    raw = re.sub(r"[^\w\s-]", " ", clean_text(text).lower())
    return re.sub(r"\s+", " ", plain).strip(), re.sub(r"\s+", " ", raw).strip()


def is_cancel(text: str) -> bool:
    """``batal``, ``gak jadi deh``, ``cancel aja``: the customer stops the report."""
    return any(_CANCEL.match(t) for t in _both(text))


def is_dont_know(text: str) -> bool:
    """``tidak tahu``, ``lupa``, ``gak ada``, ``skip``: the customer cannot give this detail."""
    return any(_DONT_KNOW.match(t) for t in _both(text))


def is_correction(text: str) -> bool:
    """``eh salah, 2 juta``, ``ralat``, ``maksud saya BEP20``: the customer corrects an earlier value."""
    return any(_CORRECTION.search(t) for t in _both(text))


def is_affirm(text: str) -> bool:
    """``ya``, ``sudah benar``, ``kirim``: the customer confirms."""
    return text.strip() == "/affirm" or any(_AFFIRM.match(t) for t in _both(text))


def is_deny(text: str) -> bool:
    """``tidak``, ``belum benar``, ``ada yang salah``: the customer does not confirm."""
    return text.strip() == "/deny" or any(_DENY.match(t) for t in _both(text))
