"""Read report details from one customer message: every detail it contains, validated, or why not.

Pure logic (no Rasa): ``read_details`` returns ``Finding``s (values to store) and ``Issue``s
(invalid attempts, with an Indonesian explanation and an example).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import List, Optional, Tuple

from actions.reporting import details as d
from actions.reporting.asking import amount_choice
from actions.reporting.formatting import format_amount
from bot import wording
from nlu.addresses import NETWORK_FAMILIES, validate_address_for_network
from nlu.amounts import Amount, find_amounts, parse_number
from nlu.datetimes import find_when
from nlu.entities import WALLET_PATTERNS, Entity, extract_entities
from nlu.normalizer import normalize
from nlu.personal_data import MASKED_NUMBER
from nlu.secrets import REDACTION_PATTERN
from nlu.transactions import (
    BankAccount,
    bank_reference_candidates,
    check_txid,
    find_bank_account,
    txid_attempts,
    txid_candidates,
)

# Coins that live on one network of their own: the network follows from the coin.
NATIVE_NETWORKS = {"BTC": "BTC", "SOL": "SOL", "TRX": "TRC20", "XRP": "XRP", "TON": "TON"}
FAMILY_NETWORKS = {"tron": "TRC20", "btc": "BTC", "solana": "SOL"}
_SOLANA_LIKE = re.compile(r"(?<![0-9A-Za-z])[1-9A-HJ-NP-Za-km-z]{32,44}(?![0-9A-Za-z])")
_PROBLEM_WORDS: Tuple[Tuple[str, "re.Pattern[str]"], ...] = (
    ("hacked_account", re.compile(r"\b(diretas|retas|peretas|dibobol|bobol|kebobol|hack|hacked|dihack|dicuri|"
                                  r"transaksi aneh|bukan saya|tidak dikenal|akun diretas)\b")),
    ("fraud", re.compile(r"\b(tipu|ditipu|tertipu|ketipu|penipu|penipuan|scam|scammer|phishing)\b")),
    ("withdrawal", re.compile(r"\b(penarikan|tarik|narik|menarik|withdraw|withdrawal|wd|pencairan|cair)\b")),
    ("deposit", re.compile(r"\b(deposit|setor|setoran|isi saldo|top ?up|topup|depo)\b")),
    ("other", re.compile(r"^(lainnya|lain|lain lain|yang lain|kendala lain|masalah lain)$")),
)
# Words that mean the money is rupiah (matched on normalised text).
RUPIAH_WORDS = re.compile(r"\b(rupiah|idr|rp|va|virtual account|rekening|bank|transfer bank|e-wallet)\b")
_CRYPTO_ONLY = re.compile(r"^(kripto|crypto|koin|coin|aset kripto)$")
_BARE_NUMBER = re.compile(r"(?<![\w.,])\d{1,3}(?:[.,]\d{3})+(?:[.,]\d+)?(?![\w.,])"
                          r"|(?<![\w.,])\d+(?:[.,]\d+)?(?![\w.,])")
MAX_AMOUNT = Decimal(10) ** 13
AMBIGUOUS_NOTE = "jumlah ambigu: \"m\" bisa berarti juta atau miliar"
MASKED_REFERENCE_NOTE = "nomor panjang disamarkan saat diterima (data pribadi); hanya 4 digit terakhir yang tersimpan"
MAX_TEXT = 1000


@dataclass(frozen=True)
class Finding:
    """A valid (or accepted) value for one slot."""

    slot: str
    value: str
    display: str
    status: str = "valid"      # valid | inferred | unverified
    note: str = ""


@dataclass(frozen=True)
class Issue:
    """An invalid attempt at one slot, explained for the customer."""

    slot: str
    message: str
    note: str = ""
    choices: str = ""   # an ambiguous amount's readings ("15000000,15000000000 IDR"): ask which, with buttons


@dataclass(frozen=True)
class Context:
    """What is known before reading the message."""

    requested: Optional[str]
    problem: Optional[str]
    asset: Optional[str]
    network: Optional[str]
    pending_bank: Optional[str] = None
    pending_last4: Optional[str] = None
    correcting: bool = False     # the customer is reviewing or correcting earlier answers


def _mask(text: str, spans: List[Tuple[int, int]]) -> str:
    chars = list(text)
    for start, end in spans:
        chars[start:end] = " " * (end - start)
    return "".join(chars)


def read_problem(text: str) -> Optional[str]:
    """Problem type named in the message (``withdrawal``, ``deposit``, ``hacked_account``, ``fraud``, ``other``)."""
    plain = normalize(text)
    for problem, pattern in _PROBLEM_WORDS:
        if pattern.search(plain) or pattern.search(text.lower()):
            return problem
    return None


def read_asset(text: str, entities: list, amounts: Optional[List[Amount]] = None) -> Optional[str]:
    """``IDR`` or a coin ticker named in the message (``amounts``: its amounts, when already found)."""
    coins = [e.value for e in entities if e.entity == "coin"]
    if coins:
        return coins[0]
    amounts = list(find_amounts(text)) if amounts is None else amounts
    currencies = [a.currency for a in amounts if a.currency]
    if currencies:
        return currencies[0]
    if any(e.entity == "bank" for e in entities) or RUPIAH_WORDS.search(normalize(text)):
        return d.IDR
    return None


def _read_amount(text: str, amounts: List[Amount], ctx: Context, asset: Optional[str],
                 now: datetime) -> Tuple[Optional[Finding], Optional[Issue]]:
    if not amounts and ctx.requested == d.AMOUNT:
        when = find_when(text, now)   # "kemarin jam 10": the 10 is an hour, not an amount
        bare = _BARE_NUMBER.search(_mask(text, [(when.start_index, when.end_index)]) if when else text)
        if bare:
            crypto = d.is_crypto(asset)
            value = parse_number(bare.group(0), crypto=crypto)
            if value is not None:
                return _amount_finding(value, asset or d.IDR)
    if not amounts:
        return None, None
    first = _settled(amounts)
    if first.ambiguous:
        return _ambiguous_amount(first, ctx)
    return _amount_finding(first.value, first.currency or asset or d.IDR)


def _settled(amounts: List[Amount]) -> Amount:
    """The first amount; an ambiguous one gives way to a later certain reading of it ("15m, maksudnya 15 juta")."""
    first = amounts[0]
    if not first.ambiguous:
        return first
    return next((a for a in amounts[1:] if not a.ambiguous and a.value in first.readings), first)


def _ambiguous_amount(amount: Amount, ctx: Context) -> Tuple[Optional[Finding], Optional[Issue]]:
    """``15m`` may be juta or miliar: nothing is stored; when the amount is asked or corrected, ask which."""
    if ctx.requested != d.AMOUNT and not ctx.correcting:
        return None, None
    if any(not 0 < value < MAX_AMOUNT for value in amount.readings):
        return None, Issue(d.AMOUNT, wording.REPORT_AMOUNT_OUT_OF_RANGE, "jumlah di luar batas")
    readings = ",".join(format(value.normalize(), "f") for value in amount.readings)
    return None, Issue(d.AMOUNT, amount_choice(amount).text, AMBIGUOUS_NOTE, f"{readings} {amount.currency or d.IDR}")


def _amount_finding(value: Decimal, currency: str) -> Tuple[Optional[Finding], Optional[Issue]]:
    if value <= 0 or value >= MAX_AMOUNT:
        return None, Issue(d.AMOUNT, wording.REPORT_AMOUNT_OUT_OF_RANGE, "jumlah di luar batas")
    canonical = f"{format(value.normalize(), 'f')} {currency}"
    return Finding(d.AMOUNT, canonical, format_amount(canonical)), None


def _read_time(masked: str, now: datetime) -> Tuple[Optional[Finding], Optional[Issue]]:
    when = find_when(masked, now)
    if when is None:
        return None, None
    if when.start > now + timedelta(minutes=5):
        return None, Issue(d.TIME, wording.REPORT_TIME_IN_FUTURE.format(when=when.display()), "waktu di masa depan")
    return Finding(d.TIME, when.canonical(), when.display()), None


def _read_txid(text: str, account: Optional[BankAccount], ctx: Context, network: Optional[str],
               asset: Optional[str]) -> Tuple[Optional[Finding], Optional[Issue]]:
    for candidate in txid_candidates(text):
        check = check_txid(candidate, network)
        if check.valid:
            return Finding(d.TXID, check.value, check.value), None
        return None, Issue(d.TXID, wording.REPORT_TXID_INVALID.format(reason=check.reason), check.reason)
    if ctx.requested != d.TXID:
        return None, None
    if not d.is_crypto(asset):
        # "BCA 1234567890" is an account number, never kept as a reference
        def not_the_account(reference: str) -> bool:
            return not (account and account.bank and account.full_number_given
                        and re.sub(r"\D", "", reference).endswith(account.last4 or "-"))

        references = [r for r in bank_reference_candidates(text) if not_the_account(r)]
        if references:
            return Finding(d.TXID, references[0], references[0]), None
        # A bare long number was masked at entry (it may be an account): its last 4 digits still help the agent.
        masked = [m.group(0) for m in MASKED_NUMBER.finditer(text) if not_the_account(m.group(0))]
        if masked:
            return Finding(d.TXID, masked[0], masked[0], "unverified", MASKED_REFERENCE_NOTE), None
        return None, None
    attempts = txid_attempts(text)
    if attempts:
        check = check_txid(attempts[0], network)
        return None, Issue(d.TXID, wording.REPORT_TXID_INVALID.format(reason=check.reason), check.reason)
    return None, None


def _address_candidates(text: str, requested: bool) -> List[str]:
    found = [(m.start(), m.group(0)) for _, pattern in WALLET_PATTERNS for m in pattern.finditer(text)]
    if requested and not found:
        found = [(m.start(), m.group(0)) for m in _SOLANA_LIKE.finditer(text)]
        found += [(m.start(), m.group(0)) for m in re.finditer(r"(?<![0-9A-Za-z])0x[0-9A-Za-z]{10,80}", text)]
    return [value for _, value in sorted(found)]


def _read_address(text: str, ctx: Context, network: Optional[str]) -> Tuple[List[Finding], Optional[Issue]]:
    for address in _address_candidates(text, ctx.requested == d.ADDRESS):
        check = validate_address_for_network(address, network)
        if check.valid:
            findings = [Finding(d.ADDRESS, address, address)]
            if not network and check.family in FAMILY_NETWORKS:
                findings.append(Finding(d.NETWORK, FAMILY_NETWORKS[check.family], FAMILY_NETWORKS[check.family],
                                        "inferred", "disimpulkan dari format alamat"))
            return findings, None
        if check.reason == "unchecked":
            return [Finding(d.ADDRESS, address, address, "unverified",
                            f"format alamat jaringan {network} tidak dicek otomatis")], None
        example = wording.REPORT_ADDRESS_EXAMPLES.get(NETWORK_FAMILIES.get(network or "") or check.family or "", "")
        hint = wording.REPORT_ADDRESS_HINT.format(example=example) if example else ""
        return [], Issue(d.ADDRESS, wording.REPORT_ADDRESS_INVALID.format(reason=check.reason, hint=hint),
                         check.reason or "")
    return [], None


def _read_bank_account(account: Optional[BankAccount],
                       ctx: Context) -> Tuple[List[Finding], Tuple[Optional[str], Optional[str]]]:
    """A complete bank account (bank + last 4) as a finding, else what is still pending."""
    if account is not None and account.bank is None and ctx.requested != d.BANK_ACCOUNT:
        account = None   # digits alone in another answer (amount, date, reference) are not an account
    bank = (account.bank if account else None) or ctx.pending_bank
    last4 = (account.last4 if account else None) or ctx.pending_last4
    if account is None and ctx.requested != d.BANK_ACCOUNT:
        return [], (ctx.pending_bank, ctx.pending_last4)
    if bank and last4:
        note = ("pelanggan mengirim nomor lengkap; hanya 4 digit terakhir disimpan"
                if account and account.full_number_given else "")
        display = f"{bank} ••••{last4}"
        return [Finding(d.BANK_ACCOUNT, display, display, note=note)], (None, None)
    return [], (bank, last4)


def read_details(text: str, ctx: Context, now: datetime, entities: Optional[List[Entity]] = None,
                 ) -> Tuple[List[Finding], List[Issue], Tuple[Optional[str], Optional[str]]]:
    """Every detail in ``text`` and every invalid attempt, plus a partial bank account (bank, last 4) still pending.
    ``entities``: the rule entities already found in ``text`` (by the NLU pipeline); None: found here."""
    findings: List[Finding] = []
    issues: List[Issue] = []
    entities = extract_entities(text) if entities is None else entities
    amounts = list(find_amounts(text, include_ambiguous=True))
    account = find_bank_account(text, entities)
    problem = ctx.problem
    if ctx.requested == d.PROBLEM or problem is None or ctx.correcting:
        found = read_problem(text)
        if found:
            findings.append(Finding(d.PROBLEM, found, d.PROBLEM_NAMES[found]))
            problem = found
    asset = read_asset(text, entities, amounts)
    if asset:
        findings.append(Finding(d.ASSET, asset, "Rupiah (IDR)" if asset == d.IDR else asset))
    elif ctx.requested == d.ASSET and _CRYPTO_ONLY.match(normalize(text)):
        issues.append(Issue(d.ASSET, wording.REPORT_WHICH_COIN))
    asset = asset or ctx.asset
    network = next((e.value for e in entities if e.entity == "network"), None)
    if network:
        findings.append(Finding(d.NETWORK, network, network))
    elif asset in NATIVE_NETWORKS and not ctx.network:
        network = NATIVE_NETWORKS[asset]
        findings.append(Finding(d.NETWORK, network, network, "inferred", f"jaringan bawaan {asset}"))
    network = network or ctx.network
    amount, issue = _read_amount(text, amounts, ctx, asset, now)
    findings += [amount] if amount else []
    issues += [issue] if issue else []
    txid, issue = _read_txid(text, account, ctx, network, asset)
    findings += [txid] if txid else []
    issues += [issue] if issue else []
    addresses, issue = _read_address(text, ctx, network)
    findings += addresses
    issues += [issue] if issue else []
    accounts, pending = _read_bank_account(account, ctx)
    findings += accounts
    long_spans = [(e.start, e.end) for e in entities if e.entity in ("amount", "txid", "wallet_address")]
    long_spans += [(a.start, a.end) for a in amounts]
    time, issue = _read_time(_mask(text, long_spans), now)
    findings += [time] if time else []
    issues += [issue] if issue else []
    if ctx.requested == d.DESCRIPTION:
        description = re.sub(r"\s+", " ", text).strip()[:MAX_TEXT]
        own_words = REDACTION_PATTERN.sub(" ", description).strip()   # a redacted secret alone says nothing
        if len(own_words) >= 8 and len(own_words.split()) >= 2:
            findings.append(Finding(d.DESCRIPTION, description, description))
    return findings, issues, pending
