"""The customer asks for a human agent: say when agents work, then collect the details for them."""
from __future__ import annotations

import asyncio
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_user_text
from actions.handoff import ticket_store
from actions.report_form import start_report
from actions.reporting.reading import read_problem
from bot import wording
from nlu.sentiment import detect_mood


def ticket_still_open(ticket_id: str) -> bool:
    """Whether the ticket the conversation was handed over with is still open (an agent may have closed it)."""
    ticket = ticket_store().get(ticket_id)
    return ticket is not None and ticket.status == "open"


class ActionRequestHuman(Action):
    """Explain how and when an agent helps, then start the report so the agent can act at once."""

    def name(self) -> Text:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        text = latest_user_text(tracker)
        existing = tracker.get_slot("handoff_ticket")
        if existing and await asyncio.to_thread(ticket_still_open, existing):
            dispatcher.utter_message(text=wording.HUMAN_EXISTING.format(ticket_id=existing))
            return []
        empathy = wording.EMPATHY.get(detect_mood(text))
        if empathy:
            dispatcher.utter_message(text=empathy)
        dispatcher.utter_message(text=wording.HUMAN_INTRO.format(hours=wording.agent_hours_text()))
        return start_report(read_problem(text))
