"""Backup and restore of the database; the engine state is rebuilt, never backed up.

SQLite: the online backup API copies a consistent snapshot, including what is still in the WAL,
while the app keeps serving. PostgreSQL: `pg_dump` in its custom format (one consistent
snapshot), restored with `pg_restore --clean --single-transaction` (all or nothing).

Mail waiting in a backup is not sent again after a restore (it may have gone out after the
backup was taken). A restore gives the database a new identity (models/feed.py): every running worker then drops
the engine it holds, which knows records the restored database may not have, and loads the state
that the restore rebuilds before it returns.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from pathlib import Path

from flask import Flask
from sqlalchemy import Engine, update
from sqlalchemy.engine import make_url

from models import FeedHead, OutboxEmail, new_database_id

from .db import session_scope
from .migrate import upgrade_database


class BackupError(Exception):
    """One line for the operator: what went wrong, nothing changed."""


def backup(engine: Engine, target: Path) -> None:
    """Write a consistent copy of the database to `target` (replaced atomically)."""
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.partial")
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_copy(_sqlite_path(engine), staging)
        elif engine.dialect.name == "postgresql":
            _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={staging}",
                  f"--dbname={_libpq_uri(engine)}"])
        else:
            raise BackupError(f"no backup method for {engine.dialect.name}")
        staging.replace(target)
    finally:
        staging.unlink(missing_ok=True)


def restore(app: Flask, source: Path) -> int:
    """Replace the database with a backup, migrate it, give it a new identity, rebuild the engine.

    Mail that was waiting in the backup may have gone out after the backup was taken: it is
    marked failed rather than sent again. Returns how many such mails there were.
    """
    engine: Engine = app.extensions["sqlalchemy_engine"]
    if not source.is_file():
        raise BackupError(f"{source}: no such file")
    if engine.dialect.name == "sqlite":
        _check_sqlite_backup(source)
        engine.dispose()  # this process's pooled connections must not hold the old pages
        _sqlite_copy(source, _sqlite_path(engine))
    elif engine.dialect.name == "postgresql":
        engine.dispose()
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner", "--single-transaction",
              "--exit-on-error", f"--dbname={_libpq_uri(engine)}", str(source)])
    else:
        raise BackupError(f"no restore method for {engine.dialect.name}")
    upgrade_database(engine)  # a backup from an older release gets today's schema
    with session_scope(app) as session:
        session.execute(update(FeedHead).values(database_id=new_database_id()))
        held_back = session.scalars(
            update(OutboxEmail).where(OutboxEmail.status.in_(("pending", "claimed")))
            .values(status="failed", last_error="restored from a backup: may have been sent already; not retried")
            .returning(OutboxEmail.id)).all()
    from .matching import match_service, reading_session

    with app.app_context(), reading_session(app) as session:
        match_service().rebuild(session)
    return len(held_back)


# -- SQLite -----------------------------------------------------------------------------------
def _sqlite_path(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("an in-memory database cannot be backed up")
    return Path(database)


def _sqlite_copy(source: Path, target: Path) -> None:
    """Page-by-page copy through SQLite itself: consistent, and it sees committed WAL frames."""
    with sqlite3.connect(source, timeout=30) as reader, sqlite3.connect(target, timeout=30) as writer:
        reader.backup(writer)
    with sqlite3.connect(target) as check:
        check.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _check_sqlite_backup(source: Path) -> None:
    try:
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as connection:
            result = connection.execute("PRAGMA integrity_check").fetchone()[0]
            tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.DatabaseError as error:
        raise BackupError(f"{source}: not a SQLite database ({error})") from None
    if result != "ok":
        raise BackupError(f"{source}: damaged ({result})")
    if not {"alembic_version", "challenges", "technologies"} <= tables:
        raise BackupError(f"{source}: not a matchmaker database")


# -- PostgreSQL -------------------------------------------------------------------------------
def _pg_tool(name: str) -> str:
    """The newest server-version tool (Debian keeps them per version); PATH as a fallback."""
    configured = os.environ.get("MATCHMAKER_PG_BIN")
    candidates = [str(Path(configured) / name)] if configured else []
    candidates += sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=_version, reverse=True)
    candidates += [found] if (found := shutil.which(name)) else []
    for candidate in candidates:
        if os.access(candidate, os.X_OK):
            return candidate
    raise BackupError(f"{name} not found: install Debian's postgresql-client or set MATCHMAKER_PG_BIN")


def _version(path: str) -> int:
    try:
        return int(Path(path).parts[-3])
    except (ValueError, IndexError):
        return 0


def _libpq_uri(engine: Engine) -> str:
    return make_url(engine.url).set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        message = (result.stderr or result.stdout).strip().splitlines()
        raise BackupError(f"{Path(command[0]).name} failed: {message[-1] if message else result.returncode}")
