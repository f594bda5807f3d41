"""Who wants to hear about what, and how often: preferences, follows, digests and alerts.

A notification (models/workflow.Notification) is always kept for the inbox. Whether and when it
is also mailed is the reader's choice per notification kind (`Delivery`): at once, in a daily or
weekly digest, or never. A notification waiting for a digest has a PendingDigest row until a
digest job takes it (deleting the row is the claim, so it goes into one digest only).

Alerts (a new issue, a new technology) are computed by a job after the change commits; an
AlertTask row holds what is still to be computed, an AlertReceipt row what each person was
already told, so neither a repeated job nor a re-published issue tells anyone twice.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow
from .enums import str_enum_column


class Delivery(str, enum.Enum):
    IMMEDIATELY = "immediately"
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"


class NotificationPreference(Base):
    """One person's choice for one notification kind; without a row the kind's default applies."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    delivery: Mapped[Delivery] = mapped_column(str_enum_column(Delivery, length=12))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)


class Follow(Base):
    """A person follows a field or a municipality: new issues there are announced to them."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("user_id", "field_id", name="uq_follows_user_id_field_id"),
        UniqueConstraint("user_id", "municipality_id", name="uq_follows_user_id_municipality_id"),
        CheckConstraint("(field_id IS NULL) <> (municipality_id IS NULL)", name="one_target"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    field_id: Mapped[int | None] = mapped_column(ForeignKey("fields.id", ondelete="CASCADE"), index=True)
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id", ondelete="CASCADE"),
                                                        index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class PendingDigest(Base):
    """A notification waiting for its reader's next daily or weekly digest."""

    __tablename__ = "pending_digests"

    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id", ondelete="CASCADE"),
                                                 primary_key=True, autoincrement=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class DigestRun(Base):
    """One row per digest period that was sent (daily: the JST date, weekly: the ISO week), so a
    second scheduler or a repeated job sends nothing more."""

    __tablename__ = "digest_runs"

    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    key: Mapped[str] = mapped_column(String(20), primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    mails: Mapped[int] = mapped_column(Integer, default=0)


class AlertTask(Base):
    """An issue was published or a technology registered: the alert job has to find who to tell."""

    __tablename__ = "alert_tasks"

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(20), comment="challenge or technology")
    subject_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    recipients: Mapped[int] = mapped_column(Integer, default=0)


class AlertReceipt(Base):
    """Someone was told about something (key: what), once."""

    __tablename__ = "alert_receipts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
