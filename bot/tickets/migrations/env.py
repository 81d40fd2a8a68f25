"""Alembic environment: migrate the connection the application passes in (``bot.tickets.migrations``),
or, from the ``alembic`` command line, the ticket database (``TICKETS_DB_URL`` / ``DATABASE_URL``)."""
from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from bot.tickets.schema import metadata


def migrate(connection: Connection) -> None:
    """Run the pending revisions on ``connection`` (inside its transaction when it has one)."""
    context.configure(connection=connection, target_metadata=metadata, compare_type=True,
                      render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run() -> None:
    if context.is_offline_mode():
        raise SystemExit("offline (--sql) migrations are not supported: the first revision inspects the database")
    connection = context.config.attributes.get("connection")
    if connection is not None:
        migrate(connection)
        return
    from bot.tickets.database import create_engine_for, resolve_url
    from bot.tickets.migrations import exclusive_transaction

    engine = create_engine_for(context.config.get_main_option("sqlalchemy.url") or resolve_url())
    try:
        with exclusive_transaction(engine) as connection:
            migrate(connection)
    finally:
        engine.dispose()


run()
