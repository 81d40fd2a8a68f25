"""Support metrics from hand-built event sequences (the shape Rasa's event broker publishes) with exact expected
numbers: conversations, self-service (24-hour rule), handoff, clarification, fallback, mood, secrets, articles,
first response and resolution in operating hours against the SLA, CSAT; empty periods, midnight in WIB, and the
fast event-store reader agreeing with plain decoding."""
from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any, Dict, List, Optional

import pytest

from bot import wording
from bot.analytics.conversations import (
    CLARIFICATION,
    FALLBACK_FOREIGN,
    FALLBACK_UNCLEAR,
    SECRET_WARNING,
    conversations_from_events,
    reply_kind,
)
from bot.analytics.events import open_engine, write_events
from bot.analytics.metrics import (
    AgentSideWarning,
    Period,
    TicketRecord,
    conversation_metrics,
    is_self_served,
    percentiles,
    rate,
    summarise,
    ticket_metrics,
    ticket_times_by_customer,
    ticket_within_window,
)
from bot.handoff.model import Handoff
from bot.report.event_signals import first_id_from, read_signals, row_signal
from bot.tickets.model import WIB
from bot.tickets.sla import OperatingHours, sla_due

HOURS = OperatingHours.parse("08-22")
TITLES = {"deposit-rupiah": "Cara deposit Rupiah (IDR)", "biaya-penarikan": "Biaya dan minimum penarikan"}


def wib(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=WIB)


def ts(day: int, hour: int, minute: int = 0, second: float = 0.0) -> float:
    return wib(day, hour, minute).timestamp() + second


class Chat:
    """Events of one customer, shaped like ``{"sender_id": ..., **Event.as_dict()}``."""

    def __init__(self, sender: str, channel: str = "telegram") -> None:
        self.sender, self.channel = sender, channel
        self.events: List[Dict[str, Any]] = []

    def _add(self, kind: str, at: float, **fields: Any) -> "Chat":
        self.events.append({"sender_id": self.sender, "event": kind, "timestamp": at,
                            "metadata": {"model_id": "m1", "assistant_id": "kripto-cs"}, **fields})
        return self

    def session(self, at: float) -> "Chat":
        self._add("action", at, name="action_session_start", policy=None, confidence=1.0)
        return self._add("session_started", at)

    def user(self, at: float, text: str, intent: str = "ask_knowledge", secrets: tuple = ()) -> "Chat":
        metadata = {"model_id": "m1", "assistant_id": "kripto-cs",
                    **({"redacted_secrets": list(secrets)} if secrets else {})}
        self.events.append({"sender_id": self.sender, "event": "user", "timestamp": at, "metadata": metadata,
                            "text": text, "parse_data": {"intent": {"name": intent, "confidence": 0.9}, "entities": [],
                                                         "text": text, "intent_ranking": []},
                            "input_channel": self.channel, "message_id": f"m{len(self.events)}"})
        return self._add("user_featurization", at, use_text_for_featurization=False)

    def bot(self, at: float, text: str) -> "Chat":
        return self._add("bot", at, text=text, data={"buttons": None})

    def slot(self, at: float, name: str, value: Any) -> "Chat":
        return self._add("slot", at, name=name, value=value)

    def answer(self, at: float, article_id: str) -> "Chat":
        self._add("action", at, name="action_kb_answer", policy="RulePolicy", confidence=1.0)
        self.bot(at, f"**{TITLES.get(article_id, article_id)}**\n1. Langkah.").bot(at, wording.ASK_HELPFUL)
        return self.slot(at, "kb_article", article_id).slot(at, "kb_shown", [article_id])


