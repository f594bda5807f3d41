"""Reads of the catalogue: issue and technology lists and pages, the public counts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, func, literal_column, select
from sqlalchemy.orm import Session, selectinload

from models import (
    AuditEvent,
    Challenge,
    ChallengeStatus,
    Field,
    Invitation,
    InvitationStatus,
    Maturity,
    Municipality,
    Organization,
    Question,
    ShortlistEntry,
    Technology,
    User,
)

from .. import freshness
from ..actions.audit import history
from ..matching import RankedChallenge, RankedTechnology, match_service
from ..parsing import NotANumber, optional_id
from ..policies import Permission, can
from ..policies import catalogue as catalogue_policy
from ..policies import invitations as invitation_policy
from ..policies import organizations as organization_policy
from ..search import NameIndex, name_index, text_search, words
from .paging import Page, paginate, paginate_newest
from .questions import for_challenge as questions_for
from .reference import REGIONS

PER_PAGE = 20


def public_counts(session: Session) -> dict[str, int]:
    """The figures on the front page, which anyone may read: open issues, listed technologies."""
    return {
        "municipalities": session.scalar(select(func.count(Municipality.id))) or 0,
        "open_challenges": session.scalar(
            select(func.count(Challenge.id)).where(Challenge.status == ChallengeStatus.OPEN)) or 0,
        "technologies": session.scalar(
            select(func.count(Technology.id)).join(Organization)
            .where(Technology.is_retired.is_(False), organization_policy.listed())) or 0,
    }


def technologies_by_id(session: Session, actor: User, ids: Iterable[int]) -> dict[int, Technology]:
    """The given technologies that the actor may see, with what cards show, in one query."""
    ids = list(ids)
    if not ids:
        return {}
    return {t.id: t for t in session.scalars(
        select(Technology).where(Technology.id.in_(ids), catalogue_policy.technologies_visible(actor))
        .options(selectinload(Technology.organization), selectinload(Technology.fields)))}


def challenges_by_id(session: Session, actor: User, ids: Iterable[int]) -> dict[int, Challenge]:
    ids = list(ids)
    if not ids:
        return {}
    return {c.id: c for c in session.scalars(
        select(Challenge).where(Challenge.id.in_(ids), catalogue_policy.challenges_visible(actor))
        .options(selectinload(Challenge.municipality), selectinload(Challenge.fields)))}


# -- lists ------------------------------------------------------------------------------------
def challenge_list(session: Session, actor: User, args: Mapping[str, str], page: int) -> Page:
    """Issues the actor may see, filtered by status (open unless asked), field, place and text;
    newest first by keyset (`after`/`before` in args), or by relevance when searching.
    Raises BadCursor."""
    query, order = _challenge_query(session, actor, args)
    if len(order) > 2:  # relevance first: a search's pages by number
        return paginate(session, query.order_by(*order), page, PER_PAGE)
    return paginate_newest(session, query, Challenge.updated_at, Challenge.id, PER_PAGE, page=page,
                           after=args.get("after", ""), before=args.get("before", ""))


def challenges_filtered(session: Session, actor: User, args: Mapping[str, str]) -> Select[Challenge]:
    """The issue list's rows before ordering and paging (shared by the page and the API)."""
    return _challenge_query(session, actor, args)[0]


