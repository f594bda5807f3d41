"""Where a proven solution should go next (横展開).

For an implemented project, every other municipality is scored by
    0.6 * issue   the best engine score between its open issues and the project's technologies
    0.25 * field  whether it has open issues in the project's fields
    0.15 * region whether it lies in a region where the project already runs
Issue similarity leads because a municipality that has posted the same problem is the one most
likely to adopt; fields and region break ties among the rest (a neighbour shares procurement
and GovTech大阪 working groups, which makes joint orders easier).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Challenge, ChallengeStatus, Municipality, Project

from .matching import match_service
from .policies.projects import project_fields

ISSUE_WEIGHT, FIELD_WEIGHT, REGION_WEIGHT = 0.6, 0.25, 0.15


@dataclass
class Recommendation:
    municipality: Municipality
    score: float
    issue_score: float = 0.0
    best_issue: Challenge | None = None
    shared_fields: list[str] = field(default_factory=list)
    same_region: bool = False


def recommend(session: Session, project: Project, limit: int = 10) -> list[Recommendation]:
    fields = project_fields(project)
    regions = {m.region for m in project.municipalities}
    taken = {m.id for m in project.municipalities} | {m.id for r in project.rollouts for m in r.municipalities}
    best: dict[int, tuple[float, int]] = {}
    service = match_service()
    for technology in project.technologies:
        for ranked in service.challenges_for(session, technology.id, k=50):
            current = best.get(ranked.challenge_id)
            if current is None or ranked.score > current[0]:
                best[ranked.challenge_id] = (ranked.score, ranked.challenge_id)
    challenges = {c.id: c for c in session.scalars(
        select(Challenge).where(Challenge.status == ChallengeStatus.OPEN).options(selectinload(Challenge.fields)))}
    recommendations: dict[int, Recommendation] = {}
    for municipality in session.scalars(select(Municipality)):
        if municipality.id not in taken:
            recommendations[municipality.id] = Recommendation(municipality, 0.0, same_region=municipality.region in regions)
    for challenge in challenges.values():
        entry = recommendations.get(challenge.municipality_id)
        if entry is None:
            continue
        shared = sorted({f.key for f in challenge.fields} & fields)
        entry.shared_fields = sorted(set(entry.shared_fields) | set(shared))
        score = best.get(challenge.id, (0.0, 0))[0]
        if score > entry.issue_score:
            entry.issue_score, entry.best_issue = score, challenge
    for entry in recommendations.values():
        entry.score = (ISSUE_WEIGHT * min(entry.issue_score / 0.5, 1.0) + FIELD_WEIGHT * bool(entry.shared_fields)
                       + REGION_WEIGHT * entry.same_region)
    ordered = sorted(recommendations.values(), key=lambda r: (-r.score, r.municipality.code))
    return [r for r in ordered if r.score > 0][:limit]
