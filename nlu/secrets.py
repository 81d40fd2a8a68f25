"""Detect and redact secrets customers paste into the chat.

Covers BIP39 seed phrases (12–24 words, 4-letter prefixes allowed), WIF private keys, extended private
keys (xprv/yprv/zprv/tprv), raw 64-hex private keys named as such, passwords and OTP codes given with
their label. The platform never asks for any of them; the assistant warns the customer and the secret
is replaced before the message is stored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, List, Tuple

REDACTION = "[DIHAPUS: {kind}]"
REDACTION_PATTERN = re.compile(r"\[DIHAPUS: ([a-z_ ]+)\]")
SEED_LENGTHS = (12, 15, 18, 21, 24)

_B58 = "1-9A-HJ-NP-Za-km-z"
_PATTERNS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = (
    ("extended_private_key", re.compile(rf"\b[xyzt]prv[{_B58}]{{100,112}}\b")),
    ("private_key", re.compile(rf"\b(?:5[HJK][{_B58}]{{49}}|[KL][{_B58}]{{51}})\b")),
    ("private_key", re.compile(
        r"(?i)\b(?:private\s*key|priv(?:ate)?\s*key|privkey|pk|kunci\s+pribadi)\b\W{0,5}(?:0x)?([0-9a-f]{64})\b")),
    # A password or OTP only counts with its label and a separator ("password: ...", "otp 123456"),
    # so "lupa password" or "ganti kata sandi" are never touched.
    ("password", re.compile(
        r"(?i)\b(?:password|passwd|pass|pw|pwd|kata\s*sandi|sandi)\b(?:\s*(?:saya|ku|gw|gue|nya|aku)\b)?"
        r"\s*(?:[:=]|\badalah\b|\byaitu\b)\s*(\S{3,64})")),
    ("otp", re.compile(r"(?i)\b(?:otp|kode\s*(?:otp|verifikasi|2fa|ga|google\s*authenticator)|2fa)\b"
                       r"\s*(?:saya|nya|ku|gw)?\s*(?:[:=]|adalah|itu|yaitu)?\s*(\d{4,8})\b")),
)


@dataclass(frozen=True)
class Secret:
    """A secret found in a message: its kind and span in the text."""

    kind: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _bip39() -> Tuple[frozenset, Dict[str, str]]:
    from mnemonic import Mnemonic

    words = Mnemonic("english").wordlist
    return frozenset(words), {w[:4]: w for w in words}


def _is_seed_word(word: str) -> bool:
    full, prefixes = _bip39()
    word = word.lower()
    return word in full or (len(word) == 4 and word in prefixes)


def _seed_phrases(text: str) -> List[Secret]:
    """Runs of at least 12 consecutive BIP39 words (or their 4-letter prefixes)."""
    found: List[Secret] = []
    run: List[re.Match] = []
    for match in list(re.finditer(r"[A-Za-z]+", text)) + [None]:
        gap_ok = match is not None and (not run or re.fullmatch(r"[\s,.;:\-\d\)\(]*",
                                                                 text[run[-1].end():match.start()]))
        if match is not None and gap_ok and _is_seed_word(match.group(0)):
            run.append(match)
            continue
        if len(run) >= SEED_LENGTHS[0]:
            found.append(Secret("seed_phrase", run[0].start(), run[-1].end()))
        run = [match] if match is not None and _is_seed_word(match.group(0)) else []
    return found


def find_secrets(text: str) -> List[Secret]:
    """All secrets in ``text``, ordered by position, without overlaps."""
    if not text:
        return []
    candidates = _seed_phrases(text)
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            start, end = (match.start(1), match.end(1)) if match.groups() else match.span()
            candidates.append(Secret(kind, start, end))
    # Already redacted text stays as it is: a marker is never taken for a secret ("password: [DIHAPUS: ...]").
    markers = [match.span() for match in REDACTION_PATTERN.finditer(text)]
    candidates = [secret for secret in candidates
                  if not any(secret.start < end and start < secret.end for start, end in markers)]
    chosen: List[Secret] = []
    for secret in sorted(candidates, key=lambda s: (s.start, -(s.end - s.start))):
        if not chosen or secret.start >= chosen[-1].end:
            chosen.append(secret)
    return chosen


def redacted_kinds(text: str) -> List[str]:
    """Kinds of secret whose redaction markers appear in ``text`` (e.g. ``["seed_phrase"]``)."""
    return [match.group(1).replace(" ", "_") for match in REDACTION_PATTERN.finditer(text)]


def redact(text: str) -> Tuple[str, List[str]]:
    """Replace every secret with a marker; return the new text and the kinds removed."""
    secrets = find_secrets(text)
    for secret in reversed(secrets):
        text = text[:secret.start] + REDACTION.format(kind=secret.kind.replace("_", " ")) + text[secret.end:]
    return text, [s.kind for s in secrets]