def sample_week() -> List[Dict[str, Any]]:
    """Six conversations over 1–2 December 2026 (WIB) on Telegram and WhatsApp."""
    a = Chat("tg-a").session(ts(1, 10)).user(ts(1, 10, 0, 1), "cara deposit rupiah")
    a.answer(ts(1, 10, 0, 2), "deposit-rupiah")
    a.user(ts(1, 10, 1), "/affirm", "affirm").slot(ts(1, 10, 1, 1), "kb_helpful", True)
    b = Chat("tg-b").session(ts(1, 11)).user(ts(1, 11, 0, 1), "biaya penarikan usdt berapa")
    b.answer(ts(1, 11, 0, 2), "biaya-penarikan").user(ts(1, 11, 1), "/deny", "deny")
    b.slot(ts(1, 11, 1, 1), "kb_helpful", False).slot(ts(1, 11, 1, 1), "report_problem", "withdrawal")
    b.user(ts(1, 11, 3), "ya, benar", "affirm").slot(ts(1, 11, 3, 1), "handoff_ticket", "CS-20261201-0001")
    c = Chat("wa-c", "whatsapp").session(ts(1, 12)).user(ts(1, 12, 0, 1), "saldo")
    c.bot(ts(1, 12, 0, 2), wording.CLARIFY).slot(ts(1, 12, 0, 2), "kb_article", None)
    c.user(ts(1, 12, 1), '/choose_article{"article_id":"deposit-rupiah"}', "choose_article")
    c.answer(ts(1, 12, 1, 1), "deposit-rupiah")
    d = Chat("wa-d", "whatsapp").session(ts(2, 9)).user(ts(2, 9, 0, 1), "asdf qwer", "nlu_fallback")
    d.bot(ts(2, 9, 0, 2), wording.UNCLEAR)
    e = Chat("wa-e", "whatsapp").session(ts(2, 10))
    e.user(ts(2, 10, 0, 1), "ini seed phrase saya [DIHAPUS: seed phrase]", "share_secret", secrets=("seed_phrase",))
    e.bot(ts(2, 10, 0, 2), wording.SECRET_WARNING.format(what="seed phrase")).bot(ts(2, 10, 0, 2), wording.SECRET_STEPS)
    f = Chat("tg-f").session(ts(2, 13)).user(ts(2, 13, 0, 1), "tolong dana saya hilang!!", "report_withdrawal_problem")
    f.bot(ts(2, 13, 0, 2), wording.REPORT_EMPATHY)
    events = [event for chat in (a, b, c, d, e, f) for event in chat.events]
    return sorted(events, key=lambda event: event["timestamp"])


def ticket(ticket_id: str, customer: str, created: datetime, priority: str = "normal", category: str = "other",
           channel: str = "telegram", **handoff: Any) -> TicketRecord:
    state = handoff.pop("state", "resolved" if handoff.get("resolved_at") else "with_agent")
    held = Handoff(ticket_id=ticket_id, customer_id=customer, channel=channel, state=state, created_at=created,
                   last_customer_at=created, **handoff)
    return TicketRecord(id=ticket_id, customer_id=customer, channel=channel, category=category, priority=priority,
                        created_at=created, sla_due_at=sla_due(created, priority, HOURS), handoff=held)


def report(events: List[Dict[str, Any]], period: Period, tickets: Optional[List[TicketRecord]] = None,
           warnings: Optional[List[AgentSideWarning]] = None) -> Dict[str, Any]:
    tickets = tickets or []
    conversations = [c for c in conversations_from_events(events)
                     if period.contains(datetime.fromtimestamp(c.started_at, tz=WIB))]
    return summarise(conversations, tickets, warnings or [], period, ticket_times_by_customer(tickets),
                     wib(3, 12), HOURS, TITLES)


WEEK = Period(wib(1, 0), wib(3, 0))


# ---------------------------------------------------------------- conversations from events

def test_reply_kinds_are_the_assistants_own_copy() -> None:
    assert reply_kind(wording.CLARIFY) == CLARIFICATION
    assert reply_kind(wording.EMPATHY[next(iter(wording.EMPATHY))] + " " + wording.UNCLEAR) == FALLBACK_UNCLEAR
    assert reply_kind(wording.FOREIGN) == FALLBACK_FOREIGN
    assert reply_kind(wording.SECRET_WARNING.format(what="kode OTP")) == SECRET_WARNING
    assert reply_kind(wording.ASK_HELPFUL) is None and reply_kind(wording.GLAD) is None


def test_conversations_record_answers_feedback_and_tickets() -> None:
    conversations = {c.sender_id: c for c in conversations_from_events(sample_week())}
    assert set(conversations) == {"tg-a", "tg-b", "wa-c", "wa-d", "wa-e", "tg-f"}
    b = conversations["tg-b"]
    assert [a.article_id for a in b.answers] == ["biaya-penarikan"] and b.tickets == ["CS-20261201-0001"]
    assert [(f.article_id, f.helpful, f.question) for f in b.feedback] == [
        ("biaya-penarikan", False, "biaya penarikan usdt berapa")]
    c = conversations["wa-c"]
    assert [u.text for u in c.clarifications] == ["saldo"]
    assert c.answers[0].question == "saldo"   # the button tap is not the question
    assert conversations["wa-e"].secret_kinds == ["seed_phrase"] and conversations["wa-e"].secret_warnings == 1
    assert conversations["tg-f"].upset and not conversations["tg-a"].upset


