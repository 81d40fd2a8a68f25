"""A customer's rights of access and erasure across every store (``python -m bot.privacy export|erase``).

The customer id is the Rasa sender id (``tg-12345``, ``wa-6281...``, ``rest-...``, a web chat session id):
the tracker store, tickets, handoffs, analytics and incidents key it as it is; the channels key Telegram and
WhatsApp buttons by the chat id inside it.

Erasure keeps what metrics need (ticket rows with category, status and times; analytics rows without
text; incidents' counts) under a fresh random pseudonym (``erased-<hex>``), the same in every store so
per-customer metrics still add up; it is neither derived from the customer id nor written anywhere else.
It deletes the conversation in the tracker store, the customer's buttons in the channel state and incident
observations, and cancels whatever was still waiting to be sent to or about the customer. Open tickets are
left as they are (an agent may still be talking with the customer): close them and run erase again. Running
it again erases nothing more (idempotent). The audit log keeps its record of the request.
"""
from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any, Dict

from bot.privacy import analytics, channel_state, incidents, tickets, tracker
from bot.privacy.audit import AuditLog
from bot.privacy.batches import checkpoint, with_secure_delete
from bot.privacy.locations import Locations, on_store
from bot.tickets.database import Database

PSEUDONYM_PREFIX = "erased-"
TICKETS_PER_BATCH = 200


def new_pseudonym() -> str:
    """A random stand-in for an erased customer id."""
    return PSEUDONYM_PREFIX + secrets.token_hex(8)


def export_customer(locations: Locations, database: Database, customer_id: str, now: datetime) -> Dict[str, Any]:
    """Everything held about the customer, per store (JSON-ready once datetimes are formatted)."""
    chat = channel_state.chat_of_customer(customer_id)
    return {
        "customer_id": customer_id,
        "exported_at": now.isoformat(),
        "tracker": on_store(locations.tracker_url, tracker.is_tracker_store, "tracker store",
                            lambda engine: {"events": tracker.export(engine, customer_id)}),
        "tickets": tickets.export(database, customer_id),
        "channel_state": {
            "chat": list(chat) if chat else None,
            "buttons": channel_state.export(database.reader, customer_id),
            "buttons_in_file": on_store(
                f"sqlite:///{locations.channel_state_file}",
                channel_state.present_in_file, "channel state file",
                lambda engine: {"buttons": channel_state.export(engine, customer_id)}),
        },
        "analytics": on_store(locations.analytics_url, analytics.is_analytics_store, "analytics store",
                              lambda engine: {"events": analytics.export(engine, customer_id)}),
        "incidents": incidents.export(database, customer_id),
        "audit_log": [{"at": entry.at, "desk": entry.desk, "action": entry.action, "outcome": entry.outcome,
                       "ticket_id": entry.ticket_id}   # who looked at the data, without the agents' own ids
                      for entry in AuditLog(database).entries(customer_id=customer_id)],
    }


def erase_customer(locations: Locations, database: Database, customer_id: str, now: datetime,
                   batch_size: int) -> Dict[str, Any]:
    """Erase the customer in every store (see the module docstring); what was removed, per store."""
    pseudonym = new_pseudonym()
    with_secure_delete(database)
    report: Dict[str, Any] = {
        "tracker": on_store(locations.tracker_url, tracker.is_tracker_store, "tracker store",
                            lambda engine: {"events_deleted": tracker.erase(engine, customer_id, batch_size)}),
        "tickets": tickets.erase(database, customer_id, pseudonym, now, min(batch_size, TICKETS_PER_BATCH)),
        "channel_state": {"buttons_deleted": channel_state.erase(database.writer, customer_id, batch_size)},
        "channel_state_file": on_store(
            f"sqlite:///{locations.channel_state_file}",
            channel_state.present_in_file, "channel state file",
            lambda engine: {"buttons_deleted": channel_state.erase(engine, customer_id, batch_size)}),
        "analytics": on_store(locations.analytics_url, analytics.is_analytics_store, "analytics store",
                              lambda engine: {"events_scrubbed": analytics.erase(engine, customer_id, pseudonym,
                                                                                 batch_size)}),
        "incidents": incidents.erase(database, customer_id, batch_size),
    }
    checkpoint(database.writer)
    return report   # the pseudonym is not reported: nothing links it back to the customer id
