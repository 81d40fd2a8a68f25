"""Generated personal data and crypto numbers that must stay, for the masking tests and the masking benchmark.

Every generator takes a ``random.Random``: the unit tests get one from Hypothesis (``st.randoms()``), the
benchmark (``bench/privacy_masking.py``) a seeded one. Each returns the text as a customer would write it.
"""
from __future__ import annotations

import calendar
import hashlib
import random
import string
from typing import Callable, Dict, List, Tuple

from nlu.addresses import eip55_checksum
from nlu.personal_data import PROVINCE_CODES, WOMEN_DAY_OFFSET, luhn_valid

B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
BECH32 = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"


def digits(rng: random.Random, count: int) -> str:
    return "".join(rng.choice(string.digits) for _ in range(count))


# --- personal data -------------------------------------------------------------------------------------

def nik(rng: random.Random) -> str:
    """A NIK with a valid structure (a woman's birth day + 40 half of the time)."""
    month = rng.randint(1, 12)
    day = rng.randint(1, 29 if month == 2 else calendar.monthrange(2001, month)[1])
    day += WOMEN_DAY_OFFSET if rng.random() < 0.5 else 0
    return (f"{rng.choice(sorted(PROVINCE_CODES)):02d}{rng.randint(1, 99):02d}{rng.randint(1, 99):02d}"
            f"{day:02d}{month:02d}{rng.randint(0, 99):02d}{rng.randint(1, 9999):04d}")


def luhn_complete(body: str) -> str:
    """``body`` followed by its Luhn check digit."""
    return next(body + check for check in string.digits if luhn_valid(body + check))


CARD_BRANDS: Tuple[Tuple[str, Tuple[int, ...]], ...] = (
    ("4", (13, 16, 19)), ("51", (16,)), ("55", (16,)), ("2221", (16,)), ("34", (15,)), ("37", (15,)),
    ("35", (16, 19)), ("6011", (16, 19)), ("62", (16, 17, 18, 19)), ("36", (14,)),
)


def card_digits(rng: random.Random) -> str:
    """A Luhn-valid card number of a real brand's prefix and length (13-19 digits)."""
    prefix, lengths = rng.choice(CARD_BRANDS)
    length = rng.choice(lengths)
    return luhn_complete(prefix + digits(rng, length - len(prefix) - 1))


def card(rng: random.Random) -> str:
    """A card number written whole, or in groups of 4 (Amex/Diners 4-6-x) with spaces or dashes."""
    number = card_digits(rng)
    style = rng.choice(("whole", " ", "-"))
    if style == "whole":
        return number
    if len(number) in (14, 15):
        return style.join((number[:4], number[4:10], number[10:]))
    return style.join(number[i:i + 4] for i in range(0, len(number), 4))


def phone(rng: random.Random) -> str:
    """An Indonesian mobile number: 08…, 628… or +62 8…, whole or with spaces, dashes or dots."""
    national = "8" + rng.choice("1235789") + digits(rng, rng.randint(7, 10))
    prefix = rng.choice(("0", "62", "+62", "+62 "))
    separator = rng.choice(("", "", " ", "-", "."))
    groups = [national[:3], national[3:7], national[7:]]
    return prefix + (separator.join(groups) if separator else national)


def email(rng: random.Random) -> str:
    name = rng.choice(("budi", "siti", "andi", "dewi", "rizky", "putri", "agus", "wulan", "a", "jo"))
    local = name + rng.choice(("", ".", "_", "")) + rng.choice(("", str(rng.randint(1, 9999)), "santoso", "x"))
    domain = rng.choice(("gmail.com", "yahoo.co.id", "outlook.com", "kantor.co.id", "mail.ui.ac.id", "proton.me"))
    return f"{local}@{domain}"


ACCOUNT_LENGTHS = {"BCA": 10, "BRI": 15, "BNI": 10, "Mandiri": 13, "BSI": 10, "CIMB Niaga": 13, "Permata": 10,
                   "Danamon": 10, "Bank Jago": 12, "SeaBank": 12, "BTN": 16}


def account(rng: random.Random) -> Tuple[str, str]:
    """(bank, account number as written: whole, dashed, or spaced/dotted in groups)."""
    bank = rng.choice(sorted(ACCOUNT_LENGTHS))
    number = str(rng.randint(1, 9)) + digits(rng, ACCOUNT_LENGTHS[bank] - 1)
    style = rng.choice(("whole", "whole", "-", " ", "."))
    if style == "whole":
        return bank, number
    # "123.456.7890", "1234 5678 9012 3"
    cut = [0, 3, 6, len(number)] if len(number) <= 12 else [0, 4, 8, 12, len(number)]
    return bank, style.join(number[a:b] for a, b in zip(cut, cut[1:], strict=False))


# --- numbers that must stay ----------------------------------------------------------------------------

def base58(raw: bytes) -> str:
    number, out = int.from_bytes(raw, "big"), ""
    while number:
        number, rest = divmod(number, 58)
        out = B58[rest] + out
    return "1" * (len(raw) - len(raw.lstrip(b"\0"))) + out


def base58check(payload: bytes) -> str:
    return base58(payload + hashlib.sha256(hashlib.sha256(payload).digest()).digest()[:4])


