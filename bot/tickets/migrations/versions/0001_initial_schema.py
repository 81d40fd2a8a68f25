"""Initial schema: tickets, id counters, notification outbox, live handoff (state, thread, outbox, desk links).

Also adopts a database created by ``metadata.create_all`` before migrations existed: a table or index that
is already there is left as it is, only missing ones are created.

Revision ID: 0001
Revises:
Create Date: 2026-12-02
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Set, Tuple

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)  # bot.tickets.schema.UtcDateTime stores this type
OPEN_WITH_KEY = sa.text("status = 'open' AND dedupe_key IS NOT NULL")


def delivery_columns() -> List[sa.Column]:
    """The columns both outbox tables share."""
    return [
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=False),
        sa.Column("locked_until", UTC_TIME, nullable=True),
        sa.Column("lease_token", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
    ]


def tickets() -> None:
    op.create_table(
        "tickets",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("sla_due_at", UTC_TIME, nullable=False),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("customer_id", sa.String(256), nullable=False),
        sa.Column("customer_name", sa.Text, nullable=True),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("priority", sa.String(16), nullable=False),
        sa.Column("sentiment", sa.String(16), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("kb_articles", sa.JSON, nullable=False),
        sa.Column("transcript", sa.JSON, nullable=False),
        sa.Column("flags", sa.JSON, nullable=False),
        sa.Column("dedupe_key", sa.String(256), nullable=True),
    )


def ticket_counters() -> None:
    op.create_table(
        "ticket_counters",
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last_value", sa.Integer, nullable=False),
    )


def ticket_outbox() -> None:
    op.create_table(
        "ticket_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("notifier", sa.String(64), nullable=False),
        *delivery_columns(),
        sa.UniqueConstraint("ticket_id", "notifier", name="uq_outbox_ticket_notifier"),
    )


def handoffs() -> None:
    op.create_table(
        "handoffs",
        sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), primary_key=True),
        sa.Column("customer_id", sa.String(256), nullable=False),
        sa.Column("channel", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("claimed_at", UTC_TIME, nullable=True),
        sa.Column("agent_desk", sa.String(64), nullable=True),
        sa.Column("agent_id", sa.String(128), nullable=True),
        sa.Column("agent_name", sa.String(128), nullable=True),
        sa.Column("first_reply_at", UTC_TIME, nullable=True),
        sa.Column("resolved_at", UTC_TIME, nullable=True),
        sa.Column("last_customer_at", UTC_TIME, nullable=False),
        sa.Column("notice_sent_at", UTC_TIME, nullable=True),
        sa.Column("unclaimed_notice_at", UTC_TIME, nullable=True),
        sa.Column("survey", sa.String(16), nullable=False),
        sa.Column("survey_sent_at", UTC_TIME, nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("rated_at", UTC_TIME, nullable=True),
        sa.Column("comment", sa.Text, nullable=True),
    )


def handoff_messages() -> None:
    op.create_table(
        "handoff_messages",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("author", sa.String(128), nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("buttons", sa.JSON, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("dedupe_key", sa.String(256), nullable=True, unique=True),
    )


def handoff_outbox() -> None:
    op.create_table(
        "handoff_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("message_id", sa.Integer, sa.ForeignKey("handoff_messages.id"), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        *delivery_columns(),
        sa.UniqueConstraint("message_id", "target", name="uq_handoff_outbox_message_target"),
    )


def desk_links() -> None:
    op.create_table(
        "desk_links",
        sa.Column("desk", sa.String(64), primary_key=True),
        sa.Column("ref", sa.String(128), primary_key=True),
        sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
    )


# (table, how to create it, its indexes as (name, columns, extra keyword arguments)) in dependency order.
IndexSpec = Tuple[str, List[str], Dict[str, Any]]
TABLES: List[Tuple[str, Callable[[], None], List[IndexSpec]]] = [
    ("tickets", tickets, [
        ("uq_tickets_open_dedupe_key", ["dedupe_key"],
         {"unique": True, "postgresql_where": OPEN_WITH_KEY, "sqlite_where": OPEN_WITH_KEY}),
        ("ix_tickets_status_sla", ["status", "sla_due_at"], {}),
    ]),
    ("ticket_counters", ticket_counters, []),
    ("ticket_outbox", ticket_outbox, [("ix_outbox_due", ["status", "next_attempt_at"], {})]),
    ("handoffs", handoffs, [
        ("ix_handoffs_customer_state", ["customer_id", "state"], {}),
        ("ix_handoffs_state_created", ["state", "created_at"], {}),
    ]),
    ("handoff_messages", handoff_messages, [("ix_handoff_messages_ticket", ["ticket_id", "id"], {})]),
    ("handoff_outbox", handoff_outbox, [("ix_handoff_outbox_due", ["status", "next_attempt_at"], {})]),
    ("desk_links", desk_links, [("ix_desk_links_ticket", ["ticket_id", "desk"], {})]),
]


def upgrade() -> None:
    inspector = sa.inspect(op.get_bind())
    existing: Set[str] = set(inspector.get_table_names())
    for table, create, indexes in TABLES:
        present: Set[str] = set()
        if table in existing:
            present = {index["name"] for index in inspector.get_indexes(table)}
        else:
            create()
        for name, columns, options in indexes:
            if name not in present:
                op.create_index(name, table, columns, **options)


def downgrade() -> None:
    for table, _, _ in reversed(TABLES):
        op.drop_table(table)
