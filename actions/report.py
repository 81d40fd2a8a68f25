"""First response to a withdrawal or deposit problem: empathy, the matching guide, then the report form."""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.conversation import latest_entities, latest_intent, latest_user_text
from actions.kb_answer import URGENT_ARTICLES, answer_retrieved, answer_with_article
from actions.report_form import start_report
from actions.reporting.reading import RUPIAH_WORDS
from actions.retrieval import retriever, search
from actions.routing import PROBLEM_ARTICLES_BY_INTENT, answers_another_topic
from bot import wording
from bot.incidents.hook import notices_first
from nlu.sentiment import Mood, detect_mood

REPORTED_PROBLEMS = {"report_deposit_problem": "deposit", "report_withdrawal_problem": "withdrawal"}
_CRYPTO_WORDS = re.compile(r"\b(kripto|crypto|koin|coin|txid|hash|jaringan|network|wallet|dompet|konfirmasi"
                           r"|blockchain)\b")


def asset_kind(tracker: Tracker) -> Optional[str]:
    """``"crypto"``, ``"idr"`` or None, from the entities and the (normalised) words of the last message."""
    crypto = any(latest_entities(tracker, e) for e in ("coin", "network", "txid", "wallet_address"))
    amounts = latest_entities(tracker, "amount")
    crypto = crypto or any(not a.endswith("IDR") and " " in a for a in amounts)
    idr = bool(latest_entities(tracker, "bank")) or any(a.endswith("IDR") for a in amounts)
    text = (tracker.latest_message.get("text") or "").lower()
    crypto = crypto or bool(_CRYPTO_WORDS.search(text))
    idr = idr or bool(RUPIAH_WORDS.search(text))
    if crypto != idr:
        return "crypto" if crypto else "idr"
    return None


class ActionReportProblem(Action):
    """Acknowledge a reported deposit/withdrawal problem and give the matching guide."""

    def name(self) -> Text:
        return "action_report_problem"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: Dict[Text, Any]) -> List[EventType]:
        kb = retriever()
        text = latest_user_text(tracker)
        ranked = await search(text, top_k=len(kb.articles), kb=kb)
        mood = detect_mood(text)
        if mood is not Mood.URGENT and answers_another_topic(kb, ranked):
            # The classifier heard "deposit"/"wd", but the message is about another article
            # ("cara deposit rupiah", "salah pilih network"): answer it from this ranking, no report.
            await notices_first(dispatcher, tracker)
            return answer_retrieved(dispatcher, tracker, kb.articles[ranked[0].article_id], text,
                                    wording.EMPATHY.get(mood))
        await notices_first(dispatcher, tracker)   # an ongoing outage explains it before the report starts
        intent = latest_intent(tracker) or "report_withdrawal_problem"
        idr_article, crypto_article = PROBLEM_ARTICLES_BY_INTENT.get(
            intent, PROBLEM_ARTICLES_BY_INTENT["report_withdrawal_problem"])
        problem = REPORTED_PROBLEMS.get(intent, "withdrawal")
        if (mood is Mood.URGENT and kb.is_confident(ranked)
                and ranked[0].article_id not in (idr_article, crypto_article)):
            # "akun dibobol, saldo hilang" reads like a missing deposit but is an account takeover.
            article_id = ranked[0].article_id
            events = answer_with_article(dispatcher, tracker, kb.articles[article_id], intro=wording.EMPATHY[mood],
                                         follow_up=wording.REPORT_COLLECT, buttons=[])
            return events + start_report(URGENT_ARTICLES.get(article_id, problem), text)
        kind = asset_kind(tracker)
        if kind is None:
            order = [h.article_id for h in ranked]
            article_id = min((idr_article, crypto_article), key=lambda a: order.index(a) if a in order else 999)
        else:
            article_id = crypto_article if kind == "crypto" else idr_article
        intro = wording.EMPATHY[mood] if mood is Mood.URGENT else wording.REPORT_EMPATHY
        events = answer_with_article(dispatcher, tracker, kb.articles[article_id], intro=intro,
                                     follow_up=wording.REPORT_COLLECT, buttons=[])
        return events + start_report(problem, text)
