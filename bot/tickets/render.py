"""Present a ticket to people and machines: plain text (CLI), Telegram HTML, JSON-ready dict.

All three share the field order and the Indonesian labels defined here. Customer-provided strings are
stripped of control characters for terminals and HTML-escaped for Telegram. The Telegram message is built
from self-contained lines (every tag opens and closes on its line), so shortening it to Telegram's 4096
characters only ever drops whole lines and never breaks markup.
"""
from __future__ import annotations

import html
import unicodedata
from datetime import datetime
from typing import Any, Dict, List, Optional, Sequence, Tuple

from bot.text_limits import clip, utf16_length
from bot.tickets.model import SECRET_FLAG_PREFIX, WIB, Detail, Ticket, TranscriptLine
from bot.tickets.outbox import Delivery
from nlu.jakarta_time import SHORT_MONTH_NAMES

TELEGRAM_LIMIT = 4096
SHOW_COMMAND = "python -m bot.tickets show {id}"

PRIORITY_LABELS = {"urgent": "Mendesak", "high": "Tinggi", "normal": "Normal"}
PRIORITY_ICONS = {"urgent": "🔴", "high": "🟠", "normal": "🟢"}
CATEGORY_LABELS = {
    "withdrawal_idr": "Penarikan rupiah", "withdrawal_crypto": "Penarikan kripto",
    "deposit_idr": "Deposit rupiah", "deposit_crypto": "Deposit kripto",
    "hacked_account": "Akun diretas", "fraud": "Penipuan", "privasi": "Privasi data (UU PDP)", "other": "Lainnya",
}
SENTIMENT_LABELS = {"calm": "Tenang", "upset": "Kesal", "urgent": "Panik / mendesak"}
TICKET_STATUS_LABELS = {"open": "Terbuka", "closed": "Ditutup"}
DETAIL_STATUS_LABELS = {"valid": "valid", "unverified": "belum terverifikasi", "unknown": "tidak diketahui",
                        "inferred": "disimpulkan"}
DETAIL_STATUS_ICONS = {"valid": "✅", "unverified": "⚠️", "unknown": "❔", "inferred": "🔎"}
SPEAKER_LABELS = {"customer": "Pelanggan", "assistant": "Asisten"}
DELIVERY_STATUS_LABELS = {"pending": "menunggu", "sent": "terkirim", "failed": "gagal berulang (tetap dicoba)",
                          "cancelled": "dibatalkan (data dihapus, tidak dikirim)"}
SECRET_LABELS = {"seed_phrase": "frasa pemulihan (seed phrase)", "private_key": "kunci privat",
                 "extended_private_key": "kunci privat (xprv)", "password": "kata sandi", "otp": "kode OTP"}
# SECRET_LABELS is ordered gravest first; wallet secrets mean the funds themselves are exposed.
WALLET_SECRETS = ("seed_phrase", "private_key", "extended_private_key")
UNKNOWN_VALUE = "-"

# Longest customer-provided value shown per field (characters, before escaping) in the Telegram message.
CLIP_SHORT, CLIP_VALUE, CLIP_SUMMARY, CLIP_TRANSCRIPT_LINE = 100, 300, 500, 700

OVERVIEW_LABELS = (  # the shared field order of every rendering
    ("priority", "Prioritas"), ("category", "Kategori"), ("status", "Status"), ("created_at", "Dibuat"),
    ("sla_due_at", "Batas respons (SLA)"), ("customer", "Pelanggan"), ("channel", "Kanal"),
    ("sentiment", "Suasana hati"), ("summary", "Ringkasan"),
)


# ---------------------------------------------------------------- shared helpers

def format_wib(at: datetime, with_year: bool = True) -> str:
    """``22 Nov 2026 09:00 WIB`` (or ``22 Nov 09:00`` without the year)."""
    local = at.astimezone(WIB)
    day = f"{local.day} {SHORT_MONTH_NAMES[local.month - 1]}" + (f" {local.year}" if with_year else "")
    return f"{day} {local:%H:%M}" + (" WIB" if with_year else "")


