"""Finish a problem report: create the ticket, notify agents, tell the customer what happens next."""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import customer_name, latest_user_event
from actions.reporting import details as d
from actions.reporting.state import BOOKKEEPING_SLOTS, ReportState
from actions.reporting.ticket_draft import Conversation, build_draft
from bot import wording
from bot.desks.config import declared_desk_names, load_desks
from bot.handoff.service import HandoffService, when_text
from bot.handoff.store import HandoffStore
from bot.incidents.hook import observe_report
from bot.tickets import (
    OutboxWorker,
    Ticket,
    TicketStore,
    TranscriptLine,
    declared_notifier_names,
    load_notifiers,
    open_store,
    within_operating_hours,
)
from nlu.secrets import redact
from nlu.sentiment import detect_mood

logger = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def ticket_store() -> TicketStore:
    """The ticket store configured by ``TICKETS_DB_URL`` (SQLite under var/ by default)."""
    return open_store()


@lru_cache(maxsize=1)
def handoff_service() -> HandoffService:
    """Handoff operations on the same ticket database (the desks record their ids for new tickets)."""
    store = ticket_store()
    return HandoffService(HandoffStore(store.database), store, declared_desk_names())


@lru_cache(maxsize=1)
def outbox_worker() -> OutboxWorker:
    """The background worker announcing new tickets to notifiers and agent desks (started once per process)."""
    worker = OutboxWorker(ticket_store(), {**load_notifiers(), **load_desks(handoff_service())})
    worker.start()
    return worker


@lru_cache(maxsize=1)
def notifier_names() -> List[str]:
    """Every notifier and desk in the configuration, configured or not: an unconfigured one keeps its
    announcements waiting in the outbox instead of losing them."""
    return list(dict.fromkeys(declared_notifier_names() + declared_desk_names()))


def session_events(tracker: Tracker) -> List[Dict[str, Any]]:
    """Events of the current conversation session."""
    events = list(tracker.events)
    starts = [i for i, e in enumerate(events) if e.get("event") == "action" and e.get("name") == "action_session_start"]
    return events[starts[-1]:] if starts else events


def transcript(events: List[Dict[str, Any]]) -> List[TranscriptLine]:
    """Customer and assistant messages, secrets redacted."""
    lines = []
    for event in events:
        kind, text = event.get("event"), event.get("text")
        if kind not in ("user", "bot") or not text:
            continue
        at = datetime.fromtimestamp(float(event.get("timestamp") or 0), tz=timezone.utc)
        lines.append(TranscriptLine(at, "customer" if kind == "user" else "assistant", redact(text)[0]))
    return lines


def conversation_facts(tracker: Tracker) -> Conversation:
    """Everything about the chat that goes into the ticket besides the report itself."""
    events = session_events(tracker)
    lines = transcript(events)
    message_id = (latest_user_event(tracker) or {}).get("message_id") or ""
    return Conversation(
        customer_id=tracker.sender_id, customer_name=customer_name(events),
        channel=tracker.get_latest_input_channel() or "unknown",
        kb_articles=list(tracker.get_slot("kb_shown") or []),
        moods=[detect_mood(line.text) for line in lines if line.speaker == "customer"],
        transcript=lines, dedupe_key=f"{tracker.sender_id}:{message_id}" if message_id else None)


def expectation(ticket: Ticket, now: datetime) -> str:
    """An honest promise: when an agent replies, and what happens outside operating hours."""
    due = when_text(ticket.sla_due_at, now)
    if within_operating_hours(now):
        return wording.TICKET_IN_HOURS.format(due=due)
    return wording.TICKET_OUT_OF_HOURS.format(hours=wording.agent_hours_text(), due=due)


def reset_report_events() -> List[EventType]:
    """Clear every report slot so the next report starts fresh (``handoff_ticket`` is kept)."""
    return [SlotSet(slot, None) for slot in d.FORM_SLOTS + BOOKKEEPING_SLOTS] + [SlotSet("requested_slot", None)]


class ActionFinishReport(Action):
    """After the form: create the ticket (or confirm the cancellation) and reset the report."""

    def name(self) -> Text:
        return "action_finish_report"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        state = ReportState.from_slots(tracker.slots)
        if state.outcome != "confirmed":
            dispatcher.utter_message(text=wording.REPORT_CANCELLED)
            return reset_report_events()
        draft = build_draft(state, conversation_facts(tracker))
        store, worker = ticket_store(), outbox_worker()
        ticket = await asyncio.get_running_loop().run_in_executor(
            None, lambda: store.create(draft, notifier_names()))
        worker.wake()
        await observe_report(ticket)   # its bank/network/coin counts towards spike detection
        now = datetime.now(timezone.utc)
        dispatcher.utter_message(text=wording.TICKET_CREATED.format(ticket_id=ticket.id))
        dispatcher.utter_message(text=expectation(ticket, now))
        if state.problem == "hacked_account":
            dispatcher.utter_message(text=wording.TICKET_HACKED_ADVICE)
        return reset_report_events() + [SlotSet("handoff_ticket", ticket.id)]
