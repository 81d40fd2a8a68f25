"""Incidents (bot.incidents): notices and detected spikes, the observations spikes are detected from, which
customers saw a notice, and the outbox of spike alerts to agents.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-09
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UTC_TIME = sa.DateTime(timezone=True)  # bot.tickets.schema.UtcDateTime stores this type
ONGOING_SPIKE = sa.text("kind = 'spike' AND closed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "incidents",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("opened_at", UTC_TIME, nullable=False),
        sa.Column("expires_at", UTC_TIME, nullable=True),
        sa.Column("closed_at", UTC_TIME, nullable=True),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("details", sa.JSON, nullable=False),
        sa.Column("last_seen_at", UTC_TIME, nullable=True),
    )
    op.create_index("uq_incidents_ongoing_spike", "incidents", ["topic"], unique=True,
                    postgresql_where=ONGOING_SPIKE, sqlite_where=ONGOING_SPIKE)
    op.create_index("ix_incidents_opened", "incidents", ["opened_at"])
    op.create_table(
        "incident_observations",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("topic", sa.String(64), nullable=False),
        sa.Column("at", UTC_TIME, nullable=False),
        sa.Column("sender_id", sa.String(256), nullable=False),
        sa.Column("message_key", sa.String(256), nullable=True),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("example", sa.Text, nullable=False),
        sa.UniqueConstraint("message_key", "topic", name="uq_incident_observations_message_topic"),
    )
    op.create_index("ix_incident_observations_topic_at", "incident_observations", ["topic", "at"])
    op.create_index("ix_incident_observations_at", "incident_observations", ["at"])
    op.create_table(
        "incident_views",
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), primary_key=True),
        sa.Column("sender_id", sa.String(256), primary_key=True),
        sa.Column("shown_at", UTC_TIME, nullable=False),
    )
    op.create_table(
        "incident_outbox",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("target", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", UTC_TIME, nullable=False),
        sa.Column("next_attempt_at", UTC_TIME, nullable=False),
        sa.Column("locked_until", UTC_TIME, nullable=True),
        sa.Column("lease_token", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", UTC_TIME, nullable=True),
        sa.UniqueConstraint("incident_id", "target", name="uq_incident_outbox_incident_target"),
    )
    op.create_index("ix_incident_outbox_due", "incident_outbox", ["status", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("incident_outbox")
    op.drop_table("incident_views")
    op.drop_table("incident_observations")
    op.drop_table("incidents")
