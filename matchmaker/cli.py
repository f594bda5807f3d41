"""The `matchmaker` command: thin wrappers over the same actions the views call."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from flask_babel import force_locale

from models import Role

from .db import session_scope
from .domain.errors import DomainError


class CommandError(click.ClickException):
    """One line on stderr and exit code 2, never a traceback."""

    exit_code = 2


def domain_errors_as_command_errors(command: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except DomainError as error:
            with force_locale("en"):
                details = "; ".join(
                    f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in error.field_errors.items()
                )
                raise CommandError(details or str(error.message)) from None

    return wrapper


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    from .migrate import upgrade_database

    upgrade_database(current_app.extensions["sqlalchemy_engine"])
    click.echo("database is at the latest migration")


@click.command("seed")
@click.option("--reference-only", is_flag=True, help="Only municipalities and fields, no demo data.")
@with_appcontext
def seed_command(reference_only: bool) -> None:
    """Load reference data and demo data. Safe to run again: existing records are kept."""
    from seed import load_demo, load_demo_projects, load_reference

    from .actions.accounts import hash_password

    with session_scope(current_app) as session:
        created = load_reference(session)
        if not reference_only:
            created.update(load_demo(session, hash_password=hash_password))
            created.update(load_demo_projects(session))
    summary = ", ".join(f"{count} {name}" for name, count in sorted(created.items())) or "nothing new"
    click.echo(f"seeded: {summary}")


@click.command("create-user")
@click.option("--email", required=True)
@click.option("--role", required=True, help=", ".join(r.value for r in Role))
@click.option("--name", "display_name", required=True, help="Display name.")
@click.option("--municipality", help="Code or name (municipal officers).")
@click.option("--organization", help="Organization name (company members).")
@click.option("--field", "field_keys", multiple=True, help="Field key a coordinator covers (repeatable).")
@click.password_option(help="Prompted for when omitted.")
@with_appcontext
@domain_errors_as_command_errors
def create_user_command(email: str, role: str, display_name: str, municipality: str | None,
                        organization: str | None, field_keys: tuple[str, ...], password: str) -> None:
    """Create an account (the system acts, so no permission check)."""
    from .actions.accounts import create_user

    with session_scope(current_app) as session:
        user = create_user(
            session, actor=None, email=email, password=password, display_name=display_name, role=role,
            municipality=municipality, organization=organization, field_keys=field_keys,
        )
        click.echo(f"created user {user.id}: {user.email} ({user.role.value})")


@click.command("rank")
@click.option("--challenges", "challenges_path", required=True, type=click.Path(path_type=Path),
              help="JSON Lines (or .csv) of challenges.")
@click.option("--technologies", "technologies_path", required=True, type=click.Path(path_type=Path),
              help="JSON Lines (or .csv) of technologies.")
@click.option("--top", default=10, show_default=True, type=click.IntRange(1, 1000), help="Matches per challenge.")
@click.option("--format", "output_format", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False), help="Write here instead of stdout.")
def rank_command(challenges_path: Path, technologies_path: Path, top: int, output_format: str,
                 output: Path | None) -> None:
    """Rank technologies for each challenge from files. Needs no database and no configuration."""
    from models import FIELD_KEYS
    from scoring.batch import RecordError, rank, rank_jsonl, read_challenges, read_technologies, write_csv
    from seed import municipality_regions

    regions = municipality_regions()
    try:
        challenges = read_challenges(challenges_path, known_fields=set(FIELD_KEYS), region_of=regions.get)
        technologies = read_technologies(technologies_path, known_fields=set(FIELD_KEYS), region_of=regions.get)
    except RecordError as error:
        raise CommandError(str(error)) from None
    def write(out: TextIO) -> None:
        if output_format == "csv":
            write_csv(rank(challenges, technologies, top), out)
        else:
            out.writelines(rank_jsonl(challenges, technologies, top))  # lines encoded in the workers

    if output is None:
        write(sys.stdout)
        return
    with output.open("w", encoding="utf-8", newline="") as handle:
        write(handle)


@click.command("rescore")
@click.option("--if-missing", is_flag=True, help="Only when no engine state for this database has been saved yet.")
@with_appcontext
def rescore_command(if_missing: bool) -> None:
    """Refit the matching engine on the database and save its state (run as a job, e.g. nightly)."""
    from .matching import match_service, reading_session

    service = match_service()
    with reading_session(current_app) as session:
        if if_missing and service.saved_state_is_valid(session):
            click.echo("engine state for this database exists; nothing to do")
            return
        engine = service.rebuild(session)
    if engine is None:
        click.echo("no open issue or no technology yet: nothing to fit (workers queue a refit once there are both)")
        return
    click.echo(f"engine fitted: {len(engine.live_challenges())} open challenges, "
               f"{len(engine.live_technologies())} technologies, {len(engine.word_vectorizer_.vocabulary_)} terms")


@click.command("backup")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@with_appcontext
def backup_command(path: Path) -> None:
    """Write a consistent copy of the database to PATH while the app keeps running."""
    from .backup import BackupError, backup

    try:
        backup(current_app.extensions["sqlalchemy_engine"], path)
    except BackupError as error:
        raise CommandError(str(error)) from None
    click.echo(f"backup written to {path}")


@click.command("restore")
@click.argument("path", type=click.Path(path_type=Path, dir_okay=False))
@click.confirmation_option(prompt="Replace the whole database with this backup?")
@with_appcontext
def restore_command(path: Path) -> None:
    """Replace the database with a backup made by `matchmaker backup`, and rebuild the engine state."""
    from .backup import BackupError, restore

    try:
        held_back = restore(current_app._get_current_object(), path)  # type: ignore[attr-defined]
    except BackupError as error:
        raise CommandError(str(error)) from None
    click.echo(f"database restored from {path}; engine state rebuilt")
    if held_back:
        click.echo(f"{held_back} mail(s) waiting in the backup were marked failed: they may have been sent already")


def init_app(app: Flask) -> None:
    for command in (init_db_command, seed_command, create_user_command, rescore_command, backup_command,
                    restore_command):
        app.cli.add_command(command)


def _create_app_for_cli() -> Flask:
    from . import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app_for_cli, add_version_option=False)
def main() -> None:
    """matchmaker: partner matching for OSPF and GovTech Osaka."""


# The batch contract must run without an app, a database or configuration.
main.add_command(rank_command)
