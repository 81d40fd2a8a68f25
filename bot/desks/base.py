"""What every agent desk implements (see :mod:`bot.desks`)."""
from __future__ import annotations

from typing import Any, Optional, Protocol, Tuple

from bot.handoff.model import Handoff, ThreadMessage
from bot.tickets.model import Ticket


class Desk(Protocol):
    """A two-way agent desk."""

    name: str

    async def send(self, ticket: Ticket, idempotency_key: str) -> None:
        """Announce a new ticket (called by the ticket outbox; raise ``DeliveryError`` to retry later).
        Record the desk's own ids for the ticket with ``HandoffStore.link`` so later updates find it."""

    async def deliver(self, ticket: Ticket, handoff: Handoff, message: ThreadMessage) -> None:
        """Show a message of the ticket's thread to the agents: the customer's words
        (``message.from_customer``) or a note from the assistant (``author == "system"``).
        Raise ``DeliveryError`` to retry later."""

    async def start(self) -> None:
        """Begin receiving the agents' actions (e.g. long polling); never raises."""

    async def stop(self) -> None:
        """Stop receiving; release connections."""

    async def handle_webhook(self, body: bytes, headers: Any) -> Tuple[int, Optional[dict]]:
        """An HTTP request to ``/webhooks/desks/<name>``: (status, JSON body). Desks without webhooks
        answer 404."""

    def health(self) -> dict:
        """``{"status": "ok" | "degraded" | "disabled", ...}`` for the health endpoint."""
