"""Tickets for human agents: store, durable notification outbox, agent notifiers and a CLI.

Typical use from an action::

    store = open_store()
    ticket = store.create(draft, notifier_names=declared_notifier_names())
    worker.wake()   # an OutboxWorker(store, load_notifiers()) started once with worker.start()
"""
from bot.tickets.config import declared_notifier_names, load_notifiers
from bot.tickets.delivery import OutboxWorker
from bot.tickets.model import WIB, Detail, Ticket, TicketDraft, TranscriptLine
from bot.tickets.notifiers import DeliveryError, Notifier, TelegramNotifier, WebhookNotifier
from bot.tickets.outbox import Delivery, RetryPolicy
from bot.tickets.sla import next_opening, sla_due, within_operating_hours
from bot.tickets.store import TicketStore, open_store

__all__ = [
    "WIB", "Detail", "TranscriptLine", "TicketDraft", "Ticket", "TicketStore", "open_store",
    "load_notifiers", "declared_notifier_names", "OutboxWorker", "RetryPolicy", "Delivery",
    "Notifier", "DeliveryError", "TelegramNotifier", "WebhookNotifier",
    "sla_due", "within_operating_hours", "next_opening",
]
