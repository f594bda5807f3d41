"""`matchmaker backup` / `restore` on PostgreSQL (pg_dump, pg_restore) under concurrent writes."""

from __future__ import annotations

from tests.matchmaker.test_backup import round_trip


def test_backup_and_restore_round_trip_on_postgres(pg_app, tmp_path) -> None:
    round_trip(pg_app, tmp_path / "matchmaker.dump")

    assert (tmp_path / "matchmaker.dump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
