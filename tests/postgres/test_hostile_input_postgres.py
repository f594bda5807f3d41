"""The bad-input catalogue on PostgreSQL, which refuses NUL and ids past 2^31 - 1 itself."""

from __future__ import annotations

from tests.matchmaker.hostile import run_catalogue


def test_the_bad_input_catalogue_gets_4xx_on_postgres(pg_app) -> None:
    assert run_catalogue(pg_app) == []
