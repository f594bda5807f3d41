"""Reads about people and organizations: applications to review, the staff list, profiles."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import MembershipStatus, Municipality, Organization, User

from ..domain.errors import NotFound
from ..policies import Permission, can


def pending_applications(session: Session, actor: User) -> list[Organization]:
    if not can(actor, Permission.ORGANIZATION_REVIEW):
        return []
    return list(session.scalars(select(Organization).where(Organization.membership_status == MembershipStatus.PENDING)
                                .options(selectinload(Organization.members)).order_by(Organization.created_at)))


def pending_application(session: Session, organization_id: int, actor: User) -> Organization:
    """A pending application the actor may review. Raises NotFound otherwise (reviewed already,
    or not the actor's to review), so the confirmation page never shows a decided one."""
    found = session.get(Organization, organization_id) if can(actor, Permission.ORGANIZATION_REVIEW) else None
    if found is None or found.membership_status is not MembershipStatus.PENDING:
        raise NotFound()
    return found


def applicant_contact(organization: Organization) -> User | None:
    """The person who applied: the application's first member."""
    return min(organization.members, key=lambda member: member.id, default=None)


def organization(session: Session, organization_id: int, actor: User) -> Organization:
    """Raises NotFound unless the actor may see the organization (pending ones are private)."""
    found = session.get(Organization, organization_id)
    if found is None or not can(actor, Permission.ORGANIZATION_VIEW, found):
        raise NotFound()
    return found


def organizations_by_id(session: Session, ids: list[int]) -> dict[int, Organization]:
    return {o.id: o for o in session.scalars(select(Organization).where(Organization.id.in_(ids)))} if ids else {}


def municipalities_by_id(session: Session, ids: list[int]) -> dict[int, Municipality]:
    return {m.id: m for m in session.scalars(select(Municipality).where(Municipality.id.in_(ids)))} if ids else {}


def staff_list(session: Session) -> list[User]:
    return list(session.scalars(select(User).options(selectinload(User.municipality), selectinload(User.organization))
                                .order_by(User.role, User.email)))
