"""Personal data masked where text enters and where it is kept: every channel's entry (text and metadata), the
analytics consumer, tickets, the handoff thread, incident examples; the customer's one-time note (no Rasa)."""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from rasa.core.channels.channel import CollectingOutputChannel

from bot import wording
from bot.analytics.consumer import redacted
from bot.channels.common import SeenStore, redact_at_entry
from bot.channels.intake import IntakeSettings, MessageIntake, WhenBusy
from bot.channels.privacy_note import PrivacyNotes, personal_data_note
from bot.handoff.gate import HandoffGate
from bot.handoff.model import Agent
from bot.incidents.hook import example_text
from bot.tickets import Detail, TicketStore, TranscriptLine
from bot.tickets.redaction import redact_draft
from nlu.scrub import scrub
from tests.handoff.fixtures import Desk
from tests.tickets.drafts import MOMENT, make_draft
from tests.unit.test_intake import Bot, message, sent

NIK = "3174055203900012"
CARD = "4111 1111 1111 1111"
PHONE = "081398765432"
EMAIL = "budi.santoso@gmail.com"
ACCOUNT = "7311092648"
PERSONAL = (NIK, CARD, PHONE, EMAIL, ACCOUNT)


def leaks(text: str) -> list:
    return [value for value in PERSONAL if value in text]


# --- entry --------------------------------------------------------------------------------------------------

def test_entry_masks_the_text_and_the_clients_metadata_and_names_only_the_kinds():
    text, metadata = redact_at_entry(f"NIK {NIK}, kartu {CARD}, otp 482913, rek BCA {ACCOUNT}",
                                     {"note": f"hp {PHONE}", "contact": {"email": EMAIL}, "telegram_user_id": 99})
    assert text == "NIK ****************, kartu **** **** **** 1111, otp [DIHAPUS: otp], rek BCA ******2648"
    assert metadata["redacted_secrets"] == ["otp"]
    assert metadata["masked_personal_data"] == ["nik", "card", "bank_account", "phone", "email"]
    assert metadata["note"] == "hp 0813****5432" and metadata["contact"] == {"email": "b***@gmail.com"}
    assert metadata["telegram_user_id"] == 99 and not leaks(repr(metadata))


def test_entry_without_personal_data_adds_no_key():
    text, metadata = redact_at_entry("deposit Rp 1.500.000 belum masuk, order id 123456789012", {"a": "b"})
    assert text == "deposit Rp 1.500.000 belum masuk, order id 123456789012" and metadata == {"a": "b"}


def test_scrub_keeps_the_contact_channel_id_and_the_consumer_masks_what_entry_missed():
    event = {"event": "user", "sender_id": "6281234567890", "text": f"email {EMAIL}",
             "parse_data": {"entities": [{"value": f"hp {PHONE}"}]}}
    cleaned, findings = scrub(event)
    assert cleaned["sender_id"] == "6281234567890" and cleaned["text"] == "email b***@gmail.com"
    assert cleaned["parse_data"]["entities"][0]["value"] == "hp 0813****5432"
    assert sorted((f.path, f.kind) for f in findings) == [("parse_data.entities.0.value", "phone"), ("text", "email")]
    assert redacted(event) == cleaned
    bot_event = {"event": "bot", "sender_id": "s", "text": "Hubungi cs@bursa.co.id"}   # the assistant's own words
    assert redacted(bot_event) == bot_event


def test_an_event_masked_at_entry_is_not_changed_again():
    text, metadata = redact_at_entry(f"rek BCA {ACCOUNT}, hp {PHONE}, {EMAIL}, NIK {NIK}, kartu {CARD}")
    event = {"event": "user", "sender_id": "wa-6281234567890", "text": text, "metadata": metadata}
    assert scrub(event) == (event, [])


# --- the customer is told once, for a NIK or a card number only ------------------------------------------------

def test_note_names_what_was_masked():
    assert personal_data_note(["phone", "email", "bank_account"]) is None
    assert personal_data_note(["nik"]) == wording.PERSONAL_DATA_NOTE.format(what="nomor KTP")
    assert personal_data_note(["card", "nik", "nik"]) == wording.PERSONAL_DATA_NOTE.format(
        what="nomor kartu dan nomor KTP")


@pytest.fixture
def notes_intake(tmp_path: Path, sqlite_desk: Desk):
    bot = Bot()
    intake = MessageIntake(IntakeSettings())
    intake.notes = PrivacyNotes(SeenStore(tmp_path / "channels.db"))
    return bot, intake.wrap(bot, HandoffGate(lambda: sqlite_desk.service), WhenBusy.REFUSE), tmp_path


async def entered(handle, sender: str, raw: str, output: CollectingOutputChannel, channel: str = "rest") -> None:
    text, metadata = redact_at_entry(raw)
    await handle(message(sender, text, output, channel=channel, **metadata))


