"""What the form asks for each detail, and the summary the customer confirms before submitting."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, List, Optional

from nlu.amounts import BILLION, MILLION, THOUSAND, Amount

from actions.reporting import details as d
from actions.reporting.formatting import format_number
from actions.reporting.state import AMOUNT_CHOICES, ReportState


@dataclass(frozen=True)
class Question:
    """A question with quick-reply buttons (title, payload)."""

    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)


def _buttons(*titles: str) -> List[Dict[str, str]]:
    """Buttons that send their own title as plain text, so the form reads them like typed answers."""
    return [{"title": title, "payload": title} for title in titles]


DONT_KNOW = "Tidak tahu"
STATUS_NOTES = {"unverified": " (belum terverifikasi)", "unknown": "", "inferred": "", "valid": ""}


def _asset_name(state: ReportState) -> str:
    return "rupiah" if state.asset == d.IDR else (state.asset or "aset")


def question(slot: str, state: ReportState) -> Question:
    """The question for ``slot``, worded for the kind of problem being reported."""
    problem, asset = state.problem, _asset_name(state)
    withdrawal = problem == "withdrawal"
    if slot == d.PROBLEM:
        return Question("Supaya agen bisa langsung menindaklanjuti, saya catat dulu detailnya. "
                        "Kendalanya tentang apa?",
                        _buttons("Penarikan", "Deposit", "Akun diretas", "Penipuan", "Lainnya"))
    if slot == d.ASSET:
        if problem in ("hacked_account", "fraud"):
            return Question("Aset apa yang terdampak? Sebutkan rupiah atau nama koinnya. Ketik \"tidak tahu\" "
                            "jika belum yakin.", _buttons("Rupiah", "USDT", "BTC", DONT_KNOW))
        what = "Penarikannya" if withdrawal else "Depositnya"
        return Question(f"{what} dalam rupiah atau kripto? Jika kripto, koin apa (mis. USDT, BTC)?",
                        _buttons("Rupiah", "USDT", "BTC", "ETH"))
    if slot == d.NETWORK:
        return Question(f"Lewat jaringan apa {asset} dikirim? Jaringannya tertera di riwayat transaksi.",
                        _buttons("TRC20", "ERC20", "BEP20", DONT_KNOW))
    if slot == d.AMOUNT:
        if state.pending.get(AMOUNT_CHOICES):
            return stored_amount_choice(str(state.pending[AMOUNT_CHOICES]))
        optional = " Ketik \"tidak tahu\" jika belum yakin." if d.is_optional(slot, problem) else ""
        return Question(f"Berapa jumlahnya? Contoh: \"Rp 1.500.000\", \"1,5 jt\", atau \"100 USDT\".{optional}")
    if slot == d.TIME:
        if problem in ("hacked_account", "fraud"):
            return Question("Kapan kejadiannya atau kapan Anda pertama kali menyadarinya? "
                            "Contoh: \"tadi pagi\", \"kemarin jam 10\", atau \"20/11 14:30\".")
        return Question("Kapan transaksinya dilakukan? Contoh: \"kemarin jam 10\", \"tadi pagi\", atau \"20/11 14:30\".")
    if slot == d.TXID:
        if state.asset == d.IDR:
            return Question("Jika ada, kirimkan ID transaksi atau nomor referensi transfernya. Ketik \"tidak tahu\" "
                            "jika tidak ada.", _buttons(DONT_KNOW))
        return Question("Jika ada, kirimkan TXID (hash transaksi) atau ID penarikan dari menu Riwayat > detail "
                        "transaksi. Ketik \"tidak tahu\" jika belum ada.", _buttons(DONT_KNOW))
    if slot == d.BANK_ACCOUNT:
        bank, last4 = state.pending.get("bank"), state.pending.get("last4")
        if bank and not last4:
            return Question(f"Boleh sebutkan 4 digit terakhir nomor rekening {bank} Anda?")
        if last4 and not bank:
            return Question(f"Rekening berakhiran {last4} itu di bank apa? Contoh: BCA, BRI, atau Mandiri.")
        where = "Ke rekening bank mana penarikannya?" if withdrawal else "Dari rekening bank mana Anda transfer?"
        return Question(f"{where} Cukup sebutkan nama bank dan 4 digit terakhir nomor rekening, contoh: \"BCA 1234\".")
    if slot == d.ADDRESS:
        if problem == "fraud":
            return Question("Jika ada, kirimkan alamat wallet penerima (pelaku). Ketik \"tidak tahu\" jika tidak ada.",
                            _buttons(DONT_KNOW))
        if withdrawal:
            return Question(f"Ke alamat wallet mana {asset} dikirim? Mohon salin-tempel alamat tujuannya.")
        return Question(f"Ke alamat mana Anda mengirim {asset}? (alamat deposit Anda di aplikasi kami). "
                        "Ketik \"tidak tahu\" jika tidak ada.", _buttons(DONT_KNOW))
    if slot == d.DESCRIPTION:
        if problem == "hacked_account":
            return Question("Boleh ceritakan singkat apa yang terjadi? Misalnya transaksi apa yang tidak Anda kenali "
                            "dan apakah Anda masih bisa masuk ke akun.")
        if problem == "fraud":
            return Question("Boleh ceritakan singkat kronologinya? Misalnya lewat mana pelaku menghubungi Anda dan "
                            "apa yang sudah dikirim.")
        return Question("Boleh ceritakan kendalanya secara singkat? Agen kami akan membacanya lengkap.")
    return confirmation(state)


def spoken_amount(value: Decimal, currency: Optional[str]) -> str:
    """An amount the way people say it: ``Rp 15 juta``, ``Rp 1,5 miliar``, ``15 juta USDT``; never with three
    decimals (``Rp 1,001 miliar`` would read back as 1.001 miliar), so ``Rp 1.001 juta``."""
    number = format_number(value, decimals_allowed=True)
    for scale, word in ((BILLION, "miliar"), (MILLION, "juta"), (THOUSAND, "ribu")):
        if value >= scale and (value / scale).normalize().as_tuple().exponent >= -2:
            number = f"{format_number(value / scale, decimals_allowed=True)} {word}"
            break
    return f"Rp {number}" if currency in (None, d.IDR) else f"{number} {currency}"


def amount_choice(amount: Amount) -> Question:
    """Which reading of an ambiguous amount (``15m``: juta or miliar) the customer meant; each button sends one."""
    return _choice([spoken_amount(value, amount.currency) for value in amount.readings])


def stored_amount_choice(choices: str) -> Question:
    """:func:`amount_choice` from the readings the form keeps (``"15000000,15000000000 IDR"``)."""
    values, _, currency = choices.partition(" ")
    return _choice([spoken_amount(Decimal(value), currency or d.IDR) for value in values.split(",")])


UNIT_WORDS = {"miliar": {"miliar", "milyar", "milyard", "miliard", "billion", "b"},
              "juta": {"juta", "jt", "jta", "million", "mio"}, "ribu": {"ribu", "rb", "k", "thousand"}}
ORDINAL_WORDS = ({"pertama", "atas", "first"}, {"kedua", "bawah", "second"})


def chosen_amount(reply: str, choices: str) -> Optional[str]:
    """The option of a stored amount choice that a reply without digits picks ("yang miliar", "juta kak",
    "yg pertama"), as the option's text; None when the reply has digits of its own or picks no single option."""
    if any(ch.isdigit() for ch in reply):
        return None
    words = set(re.findall(r"[a-z]+", reply.lower()))
    options = stored_amount_choice(choices).buttons
    picked = [option["title"] for option in options
              if words & UNIT_WORDS.get(next((w for w in option["title"].split() if w in UNIT_WORDS), ""), set())]
    picked += [options[index]["title"] for index, ordinal in enumerate(ORDINAL_WORDS)
               if index < len(options) and words & ordinal]
    return picked[0] if len(set(picked)) == 1 else None


def _choice(options: List[str]) -> Question:
    return Question(f"Maksud Anda {' atau '.join(options)}? Huruf \"m\" bisa berarti keduanya, jadi saya pastikan "
                    "dulu agar tidak salah catat.", _buttons(*options))


def summary_lines(state: ReportState) -> List[str]:
    """One line per collected detail, in asking order."""
    lines = []
    for slot in state.required():
        check = state.checks.get(slot)
        if not check:
            continue
        display = check.get("display") or "tidak diketahui"
        lines.append(f"• {d.LABELS[slot]}: {display}{STATUS_NOTES.get(check.get('status', ''), '')}")
    return lines


def confirmation(state: ReportState) -> Question:
    """The summary the customer checks before the report goes to an agent."""
    text = "\n".join(["Berikut ringkasan laporan Anda:", *summary_lines(state),
                      "Apakah sudah benar? Jika ada yang keliru, tulis saja nilai yang benar "
                      "(mis. \"jumlahnya 2 juta\")."])
    return Question(text, [{"title": "Ya, kirim ke agen", "payload": "/affirm"},
                           {"title": "Batalkan", "payload": "batal"}])
