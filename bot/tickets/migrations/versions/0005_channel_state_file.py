"""Adopt a channel state file of the old raw-``sqlite3`` code (``var/channels.db``, ``CHANNEL_STATE_DB``).

That code kept the replay keys in ``seen`` and the issued buttons in ``issued_buttons``; the channel state
file is now migrated with this tree like the ticket database, and the channels use ``channel_seen`` and
``channel_buttons`` (revision 0002) everywhere. The rows are copied there and the old tables dropped (so no
customer's buttons linger where purges no longer look). Only SQLite files ever had those tables; any other
database is left alone.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# old table -> (new table, columns both have)
OLD_TABLES = {
    "seen": ("channel_seen", "channel, key, at"),
    "issued_buttons": ("channel_buttons", "channel, chat, button_id, payload, at"),
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    existing = set(sa.inspect(bind).get_table_names())
    for old, (new, columns) in OLD_TABLES.items():
        if old in existing:
            op.execute(f"INSERT OR IGNORE INTO {new} ({columns}) SELECT {columns} FROM {old}")
            op.drop_table(old)


def downgrade() -> None:
    """Nothing: the rows stay in ``channel_seen`` / ``channel_buttons`` (the old code is not brought back)."""
