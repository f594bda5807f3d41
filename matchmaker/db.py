"""Engine and per-request session handling.

SQLite is the default single-process store; PostgreSQL is production. Under SQLite every
transaction starts with BEGIN IMMEDIATE so that a read-then-write request waits for the write
lock (busy timeout) instead of failing at once with "database is locked".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 15_000
WRITE_INTENT = "matchmaker_write_intent"
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        _configure_sqlite(engine)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        # Let SQLAlchemy, not pysqlite, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:  # type: ignore[no-untyped-def]
        immediate = connection.get_execution_options().get(WRITE_INTENT, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def init_app(app: Flask) -> None:
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions["sqlalchemy_engine"] = engine
    app.extensions["sqlalchemy_sessionmaker"] = sessionmaker(engine, expire_on_commit=False)
    app.extensions["sqlalchemy_write_sessionmaker"] = sessionmaker(
        engine.execution_options(**{WRITE_INTENT: True}), expire_on_commit=False
    )
    app.teardown_appcontext(_close_session)


def get_engine() -> Engine:
    return current_app.extensions["sqlalchemy_engine"]


def get_session() -> Session:
    """The session of the current app context, created on first use."""
    if "db_session" not in g:
        writes = has_request_context() and request.method not in _READ_METHODS
        factory = "sqlalchemy_write_sessionmaker" if writes else "sqlalchemy_sessionmaker"
        g.db_session = current_app.extensions[factory]()
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()


@contextmanager
def session_scope(app: Flask) -> Iterator[Session]:
    """A session outside any request (CLI, jobs): commits on success, rolls back on error."""
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def database_status() -> dict[str, str]:
    try:
        with get_engine().connect() as connection:
            connection.execute(text("SELECT 1"))
        return {"database": "ok"}
    except Exception as exc:  # noqa: BLE001 - health checks report, never raise
        return {"database": "error", "detail": type(exc).__name__}
