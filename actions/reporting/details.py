"""Which details a problem report needs, in which order, and how each is labelled for people."""
from __future__ import annotations

from typing import Dict, List, Optional

PROBLEM = "report_problem"
ASSET = "report_asset"
NETWORK = "report_network"
AMOUNT = "report_amount"
TIME = "report_time"
TXID = "report_txid"
BANK_ACCOUNT = "report_bank_account"
ADDRESS = "report_address"
DESCRIPTION = "report_description"
CONFIRMED = "report_confirmed"

# Every slot the form may request, in the order the domain lists them.
DETAIL_SLOTS = (PROBLEM, ASSET, NETWORK, AMOUNT, TIME, TXID, BANK_ACCOUNT, ADDRESS, DESCRIPTION)
FORM_SLOTS = DETAIL_SLOTS + (CONFIRMED,)

# Detail name as the ticket stores it.
DETAIL_NAMES: Dict[str, str] = {
    PROBLEM: "problem_type", ASSET: "asset", NETWORK: "network", AMOUNT: "amount", TIME: "tx_time", TXID: "txid",
    BANK_ACCOUNT: "bank_account", ADDRESS: "address", DESCRIPTION: "description",
}


LABELS: Dict[str, str] = {
    PROBLEM: "Jenis masalah", ASSET: "Aset", NETWORK: "Jaringan", AMOUNT: "Jumlah", TIME: "Waktu transaksi",
    TXID: "TXID / ID transaksi", BANK_ACCOUNT: "Rekening bank", ADDRESS: "Alamat wallet",
    DESCRIPTION: "Keterangan pelanggan",
}

PROBLEMS = ("withdrawal", "deposit", "hacked_account", "fraud", "other")
PROBLEM_NAMES: Dict[str, str] = {
    "withdrawal": "Penarikan", "deposit": "Deposit", "hacked_account": "Akun diretas / transaksi tidak dikenal",
    "fraud": "Penipuan", "other": "Kendala lainnya",
}
IDR = "IDR"


def is_crypto(asset: Optional[str]) -> bool:
    """True for a coin ticker, False for rupiah or an unknown asset."""
    return bool(asset) and asset != IDR and asset != ""


def category(problem: Optional[str], asset: Optional[str]) -> str:
    """Ticket category: ``withdrawal_idr``, ``deposit_crypto``, ``hacked_account``, ``fraud``, ``other``."""
    if problem in ("withdrawal", "deposit"):
        return f"{problem}_{'crypto' if is_crypto(asset) else 'idr'}"
    return problem if problem in PROBLEMS else "other"   # an unverified free-text answer files as "other"


def required_slots(problem: Optional[str], asset: Optional[str]) -> List[str]:
    """The details to collect for this problem, in asking order (the confirmation comes after)."""
    if problem is None:
        return [PROBLEM]
    if problem in ("withdrawal", "deposit"):
        if not asset:
            return [PROBLEM, ASSET]
        if is_crypto(asset):
            return [PROBLEM, ASSET, NETWORK, AMOUNT, TIME, TXID, ADDRESS]
        return [PROBLEM, ASSET, AMOUNT, TIME, TXID, BANK_ACCOUNT]
    network = [NETWORK] if is_crypto(asset) else []
    if problem == "hacked_account":
        return [PROBLEM, DESCRIPTION, TIME, ASSET, *network, AMOUNT, TXID]
    if problem == "fraud":
        return [PROBLEM, DESCRIPTION, TIME, ASSET, *network, AMOUNT, ADDRESS, TXID]
    return [PROBLEM, DESCRIPTION]


def is_optional(slot: str, problem: Optional[str]) -> bool:
    """Optional details may be answered with "tidak tahu"; required ones are asked again."""
    if slot in (TXID, NETWORK):
        return True
    if problem in ("hacked_account", "fraud"):
        return slot in (ASSET, AMOUNT, ADDRESS)
    if problem == "deposit":
        return slot == ADDRESS
    return False