def _challenge_query(session: Session, actor: User, args: Mapping[str, str]) -> tuple[Select[Challenge], list[Any]]:
    """The issue list's query and its order (relevance first when searching)."""
    query = (select(Challenge).join(Municipality).where(catalogue_policy.challenges_visible(actor))
             .options(selectinload(Challenge.fields), selectinload(Challenge.municipality)))
    status = args.get("status", "open")
    if status in {s.value for s in ChallengeStatus}:
        query = query.where(_broad(session, Challenge.status == ChallengeStatus(status), args))
    if args.get("field"):
        query = query.where(Challenge.fields.any(Field.key == args["field"]))
    municipality = _municipality_filter(args)
    if municipality is not None:
        query = query.where(Challenge.municipality_id == municipality)
    place = args.get("place", "").strip()[:40]
    if place:  # a municipality by name (the filter's text box when there are too many to list)
        query = query.where(Challenge.municipality_id.in_(sorted(municipality_names(session).ids(place))))
    if args.get("region") in REGIONS:
        query = query.where(Municipality.region == args["region"])
    order: list[Any] = [Challenge.updated_at.desc(), Challenge.id.desc()]
    text = args.get("q", "").strip()[:100]
    if text:
        names = municipality_names(session)
        named = [_in_ids(Challenge.municipality_id, names.ids(word)) for word in words(text)]
        found = text_search(Challenge, text, match_service().analyzer(session), named,
                            trigram_table=_trigram_table(session))
        if found is not None:
            query = query.where(found.where)
            order.insert(0, found.score.desc())
    return query, order


def _trigram_table(session: Session) -> bool:
    """SQLite searches through the trigram tables of migration 0017; PostgreSQL's LIKE uses its
    pg_trgm indexes by itself."""
    return session.get_bind().dialect.name == "sqlite"


def _broad(session: Session, condition: ColumnElement[bool], args: Mapping[str, str]) -> ColumnElement[bool]:
    """A list's status condition, which most rows meet. When searching on SQLite, say so to its
    planner (which, without statistics, takes any indexed equality for a narrow one): the trigram
    lookups then lead, instead of a walk over every open row checking each against them."""
    if _trigram_table(session) and words(args.get("q", "").strip()[:100]):
        return func.likelihood(condition, literal_column("0.9375"))  # a constant, not a parameter
    return condition


def _in_ids(column: Any, ids: set[int]) -> Any:
    return column.in_(sorted(ids)) if ids else None


def _municipality_filter(args: Mapping[str, str]) -> int | None:
    """The municipality filter of a list, by the one id rule. A request with a bad value was
    already answered 400 by the input guard (security.py); other callers get no filter."""
    try:
        return optional_id(args.get("municipality"))
    except NotANumber:
        return None


def technology_list(session: Session, actor: User, args: Mapping[str, str], page: int) -> Page:
    """Technologies the actor may see (retired ones only when asked), filtered by field,
    maturity, where deployed and text; newest first by keyset (`after`/`before` in args), or by
    relevance when searching. Raises BadCursor."""
    query, order = _technology_query(session, actor, args)
    if len(order) > 2:  # relevance first: a search's pages by number
        return paginate(session, query.order_by(*order), page, PER_PAGE)
    return paginate_newest(session, query, Technology.updated_at, Technology.id, PER_PAGE, page=page,
                           after=args.get("after", ""), before=args.get("before", ""))


def technologies_filtered(session: Session, actor: User, args: Mapping[str, str]) -> Select[Technology]:
    """The technology list's rows before ordering and paging (shared by the page and the API)."""
    return _technology_query(session, actor, args)[0]


def _technology_query(session: Session, actor: User,
                      args: Mapping[str, str]) -> tuple[Select[Technology], list[Any]]:
    """The technology list's query and its order (relevance first when searching)."""
    query = (select(Technology).where(catalogue_policy.technologies_visible(actor),
                                      Technology.is_retired.is_(args.get("retired") == "1"))
             .options(selectinload(Technology.fields), selectinload(Technology.organization),
                      selectinload(Technology.deployed_in)))
    if args.get("field"):
        query = query.where(Technology.fields.any(Field.key == args["field"]))
    if args.get("maturity") in {m.value for m in Maturity}:
        query = query.where(Technology.maturity == Maturity(args["maturity"]))
    municipality = _municipality_filter(args)
    if municipality is not None:
        query = query.where(Technology.deployed_in.any(id=municipality))
    place = args.get("place", "").strip()[:40]
    if place:
        query = query.where(Technology.deployed_in.any(Municipality.id.in_(sorted(municipality_names(session).ids(place)))))
    order: list[Any] = [Technology.updated_at.desc(), Technology.id.desc()]
    text = args.get("q", "").strip()[:100]
    if text:
        # Every organisation's names (a technology of one the actor may not see is not listed
        # anyway: technologies_visible above).
        names = organization_names(session)
        named = [_in_ids(Technology.organization_id, names.ids(word)) for word in words(text)]
        found = text_search(Technology, text, match_service().analyzer(session), named,
                            trigram_table=_trigram_table(session))
        if found is not None:
            query = query.where(found.where)
            order.insert(0, found.score.desc())
    return query, order


