"""Optimistic locking cannot be skipped: a form must say which version it was based on."""

from __future__ import annotations

import pytest

from . import locking


@pytest.mark.parametrize("version", locking.UNREADABLE_VERSIONS.values(), ids=locking.UNREADABLE_VERSIONS.keys())
def test_a_challenge_edit_without_a_usable_version_is_a_conflict(demo_app, version) -> None:
    locking.stale_edit_with_unreadable_version(demo_app, version)


@pytest.mark.parametrize("version", [None, "abc"])
def test_a_technology_edit_without_a_usable_version_is_a_conflict(demo_app, version) -> None:
    locking.technology_edit_with_unreadable_version(demo_app, version)


@pytest.mark.parametrize("version", [None, "abc"])
def test_status_changes_without_a_usable_version_are_conflicts(demo_app, version) -> None:
    locking.status_and_retire_with_unreadable_version(demo_app, version)


@pytest.mark.parametrize("version", [None, "abc"])
def test_a_move_without_a_usable_version_keeps_the_plan(demo_app, version) -> None:
    locking.move_with_unreadable_version(demo_app, version)


def test_the_loser_of_simultaneous_edits_keeps_what_they_typed(demo_app, monkeypatch) -> None:
    locking.simultaneous_edits(demo_app, monkeypatch)


def test_simultaneous_applications_with_one_name_never_fail(demo_app) -> None:
    statuses = locking.simultaneous_joins(demo_app)

    assert sorted(statuses) == [200] + [409] * 9