def clean(text: str, single_line: bool = True) -> str:
    """Customer text made safe for a terminal or chat: no control characters (newlines kept if asked)."""
    if single_line:
        text = " ".join(text.splitlines())
    return "".join(char for char in text
                   if char in "\n\t" or unicodedata.category(char) not in ("Cc", "Cf", "Cs"))


def customer_label(ticket: Ticket) -> str:
    """``Budi (id: budi123)`` or just the id when the name is unknown."""
    name = clean(ticket.customer_name or "").strip()
    return f"{name} (id: {clean(ticket.customer_id)})" if name else clean(ticket.customer_id)


def overview(ticket: Ticket, now: Optional[datetime] = None) -> List[Tuple[str, str, str]]:
    """``(field, label, display value)`` of the ticket's headline fields, in the shared order."""
    due = format_wib(ticket.sla_due_at)
    if now is not None and ticket.status == "open" and now >= ticket.sla_due_at:
        due += " — SUDAH LEWAT"
    values = {
        "priority": PRIORITY_LABELS[ticket.priority], "category": CATEGORY_LABELS[ticket.category],
        "status": TICKET_STATUS_LABELS[ticket.status], "created_at": format_wib(ticket.created_at),
        "sla_due_at": due, "customer": customer_label(ticket), "channel": clean(ticket.channel),
        "sentiment": SENTIMENT_LABELS[ticket.sentiment], "summary": clean(ticket.summary),
    }
    return [(key, label, values[key]) for key, label in OVERVIEW_LABELS]


def secret_warning(ticket: Ticket) -> Optional[str]:
    """What the agent must know and do when the customer pasted secrets into the chat (None if not)."""
    shared = set(ticket.secrets_shared)
    kinds = [kind for kind in SECRET_LABELS if kind in shared] + sorted(shared - set(SECRET_LABELS))  # gravest first
    if not kinds:
        return None
    names = ", ".join(SECRET_LABELS.get(kind, kind.replace("_", " ")) for kind in kinds)
    advice = []
    if any(kind in WALLET_SECRETS for kind in kinds):
        advice.append("anggap dompetnya bocor dan minta pelanggan segera memindahkan aset ke dompet baru")
    if any(kind not in WALLET_SECRETS for kind in kinds):
        advice.append("minta pelanggan segera mengganti kata sandi, mereset 2FA dan memeriksa sesi login")
    todo = "; ".join(advice)
    return (f"PERHATIAN: pelanggan membagikan {names} di chat (sudah dihapus dari tiket). "
            f"{todo[0].upper()}{todo[1:]}. Jangan pernah meminta data ini.")


def other_flags(ticket: Ticket) -> List[str]:
    """Flags other than shared secrets (shown as they are)."""
    return [clean(flag) for flag in ticket.flags if not flag.startswith(SECRET_FLAG_PREFIX)]


def detail_parts(detail: Detail, value_limit: Optional[int] = None) -> Tuple[str, str, str, str]:
    """``(icon, label, value, status text)`` of a detail; an empty value reads :data:`UNKNOWN_VALUE`."""
    value = clean(detail.value).strip() or UNKNOWN_VALUE
    status = DETAIL_STATUS_LABELS[detail.status]
    if detail.note:
        status += f": {clean(detail.note)}"
    if value_limit is not None:
        value, status = clip(value, value_limit), clip(status, value_limit)
    return DETAIL_STATUS_ICONS[detail.status], clean(detail.label), value, status


def transcript_parts(line: TranscriptLine) -> Tuple[str, str, str]:
    """``(time, speaker, text)`` of a transcript line; time as ``22/11 21:30`` (WIB)."""
    return f"{line.at.astimezone(WIB):%d/%m %H:%M}", SPEAKER_LABELS[line.speaker], clean(line.text, single_line=False)


# ---------------------------------------------------------------- JSON

def _iso(at: Optional[datetime]) -> Optional[str]:
    return at.isoformat() if at else None


