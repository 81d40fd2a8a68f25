"""The customer asks for a human agent."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from nlu.sentiment import detect_mood

from actions import copy
from actions.conversation import latest_user_text


class ActionRequestHuman(Action):
    """Explain how and when an agent helps, and what to send so they can act at once."""

    def name(self) -> Text:
        return "action_request_human"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        empathy = copy.EMPATHY.get(detect_mood(latest_user_text(tracker)))
        if empathy:
            dispatcher.utter_message(text=empathy)
        dispatcher.utter_message(text=copy.HUMAN_INTRO)
        dispatcher.utter_message(text=copy.HUMAN_DETAILS)
        return []
