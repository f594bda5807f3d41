"""Shared fixtures: a migrated database per test, copied from a template built once per session.

The backend is SQLite unless `--db=postgres` or MATCHMAKER_TEST_DB=postgres is given; every test
that uses these fixtures (`app`, `demo_app`, `db_session`, `database_url`, `demo_database_url`)
then runs on a throwaway PostgreSQL cluster (see tests/databases.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, close_all_sessions

from matchmaker import create_app
from tests.databases import (
    BACKENDS,
    FAST_HASH,
    Databases,
    PostgresDatabases,
    SqliteDatabases,
    build,
    fast_hash,
    postgres_binaries,
    postgres_cluster,
)

__all__ = ["FAST_HASH", "fast_hash"]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--db", choices=BACKENDS, default=None,
                     help="database backend for the shared fixtures (default: $MATCHMAKER_TEST_DB or sqlite)")


def _backend(config: pytest.Config) -> str:
    chosen = config.getoption("--db") or os.environ.get("MATCHMAKER_TEST_DB", "sqlite")
    if chosen not in BACKENDS:
        raise pytest.UsageError(f"MATCHMAKER_TEST_DB must be one of {', '.join(BACKENDS)}, not {chosen!r}")
    return chosen


def pytest_report_header(config: pytest.Config) -> str:
    return f"database backend: {_backend(config)}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark what needs PostgreSQL whatever the backend; on PostgreSQL, run only what touches a database
    (and is not marked `sqlite`: a test about SQLite's own files).

    `make test` runs `--db=sqlite -m "not postgres"` and then `--db=postgres`: every test once on
    SQLite, every test that uses a database once more on PostgreSQL, the PostgreSQL-only tests once.
    """
    on_postgres = _backend(config) == "postgres"
    kept, deselected = [], []
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "postgres_socket" in fixtures or (on_postgres and "databases" in fixtures):
            item.add_marker(pytest.mark.postgres)
        if on_postgres and (not fixtures & {"databases", "postgres_socket"} or item.get_closest_marker("sqlite")):
            deselected.append(item)
        else:
            kept.append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.fixture(scope="session")
def database_backend(request: pytest.FixtureRequest) -> str:
    return _backend(request.config)


@pytest.fixture(scope="session")
def postgres_socket(database_backend: str) -> Iterator[Path]:
    """One throwaway cluster per test session (per xdist worker), stopped and deleted at the end."""
    binaries = postgres_binaries()
    if binaries is None:
        if os.environ.get("CI") or database_backend == "postgres":
            pytest.fail("PostgreSQL server binaries are missing: `make test` installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (run `make system-deps`)")
    with postgres_cluster(binaries) as socket:
        yield socket


@pytest.fixture(scope="session")
def databases(request: pytest.FixtureRequest, database_backend: str,
              tmp_path_factory: pytest.TempPathFactory) -> Databases:
    if database_backend == "postgres":
        return PostgresDatabases(request.getfixturevalue("postgres_socket"))
    return SqliteDatabases(tmp_path_factory.mktemp("templates"))


@pytest.fixture
def database_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the reference data (fields, municipalities)."""
    url = databases.create("reference", tmp_path)
    yield url
    databases.drop(url)


@pytest.fixture
def demo_database_url(databases: Databases, tmp_path: Path) -> Iterator[str]:
    """A fresh database with the demo data (accounts, catalogue, projects)."""
    url = databases.create("demo", tmp_path)
    yield url
    databases.drop(url)


# SQLite files for tests that need a file whatever the backend (e.g. copying it around).
@pytest.fixture(scope="session")
def reference_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reference") / "db.sqlite3"
    build(f"sqlite:///{path}", "reference")
    return path


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "db.sqlite3"
    build(f"sqlite:///{path}", "demo")
    return path


def app_config(database_url: str, **overrides: object) -> dict[str, object]:
    config: dict[str, object] = {
        "TESTING": True,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "JOBS": "inline",  # jobs run at once in the caller; tests of the worker choose another backend
    }
    config.update(overrides)
    return config


def _make_app(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch, **overrides: object) -> Flask:
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "instance"))
    return create_app(app_config(database_url, **overrides))


def dispose(app: Flask) -> None:
    """Close every session and pooled connection of the app before its database is dropped.

    (Dropping a PostgreSQL database with connections still open leaves client objects that are
    only found by the garbage collector, as a ResourceWarning in some later test.)
    """
    close_all_sessions()
    app.extensions["sqlalchemy_engine"].dispose()


@pytest.fixture
def app(tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    application = _make_app(tmp_path, database_url, monkeypatch)
    yield application
    dispose(application)


@pytest.fixture
def demo_app(tmp_path: Path, demo_database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    application = _make_app(tmp_path, demo_database_url, monkeypatch)
    yield application
    dispose(application)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    yield session
    session.close()
