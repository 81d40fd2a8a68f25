"""Answer knowledge questions from the knowledge base, or ask which article the customer means."""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.buttons import article_buttons, article_text, feedback_buttons
from actions.conversation import latest_entities, latest_input_kind, latest_intent, latest_user_text
from actions.report_form import start_report
from actions.retrieval import retriever, search
from bot import wording
from bot.incidents.hook import notices_first
from kb.articles import Article
from nlu.input_checks import InputKind
from nlu.sentiment import detect_mood

# Articles about emergencies: after the guidance the report form starts right away.
URGENT_ARTICLES = {"akun-diretas": "hacked_account", "penipuan": "fraud"}


def answer_with_article(dispatcher: CollectingDispatcher, tracker: Tracker, article: Article,
                        intro: Optional[str] = None, follow_up: str = wording.ASK_HELPFUL,
                        buttons: Optional[List[Dict[str, str]]] = None) -> List[EventType]:
    """Send an article (title + steps), then a follow-up question with buttons (by default
    "did this help?"; ``[]`` for none), and remember which article was shown."""
    if intro:
        dispatcher.utter_message(text=intro)
    dispatcher.utter_message(text=article_text(article))
    dispatcher.utter_message(text=follow_up, buttons=feedback_buttons() if buttons is None else buttons)
    shown = list(tracker.get_slot("kb_shown") or [])
    if article.id not in shown:
        shown.append(article.id)
    return [SlotSet("kb_article", article.id), SlotSet("kb_shown", shown)]


def answer_retrieved(dispatcher: CollectingDispatcher, tracker: Tracker, article: Article, text: str,
                     intro: Optional[str]) -> List[EventType]:
    """Answer the article retrieval is confident about; an emergency article (hacked account, fraud) then
    starts collecting the details for an agent at once."""
    if article.id in URGENT_ARTICLES:
        events = answer_with_article(dispatcher, tracker, article, intro=intro, follow_up=wording.REPORT_COLLECT,
                                     buttons=[])
        return events + start_report(URGENT_ARTICLES[article.id], text)
    return answer_with_article(dispatcher, tracker, article, intro=intro)


class ActionKbAnswer(Action):
    """Retrieve the best article for the customer's message and answer with it."""

    def name(self) -> Text:
        return "action_kb_answer"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        kb = retriever()
        chosen = latest_entities(tracker, "article_id")
        if latest_intent(tracker) == "choose_article" and chosen and chosen[0] in kb.articles:
            return answer_with_article(dispatcher, tracker, kb.articles[chosen[0]])
        await notices_first(dispatcher, tracker)   # an ongoing outage of the bank/network/coin asked about

        text = latest_user_text(tracker)
        kind = latest_input_kind(tracker)
        if kind in (InputKind.EMPTY, InputKind.SYMBOLS):
            dispatcher.utter_message(text=wording.EMPTY)
            return [SlotSet("kb_article", None)]
        if kind is InputKind.JUNK:
            dispatcher.utter_message(text=wording.JUNK)
            return [SlotSet("kb_article", None)]

        if kind is InputKind.FOREIGN:
            # The embedding model is multilingual; the lexical signal only knows the articles' language.
            hits = await search(text, top_k=3, kb=kb, mode="dense")
            if kb.leads_clearly(hits):
                return answer_with_article(dispatcher, tracker, kb.articles[hits[0].article_id],
                                           intro=wording.FOREIGN_NOTE)
            dispatcher.utter_message(text=wording.FOREIGN, buttons=article_buttons(
                kb.articles[h.article_id] for h in hits))
            return [SlotSet("kb_article", None)]
        hits = await search(text, top_k=3, kb=kb)

        mood = detect_mood(text)
        intro = wording.EMPATHY.get(mood)
        if kb.is_confident(hits):
            return answer_retrieved(dispatcher, tracker, kb.articles[hits[0].article_id], text, intro)
        if kb.worth_suggesting(hits):
            if intro:
                dispatcher.utter_message(text=intro)
            dispatcher.utter_message(text=wording.CLARIFY,
                                     buttons=article_buttons(kb.articles[h.article_id] for h in hits))
            return [SlotSet("kb_article", None)]
        dispatcher.utter_message(text=intro + " " + wording.UNCLEAR if intro else wording.UNCLEAR)
        return [SlotSet("kb_article", None)]
