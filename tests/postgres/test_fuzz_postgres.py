"""Every route and form, by every role, with hostile values: never a 5xx (PostgreSQL)."""

from __future__ import annotations

from tests.matchmaker import fuzz


def test_hostile_requests_never_get_a_5xx_on_postgres(pg_app) -> None:
    fuzz.run(pg_app, examples=150)


def test_hostile_workflow_moves_never_get_a_5xx_on_postgres(pg_app) -> None:
    fuzz.run_moves(pg_app, examples=100)
