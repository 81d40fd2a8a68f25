"""Fixtures: databases (temporary SQLite file, isolated PostgreSQL schema) and the fake HTTP servers.

PostgreSQL is found at ``TEST_POSTGRES_URL`` or the usual local trust-auth URLs. When it is unreachable
the tests fail with a clear message; set ``SKIP_POSTGRES=1`` to skip them deliberately instead.
Each test gets a freshly created schema (selected through ``search_path`` in the URL) that is dropped
afterwards.
"""
from __future__ import annotations

import os
import uuid
from typing import Iterator, List

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from bot.tickets import TicketStore, open_store
from tests.tickets.fakes import FakeTelegram, WebhookReceiver

CANDIDATE_POSTGRES_URLS = ("postgresql://postgres@127.0.0.1:5432/test", "postgresql://root@127.0.0.1:5432/test",
                           "postgresql://postgres@127.0.0.1:5432/postgres")


def _reachable(url: str) -> str:
    """'' when ``url`` accepts connections, else the error."""
    engine = sa.create_engine(url, future=True, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return ""
    except sa.exc.OperationalError as error:
        return str(error.orig).strip().splitlines()[0]
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def postgres_server_url() -> str:
    """A working PostgreSQL URL (fails loudly when none works, unless SKIP_POSTGRES=1)."""
    if os.environ.get("SKIP_POSTGRES") == "1":
        pytest.skip("SKIP_POSTGRES=1: PostgreSQL tests skipped on request")
    configured = os.environ.get("TEST_POSTGRES_URL", "").strip()
    problems: List[str] = []
    for url in ([configured] if configured else CANDIDATE_POSTGRES_URLS):
        problem = _reachable(url)
        if not problem:
            return url
        problems.append(f"{url}: {problem}")
    pytest.fail("PostgreSQL is not reachable for the ticket tests:\n  " + "\n  ".join(problems)
                + "\nStart PostgreSQL, point TEST_POSTGRES_URL at it, or set SKIP_POSTGRES=1 to skip these tests.",
                pytrace=False)


@pytest.fixture
def postgres_url(postgres_server_url: str) -> Iterator[str]:
    """URL of a new, empty schema on the test server; the schema is dropped after the test."""
    schema = f"tickets_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_server_url, future=True)
    with admin.begin() as connection:
        connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    url = make_url(postgres_server_url).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(sa.text("SET LOCAL lock_timeout = '10s'"))
            connection.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    """URL of a fresh SQLite file in the test's temporary directory."""
    return f"sqlite:///{tmp_path / 'tickets.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """Each test using this runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue({"sqlite": "sqlite_url", "postgresql": "postgres_url"}[request.param])


@pytest.fixture
def store(database_url: str) -> Iterator[TicketStore]:
    """A store on the parametrised database; its connections are closed after the test."""
    ticket_store = open_store(database_url)
    yield ticket_store
    ticket_store.database.reader.dispose()


@pytest.fixture
def sqlite_store(sqlite_url: str) -> Iterator[TicketStore]:
    """A store on a fresh SQLite file (for tests that do not depend on the backend)."""
    ticket_store = open_store(sqlite_url)
    yield ticket_store
    ticket_store.database.reader.dispose()


@pytest.fixture
def telegram_api() -> Iterator[FakeTelegram]:
    """A fake Telegram Bot API on a random local port."""
    server = FakeTelegram()
    yield server
    server.close()


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    """A local webhook endpoint verifying the HMAC signature."""
    server = WebhookReceiver()
    yield server
    server.close()
