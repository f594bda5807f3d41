"""Enumerations stored as strings; their values are the stable keys used in files and URLs."""

from __future__ import annotations

import enum

from sqlalchemy import Enum as SAEnum


def str_enum_column(enum_cls: type[enum.Enum], length: int = 30, name: str | None = None) -> SAEnum:
    """A portable VARCHAR + CHECK enum that stores the member values, not names.

    Two columns of one enum in a table need distinct names: the CHECK constraint is named
    after it, and PostgreSQL refuses duplicate constraint names (SQLite does not notice).
    """
    return SAEnum(
        enum_cls,
        name=name or enum_cls.__name__.lower(),
        native_enum=False,
        create_constraint=True,
        length=length,
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )


class Role(str, enum.Enum):
    MUNICIPAL_OFFICER = "municipal_officer"
    COMPANY_MEMBER = "company_member"
    COORDINATOR = "coordinator"
    ADMIN = "admin"


class MemberCategory(str, enum.Enum):
    CORPORATE = "corporate"  # 法人会員
    INDIVIDUAL = "individual"  # 個人会員
    SPECIAL_SUPPORTING = "special_supporting"  # 特別賛助会員
    SUPPORTING = "supporting"  # 賛助会員


class OrganizationKind(str, enum.Enum):
    COMPANY = "company"
    UNIVERSITY = "university"
    ECONOMIC_BODY = "economic_body"
    MUNICIPAL_OFFICE = "municipal_office"
    CIVIC_TECH = "civic_tech"


class MembershipStatus(str, enum.Enum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


class ChallengeStatus(str, enum.Enum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"


class Maturity(str, enum.Enum):
    CONCEPT = "concept"
    PILOTED = "piloted"
    IN_SERVICE = "in_service"


class BudgetRange(str, enum.Enum):
    UNDECIDED = "undecided"
    UNDER_1M = "under_1m"
    FROM_1M_TO_5M = "1m_5m"
    FROM_5M_TO_20M = "5m_20m"
    OVER_20M = "over_20m"


class PriceBand(str, enum.Enum):
    FREE = "free"
    UNDER_1M = "under_1m"
    FROM_1M_TO_5M = "1m_5m"
    FROM_5M_TO_20M = "5m_20m"
    OVER_20M = "over_20m"
    ON_REQUEST = "on_request"
