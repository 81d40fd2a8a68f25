"""Personal-data masking precision and recall on generated messages (prints figures; not a test).

Generates, with a fixed seed, messages with planted personal data (NIK, card, bank account and phone numbers,
e-mail addresses; varied Indonesian phrasing, labels or none, random positions and separators, often next to
amounts, dates or TXIDs) and crypto messages full of numbers that must stay (amounts, TXIDs, addresses, order
ids and references, also 12-digit ones starting with 08, dates and times, tickers, ticket and platform ids).
Each message is masked as a channel does at entry (:func:`nlu.personal_data.mask_personal_data`); a planted item
counts as found when a masked piece of its kind covers it. Prints precision and recall per kind and overall,
what leaked, what was changed that should not have been, and throughput (messages per second, this process,
one core). Unlabelled 10-16 digit order ids are masked by design (they cannot be told from an account number);
their share is printed on its own line, outside the figures.

    .venv/bin/python bench/privacy_masking.py [--messages 1000] [--seed 12] [--show 5]
"""
from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlu.personal_data import KINDS, find_personal_data, mask_personal_data  # noqa: E402
from nlu.scrub import protect  # noqa: E402
from tests.unit import personal_data_samples as samples  # noqa: E402

NAMES = ("Budi Santoso", "Siti Aminah", "Andi", "Dewi Lestari", "Rizky", "Putri")
E_WALLETS = ("DANA", "OVO", "GoPay", "ShopeePay")
OPENERS = ("", "halo kak, ", "min tolong ", "permisi admin, ", "kak ", "gan, ", "selamat siang, ", "mohon bantuannya, ")
CLOSERS = ("", " makasih", " tolong dicek ya", " gimana ini kak?", " udah 2 hari belum ada kabar", " pls cepet",
           " 🙏", "!!", ".")
JOINERS = (", ", " dan ", ". ", " terus ", "\n", " — ", "; ")
# How customers name each kind before it (or not at all: "{v}" alone).
PHRASES: Dict[str, Tuple[str, ...]] = {
    "nik": ("NIK saya {v}", "nik: {v}", "no KTP {v}", "ktp saya {v}", "{v} itu NIK saya", "{v}", "e-KTP {v}",
            "nomor induk kependudukan {v}", "NIK istri saya {v}"),
    "card": ("kartu debit saya {v}", "cc {v}", "nomor kartu {v}", "kartu kredit {v} kena charge", "{v}", "visa {v}",
             "kartu saya {v} ditolak"),
    "bank_account": ("rek {bank} {v}", "norek {v} ({bank})", "no rek {bank}: {v}", "transfer ke {bank} {v} a.n. {name}",
                     "rekening {bank} saya {v}", "{bank} {v}", "VA {bank} {v}", "{v}", "nomor rekening saya {v}",
                     "ke {wallet} {phone}"),
    "phone": ("hp saya {v}", "wa {v}", "no hp {v}", "hubungi saya di {v}", "{v}", "nomor saya {v}", "WA: {v}",
              "telp {v}", "no wa yg terdaftar {v}"),
    "email": ("email {v}", "e-mail saya {v}", "{v}", "kirim ke {v} ya", "akun saya {v}", "emailnya {v}"),
}
CRYPTO_TEMPLATES = (
    "deposit {amount} via {ticker} belum masuk, txid {txid}", "wd ke {address} pending sejak {date}",
    "{id} nyangkut dari {date}", "tadi beli {amount} terus jual {amount}, kok saldo beda?",
    "kirim {amount} ke {address} jaringan {ticker}, hash {txid}", "{id}, {id}, sudah {date} belum diproses",
    "fee {amount} kemahalan, {ticker} di {ticker} lebih murah", "saldo {amount} hilang {date}, {id}",
    "transaksi {txid} gagal {date}", "alamat deposit saya {address} bener kan?", "{amount} dan {amount} tgl {date}",
)


@dataclass
class Message:
    text: str
    planted: List[Tuple[str, int, int]] = field(default_factory=list)   # (kind, start, end)


def build(pieces: Sequence[Tuple[str, Optional[str]]]) -> Message:
    """Join text pieces, remembering where the planted ones (kind not None) are."""
    text, planted = "", []
    for piece, kind in pieces:
        if kind:
            planted.append((kind, len(text), len(text) + len(piece)))
        text += piece
    return Message(text, planted)


