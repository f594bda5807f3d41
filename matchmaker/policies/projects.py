"""Who may see a project and who may make which move: one predicate in Python, the same rule in SQL.

A person plays up to three parts in a project:
  officer      an officer of a participating municipality
  lead         a member of the lead organization
  coordinator  a coordinator covering one of the project's fields
Admins play every part. A project is visible to the people who play a part in it and to the
members of every participating organization; a rollout (横展開) also to the officers of its
origin's municipalities, who follow where their solution went (they read it, and play no part in
it). The reverse holds for outcomes only: whoever may see a rollout reads what its origin
achieved (`can_read_origin_outcome`: title, municipalities, stage, evaluation and KPIs, never its
conversation or files), since a rollout is decided on that. Nobody else learns a project's title,
stage or count.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.orm import Session, aliased, selectinload

from models import Challenge, ChallengeStatus, Field, Municipality, Organization, Project, Role, Stage, Technology, User

OFFICER, LEAD, COORDINATOR = "officer", "lead", "coordinator"
PARTS = frozenset({OFFICER, LEAD, COORDINATOR})


class HasActors(Protocol):
    """A workflow move as far as the policy cares: the parts that may make it."""

    actors: frozenset[str]


def project_fields(project: Project) -> set[str]:
    return {f.key for c in project.challenges for f in c.fields} | {f.key for t in project.technologies for f in t.fields}


def parts(user: User, project: Project) -> set[str]:
    """The parts the user plays in this project."""
    if user.role is Role.ADMIN:
        return set(PARTS)
    found: set[str] = set()
    if user.role is Role.MUNICIPAL_OFFICER and user.municipality_id in {m.id for m in project.municipalities}:
        found.add(OFFICER)
    if user.role is Role.COMPANY_MEMBER and user.organization_id == project.lead_organization_id:
        found.add(LEAD)
    if user.role is Role.COORDINATOR and {f.key for f in user.coordinator_fields} & project_fields(project):
        found.add(COORDINATOR)
    return found


def can_view(user: User | None, project: Project) -> bool:
    if user is None or not user.is_active:
        return False
    if user.role is Role.COMPANY_MEMBER and user.organization_id in {o.id for o in project.organizations}:
        return True
    if (user.role is Role.MUNICIPAL_OFFICER and project.origin is not None
            and user.municipality_id in {m.id for m in project.origin.municipalities}):
        return True
    return bool(parts(user, project))


def can_read_origin_outcome(user: User | None, rollout: Project) -> bool:
    """Whether the reader of `rollout` sees the outcome of the project it rolls out (which they may
    not otherwise open): everyone who may see the rollout."""
    return rollout.origin is not None and can_view(user, rollout)


def visible(user: User | None) -> ColumnElement[bool]:
    """`can_view` as a WHERE clause over Project, so lists and counts never load what they may not show."""
    if user is None or not user.is_active:
        return false()
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.MUNICIPAL_OFFICER and user.municipality_id is not None:
        origin = aliased(Project)
        from_origin = select(origin.id).where(
            origin.id == Project.origin_project_id,
            origin.municipalities.any(Municipality.id == user.municipality_id)).exists()
        return or_(Project.municipalities.any(Municipality.id == user.municipality_id), from_origin)
    if user.role is Role.COMPANY_MEMBER and user.organization_id is not None:
        return or_(Project.lead_organization_id == user.organization_id,
                   Project.organizations.any(Organization.id == user.organization_id))
    if user.role is Role.COORDINATOR:
        field_ids = [f.id for f in user.coordinator_fields]
        if not field_ids:
            return false()
        return or_(Project.challenges.any(Challenge.fields.any(Field.id.in_(field_ids))),
                   Project.technologies.any(Technology.fields.any(Field.id.in_(field_ids))))
    return false()


def plays(user: User | None, part: str) -> ColumnElement[bool]:
    """`part in parts(user, project)` as a WHERE clause over Project (lists of work waiting)."""
    if user is None or not user.is_active:
        return false()
    if user.role is Role.ADMIN:
        return true()
    if part == OFFICER and user.role is Role.MUNICIPAL_OFFICER and user.municipality_id is not None:
        return Project.municipalities.any(Municipality.id == user.municipality_id)
    if part == LEAD and user.role is Role.COMPANY_MEMBER and user.organization_id is not None:
        return Project.lead_organization_id == user.organization_id
    if part == COORDINATOR and user.role is Role.COORDINATOR:
        field_ids = [f.id for f in user.coordinator_fields]
        if not field_ids:
            return false()
        return or_(Project.challenges.any(Challenge.fields.any(Field.id.in_(field_ids))),
                   Project.technologies.any(Technology.fields.any(Field.id.in_(field_ids))))
    return false()


def can_make(user: User | None, project: Project, move: HasActors) -> bool:
    """Whether the user plays a part the move allows (the stage is the workflow's business)."""
    return user is not None and user.is_active and bool(move.actors & parts(user, project))


def can_post_message(user: User | None, project: Project) -> bool:
    """Its participants and coordinators write in a project: whoever plays a part, and members of
    every participating organization (not the origin's officers, who only read a rollout)."""
    if user is None or not user.is_active:
        return False
    if user.role is Role.COMPANY_MEMBER and user.organization_id in {o.id for o in project.organizations}:
        return True
    return bool(parts(user, project))


def can_start_rollout(user: User | None, project: Project) -> bool:
    """The lead company or a coordinator of the project's fields (start_rollout still checks the stage)."""
    return user is not None and user.is_active and bool(parts(user, project) & {LEAD, COORDINATOR})


# The text similarity (the engine's text part, without the field and track-record priors) an
# issue needs before a rollout attaches it: genuine counterparts on the demo data are 0.1–0.25,
# an elderly-sensor against a wild-boar crop-damage issue 0.02.
SIMILARITY_FLOOR = 0.05


def is_related(challenge: Challenge, fields: set[str], similarity: float) -> bool:
    """Whether a rollout may attach this issue: open, in one of the origin's fields, and text
    that is really alike (sharing a secondary field such as safety is not enough)."""
    return (challenge.status is ChallengeStatus.OPEN and bool({f.key for f in challenge.fields} & fields)
            and similarity >= SIMILARITY_FLOOR)


def municipalities_with_officers(session: Session, ids: Iterable[int] | None = None) -> set[int]:
    """Municipalities with at least one active officer account: someone who could accept."""
    query = select(User.municipality_id).where(User.role == Role.MUNICIPAL_OFFICER, User.is_active.is_(True),
                                               User.municipality_id.is_not(None)).distinct()
    if ids is not None:
        query = query.where(User.municipality_id.in_(list(ids)))
    return {m for m in session.scalars(query) if m is not None}


def participants(session: Session, project: Project) -> list[User]:
    """The active people who play a part in the project now: whom its news is for."""
    municipality_ids = [m.id for m in project.municipalities]
    organization_ids = [o.id for o in project.organizations]
    people = list(session.scalars(select(User).where(User.is_active.is_(True), (
        (User.role == Role.MUNICIPAL_OFFICER) & User.municipality_id.in_(municipality_ids)) | (
        (User.role == Role.COMPANY_MEMBER) & User.organization_id.in_(organization_ids)))))
    if project.stage is Stage.PILOT_REQUESTED:
        fields = project_fields(project)
        people += [u for u in session.scalars(select(User).where(User.role == Role.COORDINATOR, User.is_active.is_(True)))
                   if {f.key for f in u.coordinator_fields} & fields]
    return people


def field_coordinators(session: Session, project: Project) -> list[User]:
    """Active coordinators covering one of the project's fields."""
    fields = project_fields(project)
    return [u for u in session.scalars(select(User).where(User.role == Role.COORDINATOR, User.is_active.is_(True)))
            if {f.key for f in u.coordinator_fields} & fields]


# What `parts` and `can_view` read, to load with a list of projects instead of once per project.
LOAD_PARTS = (
    selectinload(Project.municipalities), selectinload(Project.organizations),
    selectinload(Project.challenges).selectinload(Challenge.fields),
    selectinload(Project.technologies).selectinload(Technology.fields),
)
