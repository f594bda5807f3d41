"""Member organizations: an application is private until it is approved.

A pending or rejected organization, and everything it registered, is seen only by its own
members, coordinators (who review applications) and admins.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from models import MembershipStatus, Organization, Role, User

_REVIEWERS = (Role.COORDINATOR, Role.ADMIN)


def can_view(user: User, organization: Organization) -> bool:
    return (organization.membership_status is MembershipStatus.APPROVED or user.role in _REVIEWERS
            or user.organization_id == organization.id)


def can_manage(user: User, organization: Organization) -> bool:
    """Its own members look after an approved organization's profile and people; admins any."""
    return user.role is Role.ADMIN or (user.organization_id == organization.id
                                       and organization.membership_status is MembershipStatus.APPROVED)


def visible(user: User) -> ColumnElement[bool]:
    """`can_view` as a WHERE clause over Organization."""
    if user.role in _REVIEWERS:
        return true()
    return or_(listed(), *([Organization.id == user.organization_id] if user.organization_id is not None else []))


def listed() -> ColumnElement[bool]:
    """Organizations anyone may register or be shown for: approved members."""
    return Organization.membership_status == MembershipStatus.APPROVED