def test_a_new_session_starts_a_new_conversation_and_empty_sessions_do_not_count() -> None:
    chat = Chat("tg-x").session(ts(1, 8)).user(ts(1, 8, 0, 1), "halo", "greet")
    chat.session(ts(1, 10))   # expired and restarted, no message yet
    chat.session(ts(1, 12)).user(ts(1, 12, 0, 1), "cara deposit rupiah").answer(ts(1, 12, 0, 2), "deposit-rupiah")
    conversations = conversations_from_events(chat.events)
    assert [c.messages for c in conversations] == [1, 1]
    assert [bool(c.answers) for c in conversations] == [False, True]


# ---------------------------------------------------------------- conversation metrics, exact

def test_totals_of_a_hand_built_week() -> None:
    tickets = [ticket("CS-20261201-0001", "tg-b", wib(1, 11, 3), priority="normal", category="withdrawal_crypto")]
    totals = report(sample_week(), WEEK, tickets)["totals"]
    assert totals["conversations"] == 6
    assert totals["knowledge_answered"] == {"count": 3, "rate": 0.5}
    assert totals["self_service"] == {"count": 2, "rate": 0.3333}            # a and c; b got a ticket
    assert totals["self_service_confirmed"] == {"count": 1, "rate": 0.1667}  # a clicked "Ya, membantu"
    assert totals["handoff"] == {"count": 1, "rate": 0.1667}
    assert totals["clarification"] == {"count": 1, "rate": 0.1667}
    assert totals["fallback"]["count"] == 1 and totals["fallback"]["messages"]["unclear"] == 1
    assert totals["upset_or_panic"] == {"count": 1, "rate": 0.1667, "upset": 1, "panic": 0}
    assert totals["secrets"] == {"warnings": 1, "conversations": 1, "kinds": {"seed_phrase": 1}, "during_handoff": 0}
    assert totals["feedback"] == {"helpful": 1, "not_helpful": 1}
    assert totals["tickets"] == 1 and totals["by_category"]["withdrawal_crypto"] == 1


def test_per_day_per_channel_and_volume() -> None:
    result = report(sample_week(), WEEK)
    assert [(row["day"], row["conversations"]) for row in result["by_day"]] == [("2026-12-01", 3), ("2026-12-02", 3)]
    assert [(row["channel"], row["conversations"]) for row in result["by_channel"]] == [
        ("telegram", 3), ("whatsapp", 3)]
    assert result["by_day"][0]["self_service"]["count"] == 2 and result["by_day"][1]["fallback"]["count"] == 1
    assert {(v["day"], v["channel"]): v["conversations"] for v in result["volume"]} == {
        ("2026-12-01", "telegram"): 2, ("2026-12-01", "whatsapp"): 1,
        ("2026-12-02", "telegram"): 1, ("2026-12-02", "whatsapp"): 2}


def test_not_helpful_rate_per_article() -> None:
    articles = report(sample_week(), WEEK)["articles"]
    assert articles == [
        {"article_id": "deposit-rupiah", "title": "Cara deposit Rupiah (IDR)", "answers": 2, "helpful": 1,
         "not_helpful": 0, "not_helpful_rate": 0.0},
        {"article_id": "biaya-penarikan", "title": "Biaya dan minimum penarikan", "answers": 1, "helpful": 0,
         "not_helpful": 1, "not_helpful_rate": 1.0}]


def test_empty_period_reports_zeros_and_no_rates() -> None:
    result = report([], Period(wib(5, 0), wib(7, 0)))
    totals = result["totals"]
    assert totals["conversations"] == 0 and totals["self_service"] == {"count": 0, "rate": None}
    assert totals["csat"]["average"] is None and totals["first_response"]["p50_minutes"] is None
    assert [row["day"] for row in result["by_day"]] == ["2026-12-05", "2026-12-06"]
    assert result["by_channel"] == [] and result["volume"] == [] and result["articles"] == []


