"""Forum events: meet-ups where municipalities present issues and companies pitch, and working groups."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import (
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, TimestampMixin, utcnow
from .catalogue import Challenge
from .enums import str_enum_column
from .workflow import Project


class EventKind(str, enum.Enum):
    MEETUP = "meetup"  # ミートアップ: municipalities present, companies pitch
    WORKING_GROUP = "working_group"  # ワーキンググループ


class RegistrationStatus(str, enum.Enum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


event_challenges = Table(
    "event_challenges", Base.metadata,
    Column("event_id", ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    Column("challenge_id", ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True),
    comment="issues presented at the event",
)


class Event(TimestampMixin, Base):
    __tablename__ = "events"
    __table_args__ = (
        CheckConstraint("capacity >= 1", name="capacity_positive"),
        CheckConstraint("registered_count >= 0 AND registered_count <= capacity", name="registered_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    kind: Mapped[EventKind] = mapped_column(str_enum_column(EventKind), default=EventKind.MEETUP)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True, comment="stored in UTC")
    ends_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), comment="stored in UTC")
    place: Mapped[str] = mapped_column(String(200), default="")
    online_url: Mapped[str] = mapped_column(String(500), default="", comment="http or https only")
    capacity: Mapped[int] = mapped_column(Integer)
    registered_count: Mapped[int] = mapped_column(
        Integer, default=0, server_default="0",
        comment="registrations holding a seat; raised only by a conditional UPDATE, so never past capacity")
    description: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1, comment="optimistic lock: a stale form is refused")

    created_by: Mapped[User | None] = relationship()
    challenges: Mapped[list[Challenge]] = relationship(secondary=event_challenges, order_by=Challenge.id)

    __mapper_args__ = {"version_id_col": version}


class EventRegistration(Base):
    """One person's place at an event: a seat, a place on the waiting list, or cancelled."""

    __tablename__ = "event_registrations"
    __table_args__ = (UniqueConstraint("event_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[RegistrationStatus] = mapped_column(
        str_enum_column(RegistrationStatus, name="registrationstatus"), default=RegistrationStatus.REGISTERED,
        comment="waitlisted people move up in order of waitlisted_at when a seat frees")
    registered_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    waitlisted_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    cancelled_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    reminded_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), comment="set in the transaction that queues the reminder: each reminder once")

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship()


class EventProposal(Base):
    """A project proposed from an event (on one of the issues presented there)."""

    __tablename__ = "event_proposals"

    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"), index=True)

    project: Mapped[Project] = relationship()
    event: Mapped[Event] = relationship()
