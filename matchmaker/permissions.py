"""Who may do what: a table of role -> permissions, plus ownership rules, in one place.

Actions call `require`; templates call `can` only to hide what an action would refuse anyway.
"""

from __future__ import annotations

import enum
from typing import Any

from models import Challenge, ChallengeStatus, Organization, Project, Role, Technology, User

from .errors import PermissionDenied
from .policies import projects as project_policy


class Permission(str, enum.Enum):
    CHALLENGE_VIEW = "challenge:view"
    CHALLENGE_CREATE = "challenge:create"
    CHALLENGE_EDIT = "challenge:edit"
    CHALLENGE_CHANGE_STATUS = "challenge:change_status"
    SHORTLIST_EDIT = "shortlist:edit"
    TECHNOLOGY_VIEW = "technology:view"
    TECHNOLOGY_CREATE = "technology:create"
    TECHNOLOGY_EDIT = "technology:edit"
    ORGANIZATION_VIEW = "organization:view"
    ORGANIZATION_EDIT = "organization:edit"
    ORGANIZATION_REVIEW = "organization:review"
    CONTACT_VIEW = "contact:view"
    MATCH_VIEW = "match:view"
    USER_CREATE = "user:create"
    COORDINATION_VIEW = "coordination:view"
    ENGINE_RESCORE = "engine:rescore"
    PROJECT_VIEW = "project:view"


_EVERYONE = {
    Permission.CHALLENGE_VIEW, Permission.TECHNOLOGY_VIEW, Permission.ORGANIZATION_VIEW,
    Permission.MATCH_VIEW, Permission.PROJECT_VIEW,
}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.MUNICIPAL_OFFICER: frozenset(_EVERYONE | {
        Permission.CHALLENGE_CREATE, Permission.CHALLENGE_EDIT, Permission.CHALLENGE_CHANGE_STATUS,
        Permission.SHORTLIST_EDIT, Permission.CONTACT_VIEW,
    }),
    Role.COMPANY_MEMBER: frozenset(_EVERYONE | {
        Permission.TECHNOLOGY_CREATE, Permission.TECHNOLOGY_EDIT, Permission.ORGANIZATION_EDIT,
        Permission.CONTACT_VIEW,
    }),
    Role.COORDINATOR: frozenset(_EVERYONE | {
        Permission.ORGANIZATION_REVIEW, Permission.CONTACT_VIEW, Permission.COORDINATION_VIEW,
    }),
    Role.ADMIN: frozenset(Permission),
}


def _owns(actor: User, obj: Any) -> bool:
    """Ownership rules: officers act for their municipality, members for their organization."""
    if actor.role is Role.ADMIN:
        return True
    if isinstance(obj, Challenge):
        return actor.role is Role.MUNICIPAL_OFFICER and obj.municipality_id == actor.municipality_id
    if isinstance(obj, Technology):
        return actor.role is Role.COMPANY_MEMBER and obj.organization_id == actor.organization_id
    if isinstance(obj, Organization):
        return actor.role is Role.COMPANY_MEMBER and obj.id == actor.organization_id
    return False


_OWNERSHIP_REQUIRED = {
    Permission.CHALLENGE_EDIT, Permission.CHALLENGE_CHANGE_STATUS, Permission.SHORTLIST_EDIT,
    Permission.TECHNOLOGY_EDIT, Permission.ORGANIZATION_EDIT,
}


def can(actor: User | None, permission: Permission, obj: Any = None) -> bool:
    if actor is None or not actor.is_active:
        return False
    if permission not in ROLE_PERMISSIONS[actor.role]:
        return False
    if permission in _OWNERSHIP_REQUIRED and obj is not None:
        return _owns(actor, obj)
    if permission is Permission.CHALLENGE_VIEW and isinstance(obj, Challenge):
        # Drafts are the municipality's own working copies.
        return obj.status is not ChallengeStatus.DRAFT or _owns(actor, obj) or actor.role is Role.COORDINATOR
    if permission is Permission.PROJECT_VIEW and isinstance(obj, Project):
        return project_policy.can_view(actor, obj)
    if permission is Permission.TECHNOLOGY_VIEW and isinstance(obj, Technology):
        return not obj.is_retired or _owns(actor, obj) or actor.role is Role.COORDINATOR
    return True


def require(actor: User | None, permission: Permission, obj: Any = None) -> None:
    """Raises PermissionDenied unless `can` allows it."""
    if not can(actor, permission, obj):
        raise PermissionDenied()
