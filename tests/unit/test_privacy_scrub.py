"""What a scrubbed analytics event keeps: exactly the signal the report reads (kind, time, sender, channel,
intent, mood, masked kinds, the assistant's own analytics replies, the three analytics slots), nothing the
customer typed; scrubbing twice changes nothing."""
from __future__ import annotations

from typing import Any, Dict

from hypothesis import given
from hypothesis import strategies as st

from bot import wording
from bot.analytics.conversations import signal_of
from bot.privacy.scrub import PLACEHOLDER, kept_message_text, scrub_event
from nlu.payloads import button_payload


def user_event(text: str, **metadata: Any) -> Dict[str, Any]:
    return {"sender_id": "wa-6281234567890", "event": "user", "timestamp": 1790000000.5, "text": text,
            "input_channel": "whatsapp", "message_id": "wamid.1",
            "parse_data": {"intent": {"name": "report_problem", "confidence": 0.8},
                           "entities": [{"entity": "bank_account", "value": "1234567890"}], "text": text,
                           "metadata": {"name": "Siti"}},
            "metadata": {"redacted_secrets": ["otp"], "masked_personal_data": ["phone"], "profile_name": "Siti",
                         **metadata}}


def without_text(signal: Any) -> Any:
    return signal._replace(text="") if hasattr(signal, "text") else signal


@given(st.text(min_size=1, max_size=200))
def test_a_customer_message_keeps_its_signal_and_loses_its_words(text):
    event = user_event(text)
    scrubbed = scrub_event(event)
    assert without_text(signal_of(scrubbed)) == without_text(signal_of(event))
    assert scrub_event(scrubbed) == scrubbed   # idempotent
    if text.strip():
        assert scrubbed["text"] == PLACEHOLDER == scrubbed["parse_data"]["text"]


def test_personal_fields_are_gone_and_kinds_stay():
    scrubbed = scrub_event(user_event("KENAPA DANA SAYA BELUM MASUK!! rekening 9876501234 a.n. Siti"))
    flat = repr({key: value for key, value in scrubbed.items() if key != "sender_id"})   # the id stays (purge)
    assert "9876501234" not in flat and "1234567890" not in flat and "Siti" not in flat and "KENAPA" not in flat
    assert scrubbed["metadata"] == {"redacted_secrets": ["otp"], "masked_personal_data": ["phone"],
                                    "retained_mood": "upset"}
    assert scrubbed["parse_data"] == {"intent": {"name": "report_problem", "confidence": 0.8}, "text": PLACEHOLDER,
                                      "entities": []}
    assert scrubbed["privacy_scrubbed"] is True and scrubbed["timestamp"] == 1790000000.5


def test_button_payloads_and_the_assistants_analytics_replies_are_kept():
    payload = button_payload("choose_article", article_id="memo-tag")
    assert scrub_event(user_event(payload))["text"] == payload
    for reply in (wording.CLARIFY, wording.UNCLEAR, wording.SECRET_WARNING.format(what="OTP")):
        assert scrub_event({"event": "bot", "text": reply, "timestamp": 1.0, "data": {}})["text"] == reply
    echoed = scrub_event({"event": "bot", "text": "Rekening BCA 1234567890 a.n. Siti, benar?", "timestamp": 1.0,
                          "data": {"buttons": [{"title": "Ya", "payload": "/affirm"}]}, "metadata": {"x": 1}})
    assert (echoed["text"], echoed["data"], echoed["metadata"]) == (PLACEHOLDER, {}, {})


def test_slots_keep_only_the_analytics_values_and_erasure_replaces_the_sender():
    kept = {"event": "slot", "name": "kb_article", "value": "memo-tag", "timestamp": 2.0, "sender_id": "tg-1"}
    dropped = {"event": "slot", "name": "bank_account", "value": "1234567890", "timestamp": 2.0, "sender_id": "tg-1"}
    assert scrub_event(kept)["value"] == "memo-tag" and scrub_event(dropped)["value"] is None
    assert scrub_event(kept, sender_id="erased-ab12")["sender_id"] == "erased-ab12"
    assert signal_of(scrub_event(kept, sender_id="erased-ab12")).sender_id == "erased-ab12"


def test_handoff_messages_keep_only_the_secrets_warning():
    warning = wording.SECRET_WARNING.format(what="frasa pemulihan (seed phrase)")
    assert kept_message_text(warning) == warning
    assert kept_message_text("Agen Rina:\nNomor rekening Anda 1234567890 sudah kami cek") == PLACEHOLDER
