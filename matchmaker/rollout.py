"""Where a proven solution should go next (横展開).

For an implemented project, every other municipality is scored by
    0.6 * issue   the best engine score between its open issues and the project's technologies
    0.25 * field  whether it has open issues in the project's fields
Issue similarity leads because a municipality that has posted the same problem is the one most
likely to adopt; fields come next. Lying in a region where the project already runs (a neighbour
shares procurement and GovTech大阪 working groups) only breaks ties: a bonus added to the score
let a municipality whose best issue scored 0.06 outrank one at 0.15, which is the opposite of
what the table promises.

A municipality without an active officer account is still listed, marked: nobody there could
ever accept a rollout, so it cannot be chosen as a target (the action refuses it too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Challenge, ChallengeStatus, Municipality, Project

from .matching import match_service
from .policies.projects import is_related, municipalities_with_officers, project_fields

ISSUE_WEIGHT, FIELD_WEIGHT = 0.6, 0.25
@dataclass
class Recommendation:
    municipality: Municipality
    score: float
    issue_score: float = 0.0
    best_issue: Challenge | None = None
    shared_fields: list[str] = field(default_factory=list)
    same_region: bool = False
    has_officer: bool = True
    related_issues: list[Challenge] = field(default_factory=list)


def issue_similarity(session: Session, project: Project) -> dict[int, float]:
    """The best text similarity between each open issue and the project's technologies (issues
    that share no text are absent)."""
    best: dict[int, float] = {}
    service = match_service()
    for technology in project.technologies:
        for ranked in service.challenges_for(session, technology.id, k=None):
            best[ranked.challenge_id] = max(best.get(ranked.challenge_id, 0.0), ranked.explanation.text)
    return best


def recommend(session: Session, project: Project, limit: int = 10) -> list[Recommendation]:
    fields = project_fields(project)
    regions = {m.region for m in project.municipalities}
    taken = {m.id for m in project.municipalities} | {m.id for r in project.rollouts for m in r.municipalities}
    best: dict[int, float] = {}
    service = match_service()
    for technology in project.technologies:
        for ranked in service.challenges_for(session, technology.id, k=50):
            best[ranked.challenge_id] = max(best.get(ranked.challenge_id, 0.0), ranked.score)
    similarity = issue_similarity(session, project)
    staffed = municipalities_with_officers(session)
    challenges = session.scalars(
        select(Challenge).where(Challenge.status == ChallengeStatus.OPEN).options(selectinload(Challenge.fields)))
    recommendations: dict[int, Recommendation] = {}
    for municipality in session.scalars(select(Municipality)):
        if municipality.id not in taken:
            recommendations[municipality.id] = Recommendation(
                municipality, 0.0, same_region=municipality.region in regions, has_officer=municipality.id in staffed)
    for challenge in challenges:
        entry = recommendations.get(challenge.municipality_id)
        if entry is None:
            continue
        shared = sorted({f.key for f in challenge.fields} & fields)
        entry.shared_fields = sorted(set(entry.shared_fields) | set(shared))
        score = best.get(challenge.id, 0.0)
        if score > entry.issue_score:
            entry.issue_score, entry.best_issue = score, challenge
        if is_related(challenge, fields, similarity.get(challenge.id, 0.0)):
            entry.related_issues.append(challenge)
    for entry in recommendations.values():
        entry.score = ISSUE_WEIGHT * min(entry.issue_score / 0.5, 1.0) + FIELD_WEIGHT * bool(entry.shared_fields)
    return [r for r in order(recommendations.values()) if r.score > 0][:limit]


def order(recommendations: Iterable[Recommendation]) -> list[Recommendation]:
    """Best first. Scores equal to the two decimals the page shows count as a tie, which the
    same region breaks; it never outranks a higher score."""
    return sorted(recommendations, key=lambda r: (-round(r.score, 2), not r.same_region, r.municipality.code))
