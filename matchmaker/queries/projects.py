"""Reads of projects: the list, the inbox, one project's page. Only what the viewer may open."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from models import Notification, Project, ProjectMessage, ProjectStageChange, Stage, User

from ..actions import workflow
from ..policies import projects as project_policy
from .paging import Page, paginate

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


def waiting(session: Session, actor: User) -> list[tuple[Project, list[workflow.Move]]]:
    """Open projects waiting for this person, with the moves that take them forward."""
    query = (select(Project).where(Project.stage.in_([s.value for s in workflow.OPEN_STAGES]),
                                   project_policy.visible(actor))
             .options(*project_policy.LOAD_PARTS).order_by(Project.stage_changed_at))
    found = []
    for project in session.scalars(query):
        moves = [m for m in workflow.available_moves(project, actor) if m.name not in NOT_WAITING]
        if moves:
            found.append((project, moves))
    return found


def unread_count(session: Session, actor: User) -> int:
    """How many of the actor's notifications are unread (the count beside the inbox link)."""
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == actor.id, Notification.read_at.is_(None))) or 0


def notifications(session: Session, actor: User) -> list[Notification]:
    return list(session.scalars(select(Notification).where(Notification.user_id == actor.id)
                                .order_by(Notification.id.desc()).limit(INBOX_NOTIFICATIONS)))


@dataclass
class ProjectPage:
    project: Project
    moves: list[workflow.Move]
    origin: Project | None
    rollouts: list[Project]
    messages: list[ProjectMessage]


def project_page(session: Session, project_id: int, actor: User) -> ProjectPage:
    """A project the actor may open (NotFound otherwise), with its history, KPIs and the
    related projects the actor may open too. Raises NotFound."""
    project = workflow.get_project(session, project_id, actor=actor)
    session.scalars(select(Project).where(Project.id == project.id).options(
        *project_policy.LOAD_PARTS, selectinload(Project.kpis), selectinload(Project.lead_organization),
        selectinload(Project.changes).selectinload(ProjectStageChange.actor),
        selectinload(Project.rollouts).options(*project_policy.LOAD_PARTS))).one()
    origin = project.origin if project.origin is not None and project_policy.can_view(actor, project.origin) else None
    rollouts = [r for r in project.rollouts if project_policy.can_view(actor, r)]
    # Whoever may open the project reads its messages (the attachments' bytes stay unloaded).
    messages = list(session.scalars(
        select(ProjectMessage).where(ProjectMessage.project_id == project.id)
        .options(selectinload(ProjectMessage.author), selectinload(ProjectMessage.attachments))
        .order_by(ProjectMessage.created_at, ProjectMessage.id)))
    return ProjectPage(project, workflow.available_moves(project, actor), origin, rollouts, messages)
