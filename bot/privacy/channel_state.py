"""The channels' replay state (:mod:`bot.channels.state`): update / message ids already handled
(``channel_seen``) and the buttons issued per chat (``channel_buttons``), in the channel state file or in the
ticket database (the same tables in both).

Replay keys are platform ids (``<bot id>:<update id>``, WhatsApp message ids) that name no customer: they
are only purged by age. Issued buttons belong to a chat, which is the customer for Telegram (``tg-<chat
id>``) and WhatsApp (``wa-<phone>``): those are exported and erased with the customer.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, List, Optional, Tuple

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from bot.privacy.batches import delete_in_batches, has_table
from bot.tickets.database import connect
from bot.tickets.schema import channel_buttons, channel_seen

SEEN_KEY, BUTTON_KEY = ("channel", "key"), ("channel", "chat", "button_id")
OLD_FILE_TABLES = ("seen", "issued_buttons")   # the file as the old raw-sqlite3 code left it


def present(engine: Engine) -> bool:
    """Whether both tables exist there."""
    return has_table(engine, channel_seen.name) and has_table(engine, channel_buttons.name)


def present_in_file(engine: Engine) -> bool:
    """Whether the channel state file (``engine``) holds the tables. A file the assistant has not opened since
    the old raw-sqlite3 code wrote it is migrated first, keeping its rows, as the assistant itself would
    (also on a dry run: nothing is lost), so its buttons are purged and erased too."""
    if not present(engine) and all(has_table(engine, name) for name in OLD_FILE_TABLES):
        connect(engine.url.render_as_string(hide_password=False)).reader.dispose()
    return present(engine)


def purge(engine: Engine, before: datetime, batch_size: int, pause: float = 0.0,
          dry_run: bool = False) -> Dict[str, int]:
    """Delete replay keys and issued buttons recorded before ``before``."""
    moment = before.timestamp()
    return {
        "seen_deleted": delete_in_batches(engine, channel_seen, channel_seen.c.at < moment, batch_size, pause,
                                          SEEN_KEY, dry_run),
        "buttons_deleted": delete_in_batches(engine, channel_buttons, channel_buttons.c.at < moment, batch_size,
                                             pause, BUTTON_KEY, dry_run),
    }


def chat_of_customer(customer_id: str) -> Optional[Tuple[str, str]]:
    """``(channel, chat)`` under which the channels key a customer's buttons, or None (no such state)."""
    from bot.channels.telegram_updates import chat_of  # bot.channels imports Rasa: only when needed
    from bot.channels.whatsapp_webhook import wa_id_of

    if customer_id.startswith("tg-"):
        try:
            return "telegram", str(chat_of(customer_id))
        except ValueError:
            return None
    if customer_id.startswith("wa-"):
        return "whatsapp", wa_id_of(customer_id)
    return None


def _of_customer(customer_id: str) -> Any:
    chat = chat_of_customer(customer_id)
    if chat is None:
        return sa.false()
    return sa.and_(channel_buttons.c.channel == chat[0], channel_buttons.c.chat == chat[1])


def export(engine: Engine, customer_id: str) -> List[Dict[str, Any]]:
    """The buttons issued to the customer's chat."""
    query = sa.select(channel_buttons).where(_of_customer(customer_id)).order_by(channel_buttons.c.at)
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def erase(engine: Engine, customer_id: str, batch_size: int) -> int:
    """Delete the buttons issued to the customer's chat; how many."""
    return delete_in_batches(engine, channel_buttons, _of_customer(customer_id), batch_size,
                             key_columns=BUTTON_KEY)
