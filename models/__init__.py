"""Typed SQLAlchemy models. No Flask, no workflow logic, no commits."""

from .accounts import LoginThrottle, Organization, User, coordinator_fields, normalize_email
from .alerts import AlertReceipt, AlertTask, Delivery, DigestRun, Follow, NotificationPreference, PendingDigest
from .api import ApiToken, TokenScope
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
from .conversation import Invitation, InvitationStatus, MessageAttachment, ProjectMessage, Question
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
from .events import Event, EventKind, EventProposal, EventRegistration, RegistrationStatus, event_challenges
from .feed import FEED_ENTITIES, FeedEntry, FeedHead, new_database_id
from .imports import StagedImport
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
    "AlertReceipt",
    "AlertTask",
    "ApiToken",
    "AuditEvent",
    "Base",
    "BudgetRange",
    "Challenge",
    "ChallengeStatus",
    "ContractType",
    "Delivery",
    "DigestRun",
    "Event",
    "EventKind",
    "EventProposal",
    "EventRegistration",
    "FeedEntry",
    "FeedHead",
    "Field",
    "Follow",
    "InvalidLocalGovernmentCode",
    "Invitation",
    "InvitationStatus",
    "LoginThrottle",
    "Maturity",
    "MemberCategory",
    "MembershipStatus",
    "MessageAttachment",
    "Municipality",
    "Notification",
    "NotificationPreference",
    "Organization",
    "OrganizationKind",
    "OutboxEmail",
    "PendingDigest",
    "PriceBand",
    "Project",
    "ProjectKpi",
    "ProjectMessage",
    "ProjectStageChange",
    "Question",
    "RegistrationStatus",
    "Role",
    "RolloutPattern",
    "ShortlistEntry",
    "Stage",
    "StagedImport",
    "Technology",
    "TokenScope",
    "User",
    "VocabularyEntry",
    "challenge_fields",
    "coordinator_fields",
    "event_challenges",
    "local_government_code_check_digit",
    "new_database_id",
    "normalize_email",
    "technology_deployments",
    "technology_fields",
    "utcnow",
    "validate_local_government_code",
    "vocabulary_pair_key",
]
