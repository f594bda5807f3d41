"""Issues, technologies, shortlists and contact details: who may see and change them.

Officers act for their own municipality and members for their own organization; admins act for
anyone. A draft issue is its municipality's working copy; a retired technology is its company's.
Coordinators see both, because they steer the catalogue.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select, true
from sqlalchemy.orm import Session

from models import Challenge, ChallengeStatus, Organization, Role, ShortlistEntry, Technology, User

from . import organizations

_STEWARDS = (Role.COORDINATOR, Role.ADMIN)


def owns_challenge(user: User, challenge: Challenge) -> bool:
    return user.role is Role.ADMIN or (
        user.role is Role.MUNICIPAL_OFFICER and challenge.municipality_id == user.municipality_id)


def owns_technology(user: User, technology: Technology) -> bool:
    return user.role is Role.ADMIN or (
        user.role is Role.COMPANY_MEMBER and technology.organization_id == user.organization_id)


def can_edit_challenge(user: User, challenge: Challenge) -> bool:
    """The content of an issue: its municipality's officers, and coordinators, who steer the
    catalogue (entering issues gathered at a Meet-up, importing a municipality's spreadsheet).
    Only the municipality closes or reopens it and keeps its shortlist (owns_challenge)."""
    return user.role is Role.COORDINATOR or owns_challenge(user, challenge)


def can_edit_technology(user: User, technology: Technology) -> bool:
    """The content of a technology: its organisation's members, and coordinators. Proposing and
    answering invitations stay the company's own (owns_technology)."""
    return user.role is Role.COORDINATOR or owns_technology(user, technology)


def can_view_challenge(user: User, challenge: Challenge) -> bool:
    return challenge.status is not ChallengeStatus.DRAFT or user.role in _STEWARDS or owns_challenge(user, challenge)


def challenges_visible(user: User) -> ColumnElement[bool]:
    """`can_view_challenge` as a WHERE clause over Challenge."""
    if user.role in _STEWARDS:
        return true()
    mine = Challenge.municipality_id == user.municipality_id if user.role is Role.MUNICIPAL_OFFICER else None
    return or_(Challenge.status != ChallengeStatus.DRAFT, *([mine] if mine is not None else []))


def can_view_technology(user: User, technology: Technology) -> bool:
    if not organizations.can_view(user, technology.organization):
        return False
    return not technology.is_retired or user.role in _STEWARDS or owns_technology(user, technology)


def technologies_visible(user: User) -> ColumnElement[bool]:
    """`can_view_technology` as a WHERE clause over Technology."""
    listed = Technology.organization.has(organizations.visible(user))
    if user.role in _STEWARDS:
        return listed
    mine = Technology.organization_id == user.organization_id if user.role is Role.COMPANY_MEMBER else None
    return listed & or_(Technology.is_retired.is_(False), *([mine] if mine is not None else []))


def can_view_shortlist(user: User, challenge: Challenge) -> bool:
    """A municipality's shortlist is its own working list, shared with coordinators only."""
    return user.role in _STEWARDS or owns_challenge(user, challenge)


def can_view_contact(user: User, organization: Organization) -> bool:
    """Contact details are for the parties of a match and for coordinators.

    A party: a member of the organization, or an officer of a municipality that has shortlisted
    one of its technologies (looked up in the organization's own session).
    """
    organization_id = organization.id
    if user.role in _STEWARDS or user.organization_id == organization_id:
        return True
    session = Session.object_session(organization)
    if user.role is Role.MUNICIPAL_OFFICER and session is not None:
        return session.scalar(
            select(ShortlistEntry.id).join(Challenge).join(Technology, ShortlistEntry.technology_id == Technology.id)
            .where(Challenge.municipality_id == user.municipality_id, Technology.organization_id == organization_id)
            .limit(1)
        ) is not None
    return False


def focus_field_ids(user: User) -> list[int] | None:
    """The fields whose issues a coordinator looks after; None for admins, who look after all."""
    return None if user.role is Role.ADMIN else [f.id for f in user.coordinator_fields]
