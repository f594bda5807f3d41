"""Shared fixtures: a migrated SQLite database per test, copied from a template built once."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from matchmaker import create_app
from matchmaker.db import make_engine
from matchmaker.migrate import upgrade_database
from seed import load_demo, load_demo_projects, load_reference

# Tests do not need a strong KDF cost; production uses Werkzeug's scrypt default.
FAST_HASH = "pbkdf2:sha256:1000"


def fast_hash(password: str) -> str:
    return generate_password_hash(password, method=FAST_HASH)


def _build_template(path: Path, *, demo: bool) -> Path:
    engine = make_engine(f"sqlite:///{path}")
    upgrade_database(engine)
    with Session(engine) as session:
        load_reference(session)
        if demo:
            load_demo(session, hash_password=fast_hash)
            load_demo_projects(session)
        session.commit()
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def reference_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_template(tmp_path_factory.mktemp("reference") / "db.sqlite3", demo=False)


@pytest.fixture(scope="session")
def demo_db_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build_template(tmp_path_factory.mktemp("demo") / "db.sqlite3", demo=True)


def _make_app(tmp_path: Path, template: Path, monkeypatch: pytest.MonkeyPatch, **overrides: object) -> Flask:
    database = tmp_path / "db.sqlite3"
    shutil.copy(template, database)
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "instance"))
    config = {
        "TESTING": True,
        "DATABASE_URL": f"sqlite:///{database}",
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "PASSWORD_HASH_METHOD": FAST_HASH,
        "JOBS": "inline",  # jobs run at once in the caller; tests of the worker choose another backend
    }
    config.update(overrides)
    return create_app(config)


@pytest.fixture
def app(tmp_path: Path, reference_db_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    application = _make_app(tmp_path, reference_db_template, monkeypatch)
    yield application
    application.extensions["sqlalchemy_engine"].dispose()


@pytest.fixture
def demo_app(tmp_path: Path, demo_db_template: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    application = _make_app(tmp_path, demo_db_template, monkeypatch)
    yield application
    application.extensions["sqlalchemy_engine"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    yield session
    session.close()
