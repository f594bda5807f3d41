"""Mail delivery: claimed before sending, retried with backoff, never twice, never in a request."""

from __future__ import annotations

import datetime as dt
import threading
import time

import pytest
from sqlalchemy import func, insert, select, update

from matchmaker import create_app, jobs, mail
from models import OutboxEmail, Stage, utcnow
from tests.smtp_servers import hanging_smtp_server, smtp_sink

from .test_workflow import _project_in
from .web import login, technology_form


def _outbox(app) -> list[OutboxEmail]:
    with app.extensions["sqlalchemy_sessionmaker"]() as session:
        return list(session.scalars(select(OutboxEmail).where(OutboxEmail.status != "withheld").order_by(OutboxEmail.id)))


def _queue_mail(app, count: int) -> list[int]:
    """Rows written without the ORM unit of work, so no job is woken: the test delivers them itself."""
    with app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        ids = list(session.scalars(insert(OutboxEmail).returning(OutboxEmail.id), [
            {"recipient": f"user{n}@example.jp", "subject": f"件名{n}", "body": "本文", "status": "pending",
             "attempts": 0, "last_error": "", "created_at": utcnow()} for n in range(count)]))
        session.commit()
    assert "job_thread" not in app.extensions
    return sorted(ids)


def _wait_until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


@pytest.mark.parametrize(("attempts", "minutes"), [(1, 1), (2, 2), (3, 4), (6, 32), (7, 60), (20, 60)])
def test_backoff_doubles_up_to_an_hour(attempts: int, minutes: int) -> None:
    assert mail.backoff(attempts) == dt.timedelta(minutes=minutes)


def test_moves_mail_each_recipient_once_through_smtp(demo_app) -> None:
    projects = [_project_in(demo_app, Stage.PROPOSED) for _ in range(3)]
    officer = login(demo_app.test_client(), "officer")
    with smtp_sink() as (sink, port):
        demo_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
        for project_id in projects:
            assert officer.post(f"/projects/{project_id}/moves/accept", data={"version": "1"}).status_code == 302
        jobs.sweep(demo_app)  # a later sweep finds nothing more to send
        received = sink.outbox_ids()

    rows = _outbox(demo_app)
    assert rows and sorted(received) == [r.id for r in rows]
    assert {r.status for r in rows} == {"sent"}
    assert len({m["Message-ID"] for m in sink.messages}) == len(rows)


def twenty_simultaneous_moves(app) -> None:
    """20 moves at once across three app processes' worth of workers; each mail reaches the sink once."""
    projects = [_project_in(app, Stage.PROPOSED) for _ in range(20)]
    with smtp_sink() as (sink, port):
        settings = dict(app.config, JOBS="thread", SMTP_HOST="127.0.0.1", SMTP_PORT=port, JOBS_SWEEP_SECONDS=0.2)
        workers = [create_app(settings) for _ in range(3)]  # three gunicorn workers, each with its job thread
        clients = [login(workers[n % 3].test_client(), "officer") for n in range(20)]
        start = threading.Barrier(20)
        statuses: list[int] = []

        def move(client, project_id: int) -> None:
            start.wait()
            statuses.append(client.post(f"/projects/{project_id}/moves/accept", data={"version": "1"}).status_code)

        threads = [threading.Thread(target=move, args=(c, p)) for c, p in zip(clients, projects)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with app.extensions["sqlalchemy_sessionmaker"]() as session:
                rows = list(session.scalars(select(OutboxEmail).where(OutboxEmail.status != "withheld").order_by(OutboxEmail.id)))
            if rows and all(r.status == "sent" for r in rows):
                break
            time.sleep(0.1)
        time.sleep(1.0)  # sweeps keep running: none may send anything again
        received = sink.outbox_ids()
        for worker in workers:
            jobs.worker_thread(worker).stop()
            worker.extensions["sqlalchemy_engine"].dispose()

    assert statuses == [302] * 20
    assert len(rows) >= 20 and {r.status for r in rows} == {"sent"}
    assert sorted(received) == [r.id for r in rows]


def test_twenty_simultaneous_moves_deliver_each_mail_exactly_once_on_sqlite(demo_app) -> None:
    twenty_simultaneous_moves(demo_app)


def test_concurrent_delivery_jobs_send_each_mail_once(demo_app) -> None:
    ids = _queue_mail(demo_app, 35)
    start = threading.Barrier(4)
    with smtp_sink() as (sink, port):
        demo_app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)

        def job() -> None:
            start.wait()
            mail.deliver(demo_app)

        threads = [threading.Thread(target=job) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        received = sink.outbox_ids()

    assert sorted(received) == ids
    assert {r.status for r in _outbox(demo_app)} == {"sent"}


def test_a_hanging_mail_server_slows_no_request_and_locks_nobody_out(demo_app) -> None:
    demo_app.config.update(JOBS="thread", SMTP_TIMEOUT_SECONDS=2, JOBS_SWEEP_SECONDS=600)
    projects = [_project_in(demo_app, Stage.PROPOSED) for _ in range(4)]
    officer = login(demo_app.test_client(), "officer")
    member = login(demo_app.test_client(), "member")
    try:
        with hanging_smtp_server() as port:
            demo_app.config["SMTP_PORT"], demo_app.config["SMTP_HOST"] = port, "127.0.0.1"
            timings, statuses = [], []
            for number, project_id in enumerate(projects):
                began = time.monotonic()
                statuses.append(officer.post(f"/projects/{project_id}/moves/accept", data={"version": "1"}).status_code)
                statuses.append(member.post("/technologies/new", data=technology_form(
                    title=f"同時に保存する技術{number}", description="メール送信が止まっている間の保存です。")).status_code)
                timings.append(time.monotonic() - began)
            _wait_until(lambda: all(r.status == "pending" and r.attempts == 1 for r in _outbox(demo_app)))
        rows = _outbox(demo_app)
    finally:
        jobs.worker_thread(demo_app).stop()

    assert set(statuses) == {302}
    assert max(timings) < 1.0  # the server makes a connection wait 2 s; no request waits for it
    assert all(r.next_attempt_at is not None and r.next_attempt_at.replace(tzinfo=None) > utcnow().replace(tzinfo=None)
               for r in rows)  # backoff
    assert all("timed out" in r.last_error for r in rows)


def test_mail_held_back_by_a_hanging_server_is_delivered_once_when_it_is_due(demo_app) -> None:
    _project = _project_in(demo_app, Stage.PROPOSED)
    officer = login(demo_app.test_client(), "officer")
    demo_app.config.update(SMTP_HOST="127.0.0.1", SMTP_TIMEOUT_SECONDS=1)
    with hanging_smtp_server() as port:
        demo_app.config["SMTP_PORT"] = port
        officer.post(f"/projects/{_project}/moves/accept", data={"version": "1"})
    with smtp_sink() as (sink, port):
        demo_app.config["SMTP_PORT"] = port
        jobs.sweep(demo_app)  # not due yet: nothing is sent
        too_early = list(sink.messages)
        with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
            session.execute(update(OutboxEmail).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1)))
            session.commit()
        jobs.sweep(demo_app)
        jobs.sweep(demo_app)
        received = sink.outbox_ids()

    rows = _outbox(demo_app)
    assert too_early == []
    assert sorted(received) == [r.id for r in rows]
    assert [(r.status, r.attempts) for r in rows] == [("sent", 2)] * len(rows)


