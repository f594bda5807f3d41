"""The two sides of a match: municipal issues (地域課題) and technologies (技術・ソリューション)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, String, Table, Text, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import Organization, User
from .base import Base, TimestampMixin, utcnow
from .enums import BudgetRange, ChallengeStatus, Maturity, PriceBand, str_enum_column
from .reference import Field, Municipality

challenge_fields = Table(
    "challenge_fields",
    Base.metadata,
    Column("challenge_id", ForeignKey("challenges.id", ondelete="CASCADE"), primary_key=True),
    Column("field_id", ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True),
)

technology_fields = Table(
    "technology_fields",
    Base.metadata,
    Column("technology_id", ForeignKey("technologies.id", ondelete="CASCADE"), primary_key=True),
    Column("field_id", ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True),
)

technology_deployments = Table(
    "technology_deployments",
    Base.metadata,
    Column("technology_id", ForeignKey("technologies.id", ondelete="CASCADE"), primary_key=True),
    Column("municipality_id", ForeignKey("municipalities.id", ondelete="CASCADE"), primary_key=True),
    comment="municipalities where the technology is already in service",
)


class Challenge(TimestampMixin, Base):
    """A local issue posted by a municipality."""

    __tablename__ = "challenges"

    id: Mapped[int] = mapped_column(primary_key=True)
    municipality_id: Mapped[int] = mapped_column(ForeignKey("municipalities.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    target: Mapped[str] = mapped_column(String(200), default="", comment="target group or area")
    budget_range: Mapped[BudgetRange] = mapped_column(
        str_enum_column(BudgetRange), default=BudgetRange.UNDECIDED
    )
    desired_start: Mapped[dt.date | None] = mapped_column(Date)
    available_data: Mapped[str] = mapped_column(Text, default="", comment="data the municipality can provide")
    status: Mapped[ChallengeStatus] = mapped_column(
        str_enum_column(ChallengeStatus),
        default=ChallengeStatus.DRAFT,
        index=True,
        comment="only open issues are matched and shown to companies",
    )
    search_title: Mapped[str] = mapped_column(Text, default="", server_default="",
                                              comment="title, NFKC and case folded (matchmaker/search.py)")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="",
                                             comment="all text, NFKC and case folded")
    search_tokens: Mapped[str] = mapped_column(Text, default="", server_default="",
                                               comment="analyser tokens before synonyms, space-delimited")
    version: Mapped[int] = mapped_column(default=1, comment="optimistic lock: a stale form is refused")
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(
        DateTime(timezone=True), comment="when the officer last confirmed the issue is still open (publishing counts)")
    qa_deadline: Mapped[dt.date | None] = mapped_column(Date, comment="last day (Japan time) to ask questions")
    external_key: Mapped[str | None] = mapped_column(
        String(64), comment="the row's key in the municipality's own spreadsheet: re-importing updates, never duplicates")

    municipality: Mapped[Municipality] = relationship()
    author: Mapped[User | None] = relationship()
    fields: Mapped[list[Field]] = relationship(secondary=challenge_fields, order_by=Field.position)

    __mapper_args__ = {"version_id_col": version}
    # A unique index, not a constraint: SQLite adds it without rebuilding the table.
    __table_args__ = (Index("ix_challenges_external_key", "municipality_id", "external_key", unique=True),
                      # the list's filter and order (newest first), so a page is an index range scan
                      Index("ix_challenges_status_updated", "status", "updated_at", "id"))

    def __repr__(self) -> str:
        return f"<Challenge {self.id} {self.title!r}>"


class Technology(TimestampMixin, Base):
    """A technology or solution registered by a member organization."""

    __tablename__ = "technologies"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text)
    maturity: Mapped[Maturity] = mapped_column(str_enum_column(Maturity), default=Maturity.CONCEPT)
    price_band: Mapped[PriceBand] = mapped_column(str_enum_column(PriceBand), default=PriceBand.ON_REQUEST)
    is_retired: Mapped[bool] = mapped_column(default=False, comment="retired technologies are no longer matched")
    search_title: Mapped[str] = mapped_column(Text, default="", server_default="",
                                              comment="title, NFKC and case folded (matchmaker/search.py)")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="",
                                             comment="all text, NFKC and case folded")
    search_tokens: Mapped[str] = mapped_column(Text, default="", server_default="",
                                               comment="analyser tokens before synonyms, space-delimited")
    offered: Mapped[bool] = mapped_column(default=True, server_default=true(),
                                          comment="false: listed but not currently offered, so not matched or alerted")
    version: Mapped[int] = mapped_column(default=1, comment="optimistic lock: a stale form is refused")
    external_key: Mapped[str | None] = mapped_column(
        String(64), comment="the row's key in the company's own catalogue: re-importing updates, never duplicates")

    organization: Mapped[Organization] = relationship()
    fields: Mapped[list[Field]] = relationship(secondary=technology_fields, order_by=Field.position)
    deployed_in: Mapped[list[Municipality]] = relationship(
        secondary=technology_deployments, order_by=Municipality.code
    )

    __mapper_args__ = {"version_id_col": version}
    __table_args__ = (Index("ix_technologies_external_key", "organization_id", "external_key", unique=True),
                      Index("ix_technologies_updated", "updated_at", "id"))

    def __repr__(self) -> str:
        return f"<Technology {self.id} {self.title!r}>"


class ShortlistEntry(Base):
    """A technology an officer has shortlisted for one of the municipality's issues."""

    __tablename__ = "shortlist_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    challenge_id: Mapped[int] = mapped_column(ForeignKey("challenges.id", ondelete="CASCADE"), index=True)
    technology_id: Mapped[int] = mapped_column(ForeignKey("technologies.id", ondelete="CASCADE"), index=True)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    note: Mapped[str] = mapped_column(Text, default="")

    challenge: Mapped[Challenge] = relationship()
    technology: Mapped[Technology] = relationship()

    __table_args__ = (UniqueConstraint("challenge_id", "technology_id", name="challenge_technology"),)
