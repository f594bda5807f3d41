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

from sqlalchemy import case, select
from sqlalchemy.orm import Session, selectinload

from models import Challenge, ChallengeStatus, Field, Municipality, Project, challenge_fields

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
    """The best `limit` municipalities to roll out to.

    Only the issues on the project's technologies' top-k lists can have an issue score or be
    related, so only those are loaded; every other municipality can score at most the field
    weight, so of those only the first `limit` in the page's order are read (in SQL), with the
    fields they share. The result is the same as scoring every municipality, at the cost of the
    lists and the rows shown, whatever the number of issues and municipalities.
    """
    fields = project_fields(project)
    regions = sorted({m.region for m in project.municipalities})
    taken = {m.id for m in project.municipalities} | {m.id for r in project.rollouts for m in r.municipalities}
    best: dict[int, float] = {}
    service = match_service()
    for technology in project.technologies:
        for ranked in service.challenges_for(session, technology.id, k=50):
            best[ranked.challenge_id] = max(best.get(ranked.challenge_id, 0.0), ranked.score)
    similarity = issue_similarity(session, project)
    listed = sorted(set(best) | set(similarity))
    challenges = list(session.scalars(
        select(Challenge).where(Challenge.id.in_(listed), Challenge.status == ChallengeStatus.OPEN,
                                Challenge.municipality_id.not_in(sorted(taken)))
        .options(selectinload(Challenge.fields)).order_by(Challenge.id))) if listed else []
    scored = {c.municipality_id for c in challenges}
    field_ids = select(Field.id).where(Field.key.in_(sorted(fields)))
    in_fields = (select(Challenge.municipality_id).join(challenge_fields, challenge_fields.c.challenge_id == Challenge.id)
                 .where(Challenge.status == ChallengeStatus.OPEN, challenge_fields.c.field_id.in_(field_ids)))
    # The rest score the field weight alone (or nothing): the first `limit` of them in the page's
    # order (same region first, then official code) are all that can be shown.
    others = list(session.scalars(
        select(Municipality).where(Municipality.id.in_(in_fields), Municipality.id.not_in(sorted(taken | scored)))
        .order_by(case((Municipality.region.in_(regions), 0), else_=1), Municipality.code).limit(limit))) if fields else []
    places = {m.id: m for m in session.scalars(select(Municipality).where(Municipality.id.in_(sorted(scored))))}
    places.update((m.id, m) for m in others)
    staffed = municipalities_with_officers(session, places)
    shared: dict[int, set[str]] = {}
    for municipality_id, key in session.execute(
            select(Challenge.municipality_id, Field.key).distinct()
            .join(challenge_fields, challenge_fields.c.challenge_id == Challenge.id)
            .join(Field, Field.id == challenge_fields.c.field_id)
            .where(Challenge.status == ChallengeStatus.OPEN, Challenge.municipality_id.in_(sorted(places)),
                   Field.key.in_(sorted(fields)))):
        shared.setdefault(municipality_id, set()).add(key)
    recommendations = {
        m.id: Recommendation(m, 0.0, shared_fields=sorted(shared.get(m.id, ())), same_region=m.region in regions,
                             has_officer=m.id in staffed)
        for m in places.values()}
    for challenge in challenges:
        entry = recommendations[challenge.municipality_id]
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