def organization_names(session: Session) -> NameIndex:
    """The index of every organisation's names, rebuilt in this process when one changes."""
    version = session.execute(select(func.count(Organization.id), func.max(Organization.updated_at),
                                     func.max(Organization.id))).one()
    return name_index("organization", tuple(version), lambda: [
        (i, (name, kana, english)) for i, name, kana, english in session.execute(
            select(Organization.id, Organization.name, Organization.name_kana, Organization.name_en))])


def municipality_names(session: Session) -> NameIndex:
    """The index of every municipality's names (reference data: rebuilt when the list changes)."""
    version = session.execute(select(func.count(Municipality.id), func.max(Municipality.id))).one()
    return name_index("municipality", tuple(version), lambda: [
        (i, (name, reading, english)) for i, name, reading, english in session.execute(
            select(Municipality.id, Municipality.name, Municipality.reading, Municipality.name_en))])


def listed_organizations(session: Session) -> list[Organization]:
    """Organizations a technology may be registered for (an admin's choice)."""
    return list(session.scalars(select(Organization).where(organization_policy.listed()).order_by(Organization.name)))


# -- pages ------------------------------------------------------------------------------------
@dataclass
class ChallengePage:
    challenge: Challenge
    ranked: list[RankedTechnology]
    technologies: dict[int, Technology]
    shortlisted: dict[int, ShortlistEntry]
    history: list[AuditEvent]
    invitations: dict[int, Invitation]  # by technology id, those the actor may see
    proposable: list[Technology]  # the actor's own technologies it may propose here
    questions: list[Question]  # those the actor may read


def challenge_page(session: Session, challenge: Challenge, actor: User) -> ChallengePage:
    """An issue with its ranked technologies (those the actor may see), its shortlist if the
    actor may see it, and its history if the actor may edit it."""
    ranked = match_service().technologies_for(session, challenge.id)
    technologies = technologies_by_id(session, actor, [r.technology_id for r in ranked])
    shortlisted = {e.technology_id: e for e in session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.challenge_id == challenge.id)
        .options(selectinload(ShortlistEntry.technology).selectinload(Technology.organization)))} \
        if can(actor, Permission.SHORTLIST_VIEW, challenge) else {}
    invitations = {i.technology_id: i for i in session.scalars(
        select(Invitation).where(Invitation.challenge_id == challenge.id, invitation_policy.visible(actor))
        .options(selectinload(Invitation.technology).selectinload(Technology.organization)))}
    proposable = [t for t in own_technologies(session, actor) if can(actor, Permission.PROJECT_PROPOSE, (challenge, t))] \
        if actor.organization_id is not None and can(actor, Permission.PROJECT_PROPOSE) else []
    return ChallengePage(
        challenge, [r for r in ranked if r.technology_id in technologies], technologies, shortlisted,
        history(session, "challenge", challenge.id) if can(actor, Permission.CHALLENGE_EDIT, challenge) else [],
        invitations, proposable, questions_for(session, challenge, actor))


@dataclass
class TechnologyPage:
    technology: Technology
    ranked: list[RankedChallenge]
    challenges: dict[int, Challenge]
    history: list[AuditEvent]


def technology_page(session: Session, technology: Technology, actor: User) -> TechnologyPage:
    ranked = match_service().challenges_for(session, technology.id)
    challenges = challenges_by_id(session, actor, [r.challenge_id for r in ranked])
    ranked = freshness.rerank(ranked, challenges, current_app.config)  # possibly stale issues drop
    return TechnologyPage(
        technology, [r for r in ranked if r.challenge_id in challenges], challenges,
        history(session, "technology", technology.id) if can(actor, Permission.TECHNOLOGY_EDIT, technology) else [])


