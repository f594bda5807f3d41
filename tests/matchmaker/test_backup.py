"""`matchmaker backup` and `matchmaker restore`: a round trip under concurrent writes, then correct rankings."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Self

import pytest
from flask import Flask
from sqlalchemy import insert, select

from matchmaker import jobs
from matchmaker.matching import (
    challenge_doc,
    match_service,
    matchable_challenges,
    matchable_technologies,
    technology_doc,
)
from models import Challenge, Organization, OutboxEmail, Technology, utcnow
from scoring import MatchEngine
from tests import factories

from .web import login


class Writer:
    """Saves technologies one after another and remembers which saves were acknowledged."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.acknowledged: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def wait_for(self, count: int) -> None:
        while len(self.acknowledged) < count and self._thread.is_alive():
            self._stop.wait(0.01)

    def _run(self) -> None:
        number = 0
        while not self._stop.is_set():
            number += 1
            with self.app.extensions["sqlalchemy_write_sessionmaker"]() as session:
                naniwa = session.scalar(select(Organization).where(Organization.name == "なにわモビリティ株式会社"))
                technology = factories.make_technology(session, naniwa, title=f"同時書き込みの技術{number}",
                                                       description=f"ニュータウンの坂道を走る乗合タクシー{number}号")
                session.commit()
                self.acknowledged.append(technology.id)


def _cli(app: Flask, *args: str) -> None:
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output


def _ids(app: Flask) -> set[int]:
    with app.extensions["sqlalchemy_sessionmaker"]() as session:
        return set(session.scalars(select(Technology.id)))


def _rankings(app: Flask) -> dict[int, list[int]]:
    with app.app_context(), app.extensions["sqlalchemy_sessionmaker"]() as session:
        challenge_ids = [c.id for c in matchable_challenges(session)]
        ranked = match_service().technologies_for_many(session, challenge_ids)
    return {cid: [r.technology_id for r in ranked[cid]] for cid in challenge_ids}


def _fresh_rankings(app: Flask) -> dict[int, list[int]]:
    """What a brand-new fit on the database ranks: the reference for 'correct'."""
    with app.extensions["sqlalchemy_sessionmaker"]() as session:
        challenges = matchable_challenges(session)
        engine = MatchEngine(top_k=app.config["MATCH_TOP_K"]).fit(
            [challenge_doc(c) for c in challenges], [technology_doc(t) for t in matchable_technologies(session)])
    return {c.id: [int(m.id) for m in engine.technologies_for(str(c.id))] for c in challenges}


def round_trip(app: Flask, backup_path: Path) -> None:
    """Backup while a writer saves, more saves, restore; then the running worker must rank as a fresh fit."""
    _cli(app, "rescore")
    officer = login(app.test_client(), "officer")
    with app.extensions["sqlalchemy_sessionmaker"]() as session:
        slope = session.scalar(select(Challenge.id).where(Challenge.title.like("ニュータウンの坂道%")))
    with Writer(app) as writer:
        writer.wait_for(5)
        acknowledged_before = list(writer.acknowledged)
        _cli(app, "backup", str(backup_path))
        writer.wait_for(len(writer.acknowledged) + 5)
    written_after = [i for i in writer.acknowledged if i not in acknowledged_before]
    assert officer.get(f"/challenges/{slope}").status_code == 200  # this worker's engine knows every save

    _cli(app, "restore", "--yes", str(backup_path))
    restored = _ids(app)
    pages = {cid: officer.get(f"/challenges/{cid}") for cid in _rankings(app)}
    rankings, reference = _rankings(app), _fresh_rankings(app)
    with app.extensions["sqlalchemy_write_sessionmaker"]() as session:  # a change after the restore
        naniwa = session.scalar(select(Organization).where(Organization.name == "なにわモビリティ株式会社"))
        newcomer = factories.make_technology(session, naniwa, title="復元後の坂道シャトル",
                                             description="ニュータウンの坂道と路線バス縮小に応える自動運転シャトル")
        session.commit()
    after_restore = officer.get(f"/challenges/{slope}").text

    assert set(acknowledged_before) <= restored  # every save acknowledged before the backup is in it
    assert not set(written_after) <= restored  # the backup is not a copy of the end state
    assert {p.status_code for p in pages.values()} == {200}
    assert rankings == reference
    assert all(set(ranked) <= restored for ranked in rankings.values())  # nothing deleted is ranked
    assert f"/technologies/{newcomer.id}\"" in after_restore  # new changes are replayed again


@pytest.mark.sqlite
def test_backup_and_restore_round_trip_on_sqlite(demo_app, tmp_path) -> None:
    round_trip(demo_app, tmp_path / "backups" / "matchmaker.sqlite3")

    with sqlite3.connect(tmp_path / "backups" / "matchmaker.sqlite3") as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@pytest.mark.sqlite
def test_a_backup_includes_what_is_still_in_the_wal(demo_app, tmp_path) -> None:
    database = Path(demo_app.extensions["sqlalchemy_engine"].url.database)
    keep_open = sqlite3.connect(database)  # an open reader keeps the WAL from being checkpointed away
    keep_open.execute("BEGIN").execute("SELECT count(*) FROM challenges").fetchone()
    with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        session.scalar(select(Challenge).limit(1)).title = "WALにだけある変更"
        session.commit()
    wal_size = Path(f"{database}-wal").stat().st_size

    _cli(demo_app, "backup", str(tmp_path / "copy.sqlite3"))
    keep_open.close()

    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        titles = {row[0] for row in copy.execute("SELECT title FROM challenges")}
    assert wal_size > 0
    assert "WALにだけある変更" in titles


def test_mail_waiting_in_a_backup_is_not_sent_again_after_a_restore(demo_app, tmp_path) -> None:
    with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:  # queued, not yet delivered
        session.execute(insert(OutboxEmail).values(recipient="a@example.jp", subject="s", body="b", status="pending",
                                                   attempts=0, last_error="", created_at=utcnow()))
        session.commit()
    _cli(demo_app, "backup", str(tmp_path / "copy.sqlite3"))
    jobs.sweep(demo_app)  # delivered after the backup was taken

    result = demo_app.test_cli_runner().invoke(args=["restore", "--yes", str(tmp_path / "copy.sqlite3")])
    jobs.sweep(demo_app)

    with demo_app.extensions["sqlalchemy_sessionmaker"]() as session:
        rows = list(session.scalars(select(OutboxEmail).where(OutboxEmail.status != "withheld")))
    assert "1 mail(s) waiting in the backup were marked failed" in result.output
    assert [(r.status, r.sent_at) for r in rows] == [("failed", None)]
    assert len(list((Path(demo_app.instance_path) / "outbox").glob("*.eml"))) == 1  # sent once, before the restore


@pytest.mark.sqlite
def test_restore_refuses_a_file_that_is_not_a_backup_and_changes_nothing(demo_app, tmp_path) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"not a database at all" * 100)
    before = _ids(demo_app)

    result = demo_app.test_cli_runner().invoke(args=["restore", "--yes", str(junk)])
    missing = demo_app.test_cli_runner().invoke(args=["restore", "--yes", str(tmp_path / "nothing.sqlite3")])

    assert (result.exit_code, missing.exit_code) == (2, 2)
    assert "not a SQLite database" in result.output and "no such file" in missing.output
    assert "Traceback" not in result.output + missing.output
    assert _ids(demo_app) == before