def ticket_dict(ticket: Ticket) -> Dict[str, Any]:
    """The full ticket as JSON-ready values (ISO-8601 times), with Indonesian labels alongside."""
    return {
        "id": ticket.id,
        "priority": ticket.priority, "category": ticket.category, "status": ticket.status,
        "created_at": _iso(ticket.created_at), "sla_due_at": _iso(ticket.sla_due_at),
        "closed_at": _iso(ticket.closed_at),
        "customer": {"id": ticket.customer_id, "name": ticket.customer_name},
        "channel": ticket.channel, "sentiment": ticket.sentiment, "summary": ticket.summary,
        "details": [{"name": d.name, "label": d.label, "value": d.value, "status": d.status, "note": d.note}
                    for d in ticket.details],
        "kb_articles": list(ticket.kb_articles),
        "flags": list(ticket.flags),
        "transcript": [{"at": _iso(line.at), "speaker": line.speaker, "text": line.text} for line in ticket.transcript],
        "labels": {"priority": PRIORITY_LABELS[ticket.priority], "category": CATEGORY_LABELS[ticket.category],
                   "status": TICKET_STATUS_LABELS[ticket.status], "sentiment": SENTIMENT_LABELS[ticket.sentiment]},
        "show_command": SHOW_COMMAND.format(id=ticket.id),
    }


# ---------------------------------------------------------------- plain text (CLI)

def delivery_text(delivery: Delivery) -> str:
    """One line of delivery status, e.g. ``telegram_agen: terkirim 22 Nov 2026 21:30 WIB (1 percobaan)``."""
    status = DELIVERY_STATUS_LABELS.get(delivery.status, delivery.status)
    if delivery.status == "sent" and delivery.sent_at is not None:
        return f"{delivery.notifier}: {status} {format_wib(delivery.sent_at)} ({delivery.attempts} percobaan)"
    if delivery.attempts == 0:
        return f"{delivery.notifier}: {status}, belum dicoba"
    line = (f"{delivery.notifier}: {status}, {delivery.attempts} percobaan, "
            f"berikutnya {format_wib(delivery.next_attempt_at)}")
    if delivery.last_error:
        line += f"; galat terakhir: {clean(delivery.last_error)}"
    return line


def ticket_text(ticket: Ticket, deliveries: Sequence[Delivery] = (), now: Optional[datetime] = None) -> str:
    """The complete ticket for the terminal (nothing is shortened)."""
    fields = overview(ticket, now)
    width = max(len(label) for _, label, _ in fields)
    lines = [f"Tiket {ticket.id}", ""]
    warning = secret_warning(ticket)
    if warning:
        lines += [f"!!! {warning}", ""]
    lines += [f"{label.ljust(width)} : {value}" for _, label, value in fields]
    lines += ["", "Rincian:"]
    for icon, label, value, status in map(detail_parts, ticket.details):
        lines.append(f"  {icon} {label}: {value} ({status})")
    if not ticket.details:
        lines.append("  (tidak ada)")
    lines += ["", "Artikel KB yang sudah ditampilkan: " + (", ".join(map(clean, ticket.kb_articles)) or "tidak ada")]
    flags = other_flags(ticket)
    if flags:
        lines.append("Tanda: " + ", ".join(flags))
    lines += ["", f"Percakapan ({len(ticket.transcript)} pesan):"]
    for at, speaker, text in map(transcript_parts, ticket.transcript):
        lines.append(f"  [{at}] {speaker}: " + text.replace("\n", "\n" + " " * 6))
    lines += ["", "Status notifikasi:"]
    lines += [f"  {delivery_text(delivery)}" for delivery in deliveries] or ["  (tidak ada notifikasi)"]
    return "\n".join(lines)


def ticket_table(tickets: Sequence[Ticket], now: Optional[datetime] = None, with_status: bool = False) -> str:
    """Tickets as an aligned table: id, created, priority, category, customer, SLA due, summary."""
    header = ["ID", "Dibuat (WIB)", "Prioritas", "Kategori", "Pelanggan", "Batas SLA (WIB)", "Ringkasan"]
    if with_status:
        header.insert(1, "Status")
    rows = [header]
    for ticket in tickets:
        due = format_wib(ticket.sla_due_at, with_year=False)
        if now is not None and ticket.status == "open" and now >= ticket.sla_due_at:
            due += " (lewat)"
        row = [ticket.id, format_wib(ticket.created_at, with_year=False), PRIORITY_LABELS[ticket.priority],
               CATEGORY_LABELS[ticket.category], clip(customer_label(ticket), 30), due, clip(clean(ticket.summary), 70)]
        if with_status:
            row.insert(1, TICKET_STATUS_LABELS[ticket.status])
        rows.append(row)
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    return "\n".join("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
                     for row in rows)


