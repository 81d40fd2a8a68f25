"""Handle "yes"/"no", mostly as the answer to "did this article help?"."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import copy
from actions.conversation import latest_intent, previous_bot_action
from actions.responses import article_buttons
from actions.retrieval import retriever

ANSWERING_ACTIONS = {"action_kb_answer", "action_report_problem"}


class ActionHandleFeedback(Action):
    """Thank on "helpful"; on "not helpful" offer related articles and an agent."""

    def name(self) -> Text:
        return "action_handle_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        affirmed = latest_intent(tracker) == "affirm"
        article_id = tracker.get_slot("kb_article")
        if previous_bot_action(tracker) not in ANSWERING_ACTIONS or not article_id:
            dispatcher.utter_message(text=copy.ACK_YES if affirmed else copy.ACK_NO)
            return []
        if affirmed:
            dispatcher.utter_message(text=copy.GLAD)
            return [SlotSet("kb_helpful", True)]
        kb = retriever()
        article = kb.articles.get(article_id)
        related = [kb.articles[r] for r in (article.related if article else ()) if r in kb.articles][:3]
        dispatcher.utter_message(text=copy.SORRY_NOT_HELPFUL, buttons=article_buttons(related))
        return [SlotSet("kb_helpful", False)]
