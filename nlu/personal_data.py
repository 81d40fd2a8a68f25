"""Find and mask personal data in customer text: KTP numbers (NIK), card numbers, bank account numbers,
phone numbers and e-mail addresses (UU 27/2022 on personal data protection).

What is masked, and what the masked form keeps (every masked digit becomes ``*``):

- ``nik``: 16 digits with a valid structure (province code from the Kemendagri list, regency and district
  ``01``-``99``, birth date ``DDMMYY`` with ``DD`` + 40 for women, sequence ``0001``+), or any 16 digits named
  ``NIK``/``KTP``/``KK``. Masked whole, ``****************``: even the province says where someone lives.
- ``card``: 13-19 Luhn-valid digits starting 2-6, whole or in groups of 4 (Amex 4-6-5), or any 13-19 digits named
  ``kartu``/``card``/``cc``. The last 4 stay, in the groups written: ``**** **** **** 1234``.
- ``bank_account``: 10-16 digits after a bank word (``rek``, ``norek``, ``VA``, a bank or e-wallet name from the
  vocabulary), whole or with spaces, dashes or dots (never thousands grouping such as ``1.500.000.000``); without
  any label, a whole or dashed run of 10-16 digits that is nothing else. The last 4 stay: ``******7890``.
- ``phone``: Indonesian mobiles ``08…``, ``628…``, ``+62 8…`` (10-13 digits with the ``0``) with or without
  separators, and landlines after ``telp``/``hp``/``wa``. The prefix and the last 4 stay: ``0812****7890``,
  ``+62 812-****-7890``.
- ``email``: the first letter and the domain stay: ``b***@gmail.com``.

The label nearest before a number decides (``hp`` 0812… is a phone, ``BCA`` 0812… an account, ``NIK`` 16 digits a
NIK); labels before an earlier number belong to that number. A whole 16-digit number that is both a valid NIK and
Luhn-valid is masked as a NIK (the stricter form), in four groups of 4 as a card.

Never masked: amounts (:func:`nlu.amounts.find_amounts`: ``Rp 1.500.000``, ``1,5jt``, ``0.005 BTC``), TXIDs,
wallet addresses and platform ids (:func:`nlu.entities.extract_entities`, :func:`nlu.transactions.reference_spans`),
numbers named as a reference (``ref``, ``order id``, ``no. pesanan``, ``invoice``, ``tiket``, ``UID``, ``#``) or as
an amount (``saldo``, ``sebesar``, ``nominal``), dates and times (their digit groups are too short, and a bare
``YYYYMMDDhhmm[ss]`` stamp is recognised), ids glued to letters (``CS-20261125-0001``, ``WD-…``), tickers and
network names. A bare 10-16 digit run with no label at all is taken for an account number: an unlabelled order
id of that length is masked too (privacy first; its last 4 digits stay). Two numbers written one after the other
with only spaces between may be read as one.

The contact channel id (``sender_id``) is never passed here. Masking is idempotent (what it leaves has no run of
10 digits). The masked account is what the report form reads (:func:`nlu.transactions.find_bank_account`:
``BCA ******7890`` is bank BCA, last 4 ``7890``, full number given).
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterator, List, Optional, Sequence, Tuple

from nlu.amounts import find_amounts
from nlu.entities import Entity, SpanSet, extract_entities
from nlu.transactions import reference_spans

NIK, CARD, BANK_ACCOUNT, PHONE, EMAIL = "nik", "card", "bank_account", "phone", "email"
KINDS = (NIK, CARD, BANK_ACCOUNT, PHONE, EMAIL)
MASK = "*"

# Province codes of the Kemendagri list (Kepmendagri 100.1.1-6117/2022), the first two digits of a NIK:
# Sumatra 11-19, Kepulauan Riau 21, Java 31-36, Bali and Nusa Tenggara 51-53, Kalimantan 61-65, Sulawesi 71-76,
# Maluku 81-82, Papua 91-96 (Papua, Papua Barat, and the 2022 provinces Papua Selatan, Tengah, Pegunungan,
# Barat Daya).
PROVINCE_CODES = frozenset({11, 12, 13, 14, 15, 16, 17, 18, 19, 21, 31, 32, 33, 34, 35, 36, 51, 52, 53,
                            61, 62, 63, 64, 65, 71, 72, 73, 74, 75, 76, 81, 82, 91, 92, 93, 94, 95, 96})
WOMEN_DAY_OFFSET = 40
ACCOUNT_DIGITS = (10, 16)
CARD_DIGITS = (13, 19)
MOBILE_DIGITS = (9, 12)        # after the 0 or 62: 8xx plus 6-9 digits
LANDLINE_DIGITS = (9, 11)      # after the 0 or 62: area code plus number (only with a phone word)
MAX_CHUNKS = 6                 # space-separated digit groups one number may span
MIN_HIDDEN = 2                 # digits a masked phone hides at least
MAX_SPACED_GROUP = 7           # digits of a space-separated group followed by more ("0812 3456 7890", "+62 812...")

# A run of digits: groups joined by a dot or dash ("1234-5678", "0812.3456") form a chunk, chunks are separated
# by single spaces. It never starts inside a word or an id ("CS-2026...", "0x12", "14:30", "1.500"), except right
# after a glued label ("norek1234567890", "hp081234567890").
_GLUED_LABEL = "|".join(f"(?<={label})" for label in ("rek", "nik", "ktp", "hp", "wa", "telp", "tlp"))
_RUN = re.compile(rf"(?:(?<![0-9A-Za-z])(?<![0-9A-Za-z][-_/])(?<!\d[.,:])|{_GLUED_LABEL})"
                  r"(?P<plus>\+\s?)?\d+(?:[ .-]\d+)*", re.IGNORECASE | re.ASCII)
_CHUNK = re.compile(r"\d+(?:[.-]\d+)*", re.ASCII)
_ENDS_RUN = re.compile(r"[0-9A-Za-z]|[-_/][0-9A-Za-z]|[.,:]\d", re.ASCII)   # what may not follow a number
# What find_amounts may take for an amount but a customer never writes so: a leading zero ("Rp 0812…"), or a
# sentence end between the number and its currency ("wa 62812345678901. IDR 5jt juga": a phone).
_NOT_AN_AMOUNT = re.compile(r"^(?:(?:rp\.?|idr)\s*)?0\d|\d\.\s", re.IGNORECASE | re.ASCII)
_LONG_NUMBER = re.compile(r"\d(?:[ .-]?\d){9}", re.ASCII)                  # ten digits: worth a closer look
# What masking leaves of an account or card number: at least 6 masked digits, then the last 4 ("******7890").
MASKED_NUMBER = re.compile(r"(?<![0-9A-Za-z*])\*(?:[ .-]?\*){5,}(?:[ .-]?\d){4}(?![0-9A-Za-z*])", re.ASCII)
_EMAIL = re.compile(r"(?<![\w.%+-])(?P<local>[A-Za-z0-9][A-Za-z0-9._%+-]*)@(?P<domain>[A-Za-z0-9](?:[A-Za-z0-9-]*"
                    r"[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,})(?![\w-])")

# What a number is called right before it (matched on a window of at most LABEL_WINDOW characters after the
# last digit and the last sentence end before the number), or right after it. "ref"-like labels keep a number.
LABEL_WINDOW = 40
# A sentence ends at ".!?;" after a digit, a bracket or a word of 4+ letters ("no." and "a.n." do not end one).
_SENTENCE_END = re.compile(r"(?:(?<![A-Za-z])|(?<=[A-Za-z]{4}))[.!?;](?=\s|$)|\n")
# A number named right after it: "… itu NIK saya", "… (BCA)", on the same line.
_NAMED_AFTER = re.compile(r"[ \t]*(?:\(|(?:itu|ini|adalah|yaitu)[ \t]+)[ \t]*(?:(?:no|nomor|nomer)\.?[ \t]*)?",
                          re.IGNORECASE)
_LABELS = re.compile(r"(?<![0-9A-Za-z])(?:"
                     r"(?P<nik>nik|e-?ktp|ktp|nomor induk(?: kependudukan)?|kependudukan|kartu keluarga|kk)|"
                     r"(?P<ref>ref(?:erensi|erence)?|order(?: ?id)?|pesanan|invoice|inv|trx|txn|txid|tx|transaksi|"
                     r"tiket|ticket|uid|user ?id|resi|booking|saldo|sebesar|senilai|nominal|jumlah|total|harga|"
                     r"timestamp|blok|block)|"
                     r"(?P<card>kartu|card|cc|visa|master(?:card)?|jcb|amex|debit|kredit|credit)|"
                     r"(?P<bank>rekening|rek|norek|no ?rek|va|virtual account|bank|akun bank)|"
                     r"(?P<phone>hp|handphone|telp|telpon|telepon|tlp|telfon|wa|whatsapp|ponsel|hubungi|kontak|"
                     r"sms|call|phone|mobile|seluler|nomor telepon)"
                     r")(?:nya)?(?![A-Za-z])", re.IGNORECASE)


@dataclass(frozen=True)
class PersonalData:
    """Personal data found in a text: its kind and span, and the text that replaces it."""

    kind: str
    start: int
    end: int
    masked: str


# --- validators ------------------------------------------------------------------------------------------

def is_valid_nik(digits: str) -> bool:
    """A NIK's structure: province, regency, district, birth date (women: day + 40), sequence 0001+."""
    if len(digits) != 16 or not digits.isdigit():
        return False
    province, regency, district = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    day, month, sequence = int(digits[6:8]), int(digits[8:10]), int(digits[12:16])
    if day > WOMEN_DAY_OFFSET:
        day -= WOMEN_DAY_OFFSET
    if province not in PROVINCE_CODES or not regency or not district or not sequence or not 1 <= month <= 12:
        return False
    return 1 <= day <= (29 if month == 2 else calendar.monthrange(2001, month)[1])


