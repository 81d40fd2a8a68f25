"""Handle "yes"/"no", mostly as the answer to "did this article help?" (a "no" starts a report)."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_intent, previous_bot_action, previous_user_text
from actions.report_form import start_report
from bot import wording

# The kind of problem a customer most likely has when an article did not help.
ARTICLE_PROBLEMS = {
    "penarikan-gagal": "withdrawal", "penarikan-kripto-pending": "withdrawal", "penarikan-kripto": "withdrawal",
    "penarikan-rupiah": "withdrawal", "batas-penarikan": "withdrawal", "biaya-penarikan": "withdrawal",
    "deposit-rupiah-belum-masuk": "deposit", "deposit-kripto-belum-masuk": "deposit", "deposit-kripto": "deposit",
    "deposit-rupiah": "deposit", "salah-jaringan": "deposit", "memo-tag": "deposit",
    "akun-diretas": "hacked_account", "penipuan": "fraud",
}

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
            dispatcher.utter_message(text=wording.ACK_YES if affirmed else wording.ACK_NO)
            return []
        if affirmed:
            dispatcher.utter_message(text=wording.GLAD)
            return [SlotSet("kb_helpful", True)]
        dispatcher.utter_message(text=wording.NOT_HELPFUL_REPORT)
        problem = ARTICLE_PROBLEMS.get(article_id, "other")
        return [SlotSet("kb_helpful", False)] + start_report(problem, previous_user_text(tracker))
