"""Sign-in throttling on PostgreSQL, where thirty guesses really arrive at once."""

from __future__ import annotations

from tests.matchmaker import throttling


def test_simultaneous_wrong_passwords_evaluate_no_more_than_the_limit_on_postgres(pg_app, monkeypatch) -> None:
    throttling.simultaneous_wrong_passwords(pg_app, monkeypatch)
