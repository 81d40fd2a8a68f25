"""Recognise messages that are not a readable Indonesian question (empty, emoji, junk, other language)."""
from __future__ import annotations

import re
from enum import Enum

from nlu.normalizer import clean_text


class InputKind(str, Enum):
    """What kind of text the customer sent."""

    TEXT = "text"
    EMPTY = "empty"
    SYMBOLS = "symbols"        # emoji, punctuation, digits only
    JUNK = "junk"              # binary noise or keyboard mashing
    FOREIGN = "foreign"        # English or another language


_ENGLISH = frozenset(
    "the is are was were what how why when where who can could would should my your i you we they "
    "please help account money deposit withdraw withdrawal not have has did does do it this that "
    "with for from to of and hello hi thanks thank yes no".split()
)
_INDONESIAN = frozenset(
    "saya aku gw kamu anda yang di ke dari dan atau itu ini ada apa apakah bagaimana gimana kenapa "
    "kok sih dong ya iya tidak gak ga belum sudah udah bisa mau tolong min kak cara berapa kapan "
    "dengan untuk pada akun saldo uang masuk tarik kirim gagal lupa".split()
)
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)


# The key under which the pipeline's InputQualityGate records the kind in a message's parse data, so the
# action server reads it instead of classifying the text a second time.
INPUT_KIND_KEY = "input_kind"


def classify_input(text: str) -> InputKind:
    """Classify raw customer text. Only ``TEXT`` is worth sending to the classifiers as-is."""
    cleaned = clean_text(text)
    if not cleaned:
        return InputKind.EMPTY
    words = _WORD.findall(cleaned)
    if not words:
        return InputKind.SYMBOLS
    printable = sum(ch.isprintable() for ch in text) / max(len(text), 1)
    if printable < 0.8 or "\ufffd" in text:
        return InputKind.JUNK
    latin = [w.lower() for w in words if all(ord(c) < 0x250 for c in w)]
    if len(latin) < len(words) / 2:
        return InputKind.FOREIGN
    if _looks_like_mashing(latin):
        return InputKind.JUNK
    english = sum(w in _ENGLISH for w in latin)
    indonesian = sum(w in _INDONESIAN for w in latin)
    if english >= 2 and english > 2 * indonesian:
        return InputKind.FOREIGN
    return InputKind.TEXT


def _looks_like_mashing(words: list) -> bool:
    """Long runs of consonants ("asdfghjkl", "qwrtzp") with no vowels look like keyboard mashing."""
    long_words = [w for w in words if len(w) >= 6]
    if not long_words or len(long_words) < len(words) / 2:
        return False
    return all(not re.search(r"[aeiou]", w) or re.search(r"[^aeiou]{5,}", w) for w in long_words)