def organization_technologies(session: Session, organization: Organization) -> list[Technology]:
    """The listed (not retired) technologies on an organization's profile."""
    return list(session.scalars(
        select(Technology).where(Technology.organization_id == organization.id, Technology.is_retired.is_(False))
        .options(selectinload(Technology.fields), selectinload(Technology.deployed_in)).order_by(Technology.title)))


def own_challenges(session: Session, actor: User) -> list[Challenge]:
    """An officer's own municipality's issues, drafts and closed ones included."""
    return list(session.scalars(
        select(Challenge).where(Challenge.municipality_id == actor.municipality_id)
        .options(selectinload(Challenge.fields)).order_by(Challenge.status, Challenge.updated_at.desc())))


def own_technologies(session: Session, actor: User) -> list[Technology]:
    """A member's own organization's technologies, retired ones last."""
    return list(session.scalars(
        select(Technology).where(Technology.organization_id == actor.organization_id)
        .options(selectinload(Technology.fields)).order_by(Technology.is_retired, Technology.updated_at.desc())))


def _in_focus(query, actor: User):  # type: ignore[no-untyped-def]
    query = query.where(Challenge.status == ChallengeStatus.OPEN)
    field_ids = catalogue_policy.focus_field_ids(actor)
    if field_ids is not None:
        query = query.where(Challenge.fields.any(Field.id.in_(field_ids)))
    return query


def open_challenges_in_focus(session: Session, actor: User, limit: int | None = None) -> list[Challenge]:
    """Open issues in the fields a coordinator looks after (all of them for an admin), newest
    first; at most `limit` of them."""
    query = _in_focus(select(Challenge), actor).options(selectinload(Challenge.fields),
                                                        selectinload(Challenge.municipality))
    query = query.order_by(Challenge.updated_at.desc(), Challenge.id.desc())
    return list(session.scalars(query.limit(limit) if limit is not None else query))


def open_challenge_ids_in_focus(session: Session, actor: User) -> list[int]:
    """The ids of open_challenges_in_focus, in the same order: one column, no objects."""
    return list(session.scalars(_in_focus(select(Challenge.id), actor)
                                .order_by(Challenge.updated_at.desc(), Challenge.id.desc())))


def pending_invitations(session: Session, actor: User) -> list[Invitation]:
    """Invitations waiting for the actor's company to answer, newest first."""
    if actor.organization_id is None or not can(actor, Permission.INVITATION_RESPOND):
        return []
    return list(session.scalars(
        select(Invitation).where(Invitation.status == InvitationStatus.PENDING, invitation_policy.visible(actor))
        .options(selectinload(Invitation.challenge).selectinload(Challenge.municipality),
                 selectinload(Invitation.technology)).order_by(Invitation.id.desc())))


def shortlisted_pairs(session: Session, challenge_ids: Iterable[int]) -> set[tuple[int, int]]:
    ids = list(challenge_ids)
    return {(c, t) for c, t in session.execute(
        select(ShortlistEntry.challenge_id, ShortlistEntry.technology_id).where(ShortlistEntry.challenge_id.in_(ids)))}


def shortlisted_among(session: Session, pairs: Iterable[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which of these (challenge, technology) pairs are on a shortlist."""
    pairs = set(pairs)
    return shortlisted_pairs(session, {c for c, _ in pairs}) & pairs if pairs else set()


__all__ = [
    "ChallengePage",
    "Page",
    "TechnologyPage",
    "challenge_list",
    "challenge_page",
    "challenges_by_id",
    "challenges_filtered",
    "listed_organizations",
    "open_challenge_ids_in_focus",
    "open_challenges_in_focus",
    "organization_technologies",
    "own_challenges",
    "own_technologies",
    "pending_invitations",
    "public_counts",
    "shortlisted_among",
    "shortlisted_pairs",
    "technologies_by_id",
    "technologies_filtered",
    "technology_list",
    "technology_page",
]
