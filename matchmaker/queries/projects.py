"""Reads of projects: the list, the inbox, one project's page. Only what the viewer may open."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select
from sqlalchemy.orm import Session, selectinload

from models import Notification, Project, ProjectMessage, ProjectStageChange, Stage, User

from ..actions import workflow
from ..policies import projects as project_policy
from .paging import Page, Shown, paginate

INBOX_NOTIFICATIONS = 50
# Moves that end or turn back a project: offered on its page, not listed as work waiting in the inbox.
NOT_WAITING = frozenset({"withdraw", "cancel", "return_pilot", "reject_pilot", "decline"})


PROJECTS_PER_PAGE = 50


def project_list(session: Session, actor: User, stage: str = "", page: int = 1) -> Page:
    """One page of the projects the actor may open, most recently moved first."""
    query = projects_filtered(actor, stage).order_by(Project.stage_changed_at.desc(), Project.id.desc())
    return paginate(session, query, page, PROJECTS_PER_PAGE)


def projects_filtered(actor: User, stage: str = "") -> Select[Project]:
    """The project list's query before ordering and paging (shared by the page and the API)."""
    query = (select(Project).where(project_policy.visible(actor))
             .options(selectinload(Project.municipalities), selectinload(Project.lead_organization),
                      selectinload(Project.organizations)))
    if stage in {s.value for s in Stage}:
        query = query.where(Project.stage == Stage(stage))
    return query


# The first `WAITING_SHOWN` projects waiting for a person and how many wait in all: the rest are
# in the project list.
Waiting = Shown[tuple[Project, list[workflow.Move]]]


WAITING_SHOWN = 30


def _waiting_clause(actor: User) -> ColumnElement[bool]:
    """Projects where the actor plays a part that has a move forward from the project's stage
    (the workflow table and the policy's rule, in SQL: nothing is loaded to be discarded)."""
    clauses = []
    for part in sorted(project_policy.PARTS):
        stages = sorted({stage.value for move in workflow.MOVES.values() if move.name not in NOT_WAITING
                         and part in move.actors for stage in move.sources if stage in workflow.OPEN_STAGES})
        if stages:
            clauses.append(and_(Project.stage.in_(stages), project_policy.plays(actor, part)))
    return or_(*clauses) if clauses else false()


def waiting(session: Session, actor: User, limit: int = WAITING_SHOWN) -> Waiting:
    """Open projects waiting for this person, with the moves that take them forward: the
    longest waiting first, at most `limit` of them, and the total (two queries and the parts of
    the projects shown, whatever the number of projects)."""
    query = select(Project).where(_waiting_clause(actor), project_policy.visible(actor))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    found = []
    for project in session.scalars(query.options(*project_policy.LOAD_PARTS)
                                   .order_by(Project.stage_changed_at, Project.id).limit(limit)):
        moves = [m for m in workflow.available_moves(project, actor) if m.name not in NOT_WAITING]
        if moves:
            found.append((project, moves))
    return Waiting(found, total)


def unread_count(session: Session, actor: User) -> int:
    """How many of the actor's notifications are unread (the count beside the inbox link)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None))) or 0


def notifications(session: Session, actor: User) -> list[Notification]:
    """The newest first by when they happened: ids follow insert order, which is not time order for
    imported or seeded history, nor on PostgreSQL, where ids are taken before commit."""
    return list(session.scalars(select(Notification).where(Notification.user_id == actor.id)
                                .order_by(Notification.created_at.desc(), Notification.id.desc())
                                .limit(INBOX_NOTIFICATIONS)))


@dataclass
class ProjectPage:
    project: Project
    moves: list[workflow.Move]
    origin: Project | None
    rollouts: list[Project]
    messages: list[ProjectMessage]
    # The project this one rolls out, when the reader may not open it (another municipality's):
    # what it achieved (stage, evaluation, KPI results) is what a rollout is decided on, so that
    # much is shown; its conversation and files are not.
    origin_outcome: Project | None = None


def project_page(session: Session, project_id: int, actor: User) -> ProjectPage:
    """A project the actor may open (NotFound otherwise), with its history, KPIs and the
    related projects the actor may open too. Raises NotFound."""
    project = workflow.get_project(session, project_id, actor=actor)
    session.scalars(select(Project).where(Project.id == project.id).options(
        *project_policy.LOAD_PARTS, selectinload(Project.kpis), selectinload(Project.lead_organization),
        selectinload(Project.changes).selectinload(ProjectStageChange.actor),
        selectinload(Project.rollouts).options(*project_policy.LOAD_PARTS))).one()
    origin = project.origin if project.origin is not None and project_policy.can_view(actor, project.origin) else None
    outcome = project.origin if origin is None and project_policy.can_read_origin_outcome(actor, project) else None
    rollouts = [r for r in project.rollouts if project_policy.can_view(actor, r)]
    # Whoever may open the project reads its messages (the attachments' bytes stay unloaded).
    messages = list(session.scalars(
        select(ProjectMessage).where(ProjectMessage.project_id == project.id)
        .options(selectinload(ProjectMessage.author), selectinload(ProjectMessage.attachments))
        .order_by(ProjectMessage.created_at, ProjectMessage.id)))
    return ProjectPage(project, workflow.available_moves(project, actor), origin, rollouts, messages, outcome)
