"""Rasa side of the problem-report form: validation (rasa-sdk) and the questions for each detail.

The logic lives in ``actions.reporting`` (pure, tested without Rasa); these classes only translate
between tracker slots and that logic.
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.buttons import article_text
from actions.conversation import latest_intent, latest_rule_entities, latest_user_event, latest_user_text
from actions.reporting import details as d
from actions.reporting.asking import question
from actions.reporting.flow import handle_message
from actions.reporting.reading import MAX_TEXT
from actions.reporting.state import PROCESSED, ReportState
from actions.retrieval import retriever, search
from bot import wording
from bot.tickets import WIB
from bot.wording import secret_warning
from nlu.payloads import is_own_button_payload
from nlu.questions import is_question
from nlu.secrets import redact

FORM_NAME = "problem_report_form"


def now_wib() -> datetime:
    """The current time in Jakarta."""
    return datetime.now(WIB)


def changed_slot_events(before: ReportState, after: ReportState) -> List[EventType]:
    """SlotSet events for every slot whose value differs between two states."""
    old, new = before.to_slots(), after.to_slots()
    return [SlotSet(name, value) for name, value in new.items() if old.get(name) != value]


class ValidateProblemReportForm(FormValidationAction):
    """Reads every detail in each message, explains invalid values and chooses the next question."""

    def name(self) -> Text:
        return f"validate_{FORM_NAME}"

    async def get_extraction_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """Nothing to extract per slot: ``get_validation_events`` reads the whole message at once."""
        return []

    async def get_validation_events(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                    domain: DomainDict) -> List[EventType]:
        """Apply the customer's latest message to the report (once per message)."""
        message_id = (latest_user_event(tracker) or {}).get("message_id") or ""
        if message_id and message_id == tracker.get_slot(PROCESSED):
            return []  # coming back to the form after another action: nothing new to read
        before = ReportState.from_slots(tracker.slots)
        activation = (tracker.active_loop or {}).get("name") != FORM_NAME
        text = latest_user_text(tracker)
        turn = handle_message(before, text, now_wib(),
                              requested=None if activation else tracker.get_slot("requested_slot"),
                              activation=activation, intent=latest_intent(tracker),
                              entities=latest_rule_entities(tracker))
        if turn.not_understood and is_question(text) and await answer_side_question(dispatcher, text):
            return [SlotSet(PROCESSED, message_id or None)]   # a question, not a failed answer
        for text in secret_warning(turn.secret_kinds) if turn.secret_kinds else []:
            dispatcher.utter_message(text=text)
        for text in turn.replies:
            dispatcher.utter_message(text=text)
        return changed_slot_events(before, turn.state) + [SlotSet(PROCESSED, message_id or None)]

    async def required_slots(self, domain_slots: List[Text], dispatcher: CollectingDispatcher, tracker: Tracker,
                             domain: DomainDict) -> List[Text]:
        """The details this report still needs, then the confirmation; nothing once confirmed or cancelled."""
        state = ReportState.from_slots(tracker.slots)
        if state.outcome:
            return []
        return state.required() + [d.CONFIRMED]


async def answer_side_question(dispatcher: CollectingDispatcher, text: str) -> bool:
    """Answer a knowledge question asked in the middle of the form; False when no article fits."""
    kb = retriever()
    hits = await search(text, top_k=3, kb=kb)
    if not kb.is_confident(hits):
        return False
    dispatcher.utter_message(text=article_text(kb.articles[hits[0].article_id]))
    dispatcher.utter_message(text=wording.BACK_TO_REPORT)
    return True


class AskReportDetail(Action, ABC):
    """Asks for one detail, worded for the problem being reported (``action_ask_<slot>``)."""

    @property
    @abstractmethod
    def slot(self) -> str:
        """The slot this action asks for."""

    def name(self) -> Text:
        return f"action_ask_{self.slot}"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        asked = question(self.slot, ReportState.from_slots(tracker.slots))
        dispatcher.utter_message(text=asked.text, buttons=asked.buttons)
        return []


def _ask_action(slot: str) -> type:
    class_name = "Ask" + "".join(part.title() for part in slot.split("_"))
    return type(class_name, (AskReportDetail,), {"slot": slot, "__doc__": f"Asks for ``{slot}``."})


ASK_ACTIONS = [_ask_action(slot) for slot in d.FORM_SLOTS]


def report_started_events(problem: Optional[str], description: Optional[str]) -> List[EventType]:
    """Slots a trigger action sets before the form starts: a clean report with the problem type and the
    customer's own words (leftovers of an earlier report are cleared)."""
    state = ReportState()
    if problem:
        state.set(d.PROBLEM, problem, d.PROBLEM_NAMES[problem], "inferred", "dari percakapan")
    if description:
        state.set(d.DESCRIPTION, description, description, "valid")
    return [SlotSet(name, value) for name, value in state.to_slots().items()] + [SlotSet(PROCESSED, None)]


def start_report(problem: Optional[str], description: Optional[str] = None) -> List[EventType]:
    """Events that start the report form next, with what is already known.

    ``description`` is the customer's own words (button payloads are not kept as a description).
    """
    if description and (is_own_button_payload(description) or not description.strip()):
        description = None
    if description:
        description = redact(description)[0].strip()[:MAX_TEXT]
    return report_started_events(problem, description) + [FollowupAction(FORM_NAME)]
