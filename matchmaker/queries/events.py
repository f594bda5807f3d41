"""Reads of forum events: the list, one event's page, and proposals per event for the dashboard.

Each read costs a fixed number of queries. An event page ranks companies for each of its issues
from the engine's stored rankings (one sync, at most MAX_ISSUES issues, the top few each), like the
issue page does, never by scoring in the request.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import (
    Challenge,
    ChallengeStatus,
    Event,
    EventProposal,
    EventRegistration,
    Project,
    RegistrationStatus,
    Technology,
    User,
    utcnow,
)

from ..actions.events import own_registration, waiting_position
from ..matching import RankedTechnology, match_service
from ..policies import Permission, can
from ..policies import catalogue as catalogue_policy
from ..policies import projects as project_policy
from .catalogue import technologies_by_id
from .dashboard import ALL_TIME, Period
from .paging import Page, paginate

UPCOMING_LIMIT = 50
PER_PAGE = 20
# Per issue on an event page: the engine's best technologies, shown as the best few companies.
TOP_TECHNOLOGIES = 10
TOP_COMPANIES = 3
REGISTRANTS_LIMIT = 500
DASHBOARD_EVENTS = 20


@dataclass
class EventList:
    upcoming: list[Event]
    past: Page
    mine: dict[int, RegistrationStatus]


def event_list(session: Session, actor: User, page: int, now: dt.datetime | None = None) -> EventList:
    """Upcoming events, soonest first; past ones, latest first, a page at a time; the actor's registrations."""
    moment = now or utcnow()
    upcoming = list(session.scalars(select(Event).where(Event.starts_at > moment)
                                    .order_by(Event.starts_at, Event.id).limit(UPCOMING_LIMIT)))
    past = paginate(session, select(Event).where(Event.starts_at <= moment)
                    .order_by(Event.starts_at.desc(), Event.id.desc()), page, PER_PAGE)
    ids = [e.id for e in upcoming] + [e.id for e in past.items]
    mine: dict[int, RegistrationStatus] = {
        event_id: status for event_id, status in session.execute(
            select(EventRegistration.event_id, EventRegistration.status).where(
                EventRegistration.user_id == actor.id, EventRegistration.event_id.in_(ids)))}
    return EventList(upcoming, past, mine)


@dataclass
class PresentedIssue:
    challenge: Challenge
    ranked: list[RankedTechnology]  # only technologies the actor may see


@dataclass
class EventPage:
    event: Event
    issues: list[PresentedIssue]
    technologies: dict[int, Technology]
    registration: EventRegistration | None
    waiting_position: int | None
    waiting_count: int
    registrants: list[EventRegistration] | None  # None: not the actor's to see
    proposals: list[Project] = field(default_factory=list)
    own_technologies: list[Technology] = field(default_factory=list)


def event_page(session: Session, event: Event, actor: User) -> EventPage:
    challenges = [c for c in session.scalars(
        select(Challenge).where(Challenge.id.in_([c.id for c in event.challenges]),
                                catalogue_policy.challenges_visible(actor))
        .options(selectinload(Challenge.municipality), selectinload(Challenge.fields)).order_by(Challenge.id))]
    ranked = match_service().technologies_for_many(session, [c.id for c in challenges], k=TOP_TECHNOLOGIES)
    technologies = technologies_by_id(session, actor, {r.technology_id for rs in ranked.values() for r in rs})
    issues = [PresentedIssue(c, [r for r in ranked[c.id] if r.technology_id in technologies]) for c in challenges]
    registration = own_registration(session, event.id, actor.id)
    waiting_count = session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == event.id, EventRegistration.status == RegistrationStatus.WAITLISTED)) or 0
    registrants = list(session.scalars(
        select(EventRegistration).where(EventRegistration.event_id == event.id,
                                        EventRegistration.status != RegistrationStatus.CANCELLED)
        .options(selectinload(EventRegistration.user).selectinload(User.organization),
                 selectinload(EventRegistration.user).selectinload(User.municipality))
        .order_by(EventRegistration.status, EventRegistration.registered_at, EventRegistration.id)
        .limit(REGISTRANTS_LIMIT))) if can(actor, Permission.EVENT_REGISTRANTS) else None
    proposals = list(session.scalars(
        select(Project).join(EventProposal, EventProposal.project_id == Project.id)
        .where(EventProposal.event_id == event.id, project_policy.visible(actor))
        .options(selectinload(Project.lead_organization)).order_by(Project.id)))
    own: list[Technology] = []
    if can(actor, Permission.EVENT_PROPOSE) and actor.organization_id is not None:
        own = list(session.scalars(select(Technology).where(Technology.organization_id == actor.organization_id,
                                                            Technology.is_retired.is_(False))
                                   .order_by(Technology.title)))
    return EventPage(event, issues, technologies, registration,
                     waiting_position(session, registration) if registration else None, waiting_count, registrants,
                     proposals, own)


@dataclass(frozen=True)
class EventProposalCount:
    event: Event
    proposals: int


def proposals_per_event(session: Session, actor: User, now: dt.datetime | None = None,
                        period: Period = ALL_TIME) -> list[EventProposalCount]:
    """The latest events that have begun, each with the number of proposals started from it that
    the actor may see (nobody counts projects they cannot open) and that were made within the
    dashboard's period (by proposal date, as its other figures). Two queries."""
    events = list(session.scalars(select(Event).where(Event.starts_at <= (now or utcnow()))
                                  .order_by(Event.starts_at.desc(), Event.id.desc()).limit(DASHBOARD_EVENTS)))
    counts: dict[int, int] = {event_id: count for event_id, count in session.execute(
        select(EventProposal.event_id, func.count()).join(Project, Project.id == EventProposal.project_id)
        .where(EventProposal.event_id.in_([e.id for e in events]), project_policy.visible(actor),
               *period.where(Project.created_at))
        .group_by(EventProposal.event_id))}
    return [EventProposalCount(e, counts.get(e.id, 0)) for e in events]


def attachable_challenges(session: Session, actor: User) -> list[Challenge]:
    """Open issues a coordinator may put on an event, newest first."""
    return list(session.scalars(select(Challenge).where(Challenge.status == ChallengeStatus.OPEN,
                                                        catalogue_policy.challenges_visible(actor))
                                .options(selectinload(Challenge.municipality))
                                .order_by(Challenge.updated_at.desc(), Challenge.id.desc())))


__all__ = ["EventList", "EventPage", "EventProposalCount", "PresentedIssue", "attachable_challenges", "event_list",
           "event_page", "proposals_per_event"]
