"""Mail on PostgreSQL: 20 simultaneous moves across several workers, each mail delivered once."""

from __future__ import annotations

import threading

from sqlalchemy import update

from matchmaker.mail import claim
from models import OutboxEmail
from tests.matchmaker.test_mail import twenty_simultaneous_moves


def test_twenty_simultaneous_moves_deliver_each_mail_exactly_once(pg_app) -> None:
    twenty_simultaneous_moves(pg_app)


def test_concurrent_claims_on_postgres_take_disjoint_rows(pg_app) -> None:
    with pg_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        session.add_all([OutboxEmail(recipient=f"u{n}@example.jp", subject="s", body="b") for n in range(40)])
        session.commit()  # with inline jobs this already delivers: queue more without waking anyone
    with pg_app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        session.execute(update(OutboxEmail).where(OutboxEmail.status == "sent").values(status="pending", sent_at=None))
        session.commit()
    start = threading.Barrier(5)
    claimed: list[list[int]] = []

    def claimer() -> None:
        start.wait()
        mine: list[int] = []
        while batch := claim(pg_app, limit=3):
            mine += [c.id for c in batch]
        claimed.append(mine)

    threads = [threading.Thread(target=claimer) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    everything = [i for mine in claimed for i in mine]
    assert len(everything) == len(set(everything)) == 40
