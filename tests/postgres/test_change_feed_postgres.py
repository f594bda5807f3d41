"""The change feed under concurrent writers on PostgreSQL, where ids are handed out at insert."""

from __future__ import annotations

import random
import threading
import time

from sqlalchemy import func, select

from matchmaker.db import make_engine
from matchmaker.matching import match_service
from matchmaker.migrate import upgrade_database
from models import Challenge, ChallengeStatus, FeedEntry, Municipality
from seed import load_demo, load_demo_projects, load_reference
from tests import factories
from tests.conftest import fast_hash


def _synced(service, session):
    engine = service.sync(session)
    assert engine is not None, "the engine has a fitted state to sync"
    return engine


def _new_challenge(session, title: str) -> Challenge:
    municipality = session.scalar(select(Municipality).where(Municipality.name == "堺市"))
    challenge = Challenge(municipality_id=municipality.id, title=title, status=ChallengeStatus.OPEN,
                          description="一人暮らしの高齢者の見守りと異変の早期発見をしたい。")
    session.add(challenge)
    session.flush()
    return challenge


def test_a_change_committed_after_a_later_one_was_read_is_still_applied(pg_app) -> None:
    writes = pg_app.extensions["sqlalchemy_write_sessionmaker"]
    reads = pg_app.extensions["sqlalchemy_sessionmaker"]
    with pg_app.app_context():
        service = match_service()
        with writes() as session:
            service.rebuild(session)
        a, b = writes(), writes()
        first = _new_challenge(a, "先に書き始めた課題")  # txn A inserts (the lower id) ...
        second = _new_challenge(b, "後から書いた課題")  # ... txn B inserts and commits first
        b.commit()
        with reads() as session:
            seen_before = set(_synced(service, session).challenges_.position)
        a.commit()
        with reads() as session:
            seen_after = set(_synced(service, session).challenges_.position)
        a.close(), b.close()

    assert first.id < second.id
    assert str(second.id) in seen_before and str(first.id) not in seen_before
    assert str(first.id) in seen_after


def test_a_reader_never_sees_a_gap_in_the_feed_under_concurrent_writers(pg_app) -> None:
    writes = pg_app.extensions["sqlalchemy_write_sessionmaker"]
    reads = pg_app.extensions["sqlalchemy_sessionmaker"]
    with reads() as session:
        base = session.scalar(select(func.max(FeedEntry.position))) or 0
    start = threading.Barrier(9)
    done = threading.Event()
    gaps: list[list[int]] = []

    def writer(number: int) -> None:
        with writes() as session:
            start.wait()
            for round_ in range(5):
                _new_challenge(session, f"同時に書く課題{number}-{round_}")
                time.sleep(random.uniform(0, 0.02))  # commit order differs from insert order
                session.commit()

    def reader() -> None:
        start.wait()
        while not done.is_set():
            with reads() as session:
                seen = list(session.scalars(select(FeedEntry.position).where(FeedEntry.position > base)
                                            .order_by(FeedEntry.position)))
            if seen != list(range(base + 1, base + 1 + len(seen))):
                gaps.append(seen)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    watcher = threading.Thread(target=reader)
    for thread in [*threads, watcher]:
        thread.start()
    for thread in threads:
        thread.join()
    done.set()
    watcher.join()

    with reads() as session:
        total = session.scalar(select(func.count()).select_from(FeedEntry).where(FeedEntry.position > base))
    assert total == 40
    assert gaps == []


def test_records_seeded_after_a_rescore_are_ranked_on_postgres(empty_postgres_url, tmp_path, monkeypatch) -> None:
    from matchmaker import create_app

    engine = make_engine(empty_postgres_url)
    upgrade_database(engine)
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": empty_postgres_url, "SECRET_KEY": "pg", "JOBS": "inline"})
    writes = app.extensions["sqlalchemy_write_sessionmaker"]
    with app.app_context():
        with writes() as session:
            load_reference(session)
            factories.make_technology(session, factories.make_organization(session), title="高齢者の見守りサービス")
            factories.make_challenge(session, factories.municipality(session, "堺市"), title="独居高齢者の見守り")
            session.commit()
            match_service().rebuild(session)  # the nightly rescore, before the demo data is seeded
            # The growth asks for a refit; none runs, so only the feed can rank the new records.
            app.extensions["match_service"].request_refit = lambda: None
            load_demo(session, hash_password=fast_hash)
            load_demo_projects(session)
            session.commit()
        with writes() as session:
            challenge_id = session.scalar(select(Challenge.id).where(Challenge.title.like("ニュータウンの坂道%")))
            ranked = match_service().technologies_for(session, challenge_id)
    app.extensions["sqlalchemy_engine"].dispose()
    engine.dispose()

    assert ranked and ranked[0].score > 0