def test_a_conversation_across_midnight_counts_on_its_first_day_in_wib() -> None:
    chat = Chat("tg-late").session(ts(1, 23, 50)).user(ts(1, 23, 50, 1), "cara deposit rupiah")
    chat.answer(ts(2, 0, 10), "deposit-rupiah")           # answered after midnight
    early = Chat("tg-early").session(ts(2, 0, 30)).user(ts(2, 0, 30, 1), "halo", "greet")   # 17:30 UTC on the 1st
    events = chat.events + early.events
    both = report(events, WEEK)
    assert [(row["day"], row["conversations"]) for row in both["by_day"]] == [("2026-12-01", 1), ("2026-12-02", 1)]
    assert both["by_day"][0]["knowledge_answered"]["count"] == 1
    second_day = report(events, Period(wib(2, 0), wib(3, 0)))
    assert second_day["totals"]["conversations"] == 1 and second_day["totals"]["knowledge_answered"]["count"] == 0


@pytest.mark.parametrize("hours_later, self_served", [(23, False), (25, True)])
def test_a_ticket_within_24_hours_of_the_answer_is_not_self_service(hours_later: int, self_served: bool) -> None:
    chat = Chat("tg-back").session(ts(1, 10)).user(ts(1, 10, 0, 1), "cara deposit rupiah")
    chat.answer(ts(1, 10, 0, 2), "deposit-rupiah")
    conversation = conversations_from_events(chat.events)[0]
    later = ticket("CS-1", "tg-back", datetime.fromtimestamp(ts(1, 10, 0, 2), tz=WIB) + timedelta(hours=hours_later))
    times = ticket_times_by_customer([later, ticket("CS-2", "someone-else", wib(1, 11))])
    assert is_self_served(conversation, times) is self_served
    assert conversation_metrics([conversation], times)["self_service"]["count"] == int(self_served)


def test_a_ticket_before_the_conversation_does_not_count() -> None:
    chat = Chat("tg-old").session(ts(2, 10)).user(ts(2, 10, 0, 1), "cara deposit rupiah")
    chat.answer(ts(2, 10, 0, 2), "deposit-rupiah")
    conversation = conversations_from_events(chat.events)[0]
    assert not ticket_within_window(conversation, ticket_times_by_customer([ticket("CS-0", "tg-old", wib(1, 9))]))


def test_secrets_warnings_sent_during_a_handoff_are_added() -> None:
    warnings = [AgentSideWarning(wib(2, 15), "whatsapp")]
    result = report(sample_week(), WEEK, warnings=warnings)
    assert result["totals"]["secrets"]["warnings"] == 2 and result["totals"]["secrets"]["during_handoff"] == 1
    assert result["by_day"][1]["secrets"]["warnings"] == 2 and result["by_day"][0]["secrets"]["warnings"] == 0


# ---------------------------------------------------------------- tickets: FRT, resolution, SLA, CSAT

def handoff_week() -> List[TicketRecord]:
    return [
        ticket("T1", "c1", wib(1, 9), "high", "deposit_idr", first_reply_at=wib(1, 9, 30), resolved_at=wib(1, 10),
               survey_sent_at=wib(1, 10), rating=5),
        ticket("T2", "c2", wib(1, 9), "high", "deposit_idr", first_reply_at=wib(1, 14), resolved_at=wib(1, 15),
               survey_sent_at=wib(1, 15), rating=2),
        # created 30 min before closing: the SLA (1 h) and the reply both run into the next morning
        ticket("T3", "c3", wib(1, 21, 30), "urgent", "hacked_account", first_reply_at=wib(2, 8, 30),
               resolved_at=wib(2, 9), survey_sent_at=wib(2, 9)),
        ticket("T4", "c4", wib(2, 10), "normal", "other"),                               # not due yet
        ticket("T5", "c5", wib(1, 10), "urgent", "fraud"),                               # never answered
        ticket("T6", "c6", wib(1, 12), "normal", "other", state="left"),                 # went back to the bot
    ]


