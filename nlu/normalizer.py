"""Normalise informal Indonesian chat text into a standard form for NLU and retrieval.

Pure functions only: no Rasa, no spaCy. The same normaliser feeds the Rasa pipeline
(`nlu.components.IndonesianNormalizer`) and the knowledge-base lexical index (`kb.lexical`).
"""
from __future__ import annotations

import html
import re
import unicodedata
from functools import lru_cache
from pathlib import Path
from typing import Dict, List

import yaml

SLANG_FILE = Path(__file__).parent / "resources" / "slang_id.yml"

# Tokens that must never be squeezed or rewritten (tickers, networks, codes).
_PROTECTED = re.compile(
    r"^(?:0x[0-9a-f]+|[a-z0-9]{25,}|\d+(?:[.,]\d+)*|erc20|trc20|bep20|bep2|spl|arb|usdt|usdc|btc|eth)$"
)
_HTML_TAG = re.compile(r"<[^>]{0,200}>")
_WORD = re.compile(r"\d+(?:[.,]\d+)+|[a-z0-9]+(?:[-'][a-z0-9]+)*|\S", re.UNICODE)
_REPEAT_3 = re.compile(r"(.)\1{2,}")
_REPEAT_2 = re.compile(r"(.)\1+")
# "2" after a word marks reduplication in Indonesian chat: "hati2" -> "hati-hati".
_REDUP = re.compile(r"^([a-z]{2,})2$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@lru_cache(maxsize=1)
def slang_table() -> Dict[str, str]:
    """Load the slang dictionary (lowercase token -> standard form)."""
    with SLANG_FILE.open(encoding="utf-8") as handle:
        raw = yaml.safe_load(handle) or {}
    return {str(key).lower(): str(value).lower() for key, value in raw.items()}


def clean_text(text: str) -> str:
    """Unicode-normalise, unescape HTML entities, drop tags and control characters."""
    text = unicodedata.normalize("NFKC", text or "")
    text = html.unescape(text)
    text = _HTML_TAG.sub(" ", text)
    text = _CONTROL.sub(" ", text)
    return re.sub(r"\s+", " ", text).strip()


def _squeeze(token: str, table: Dict[str, str]) -> str:
    """Collapse letters repeated for emphasis ("tolonggg" -> "tolong")."""
    if _PROTECTED.match(token) or token in table:
        return token
    once = _REPEAT_3.sub(r"\1", token)
    if once in table:
        return once
    single = _REPEAT_2.sub(r"\1", once)
    if single != once and single in table:
        return single
    return once


def normalize_token(token: str, table: Dict[str, str] | None = None) -> str:
    """Map one lowercase token to its standard form (may return several words)."""
    table = slang_table() if table is None else table
    redup = _REDUP.match(token)
    if redup:
        base = normalize_token(redup.group(1), table)
        return f"{base}-{base}" if " " not in base else base
    token = _squeeze(token, table)
    return table.get(token, token)


def tokens(text: str) -> List[str]:
    """Split cleaned lowercase text into word and punctuation tokens."""
    return _WORD.findall(text)


def normalize(text: str, max_chars: int = 2000) -> str:
    """Return the normalised form of a customer message.

    Lowercases, strips markup, squeezes repeated letters, expands slang and domain
    abbreviations (wd, depo, tf, pw, rek, VA, nyangkut ...). Only the first
    ``max_chars`` characters are normalised; the original text is never modified.
    """
    cleaned = clean_text(text)[:max_chars].lower()
    table = slang_table()
    words = [normalize_token(token, table) for token in tokens(cleaned)]
    return re.sub(r"\s+", " ", " ".join(words)).strip()
