"""A throwaway PostgreSQL cluster (Debian's server binaries), reachable only by Unix socket.

Each test gets its own database, copied from a template that is migrated and seeded once.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest


def _binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


def _as_server_user(command: list[str]) -> list[str]:
    # PostgreSQL refuses to run as root; CI and this machine run tests as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *command]
    return command


def _run(command: list[str]) -> None:
    result = subprocess.run(_as_server_user(command), capture_output=True, text=True)
    if result.returncode != 0:
        pytest.fail(f"{Path(command[0]).name} failed: {result.stderr.strip() or result.stdout.strip()}")


@pytest.fixture(scope="session")
def postgres_socket() -> Iterator[Path]:
    binaries = _binaries()
    if binaries is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing: `make test` installs Debian's postgresql")
        pytest.skip("PostgreSQL is not installed (run `make system-deps`)")
    # Not under pytest's temporary directory: that is private to root, and the server runs as postgres.
    root = Path(tempfile.mkdtemp(prefix="matchmaker-pg-"))
    data, socket = root / "data", root / "socket"
    socket.mkdir()
    if os.geteuid() == 0:
        for path in (root, socket):
            shutil.chown(path, "postgres")
    try:
        _run([str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
              "--locale=C.UTF-8"])
        _run([str(binaries / "pg_ctl"), "-D", str(data), "-w", "-l", str(root / "log"), "-o",
              f"-c listen_addresses='' -k {socket} -c fsync=off -c full_page_writes=off", "start"])
        yield socket
    finally:
        subprocess.run(_as_server_user([str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(root, ignore_errors=True)


def _url(socket: Path, database: str) -> str:
    return f"postgresql+psycopg://postgres@/{database}?host={socket}"


def _admin(socket: Path, statement: str) -> None:
    import psycopg

    with psycopg.connect(host=str(socket), user="postgres", dbname="postgres", autocommit=True) as connection:
        connection.execute(statement)


@pytest.fixture(scope="session")
def postgres_template(postgres_socket: Path) -> str:
    from sqlalchemy.orm import Session

    from matchmaker.db import make_engine
    from matchmaker.migrate import upgrade_database
    from seed import load_demo, load_demo_projects, load_reference
    from tests.conftest import fast_hash

    _admin(postgres_socket, "CREATE DATABASE demo_template")
    engine = make_engine(_url(postgres_socket, "demo_template"))
    upgrade_database(engine)
    with Session(engine) as session:
        load_reference(session)
        load_demo(session, hash_password=fast_hash)
        load_demo_projects(session)
        session.commit()
    engine.dispose()
    return "demo_template"


@pytest.fixture
def postgres_url(postgres_socket: Path, postgres_template: str) -> Iterator[str]:
    name = f"test_{uuid.uuid4().hex[:12]}"
    _admin(postgres_socket, f"CREATE DATABASE {name} TEMPLATE {postgres_template}")
    yield _url(postgres_socket, name)
    _admin(postgres_socket, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def empty_postgres_url(postgres_socket: Path) -> Iterator[str]:
    name = f"empty_{uuid.uuid4().hex[:12]}"
    _admin(postgres_socket, f"CREATE DATABASE {name}")
    yield _url(postgres_socket, name)
    _admin(postgres_socket, f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def pg_app(postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    from matchmaker import create_app

    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": postgres_url, "SECRET_KEY": "pg", "WTF_CSRF_ENABLED": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "JOBS": "inline"})
    yield app
    from sqlalchemy.orm import close_all_sessions

    close_all_sessions()  # return every connection before the database is dropped
    app.extensions["sqlalchemy_engine"].dispose()
