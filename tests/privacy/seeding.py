"""Customers' data in every store, written through the stores' own APIs: Rasa's SQL tracker store publishing
to the analytics store through the project's SQL event broker, the ticket store and handoff service, the
channel state (file and ticket database), incidents.

Times are chosen around :data:`NOW` so a retention purge with ``--now`` has something on both sides of
every cutoff.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, Event, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy.engine import make_url

from bot import wording
from bot.analytics.broker import SQLEventBroker
from bot.channels.state import ChannelStateStore
from bot.handoff.model import CUSTOMER_TARGET, TO_CUSTOMER, Agent, Outgoing
from bot.handoff.service import HandoffService
from bot.handoff.store import IS_ACTIVE, HandoffStore
from bot.incidents.model import Observation
from bot.incidents.store import IncidentStore
from bot.tickets.database import Database
from bot.tickets.model import TranscriptLine
from bot.tickets.store import TicketStore
from tests.tickets.drafts import make_draft

NOW = datetime(2027, 6, 1, 3, 0, tzinfo=timezone.utc)   # a Tuesday, 10:00 WIB (operating hours)
NOW_ISO = NOW.isoformat()
DESKS = ["telegram_agen"]
RINA = Agent("telegram_agen", "501", "Rina")
DOMAIN = Domain.from_dict({
    "intents": ["greet", "ask_knowledge", "report_problem", "affirm"],
    "slots": {name: {"type": kind, "influence_conversation": False, "mappings": [{"type": "custom"}]}
              for name, kind in (("kb_article", "text"), ("kb_helpful", "bool"), ("handoff_ticket", "text"),
                                 ("bank_account", "text"))},
})
ARTICLE = "withdraw-crypto-pending"
SECRET_WARNING_TEXT = wording.SECRET_WARNING.format(what="frasa pemulihan (seed phrase)")


def ago(days: float, minutes: float = 0) -> datetime:
    """``days`` (and ``minutes``) before :data:`NOW`."""
    return NOW - timedelta(days=days, minutes=minutes)


@dataclass
class Stores:
    """Where one test's stores are (``tracker_url`` and ``analytics_url`` are different databases or schemas)."""

    tickets_url: str
    tracker_url: str
    analytics_url: str
    channel_state_file: Path

    def cli_options(self) -> List[str]:
        return ["--tickets-db", self.tickets_url, "--tracker-db", self.tracker_url,
                "--analytics-db", self.analytics_url, "--channel-state-db", str(self.channel_state_file)]


def rasa_store_options(url: str) -> Dict[str, Any]:
    """Keyword arguments of Rasa's ``SQLTrackerStore`` (and SQL event broker) for a database URL."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return {"dialect": "sqlite", "db": parsed.database}
    return {"dialect": "postgresql", "host": parsed.host, "port": parsed.port or 5432, "db": parsed.database,
            "username": parsed.username, "password": parsed.password, "query": dict(parsed.query)}


def tracker_store(stores: Stores, with_broker: bool = True) -> SQLTrackerStore:
    """Rasa's SQL tracker store on ``stores.tracker_url``, publishing to the analytics store like the
    assistant's embedded profile (bot.analytics.broker.SQLEventBroker)."""
    broker = None
    if with_broker:
        parsed = make_url(stores.analytics_url)
        broker = SQLEventBroker(dialect="sqlite", db=parsed.database) if parsed.get_backend_name() == "sqlite" \
            else SQLEventBroker(dialect="postgresql", host=parsed.render_as_string(hide_password=False))
    return SQLTrackerStore(domain=DOMAIN, event_broker=broker, **rasa_store_options(stores.tracker_url))


def conversation(at: datetime, words: str, intent: str = "ask_knowledge", channel: str = "telegram",
                 reply: str = "Baik Kak, ini jawabannya.", extra: Iterable[Event] = ()) -> List[Event]:
    """One Rasa session: session start, the customer's message, the assistant's reply, more events."""
    stamp = at.timestamp()
    events: List[Event] = [
        ActionExecuted("action_session_start", timestamp=stamp), SessionStarted(timestamp=stamp),
        ActionExecuted("action_listen", timestamp=stamp),
        UserUttered(words, intent={"name": intent, "confidence": 0.93}, timestamp=stamp + 1, input_channel=channel,
                    metadata={}),
        BotUttered(reply, timestamp=stamp + 2),
    ]
    events += list(extra)
    events.append(ActionExecuted("action_listen", timestamp=stamp + 5))
    return events


