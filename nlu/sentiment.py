"""Detect upset or urgent customers from their wording, so replies can lead with empathy."""
from __future__ import annotations

import re
from enum import Enum

from nlu.normalizer import clean_text, normalize


class Mood(str, Enum):
    """How the customer seems to feel."""

    CALM = "calm"
    UPSET = "upset"      # worried, angry, panicking about their money
    URGENT = "urgent"    # fraud, hacked account, funds drained


_URGENT = re.compile(
    r"\b(diretas|retas|peretas|dibobol|bobol|kebobol|ditipu|tertipu|ketipu|kena tipu|tipu|penipu|penipuan|"
    r"dicuri|curi|maling|"
    r"dikuras|kuras|kekuras|terkuras|raib|lenyap|scammer|phishing|transaksi aneh|bukan saya)\b"
)
_UPSET = re.compile(
    r"\b(panik|tolong|hilang|rugi|nangis|stres|stress|marah|kecewa|parah|kesal|kesel|gila|anjir|anjing|"
    r"bangsat|sialan|kapan|lama banget|lambat|takut|cemas|khawatir|bingung|astaga|ya allah|yaallah|"
    r"mana uang|uang saya|dana saya|duit saya|segera|cepat|urgent|darurat|gimana ini|bagaimana ini)\b"
)


def detect_mood(text: str) -> Mood:
    """Classify a message as calm, upset or urgent (rules over the normalised text)."""
    # Match the normalised text and the plain lowercase text ("ya allah" normalises to "iya allah").
    normalised = normalize(text) + " | " + clean_text(text).lower()
    if _URGENT.search(normalised):
        return Mood.URGENT
    raw = clean_text(text)
    letters = [c for c in raw if c.isalpha()]
    shouting = len(letters) >= 12 and sum(c.isupper() for c in letters) / len(letters) > 0.7
    if _UPSET.search(normalised) or shouting or "!!" in raw or "??" in raw:
        return Mood.UPSET
    return Mood.CALM
