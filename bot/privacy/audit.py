"""The audit log: who showed, listed, claimed, answered or closed which ticket of which customer, who was
refused, and every privacy request (export, erase, purge).

``audit_log`` lives in the ticket database and is append-only: this API only adds and reads rows, and the
database itself refuses UPDATE and DELETE (and TRUNCATE on PostgreSQL) with triggers (migration 0004). A
row never holds message text, only ids, the action, its outcome and a short reason or counts.
"""
from __future__ import annotations

import getpass
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, List, Mapping, Optional

import sqlalchemy as sa

from bot.tickets.database import Database
from bot.tickets.schema import audit_log, tickets

logger = logging.getLogger(__name__)

# Actions.
SHOW, LIST, CLAIM, REPLY, CLOSE = "show", "list", "claim", "reply", "close"
EXPORT, ERASE, PURGE = "export", "erase", "purge"
# Outcomes (besides the outcome codes of bot.handoff.service, e.g. "claimed", "taken").
OK, REFUSED, FAILED, DRY_RUN = "ok", "refused", "failed", "dry_run"
PRIVACY_DESK = "privacy"   # ``python -m bot.privacy``
MAX_DETAIL_CHARS = 2000


@dataclass(frozen=True)
class Actor:
    """Who acts: the desk (or command line) and the person's id and name there."""

    desk: str
    actor_id: str
    name: str = ""


@dataclass(frozen=True)
class AuditEntry:
    """One row of the audit log."""

    id: int
    at: datetime
    desk: str
    actor_id: str
    actor_name: str
    action: str
    outcome: str
    ticket_id: Optional[str]
    customer_id: Optional[str]
    detail: str


def os_user() -> str:
    """The operating-system account running this process (who ran a command-line action)."""
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no name for this uid (e.g. a container): the uid itself
        return f"uid:{os.getuid()}"


def detail_text(detail: Any) -> str:
    """A detail as stored: text as it is, anything else (counts) as compact JSON; shortened."""
    text = detail if isinstance(detail, str) else json.dumps(detail, sort_keys=True, separators=(",", ":"))
    return text[:MAX_DETAIL_CHARS]


class AuditLog:
    """Appends to and reads the audit log of one ticket database. There is no update and no delete."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def record(self, actor: Actor, action: str, outcome: str = OK, ticket_id: Optional[str] = None,
               customer_id: Optional[str] = None, detail: Any = "", now: Optional[datetime] = None) -> int:
        """Append one row; the customer is looked up from the ticket when not given. Returns its id."""
        at = now or datetime.now(timezone.utc)
        with self.database.writer.begin() as connection:
            if customer_id is None and ticket_id is not None:
                customer_id = connection.execute(
                    sa.select(tickets.c.customer_id).where(tickets.c.id == ticket_id)).scalar_one_or_none()
            row_id = connection.execute(sa.insert(audit_log).values(
                at=at, desk=actor.desk[:64], actor_id=str(actor.actor_id)[:128], actor_name=actor.name[:128],
                action=action, outcome=outcome[:32], ticket_id=ticket_id[:32] if ticket_id else None,
                customer_id=customer_id, detail=detail_text(detail))).inserted_primary_key[0]
        return int(row_id)

    def record_quietly(self, actor: Actor, action: str, outcome: str = OK, ticket_id: Optional[str] = None,
                       customer_id: Optional[str] = None, detail: Any = "") -> Optional[int]:
        """:meth:`record` for the desks: a failure is logged loudly but does not stop the agent's work."""
        try:
            return self.record(actor, action, outcome, ticket_id, customer_id, detail)
        except Exception:  # noqa: BLE001 - e.g. the database is unreachable; the action itself is logged
            logger.exception("AUDIT LOG NOT WRITTEN: %s by %s:%s (ticket %s, outcome %s)", action, actor.desk,
                             actor.actor_id, ticket_id or "-", outcome)
            return None

    def entries(self, ticket_id: Optional[str] = None, customer_id: Optional[str] = None,
                action: Optional[str] = None, limit: Optional[int] = None) -> List[AuditEntry]:
        """Rows matching every given filter, oldest first."""
        c = audit_log.c
        query = sa.select(audit_log).order_by(c.id)
        for column, value in ((c.ticket_id, ticket_id), (c.customer_id, customer_id), (c.action, action)):
            if value is not None:
                query = query.where(column == value)
        if limit is not None:
            query = query.limit(limit)
        with self.database.reader.connect() as connection:
            return [entry_from_row(row) for row in connection.execute(query).mappings()]


def entry_from_row(row: Mapping[str, Any]) -> AuditEntry:
    """An :class:`AuditEntry` from an ``audit_log`` row."""
    return AuditEntry(id=row["id"], at=row["at"], desk=row["desk"], actor_id=row["actor_id"],
                      actor_name=row["actor_name"], action=row["action"], outcome=row["outcome"],
                      ticket_id=row["ticket_id"], customer_id=row["customer_id"], detail=row["detail"])
