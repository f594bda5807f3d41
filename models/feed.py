"""The change feed: every committed change to a matchable record, in commit order.

Why not the audit table's ids: PostgreSQL hands out serial ids at insert, not at commit, so a
reader can see id 12 while id 11 is still uncommitted and later skip it for good. Here each
transaction that changed a catalogue row takes the feed head's single row lock as the last thing
before it commits (an UPDATE … RETURNING, held until COMMIT) and numbers its feed rows from it.
The lock is released only after the commit is visible, so positions become visible strictly in
order: a reader that sees position N also sees every position below N. Writers queue only for
the instant between their last statement and their COMMIT. On SQLite, writers are serialised by
the database lock anyway (BEGIN IMMEDIATE), which gives the same order.

The rows are written by session events, not by each action, so no code path can forget them:
anything that adds, changes or deletes a Challenge, Technology or Organization through the ORM
(views, the CLI, seeding, jobs) feeds the engine. The head row also carries the database's
identity, which the engine state is tied to (see matchmaker/matching.py).
"""

from __future__ import annotations

import datetime as dt
import secrets
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import BigInteger, DateTime, Integer, String, event, insert, update
from sqlalchemy.orm import Mapped, Session, SessionTransaction, mapped_column

from .accounts import Organization
from .base import Base, utcnow
from .catalogue import Challenge, Technology
from .vocabulary import VocabularyEntry

# Which mapped classes feed the engine, and the entity name a consumer sees. A vocabulary change
# tells every process that its engine analyses text with an older synonym table.
FEED_ENTITIES: dict[type, str] = {Challenge: "challenge", Technology: "technology", Organization: "organization",
                                  VocabularyEntry: "vocabulary"}
_PENDING = "matchmaker_feed_pending"


class FeedHead(Base):
    """One row: the last position handed out and the identity of this database."""

    __tablename__ = "change_feed_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    position: Mapped[int] = mapped_column(BigInteger, default=0)
    database_id: Mapped[str] = mapped_column(String(36), comment="changes when a backup is restored")


class FeedEntry(Base):
    __tablename__ = "change_feed"

    position: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entity_type: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int] = mapped_column()
    txn: Mapped[str] = mapped_column(String(32), comment="random per committing transaction: tells timelines apart")
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


HEAD_ID = 1


def new_database_id() -> str:
    return str(uuid.uuid4())


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: object) -> None:
    # After a flush new rows have ids, and new/dirty/deleted still describe what was flushed.
    pending: set[tuple[str, int]] = session.info.setdefault(_PENDING, set())
    for instance in (*session.new, *session.deleted):
        name = FEED_ENTITIES.get(type(instance))
        if name is not None and instance.id is not None:
            pending.add((name, instance.id))
    for instance in session.dirty:
        name = FEED_ENTITIES.get(type(instance))
        if name is not None and session.is_modified(instance):
            pending.add((name, instance.id))


@event.listens_for(Session, "before_commit")
def _publish(session: Session) -> None:
    session.flush()  # commit flushes after this hook; changes still pending must be counted now
    pending = sorted(session.info.pop(_PENDING, ()))
    if not pending:
        return
    # The row lock on the head is the commit-order lock: held from here until COMMIT.
    last = session.execute(
        update(FeedHead).where(FeedHead.id == HEAD_ID).values(position=FeedHead.position + len(pending))
        .returning(FeedHead.position)).scalar_one()
    first, txn, now = last - len(pending) + 1, secrets.token_hex(16), utcnow()
    session.execute(insert(FeedEntry), [
        {"position": first + offset, "entity_type": name, "entity_id": entity_id, "txn": txn, "at": now}
        for offset, (name, entity_id) in enumerate(pending)])


@event.listens_for(Session, "after_transaction_end")
def _forget(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended (commit or rollback)
        session.info.pop(_PENDING, None)


@contextmanager
def dry_run(session: Session) -> Iterator[None]:
    """Run changes inside a savepoint that is always rolled back, and keep them out of the feed:
    the flushes inside add what they touched to the pending set, which would otherwise publish
    positions for rows that never existed."""
    pending = set(session.info.get(_PENDING, ()))
    savepoint = session.begin_nested()
    try:
        yield
    finally:
        if savepoint.is_active:
            savepoint.rollback()
        session.info[_PENDING] = pending
