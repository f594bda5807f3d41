"""What people say to each other around a match: invitations to propose, questions on issues,
and messages inside projects."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import Organization, User
from .base import Base, utcnow
from .catalogue import Challenge, Technology
from .enums import str_enum_column


class InvitationStatus(str, enum.Enum):
    PENDING = "pending"
    ACCEPTED = "accepted"  # the company proposed: the project is the normal workflow from here
    DECLINED = "declined"


class Invitation(Base):
    """An officer asks a company to propose one of its technologies for one of the municipality's issues."""

    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    technology_id: Mapped[int] = mapped_column(ForeignKey("technologies.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    message: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[InvitationStatus] = mapped_column(
        str_enum_column(InvitationStatus, name="invitation_status"), default=InvitationStatus.PENDING,
        comment="pending until the company proposes (accepted) or declines; changed only by the invitation actions")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    responded_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    response: Mapped[str] = mapped_column(Text, default="", comment="the company's reason when it declines")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"),
                                                   comment="the proposal that accepted it")

    challenge: Mapped[Challenge] = relationship()
    technology: Mapped[Technology] = relationship()
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])

    __table_args__ = (UniqueConstraint("challenge_id", "technology_id", name="uq_invitations_challenge_technology"),)


class Question(Base):
    """A company's question about an open issue, and the municipality's answer.

    Answered questions are public to every signed-in member, so that every company gets the same
    information before a procurement; until then, or when kept private (with a reason), only the
    asker's organisation, the municipality and coordinators see it.
    """

    __tablename__ = "questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    asked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True,
                                                 comment="the asker's organisation, which always sees it")
    body: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    is_private: Mapped[bool] = mapped_column(default=False, comment="kept from other companies even when answered")
    private_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1, comment="optimistic lock: two answers at once, one is refused")

    challenge: Mapped[Challenge] = relationship()
    asked_by: Mapped[User | None] = relationship(foreign_keys=[asked_by_id])
    answered_by: Mapped[User | None] = relationship(foreign_keys=[answered_by_id])
    organization: Mapped[Organization] = relationship()

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_answered(self) -> bool:
        return self.answer is not None


class ProjectMessage(Base):
    """A message inside a project, part of its record: written once, never edited or deleted."""

    __tablename__ = "project_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    author: Mapped[User | None] = relationship()
    attachments: Mapped[list[MessageAttachment]] = relationship(
        back_populates="message", order_by="MessageAttachment.id", cascade="all, delete-orphan")


class MessageAttachment(Base):
    """A file sent with a project message, kept in the database (backed up with it) and served
    only to those who may open the project."""

    __tablename__ = "message_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("project_messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100), comment="from the allow-list by type, never the sender's claim")
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)

    message: Mapped[ProjectMessage] = relationship(back_populates="attachments")
