"""Deliver handoff messages: agents' words (and the survey) to the customer's channel, the customer's words
and the assistant's notes to the agent desks.

Runs as a task in the Rasa server's event loop, where the channels' clients live (Telegram bot, WhatsApp
Graph client, socket.io server). Same guarantees as ticket notifications: leased rows, backoff, never
deleted, a sent row never sent again; a message the customer's platform can never take (WhatsApp's window
closed, no template) is given up on and the agent is told why.
"""
from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import List, Mapping

from bot import wording
from bot.desks.base import Desk
from bot.handoff.customers import CustomerSenders
from bot.handoff.model import CUSTOMER_TARGET, TO_AGENT, Outgoing
from bot.handoff.service import HandoffService, utc_now
from bot.handoff.store import first_in_line
from bot.text_limits import clip
from bot.tickets.delivery import OutboxWorker
from bot.tickets.notifiers import DeliveryError, Undeliverable
from bot.tickets.outbox import Claim, Outbox, RetryPolicy

logger = logging.getLogger(__name__)

# Customers wait on these: start retrying sooner than for agent notifications.
CUSTOMER_RETRY = RetryPolicy(first_delay=timedelta(seconds=2), max_delay=timedelta(minutes=5))


class HandoffWorker(OutboxWorker):
    """Empties the handoff outbox through the customers' channels and the desks."""

    kind = "handoff message"

    def __init__(self, service: HandoffService, customers: CustomerSenders, desks: Mapping[str, Desk],
                 retry: RetryPolicy = CUSTOMER_RETRY) -> None:
        super().__init__(service.tickets, {}, retry=retry, lease=timedelta(seconds=60))
        self.service = service
        self.customers = customers
        self.desks = dict(desks)

    @property
    def outbox(self) -> Outbox:
        return self.service.store.outbox

    def targets(self) -> List[str]:
        return [CUSTOMER_TARGET, *self.desks]

    def claim(self, now: datetime) -> List[Claim]:
        return self.outbox.claim_due(self.targets(), now, self.lease, limit=self.batch_size, where=first_in_line())

    async def send(self, claim: Claim) -> None:
        store = self.service.store
        message = await asyncio.to_thread(store.message, int(claim.subject))
        handoff = await asyncio.to_thread(store.get, message.ticket_id) if message else None
        if message is None or handoff is None:
            raise Undeliverable(f"message {claim.subject} has no handoff")
        if claim.target == CUSTOMER_TARGET:
            await self.customers.send(handoff, message)
            return
        ticket = await asyncio.to_thread(self.service.tickets.get, message.ticket_id)
        if ticket is None:
            raise Undeliverable(f"ticket {message.ticket_id} not found")
        await self.desks[claim.target].deliver(ticket, handoff, message)

    async def on_undeliverable(self, claim: Claim, error: Undeliverable) -> None:
        """Tell the agents that a message did not reach the customer, and why."""
        if claim.target != CUSTOMER_TARGET:
            return
        store = self.service.store
        message = await asyncio.to_thread(store.message, int(claim.subject))
        if message is None:
            return
        handoff = await asyncio.to_thread(store.get, message.ticket_id)
        note = wording.NOTE_UNDELIVERABLE.format(ticket_id=message.ticket_id, reason=str(error),
                                              text=clip(message.text, 300))
        targets = self.service.desk_targets(handoff) if handoff else self.service.desk_names
        await asyncio.to_thread(self._post_note, message.ticket_id, note, targets)

    def _post_note(self, ticket_id: str, note: str, targets: List[str]) -> None:
        with self.service.store.database.writer.begin() as connection:
            self.service.store.add_messages(connection, ticket_id, TO_AGENT, [Outgoing(note)], targets, utc_now())
        self.service.store.on_change()


__all__ = ["HandoffWorker", "CUSTOMER_RETRY", "DeliveryError"]
