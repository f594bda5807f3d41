"""Mail on PostgreSQL: 20 simultaneous moves across several workers, each mail delivered once."""

from __future__ import annotations

import threading
import time

from sqlalchemy import select

from matchmaker import create_app, jobs
from models import OutboxEmail, Stage
from tests.matchmaker.test_workflow import _project_in
from tests.matchmaker.web import login
from tests.smtp_servers import smtp_sink


def test_twenty_simultaneous_moves_deliver_each_mail_exactly_once(pg_app) -> None:
    projects = [_project_in(pg_app, Stage.PROPOSED) for _ in range(20)]
    with smtp_sink() as (sink, port):
        settings = dict(pg_app.config, JOBS="thread", SMTP_HOST="127.0.0.1", SMTP_PORT=port, JOBS_SWEEP_SECONDS=0.2)
        workers = [create_app(settings) for _ in range(3)]  # three gunicorn workers, each with its job thread
        clients = [login(workers[n % 3].test_client(), "officer") for n in range(20)]
        start = threading.Barrier(20)
        statuses: list[int] = []

        def move(client, project_id: int) -> None:  # type: ignore[no-untyped-def]
            start.wait()
            statuses.append(client.post(f"/projects/{project_id}/moves/accept", data={"version": "1"}).status_code)

        threads = [threading.Thread(target=move, args=(c, p)) for c, p in zip(clients, projects)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with pg_app.extensions["sqlalchemy_sessionmaker"]() as session:
                rows = list(session.scalars(select(OutboxEmail).order_by(OutboxEmail.id)))
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


def test_concurrent_claims_on_postgres_take_disjoint_rows(pg_app) -> None:
    from matchmaker import mail

    with pg_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        session.add_all([OutboxEmail(recipient=f"u{n}@example.jp", subject="s", body="b") for n in range(40)])
        session.commit()  # with inline jobs this already delivers: queue more without waking anyone
    with pg_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        session.execute(OutboxEmail.__table__.update().values(status="pending", sent_at=None))
        session.commit()
    start = threading.Barrier(5)
    claimed: list[list[int]] = []

    def claimer() -> None:
        start.wait()
        mine: list[int] = []
        while batch := mail.claim(pg_app, limit=3):
            mine += [c.id for c in batch]
        claimed.append(mine)

    threads = [threading.Thread(target=claimer) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [i for mine in claimed for i in mine]
    assert len(everything) == len(set(everything)) == 40
