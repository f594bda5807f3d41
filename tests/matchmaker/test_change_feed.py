"""The change feed and the engine sync on SQLite: seeding feeds it, state is tied to the database."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import select

from matchmaker import create_app
from matchmaker.matching import match_service
from models import Challenge, FeedEntry, FeedHead, Technology
from seed import load_demo, load_demo_projects
from tests import factories
from tests.conftest import fast_hash

from .web import login, technology_form


def _database_file(app) -> Path:
    return Path(app.extensions["sqlalchemy_engine"].url.database)


def _refit(app) -> None:
    with app.app_context(), app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        match_service().rebuild(session)


def _snapshot(app, target: Path) -> None:
    source = sqlite3.connect(_database_file(app))
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()


def _put_back(app, snapshot: Path) -> None:
    """What an operator does by hand: the old file over the live one (no `matchmaker restore`)."""
    app.extensions["sqlalchemy_engine"].dispose()
    database = _database_file(app)
    for suffix in ("-wal", "-shm"):
        Path(f"{database}{suffix}").unlink(missing_ok=True)
    shutil.copy(snapshot, database)


def _edit_challenges(app, count: int, suffix: str) -> int:
    """Append `suffix` to the target of the first `count` issues, one commit each (one feed
    position each); the feed head after them."""
    with app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        for challenge in session.scalars(select(Challenge).order_by(Challenge.id).limit(count)):
            challenge.target += suffix
            session.commit()
        return session.scalar(select(FeedHead.position))


def _challenge_id(app, title_prefix: str) -> int:
    with app.extensions["sqlalchemy_sessionmaker"]() as session:
        return session.scalar(select(Challenge.id).where(Challenge.title.like(f"{title_prefix}%")))


def test_records_seeded_after_a_rescore_are_ranked(app) -> None:
    with app.extensions["sqlalchemy_write_sessionmaker"]() as session:  # a record on each side, then the nightly rescore
        factories.make_technology(session, factories.make_organization(session), title="高齢者の見守りサービス")
        factories.make_challenge(session, factories.municipality(session, "堺市"), title="独居高齢者の見守り")
        session.commit()
    _refit(app)
    # The growth asks for a refit; none runs, so only the feed can rank the new records.
    app.extensions["match_service"].request_refit = lambda: None
    with app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        load_demo(session, hash_password=fast_hash)
        load_demo_projects(session)
        session.commit()

    with app.app_context(), app.extensions["sqlalchemy_sessionmaker"]() as session:
        ranked = match_service().technologies_for(session, _challenge_id(app, "ニュータウンの坂道"))

    assert ranked and ranked[0].score > 0


def test_only_committed_changes_reach_the_feed(demo_app) -> None:
    with demo_app.extensions["sqlalchemy_sessionmaker"]() as session:
        before = session.scalar(select(FeedHead.position))
    with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        session.get(Challenge, _challenge_id(demo_app, "ニュータウンの坂道")).title = "取り消される変更"
        session.flush()
        session.rollback()
        technology = session.scalar(select(Technology).limit(1))
        technology.description += " 追記"
        session.commit()
    with demo_app.extensions["sqlalchemy_sessionmaker"]() as session:
        entries = session.execute(select(FeedEntry.entity_type, FeedEntry.entity_id)
                                  .where(FeedEntry.position > before)).all()
        head = session.scalar(select(FeedHead.position))

    assert [tuple(e) for e in entries] == [("technology", technology.id)]
    assert head == before + 1


def test_a_worker_without_saved_state_answers_at_once_and_asks_for_a_refit(demo_app) -> None:
    service = demo_app.extensions["match_service"]
    requested: list[str] = []
    service.request_refit = lambda: requested.append("refit")
    client = login(demo_app.test_client(), "officer")
    challenge_id = _challenge_id(demo_app, "ニュータウンの坂道")

    first = client.get(f"/challenges/{challenge_id}")
    second = client.get(f"/challenges/{challenge_id}")
    _refit(demo_app)  # what the job worker does
    third = client.get(f"/challenges/{challenge_id}")

    assert (first.status_code, second.status_code) == (200, 200)
    assert requested == ["refit"]  # once, not on every request
    assert "なにわモビリティ株式会社" not in first.text and "マッチングを準備しています" in first.text
    assert "なにわモビリティ株式会社" in third.text and "マッチングを準備しています" not in third.text


@pytest.mark.sqlite
def test_an_older_database_under_a_newer_state_never_ranks_what_it_lacks(demo_app, tmp_path) -> None:
    _refit(demo_app)
    snapshot = tmp_path / "older.sqlite3"
    _snapshot(demo_app, snapshot)
    member = login(demo_app.test_client(), "member")
    created = member.post("/technologies/new", data=technology_form(
        title="坂道の多いニュータウン向け自動運転シャトル", field_keys=["mobility"],
        description="ニュータウンの坂道で路線バスの縮小に代わる自動運転シャトルを運行します。"))
    new_id = int(created.headers["Location"].rsplit("/", 1)[1])
    _refit(demo_app)  # the saved state now knows the new technology

    _put_back(demo_app, snapshot)
    fresh_worker = create_app(dict(demo_app.config))
    requested: list[str] = []
    fresh_worker.extensions["match_service"].request_refit = lambda: requested.append("refit")
    officer = login(fresh_worker.test_client(), "officer")
    statuses = {officer.get(f"/challenges/{cid}").status_code for cid in _open_challenge_ids(demo_app)}
    page = officer.get(f"/challenges/{_challenge_id(demo_app, 'ニュータウンの坂道')}").text
    _refit(fresh_worker)
    after_refit = officer.get(f"/challenges/{_challenge_id(demo_app, 'ニュータウンの坂道')}").text

    assert statuses == {200}
    assert requested == ["refit"]
    assert "自動運転シャトル" not in page and "自動運転シャトル" not in after_refit
    assert f"/technologies/{new_id}\"" not in after_refit
    assert "なにわモビリティ株式会社" in after_refit
    fresh_worker.extensions["sqlalchemy_engine"].dispose()


@pytest.mark.sqlite
def test_a_restored_database_that_moved_past_the_state_on_another_timeline_is_detected(demo_app, tmp_path) -> None:
    _refit(demo_app)
    snapshot = tmp_path / "older.sqlite3"
    _snapshot(demo_app, snapshot)
    member = login(demo_app.test_client(), "member")
    member.post("/technologies/new", data=technology_form(title="消える技術", description="復元で消える技術の説明です。"))
    _refit(demo_app)  # state at position P, holding 消える技術
    _put_back(demo_app, snapshot)
    with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:  # the old database moves past P
        for challenge in session.scalars(select(Challenge).limit(3)):
            challenge.target = challenge.target + "（更新）"
            session.commit()

    fresh_worker = create_app(dict(demo_app.config))
    fresh_worker.extensions["match_service"].request_refit = lambda: None
    with fresh_worker.app_context(), fresh_worker.extensions["sqlalchemy_sessionmaker"]() as session:
        usable = match_service().saved_state_is_valid(session)
        engine = match_service().sync(session)

    assert usable is False and engine is None
    fresh_worker.extensions["sqlalchemy_engine"].dispose()


@pytest.mark.sqlite
def test_a_running_worker_drops_its_engine_when_the_database_goes_back(demo_app, tmp_path) -> None:
    _refit(demo_app)
    snapshot = tmp_path / "older.sqlite3"
    _snapshot(demo_app, snapshot)
    member = login(demo_app.test_client(), "member")
    member.post("/technologies/new", data=technology_form(title="消える技術", description="復元で消える技術の説明です。"))
    member.get("/company")  # this worker's engine applies the change
    _put_back(demo_app, snapshot)
    demo_app.extensions["match_service"].request_refit = lambda: _refit(demo_app)

    page = login(demo_app.test_client(), "officer").get(f"/challenges/{_challenge_id(demo_app, 'ニュータウンの坂道')}")

    assert page.status_code == 200 and "消える技術" not in page.text
    assert "なにわモビリティ株式会社" in page.text


def _open_challenge_ids(app) -> list[int]:
    from models import ChallengeStatus

    with app.extensions["sqlalchemy_sessionmaker"]() as session:
        return list(session.scalars(select(Challenge.id).where(Challenge.status == ChallengeStatus.OPEN)))


def test_a_snapshot_saves_the_replayed_changes_so_a_new_worker_starts_from_them(demo_app) -> None:
    from matchmaker import jobs

    _refit(demo_app)
    demo_app.config["SNAPSHOT_MIN_CHANGES"] = 3
    with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        for challenge in session.scalars(select(Challenge).limit(2)):
            challenge.target += "（更新）"
            session.commit()
    service = demo_app.extensions["match_service"]
    saved_before = service._read_marker()
    jobs.snapshot(demo_app)  # 2 changes behind: below the threshold
    unchanged = service._read_marker()
    with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        challenge = session.scalar(select(Challenge).where(Challenge.title.like("ニュータウンの坂道%")))
        challenge.description += "\n自動運転の乗合シャトルも検討したい。"
        session.commit()
    jobs.snapshot(demo_app)
    saved_after = service._read_marker()

    fresh_worker = create_app(dict(demo_app.config))
    with fresh_worker.app_context(), fresh_worker.extensions["sqlalchemy_sessionmaker"]() as session:
        fresh = match_service()
        engine = fresh.sync(session)
        head = session.scalar(select(FeedHead.position))
    fresh_worker.extensions["sqlalchemy_engine"].dispose()

    assert unchanged == saved_before
    assert saved_after.position == head > saved_before.position
    assert fresh._mark == saved_after  # it started from the snapshot: nothing left to replay
    assert engine is not None
    assert "自動運転の乗合シャトル" in engine.challenge(str(challenge.id)).description


def test_a_worker_that_caught_up_on_many_changes_asks_for_a_snapshot(demo_app) -> None:
    """So that workers started later map a state covering them instead of replaying them too."""
    _refit(demo_app)
    service = demo_app.extensions["match_service"]
    requested: list[str] = []
    service.request_snapshot = lambda: requested.append("snapshot")
    service.snapshot_after = 3

    def edit_and_sync(count: int) -> None:
        _edit_challenges(demo_app, count, "（更新）")
        with demo_app.app_context(), demo_app.extensions["sqlalchemy_sessionmaker"]() as session:
            assert service.sync(session) is not None

    edit_and_sync(2)
    assert requested == []
    edit_and_sync(3)
    assert requested == ["snapshot"]


def _warmed_process(demo_app):
    """A second app on the same database, warmed as gunicorn's master is (wsgi.py), which records
    the snapshots it asks for and asks for one after three replayed changes."""
    from matchmaker.matching import warm

    app = create_app(dict(demo_app.config))
    service = app.extensions["match_service"]
    requested: list[str] = []
    service.request_snapshot = lambda: requested.append("snapshot")
    service.snapshot_after = 3
    warm(app)
    return app, service, requested


def test_warming_a_process_loads_the_state_and_catches_up_before_any_request(demo_app) -> None:
    """What gunicorn's master does once with --preload (wsgi.py); no job is asked for from there
    (a forked worker would not inherit the job thread), and no connection crosses the fork."""
    _refit(demo_app)
    head = _edit_challenges(demo_app, 4, "（更新）")

    fresh_worker, service, requested = _warmed_process(demo_app)

    assert service.ready and service._mark is not None and service._mark.position == head
    assert requested == []
    assert fresh_worker.extensions["sqlalchemy_engine"].pool.checkedin() == 0
    with fresh_worker.app_context(), fresh_worker.extensions["sqlalchemy_sessionmaker"]() as session:
        assert service.sync(session) is not None
    assert requested == ["snapshot"]  # what warming wanted, asked for by the (forked) process itself
    _edit_challenges(demo_app, 3, "（再更新）")
    with fresh_worker.app_context(), fresh_worker.extensions["sqlalchemy_sessionmaker"]() as session:
        assert service.sync(session) is not None
    fresh_worker.extensions["sqlalchemy_engine"].dispose()
    assert requested == ["snapshot", "snapshot"]  # and as usual afterwards


@pytest.mark.sqlite
def test_a_refit_job_does_not_hold_the_sqlite_write_lock_while_it_fits(demo_app, monkeypatch) -> None:
    from matchmaker import jobs, matching

    saved_while_fitting: list[int] = []
    original_fit = matching.MatchEngine.fit

    def fit_while_someone_saves(engine, challenges, technologies):
        with sqlite3.connect(_database_file(demo_app), timeout=0.5) as other_user:
            saved_while_fitting.append(other_user.execute("UPDATE challenges SET target = target || '!'").rowcount)
        return original_fit(engine, challenges, technologies)

    monkeypatch.setattr(matching.MatchEngine, "fit", fit_while_someone_saves)
    jobs.refit(demo_app)

    assert saved_while_fitting and saved_while_fitting[0] > 0
    assert demo_app.extensions["match_service"].ready


def test_a_worker_forked_after_a_newer_state_was_saved_maps_it_instead_of_the_masters_requests(demo_app) -> None:
    """Under --preload a worker forked later (a replacement) starts from the master's engine of
    boot time: a snapshot or refit saved since then is mapped, and what the master deferred at
    boot is not asked for again (it is stale: loading asks for a refit itself if one is needed)."""
    from matchmaker import jobs

    _refit(demo_app)
    _edit_challenges(demo_app, 4, "（更新）")
    master, service, requested = _warmed_process(demo_app)
    _edit_challenges(demo_app, 3, "（再更新）")
    demo_app.config["SNAPSHOT_MIN_CHANGES"] = 3
    jobs.snapshot(demo_app)  # another process saves a state covering every edit
    saved = demo_app.extensions["match_service"]._read_marker()
    assert saved is not None and service._mark is not None and saved.position > service._mark.position

    service._warmed_in = -1  # what a fork changes: this process is not the one that warmed
    with master.app_context(), master.extensions["sqlalchemy_sessionmaker"]() as session:
        assert service.sync(session) is not None
        again = service.sync(session)
    master.extensions["sqlalchemy_engine"].dispose()

    assert requested == []  # the master's deferred snapshot request was not replayed
    assert service._mark == saved  # started from the saved state: nothing replayed since boot
    assert again is not None


def test_a_snapshot_is_skipped_while_another_process_saves_one(demo_app) -> None:
    import fcntl

    from matchmaker import jobs

    _refit(demo_app)
    demo_app.config["SNAPSHOT_MIN_CHANGES"] = 1
    with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        challenge = session.scalar(select(Challenge).where(Challenge.title.like("ニュータウンの坂道%")))
        challenge.target += "（更新）"
        session.commit()
    service = demo_app.extensions["match_service"]
    saved_before = service._read_marker()

    lock_path = service.state_path.with_name(service.state_path.name + "-snapshot.lock")
    with open(lock_path, "a+b") as other_process:  # a lock another process holds (flock is per open file)
        fcntl.flock(other_process.fileno(), fcntl.LOCK_EX)
        jobs.snapshot(demo_app)
        while_held = service._read_marker()
    jobs.snapshot(demo_app)

    assert while_held == saved_before
    assert service._read_marker().position > saved_before.position
