""""minta data saya" / "hapus data saya": open a ``privasi`` ticket and explain the process honestly.

The assistant itself never exports or erases anything: an agent verifies the customer's identity first
(see :mod:`actions.privacy_ticket` for the ticket and the copy). A question about the process gets the privacy
article and an offer; the customer's "yes" (rule: this action, then ``affirm``) opens the request.
"""
from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_intent, latest_user_text
from actions.handoff import conversation_facts, expectation, notifier_names, outbox_worker, ticket_store
from actions.kb_answer import answer_with_article
from actions.privacy_ticket import (
    ACCESS,
    PRIVACY_ARTICLE,
    PrivacyKind,
    build_privacy_draft,
    customer_replies,
    empathy,
    kind_for_intent,
    offer_buttons,
    offer_first,
)
from actions.retrieval import retriever
from bot import wording
from bot.handoff.service import when_text
from bot.tickets.sla import privacy_deadline
from nlu.sentiment import detect_mood

OFFER_SLOT = "privacy_offer"   # the intent of the request offered after a question, until answered


async def open_request(dispatcher: CollectingDispatcher, tracker: Tracker, kind: PrivacyKind) -> List[EventType]:
    """Store the request as a ticket for an agent, then tell the customer what happens and by when."""
    now = datetime.now(timezone.utc)
    draft = build_privacy_draft(kind, conversation_facts(tracker), now)
    store, worker = ticket_store(), outbox_worker()
    ticket = await asyncio.to_thread(store.create, draft, notifier_names(), now)
    worker.wake()
    first = empathy(detect_mood(latest_user_text(tracker)))
    if first:
        dispatcher.utter_message(text=first)
    deadline = when_text(privacy_deadline(ticket.created_at), now)
    for text in customer_replies(kind, ticket.id, deadline, expectation(ticket, now)):
        dispatcher.utter_message(text=text)
    return [SlotSet(OFFER_SLOT, None), SlotSet("handoff_ticket", ticket.id)]


def offer_request(dispatcher: CollectingDispatcher, tracker: Tracker, kind: PrivacyKind) -> List[EventType]:
    """Explain with the privacy article, then ask whether to open the request now."""
    article = retriever().articles.get(PRIVACY_ARTICLE)
    if article is None:   # the article was removed from the live knowledge base
        dispatcher.utter_message(text=kind.offer, buttons=offer_buttons())
        events: List[EventType] = []
    else:
        events = answer_with_article(dispatcher, tracker, article, follow_up=kind.offer, buttons=offer_buttons())
    return events + [SlotSet(OFFER_SLOT, kind.intent)]


class ActionPrivacyRequest(Action):
    """A request opens a ticket; a question about it gets the article and an offer; "yes" to the offer opens it."""

    def name(self) -> Text:
        return "action_privacy_request"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        intent = latest_intent(tracker)
        if intent == "affirm":
            offered = kind_for_intent(tracker.get_slot(OFFER_SLOT))
            if offered is None:
                dispatcher.utter_message(text=wording.ACK_YES)
                return []
            return await open_request(dispatcher, tracker, offered)
        kind = kind_for_intent(intent) or ACCESS   # only the two request intents reach here
        if offer_first(latest_user_text(tracker)):
            return offer_request(dispatcher, tracker, kind)
        return await open_request(dispatcher, tracker, kind)
