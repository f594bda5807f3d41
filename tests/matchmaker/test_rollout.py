"""Rollout (横展開) findings of issue 12: related issues only, a summary of its own, targets that
someone can accept, a link the origin's officer can open, and a region that only breaks ties."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from matchmaker import rollout
from matchmaker.actions import workflow
from matchmaker.domain.errors import ValidationError
from matchmaker.policies import projects as project_policy
from models import Municipality, Project, Role, Stage
from tests import factories

from .web import login


def _world(session: Session) -> dict[str, Any]:
    """An implemented elderly-sensor project in 豊中市 and possible targets."""
    toyonaka, chihaya = factories.municipality(session, "豊中市"), factories.municipality(session, "千早赤阪村")
    kanan = factories.municipality(session, "河南町")
    company = factories.make_organization(session)
    sensor = factories.make_technology(session, company, title="電力データを使った高齢者見守りサービス",
                                       field_keys=("elderly", "safety"))
    origin_issue = factories.make_challenge(session, toyonaka, title="一人暮らし高齢者の異変に早く気づきたい",
                                            field_keys=("elderly",))
    origin = factories.make_project(session, origin_issue, sensor, stage=Stage.IMPLEMENTED,
                                    summary="庄内地区の120世帯で電力データによる見守りを実施した。")
    boar = factories.make_challenge(session, chihaya, title="イノシシやシカによる農作物の被害",
                                    field_keys=("agriculture", "safety"))
    elderly = factories.make_challenge(session, chihaya, title="高齢者の見守りの担い手が足りない",
                                       field_keys=("elderly",))
    return {
        "origin": origin, "boar": boar, "elderly": elderly, "chihaya": chihaya, "kanan": kanan,
        "toyonaka": toyonaka, "company": company,
        "member": factories.make_user(session, Role.COMPANY_MEMBER, organization=company),
        "chihaya_officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=chihaya),
        "origin_officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=toyonaka),
    }


def test_a_rollout_attaches_only_issues_of_the_same_field_that_are_really_alike(db_session) -> None:
    w = _world(db_session)
    # The boar issue shares "safety" with the sensor and some text: field overlap alone attached it.
    similarity = {w["boar"].id: 0.02, w["elderly"].id: 0.12}

    project = workflow.start_rollout(db_session, w["origin"].id, actor=w["member"], municipality_ids=[w["chihaya"].id],
                                     pattern="as_is", summary="千早赤阪村での見守りの提案", similarity=similarity)

    assert [c.title for c in project.challenges] == ["高齢者の見守りの担い手が足りない"]


@pytest.mark.parametrize(("field_keys", "similarity", "attached"), [
    (("elderly",), 0.12, True),  # same field, alike
    (("elderly",), 0.049, False),  # same field, under the floor
    (("agriculture",), 0.30, False),  # alike, but no shared field
])
def test_related_issue_rule(db_session, field_keys: tuple[str, ...], similarity: float, attached: bool) -> None:
    challenge = factories.make_challenge(db_session, factories.municipality(db_session, "河南町"), field_keys=field_keys)

    assert project_policy.is_related(challenge, {"elderly", "safety"}, similarity) is attached


def test_a_rollout_needs_its_own_summary_not_the_origins(db_session) -> None:
    w = _world(db_session)

    with pytest.raises(ValidationError) as missing:
        workflow.start_rollout(db_session, w["origin"].id, actor=w["member"], municipality_ids=[w["chihaya"].id],
                               pattern="as_is", summary="")
    with pytest.raises(ValidationError) as copied:
        workflow.start_rollout(db_session, w["origin"].id, actor=w["member"], municipality_ids=[w["chihaya"].id],
                               pattern="as_is", summary=w["origin"].summary)

    assert "summary" in missing.value.field_errors and "summary" in copied.value.field_errors


def test_the_summary_template_names_the_technology_and_not_the_old_district(db_session) -> None:
    w = _world(db_session)

    template = workflow.rollout_summary_template(w["origin"])

    assert "電力データを使った高齢者見守りサービス" in template and w["company"].name in template
    assert "庄内" not in template and "120世帯" not in template


def test_a_municipality_without_an_officer_cannot_be_a_target(db_session) -> None:
    w = _world(db_session)  # 河南町 has no officer account

    with pytest.raises(ValidationError) as refused:
        workflow.start_rollout(db_session, w["origin"].id, actor=w["member"],
                               municipality_ids=[w["chihaya"].id, w["kanan"].id], pattern="as_is", summary="提案")

    assert "河南町" in str(refused.value.field_errors["municipality_ids"][0])
    assert "千早赤阪村" not in str(refused.value.field_errors["municipality_ids"][0])


def test_an_inactive_officer_does_not_count(db_session) -> None:
    w = _world(db_session)
    w["chihaya_officer"].is_active = False
    db_session.flush()

    assert w["chihaya"].id not in project_policy.municipalities_with_officers(db_session)


def test_the_origins_officer_can_open_the_rollout_and_finds_it_in_lists(db_session) -> None:
    w = _world(db_session)
    created = workflow.start_rollout(db_session, w["origin"].id, actor=w["member"], municipality_ids=[w["chihaya"].id],
                                     pattern="as_is", summary="提案")
    stranger = factories.make_user(db_session, Role.MUNICIPAL_OFFICER, municipality=w["kanan"])

    visible = set(db_session.scalars(select(Project.id).where(project_policy.visible(w["origin_officer"]))))
    hidden = set(db_session.scalars(select(Project.id).where(project_policy.visible(stranger))))

    assert project_policy.can_view(w["origin_officer"], created) and created.id in visible
    assert not project_policy.can_view(stranger, created) and created.id not in hidden
    # Reading is all: the origin's officer plays no part in the rollout and makes no move.
    assert workflow.available_moves(created, w["origin_officer"]) == []


def test_the_origin_officers_link_to_the_rollout_opens(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    rollout_project = session.scalar(select(Project).where(Project.origin_project_id.is_not(None)))
    rollout_id, origin_id = rollout_project.id, rollout_project.origin_project_id
    session.close()
    officer = login(demo_app.test_client(), "officer_toyono")  # 豊能町 ran the origin

    origin_page = officer.get(f"/projects/{origin_id}").text

    assert f"/projects/{rollout_id}" in origin_page
    assert officer.get(f"/projects/{rollout_id}").status_code == 200


def test_the_same_region_only_breaks_ties(monkeypatch) -> None:
    osaka = [Municipality(id=1, code="272035", name="A", region="北大阪"),
             Municipality(id=2, code="272108", name="B", region="東部大阪"),
             Municipality(id=3, code="272205", name="C", region="東部大阪")]
    near = rollout.Recommendation(osaka[0], 0.6 * 0.06 / 0.5 + 0.25, issue_score=0.06, same_region=True)
    far = rollout.Recommendation(osaka[1], 0.6 * 0.15 / 0.5 + 0.25, issue_score=0.15)
    tie_far = rollout.Recommendation(osaka[2], near.score)

    ordered = rollout.order([near, far, tie_far])

    assert [r.municipality.name for r in ordered] == ["B", "A", "C"]


def _every_municipality_scored(session: Session, project: Project, limit: int) -> list[rollout.Recommendation]:
    """The recommendation as first written: every open issue and every municipality scored in
    Python. `rollout.recommend` reads only the ranked issues and the rows it shows; it must agree."""
    from sqlalchemy.orm import selectinload

    from matchmaker.matching import match_service
    from models import Challenge, ChallengeStatus

    fields = project_policy.project_fields(project)
    regions = {m.region for m in project.municipalities}
    taken = {m.id for m in project.municipalities} | {m.id for r in project.rollouts for m in r.municipalities}
    best: dict[int, float] = {}
    for technology in project.technologies:
        for ranked in match_service().challenges_for(session, technology.id, k=50):
            best[ranked.challenge_id] = max(best.get(ranked.challenge_id, 0.0), ranked.score)
    similarity = rollout.issue_similarity(session, project)
    staffed = project_policy.municipalities_with_officers(session)
    everything: dict[int, rollout.Recommendation] = {
        m.id: rollout.Recommendation(m, 0.0, same_region=m.region in regions, has_officer=m.id in staffed)
        for m in session.scalars(select(Municipality)) if m.id not in taken}
    for challenge in session.scalars(select(Challenge).where(Challenge.status == ChallengeStatus.OPEN)
                                     .options(selectinload(Challenge.fields)).order_by(Challenge.id)):
        entry = everything.get(challenge.municipality_id)
        if entry is None:
            continue
        entry.shared_fields = sorted(set(entry.shared_fields) | ({f.key for f in challenge.fields} & fields))
        if best.get(challenge.id, 0.0) > entry.issue_score:
            entry.issue_score, entry.best_issue = best[challenge.id], challenge
        if project_policy.is_related(challenge, fields, similarity.get(challenge.id, 0.0)):
            entry.related_issues.append(challenge)
    for entry in everything.values():
        entry.score = rollout.ISSUE_WEIGHT * min(entry.issue_score / 0.5, 1.0) + rollout.FIELD_WEIGHT * bool(entry.shared_fields)
    return [r for r in rollout.order(everything.values()) if r.score > 0][:limit]


def _summary(recommendations: list[rollout.Recommendation]) -> list[tuple[Any, ...]]:
    return [(r.municipality.code, round(r.score, 6), r.best_issue.id if r.best_issue else None, r.shared_fields,
             r.same_region, r.has_officer, [c.id for c in r.related_issues]) for r in recommendations]


@pytest.mark.parametrize("limit", [3, 10, 100])
def test_recommendations_from_the_ranked_lists_equal_scoring_every_municipality(demo_app, limit: int) -> None:
    """On the demo data (43 municipalities, issues in every field), for every project of every
    stage: the same municipalities, scores, reasons and order as scoring all of them."""
    login(demo_app.test_client(), "coordinator").get("/coordination")  # the engine is loaded
    with demo_app.app_context():
        session = demo_app.extensions["sqlalchemy_sessionmaker"]()
        projects = list(session.scalars(select(Project).order_by(Project.id)))
        assert projects
        compared = 0
        for project in projects:
            expected = _summary(_every_municipality_scored(session, project, limit))
            assert _summary(rollout.recommend(session, project, limit)) == expected, project.title
            compared += bool(expected)
        session.close()
    assert compared >= 3  # real lists were compared, not empty ones