def test_first_response_in_operating_hours_against_the_sla() -> None:
    figures = ticket_metrics(handoff_week(), as_of=wib(2, 12), hours=HOURS)["first_response"]
    assert figures["answered"] == 3
    assert (figures["p50_minutes"], figures["p90_minutes"]) == (60.0, 252.0)   # 30, 60 (21:30→08:30), 300
    assert (figures["within_sla"], figures["breached"], figures["waiting"], figures["left"]) == (2, 2, 1, 1)
    assert figures["within_sla_rate"] == 0.5
    assert figures["by_priority"]["high"]["within_sla_rate"] == 0.5
    urgent = figures["by_priority"]["urgent"]
    assert urgent["target_minutes"] == 60.0 and urgent["breached"] == 1


def test_resolution_time_and_csat() -> None:
    figures = ticket_metrics(handoff_week(), as_of=wib(2, 12), hours=HOURS)
    assert figures["resolution"] == {"resolved": 3, "p50_minutes": 90.0, "p90_minutes": 306.0}   # 60, 90, 360
    assert figures["csat"] == {"surveys_sent": 3, "responses": 2, "response_rate": 0.6667, "average": 3.5,
                               "distribution": {"1": 0, "2": 1, "3": 0, "4": 0, "5": 1}}
    assert figures["by_priority"] == {"urgent": 2, "high": 2, "normal": 2}
    assert figures["by_category"]["deposit_idr"] == 2 and figures["by_category"]["withdrawal_idr"] == 0


def test_tickets_count_on_their_own_day_and_channel() -> None:
    tickets = handoff_week() + [ticket("T7", "c7", wib(2, 23, 30), channel="whatsapp")]
    result = report([], WEEK, tickets)
    assert [row["tickets"] for row in result["by_day"]] == [5, 2]
    assert {row["channel"]: row["tickets"] for row in result["by_channel"]} == {"telegram": 6, "whatsapp": 1}


def test_rates_and_percentiles() -> None:
    assert rate(1, 3) == 0.3333 and rate(0, 0) is None
    assert percentiles([10, 20, 30, 40]) == {"p50": 25.0, "p90": 37.0}
    assert percentiles([]) == {"p50": None, "p90": None}
    assert Period(wib(1, 0), wib(1, 0) + timedelta(days=2, seconds=1)).days()[-1].isoformat() == "2026-12-03"
    with pytest.raises(ValueError):
        Period(wib(2, 0), wib(1, 0))


# ---------------------------------------------------------------- the event store reader

def test_reading_the_event_store_gives_the_same_conversations(tmp_path) -> None:
    events = sample_week()
    engine = open_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    write_events(engine, events[: len(events) // 2])
    with engine.begin() as connection:   # another writer's spacing must not matter
        for event in events[len(events) // 2:]:
            connection.exec_driver_sql("INSERT INTO events (sender_id, data) VALUES (?, ?)",
                                       (event["sender_id"], json.dumps(event, separators=(",", ":"))))
    expected = conversations_from_events(events)
    url = f"sqlite:///{tmp_path / 'analytics.db'}"
    for workers in (1, 2):
        from bot.analytics.conversations import build_conversations

        assert build_conversations(read_signals(url, ts(1, 0), ts(3, 0), workers)) == expected
    assert build_conversations(read_signals(url, ts(2, 0), ts(3, 0))) == [
        c for c in expected if c.started_at >= ts(2, 0)]


def test_rows_without_a_signal_are_not_decoded() -> None:
    assert row_signal(json.dumps({"sender_id": "x", "event": "action", "timestamp": 5.0, "name": "action_listen"}),
                      0, 10) is None
    assert row_signal(json.dumps({"sender_id": "x", "event": "slot", "timestamp": 5.0, "name": "report_asset",
                                  "value": "kb_article"}), 0, 10) is None
    glad = json.dumps({"sender_id": "x", "event": "bot", "timestamp": 5.0, "text": wording.GLAD})
    assert row_signal(glad, 0, 10) is None
    clarify = json.dumps({"sender_id": "x", "event": "bot", "timestamp": 5.0, "text": wording.CLARIFY})
    assert row_signal(clarify, 0, 10).kind == CLARIFICATION and row_signal(clarify, 6, 10) is None


def test_the_period_is_found_by_bisection_on_store_order(tmp_path) -> None:
    engine = open_engine(f"sqlite:///{tmp_path / 'analytics.db'}")
    write_events(engine, [{"sender_id": "s", "event": "session_started", "timestamp": float(t)} for t in range(100)])
    assert first_id_from(engine, 0) == 1 and first_id_from(engine, 42.5) == 44 and first_id_from(engine, 1000) == 101
