"""Database tables for tickets, their per-day id counters, the notification outbox, the live handoff,
leases for background singletons, the channels' shared replay state, incidents and the agents' audit log.

The tables are created and changed by the Alembic migrations in ``bot.tickets.migrations`` (run when the
store opens); a change here needs a new revision there (``tests/unit/test_tickets_migrations.py`` checks
that the migrated schema equals these definitions). The same definitions work on SQLite and PostgreSQL.
Times are stored in UTC and always read back timezone-aware (SQLite has no time-zone type).
"""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, List, Optional

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator

metadata = sa.MetaData()


class UtcDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on every backend."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"refusing to store a naive datetime: {value.isoformat()}")
        utc = value.astimezone(timezone.utc)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Optional[datetime], dialect: Any) -> Optional[datetime]:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)


tickets = sa.Table(
    "tickets", metadata,
    sa.Column("id", sa.String(32), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("sla_due_at", UtcDateTime, nullable=False),
    sa.Column("closed_at", UtcDateTime, nullable=True),
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
    # When the personal fields were removed (bot.privacy: retention purge or a customer's erasure); NULL: kept.
    sa.Column("scrubbed_at", UtcDateTime, nullable=True),
)
# Only one OPEN ticket per dedupe key; once closed, the same key may open a new ticket.
sa.Index("uq_tickets_open_dedupe_key", tickets.c.dedupe_key, unique=True,
         postgresql_where=sa.and_(tickets.c.status == "open", tickets.c.dedupe_key.isnot(None)),
         sqlite_where=sa.and_(tickets.c.status == "open", tickets.c.dedupe_key.isnot(None)))
sa.Index("ix_tickets_status_sla", tickets.c.status, tickets.c.sla_due_at)

ticket_counters = sa.Table(
    "ticket_counters", metadata,
    sa.Column("day", sa.String(8), primary_key=True),  # YYYYMMDD in WIB
    sa.Column("last_value", sa.Integer, nullable=False),
)

def delivery_columns() -> List[sa.Column]:
    """The columns every outbox table shares (bot.tickets.outbox leases and retries by them)."""
    return [
        # pending | sent | failed (still retried) | undeliverable | cancelled (content removed, bot.privacy)
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, default=0),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("next_attempt_at", UtcDateTime, nullable=False),
        sa.Column("locked_until", UtcDateTime, nullable=True),  # lease of the worker delivering it right now
        sa.Column("lease_token", sa.String(64), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.Column("sent_at", UtcDateTime, nullable=True),
    ]


outbox = sa.Table(
    "ticket_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("notifier", sa.String(64), nullable=False),
    *delivery_columns(),
    sa.UniqueConstraint("ticket_id", "notifier", name="uq_outbox_ticket_notifier"),
)
sa.Index("ix_outbox_due", outbox.c.status, outbox.c.next_attempt_at)


# --- live handoff: who holds the conversation, what was said, and what still has to be delivered ----------

handoffs = sa.Table(
    "handoffs", metadata,
    sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), primary_key=True),
    sa.Column("customer_id", sa.String(256), nullable=False),
    sa.Column("channel", sa.String(64), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),  # waiting | with_agent | resolved | left
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("claimed_at", UtcDateTime, nullable=True),
    sa.Column("agent_desk", sa.String(64), nullable=True),
    sa.Column("agent_id", sa.String(128), nullable=True),
    sa.Column("agent_name", sa.String(128), nullable=True),
    sa.Column("first_reply_at", UtcDateTime, nullable=True),
    sa.Column("resolved_at", UtcDateTime, nullable=True),
    sa.Column("last_customer_at", UtcDateTime, nullable=False),  # WhatsApp's 24-hour window starts here
    sa.Column("notice_sent_at", UtcDateTime, nullable=True),  # "the agent will reply here" (once)
    sa.Column("unclaimed_notice_at", UtcDateTime, nullable=True),  # "no agent yet" (once)
    sa.Column("survey", sa.String(16), nullable=False, default="none"),  # none | asked | comment | done | expired
    sa.Column("survey_sent_at", UtcDateTime, nullable=True),
    sa.Column("rating", sa.Integer, nullable=True),
    sa.Column("rated_at", UtcDateTime, nullable=True),
    sa.Column("comment", sa.Text, nullable=True),
)
sa.Index("ix_handoffs_customer_state", handoffs.c.customer_id, handoffs.c.state)
sa.Index("ix_handoffs_state_created", handoffs.c.state, handoffs.c.created_at)

