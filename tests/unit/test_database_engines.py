"""The engines of ``bot.tickets.database.create_engine_for`` are safe across a fork (Sanic forks its workers
after the stores are built): a child drops the connections it inherited and opens its own, on SQLite and
PostgreSQL, and the parent keeps using its own."""
from __future__ import annotations

import multiprocessing
from pathlib import Path

import sqlalchemy as sa

from bot.tickets.database import create_engine_for


def _child_query(engine: sa.engine.Engine, results: "multiprocessing.Queue") -> None:
    inherited = engine.pool.checkedin()
    with engine.connect() as connection:
        results.put((inherited, connection.execute(sa.text("SELECT 1")).scalar()))
    engine.dispose()


def _check(url: str) -> None:
    engine = create_engine_for(url)
    with engine.connect() as connection:        # the parent now holds a pooled connection
        connection.execute(sa.text("SELECT 1"))
    assert engine.pool.checkedin() == 1
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    child = context.Process(target=_child_query, args=(engine, results))
    child.start()
    inherited, answer = results.get(timeout=60)
    child.join(timeout=60)
    assert (inherited, answer, child.exitcode) == (0, 1, 0)   # nothing inherited in the pool; its own works
    with engine.connect() as connection:        # the parent's connection was not disturbed
        assert connection.execute(sa.text("SELECT 2")).scalar() == 2
    engine.dispose()


def test_a_forked_child_opens_its_own_sqlite_connections(tmp_path: Path):
    _check(f"sqlite:///{tmp_path / 'fork.db'}")


def test_a_forked_child_opens_its_own_postgresql_connections(postgres_url: str):
    _check(postgres_url)