def luhn_valid(digits: str) -> bool:
    """The Luhn check digit of card numbers."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char) * (2 if index % 2 else 1)
        total += value - 9 if value > 9 else value
    return total % 10 == 0


def _is_date_stamp(digits: str) -> bool:
    """``YYYYMMDDhhmm`` or ``YYYYMMDDhhmmss`` (a time stamp in an id or a log line), 1990-2099."""
    if len(digits) not in (12, 14) or not digits.startswith(("19", "20")):
        return False
    try:
        datetime.strptime(digits, "%Y%m%d%H%M%S" if len(digits) == 14 else "%Y%m%d%H%M")
    except ValueError:
        return False
    return int(digits[:4]) >= 1990


# --- one candidate number ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Number:
    """A candidate: consecutive chunks of one digit run, whether it starts with ``+``, and the labels before it."""

    text: str
    plus: bool
    nearest: Optional[str]     # the label right before it: "nik", "ref", "card", "bank", "phone" or None
    labels: frozenset

    @property
    def digits(self) -> str:
        return re.sub(r"\D", "", self.text)

    @property
    def groups(self) -> List[str]:
        return re.findall(r"\d+", self.text)

    @property
    def separators(self) -> str:
        return "".join(sorted(set(re.sub(r"[\d+]", "", self.text))))


def _national(number: _Number) -> Tuple[Optional[str], int]:
    """The digits after ``0``/``62``/``+62`` and how many leading digits a masked phone keeps (``0812``,
    ``62812``); (None, 0) when the number has no Indonesian prefix."""
    digits = number.digits
    if digits.startswith("62") and (number.plus or not digits.startswith("620")):
        return digits[2:], 5
    if digits.startswith("0") and not number.plus:
        return digits[1:], 4
    return None, 0


def _phone_shaped(number: _Number, landline: bool) -> bool:
    national, _ = _national(number)
    if national is None or any(len(group) < 2 for group in number.groups[1:]):
        return False
    if national.startswith("8") and MOBILE_DIGITS[0] <= len(national) <= MOBILE_DIGITS[1]:
        return True
    return landline and national[:1] in "234679" and LANDLINE_DIGITS[0] <= len(national) <= LANDLINE_DIGITS[1]


def _card_shaped(number: _Number) -> bool:
    """Whole, or in groups of 4 (the last 1-4), or Amex/Diners 4-6-5 / 4-6-4, with one kind of separator."""
    sizes = [len(group) for group in number.groups]
    if len(sizes) == 1:
        return True
    if len(number.separators) != 1 or number.separators not in " -":
        return False
    return sizes in ([4, 6, 5], [4, 6, 4]) or (all(size == 4 for size in sizes[:-1]) and 1 <= sizes[-1] <= 4)


def _account_shaped(number: _Number, in_bank_context: bool) -> bool:
    """Whole or dashed anywhere; spaced or dotted only after a bank word, and never like ``1.500.000.000``."""
    groups, separators = number.groups, number.separators
    if len(groups) == 1:
        return True
    if not in_bank_context:
        return separators == "-" and all(len(group) >= 2 for group in groups)
    return not re.fullmatch(r"\d{1,3}(?:\.\d{3})+", number.text)   # thousands grouping: an amount without "Rp"


def _kind(number: _Number) -> Optional[str]:
    """What the number is, or None when it stays as it is."""
    digits, labels, nearest = number.digits, number.labels, number.nearest
    count = len(digits)
    if nearest == "ref":   # a reference, order id, amount... unless a phone named as such ("hp untuk transaksi 08…")
        return PHONE if "phone" in labels and _phone_shaped(number, landline=False) else None
    if _is_date_stamp(digits):
        return None
    if "nik" in labels and count == 16:
        return NIK
    if "card" in labels and CARD_DIGITS[0] <= count <= CARD_DIGITS[1] and _card_shaped(number) and (
            luhn_valid(digits) or nearest == "card"):
        return CARD
    if nearest != "bank" and is_valid_nik(digits) and not (len(number.groups) == 4 and luhn_valid(digits)):
        return NIK   # (a valid NIK written in four groups of 4 that passes Luhn is taken for the card it looks like)
    if "phone" in labels and _phone_shaped(number, landline=True):
        return PHONE
    bank_context = nearest == "bank" or ("bank" in labels and nearest != "phone")
    if bank_context and ACCOUNT_DIGITS[0] <= count <= ACCOUNT_DIGITS[1] and _account_shaped(number, True):
        return BANK_ACCOUNT
    if _phone_shaped(number, landline=False):
        return PHONE
    if CARD_DIGITS[0] <= count <= CARD_DIGITS[1] and digits[0] in "23456" and _card_shaped(number) \
            and luhn_valid(digits):
        return CARD
    if ACCOUNT_DIGITS[0] <= count <= ACCOUNT_DIGITS[1] and _account_shaped(number, False):
        return BANK_ACCOUNT
    return None


def _mask_digits(text: str, keep_first: int, keep_last: int) -> str:
    """``text`` with every digit but the first ``keep_first`` and the last ``keep_last`` replaced by ``*``."""
    total = sum(char.isdigit() for char in text)
    seen, out = 0, []
    for char in text:
        if char.isdigit():
            seen += 1
            out.append(char if seen <= keep_first or seen > total - keep_last else MASK)
        else:
            out.append(char)
    return "".join(out)


def _masked(number: _Number, kind: str) -> str:
    """NIK: nothing kept; phone: its prefix (``0812``, ``+62 812``) and last 4; card: the last 4, in its groups;
    account: the last 4 after one masked run (``******7890``, as the report form reads it)."""
    if kind == NIK:
        return _mask_digits(number.text, 0, 0)
    if kind == PHONE:
        keep = _national(number)[1] or 4
        return _mask_digits(number.text, max(0, min(keep, len(number.digits) - 4 - MIN_HIDDEN)), 4)
    if kind == BANK_ACCOUNT:
        return MASK * (len(number.digits) - 4) + number.digits[-4:]
    return _mask_digits(number.text, 0, 4)


# --- finding ------------------------------------------------------------------------------------------------

class _Context:
    """What the text around a number says: protected spans, bank names and labels."""

    def __init__(self, text: str) -> None:
        self.text = text
        entities: Sequence[Entity] = extract_entities(text)
        spans = [(e.start, e.end) for e in entities if e.entity in ("txid", "wallet_address")]
        spans += [(a.start, a.end) for a in find_amounts(text, include_ambiguous=True)
                  if not _NOT_AN_AMOUNT.search(text, a.start, a.end)]
        spans += reference_spans(text)
        self.protected = _merged(spans)
        self.banks = [(e.start, e.end) for e in entities if e.entity == "bank"]
        # every alternative of _LABELS is a named group, so a match always has a lastgroup
        self.labels = [(m.start(), m.end(), m.lastgroup or "") for m in _LABELS.finditer(text)]

    def overlaps_protected(self, start: int, end: int) -> bool:
        return self.protected.overlaps((start, end))

    def labels_of(self, start: int, end: int) -> Tuple[Optional[str], frozenset]:
        """The label that decides for the number at ``start:end`` and every label kind around it: the one
        naming it right after (``… itu NIK saya``, ``… (BCA)``), else the nearest before it in its sentence, after
        any earlier number (a bank or e-wallet name counts as ``bank``)."""
        window_start = max(0, start - LABEL_WINDOW)
        before = self.text[window_start:start]
        cut = max([i + 1 for i, char in enumerate(before) if char.isdigit()]
                  + [m.end() for m in _SENTENCE_END.finditer(before)], default=0)
        window_start += cut
        if self.text[window_start:start].rstrip().endswith("#"):
            return "ref", frozenset({"ref"})
        found = [(stop, kind) for begin, stop, kind in self._all_labels() if window_start <= begin and stop <= start]
        nearest = max(found)[1] if found else None
        after = _NAMED_AFTER.match(self.text, end)
        named = [kind for begin, _, kind in self._all_labels() if after and begin == after.end() and kind != "ref"]
        kinds = frozenset([kind for _, kind in found] + named)
        return (named[0] if named and nearest != "ref" else nearest), kinds

    def _all_labels(self) -> List[Tuple[int, int, str]]:
        return self.labels + [(begin, end, "bank") for begin, end in self.banks]


def _merged(spans: List[Tuple[int, int]]) -> SpanSet:
    merged: List[List[int]] = []
    for start, end in sorted(spans):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return SpanSet((start, end) for start, end in merged)


def _digit_count(chunk: "re.Match[str]") -> int:
    return sum(char.isdigit() for char in chunk.group(0))


def _emails(text: str) -> Iterator[PersonalData]:
    for match in _EMAIL.finditer(text):
        local = match.group("local")
        yield PersonalData(EMAIL, match.start(), match.end(), f"{local[0]}***@{match.group('domain')}")


def _numbers(text: str, context: _Context, taken: SpanSet) -> Iterator[PersonalData]:
    for run in _RUN.finditer(text):
        end_ok = not _ENDS_RUN.match(text, run.end())
        chunks = list(_CHUNK.finditer(text, run.start(), run.end()))
        plus = bool(run.group("plus"))
        index = 0
        while index < len(chunks):
            found = None
            for stop in range(min(len(chunks), index + MAX_CHUNKS), index, -1):
                if stop == len(chunks) and not end_ok:
                    continue
                start = run.start() if index == 0 else chunks[index].start()
                end = chunks[stop - 1].end()
                if sum(char.isdigit() for char in text[start:end]) > CARD_DIGITS[1]:
                    continue
                if any(_digit_count(chunk) > MAX_SPACED_GROUP for chunk in chunks[index:stop - 1]):
                    continue   # "1234567890 10": a whole number, then another one
                if context.overlaps_protected(start, end) or taken.overlaps((start, end)):
                    continue
                nearest, labels = context.labels_of(start, end)
                number = _Number(text[start:end], plus and index == 0, nearest, labels)
                kind = _kind(number)
                if kind:
                    found = PersonalData(kind, start, end, _masked(number, kind))
                    break
            if found is None:
                index += 1
                continue
            yield found
            index = next(i for i, chunk in enumerate(chunks) if chunk.end() >= found.end) + 1


def find_personal_data(text: str) -> List[PersonalData]:
    """Every piece of personal data in ``text``, in order, without overlaps."""
    if not text:
        return []
    found = list(_emails(text)) if "@" in text else []
    if _LONG_NUMBER.search(text):
        taken = SpanSet((item.start, item.end) for item in found)
        found += list(_numbers(text, _Context(text), taken))
    return sorted(found, key=lambda item: item.start)


def mask_personal_data(text: str) -> Tuple[str, List[str]]:
    """``text`` with its personal data masked, and the kinds masked (in order, one per piece)."""
    found = find_personal_data(text)
    for item in reversed(found):
        text = text[:item.start] + item.masked + text[item.end:]
    return text, [item.kind for item in found]
