"""A customer's privacy request under UU PDP: the ticket an agent acts on, and what the customer is told.

"minta data saya" asks for access (a copy of the personal data held), "hapus data saya" for erasure. The
assistant never exports or erases anything itself: it opens a ticket of category ``privasi`` that tells the
agent to verify the customer's identity through an official channel first, then run ``python -m bot.privacy
export|erase --customer ID``. A question about the process ("gimana cara minta hapus data?") is answered with
the privacy article and an offer to open the request, so a question never hands the chat to an agent unasked.
Pure logic; the Rasa action is :mod:`actions.privacy_request`.
"""
from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from typing import Dict, List, Optional, Tuple

from actions.reporting.ticket_draft import Conversation, overall_mood
from bot import wording
from bot.tickets import Detail, TicketDraft
from bot.tickets.render import format_wib
from bot.tickets.sla import PRIVACY_PRIORITY, privacy_deadline
from nlu.payloads import button_payload
from nlu.questions import is_question
from nlu.sentiment import Mood

CATEGORY = "privasi"
PRIVACY_ARTICLE = "privasi-data"   # what we keep, for how long, the customer's rights
COMMAND = "python -m bot.privacy {subcommand} --customer {customer_id}"
COMMAND_LABEL = "Perintah setelah verifikasi"
NO_SECRETS_IN_CHAT = "jangan minta kata sandi, OTP atau foto KTP di chat"


@dataclass(frozen=True)
class PrivacyKind:
    """One kind of request: its intent, its name for agents, the ``bot.privacy`` subcommand and the copy."""

    intent: str  # "request_data_access" | "request_data_erasure"
    name: str  # "akses" | "hapus"
    subcommand: str  # "export" | "erase"
    label: str  # ticket detail, e.g. "Akses (salinan) data pribadi"
    task: str  # what the agent does besides running the command
    deadline_note: str  # where the deadline comes from
    received: str  # customer copy with {ticket_id}
    scope: str  # what will happen
    when: str  # with {deadline}
    offer: str  # "shall I open the request?" after a question about it


ACCESS = PrivacyKind(
    intent="request_data_access", name="akses", subcommand="export", label="Akses (salinan) data pribadi",
    task="kirim hasilnya hanya lewat kanal resmi yang sudah terverifikasi",
    deadline_note="3×24 jam sejak permintaan, UU PDP Pasal 32 ayat (2)",
    received=wording.PRIVACY_ACCESS_RECEIVED, scope=wording.PRIVACY_ACCESS_SCOPE, when=wording.PRIVACY_ACCESS_WHEN,
    offer=wording.PRIVACY_ACCESS_OFFER)
ERASURE = PrivacyKind(
    intent="request_data_erasure", name="hapus", subcommand="erase", label="Penghapusan data pribadi",
    task=("data KYC dan transaksi yang wajib disimpan (APU-PPT) tetap disimpan; beri tahu pelanggan apa yang "
          "dihapus dan apa yang disimpan"),
    deadline_note="target internal 3×24 jam sejak permintaan, sama dengan batas akses UU PDP",
    received=wording.PRIVACY_ERASURE_RECEIVED, scope=wording.PRIVACY_ERASURE_SCOPE, when=wording.PRIVACY_ERASURE_WHEN,
    offer=wording.PRIVACY_ERASURE_OFFER)
KINDS_BY_INTENT = {kind.intent: kind for kind in (ACCESS, ERASURE)}


def kind_for_intent(intent: Optional[str]) -> Optional[PrivacyKind]:
    """The request an intent (or the slot ``privacy_offer``) stands for; None for any other intent."""
    return KINDS_BY_INTENT.get(intent or "")


def offer_first(text: str) -> bool:
    """Whether the message asks about the process ("bisa hapus data gw?", "gimana cara minta data saya") rather
    than making the request ("hapus data saya"): then the customer is shown how it works and asked first."""
    return is_question(text)


def offer_buttons() -> List[Dict[str, str]]:
    """"Ya, ajukan" (``/affirm``: the rule after the offer opens the request) and "Tidak sekarang" (``/deny``)."""
    return [{"title": wording.BUTTON_PRIVACY_YES, "payload": button_payload("affirm")},
            {"title": wording.BUTTON_PRIVACY_NO, "payload": button_payload("deny")}]


