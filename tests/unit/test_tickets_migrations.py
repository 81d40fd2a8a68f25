"""Ticket database migrations (Alembic) on SQLite and PostgreSQL: a fresh database, a database created by
``create_all`` before migrations existed, concurrent openers, and the schema matching ``schema.py``."""
from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import List

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from bot.tickets import open_store, schema
from bot.tickets.database import connect, create_engine_for
from bot.tickets.migrations import alembic_config, current_revision, head_revision
from tests.tickets.drafts import MOMENT, make_draft

# What create_all made before the migrations existed (every table of the live handoff included) ...
LEGACY_TABLES = [schema.tickets, schema.ticket_counters, schema.outbox, schema.handoffs, schema.handoff_messages,
                 schema.message_outbox, schema.desk_links]
# ... and before the live handoff existed.
OLDEST_TABLES = [schema.tickets, schema.ticket_counters, schema.outbox]


def differences(url: str) -> List[object]:
    """What autogenerate would change to make the database match ``bot/tickets/schema.py``."""
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, schema.metadata))
    finally:
        engine.dispose()


def revision_of(url: str) -> str:
    engine = create_engine_for(url)
    try:
        with engine.connect() as connection:
            return current_revision(connection)
    finally:
        engine.dispose()


def create_legacy(url: str, tables: List[sa.Table]) -> None:
    """A database as ``metadata.create_all`` left it, holding one ticket."""
    engine = create_engine_for(url)
    try:
        schema.metadata.create_all(engine, tables=tables)
        with engine.begin() as connection:
            connection.execute(sa.insert(schema.tickets).values(
                id="CS-20261101-0001", status="open", created_at=MOMENT, sla_due_at=MOMENT, customer_id="budi",
                channel="rest", category="withdrawal_idr", priority="normal", sentiment="calm", summary="lama",
                details=[], kb_articles=[], transcript=[], flags=[]))
            connection.execute(sa.insert(schema.ticket_counters).values(day="20261101", last_value=1))
    finally:
        engine.dispose()


def test_a_fresh_database_is_migrated_to_the_schema_of_the_code(database_url: str):
    database = connect(database_url)
    database.reader.dispose()
    assert revision_of(database_url) == head_revision()
    assert differences(database_url) == []


@pytest.mark.parametrize("tables", [LEGACY_TABLES, OLDEST_TABLES], ids=["create_all", "before_handoff"])
def test_a_create_all_database_is_adopted_and_upgraded_keeping_its_tickets(database_url: str, tables):
    create_legacy(database_url, tables)
    assert revision_of(database_url) is None
    store = open_store(database_url)
    try:
        assert store.get("CS-20261101-0001").summary == "lama"
        created = store.create(make_draft(), [], now=datetime(2026, 11, 1, 5, tzinfo=timezone.utc))
        assert created.id == "CS-20261101-0002"          # the old counter goes on
    finally:
        store.database.reader.dispose()
    assert revision_of(database_url) == head_revision()
    assert differences(database_url) == []


def test_openers_at_the_same_moment_migrate_once(database_url: str):
    barrier, errors = threading.Barrier(6), []

    def open_it() -> None:
        barrier.wait()
        try:
            connect(database_url).reader.dispose()
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=open_it) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    engine = create_engine_for(database_url)
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() \
                == [head_revision()]
    finally:
        engine.dispose()


def test_downgrade_to_nothing_and_back(database_url: str):
    connect(database_url).reader.dispose()
    engine = create_engine_for(database_url)
    try:
        with engine.begin() as connection:
            command.downgrade(alembic_config(connection), "base")
        with engine.connect() as connection:
            assert set(sa.inspect(connection).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    connect(database_url).reader.dispose()
    assert differences(database_url) == []


def test_the_alembic_command_line_environment_migrates_a_url(sqlite_url: str):
    config = alembic_config()
    config.set_main_option("sqlalchemy.url", sqlite_url)
    command.upgrade(config, "head")
    assert revision_of(sqlite_url) == head_revision()
    assert differences(sqlite_url) == []
