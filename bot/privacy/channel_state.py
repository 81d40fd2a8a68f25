"""The channels' replay state (:mod:`bot.channels.state`): update / message ids already handled and the
buttons issued per chat, in the SQLite file (``seen``, ``issued_buttons``) or in the ticket database
(``channel_seen``, ``channel_buttons``).

Replay keys are platform ids (``<bot id>:<update id>``, WhatsApp message ids) that name no customer: they
are only purged by age. Issued buttons belong to a chat, which is the customer for Telegram (``tg-<chat
id>``) and WhatsApp (``wa-<phone>``): those are exported and erased with the customer.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.privacy.batches import delete_in_batches, has_table
from bot.tickets.schema import channel_buttons, channel_seen

_file_metadata = sa.MetaData()
file_seen = sa.Table("seen", _file_metadata, sa.Column("channel", sa.Text, primary_key=True),
                     sa.Column("key", sa.Text, primary_key=True), sa.Column("at", sa.Float, nullable=False))
file_buttons = sa.Table("issued_buttons", _file_metadata, sa.Column("channel", sa.Text, primary_key=True),
                        sa.Column("chat", sa.Text, primary_key=True), sa.Column("button_id", sa.Text, primary_key=True),
                        sa.Column("payload", sa.Text, nullable=False), sa.Column("at", sa.Float, nullable=False))


@dataclass(frozen=True)
class StateTables:
    """The two tables of one place the channel state lives."""

    seen: sa.Table
    buttons: sa.Table


IN_FILE = StateTables(file_seen, file_buttons)
IN_TICKET_DATABASE = StateTables(channel_seen, channel_buttons)
SEEN_KEY, BUTTON_KEY = ("channel", "key"), ("channel", "chat", "button_id")


def present(engine: Engine, tables: StateTables) -> bool:
    """Whether both tables exist there."""
    return has_table(engine, tables.seen.name) and has_table(engine, tables.buttons.name)


def purge(engine: Engine, tables: StateTables, before: datetime, batch_size: int, pause: float = 0.0,
          dry_run: bool = False) -> Dict[str, int]:
    """Delete replay keys and issued buttons recorded before ``before``."""
    moment = before.timestamp()
    return {
        "seen_deleted": delete_in_batches(engine, tables.seen, tables.seen.c.at < moment, batch_size, pause,
                                          SEEN_KEY, dry_run),
        "buttons_deleted": delete_in_batches(engine, tables.buttons, tables.buttons.c.at < moment, batch_size,
                                             pause, BUTTON_KEY, dry_run),
    }


def chat_of_customer(customer_id: str) -> Optional[Tuple[str, str]]:
    """``(channel, chat)`` under which the channels key a customer's buttons, or None (no such state)."""
    from bot.channels.telegram_updates import chat_of   # bot.channels imports Rasa: only when needed
    from bot.channels.whatsapp_webhook import wa_id_of

    if customer_id.startswith("tg-"):
        try:
            return "telegram", str(chat_of(customer_id))
        except ValueError:
            return None
    if customer_id.startswith("wa-"):
        return "whatsapp", wa_id_of(customer_id)
    return None


def _of_customer(tables: StateTables, customer_id: str) -> Any:
    chat = chat_of_customer(customer_id)
    if chat is None:
        return sa.false()
    return sa.and_(tables.buttons.c.channel == chat[0], tables.buttons.c.chat == chat[1])


def export(engine: Engine, tables: StateTables, customer_id: str) -> List[Dict[str, Any]]:
    """The buttons issued to the customer's chat."""
    query = sa.select(tables.buttons).where(_of_customer(tables, customer_id)).order_by(tables.buttons.c.at)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def erase(engine: Engine, tables: StateTables, customer_id: str, batch_size: int) -> int:
    """Delete the buttons issued to the customer's chat; how many."""
    return delete_in_batches(engine, tables.buttons, _of_customer(tables, customer_id), batch_size,
                             key_columns=BUTTON_KEY)