async def save_conversations(store: SQLTrackerStore, sender_id: str, sessions: Iterable[List[Event]]) -> None:
    """Store sessions one after another as Rasa does: read the conversation (its latest session), add the
    new events, save (which also publishes the new events to the event broker)."""
    for events in sessions:
        tracker = await store.retrieve(sender_id) or DialogueStateTracker(sender_id, DOMAIN.slots)
        for event in events:
            tracker.update(event)
        await store.save(tracker)


def save(stores: Stores, sender_id: str, sessions: Iterable[List[Event]]) -> None:
    store = tracker_store(stores)
    try:
        asyncio.run(save_conversations(store, sender_id, sessions))
    finally:
        store.engine.dispose()
        if store.event_broker is not None:
            store.event_broker.engine.dispose()  # type: ignore[attr-defined]


def services(database: Database) -> HandoffService:
    return HandoffService(HandoffStore(database), TicketStore(database), DESKS)


def closed_ticket(service: HandoffService, customer_id: str, opened: datetime, words: str,
                  comment: Optional[str] = None, secret_warning: bool = False) -> str:
    """A ticket handled by Rina and resolved an hour later (the customer rated it 4, maybe with a comment;
    maybe pasted a seed phrase while Rina held it)."""
    draft = make_draft(customer_id=customer_id, customer_name=f"Pelanggan {words}", summary=f"Laporan: {words}",
                       transcript=(TranscriptLine(opened, "customer", words),))
    ticket = service.tickets.create(draft, DESKS, now=opened)
    handoff = service.store.get(ticket.id)
    service.forward(handoff, f"tambahan: {words}", now=opened + timedelta(minutes=5))
    service.claim(ticket.id, RINA, now=opened + timedelta(minutes=10))
    if secret_warning:
        warn_about_secret(service, ticket.id, opened + timedelta(minutes=12))
    service.reply(ticket.id, f"Baik, kami cek {words}", RINA, now=opened + timedelta(minutes=15))
    service.close(ticket.id, RINA, now=opened + timedelta(hours=1))
    resolved = service.store.get(ticket.id)
    service.rate(resolved, 4, now=opened + timedelta(hours=1, minutes=5))
    if comment is not None:
        service.comment(service.store.get(ticket.id), comment, now=opened + timedelta(hours=1, minutes=6))
    return ticket.id


def open_ticket(service: HandoffService, customer_id: str, opened: datetime, words: str) -> str:
    draft = make_draft(customer_id=customer_id, customer_name=f"Pelanggan {words}", summary=f"Laporan: {words}",
                       category="other", transcript=(TranscriptLine(opened, "customer", words),))
    return service.tickets.create(draft, DESKS, now=opened).id


def warn_about_secret(service: HandoffService, ticket_id: str, at: datetime) -> None:
    """The secrets warning to a customer whose conversation an agent holds (a thread message the report
    counts)."""
    service.store.transition(ticket_id, IS_ACTIVE, {"last_customer_at": at}, at, messages=[
        (TO_CUSTOMER, [Outgoing(SECRET_WARNING_TEXT)], [CUSTOMER_TARGET])])


def channel_state(stores: Stores, chat: str, channel: str, at: datetime, key: str) -> None:
    """A handled update and an issued button, in the SQLite file and in the ticket database."""
    for state in (ChannelStateStore.in_file(stores.channel_state_file), ChannelStateStore(stores.tickets_url)):
        try:
            state.remember(channel, key, at.timestamp())
            state.put_button(channel, chat, f"btn-{key}", "/affirm", at.timestamp())
        finally:
            state.close()


def observation(database: Database, customer_id: str, at: datetime, words: str, key: str) -> None:
    IncidentStore(database).record(Observation(topic="bank:BCA", sender_id=customer_id, at=at, intent="report_problem",
                                               example=words, message_key=key))
