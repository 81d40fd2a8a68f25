"""actions.privacy_ticket: the ``privasi`` ticket for "minta data saya" / "hapus data saya", and the customer copy."""
from __future__ import annotations

import re
import shlex
from datetime import datetime, timedelta
from typing import Iterator

import pytest

from actions.privacy_ticket import (
    ACCESS,
    ERASURE,
    build_privacy_draft,
    customer_replies,
    empathy,
    kind_for_intent,
    offer_buttons,
    offer_first,
    privacy_command,
)
from actions.reporting.ticket_draft import Conversation
from bot.tickets import WIB, Ticket, TicketStore, TranscriptLine, open_store
from bot.tickets.render import CLIP_SUMMARY, telegram_html, ticket_text
from bot.tickets.sla import PRIVACY_PRIORITY, RESPONSE_TARGETS, privacy_deadline
from nlu.payloads import is_own_button_payload
from nlu.sentiment import Mood
from tests.tickets.fakes import telegram_html_problems

RECEIVED = datetime(2026, 11, 22, 21, 30, tzinfo=WIB)


def conversation(customer_id: str = "tg-88123", moods=(Mood.CALM,), channel: str = "telegram") -> Conversation:
    line = TranscriptLine(RECEIVED, "customer", "tolong hapus semua data pribadi gw")
    return Conversation(customer_id=customer_id, customer_name="Budi", channel=channel, kb_articles=["privasi-data"],
                        moods=list(moods), transcript=[line], dedupe_key=f"{customer_id}:m1")


@pytest.fixture
def store(tmp_path) -> Iterator[TicketStore]:
    """A ticket store on a fresh SQLite file."""
    ticket_store = open_store(f"sqlite:///{tmp_path / 'tickets.db'}")
    yield ticket_store
    ticket_store.database.reader.dispose()


def details(draft) -> dict:
    return {d.name: d for d in draft.details}


def ticket_of(draft) -> Ticket:
    return Ticket.from_draft(draft, id="CS-20261122-0007", status="open", created_at=RECEIVED,
                             sla_due_at=RECEIVED + timedelta(hours=4))


def test_each_intent_names_its_request():
    assert kind_for_intent("request_data_access") is ACCESS
    assert kind_for_intent("request_data_erasure") is ERASURE
    assert kind_for_intent("ask_knowledge") is None and kind_for_intent(None) is None
    assert (ACCESS.name, ACCESS.subcommand, ERASURE.name, ERASURE.subcommand) == ("akses", "export", "hapus", "erase")


@pytest.mark.parametrize("text", ["hapus data saya", "minta data saya", "tolong delete data gw",
                                  "saya mau tau data apa aja yg kalian simpan", "HAPUS SEMUA DATA GW SEKARANG",
                                  "minta salinan data pribadi saya sesuai UU PDP"])
def test_a_request_is_opened_at_once(text):
    assert not offer_first(text)


@pytest.mark.parametrize("text", ["gimana cara minta hapus data pribadi?", "data pribadi apa aja yg kalian simpan?",
                                  "bisa minta salinan data saya", "cara request data pribadi"])
def test_a_question_about_the_process_is_answered_and_offered_first(text):
    assert offer_first(text)


def test_the_offer_buttons_are_the_assistants_own_yes_and_no():
    buttons = offer_buttons()
    assert [b["title"] for b in buttons] == ["Ya, ajukan", "Tidak sekarang"]
    assert all(is_own_button_payload(b["payload"]) for b in buttons)
    assert [b["payload"] for b in buttons] == ["/affirm", "/deny"]


def test_worried_customers_get_a_fitting_first_line():
    assert empathy(Mood.CALM) is None
    assert "data pribadi Anda penting" in empathy(Mood.UPSET)
    assert "jangan membagikan kata sandi" in empathy(Mood.URGENT)


@pytest.mark.parametrize("customer_id", ["tg-88123", "6281234567890", "web user's id; rm -rf /", "budi $(id)"])
def test_the_command_quotes_any_customer_id_for_a_shell(customer_id):
    command = privacy_command(ERASURE, customer_id)
    assert shlex.split(command) == ["python", "-m", "bot.privacy", "erase", "--customer", customer_id]


def test_the_deadline_is_three_times_24_hours_of_calendar_time():
    assert privacy_deadline(RECEIVED) == RECEIVED + timedelta(hours=72)
    with pytest.raises(ValueError):
        privacy_deadline(RECEIVED.replace(tzinfo=None))
    # The agent's first response (operating hours only) comes well before it.
    assert RESPONSE_TARGETS[PRIVACY_PRIORITY] <= timedelta(hours=24)