# ---------------------------------------------------------------- Telegram HTML

def _esc(text: str) -> str:
    return html.escape(text, quote=False)


def _telegram_core(ticket: Ticket) -> List[str]:
    """Everything but the transcript, one self-contained HTML fragment per line."""
    lines = [f"{PRIORITY_ICONS[ticket.priority]} <b>Tiket {_esc(ticket.id)}</b>"]
    warning = secret_warning(ticket)
    if warning:  # first thing the agent reads
        lines += [f"🚨 <b>{_esc(warning)}</b>", ""]
    for key, label, value in overview(ticket):
        limit = CLIP_SUMMARY if key == "summary" else CLIP_VALUE
        lines.append(f"<b>{_esc(label)}:</b> {_esc(clip(value, limit))}")
    lines += ["", "<b>Rincian</b>"]
    for detail in ticket.details:
        icon, label, value, status = detail_parts(detail, CLIP_VALUE)
        shown = f"<code>{_esc(value)}</code>" if detail.value.strip() else UNKNOWN_VALUE
        lines.append(f"{icon} {_esc(clip(label, CLIP_SHORT))}: {shown} <i>({_esc(status)})</i>")
    if not ticket.details:
        lines.append("<i>(tidak ada)</i>")
    articles = ", ".join(clip(clean(article), CLIP_SHORT) for article in ticket.kb_articles) or "tidak ada"
    lines += ["", f"<b>Artikel KB yang sudah ditampilkan:</b> {_esc(articles)}"]
    flags = other_flags(ticket)
    if flags:
        lines.append(f"<b>Tanda:</b> {_esc(', '.join(clip(flag, CLIP_SHORT) for flag in flags))}")
    return lines


def _cost(lines: Sequence[str]) -> int:
    return sum(utf16_length(line) + 1 for line in lines)  # + the newline joining it


def _fit(lines: Sequence[str], budget: int, from_end: bool = False) -> Tuple[List[str], int]:
    """The longest run of ``lines`` (from the start, or from the end) fitting ``budget``; and how many are left."""
    kept: List[str] = []
    used = 0
    for line in (reversed(lines) if from_end else lines):
        used += _cost([line])
        if used > budget:
            break
        kept.append(line)
    return (kept[::-1] if from_end else kept), len(lines) - len(kept)


def _transcript_section(ticket: Ticket, budget: int) -> List[str]:
    """The newest transcript lines that fit ``budget``, with a note on how many older ones were left out."""
    lines = [f"<i>{at}</i> <b>{speaker}:</b> {_esc(clip(text, CLIP_TRANSCRIPT_LINE))}"
             for at, speaker, text in map(transcript_parts, ticket.transcript)]
    heading = ["", f"<b>Percakapan</b> ({len(lines)} pesan)"]
    notice = "<i>… {count} pesan sebelumnya tidak ditampilkan</i>"
    fixed = _cost(heading) + _cost([notice.format(count=len(lines))])
    if not lines or budget < fixed:
        return []
    shown, skipped = _fit(lines, budget - fixed, from_end=True)
    return heading + ([notice.format(count=skipped)] if skipped else []) + shown


def telegram_html(ticket: Ticket, limit: int = TELEGRAM_LIMIT) -> str:
    """The agent-group message: the whole ticket, the transcript shortened (oldest lines first) to fit ``limit``."""
    footer = ["", f"📄 Rekam lengkap: <code>{_esc(SHOW_COMMAND.format(id=ticket.id))}</code>"]
    cut_notice = "<i>… (dipotong)</i>"
    core, dropped = _fit(_telegram_core(ticket), limit - _cost(footer) - _cost([cut_notice]))
    if dropped:
        core.append(cut_notice)
    transcript = _transcript_section(ticket, limit - _cost(core) - _cost(footer))
    return "\n".join(core + transcript + footer)