handoff_messages = sa.Table(
    "handoff_messages", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("direction", sa.String(16), nullable=False),  # to_agent | to_customer
    sa.Column("author", sa.String(128), nullable=False),  # "customer", the agent's name, or "system"
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("buttons", sa.JSON, nullable=False),  # [[title, payload], ...] for the customer's channel
    sa.Column("created_at", UtcDateTime, nullable=False),
    sa.Column("dedupe_key", sa.String(256), nullable=True, unique=True),  # e.g. a desk's update id
)
sa.Index("ix_handoff_messages_ticket", handoff_messages.c.ticket_id, handoff_messages.c.id)

message_outbox = sa.Table(
    "handoff_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("message_id", sa.Integer, sa.ForeignKey("handoff_messages.id"), nullable=False),
    sa.Column("target", sa.String(64), nullable=False),  # "customer" or a desk name
    *delivery_columns(),
    sa.UniqueConstraint("message_id", "target", name="uq_handoff_outbox_message_target"),
)
sa.Index("ix_handoff_outbox_due", message_outbox.c.status, message_outbox.c.next_attempt_at)

# A desk's own ids for a ticket ("msg:812" in the Telegram group, "topic:77", "conversation:19" in Chatwoot),
# so an agent's reply or a desk webhook finds its ticket.
desk_links = sa.Table(
    "desk_links", metadata,
    sa.Column("desk", sa.String(64), primary_key=True),
    sa.Column("ref", sa.String(128), primary_key=True),
    sa.Column("ticket_id", sa.String(32), sa.ForeignKey("tickets.id"), nullable=False),
    sa.Column("created_at", UtcDateTime, nullable=False),
)
sa.Index("ix_desk_links_ticket", desk_links.c.ticket_id, desk_links.c.desk)


# --- background singletons: which process runs a job that must run once across workers and replicas --------

leases = sa.Table(
    "leases", metadata,
    sa.Column("name", sa.String(128), primary_key=True),  # e.g. "telegram:getUpdates:123456"
    sa.Column("owner", sa.String(128), nullable=False),  # host:pid:random of the holding process
    sa.Column("expires_at", UtcDateTime, nullable=False),  # renewed by the holder; free to take once passed
    sa.Column("acquired_at", UtcDateTime, nullable=False),  # when the current owner took it
)

# --- channel replay state shared by every worker and replica (PostgreSQL profile; SQLite file otherwise) ---

channel_seen = sa.Table(
    "channel_seen", metadata,
    sa.Column("channel", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(512), primary_key=True),  # an update / message id the channel handled
    sa.Column("at", sa.Float, nullable=False),  # Unix seconds, for pruning
)
sa.Index("ix_channel_seen_at", channel_seen.c.at)

channel_buttons = sa.Table(
    "channel_buttons", metadata,
    sa.Column("channel", sa.String(64), primary_key=True),
    sa.Column("chat", sa.String(256), primary_key=True),
    sa.Column("button_id", sa.String(256), primary_key=True),  # the callback data / reply id shown
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("at", sa.Float, nullable=False),  # Unix seconds, for expiry and pruning
)
sa.Index("ix_channel_buttons_at", channel_buttons.c.at)

# --- incidents (bot.incidents): operators' notices, detected spikes, what they are based on, who saw them ----

