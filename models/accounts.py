"""Organizations and users."""

from __future__ import annotations

import datetime as dt
import unicodedata

from sqlalchemy import Column, DateTime, ForeignKey, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from .base import Base, TimestampMixin
from .enums import MemberCategory, MembershipStatus, OrganizationKind, Role, str_enum_column
from .reference import Field, Municipality

coordinator_fields = Table(
    "coordinator_fields",
    Base.metadata,
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("field_id", ForeignKey("fields.id", ondelete="CASCADE"), primary_key=True),
)


def normalize_email(email: str) -> str:
    """Emails compare case-insensitively and 全角 input is folded to ASCII."""
    return unicodedata.normalize("NFKC", email).strip().lower()


class Organization(TimestampMixin, Base):
    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    name_kana: Mapped[str] = mapped_column(String(200), default="")
    name_en: Mapped[str] = mapped_column(String(200), default="")
    kind: Mapped[OrganizationKind] = mapped_column(str_enum_column(OrganizationKind))
    member_category: Mapped[MemberCategory] = mapped_column(
        str_enum_column(MemberCategory), comment="OSPF 会員種別"
    )
    membership_status: Mapped[MembershipStatus] = mapped_column(
        str_enum_column(MembershipStatus),
        default=MembershipStatus.APPROVED,
        comment="applications stay pending until a coordinator or admin approves them",
    )
    website: Mapped[str] = mapped_column(String(300), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    contact_email: Mapped[str] = mapped_column(String(254), default="")
    contact_phone: Mapped[str] = mapped_column(String(40), default="")
    municipality_id: Mapped[int | None] = mapped_column(
        ForeignKey("municipalities.id"), comment="head office location, if in Osaka Prefecture"
    )
    version: Mapped[int] = mapped_column(default=1)

    municipality: Mapped[Municipality | None] = relationship()
    members: Mapped[list[User]] = relationship(back_populates="organization")

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Organization {self.name}>"


class User(TimestampMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True, comment="stored normalised: NFKC, lower case")
    password_hash: Mapped[str] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(80))
    role: Mapped[Role] = mapped_column(str_enum_column(Role))
    municipality_id: Mapped[int | None] = mapped_column(ForeignKey("municipalities.id"))
    organization_id: Mapped[int | None] = mapped_column(ForeignKey("organizations.id"))
    is_active: Mapped[bool] = mapped_column(default=True)
    session_version: Mapped[int] = mapped_column(
        default=1, comment="bumped on logout and password change to end every session server-side"
    )
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    locale: Mapped[str | None] = mapped_column(String(5))

    municipality: Mapped[Municipality | None] = relationship()
    organization: Mapped[Organization | None] = relationship(back_populates="members")
    coordinator_fields: Mapped[list[Field]] = relationship(secondary=coordinator_fields)

    @validates("email")
    def _normalize_email(self, _key: str, email: str) -> str:
        return normalize_email(email)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class LoginThrottle(Base):
    """Failed sign-ins counted per scope (an account from one client, or one client), in the
    database so every worker process sees the same count. The key is a SHA-256 of the scope:
    no address or e-mail is stored here."""

    __tablename__ = "login_throttles"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    last_failure_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    blocked_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
