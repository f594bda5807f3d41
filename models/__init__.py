"""Typed SQLAlchemy models. No Flask, no workflow logic, no commits."""

from .accounts import LoginThrottle, Organization, User, coordinator_fields, normalize_email
from .audit import AuditEvent
from .base import NAMING_CONVENTION, Base, utcnow
from .catalogue import Challenge, ShortlistEntry, Technology, challenge_fields, technology_deployments, technology_fields
from .feed import FEED_ENTITIES, FeedEntry, FeedHead, new_database_id
from .enums import (
    BudgetRange,
    ChallengeStatus,
    Maturity,
    MemberCategory,
    MembershipStatus,
    OrganizationKind,
    PriceBand,
    Role,
)
from .workflow import (
    TERMINAL_STAGES,
    ContractType,
    Notification,
    OutboxEmail,
    Project,
    ProjectKpi,
    ProjectStageChange,
    RolloutPattern,
    Stage,
)
from .reference import (
    FIELD_KEYS,
    Field,
    InvalidLocalGovernmentCode,
    Municipality,
    local_government_code_check_digit,
    validate_local_government_code,
)

__all__ = [
    "ContractType", "Notification", "OutboxEmail", "Project", "ProjectKpi", "ProjectStageChange", "RolloutPattern",
    "Stage", "TERMINAL_STAGES",
    "FEED_ENTITIES", "FeedEntry", "FeedHead", "new_database_id",
    "AuditEvent", "Base", "BudgetRange", "Challenge", "ChallengeStatus", "FIELD_KEYS", "Field",
    "InvalidLocalGovernmentCode", "LoginThrottle", "Maturity", "MemberCategory", "MembershipStatus",
    "Municipality", "NAMING_CONVENTION", "Organization", "OrganizationKind", "PriceBand", "Role",
    "ShortlistEntry", "Technology", "User", "challenge_fields", "coordinator_fields", "local_government_code_check_digit",
    "normalize_email", "technology_deployments", "technology_fields", "utcnow",
    "validate_local_government_code",
]
