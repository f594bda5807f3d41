"""PostgreSQL-only tests, whatever backend the rest of the suite runs on.

They share the session's throwaway cluster (tests/conftest.py `postgres_socket`); each test gets its
own database, copied from the demo template.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from matchmaker import create_app
from tests.conftest import app_config, dispose
from tests.databases import PostgresDatabases


@pytest.fixture(scope="session")
def postgres_databases(postgres_socket: Path) -> PostgresDatabases:
    return PostgresDatabases(postgres_socket)


@pytest.fixture
def postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    url = postgres_databases.create("demo")
    yield url
    postgres_databases.drop(url)


@pytest.fixture
def empty_postgres_url(postgres_databases: PostgresDatabases) -> Iterator[str]:
    url = postgres_databases.create_empty()
    yield url
    postgres_databases.drop(url)


@pytest.fixture
def pg_app(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app(app_config(postgres_url, SECRET_KEY="pg"))
    yield app
    dispose(app)
