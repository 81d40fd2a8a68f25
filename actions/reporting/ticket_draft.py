"""Turn a finished report and the conversation around it into a ticket draft for a human agent."""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Dict, List, Optional, Sequence

from actions.reporting import details as d
from actions.reporting.state import ReportState
from bot.tickets import Detail, TicketDraft, TranscriptLine
from nlu.sentiment import Mood

# Amounts from which a report is handled with high priority (roughly Rp 10 juta or more).
LARGE_AMOUNTS: Dict[str, Decimal] = {
    "IDR": Decimal(10_000_000), "USDT": Decimal(600), "USDC": Decimal(600), "IDRT": Decimal(10_000_000),
    "BTC": Decimal("0.006"), "ETH": Decimal("0.2"), "BNB": Decimal(1), "SOL": Decimal(4), "XRP": Decimal(250),
    "TRX": Decimal(2_000), "DOGE": Decimal(3_000), "TON": Decimal(120), "LTC": Decimal(6),
}
_MOOD_ORDER = (Mood.CALM, Mood.UPSET, Mood.URGENT)


@dataclass(frozen=True)
class Conversation:
    """What the tracker says about the customer and the chat so far."""

    customer_id: str
    customer_name: Optional[str]
    channel: str
    kb_articles: Sequence[str]
    moods: Sequence[Mood]
    transcript: Sequence[TranscriptLine]
    dedupe_key: Optional[str] = None


def is_large_amount(canonical: Optional[str]) -> bool:
    """True when an amount such as ``25000000 IDR`` or ``1000 USDT`` is at or above the high-priority mark."""
    number, _, currency = (canonical or "").partition(" ")
    try:
        value = Decimal(number)
    except InvalidOperation:
        return False
    threshold = LARGE_AMOUNTS.get(currency)
    return threshold is not None and value.is_finite() and value >= threshold


def overall_mood(moods: Sequence[Mood]) -> Mood:
    """The strongest mood seen in the conversation."""
    return max(moods, key=_MOOD_ORDER.index, default=Mood.CALM)


def priority(state: ReportState, mood: Mood) -> str:
    """``urgent`` for hacked accounts, fraud or a shared secret; ``high`` for panic or large amounts."""
    if state.problem in ("hacked_account", "fraud") or state.secrets or mood is Mood.URGENT:
        return "urgent"
    if mood is Mood.UPSET or is_large_amount(state.values.get(d.AMOUNT)):
        return "high"
    return "normal"


def ticket_details(state: ReportState) -> List[Detail]:
    """Every collected detail with its status; the customer's own description comes last."""
    slots = [s for s in state.required() if s != d.DESCRIPTION] + [d.DESCRIPTION]
    result = []
    for slot in slots:
        check = state.checks.get(slot)
        if not check:
            continue
        value = "" if check.get("status") == "unknown" else (check.get("display") or "")
        result.append(Detail(d.DETAIL_NAMES[slot], d.LABELS[slot], value, check.get("status", "valid"),
                             check.get("note", "")))
    return result


def summary(state: ReportState) -> str:
    """One line for list views, e.g. ``Penarikan 100 USDT (TRC20)`` (the asset only when no amount is known)."""
    def known(slot: str) -> str:
        check = state.checks.get(slot) or {}
        return check.get("display", "") if check.get("status") != "unknown" else ""

    parts = [d.PROBLEM_NAMES.get(state.problem or "other", "Kendala")]
    parts += [value for value in (known(d.AMOUNT) or known(d.ASSET),) if value]
    parts += [f"({known(d.NETWORK)})"] if known(d.NETWORK) else []
    if len(parts) == 1 and state.checks.get(d.DESCRIPTION, {}).get("display"):
        parts.append("— " + state.checks[d.DESCRIPTION]["display"][:80])
    return " ".join(parts)


def build_draft(state: ReportState, conversation: Conversation) -> TicketDraft:
    """The ticket an agent receives: details, priority, history and everything already tried."""
    mood = overall_mood(conversation.moods)
    return TicketDraft(
        customer_id=conversation.customer_id, customer_name=conversation.customer_name,
        channel=conversation.channel or "unknown", category=state.category(), priority=priority(state, mood),
        summary=summary(state), details=tuple(ticket_details(state)),
        kb_articles=tuple(dict.fromkeys(conversation.kb_articles)), sentiment=mood.value,
        transcript=tuple(conversation.transcript),
        flags=tuple(f"secret_shared:{kind}" for kind in state.secrets), dedupe_key=conversation.dedupe_key)