incidents = sa.Table(
    "incidents", metadata,
    sa.Column("id", sa.String(32), primary_key=True),  # "INC-7K3QX"
    sa.Column("kind", sa.String(16), nullable=False),  # notice (published by an operator) | spike (detected)
    sa.Column("topic", sa.String(64), nullable=False),  # "bank:BCA", "network:TRC20", "coin:USDT"
    sa.Column("opened_at", UtcDateTime, nullable=False),
    sa.Column("expires_at", UtcDateTime, nullable=True),  # notices: no longer shown from then on
    sa.Column("closed_at", UtcDateTime, nullable=True),  # closed by an operator, or a spike that subsided
    sa.Column("count", sa.Integer, nullable=False),  # notice: customers shown it; spike: customers who wrote
    sa.Column("text", sa.Text, nullable=False),  # notice: what customers read; spike: one line for agents
    sa.Column("details", sa.JSON, nullable=False),  # spike: window, baseline, threshold, examples
    sa.Column("last_seen_at", UtcDateTime, nullable=True),  # spike: latest message about the topic
)
# At most one ongoing spike per topic (replicas detecting the same spike at once insert it once).
_ONGOING_SPIKE = sa.and_(incidents.c.kind == "spike", incidents.c.closed_at.is_(None))
sa.Index("uq_incidents_ongoing_spike", incidents.c.topic, unique=True,
         postgresql_where=_ONGOING_SPIKE, sqlite_where=_ONGOING_SPIKE)
sa.Index("ix_incidents_opened", incidents.c.opened_at)

incident_observations = sa.Table(
    "incident_observations", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("topic", sa.String(64), nullable=False),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("sender_id", sa.String(256), nullable=False),
    sa.Column("message_key", sa.String(256), nullable=True),  # the same message is recorded once per topic
    sa.Column("intent", sa.String(64), nullable=False),  # the intent, or the ticket category of a report
    sa.Column("example", sa.Text, nullable=False),  # the customer's words, secrets redacted, shortened
    sa.UniqueConstraint("message_key", "topic", name="uq_incident_observations_message_topic"),
)
sa.Index("ix_incident_observations_topic_at", incident_observations.c.topic, incident_observations.c.at)
sa.Index("ix_incident_observations_at", incident_observations.c.at)

incident_views = sa.Table(
    "incident_views", metadata,
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), primary_key=True),
    sa.Column("sender_id", sa.String(256), primary_key=True),  # a notice is shown once per conversation
    sa.Column("shown_at", UtcDateTime, nullable=False),
)

incident_outbox = sa.Table(
    "incident_outbox", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("incident_id", sa.String(32), sa.ForeignKey("incidents.id"), nullable=False),
    sa.Column("target", sa.String(64), nullable=False),  # a notifier or desk name
    *delivery_columns(),
    sa.UniqueConstraint("incident_id", "target", name="uq_incident_outbox_incident_target"),
)
sa.Index("ix_incident_outbox_due", incident_outbox.c.status, incident_outbox.c.next_attempt_at)

# --- who did what with customers' data (bot.privacy.audit): append-only, enforced by database triggers ------

audit_log = sa.Table(
    "audit_log", metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("at", UtcDateTime, nullable=False),
    sa.Column("desk", sa.String(64), nullable=False),  # "telegram_agen", "chatwoot", "cli", "privacy"
    sa.Column("actor_id", sa.String(128), nullable=False),  # Telegram user id, Chatwoot user id, OS user
    sa.Column("actor_name", sa.String(128), nullable=False),
    sa.Column("action", sa.String(32), nullable=False),  # show | list | claim | reply | close | export | erase | purge
    sa.Column("outcome", sa.String(32), nullable=False),  # ok | refused | an outcome code of bot.handoff.service
    sa.Column("ticket_id", sa.String(32), nullable=True),
    sa.Column("customer_id", sa.String(256), nullable=True),
    sa.Column("detail", sa.Text, nullable=False),  # why it was refused, counts of a privacy request; no message text
)
sa.Index("ix_audit_log_at", audit_log.c.at)
sa.Index("ix_audit_log_ticket", audit_log.c.ticket_id)
sa.Index("ix_audit_log_customer", audit_log.c.customer_id)
