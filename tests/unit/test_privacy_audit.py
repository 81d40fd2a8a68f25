"""The audit log on SQLite and PostgreSQL: rows are appended (the customer looked up from the ticket), the
database refuses to change or delete them, and the command line (``python -m bot.tickets``) writes a row for
every list, show, claim, reply and close."""
from __future__ import annotations

from datetime import datetime, timezone

import pytest
import sqlalchemy as sa

from bot.privacy import audit
from bot.privacy.audit import Actor, AuditLog
from bot.tickets.__main__ import main as tickets_main
from bot.tickets.database import connect
from bot.tickets.schema import audit_log
from tests.tickets.drafts import make_draft

RINA = Actor("telegram_agen", "501", "Rina")


@pytest.fixture
def log(database_url):
    database = connect(database_url)
    yield AuditLog(database)
    database.reader.dispose()


def test_rows_are_appended_with_the_customer_of_the_ticket(log):
    from bot.tickets.store import TicketStore

    ticket = TicketStore(log.database).create(make_draft(customer_id="tg-777"), [])
    first = log.record(RINA, audit.CLAIM, "claimed", ticket.id)
    second = log.record(Actor("chatwoot", "9"), audit.REFUSED, audit.REFUSED, ticket.id, None, "not on the agent list")
    third = log.record(Actor("privacy", "root", "Dewi"), audit.ERASE, audit.OK, None, "wa-62811", {"tracker": 3})
    rows = log.entries()
    assert [row.id for row in rows] == [first, second, third]
    assert [(r.desk, r.actor_id, r.action, r.outcome, r.ticket_id, r.customer_id) for r in rows] == [
        ("telegram_agen", "501", "claim", "claimed", ticket.id, "tg-777"),
        ("chatwoot", "9", "refused", "refused", ticket.id, "tg-777"),
        ("privacy", "root", "erase", "ok", None, "wa-62811")]
    assert rows[2].detail == '{"tracker":3}' and rows[0].at.tzinfo is not None
    assert [r.id for r in log.entries(ticket_id=ticket.id, action="claim")] == [first]


def test_the_database_refuses_to_change_or_delete_audit_rows(log, database_url):
    log.record(RINA, audit.SHOW, ticket_id="CS-20261216-0001", customer_id="tg-1")
    assert not any(hasattr(AuditLog, name) for name in ("update", "delete", "remove", "clear"))
    engine = sa.create_engine(database_url, future=True)   # a plain connection, as a careless script would use
    statements = [sa.update(audit_log).values(actor_id="someone-else"), sa.delete(audit_log)]
    if engine.dialect.name == "postgresql":
        statements.append(sa.text("TRUNCATE audit_log"))
    try:
        for statement in statements:
            with pytest.raises(sa.exc.DatabaseError, match="append-only"):
                with engine.begin() as connection:
                    connection.execute(statement)
    finally:
        engine.dispose()
    assert [(r.actor_id, r.action) for r in log.entries()] == [("501", "show")]


def test_the_ticket_command_line_is_audited(sqlite_url, capsys, monkeypatch):
    database = connect(sqlite_url)
    try:
        from bot.tickets.store import TicketStore

        ticket = TicketStore(database).create(make_draft(customer_id="tg-4242"), [],
                                              now=datetime(2026, 11, 23, 3, tzinfo=timezone.utc))
        monkeypatch.setattr(audit, "os_user", lambda: "ops-budi")
        commands = [["list"], ["show", ticket.id, "--agent", "Rina"], ["claim", ticket.id, "--agent", "Rina"],
                    ["reply", ticket.id, "Dana sudah kami cek."], ["close", ticket.id], ["show", "CS-20990101-0001"]]
        codes = [tickets_main([*command, "--db", sqlite_url]) for command in commands]
        assert codes == [0, 0, 0, 0, 0, 1]
        rows = AuditLog(database).entries()
        assert [(r.desk, r.actor_id, r.actor_name, r.action, r.outcome, r.ticket_id, r.customer_id) for r in rows] == [
            ("cli", "ops-budi", "ops-budi", "list", "ok", None, None),
            ("cli", "ops-budi", "Rina", "show", "ok", ticket.id, "tg-4242"),
            ("cli", "ops-budi", "Rina", "claim", "claimed", ticket.id, "tg-4242"),
            ("cli", "ops-budi", "ops-budi", "reply", "sent", ticket.id, "tg-4242"),
            ("cli", "ops-budi", "ops-budi", "close", "resolved", ticket.id, "tg-4242"),
            ("cli", "ops-budi", "ops-budi", "show", "not_found", "CS-20990101-0001", None)]
        assert "Dana sudah kami cek" not in " ".join(r.detail for r in rows)   # no message text in the log
    finally:
        database.reader.dispose()