# Harder writings: labels glued to the number, brackets, odd groupings, upper case (a tenth of the items).
HARD: Dict[str, Callable[[random.Random], Tuple[str, str, str]]] = {
    "nik": lambda rng: ("NIK:", " ".join(_groups(samples.nik(rng), 4)), ""),
    "card": lambda rng: ("no kartu:", samples.card_digits(rng), " (debit)"),
    "bank_account": lambda rng: ("norek", samples.digits(rng, 10), " bca"),
    "phone": lambda rng: rng.choice((("hp", "08" + samples.digits(rng, 10), ""),
                                     ("nomor (wa) ", "0812 345 678 " + samples.digits(rng, 2), ""),
                                     ("", "+62-8" + samples.digits(rng, 2) + "-" + samples.digits(rng, 4) + "-"
                                      + samples.digits(rng, 4), " (wa)"))),
    "email": lambda rng: ("EMAIL: ", samples.email(rng).upper(), ""),
}
# Numbers that must stay, beyond the generators of the unit tests.
EXTRA_KEPT = ("Rp1.500.000", "1.500.000,-", "2jt500rb", "USDT 1500", "jam 10.30", "10:30:15", "v2.14.3", "12,5%",
              "x100", "08:30", "https://tronscan.org/#/block/65123456", "TX 0x" + "ab" * 32, "2FA 6 digit",
              "15/11/2026 08.00 WIB", "tgl 1-3 des", "3x gagal", "Rp 25.000.000.000")


def _groups(digits: str, size: int) -> List[str]:
    return [digits[i:i + size] for i in range(0, len(digits), size)]


def planted_item(rng: random.Random, kind: str) -> List[Tuple[str, Optional[str]]]:
    """One phrase with one planted value, as pieces."""
    if rng.random() < 0.1:
        before, value, after = HARD[kind](rng)
        return [(before, None), (value, kind), (after, None)]
    phrase = rng.choice(PHRASES[kind])
    if "{phone}" in phrase:   # an e-wallet account is a phone number: planted as the account it is here
        value, phrase = samples.phone(rng), phrase.replace("{wallet}", rng.choice(E_WALLETS)).replace("{phone}", "{v}")
    elif kind == "bank_account":
        bank, value = samples.account(rng)
        if phrase == "{v}" or "nomor rekening" in phrase:
            value = "".join(c for c in value if c.isdigit())        # unlabelled: written whole
        phrase = phrase.replace("{bank}", bank).replace("{name}", rng.choice(NAMES))
    else:
        value = {"nik": samples.nik, "card": samples.card, "phone": samples.phone, "email": samples.email}[kind](rng)
    before, after = phrase.split("{v}")
    return [(before, None), (value, kind), (after, None)]


def personal_message(rng: random.Random) -> Message:
    pieces: List[Tuple[str, Optional[str]]] = [(rng.choice(OPENERS), None)]
    items = [planted_item(rng, rng.choice(KINDS)) for _ in range(rng.choice((1, 1, 2, 2, 3)))]
    if rng.random() < 0.5:   # numbers that must stay, in the same message
        kept = rng.choice(("amount", "date_time", "txid", "labelled_id"))
        items.insert(rng.randrange(len(items) + 1), [(samples.KEPT[kept](rng), None)])
    for index, item in enumerate(items):
        if index:
            pieces.append((rng.choice(JOINERS), None))
        pieces += item
    pieces.append((rng.choice(CLOSERS), None))
    return build(pieces)


def crypto_message(rng: random.Random) -> Message:
    """A message with only numbers that must stay (nothing planted)."""
    fillers: Dict[str, Callable[[random.Random], str]] = {
        "amount": samples.amount, "ticker": samples.ticker_or_network, "txid": samples.txid,
        "address": samples.address, "date": samples.date_time, "id": labelled_or_phone_like_id}
    text = rng.choice(CRYPTO_TEMPLATES)
    if rng.random() < 0.3:
        text += ", " + rng.choice(EXTRA_KEPT)
    while "{" in text:
        start = text.index("{")
        name = text[start + 1:text.index("}", start)]
        text = text[:start] + fillers[name](rng) + text[text.index("}", start) + 1:]
    return Message(rng.choice(OPENERS) + text + rng.choice(CLOSERS))


def labelled_or_phone_like_id(rng: random.Random) -> str:
    """A named id; a quarter of them 12 digits starting with 08, like a phone number."""
    if rng.random() < 0.25:
        return rng.choice(("order id", "no. order", "invoice", "ref", "#", "id transaksi")) + \
            (" " if rng.random() < 0.8 else "") + "08" + samples.digits(rng, 10)
    return samples.labelled_id(rng)


def unlabelled_order_message(rng: random.Random) -> Message:
    number = str(rng.randint(1, 9)) + samples.digits(rng, rng.randint(9, 15))
    return Message(rng.choice(("{} belum sampai", "{} kok gagal", "cek {} dong kak", "yang {} gimana")).format(number))


# --- scoring ----------------------------------------------------------------------------------------------

