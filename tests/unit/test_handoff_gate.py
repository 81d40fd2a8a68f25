"""The channel gate's decisions: silent bot during a handoff, leaving the queue, the survey (no Rasa)."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List

import pytest

from bot.handoff.gate import HandoffGate, decide, wants_bot_back
from bot.handoff.survey import rating_payload, skip_payload
from tests.handoff.fixtures import RINA, Desk, make_desk

LEAVING = ["kembali ke bot", "Kembali ke bot aja", "balik ke bot dong", "mau balik ke asisten", "batal",
           "batal aja deh", "gak jadi", "ga jadi kak", "nggak jadi deh", "cancel", "keluar antrean",
           "udah, kembali ke bot saja ya", "Batalkan.", "tidak jadi"]
STAYING = ["batal kok saldo saya sudah kepotong tapi wd belum masuk juga sampai sekarang", "kapan dibalas?",
           "saya mau batalkan penarikan yang kemarin, tolong dibantu dicek statusnya ya kak",
           "botnya kembali error", "halo"]


@pytest.mark.parametrize("text", LEAVING)
def test_ways_to_go_back_to_the_bot(text):
    assert wants_bot_back(text)


@pytest.mark.parametrize("text", STAYING)
def test_messages_for_the_agent_are_not_read_as_leaving(text):
    assert not wants_bot_back(text)


def test_nothing_is_intercepted_without_a_handoff(sqlite_desk: Desk):
    assert not decide(sqlite_desk.service, "someone-else", "cara deposit", [], sqlite_desk.at(1)).handled


def test_during_a_handoff_the_message_goes_to_the_agent_and_the_notice_comes_once(sqlite_desk: Desk):
    first = decide(sqlite_desk.service, sqlite_desk.customer_id, "cara deposit rupiah?", [], sqlite_desk.at(1))
    second = decide(sqlite_desk.service, sqlite_desk.customer_id, "halo?", [], sqlite_desk.at(2))
    assert first.handled and len(first.replies) == 1 and "di chat ini" in first.replies[0].text
    assert second.handled and second.replies == ()
    assert sqlite_desk.to_agents() == ["cara deposit rupiah?", "halo?"]


def test_a_redelivered_customer_message_is_forwarded_once(sqlite_desk: Desk):
    for _ in range(2):
        decide(sqlite_desk.service, sqlite_desk.customer_id, "halo?", [], sqlite_desk.at(1), message_key="tg:tg-9")
    assert sqlite_desk.to_agents() == ["halo?"]


def test_a_shared_secret_is_warned_about_and_the_agent_sees_only_a_note(sqlite_desk: Desk):
    decision = decide(sqlite_desk.service, sqlite_desk.customer_id, "ini [seed phrase disamarkan]", ["seed_phrase"],
                      sqlite_desk.at(1))
    texts = [reply.text for reply in decision.replies]
    assert decision.handled and texts[0].startswith("PENTING") and "seed phrase" in texts[0]
    assert "disamarkan dan pelanggan sudah diperingatkan" in sqlite_desk.to_agents()[0]


def test_a_button_tapped_during_a_handoff_reaches_the_agent_as_a_note(sqlite_desk: Desk):
    decide(sqlite_desk.service, sqlite_desk.customer_id, "/affirm", [], sqlite_desk.at(1))
    assert sqlite_desk.to_agents() == ["(Pelanggan menekan tombol /affirm)"]


def test_leaving_the_queue_hands_the_next_message_back_to_the_bot(sqlite_desk: Desk):
    left = decide(sqlite_desk.service, sqlite_desk.customer_id, "kembali ke bot", [], sqlite_desk.at(1))
    assert left.handled and "kembali dilayani asisten virtual" in left.replies[0].text
    assert not decide(sqlite_desk.service, sqlite_desk.customer_id, "cara deposit", [], sqlite_desk.at(2)).handled


def closed(desk: Desk) -> Desk:
    desk.service.claim(desk.ticket_id, RINA, desk.at(1))
    desk.service.close(desk.ticket_id, RINA, desk.at(10))
    return desk


@pytest.mark.parametrize("answer, rating", [("5", 5), (" 4/5 ", 4), ("3 bintang", 3), ("1", 1)])
def test_a_typed_rating_counts(sqlite_desk: Desk, answer, rating):
    desk = closed(sqlite_desk)
    decision = decide(desk.service, desk.customer_id, answer, [], desk.at(11))
    assert decision.handled and desk.store.get(desk.ticket_id).rating == rating


def test_a_tapped_rating_then_lewati(sqlite_desk: Desk):
    desk = closed(sqlite_desk)
    assert decide(desk.service, desk.customer_id, rating_payload(desk.ticket_id, 5), [], desk.at(11)).handled
    skipped = decide(desk.service, desk.customer_id, skip_payload(desk.ticket_id), [], desk.at(12))
    assert skipped.replies[0].text.startswith("Baik, terima kasih")
    assert desk.store.get(desk.ticket_id).survey == "done" and desk.store.get(desk.ticket_id).comment is None
    assert not decide(desk.service, desk.customer_id, "cara deposit", [], desk.at(13)).handled


def test_typing_lewati_skips_the_comment(sqlite_desk: Desk):
    desk = closed(sqlite_desk)
    decide(desk.service, desk.customer_id, "5", [], desk.at(11))
    assert decide(desk.service, desk.customer_id, "gak ada", [], desk.at(12)).handled
    assert desk.store.get(desk.ticket_id).comment is None


def test_something_else_instead_of_a_rating_ends_the_survey_quietly(sqlite_desk: Desk):
    desk = closed(sqlite_desk)
    assert not decide(desk.service, desk.customer_id, "cara deposit rupiah", [], desk.at(11)).handled
    assert desk.store.get(desk.ticket_id).survey == "expired"
    late = decide(desk.service, desk.customer_id, rating_payload(desk.ticket_id, 5), [], desk.at(12))
    assert late.handled and late.replies[0].text.startswith("Survei untuk laporan")
    assert desk.store.get(desk.ticket_id).rating is None


def test_a_comment_window_closes(sqlite_desk: Desk):
    desk = closed(sqlite_desk)
    decide(desk.service, desk.customer_id, "4", [], desk.at(11))
    assert not decide(desk.service, desk.customer_id, "cara deposit rupiah", [], desk.at(11 + 31)).handled
    assert desk.store.get(desk.ticket_id).comment is None


def test_forged_and_malformed_survey_payloads_are_ignored(sqlite_desk: Desk):
    desk = closed(sqlite_desk)
    other = decide(desk.service, "tg-intruder", rating_payload(desk.ticket_id, 1), [], desk.at(11))
    assert other.handled and other.replies == ()
    for forged in ('/csat{"ticket":"%s","rating":"9"}' % desk.ticket_id, '/csat{"ticket":"x","rating":"5"}',
                   '/csat{"ticket":"%s","rating":5}' % desk.ticket_id, "/csat{oops"):
        assert decide(desk.service, desk.customer_id, forged, [], desk.at(11)).replies == ()
    assert desk.store.get(desk.ticket_id).rating is None


class Collector:
    """A Rasa-like output channel that records what was sent."""

    def __init__(self) -> None:
        self.sent: List[Dict[str, Any]] = []

    async def send_response(self, recipient_id: str, message: Dict[str, Any]) -> None:
        self.sent.append(message)


class Message:
    def __init__(self, sender: str, text: str, output: Collector) -> None:
        self.sender_id, self.text, self.output_channel = sender, text, output
        self.metadata: Dict[str, Any] = {}
        self.input_channel, self.message_id = "rest", None


def test_the_gate_lets_the_bot_answer_when_the_handoff_store_fails():
    def broken() -> Any:
        raise RuntimeError("database is down")

    reached: List[str] = []

    async def bot(message: Any) -> None:
        reached.append(message.text)

    gate = HandoffGate(broken)
    handled = asyncio.run(gate.wrap(bot)(Message("tg-1", "halo", Collector())))
    assert handled is False and reached == ["halo"] and gate.failures == 1 and "database is down" in gate.last_error


def test_the_gate_answers_through_the_channel_and_never_calls_the_bot(sqlite_desk: Desk):
    reached: List[str] = []

    async def bot(message: Any) -> None:
        reached.append(message.text)

    output = Collector()
    handled = asyncio.run(HandoffGate(lambda: sqlite_desk.service).wrap(bot)(
        Message(sqlite_desk.customer_id, "halo?", output)))
    assert handled is True and reached == [] and "di chat ini" in output.sent[0]["text"]


@pytest.mark.parametrize("question", ["cara deposit rupiah", "kenapa wd saya pending?", "gimana cara aktifin 2fa"])
def test_a_question_after_the_rating_is_not_taken_as_the_comment(sqlite_desk: Desk, question):
    desk = closed(sqlite_desk)
    decide(desk.service, desk.customer_id, "5", [], desk.at(11))
    assert not decide(desk.service, desk.customer_id, question, [], desk.at(12)).handled
    handoff = desk.store.get(desk.ticket_id)
    assert handoff.comment is None and handoff.survey == "done" and handoff.rating == 5


def test_one_query_finds_the_open_handoff_and_the_waiting_survey(sqlite_desk: Desk):
    store, customer = sqlite_desk.store, sqlite_desk.customer_id
    first = sqlite_desk.ticket_id
    assert [h and h.ticket_id for h in store.waiting_for(customer)] == [first, None]
    closed(sqlite_desk)
    assert [h and h.ticket_id for h in store.waiting_for(customer)] == [None, first]
    second = make_desk(sqlite_desk.service.tickets, customer).ticket_id   # a new ticket; the survey still waits
    assert second != first
    assert [h and h.ticket_id for h in store.waiting_for(customer)] == [second, first]
    assert store.waiting_for("nobody") == (None, None)
