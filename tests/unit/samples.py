"""Constants and helpers shared by the unit tests (imported as ``tests.unit.samples``)."""
from __future__ import annotations

from pathlib import Path
from typing import Dict

ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = ROOT / "tests" / "data"
DEV_FILE = DATA_DIR / "dev.tsv"      # tuning may use it
TEST_FILE = DATA_DIR / "test.tsv"    # held out: nothing is tuned on it
ROUTING_FILE = DATA_DIR / "routing.tsv"   # dev: how-to questions vs own-problem reports
NLU_DIR = ROOT / "data" / "nlu"

# Article ids the knowledge base must always contain.
REQUIRED_KB_IDS = (
    "daftar-akun reset-kata-sandi aktivasi-2fa reset-2fa akun-terkunci verifikasi-kyc kyc-ditolak "
    "ubah-email-telepon private-key seed-phrase alamat-wallet deposit-rupiah deposit-rupiah-belum-masuk "
    "deposit-kripto deposit-kripto-belum-masuk salah-jaringan memo-tag penarikan-rupiah penarikan-gagal "
    "penarikan-kripto-pending biaya-penarikan batas-penarikan cara-beli-jual jenis-order biaya-trading "
    "order-belum-tereksekusi volatilitas-pasar penipuan akun-diretas legalitas pajak-kripto hubungi-cs "
    "apa-itu-blockchain"
).split()

# Intents the evaluation set must cover.
REQUIRED_INTENTS = (
    "greet goodbye thank affirm deny bot_challenge request_human report_withdrawal_problem "
    "report_deposit_problem out_of_scope"
).split()

# Sample on-chain identifiers (well-formed shapes; checksums are not verified by the NLU).
EVM_ADDRESS = "0x52908400098527886E0F7030069857D2E4169EE7"
TRON_ADDRESS = "TJRabPrwbZy45sbavfcjinPJC18kjpRTv8"
BECH32_ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
P2PKH_ADDRESS = "1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa"
P2SH_ADDRESS = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
TXID = "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b"


def article_text(article_id: str, title: str, category: str, questions, body: str, related=()) -> str:
    """Render an article file in the knowledge-base format (YAML front matter + Markdown body)."""
    lines = ["---", f"id: {article_id}", f"title: {title}", f"category: {category}", "questions:"]
    lines += [f"  - {q}" for q in questions]
    if related:
        lines.append(f"related: [{', '.join(related)}]")
    lines += ["---", body, ""]
    return "\n".join(lines)


# A tiny knowledge base of four clearly separated topics, for fast retrieval tests.
TINY_KB: Dict[str, dict] = {
    "reset-kata-sandi": dict(
        title="Lupa kata sandi",
        category="akun",
        questions=[
            "Bagaimana cara mengatur ulang kata sandi?",
            "lupa password akun gimana",
            "pw gw lupa gabisa login",
            "cara ganti kata sandi",
            "link reset password tidak datang",
        ],
        body="Ketuk **Lupa kata sandi** di halaman masuk, lalu buka tautan reset yang dikirim ke e-mail Anda.",
        related=["penipuan"],
    ),
    "deposit-kripto": dict(
        title="Deposit aset kripto",
        category="deposit",
        questions=[
            "Bagaimana cara deposit kripto?",
            "cara kirim usdt dari wallet lain ke sini",
            "alamat deposit btc saya dimana",
            "depo eth pakai jaringan apa",
            "minimal deposit kripto berapa",
        ],
        body="Buka menu Deposit, pilih koin dan jaringan, lalu salin alamat deposit Anda.",
    ),
    "biaya-trading": dict(
        title="Biaya trading",
        category="trading",
        questions=[
            "Berapa biaya trading di sini?",
            "fee maker taker berapa persen",
            "kok beli koin kena potongan fee",
            "ada diskon biaya untuk volume besar",
            "biaya jual beli kripto berapa",
        ],
        body="Biaya maker dan taker dipotong dari setiap transaksi jual beli; lihat angka pasti di layar order.",
    ),
    "penipuan": dict(
        title="Waspada penipuan",
        category="keamanan",
        questions=[
            "ada yang mengaku CS minta kode OTP",
            "apakah admin pernah minta seed phrase",
            "grup telegram menawarkan profit tiap hari, resmi?",
            "saya ditipu orang yang mengaku admin",
            "cara membedakan situs palsu",
        ],
        body="Tim kami tidak pernah meminta kata sandi, OTP, seed phrase atau private key. Laporkan akun penipu.",
        related=["reset-kata-sandi"],
    ),
}


def write_kb(directory: Path, articles: Dict[str, dict] = TINY_KB) -> Path:
    """Write ``articles`` into ``directory`` as ``<id>.md`` files and return the directory."""
    directory.mkdir(parents=True, exist_ok=True)
    for article_id, spec in articles.items():
        (directory / f"{article_id}.md").write_text(
            article_text(article_id, spec["title"], spec["category"], spec["questions"], spec["body"],
                         spec.get("related", ())),
            encoding="utf-8",
        )
    return directory
