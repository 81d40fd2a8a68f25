"""Fixtures: the stores of one test on SQLite (temporary files) or PostgreSQL (fresh schemas, dropped after),
following ``tests/tickets/fixtures.py``."""
from __future__ import annotations

import uuid
from typing import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.tickets.database import Database, connect
from tests.privacy.seeding import Stores


@pytest.fixture
def sqlite_stores(tmp_path) -> Stores:
    return Stores(tickets_url=f"sqlite:///{tmp_path / 'tickets.db'}",
                  tracker_url=f"sqlite:///{tmp_path / 'tracker.db'}",
                  analytics_url=f"sqlite:///{tmp_path / 'analytics.db'}",
                  channel_state_file=tmp_path / "channels.db")


@pytest.fixture
def postgres_stores(postgres_server_url: str, tmp_path) -> Iterator[Stores]:
    """Tickets and the tracker store in one schema (as ``DATABASE_URL`` holds both), analytics in another."""
    names = [f"privacy_test_{uuid.uuid4().hex[:12]}" for _ in range(2)]
    admin = sa.create_engine(postgres_server_url, future=True)
    with admin.begin() as connection:
        for name in names:
            connection.execute(sa.text(f'CREATE SCHEMA "{name}"'))
    urls = [make_url(postgres_server_url).update_query_dict({"options": f"-csearch_path={name}"})
            .render_as_string(hide_password=False) for name in names]
    try:
        yield Stores(tickets_url=urls[0], tracker_url=urls[0], analytics_url=urls[1],
                     channel_state_file=tmp_path / "channels.db")
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
            for name in names:
                connection.execute(sa.text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def stores(request) -> Stores:
    """Each test using this runs on SQLite and on PostgreSQL."""
    return request.getfixturevalue({"sqlite": "sqlite_stores", "postgresql": "postgres_stores"}[request.param])


@pytest.fixture
def database(stores: Stores) -> Iterator[Database]:
    """The ticket database of ``stores`` (migrated), closed after the test."""
    opened = connect(stores.tickets_url)
    yield opened
    opened.reader.dispose()