async def test_a_nik_gets_a_short_note_before_the_answer_once_per_customer(notes_intake):
    bot, handle, tmp_path = notes_intake
    first, second, other = CollectingOutputChannel(), CollectingOutputChannel(), CollectingOutputChannel()
    await entered(handle, "budi", f"NIK saya {NIK}, tolong cek verifikasi", first)
    assert sent(first) == [wording.PERSONAL_DATA_NOTE.format(what="nomor KTP"),
                           "jawaban: NIK saya ****************, tolong cek verifikasi"]
    await entered(handle, "budi", f"kartu {CARD} juga kena", second)
    assert sent(second) == ["jawaban: kartu **** **** **** 1111 juga kena"]            # told once is enough
    await entered(handle, "budi", f"hp {PHONE}", other, channel="telegram")
    assert sent(other) == ["jawaban: hp 0813****5432"]                               # phones: masked silently
    await entered(handle, "budi", f"kartu {CARD}", other, channel="telegram")
    assert sent(other)[-2] == wording.PERSONAL_DATA_NOTE.format(what="nomor kartu")        # another channel's customer
    assert b"budi" not in b"".join(path.read_bytes() for path in tmp_path.glob("channels.db*"))


async def test_the_secrets_warning_is_not_crowded_by_the_note(notes_intake):
    bot, handle, _ = notes_intake
    first, later = CollectingOutputChannel(), CollectingOutputChannel()
    await entered(handle, "andi", f"otp 482913 dan NIK {NIK}", first)
    assert sent(first) == ["jawaban: otp [DIHAPUS: otp] dan NIK ****************"]   # Rasa warns about the OTP
    await entered(handle, "andi", f"NIK {NIK}", later)
    assert sent(later)[0] == wording.PERSONAL_DATA_NOTE.format(what="nomor KTP")           # told the next time


async def test_a_masked_phone_or_email_gets_no_note(notes_intake):
    bot, handle, _ = notes_intake
    output = CollectingOutputChannel()
    await entered(handle, "siti", f"hp {PHONE} email {EMAIL} rek BCA {ACCOUNT}", output)
    assert sent(output) == ["jawaban: hp 0813****5432 email b***@gmail.com rek BCA ******2648"]


# --- stores ---------------------------------------------------------------------------------------------------

def test_ticket_free_text_is_masked_and_the_reports_validated_details_kept():
    draft = make_draft(
        customer_name=f"Budi {PHONE}",
        summary=f"Penarikan ke BCA {ACCOUNT} gagal",
        details=(Detail("txid", "Referensi", "1234567890123", "valid"),
                 Detail("bank_account", "Rekening bank", "BCA ••••2648", "valid", "pelanggan mengirim nomor lengkap"),
                 Detail("amount", "Jumlah", "Rp 15.000.000.000", "valid"),
                 Detail("address", "Alamat", "9998887776665", "unverified", "tidak lolos validasi"),
                 Detail("description", "Keterangan", f"hubungi {EMAIL} atau {PHONE}, NIK {NIK}", "valid")),
        transcript=(TranscriptLine(MOMENT, "customer", f"kartu saya {CARD}"),))
    cleaned = redact_draft(draft)
    assert cleaned.customer_name == "Budi 0813****5432" and cleaned.summary == "Penarikan ke BCA ******2648 gagal"
    assert [d.value for d in cleaned.details] == [
        "1234567890123", "BCA ••••2648", "Rp 15.000.000.000", "*********6665",
        "hubungi b***@gmail.com atau 0813****5432, NIK ****************"]
    assert cleaned.transcript[0].text == "kartu saya **** **** **** 1111"
    assert not any(flag.startswith("secret_shared") for flag in cleaned.flags)


def test_a_stored_ticket_holds_no_personal_data(sqlite_store: TicketStore):
    ticket = sqlite_store.create(make_draft(transcript=(TranscriptLine(MOMENT, "customer", f"NIK {NIK} hp {PHONE}"),)),
                                 [])
    stored = sqlite_store.get(ticket.id)
    assert stored.transcript[0].text == "NIK **************** hp 0813****5432"


def test_handoff_thread_masks_what_agents_read_and_keeps_the_agents_words(sqlite_desk: Desk):
    service, agent = sqlite_desk.service, Agent("cli", "rina", "Rina")
    handoff = service.store.get(sqlite_desk.ticket_id)
    service.forward(handoff, f"ini hp saya {PHONE} dan email {EMAIL}", sqlite_desk.at(1))
    assert sqlite_desk.to_agents()[-1] == "ini hp saya 0813****5432 dan email b***@gmail.com"
    service.reply(sqlite_desk.ticket_id, "Silakan kirim bukti ke cs@bursa.co.id atau 0215550123", agent,
                  sqlite_desk.at(2))
    assert sqlite_desk.to_customer()[-1].endswith("Silakan kirim bukti ke cs@bursa.co.id atau 0215550123")
    service.close(sqlite_desk.ticket_id, agent, sqlite_desk.at(3))
    handoff = service.store.get(sqlite_desk.ticket_id)
    service.rate(handoff, 2, sqlite_desk.at(4))
    service.comment(service.store.get(sqlite_desk.ticket_id), f"lambat, hubungi {PHONE}", sqlite_desk.at(5))
    assert service.store.get(sqlite_desk.ticket_id).comment == "lambat, hubungi 0813****5432"
    assert not leaks(" ".join(sqlite_desk.to_agents()))


def test_incident_examples_for_agents_are_masked():
    assert example_text(f"wd ke BCA {ACCOUNT} gagal,\nhp {PHONE}") == "wd ke BCA ******2648 gagal, hp 0813****5432"


def test_draft_detail_with_a_secret_still_raises_the_flag():
    draft = make_draft(details=(Detail("txid", "TXID", "otp 482913", "unverified"),))
    cleaned = redact_draft(replace(draft, transcript=()))
    assert cleaned.details[0].value == "otp [DIHAPUS: otp]" and "secret_shared:otp" in cleaned.flags
