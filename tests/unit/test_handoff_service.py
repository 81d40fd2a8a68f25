"""Claim, reply, close, leave, rate and the sweep, on SQLite and PostgreSQL (no Rasa)."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.handoff.model import Agent
from bot.handoff.service import CLAIMED, CLOSED, DONE, DUPLICATE, EMPTY, NOT_CLAIMED, NOT_FOUND, SENT, TAKEN
from bot.handoff.survey import rating_payload
from tests.handoff.fixtures import DODI, RINA, Desk, make_desk


def test_a_new_ticket_waits_for_an_agent(desk: Desk):
    handoff = desk.store.get(desk.ticket_id)
    assert handoff.state == "waiting" and handoff.agent is None and handoff.active
    assert desk.store.waiting_for(desk.customer_id)[0].ticket_id == desk.ticket_id
    assert desk.thread() == []


def test_claim_tells_the_customer_who_handles_it_and_only_one_agent_wins(desk: Desk):
    first = desk.service.claim(desk.ticket_id, RINA, desk.at(3))
    assert first.code == CLAIMED and first.ok and first.handoff.agent == RINA
    assert desk.to_customer() == [f"Agen Rina sedang menangani laporan Anda ({desk.ticket_id}). "
                                  "Balasannya akan muncul di chat ini."]
    again = desk.service.claim(desk.ticket_id, RINA, desk.at(4))
    assert again.code == "already_yours" and again.ok
    other = desk.service.claim(desk.ticket_id, DODI, desk.at(4))
    assert other.code == TAKEN and not other.ok and "Rina" in other.message
    assert len(desk.to_customer()) == 1  # told once


def test_concurrent_claims_have_exactly_one_winner(desk: Desk):
    agents = [Agent("telegram_agen", str(600 + i), f"Agen{i}") for i in range(6)]
    results, barrier = [], threading.Barrier(len(agents))

    def claim(agent: Agent) -> None:
        barrier.wait()
        results.append(desk.service.claim(desk.ticket_id, agent, desk.at(5)).code)

    threads = [threading.Thread(target=claim, args=(agent,)) for agent in agents]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [CLAIMED] + [TAKEN] * (len(agents) - 1)
    assert len(desk.to_customer()) == 1


def test_a_reply_to_a_waiting_ticket_claims_it_and_counts_as_first_response(desk: Desk):
    outcome = desk.service.reply(desk.ticket_id, "  Halo Budi, saya cek dulu ya.  ", DODI, desk.at(20))
    assert outcome.code == SENT
    assert desk.to_customer()[-1] == "Agen Dodi Saputra:\nHalo Budi, saya cek dulu ya."
    handoff = desk.store.get(desk.ticket_id)
    assert handoff.agent == DODI and handoff.first_reply_at == desk.at(20)
    assert handoff.first_response_time() == timedelta(minutes=20)
    desk.service.reply(desk.ticket_id, "Sudah saya teruskan ke tim keuangan.", DODI, desk.at(40))
    assert desk.store.get(desk.ticket_id).first_reply_at == desk.at(20)  # the first one stays


def test_replies_are_refused_when_they_cannot_reach_the_customer(desk: Desk):
    assert desk.service.reply(desk.ticket_id, "halo", None, desk.at(1)).code == NOT_CLAIMED
    assert desk.service.reply(desk.ticket_id, "   ", RINA, desk.at(1)).code == EMPTY
    assert desk.service.reply("CS-20990101-0001", "halo", RINA, desk.at(1)).code == NOT_FOUND
    desk.service.claim(desk.ticket_id, RINA, desk.at(2))
    assert desk.service.reply(desk.ticket_id, "saya juga bantu", DODI, desk.at(3)).code == TAKEN
    assert desk.to_customer() == [desk.to_customer()[0]]  # only the claim notice


def test_a_redelivered_agent_reply_is_sent_once(desk: Desk):
    desk.service.claim(desk.ticket_id, RINA, desk.at(1))
    assert desk.service.reply(desk.ticket_id, "Dana sudah kembali.", RINA, desk.at(2), dedupe_key="chatwoot:77").ok
    repeated = desk.service.reply(desk.ticket_id, "Dana sudah kembali.", RINA, desk.at(3), dedupe_key="chatwoot:77")
    assert repeated.code == DUPLICATE and not repeated.ok
    assert desk.to_customer().count("Agen Rina:\nDana sudah kembali.") == 1


def test_secrets_never_reach_the_thread(desk: Desk):
    seed = " ".join(["abandon"] * 11 + ["about"])
    desk.service.claim(desk.ticket_id, RINA, desk.at(1))
    desk.service.reply(desk.ticket_id, f"jangan kirim ini: {seed}", RINA, desk.at(2))
    handoff = desk.store.get(desk.ticket_id)
    desk.service.forward(handoff, f"seed saya {seed}", desk.at(3))
    assert all("abandon" not in text for text in desk.to_customer() + desk.to_agents())


def test_close_resolves_sends_the_survey_once_and_closes_the_ticket(desk: Desk):
    desk.service.claim(desk.ticket_id, RINA, desk.at(1))
    desk.service.reply(desk.ticket_id, "Sudah beres ya.", RINA, desk.at(10))
    outcome = desk.service.close(desk.ticket_id, RINA, desk.at(75))
    assert outcome.code == DONE and outcome.ok
    handoff = desk.store.get(desk.ticket_id)
    assert (handoff.state, handoff.survey, handoff.resolved_at) == ("resolved", "asked", desk.at(75))
    assert handoff.resolution_time() == timedelta(minutes=75)
    assert desk.service.tickets.get(desk.ticket_id).status == "closed"
    resolved, survey = desk.thread()[-3:-1]
    assert "Agen Rina telah menyelesaikan laporan" in resolved.text
    assert [payload for _, payload in survey.buttons] == [rating_payload(desk.ticket_id, r) for r in (5, 4, 3, 2, 1)]
    assert desk.service.close(desk.ticket_id, RINA, desk.at(80)).code == CLOSED  # never twice
    assert sum(1 for m in desk.thread() if m.buttons and "Seberapa puas" in m.text) == 1
    assert not desk.store.get(desk.ticket_id).active and desk.store.waiting_for(desk.customer_id)[0] is None


def test_only_the_holder_closes_a_claimed_ticket_and_the_cli_may_close_any(desk: Desk):
    desk.service.claim(desk.ticket_id, RINA, desk.at(1))
    assert desk.service.close(desk.ticket_id, DODI, desk.at(2)).code == TAKEN
    assert desk.service.close(desk.ticket_id, None, desk.at(3)).code == DONE


def test_rating_is_stored_once_and_a_comment_may_follow(desk: Desk):
    desk.service.claim(desk.ticket_id, RINA, desk.at(1))
    desk.service.close(desk.ticket_id, RINA, desk.at(30))
    handoff = desk.store.get(desk.ticket_id)
    thanks = desk.service.rate(handoff, 2, desk.at(31))
    assert "mohon maaf" in thanks.text.lower() and thanks.buttons[0][0] == "Lewati"  # empathy for a low rating
    assert desk.service.rate(desk.store.get(desk.ticket_id), 5, desk.at(32)) is None
    assert desk.service.comment(desk.store.get(desk.ticket_id), "lama sekali balasnya", desk.at(33)) is not None
    handoff = desk.store.get(desk.ticket_id)
    assert (handoff.rating, handoff.comment, handoff.survey, handoff.rated_at) == (2, "lama sekali balasnya", "done",
                                                                                  desk.at(31))
    assert any("2/5" in text for text in desk.to_agents()) and any("lama sekali" in t for t in desk.to_agents())


def test_leaving_closes_without_a_survey_and_tells_the_agents(desk: Desk):
    reply = desk.service.leave(desk.store.get(desk.ticket_id), desk.at(5))
    assert "kembali dilayani asisten virtual" in reply.text
    handoff = desk.store.get(desk.ticket_id)
    assert handoff.state == "left" and handoff.survey == "none" and handoff.resolution_time() is None
    assert desk.service.leave(handoff, desk.at(6)) is None
    assert any("kembali ke bot" in text for text in desk.to_agents())


def test_forward_tells_the_customer_once_with_the_honest_deadline(desk: Desk):
    first = desk.service.forward(desk.store.get(desk.ticket_id), "halo?", desk.at(1))
    assert first is not None and "paling lambat hari ini pukul 14.00 WIB" in first.text  # high priority: 4 h
    assert desk.service.forward(desk.store.get(desk.ticket_id), "halo??", desk.at(2)) is None
    assert desk.to_agents() == ["halo?", "halo??"]
    assert desk.store.get(desk.ticket_id).last_customer_at == desk.at(2)


def test_messages_for_agents_go_to_every_desk_until_claimed_then_to_the_holders(desk: Desk):
    desk.service.forward(desk.store.get(desk.ticket_id), "sebelum", desk.at(1))
    desk.service.claim(desk.ticket_id, RINA, desk.at(2))
    desk.service.forward(desk.store.get(desk.ticket_id), "sesudah", desk.at(3))
    outbox = desk.store.outbox
    targets = {}
    for claim in outbox.claim_due(["telegram_agen", "chatwoot"], desk.at(10), timedelta(seconds=60), limit=50):
        targets.setdefault(desk.store.message(claim.subject).text, set()).add(claim.target)
    assert targets["sebelum"] == {"telegram_agen", "chatwoot"} and targets["sesudah"] == {"telegram_agen"}


def test_sweep_tells_an_unclaimed_customer_once_after_the_timeout_in_operating_hours(desk: Desk):
    assert desk.service.sweep(desk.at(29)) == (0, 0)
    assert desk.service.sweep(desk.at(31)) == (1, 0)
    assert desk.service.sweep(desk.at(90)) == (0, 0)
    assert "belum sempat mengambil laporan" in desk.to_customer()[-1]
    assert desk.store.get(desk.ticket_id).state == "waiting"   # the ticket stays open


def test_the_claim_timeout_counts_only_operating_hours(sqlite_store):
    from tests.handoff.fixtures import OPENED

    late = make_desk(sqlite_store, customer_id="tg-late")
    service = late.service
    handoff = service.store.get(late.ticket_id)
    night = OPENED.replace(hour=21, minute=50)
    object.__setattr__(handoff, "created_at", night)
    assert service.claim_deadline(handoff) == OPENED.replace(day=OPENED.day + 1, hour=8, minute=20)


def test_sweep_expires_unanswered_surveys_quietly(desk: Desk):
    desk.service.close(desk.ticket_id, None, desk.at(5))
    before = len(desk.thread())
    assert desk.service.sweep(desk.at(5 + 24 * 60 - 1))[1] == 0
    assert desk.service.sweep(desk.at(5 + 24 * 60 + 1))[1] == 1
    assert desk.store.get(desk.ticket_id).survey == "expired" and len(desk.thread()) == before


def test_handoffs_of_unknown_tickets_are_not_found(desk: Desk):
    assert desk.service.claim("CS-20990101-0001", RINA).code == NOT_FOUND
    assert desk.service.close("CS-20990101-0001", RINA).code == NOT_FOUND


@pytest.mark.parametrize("name, shown", [("Rina", "Agen Rina"), ("agen budi", "agen budi"), ("", "Agen kami")])
def test_agent_label(name, shown):
    from bot.handoff.service import agent_label

    assert agent_label(Agent("cli", "x", name)) == shown
