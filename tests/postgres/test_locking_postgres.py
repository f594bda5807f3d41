"""Optimistic locking on PostgreSQL, where writers really run at the same time."""

from __future__ import annotations

import pytest

from tests.matchmaker import locking


@pytest.mark.parametrize("version", [None, "abc", str(2**31)])
def test_a_challenge_edit_without_a_usable_version_is_a_conflict_on_postgres(pg_app, version) -> None:
    locking.stale_edit_with_unreadable_version(pg_app, version)


def test_a_move_without_a_usable_version_keeps_the_plan_on_postgres(pg_app) -> None:
    locking.move_with_unreadable_version(pg_app, None)


def test_status_changes_without_a_usable_version_are_conflicts_on_postgres(pg_app) -> None:
    locking.status_and_retire_with_unreadable_version(pg_app, "abc")


def test_the_loser_of_simultaneous_edits_keeps_what_they_typed_on_postgres(pg_app, monkeypatch) -> None:
    locking.simultaneous_edits(pg_app, monkeypatch)


def test_simultaneous_applications_with_one_name_never_fail_on_postgres(pg_app) -> None:
    statuses = locking.simultaneous_joins(pg_app)

    assert sorted(statuses) == [200] + [409] * 9
