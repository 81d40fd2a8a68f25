"""A ticket with its handoff on the parametrised database, and the service that changes it."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterator, List

import pytest

from bot.handoff.model import Agent, ThreadMessage
from bot.handoff.service import HandoffService
from bot.handoff.store import HandoffStore
from bot.tickets import TicketStore
from bot.tickets.model import WIB
from tests.tickets.drafts import make_draft

# A Monday in operating hours (08-22 WIB by default).
OPENED = datetime(2026, 11, 23, 10, 0, tzinfo=WIB)
RINA = Agent("telegram_agen", "501", "Rina")
DODI = Agent("telegram_agen", "502", "Dodi Saputra")
DESKS = ["telegram_agen", "chatwoot"]


@dataclass
class Desk:
    """A ticket, its customer, and the service, at ``OPENED``."""

    service: HandoffService
    ticket_id: str
    customer_id: str

    @property
    def store(self) -> HandoffStore:
        return self.service.store

    def at(self, minutes: float) -> datetime:
        return OPENED + timedelta(minutes=minutes)

    def thread(self) -> List[ThreadMessage]:
        return self.store.thread(self.ticket_id)

    def to_customer(self) -> List[str]:
        return [m.text for m in self.thread() if m.direction == "to_customer"]

    def to_agents(self) -> List[str]:
        return [m.text for m in self.thread() if m.direction == "to_agent"]


def make_desk(tickets: TicketStore, customer_id: str = "tg-88123", channel: str = "telegram") -> Desk:
    service = HandoffService(HandoffStore(tickets.database), tickets, DESKS)
    ticket = tickets.create(make_draft(customer_id=customer_id, channel=channel), DESKS, now=OPENED)
    return Desk(service, ticket.id, customer_id)


@pytest.fixture
def desk(store: TicketStore) -> Iterator[Desk]:
    """On SQLite and on PostgreSQL."""
    yield make_desk(store)


@pytest.fixture
def sqlite_desk(sqlite_store: TicketStore) -> Iterator[Desk]:
    yield make_desk(sqlite_store)
