"""Alembic environment: the URL and connection come from matchmaker, never from alembic.ini."""

from __future__ import annotations

from alembic import context

from models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        from matchmaker.db import make_engine

        url = config.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no database: pass a connection (matchmaker.migrate) or set sqlalchemy.url")
        engine = make_engine(url)
        with engine.connect() as connection:
            _run(connection)
        return
    _run(connection)


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,  # SQLite cannot ALTER most things in place
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations_online()
