"""Greet the customer, by first name when the channel knows it (Telegram, WhatsApp)."""
from __future__ import annotations

import random
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import customer_name
from bot import wording


class ActionGreet(Action):
    """A warm greeting; personalised with the name from the channel's metadata."""

    def name(self) -> Text:
        return "action_greet"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        name = customer_name(tracker.events)
        if not name:
            dispatcher.utter_message(response="utter_greet")
            return []
        dispatcher.utter_message(text=random.choice(wording.GREETINGS_BY_NAME).format(name=name))
        return [SlotSet("customer_name", name)]