@dataclass
class Score:
    true_positive: int = 0
    false_positive: int = 0
    false_negative: int = 0

    def precision(self) -> float:
        found = self.true_positive + self.false_positive
        return self.true_positive / found if found else 1.0

    def recall(self) -> float:
        planted = self.true_positive + self.false_negative
        return self.true_positive / planted if planted else 1.0


def covers(spans: Sequence[Tuple[int, int]], start: int, end: int) -> bool:
    """Every character of ``start:end`` (but spaces and punctuation) lies in one of ``spans``."""
    return all(any(s <= i < e for s, e in spans) for i in range(start, end))


def score(messages: Sequence[Message]) -> Tuple[Dict[str, Score], Score, List[str], List[str]]:
    """Per kind and overall (kind-agnostic) scores, and examples of misses and of wrong masks."""
    per_kind = {kind: Score() for kind in KINDS}
    overall = Score()
    misses: List[str] = []
    wrong: List[str] = []
    for message in messages:
        found = find_personal_data(message.text)
        spans = [(item.start, item.end) for item in found]
        for kind, start, end in message.planted:
            same_kind = [(f.start, f.end) for f in found if f.kind == kind]
            if covers(same_kind, start, end):
                per_kind[kind].true_positive += 1
            else:
                per_kind[kind].false_negative += 1
            if covers(spans, start, end):
                overall.true_positive += 1
            else:
                overall.false_negative += 1
                misses.append(f"{kind}: {message.text!r} -> {mask_personal_data(message.text)[0]!r}")
        for item in found:
            overlapping = [kind for kind, start, end in message.planted if start < item.end and item.start < end]
            if item.kind not in overlapping:
                per_kind[item.kind].false_positive += 1
            if not overlapping:
                overall.false_positive += 1
                wrong.append(f"{item.kind}: {message.text[item.start:item.end]!r} in {message.text!r}")
    return per_kind, overall, misses, wrong


def throughput(texts: Sequence[str], function: Callable[[str], object], rounds: int = 3) -> float:
    best = float("inf")
    for _ in range(rounds):
        began = time.perf_counter()
        for text in texts:
            function(text)
        best = min(best, time.perf_counter() - began)
    return len(texts) / best


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=1000, help="messages of each set")
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument("--show", type=int, default=5, help="examples of misses and wrong masks to print")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    personal = [personal_message(rng) for _ in range(args.messages)]
    crypto = [crypto_message(rng) for _ in range(args.messages)]
    unlabelled = [unlabelled_order_message(rng) for _ in range(100)]

    per_kind, overall, misses, wrong = score(personal + crypto)
    planted = Counter(kind for message in personal for kind, _, _ in message.planted)
    counts = ", ".join(f"{kind} {planted[kind]}" for kind in KINDS)
    print(f"privacy masking bench: {len(personal)} messages with {sum(planted.values())} planted items ({counts}), "
          f"{len(crypto)} crypto messages; seed {args.seed}")
    print(f"{'kind':<14}{'planted':>8}{'found':>8}{'wrong':>8}{'missed':>8}{'precision':>11}{'recall':>9}")
    for kind in KINDS:
        s = per_kind[kind]
        print(f"{kind:<14}{planted[kind]:>8}{s.true_positive:>8}{s.false_positive:>8}{s.false_negative:>8}"
              f"{s.precision():>11.4f}{s.recall():>9.4f}")
    print(f"{'overall':<14}{sum(planted.values()):>8}{overall.true_positive:>8}{overall.false_positive:>8}"
          f"{overall.false_negative:>8}{overall.precision():>11.4f}{overall.recall():>9.4f}"
          "   (masked at all, whatever the kind)")
    leaks = sum(message.text[start:end] in mask_personal_data(message.text)[0]
                for message in personal for _, start, end in message.planted)
    changed = sum(mask_personal_data(message.text)[0] != message.text for message in crypto)
    print(f"planted values still readable after masking: {leaks}; crypto messages changed: {changed} of {len(crypto)}")
    masked_orders = sum(bool(find_personal_data(message.text)) for message in unlabelled)
    print(f"unlabelled 10-16 digit order ids masked (by design, last 4 kept): {masked_orders} of {len(unlabelled)}")
    texts = [message.text for message in personal + crypto]
    print(f"throughput: mask_personal_data {throughput(texts, mask_personal_data):,.0f} messages/s, "
          f"with secrets (protect, as at entry) {throughput(texts, protect):,.0f} messages/s "
          f"(one core, {sum(map(len, texts)) / len(texts):.0f} characters a message)")
    for title, examples in (("missed", misses), ("masked but not personal data", wrong)):
        for example in examples[:args.show]:
            print(f"  {title}: {example}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
