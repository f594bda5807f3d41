"""Workflow actions called directly: every move writes its history row and its audit row; a
stale form is refused by its version even when the stage would allow the move."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from matchmaker.actions import workflow
from matchmaker.domain.errors import Conflict, PermissionDenied
from models import AuditEvent, Project, ProjectStageChange, Role, Stage, User
from tests import factories

# Inputs that satisfy every move (each move reads only its own).
VALID = {"comment": "理由とコメント", "scope": "市営団地2か所", "months": 6, "data_handling": "匿名化", "cost_yen": 1_200_000,
             "funding": "一般財源", "kpis": [{"name": "利用者数", "unit": "人", "baseline": 0, "target": 100}],
             "checklist": list(workflow.APPROVAL_CHECKLIST), "start_date": dt.date(2027, 4, 1), "contract_type": "proposal"}


def _project(session, stage: Stage) -> tuple[Project, dict[str, User]]:
    municipality = factories.municipality(session, "堺市")
    company = factories.make_organization(session)
    challenge = factories.make_challenge(session, municipality, field_keys=("elderly",))
    technology = factories.make_technology(session, company, field_keys=("elderly",))
    project = factories.make_project(session, challenge, technology, stage=stage)
    people = {
        "officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=municipality),
        "lead": factories.make_user(session, Role.COMPANY_MEMBER, organization=company),
        "coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("elderly",)),
    }
    return project, people


MOVES = [(name, min(move.sources, key=list(Stage).index)) for name, move in workflow.MOVES.items()]


@pytest.mark.parametrize(("move", "stage"), MOVES, ids=[m for m, _ in MOVES])
def test_every_move_records_its_history_and_audit_rows(db_session, move: str, stage: Stage) -> None:
    project, people = _project(db_session, stage)
    actor = people[min(workflow.MOVES[move].actors)]
    data = workflow.MoveInput(expected_version=project.version,
                              kpi_results={k.id: 120.0 for k in project.kpis}, **VALID)  # type: ignore[arg-type]

    workflow.make_move(db_session, project.id, move, data, actor=actor)

    target = workflow.MOVES[move].target
    change = db_session.scalars(select(ProjectStageChange).where(ProjectStageChange.project_id == project.id)
                                .order_by(ProjectStageChange.id.desc())).first()
    audit = db_session.scalar(select(AuditEvent).where(AuditEvent.entity_type == "project",
                                                       AuditEvent.entity_id == project.id))
    assert project.stage is target
    assert (change.move, change.from_stage, change.to_stage, change.actor_id, change.comment) == (
        move, stage, target, actor.id, "理由とコメント")
    assert (audit.action, audit.actor_id, audit.before, audit.after, audit.reason) == (
        f"project:{move}", actor.id, {"stage": stage.value}, {"stage": target.value}, "理由とコメント")


def test_a_stale_form_is_refused_even_where_the_stage_allows_the_move(db_session) -> None:
    project, people = _project(db_session, Stage.ACCEPTED)
    page_version = project.version  # the lead opens the page
    workflow.make_move(db_session, project.id, "request_pilot", workflow.MoveInput(project.version, **VALID),  # type: ignore[arg-type]
                       actor=people["officer"])
    workflow.make_move(db_session, project.id, "return_pilot", workflow.MoveInput(project.version, **VALID),  # type: ignore[arg-type]
                       actor=people["coordinator"])
    assert project.stage is Stage.ACCEPTED  # the move is legal again, but the page is out of date
    history = len(project.changes)

    with pytest.raises(Conflict):
        workflow.make_move(db_session, project.id, "request_pilot", workflow.MoveInput(page_version, **VALID),  # type: ignore[arg-type]
                           actor=people["lead"])

    assert project.stage is Stage.ACCEPTED and len(project.changes) == history


def test_a_company_cannot_propose_a_technology_it_has_retired(db_session) -> None:
    # The page hides the propose button through the policy (can project:propose); the action must
    # refuse the same thing when the form is posted anyway.
    municipality = factories.municipality(db_session, "堺市")
    company = factories.make_organization(db_session)
    challenge = factories.make_challenge(db_session, municipality)
    technology = factories.make_technology(db_session, company, is_retired=True)
    member = factories.make_user(db_session, Role.COMPANY_MEMBER, organization=company)

    with pytest.raises(PermissionDenied):
        workflow.propose(db_session, actor=member, challenge_ids=[challenge.id], technology_ids=[technology.id],
                         title="掲載終了した技術での提案", summary="")

    assert db_session.scalar(select(Project).where(Project.title == "掲載終了した技術での提案")) is None
