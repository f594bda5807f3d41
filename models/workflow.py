"""Projects: how a match becomes a public service (proposal -> pilot -> implementation -> rollout)."""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Column, Date, DateTime, ForeignKey, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import Organization, User
from .base import Base, TimestampMixin, utcnow
from .catalogue import Challenge, Technology
from .enums import str_enum_column
from .reference import Municipality


class Stage(str, enum.Enum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    PILOT_REQUESTED = "pilot_requested"
    PILOT_APPROVED = "pilot_approved"
    PILOT_REJECTED = "pilot_rejected"
    IN_PILOT = "in_pilot"
    EVALUATED = "evaluated"
    IMPLEMENTED = "implemented"
    WITHDRAWN = "withdrawn"
    CANCELLED = "cancelled"


TERMINAL_STAGES = frozenset({Stage.DECLINED, Stage.PILOT_REJECTED, Stage.IMPLEMENTED, Stage.WITHDRAWN,
                             Stage.CANCELLED})


class ContractType(str, enum.Enum):
    PROPOSAL = "proposal"  # プロポーザル方式
    NEGOTIATED = "negotiated"  # 随意契約
    JOINT = "joint"  # 共同調達


class RolloutPattern(str, enum.Enum):
    AS_IS = "as_is"  # A) そのまま横展開
    ADAPTED = "adapted"  # B) カスタマイズ進化
    JOINT_ORDER = "joint_order"  # C) 共同発注
    PREFECTURE_WIDE = "prefecture_wide"  # D) 広域化・最適化


project_challenges = Table(
    "project_challenges", Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("challenge_id", ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True),
)
project_technologies = Table(
    "project_technologies", Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("technology_id", ForeignKey("technologies.id", ondelete="CASCADE"), primary_key=True),
)
project_municipalities = Table(
    "project_municipalities", Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipalities.id", ondelete="CASCADE"), primary_key=True),
)
project_organizations = Table(
    "project_organizations", Base.metadata,
    Column("project_id", ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("organization_id", ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True),
)


class Project(TimestampMixin, Base):
    __tablename__ = "projects"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(160))
    summary: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[Stage] = mapped_column(
        str_enum_column(Stage), default=Stage.PROPOSED, index=True,
        comment="changed only by workflow actions, each move recorded in project_stage_changes",
    )
    stage_changed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    lead_organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    origin_project_id: Mapped[int | None] = mapped_column(
        ForeignKey("projects.id"), index=True, comment="for a rollout (横展開): the implemented project it comes from"
    )
    rollout_pattern: Mapped[RolloutPattern | None] = mapped_column(str_enum_column(RolloutPattern))
    # Pilot plan (実証計画)
    pilot_scope: Mapped[str] = mapped_column(Text, default="")
    pilot_months: Mapped[int | None] = mapped_column(Integer)
    pilot_data_handling: Mapped[str] = mapped_column(Text, default="")
    pilot_cost_yen: Mapped[int | None] = mapped_column(Integer)
    pilot_funding: Mapped[str] = mapped_column(String(200), default="")
    pilot_started_on: Mapped[dt.date | None] = mapped_column(Date)
    # Evaluation and implementation
    evaluation_summary: Mapped[str] = mapped_column(Text, default="")
    contract_type: Mapped[ContractType | None] = mapped_column(str_enum_column(ContractType))
    implementation_start: Mapped[dt.date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(default=1, comment="optimistic lock: a stale form or a second approval is refused")

    lead_organization: Mapped[Organization] = relationship(foreign_keys=[lead_organization_id])
    created_by: Mapped[User | None] = relationship()
    origin: Mapped[Project | None] = relationship(remote_side=[id], back_populates="rollouts")
    rollouts: Mapped[list[Project]] = relationship(back_populates="origin")
    challenges: Mapped[list[Challenge]] = relationship(secondary=project_challenges)
    technologies: Mapped[list[Technology]] = relationship(secondary=project_technologies)
    municipalities: Mapped[list[Municipality]] = relationship(secondary=project_municipalities,
                                                              order_by=Municipality.code)
    organizations: Mapped[list[Organization]] = relationship(secondary=project_organizations)
    kpis: Mapped[list[ProjectKpi]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                  order_by="ProjectKpi.position")
    changes: Mapped[list[ProjectStageChange]] = relationship(back_populates="project", cascade="all, delete-orphan",
                                                              order_by="ProjectStageChange.id")

    __mapper_args__ = {"version_id_col": version}

    @property
    def is_open(self) -> bool:
        return self.stage not in TERMINAL_STAGES


class ProjectKpi(Base):
    __tablename__ = "project_kpis"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    name: Mapped[str] = mapped_column(String(120))
    unit: Mapped[str] = mapped_column(String(30), default="")
    baseline: Mapped[float] = mapped_column()
    target: Mapped[float] = mapped_column()
    result: Mapped[float | None] = mapped_column(comment="recorded at evaluation")

    project: Mapped[Project] = relationship(back_populates="kpis")


class ProjectStageChange(Base):
    """The history of a project: every move, who made it, when, and why."""

    __tablename__ = "project_stage_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    move: Mapped[str] = mapped_column(String(30))
    from_stage: Mapped[Stage | None] = mapped_column(str_enum_column(Stage, name="from_stage"))
    to_stage: Mapped[Stage] = mapped_column(str_enum_column(Stage, name="to_stage"))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    comment: Mapped[str] = mapped_column(Text, default="")
    details: Mapped[dict[str, Any] | None] = mapped_column(JSON, comment="e.g. the approval checklist")

    project: Mapped[Project] = relationship(back_populates="changes")
    actor: Mapped[User | None] = relationship()


class Notification(Base):
    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40), default="", server_default="",
                                      comment="what happened; rendered with params in the reader's language")
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    message: Mapped[str] = mapped_column(Text, default="", server_default="",
                                         comment="text of notifications stored before kind and params")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    project: Mapped[Project | None] = relationship()


class OutboxEmail(Base):
    """Mail written in the same transaction as the change, sent by a job after it commits.

    status: pending → claimed (one delivery job owns it) → sent, or back to pending with a later
    next_attempt_at, or failed (permanently refused, out of attempts, or an outcome that cannot be
    known: such mail is never retried, so that nobody gets it twice).
    """

    __tablename__ = "outbox_emails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    # What to say, rendered by the delivery job in the recipient's language (never in the
    # action's transaction). Rows written before keep their text in subject and body.
    kind: Mapped[str] = mapped_column(String(40), default="", server_default="")
    params: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    locale: Mapped[str | None] = mapped_column(String(5), comment="the recipient's language when written")
    project_id: Mapped[int | None] = mapped_column(ForeignKey("projects.id", ondelete="SET NULL"))
    subject: Mapped[str] = mapped_column(String(200), default="", server_default="")
    body: Mapped[str] = mapped_column(Text, default="", server_default="")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending", index=True)
    next_attempt_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    claimed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    sent_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
