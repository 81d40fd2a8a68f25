"""What the form asks for each detail, and the summary the customer confirms before submitting."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Dict, List, Optional

from actions.reporting import details as d
from actions.reporting.formatting import format_number
from actions.reporting.state import AMOUNT_CHOICES, ReportState
from bot import wording
from nlu.amounts import BILLION, MILLION, THOUSAND, Amount


@dataclass(frozen=True)
class Question:
    """A question with quick-reply buttons (title, payload)."""

    text: str
    buttons: List[Dict[str, str]] = field(default_factory=list)


def _buttons(*titles: str) -> List[Dict[str, str]]:
    """Buttons that send their own title as plain text, so the form reads them like typed answers."""
    return [{"title": title, "payload": title} for title in titles]


STATUS_NOTES = {"unverified": wording.REPORT_UNVERIFIED_NOTE, "unknown": "", "inferred": "", "valid": ""}


def _asset_name(state: ReportState) -> str:
    return "rupiah" if state.asset == d.IDR else (state.asset or "aset")


def question(slot: str, state: ReportState) -> Question:
    """The question for ``slot``, worded for the kind of problem being reported."""
    problem, asset = state.problem, _asset_name(state)
    withdrawal = problem == "withdrawal"
    if slot == d.PROBLEM:
        return Question(wording.REPORT_ASK_PROBLEM, _buttons(*wording.BUTTONS_PROBLEM))
    if slot == d.ASSET:
        if problem in ("hacked_account", "fraud"):
            return Question(wording.REPORT_ASK_ASSET_AFFECTED,
                            _buttons("Rupiah", "USDT", "BTC", wording.BUTTON_DONT_KNOW))
        return Question(wording.REPORT_ASK_ASSET_WITHDRAWAL if withdrawal else wording.REPORT_ASK_ASSET_DEPOSIT,
                        _buttons("Rupiah", "USDT", "BTC", "ETH"))
    if slot == d.NETWORK:
        return Question(wording.REPORT_ASK_NETWORK.format(asset=asset),
                        _buttons("TRC20", "ERC20", "BEP20", wording.BUTTON_DONT_KNOW))
    if slot == d.AMOUNT:
        if state.pending.get(AMOUNT_CHOICES):
            return stored_amount_choice(str(state.pending[AMOUNT_CHOICES]))
        optional = d.is_optional(slot, problem)
        return Question(wording.REPORT_ASK_AMOUNT_OPTIONAL if optional else wording.REPORT_ASK_AMOUNT)
    if slot == d.TIME:
        if problem in ("hacked_account", "fraud"):
            return Question(wording.REPORT_ASK_TIME_NOTICED)
        return Question(wording.REPORT_ASK_TIME)
    if slot == d.TXID:
        if state.asset == d.IDR:
            return Question(wording.REPORT_ASK_REFERENCE, _buttons(wording.BUTTON_DONT_KNOW))
        return Question(wording.REPORT_ASK_TXID, _buttons(wording.BUTTON_DONT_KNOW))
    if slot == d.BANK_ACCOUNT:
        bank, last4 = state.pending.get("bank"), state.pending.get("last4")
        if bank and not last4:
            return Question(wording.REPORT_ASK_ACCOUNT_DIGITS.format(bank=bank))
        if last4 and not bank:
            return Question(wording.REPORT_ASK_ACCOUNT_BANK.format(last4=last4))
        return Question(wording.REPORT_ASK_ACCOUNT_WITHDRAWAL if withdrawal else wording.REPORT_ASK_ACCOUNT_DEPOSIT)
    if slot == d.ADDRESS:
        if problem == "fraud":
            return Question(wording.REPORT_ASK_ADDRESS_FRAUD, _buttons(wording.BUTTON_DONT_KNOW))
        if withdrawal:
            return Question(wording.REPORT_ASK_ADDRESS_WITHDRAWAL.format(asset=asset))
        return Question(wording.REPORT_ASK_ADDRESS_DEPOSIT.format(asset=asset), _buttons(wording.BUTTON_DONT_KNOW))
    if slot == d.DESCRIPTION:
        if problem == "hacked_account":
            return Question(wording.REPORT_ASK_DESCRIPTION_HACKED)
        if problem == "fraud":
            return Question(wording.REPORT_ASK_DESCRIPTION_FRAUD)
        return Question(wording.REPORT_ASK_DESCRIPTION)
    return confirmation(state)


def spoken_amount(value: Decimal, currency: Optional[str]) -> str:
    """An amount the way people say it: ``Rp 15 juta``, ``Rp 1,5 miliar``, ``15 juta USDT``; never with three
    decimals (``Rp 1,001 miliar`` would read back as 1.001 miliar), so ``Rp 1.001 juta``."""
    number = format_number(value, decimals_allowed=True)
    for scale, word in ((BILLION, "miliar"), (MILLION, "juta"), (THOUSAND, "ribu")):
        if value >= scale and _at_most_two_decimals(value / scale):
            number = f"{format_number(value / scale, decimals_allowed=True)} {word}"
            break
    return f"Rp {number}" if currency in (None, d.IDR) else f"{number} {currency}"


def _at_most_two_decimals(value: Decimal) -> bool:
    exponent = value.normalize().as_tuple().exponent
    return isinstance(exponent, int) and exponent >= -2   # the exponent is a letter for NaN and infinity


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
    return Question(wording.REPORT_ASK_AMOUNT_CHOICE.format(options=" atau ".join(options)), _buttons(*options))


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
    text = "\n".join([wording.REPORT_SUMMARY_INTRO, *summary_lines(state), wording.REPORT_SUMMARY_CHECK])
    return Question(text, [{"title": wording.BUTTON_REPORT_SEND, "payload": "/affirm"},
                           {"title": wording.BUTTON_REPORT_CANCEL, "payload": "batal"}])
