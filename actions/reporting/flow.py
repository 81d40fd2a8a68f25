"""One turn of the report form: apply a customer message to the report and decide what to say.

Rules: several details in one message fill several slots; a value for the detail being asked always
counts, other details fill empty slots, and override earlier values only when the customer corrects
("eh salah, 2 juta") or is reviewing the summary. Each invalid value gets an explanation with an
example; after ``MAX_TRIES`` failed tries the answer is accepted as it is, marked unverified.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import List, Optional, Tuple

from actions.reporting import details as d
from actions.reporting.asking import chosen_amount
from actions.reporting.commands import is_affirm, is_cancel, is_correction, is_deny, is_dont_know
from actions.reporting.reading import Context, Finding, read_details
from actions.reporting.state import AMOUNT_CHOICES, MAX_TRIES, ReportState
from bot import wording
from nlu.addresses import validate_address_for_network
from nlu.entities import Entity
from nlu.secrets import find_secrets, redact, redacted_kinds
from nlu.transactions import check_txid

MAX_UNVERIFIED_CHARS = 200
MAX_READ_CHARS = 5000

GENERIC_HELP = {
    d.PROBLEM: wording.REPORT_HELP_PROBLEM, d.ASSET: wording.REPORT_HELP_ASSET, d.NETWORK: wording.REPORT_HELP_NETWORK,
    d.AMOUNT: wording.REPORT_HELP_AMOUNT, d.TIME: wording.REPORT_HELP_TIME, d.TXID: wording.REPORT_HELP_TXID,
    d.BANK_ACCOUNT: wording.REPORT_HELP_BANK_ACCOUNT, d.ADDRESS: wording.REPORT_HELP_ADDRESS,
    d.DESCRIPTION: wording.REPORT_HELP_DESCRIPTION,
}


@dataclass
class Turn:
    """What one message changed and what to tell the customer."""

    state: ReportState
    replies: List[str] = field(default_factory=list)
    secret_kinds: List[str] = field(default_factory=list)
    not_understood: bool = False    # nothing in the message answered the question (maybe a question itself)


def _applicable(state: ReportState, finding: Finding) -> bool:
    return finding.slot in d.DETAIL_SLOTS and (finding.slot in state.required() or finding.slot in (d.PROBLEM, d.ASSET))


def _apply(state: ReportState, findings: List[Finding], requested: Optional[str], may_override: bool) -> List[str]:
    """Store findings; return the labels of values that replaced different earlier ones."""
    changed = []
    ordered = sorted(findings, key=lambda f: d.DETAIL_SLOTS.index(f.slot))
    for finding in ordered:
        if not _applicable(state, finding):
            continue
        filled = state.is_filled(finding.slot)
        # A detail the customer did not know may still be learnt later (a TRON address shows the network).
        settled = filled and state.checks[finding.slot].get("status") != "unknown"
        if settled and finding.slot != requested and not may_override:
            continue
        if settled and finding.status == "inferred":
            continue
        if filled and state.values.get(finding.slot) not in (finding.value, ""):
            changed.append(f"{d.LABELS[finding.slot].lower()} {finding.display}")
        state.set(finding.slot, finding.value, finding.display, finding.status, finding.note)
        if finding.slot == d.NETWORK and filled:
            _recheck_after_network_change(state)
    return changed


def _recheck_after_network_change(state: ReportState) -> None:
    """A new network can make a stored address or TXID wrong: ask for them again if so."""
    address = state.values.get(d.ADDRESS)
    if address and state.checks.get(d.ADDRESS, {}).get("status") == "valid":
        if not validate_address_for_network(address, state.network).valid:
            state.clear(d.ADDRESS)
    txid = state.values.get(d.TXID)
    if txid and state.checks.get(d.TXID, {}).get("status") == "valid" and d.is_crypto(state.asset):
        if not check_txid(txid, state.network).valid:
            state.clear(d.TXID)


def _fail(state: ReportState, slot: str, message: str, raw: str, note: str, turn: Turn,
          unknown: bool = False) -> None:
    """Count a failed try; after MAX_TRIES accept the answer as it is (unverified) or as unknown."""
    state.failures[slot] = state.failures.get(slot, 0) + 1
    if state.failures[slot] < MAX_TRIES:
        turn.replies.append(message)
        return
    if unknown or not raw.strip():
        state.set(slot, "", "tidak diketahui", "unknown", "pelanggan tidak tahu")
        turn.replies.append(wording.REPORT_ACCEPTED_UNKNOWN)
        return
    text = re.sub(r"\s+", " ", raw).strip()[:MAX_UNVERIFIED_CHARS]
    state.set(slot, text, text, "unverified", note or f"tidak lolos validasi setelah {MAX_TRIES} percobaan")
    turn.replies.append(wording.REPORT_ACCEPTED_AS_IS)


def _stored_last4(state: ReportState) -> Optional[str]:
    """Last 4 digits of the stored bank account, so "banknya BRI" can correct just the bank."""
    stored = state.values.get(d.BANK_ACCOUNT) or ""
    valid = state.checks.get(d.BANK_ACCOUNT, {}).get("status") == "valid"
    return stored[-4:] if valid and stored[-4:].isdigit() else None


def _remember_pending(state: ReportState, pending: Tuple[Optional[str], Optional[str]]) -> None:
    bank, last4 = pending
    state.pending = {k: v for k, v in (("bank", bank), ("last4", last4)) if v}


def _without_secrets(text: str) -> Tuple[str, List[str]]:
    """The text with secrets redacted, and the kinds of secret it held (already redacted ones included)."""
    safe_text, kinds = redact(text)
    kinds += redacted_kinds(text) + [secret.kind for secret in find_secrets(safe_text)]
    return safe_text, list(dict.fromkeys(kinds))


def handle_message(previous: ReportState, text: str, now: datetime, requested: Optional[str],
                   activation: bool = False, intent: Optional[str] = None,
                   entities: Optional[List[Entity]] = None) -> Turn:
    """Apply one customer message; ``requested`` is the detail that was asked (None when starting).
    ``entities``: the rule entities the NLU pipeline found in ``text`` (None: they are found here).

    ``activation`` marks the message that started the report: it only fills what it contains.
    """
    state = copy.deepcopy(previous)
    safe_text, kinds = _without_secrets(text[:MAX_READ_CHARS])  # answers are short; all stays in the transcript
    turn = Turn(state, secret_kinds=kinds)
    state.secrets = list(dict.fromkeys(state.secrets + kinds))
    stripped = safe_text.strip()
    if not activation and is_cancel(stripped):
        state.outcome = "cancelled"
        return turn
    if requested == d.CONFIRMED and is_affirm(stripped):
        state.values[d.CONFIRMED] = "yes"
        state.outcome = "confirmed"
        return turn
    choices = state.pending.get(AMOUNT_CHOICES)
    picked = chosen_amount(stripped, str(choices)) if requested == d.AMOUNT and choices else None
    if picked:   # "yang miliar" answers the choice just asked: read it as the option it names
        safe_text = stripped = picked
    correcting = requested == d.CONFIRMED or is_correction(stripped)
    context = Context(requested=requested, problem=state.problem, asset=state.asset, network=state.network,
                      pending_bank=state.pending.get("bank"),
                      pending_last4=state.pending.get("last4") or (_stored_last4(state) if correcting else None),
                      correcting=correcting)
    findings, issues, pending = read_details(safe_text, context, now, entities if safe_text == text else None)
    _remember_pending(state, pending)
    got_requested = any(f.slot == requested for f in findings)
    may_override = correcting or (requested is not None and not got_requested and not issues)
    changes = _apply(state, findings, requested, may_override)
    if changes and requested is not None:
        turn.replies.append(wording.REPORT_CORRECTED.format(changes=", ".join(changes)))
    if any(f.slot == d.BANK_ACCOUNT and f.note for f in findings):
        turn.replies.append(wording.REPORT_FULL_ACCOUNT)
    for issue in issues:
        if issue.choices and state.failures.get(issue.slot, 0) + 1 < MAX_TRIES:
            state.pending[AMOUNT_CHOICES] = issue.choices   # the next question is the choice, with buttons
            state.failures[issue.slot] = state.failures.get(issue.slot, 0) + 1
            continue
        _fail(state, issue.slot, issue.message, safe_text, issue.note, turn)
    if activation or requested is None or got_requested:
        return turn
    if requested == d.CONFIRMED:
        if not findings:
            denied = is_deny(stripped)
            turn.not_understood = not denied
            turn.replies.append(wording.REPORT_DENIED if denied else wording.REPORT_CONFIRM_HELP)
        return turn
    # Other details given instead count as an answer; repeating known ones ("rupiah") does not.
    handled = any(i.slot == requested for i in issues) or state.is_filled(requested) or state.values != previous.values
    if handled or kinds:
        return turn
    if requested == d.BANK_ACCOUNT and state.pending and state.pending != previous.pending:
        return turn   # half an account (bank or last 4) was given: the question asks for the other half
    if intent == "request_human":
        turn.replies.append(wording.REPORT_AGENT_ASKED)
        return turn
    if is_dont_know(stripped):
        if d.is_optional(requested, state.problem):
            state.set(requested, "", "tidak diketahui", "unknown", "pelanggan tidak tahu")
        else:
            _fail(state, requested, wording.REPORT_NEEDED + GENERIC_HELP[requested], "", "pelanggan tidak tahu", turn,
                  unknown=True)
        return turn
    turn.not_understood = True
    _fail(state, requested, GENERIC_HELP[requested], safe_text, "", turn)
    return turn