def _bech32_polymod(values: List[int]) -> int:
    generator = [0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3]
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i in range(5):
            checksum ^= generator[i] if (top >> i) & 1 else 0
    return checksum


def segwit_v0(program: bytes, hrp: str = "bc") -> str:
    """A BIP-173 SegWit v0 address for a 20- or 32-byte program."""
    accumulator, bits, data = 0, 0, [0]
    for byte in program:
        accumulator, bits = (accumulator << 8) | byte, bits + 8
        while bits >= 5:
            bits -= 5
            data.append((accumulator >> bits) & 31)
    if bits:
        data.append((accumulator << (5 - bits)) & 31)
    expanded = [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]
    polymod = _bech32_polymod(expanded + data + [0] * 6) ^ 1
    checksum = [(polymod >> 5 * (5 - i)) & 31 for i in range(6)]
    return hrp + "1" + "".join(BECH32[d] for d in data + checksum)


def address(rng: random.Random) -> str:
    """A valid address: EVM (EIP-55), TRON, Bitcoin legacy/P2SH/SegWit, or Solana."""
    kind = rng.choice(("evm", "tron", "btc", "p2sh", "segwit", "solana"))
    raw = bytes(rng.getrandbits(8) for _ in range(32))
    if kind == "evm":
        return eip55_checksum("0x" + raw[:20].hex())
    if kind == "tron":
        return base58check(b"\x41" + raw[:20])
    if kind in ("btc", "p2sh"):
        return base58check((b"\x00" if kind == "btc" else b"\x05") + raw[:20])
    if kind == "segwit":
        return segwit_v0(raw[:rng.choice((20, 32))])
    return base58(raw)


def txid(rng: random.Random) -> str:
    value = "".join(rng.choice("0123456789abcdef") for _ in range(64))
    return rng.choice(("", "0x")) + (value.upper() if rng.random() < 0.2 else value)


def amount(rng: random.Random) -> str:
    """Rupiah and crypto amounts as customers write them."""
    millions = rng.randint(1, 999)
    forms = (
        f"Rp {millions}.{rng.randint(0, 999):03d}.000", f"Rp{millions}.500.000", f"{millions}.000.000,00",
        f"Rp {rng.randint(1, 9)}.{rng.randint(0, 999):03d}.{rng.randint(0, 999):03d}.000",
        f"{millions},{rng.randint(1, 9)}jt", f"{millions} juta", f"{rng.randint(1, 999)}rb",
        f"{millions}000000", f"Rp {millions}000000", f"{rng.randint(1, 9)}500000000 IDR",
        f"0.{digits(rng, rng.randint(3, 8))} BTC", f"{rng.randint(1, 99999)} USDT",
        f"{rng.randint(1, 9)},{digits(rng, 4)} ETH",
        f"IDR {millions}.000.000", f"{rng.randint(1, 99)}.{digits(rng, 6)} SOL",
    )
    return rng.choice(forms)


def date_time(rng: random.Random) -> str:
    day, month, year = rng.randint(1, 28), rng.randint(1, 12), rng.randint(2020, 2026)
    hour, minute = rng.randint(0, 23), rng.randint(0, 59)
    return rng.choice((
        f"{day:02d}/{month:02d}/{year}", f"{year}-{month:02d}-{day:02d}",
        f"{day:02d}-{month:02d}-{year} {hour:02d}:{minute:02d}", f"{day} Nov {year}", f"jam {hour:02d}.{minute:02d}",
        f"{year}-{month:02d}-{day:02d}T{hour:02d}:{minute:02d}:00Z", f"{day:02d}/{month:02d} {hour:02d}:{minute:02d}",
        f"{year}{month:02d}{day:02d}{hour:02d}{minute:02d}{rng.randint(0, 59):02d}",
        f"{day:02d}.{month:02d}.{year}",
    ))


def labelled_id(rng: random.Random) -> str:
    """Order ids, references, tickets, UIDs and platform ids, named as such (they stay as written)."""
    return rng.choice((
        f"order id {digits(rng, 12)}", f"no. pesanan {digits(rng, 14)}", f"invoice {digits(rng, 10)}",
        f"ref {digits(rng, 12)}", f"no referensi {digits(rng, 16)}", f"#{digits(rng, 12)}",
        f"tiket CS-2026{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{rng.randint(1, 9999):04d}",
        f"WD-2026{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}-{rng.randint(1000, 9999)}",
        f"UID {digits(rng, 9)}", f"id transaksi {digits(rng, 13)}", f"block {rng.randint(10**6, 10**8)}",
        f"TRX{digits(rng, 12)}", f"kode booking {digits(rng, 10)}",
    ))


def ticker_or_network(rng: random.Random) -> str:
    return rng.choice(("BEP20", "TRC20", "ERC20", "USDT", "BTC", "ETH", "SOL", "ARB", "1INCH", "BRC-20", "polygon"))


KEPT: Dict[str, Callable[[random.Random], str]] = {
    "amount": amount, "txid": txid, "address": address, "date_time": date_time, "labelled_id": labelled_id,
    "ticker": ticker_or_network,
}
