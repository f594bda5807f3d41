"""Typed SQLAlchemy models. No Flask, no workflow logic, no commits."""

from .accounts import LoginThrottle, Organization, User, coordinator_fields, normalize_email
from .audit import AuditEvent
from .base import NAMING_CONVENTION, Base, utcnow
from .catalogue import (
    Challenge,
    ShortlistEntry,
    Technology,
    challenge_fields,
    technology_deployments,
    technology_fields,
)
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
from .feed import FEED_ENTITIES, FeedEntry, FeedHead, new_database_id
from .reference import (
    FIELD_KEYS,
    Field,
    InvalidLocalGovernmentCode,
    Municipality,
    local_government_code_check_digit,
    validate_local_government_code,
)
from .vocabulary import VOCABULARY_TERM_MAX, VocabularyEntry, vocabulary_pair_key
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

__all__ = [
    "FEED_ENTITIES",
    "FIELD_KEYS",
    "NAMING_CONVENTION",
    "TERMINAL_STAGES",
    "VOCABULARY_TERM_MAX",
    "AuditEvent",
    "Base",
    "BudgetRange",
    "Challenge",
    "ChallengeStatus",
    "ContractType",
    "FeedEntry",
    "FeedHead",
    "Field",
    "InvalidLocalGovernmentCode",
    "LoginThrottle",
    "Maturity",
    "MemberCategory",
    "MembershipStatus",
    "Municipality",
    "Notification",
    "Organization",
    "OrganizationKind",
    "OutboxEmail",
    "PriceBand",
    "Project",
    "ProjectKpi",
    "ProjectStageChange",
    "Role",
    "RolloutPattern",
    "ShortlistEntry",
    "Stage",
    "Technology",
    "User",
    "VocabularyEntry",
    "challenge_fields",
    "coordinator_fields",
    "local_government_code_check_digit",
    "new_database_id",
    "normalize_email",
    "technology_deployments",
    "technology_fields",
    "utcnow",
    "validate_local_government_code",
    "vocabulary_pair_key",
]
