"""Leases for background singletons; the channels' replay state and issued buttons (shared by replicas).

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leases",
        sa.Column("name", sa.String(128), primary_key=True),
        sa.Column("owner", sa.String(128), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("acquired_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "channel_seen",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("key", sa.String(512), primary_key=True),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_channel_seen_at", "channel_seen", ["at"])
    op.create_table(
        "channel_buttons",
        sa.Column("channel", sa.String(64), primary_key=True),
        sa.Column("chat", sa.String(256), primary_key=True),
        sa.Column("button_id", sa.String(256), primary_key=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("at", sa.Float, nullable=False),
    )
    op.create_index("ix_channel_buttons_at", "channel_buttons", ["at"])


def downgrade() -> None:
    op.drop_table("channel_buttons")
    op.drop_table("channel_seen")
    op.drop_table("leases")
