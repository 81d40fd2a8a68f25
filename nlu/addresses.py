"""Validate crypto addresses with their checksums: Base58Check (BTC legacy/P2SH, TRON), Bech32/Bech32m
(BTC SegWit v0/v1+, BIP-173/BIP-350) and EIP-55 mixed-case (Ethereum and EVM chains: ERC20, BEP20...).
Solana addresses have no checksum; they are checked to decode to a 32-byte key.

Pure Python; Keccak-256 is implemented here because ``hashlib.sha3_256`` is the NIST variant, not Keccak.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

_B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_BECH32_CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_BECH32_CONST, _BECH32M_CONST = 1, 0x2BC830A3


@dataclass(frozen=True)
class AddressCheck:
    """Result of validating an address: its family when valid, else why not."""

    valid: bool
    family: Optional[str] = None   # "btc", "evm", "tron", "solana"
    reason: Optional[str] = None


# --- Base58Check -----------------------------------------------------------------------------------

def base58_decode(text: str) -> bytes:
    """Decode Base58 (Bitcoin alphabet); raises ValueError on a foreign character."""
    number = 0
    for char in text:
        index = _B58_ALPHABET.find(char)
        if index < 0:
            raise ValueError(f"invalid base58 character {char!r}")
        number = number * 58 + index
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big") if number else b""
    return b"\x00" * (len(text) - len(text.lstrip("1"))) + raw


def base58check_payload(text: str) -> Optional[bytes]:
    """The payload (version byte + data) if the 4-byte double-SHA256 checksum matches, else None."""
    try:
        raw = base58_decode(text)
    except ValueError:
        return None
    if len(raw) < 5:
        return None
    payload, checksum = raw[:-4], raw[-4:]
    return payload if hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4] == checksum else None


# --- Bech32 / Bech32m ------------------------------------------------------------------------------

def _polymod(values: List[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            checksum ^= generator[i] if (top >> i) & 1 else 0
    return checksum


def _hrp_expand(hrp: str) -> List[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def bech32_decode(address: str) -> Optional[Tuple[str, List[int], str]]:
    """``(hrp, data, "bech32"|"bech32m")`` when the checksum is valid, else None."""
    if address.lower() != address and address.upper() != address:
        return None
    address = address.lower()
    separator = address.rfind("1")
    if separator < 1 or separator + 7 > len(address) or len(address) > 90:
        return None
    hrp, rest = address[:separator], address[separator + 1:]
    if any(c not in _BECH32_CHARSET for c in rest):
        return None
    data = [_BECH32_CHARSET.find(c) for c in rest]
    constant = _polymod(_hrp_expand(hrp) + data)
    if constant == _BECH32_CONST:
        return hrp, data[:-6], "bech32"
    if constant == _BECH32M_CONST:
        return hrp, data[:-6], "bech32m"
    return None


def _convert_bits(data: List[int], from_bits: int, to_bits: int) -> Optional[List[int]]:
    accumulator, bits, result, maximum = 0, 0, [], (1 << to_bits) - 1
    for value in data:
        accumulator = (accumulator << from_bits) | value
        bits += from_bits
        while bits >= to_bits:
            bits -= to_bits
            result.append((accumulator >> bits) & maximum)
    if bits >= from_bits or (accumulator << (to_bits - bits)) & maximum:
        return None
    return result


def segwit_address_ok(address: str, hrp: str = "bc") -> bool:
    """BIP-173/BIP-350 SegWit address check: v0 uses Bech32, v1+ uses Bech32m."""
    decoded = bech32_decode(address)
    if decoded is None or decoded[0] != hrp or not decoded[1]:
        return False
    _, data, encoding = decoded
    version, program = data[0], _convert_bits(data[1:], 5, 8)
    if program is None or version > 16 or not 2 <= len(program) <= 40:
        return False
    if version == 0:
        return encoding == "bech32" and len(program) in (20, 32)
    return encoding == "bech32m"


# --- Keccak-256 and EIP-55 -------------------------------------------------------------------------

_ROUND_CONSTANTS = [
    0x0000000000000001, 0x0000000000008082, 0x800000000000808A, 0x8000000080008000, 0x000000000000808B,
    0x0000000080000001, 0x8000000080008081, 0x8000000000008009, 0x000000000000008A, 0x0000000000000088,
    0x0000000080008009, 0x000000008000000A, 0x000000008000808B, 0x800000000000008B, 0x8000000000008089,
    0x8000000000008003, 0x8000000000008002, 0x8000000000000080, 0x000000000000800A, 0x800000008000000A,
    0x8000000080008081, 0x8000000000008080, 0x0000000080000001, 0x8000000080008008,
]
_ROTATIONS = [[0, 36, 3, 41, 18], [1, 44, 10, 45, 2], [62, 6, 43, 15, 61], [28, 55, 25, 21, 56], [27, 20, 39, 8, 14]]
_MASK = (1 << 64) - 1


def _rotl(value: int, shift: int) -> int:
    return ((value << shift) | (value >> (64 - shift))) & _MASK if shift else value


def _keccak_f(state: List[List[int]]) -> None:
    for constant in _ROUND_CONSTANTS:
        c = [state[x][0] ^ state[x][1] ^ state[x][2] ^ state[x][3] ^ state[x][4] for x in range(5)]
        d = [c[(x - 1) % 5] ^ _rotl(c[(x + 1) % 5], 1) for x in range(5)]
        for x in range(5):
            for y in range(5):
                state[x][y] ^= d[x]
        b = [[0] * 5 for _ in range(5)]
        for x in range(5):
            for y in range(5):
                b[y][(2 * x + 3 * y) % 5] = _rotl(state[x][y], _ROTATIONS[x][y])
        for x in range(5):
            for y in range(5):
                state[x][y] = b[x][y] ^ (~b[(x + 1) % 5][y] & b[(x + 2) % 5][y])
        state[0][0] ^= constant


def keccak256(data: bytes) -> bytes:
    """Original Keccak-256 (padding 0x01), as used by Ethereum."""
    rate = 136
    padded = bytearray(data) + b"\x01" + b"\x00" * ((-len(data) - 1) % rate)
    padded[-1] |= 0x80
    state = [[0] * 5 for _ in range(5)]
    for offset in range(0, len(padded), rate):
        block = padded[offset:offset + rate]
        for i in range(rate // 8):
            state[i % 5][i // 5] ^= int.from_bytes(block[8 * i:8 * i + 8], "little")
        _keccak_f(state)
    return b"".join(state[i % 5][i // 5].to_bytes(8, "little") for i in range(4))


def eip55_checksum(address: str) -> str:
    """The EIP-55 mixed-case form of a 0x address."""
    hex_part = address[2:].lower()
    digest = keccak256(hex_part.encode()).hex()
    return "0x" + "".join(c.upper() if int(digest[i], 16) >= 8 else c for i, c in enumerate(hex_part))


# --- Entry point -----------------------------------------------------------------------------------

def validate_address(address: str) -> AddressCheck:
    """Validate an address of a supported family and say why it is rejected."""
    address = address.strip()
    if address.lower().startswith("0x"):
        hex_part = address[2:]
        if len(hex_part) != 40 or any(c not in "0123456789abcdefABCDEF" for c in hex_part):
            return AddressCheck(False, "evm", "alamat EVM harus 0x diikuti 40 karakter heksadesimal")
        if hex_part in (hex_part.lower(), hex_part.upper()) or eip55_checksum(address) == address:
            return AddressCheck(True, "evm")
        return AddressCheck(False, "evm", "huruf besar/kecil tidak cocok dengan checksum EIP-55")
    if address.lower().startswith("bc1"):
        ok = segwit_address_ok(address)
        return AddressCheck(ok, "btc", None if ok else "checksum Bech32/Bech32m tidak valid")
    if address[:1] in ("1", "3", "T"):
        payload = base58check_payload(address)
        if payload is None or len(payload) != 21:
            family = "tron" if address.startswith("T") else "btc"
            return AddressCheck(False, family, "checksum Base58Check tidak valid")
        if address.startswith("T"):
            ok = payload[0] == 0x41
            return AddressCheck(ok, "tron", None if ok else "bukan alamat TRON")
        ok = payload[0] in (0x00, 0x05)
        return AddressCheck(ok, "btc", None if ok else "bukan alamat Bitcoin")
    return AddressCheck(False, None, "format alamat tidak dikenali")


# --- Per network -----------------------------------------------------------------------------------

# Network (canonical name from the vocabulary) -> address family.
NETWORK_FAMILIES: Dict[str, str] = {
    "ERC20": "evm", "BEP20": "evm", "POLYGON": "evm", "ARBITRUM": "evm",
    "TRC20": "tron", "TRON": "tron", "BTC": "btc", "SOL": "solana",
}
FAMILY_NAMES: Dict[str, str] = {"evm": "EVM (ERC20/BEP20)", "tron": "TRON (TRC20)", "btc": "Bitcoin",
                                "solana": "Solana"}


def solana_address_ok(address: str) -> bool:
    """A Solana address is the Base58 form of a 32-byte public key (32–44 characters)."""
    if not 32 <= len(address) <= 44:
        return False
    try:
        return len(base58_decode(address)) == 32
    except ValueError:
        return False


def validate_address_for_network(address: str, network: Optional[str]) -> AddressCheck:
    """Validate ``address`` and check it belongs to ``network`` (e.g. a TRON address for TRC20).

    Networks whose format is not checked here (TON, XRP, BEP2...) give ``valid=False`` with
    ``family=None`` and reason ``"unchecked"``: the caller may accept the address as unverified.
    """
    address = address.strip()
    expected = NETWORK_FAMILIES.get(network or "")
    if network and expected is None:
        return AddressCheck(False, None, "unchecked")
    if expected == "solana":
        ok = solana_address_ok(address)
        return AddressCheck(ok, "solana", None if ok else "alamat Solana harus 32–44 karakter Base58")
    check = validate_address(address)
    # Solana keys starting with 1, 3 or T look like a broken BTC/TRON address; those never decode to 32 bytes.
    if not check.valid and solana_address_ok(address):
        check = AddressCheck(True, "solana")
    if expected and check.valid and check.family != expected:
        assert check.family is not None   # a valid address has a family
        return AddressCheck(False, check.family,
                            f"alamat ini berformat {FAMILY_NAMES[check.family]}, bukan jaringan {network}")
    return check
