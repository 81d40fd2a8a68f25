"""Notices for customers: the default text an operator publishes, how a notice reads in the chat, and which
notices a message should be answered with first (once per conversation per notice)."""
from __future__ import annotations

from datetime import datetime
from typing import List, Sequence

from bot import wording
from bot.incidents.store import IncidentStore
from bot.incidents.topics import split_topic, topic_name


def default_notice_text(topic: str) -> str:
    """The polite default notice for a topic (``--message`` omitted)."""
    kind, _ = split_topic(topic)
    return wording.INCIDENT_NOTICE_TEMPLATES[kind].format(name=topic_name(topic))


def customer_message(notice_text: str) -> str:
    """The notice as the customer reads it: empathy first (unless the operator wrote an apology already), the
    notice, and that a report can still be filed."""
    text = " ".join(notice_text.split())
    apologised = text.lower().startswith(("mohon maaf", "maaf"))
    return " ".join(([] if apologised else [wording.INCIDENT_EMPATHY]) + [text, wording.INCIDENT_CONTINUE])


def notices_for(store: IncidentStore, topics: Sequence[str], sender_id: str, now: datetime) -> List[str]:
    """The messages of the active notices about ``topics`` this conversation has not seen yet (marked seen)."""
    return [customer_message(notice.text) for notice in store.active_notices(topics, now)
            if store.mark_shown(notice.id, sender_id, now)]