@pytest.mark.parametrize("kind, word, subcommand", [(ACCESS, "AKSES", "export"), (ERASURE, "HAPUS", "erase")])
def test_the_summary_lets_an_agent_act_without_asking_again(kind, word, subcommand):
    draft = build_privacy_draft(kind, conversation(), RECEIVED)
    assert draft.category == "privasi" and draft.priority == "high" and draft.sentiment == "calm"
    summary = draft.summary
    assert summary.startswith(f"Permintaan {word} data pribadi (UU PDP)")
    assert "pelanggan tg-88123 via telegram" in summary
    assert "Verifikasi dulu identitas pemilik akun lewat kanal resmi" in summary
    assert (f'jalankan python -m bot.privacy {subcommand} --customer <ID pelanggan> (perintah lengkap di rincian '
            f'"Perintah setelah verifikasi")') in summary
    assert len(summary) <= CLIP_SUMMARY   # the agents' Telegram message shows it whole
    assert "Batas: 25 Nov 2026 21:30 WIB" in summary
    found = details(draft)
    assert found["identity"].status == "unverified" and "kanal resmi" in found["identity"].note
    assert found["privacy_command"].value == f"python -m bot.privacy {subcommand} --customer tg-88123"
    assert found["privacy_command"].status == "valid"   # a validated value: stored as it is, never masked
    assert found["privacy_deadline"].value == "25 Nov 2026 21:30 WIB"
    assert draft.kb_articles == ("privasi-data",) and draft.dedupe_key == "tg-88123:m1"
    assert [line.text for line in draft.transcript] == ["tolong hapus semua data pribadi gw"]


def test_erasure_tells_the_agent_what_must_be_kept():
    summary = build_privacy_draft(ERASURE, conversation(), RECEIVED).summary
    assert "wajib disimpan (APU-PPT) tetap disimpan" in summary
    assert "Pasal 32" in details(build_privacy_draft(ACCESS, conversation(), RECEIVED))["privacy_deadline"].note


def test_a_panicking_customer_is_urgent():
    draft = build_privacy_draft(ERASURE, conversation(moods=(Mood.CALM, Mood.URGENT)), RECEIVED)
    assert draft.priority == "urgent" and draft.sentiment == "urgent"


def test_agents_see_the_category_and_a_copyable_command():
    ticket = ticket_of(build_privacy_draft(ERASURE, conversation(), RECEIVED))
    html = telegram_html(ticket)
    assert telegram_html_problems(html) == []
    assert "<b>Kategori:</b> Privasi data (UU PDP)" in html
    assert "Perintah setelah verifikasi: <code>python -m bot.privacy erase --customer tg-88123</code>" in html
    assert "Kategori" in ticket_text(ticket) and "Privasi data (UU PDP)" in ticket_text(ticket)


def test_a_privacy_ticket_is_stored_and_read_back_with_the_exact_command(store):
    """A WhatsApp customer's id is a phone number: the free-text summary may mask it, the command must not."""
    draft = build_privacy_draft(ACCESS, conversation(customer_id="6281234567890", channel="whatsapp"), RECEIVED)
    ticket = store.create(draft, ["helpdesk_webhook"], now=RECEIVED)
    stored = store.get(ticket.id)
    assert stored.category == "privasi" and stored.created_at == RECEIVED
    assert stored.sla_due_at < privacy_deadline(stored.created_at)
    assert details(stored)["privacy_command"].value == "python -m bot.privacy export --customer 6281234567890"


@pytest.mark.parametrize("kind", [ACCESS, ERASURE])
def test_the_customer_gets_the_ticket_the_check_the_deadline_and_no_request_for_secrets(kind):
    replies = customer_replies(kind, "CS-20261122-0007", "Rabu, 25/11 pukul 21.30 WIB",
                               "Agen kami akan menghubungi Anda paling lambat besok pukul 11.30 WIB.")
    text = " ".join(replies)
    assert len(replies) == 3
    assert "CS-20261122-0007" in replies[0] and "pemilik akun" in replies[0] and "kanal resmi" in replies[0]
    assert replies[-1].startswith("Agen kami akan menghubungi Anda paling lambat besok pukul 11.30 WIB.")
    assert "paling lambat Rabu, 25/11 pukul 21.30 WIB (3×24 jam sejak permintaan ini)" in replies[-1]
    assert "tidak pernah meminta kata sandi, kode OTP, atau foto KTP" in replies[-1]
    # It never asks for a secret or a document in the chat.
    assert not re.search(r"(kirim|kirimkan|unggah|upload|sebutkan)\s+(foto\s+)?(ktp|kata sandi|otp|password)",
                         text, re.IGNORECASE)


def test_erasure_copy_is_honest_about_what_is_kept_and_who_deletes():
    text = " ".join(customer_replies(ERASURE, "CS-1", "x", "y"))
    assert "Saya sendiri tidak menghapus data apa pun" in text
    assert "riwayat transaksi wajib tetap kami simpan" in text and "anti pencucian uang" in text
    access = " ".join(customer_replies(ACCESS, "CS-1", "x", "y"))
    assert "salinan" in access and "Sesuai UU PDP" in access and "bukan lewat chat ini" in access
