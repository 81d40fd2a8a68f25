"""Sample ticket drafts, including the secrets that must never be stored or sent."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from bot.tickets import WIB, Detail, TicketDraft, TranscriptLine

SEED_PHRASE = " ".join(["abandon"] * 11 + ["about"])  # the classic 12-word BIP39 test vector
PASSWORD = "Rahasia123"
MOMENT = datetime(2026, 11, 22, 10, 15, tzinfo=WIB)


def make_draft(**overrides: Any) -> TicketDraft:
    """A realistic crypto-withdrawal draft; keyword arguments replace fields."""
    draft = TicketDraft(
        customer_id="tg-88123",
        customer_name="Budi Santoso",
        channel="telegram",
        category="withdrawal_crypto",
        priority="high",
        summary="WD 150 USDT via TRC20 belum masuk sejak semalam",
        details=(
            Detail("problem_type", "Jenis masalah", "Penarikan belum masuk", "valid"),
            Detail("asset", "Aset", "USDT", "valid"),
            Detail("network", "Jaringan", "TRC20", "inferred", "disimpulkan dari format alamat"),
            Detail("amount", "Jumlah", "150 USDT", "valid"),
            Detail("address", "Alamat tujuan", "TQ4ge3kZ2DuYtVv9ZnG7Ezj2kXsTVLdLgX", "unverified",
                   "checksum alamat tidak cocok"),
            Detail("txid", "TXID", "", "unknown"),
        ),
        kb_articles=("withdraw-crypto-pending", "network-mismatch"),
        sentiment="upset",
        transcript=(
            TranscriptLine(MOMENT, "customer", "wd usdt gw nyangkut dari semalem"),
            TranscriptLine(MOMENT, "assistant", "Mohon maaf atas kendalanya. Jaringan apa yang dipakai?"),
            TranscriptLine(MOMENT, "customer", "trc20, udah 12 jam"),
        ),
    )
    return replace(draft, **overrides)


def draft_with_secrets() -> TicketDraft:
    """A draft whose free text carries a seed phrase and a password in every text field."""
    return make_draft(
        customer_name=f"Budi password: {PASSWORD}",
        summary=f"Akun diretas, seed: {SEED_PHRASE}",
        category="hacked_account",
        priority="urgent",
        sentiment="urgent",
        details=(Detail("description", "Keterangan", f"seed saya {SEED_PHRASE}", "valid",
                        f"pelanggan menulis password: {PASSWORD}"),),
        transcript=(
            TranscriptLine(MOMENT, "customer", f"tolong!! ini seed saya {SEED_PHRASE}"),
            TranscriptLine(MOMENT, "customer", f"password: {PASSWORD}"),
        ),
    )