def test_a_message_whose_delivery_outcome_is_unknown_is_never_sent_again(demo_app) -> None:
    ids = _queue_mail(demo_app, 3)
    demo_app.config.update(SMTP_HOST="127.0.0.1", SMTP_TIMEOUT_SECONDS=1)
    with hanging_smtp_server(answer_until_data=True) as port:
        demo_app.config["SMTP_PORT"] = port
        mail.deliver(demo_app)
    with smtp_sink() as (sink, port):
        demo_app.config["SMTP_PORT"] = port
        with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
            session.execute(update(OutboxEmail).values(next_attempt_at=None))
            session.commit()
        mail.deliver(demo_app)
        received = sink.outbox_ids()

    rows = {r.id: r for r in _outbox(demo_app)}
    assert rows[ids[0]].status == "failed" and "outcome unknown" in rows[ids[0]].last_error
    assert ids[0] not in received
    assert sorted(received) == ids[1:]  # the ones never handed over go out once the server answers


def test_claims_left_by_a_job_that_died_are_failed_not_resent(demo_app) -> None:
    ids = _queue_mail(demo_app, 2)
    claimed = mail.claim(demo_app, ids[:1])
    with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        session.execute(update(OutboxEmail).where(OutboxEmail.id == ids[0])
                        .values(claimed_at=utcnow() - dt.timedelta(hours=1)))
        session.commit()

    jobs.sweep(demo_app)

    rows = {r.id: r for r in _outbox(demo_app)}
    assert [c.id for c in claimed] == ids[:1]
    assert rows[ids[0]].status == "failed" and "never sent twice" in rows[ids[0]].last_error
    assert rows[ids[1]].status == "sent"


def test_a_failed_transaction_queues_no_mail_job(demo_app) -> None:
    enqueued: list[tuple] = []
    demo_app.config["JOBS"] = "rq"
    original = jobs._rq_queue
    jobs._rq_queue = lambda app: type("Q", (), {"enqueue": lambda self, *a, **k: enqueued.append(a)})()
    try:
        with demo_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
            session.add(OutboxEmail(recipient="a@example.jp", subject="s", body="b"))
            session.flush()
            session.rollback()
            session.add(OutboxEmail(recipient="b@example.jp", subject="s", body="b"))
            session.commit()
    finally:
        jobs._rq_queue = original
    with demo_app.extensions["sqlalchemy_sessionmaker"]() as session:
        committed = session.scalar(select(func.max(OutboxEmail.id)))

    assert enqueued == [(jobs.run, "deliver_mail", [committed])]