def empathy(mood: Mood) -> Optional[str]:
    """A first line for a worried customer (e.g. one who fears a leak); None when calm."""
    if mood is Mood.URGENT:
        return wording.EMPATHY[Mood.URGENT]
    return wording.PRIVACY_EMPATHY if mood is Mood.UPSET else None


def privacy_command(kind: PrivacyKind, customer_id: str) -> str:
    """The command the agent runs after verifying identity, the customer id quoted for a shell."""
    return COMMAND.format(subcommand=kind.subcommand, customer_id=shlex.quote(customer_id))


def privacy_priority(mood: Mood) -> str:
    """``urgent`` when the customer is panicking (e.g. fears a leak), else :data:`PRIVACY_PRIORITY`."""
    return "urgent" if mood is Mood.URGENT else PRIVACY_PRIORITY


def privacy_summary(kind: PrivacyKind, conversation: Conversation, received_at: datetime) -> str:
    """One line that lets an agent act without asking again: what, who, where, how, by when.

    The command appears with the placeholder ``<ID pelanggan>``: the summary is free text whose phone numbers are
    masked when stored (a WhatsApp customer's id is one), so the exact command is the validated detail
    :data:`COMMAND_LABEL`, which is stored as it is.
    """
    command = COMMAND.format(subcommand=kind.subcommand, customer_id="<ID pelanggan>")
    return (f"Permintaan {kind.name.upper()} data pribadi (UU PDP) dari pelanggan {conversation.customer_id} via "
            f"{conversation.channel or 'unknown'}. Verifikasi dulu identitas pemilik akun lewat kanal resmi "
            f"({NO_SECRETS_IN_CHAT}), lalu jalankan {command} (perintah lengkap di rincian \"{COMMAND_LABEL}\"); "
            f"{kind.task}. Batas: {format_wib(privacy_deadline(received_at))}.")


def privacy_details(kind: PrivacyKind, conversation: Conversation, received_at: datetime) -> Tuple[Detail, ...]:
    """The request, the identity still to verify, the command to run afterwards, and the deadline."""
    return (
        Detail("privacy_request", "Jenis permintaan", kind.label, "valid"),
        Detail("identity", "Identitas pemilik akun", "", "unverified",
               f"verifikasi lewat kanal resmi (aplikasi, e-mail/nomor HP terdaftar); {NO_SECRETS_IN_CHAT}"),
        Detail("privacy_command", COMMAND_LABEL, privacy_command(kind, conversation.customer_id), "valid",
               "jalankan hanya setelah identitas terverifikasi"),
        Detail("privacy_deadline", "Batas waktu", format_wib(privacy_deadline(received_at)), "valid",
               kind.deadline_note),
    )


def build_privacy_draft(kind: PrivacyKind, conversation: Conversation, received_at: datetime) -> TicketDraft:
    """The ``privasi`` ticket for the agent (create it with ``now=received_at`` so the deadline matches)."""
    mood = overall_mood(conversation.moods)
    return TicketDraft(
        customer_id=conversation.customer_id, customer_name=conversation.customer_name,
        channel=conversation.channel or "unknown", category=CATEGORY, priority=privacy_priority(mood),
        summary=privacy_summary(kind, conversation, received_at),
        details=privacy_details(kind, conversation, received_at),
        kb_articles=tuple(dict.fromkeys(conversation.kb_articles)), sentiment=mood.value,
        transcript=tuple(conversation.transcript), dedupe_key=conversation.dedupe_key)


def customer_replies(kind: PrivacyKind, ticket_id: str, deadline: str, expectation: str) -> List[str]:
    """What the customer reads: the ticket and the identity check, what will happen, then when (the agent's
    first contact, the deadline) and that nobody asks for secrets in the chat."""
    return [kind.received.format(ticket_id=ticket_id), kind.scope,
            f"{expectation} {kind.when.format(deadline=deadline)} {wording.PRIVACY_FOLLOW_UP}"]
