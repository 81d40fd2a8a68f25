"""Transaction references in customer text: blockchain TXIDs per network, platform withdrawal ids,
bank transfer references and bank accounts (only the last 4 digits are ever kept).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

from nlu.addresses import NETWORK_FAMILIES, base58_decode
from nlu.amounts import find_amounts
from nlu.entities import Entity, SpanSet, extract_entities

_B58 = "1-9A-HJ-NP-Za-km-z"
_HEX_TXID = re.compile(r"(?<![0-9A-Za-z])(?:0[xX])?[0-9a-fA-F]{64}(?![0-9A-Za-z])")
_SOLANA_SIGNATURE = re.compile(rf"(?<![0-9A-Za-z])[{_B58}]{{86,88}}(?![0-9A-Za-z])")
# Platform withdrawal / deposit ids as shown in the app history, e.g. "WD-20261125-8812", "DP1234567".
_PLATFORM_ID = re.compile(r"(?<![0-9A-Za-z])(?:WD|DP|TRX|TX|INV|REF)[-_]?(?=[A-Z0-9-]*\d)[A-Z0-9][A-Z0-9-]{5,40}"
                          r"(?![0-9A-Za-z])", re.IGNORECASE)
# Something that looks like an attempt at a hash: a long run of letters and digits.
_LONG_TOKEN = re.compile(r"(?<![0-9A-Za-z])(?:0x)?[0-9A-Za-z]{20,120}(?![0-9A-Za-z])")
# Bank transfer reference / internal id for rupiah transactions: 6–40 characters, at least 4 digits.
_BANK_REFERENCE = re.compile(r"(?<![0-9A-Za-z])(?=[A-Za-z0-9-]*(?:\d[A-Za-z-]*){4})[A-Za-z0-9][A-Za-z0-9-]{5,39}"
                             r"(?![0-9A-Za-z])")
# Account digits, maybe after a mask: one the customer typed ("****5678", "xx9876") or the one masking at entry
# leaves (nlu.personal_data: "******7890", as long as the number was). A masked phone ("0812****7890") is no account.
_ACCOUNT_DIGITS = re.compile(r"(?<![\d.,/:*•])(?P<mask>(?:[*xX•.][ -]?){2,})?(?P<digits>\d(?:[\d -]{2,24}\d))"
                             r"(?![\d.,/:*•])")
FULL_NUMBER_DIGITS = 6   # more digits than this (given, or masked at entry before the last ones): a full number


@dataclass(frozen=True)
class ReferenceCheck:
    """A transaction reference: canonical ``value`` when ``valid``, else an Indonesian ``reason``."""

    valid: bool
    value: str
    reason: str = ""


def reference_spans(text: str) -> List[Tuple[int, int]]:
    """Spans of the hashes, Solana signatures and platform ids in ``text``, in order of appearance."""
    return sorted(m.span() for pattern in (_HEX_TXID, _SOLANA_SIGNATURE, _PLATFORM_ID) for m in pattern.finditer(text))


def txid_candidates(text: str) -> List[str]:
    """Hashes, Solana signatures and platform ids in ``text``, in order of appearance."""
    return [text[start:end] for start, end in reference_spans(text)]


def txid_attempts(text: str) -> List[str]:
    """Long letter-digit runs that may be a mistyped hash (to explain why they are rejected)."""
    return [m.group(0) for m in _LONG_TOKEN.finditer(text) if any(c.isdigit() for c in m.group(0))]


def check_txid(reference: str, network: Optional[str]) -> ReferenceCheck:
    """Validate a blockchain TXID for ``network`` (format per chain) or a platform withdrawal id."""
    reference = reference.strip()
    if _PLATFORM_ID.fullmatch(reference):
        return ReferenceCheck(True, reference.upper())
    family = NETWORK_FAMILIES.get(network or "")
    if _HEX_TXID.fullmatch(reference):
        digits = reference[2:] if reference.lower().startswith("0x") else reference
        if family == "solana":
            return ReferenceCheck(False, reference, "TXID Solana berupa 87–88 karakter Base58, bukan heksadesimal")
        return ReferenceCheck(True, "0x" + digits.lower() if family == "evm" else digits.lower())
    if _SOLANA_SIGNATURE.fullmatch(reference):
        try:
            ok = len(base58_decode(reference)) == 64
        except ValueError:
            ok = False
        if ok and family in (None, "solana"):
            return ReferenceCheck(True, reference)
    if family == "solana":   # the hex hints below would mislead: Solana signatures are Base58
        return ReferenceCheck(False, reference, "TXID Solana berupa 87–88 karakter Base58")
    hex_body = reference[2:] if reference.lower().startswith("0x") else reference
    if re.fullmatch(r"[0-9a-fA-F]+", hex_body):
        return ReferenceCheck(False, reference,
                              f"TXID terdiri dari 64 karakter heksadesimal, yang Anda kirim {len(hex_body)} karakter")
    return ReferenceCheck(False, reference, "format TXID tidak dikenali (TXID berupa 64 karakter 0-9 dan a-f)")


def bank_reference_candidates(text: str) -> List[str]:
    """Rupiah transfer references or platform ids (6–40 letters/digits with at least 4 digits)."""
    amount_spans = [(a.start, a.end) for a in find_amounts(text)]
    return [m.group(0) for m in _BANK_REFERENCE.finditer(text)
            if not any(s < m.end() and m.start() < e for s, e in amount_spans)]


@dataclass(frozen=True)
class BankAccount:
    """A bank (canonical name) and/or the last 4 digits of the account."""

    bank: Optional[str]
    last4: Optional[str]
    full_number_given: bool = False

    def display(self) -> str:
        """``BCA ••••1234`` (parts that are missing are left out)."""
        return " ".join(part for part in (self.bank, f"••••{self.last4}" if self.last4 else None) if part)


def find_bank_account(text: str, entities: Optional[Sequence[Entity]] = None) -> Optional[BankAccount]:
    """Bank name and last 4 account digits in ``text`` (``BCA 1234``, ``rek bca ****5678``);
    ``entities`` are those of ``text`` when the caller already extracted them."""
    entities = extract_entities(text) if entities is None else entities
    banks = [e.value for e in entities if e.entity == "bank"]
    taken = SpanSet((e.start, e.end) for e in entities if e.entity in ("amount", "txid", "wallet_address"))
    last4, full = None, False
    for match in _ACCOUNT_DIGITS.finditer(text):
        if taken.overlaps(match.span()):
            continue
        digits = re.sub(r"\D", "", match.group("digits"))
        masked = sum(char in "*xX•" for char in match.group("mask") or "")
        if 4 <= len(digits) <= 20:
            last4, full = digits[-4:], len(digits) > FULL_NUMBER_DIGITS or masked >= FULL_NUMBER_DIGITS
            break
    if not banks and last4 is None:
        return None
    return BankAccount(banks[0] if banks else None, last4, full)
