"""Every stage x every move x every actor: the outcome, the resulting stage, the history and audit rows.

The expected behaviour is written out here from the specification, independently of the
workflow module, so that this test checks the code against the spec rather than against itself.

The full table (847 cases) calls the action directly with a session inside a transaction that is
rolled back after each case, on one database per module. A smaller slice (each move: a legal
move, a refused actor, a wrong stage, a stranger) goes through HTTP to check that the views
answer with the same outcome.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker import create_app
from matchmaker.actions import workflow
from matchmaker.domain.errors import Conflict, DomainError, NotFound, PermissionDenied
from models import (
    AuditEvent,
    Challenge,
    Field,
    Municipality,
    Organization,
    Project,
    ProjectKpi,
    ProjectStageChange,
    Stage,
    Technology,
    User,
)
from tests.conftest import app_config, dispose
from tests.databases import Databases

from .web import ACCOUNTS, login

OPEN = {s for s in Stage} - {Stage.DECLINED, Stage.PILOT_REJECTED, Stage.IMPLEMENTED, Stage.WITHDRAWN, Stage.CANCELLED}
# move: (stages it may leave from, stage it leads to, who may make it)
SPEC = {
    "accept": ({Stage.PROPOSED}, Stage.ACCEPTED, {"officer"}),
    "decline": ({Stage.PROPOSED}, Stage.DECLINED, {"officer"}),
    "request_pilot": ({Stage.ACCEPTED}, Stage.PILOT_REQUESTED, {"officer", "lead"}),
    "approve_pilot": ({Stage.PILOT_REQUESTED}, Stage.PILOT_APPROVED, {"coordinator"}),
    "return_pilot": ({Stage.PILOT_REQUESTED}, Stage.ACCEPTED, {"coordinator"}),
    "reject_pilot": ({Stage.PILOT_REQUESTED}, Stage.PILOT_REJECTED, {"coordinator"}),
    "start_pilot": ({Stage.PILOT_APPROVED}, Stage.IN_PILOT, {"officer", "lead"}),
    "evaluate": ({Stage.IN_PILOT}, Stage.EVALUATED, {"officer"}),
    "implement": ({Stage.EVALUATED}, Stage.IMPLEMENTED, {"officer"}),
    "withdraw": (OPEN, Stage.WITHDRAWN, {"lead"}),
    "cancel": (OPEN, Stage.CANCELLED, {"officer", "coordinator"}),
}
# actor: (demo login, the project relation it has, may it see the project at all)
ACTORS = {
    "own_officer": ("officer", "officer", True),
    "foreign_officer": ("officer_toyonaka", None, False),
    "lead_member": ("member", "lead", True),
    "foreign_member": ("member_mimamori", None, False),
    "field_coordinator": ("coordinator", "coordinator", True),
    "other_coordinator": ("coordinator2", None, False),  # coordinators see the projects of their fields
    "admin": ("admin", "all", True),
}
# What the mover types (the same values the HTTP form sends below).
COMMENT, SCOPE, MONTHS, DATA_HANDLING, COST_YEN, FUNDING = "理由とコメント", "市営団地2か所", 6, "匿名化して市に提供", 1_200_000, "一般財源"
CHECKLIST = ["kpis_measurable", "data_handling_reviewed", "funding_confirmed", "municipality_consent"]
START = dt.date(2027, 4, 1)
FORM = {
    "comment": COMMENT, "scope": SCOPE, "months": "６", "data_handling": DATA_HANDLING,
    "cost_yen": "1,200,000", "funding": FUNDING, "kpi_name": ["利用者数"], "kpi_unit": ["人"],
    "kpi_baseline": ["0"], "kpi_target": ["100"], "checklist": CHECKLIST, "contract_type": "proposal",
    "start_date": START.isoformat(),
}
OK, REFUSED, FORBIDDEN, MISSING = "ok", "conflict", "forbidden", "not found"
HTTP_STATUS = {OK: 302, REFUSED: 409, FORBIDDEN: 403, MISSING: 404}


def _expected(stage: Stage, move: str, actor: str) -> str:
    sources, _target, allowed = SPEC[move]
    _login, relation, visible = ACTORS[actor]
    if not visible:
        return MISSING
    if relation != "all" and relation not in allowed:
        return FORBIDDEN
    if stage not in sources:
        return REFUSED
    return OK


def _add_project(session: Session, stage: Stage, title: str) -> int:
    """A project at `stage` whose participants are exactly those ACTORS describes."""
    elderly = session.scalar(select(Field).where(Field.key == "elderly"))
    kawachinagano = session.scalar(select(Municipality).where(Municipality.name == "河内長野市"))
    naniwa = session.scalar(select(Organization).where(Organization.name == "なにわモビリティ株式会社"))
    challenge = Challenge(municipality=kawachinagano, title="団地の高齢者の見守り", description="異変に早く気づきたい",
                          status="open", fields=[elderly])
    technology = Technology(organization=naniwa, title="見守り送迎", description="高齢者の見守り", fields=[elderly])
    project = Project(title=title, stage=stage, lead_organization=naniwa, challenges=[challenge],
                      technologies=[technology], municipalities=[kawachinagano], organizations=[naniwa],
                      kpis=[ProjectKpi(name="利用者数", unit="人", baseline=0, target=100)],
                      pilot_scope="範囲", pilot_months=6, pilot_started_on=dt.date(2026, 4, 1))
    session.add(project)
    session.flush()
    return project.id


@pytest.fixture(scope="module")
def workflow_app(databases: Databases, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, dict]]:
    """One demo database for the module plus one project per stage, all with the same participants."""
    directory: Path = tmp_path_factory.mktemp("workflow")
    url = databases.create("demo", directory)
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(directory / "instance"))
        app = create_app(app_config(url))
    with app.extensions["sqlalchemy_sessionmaker"]() as session:
        ids = {stage: _add_project(session, stage, f"表 {stage.value}") for stage in Stage}
        session.commit()
    yield app, ids
    dispose(app)
    databases.drop(url)


@pytest.fixture
def rolled_back_session(workflow_app: tuple[Flask, dict]) -> Iterator[Session]:
    """A session whose work is undone after the test, whatever it flushed."""
    app, _ids = workflow_app
    connection = app.extensions["sqlalchemy_engine"].connect()
    transaction = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False)
    try:
        with app.app_context():  # lazy translated messages are rendered at notification time
            yield session
    finally:
        session.close()
        transaction.rollback()
        connection.close()


def _move_input(project: Project) -> workflow.MoveInput:
    return workflow.MoveInput(
        expected_version=project.version, comment=COMMENT, scope=SCOPE, months=MONTHS, data_handling=DATA_HANDLING,
        cost_yen=COST_YEN, funding=FUNDING, kpis=[{"name": "利用者数", "unit": "人", "baseline": 0, "target": 100}],
        checklist=CHECKLIST, kpi_results={k.id: 120.0 for k in project.kpis}, start_date=START,
        contract_type="proposal",
    )


def _history(session: Session, project_id: int) -> list[ProjectStageChange]:
    return list(session.scalars(select(ProjectStageChange).where(ProjectStageChange.project_id == project_id)
                                .order_by(ProjectStageChange.id)))


def _audit(session: Session, project_id: int) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.entity_type == "project",
                                                         AuditEvent.entity_id == project_id)
                                .order_by(AuditEvent.id)))


CASES = [(stage, move, actor) for stage in Stage for move in SPEC for actor in ACTORS]
OUTCOME_OF = {NotFound: MISSING, PermissionDenied: FORBIDDEN, Conflict: REFUSED}


@pytest.mark.parametrize(("stage", "move", "actor"), CASES, ids=[f"{s.value}-{m}-{a}" for s, m, a in CASES])
def test_transition_table(workflow_app, rolled_back_session: Session, stage: Stage, move: str, actor: str) -> None:
    session = rolled_back_session
    project_id = workflow_app[1][stage]
    user = session.scalars(select(User).where(func.lower(User.email) == ACCOUNTS[ACTORS[actor][0]])).one()
    project = session.get_one(Project, project_id)
    data = _move_input(project)
    history_before, audit_before = len(_history(session, project_id)), len(_audit(session, project_id))

    error: DomainError | None = None
    try:
        workflow.make_move(session, project_id, move, data, actor=user)
    except DomainError as raised:
        error = raised
    session.flush()
    session.expire_all()

    expected = _expected(stage, move, actor)
    outcome = OK if error is None else OUTCOME_OF.get(type(error), repr(error))
    assert outcome == expected, f"{error!r} {getattr(error, 'field_errors', '')}"
    project = session.get_one(Project, project_id)
    history, audit = _history(session, project_id), _audit(session, project_id)
    if expected == OK:
        target = SPEC[move][1]
        assert project.stage is target
        assert len(history) == history_before + 1
        assert (history[-1].move, history[-1].from_stage, history[-1].to_stage) == (move, stage, target)
        assert history[-1].actor_id == user.id
        assert len(audit) == audit_before + 1
        assert (audit[-1].action, audit[-1].actor_id) == (f"project:{move}", user.id)
        assert (audit[-1].before, audit[-1].after) == ({"stage": stage.value}, {"stage": target.value})
    else:
        assert project.stage is stage
        assert (len(history), len(audit)) == (history_before, audit_before)
    if expected == REFUSED:
        assert error is not None and "この操作はできません" in str(error.message)


def _http_slice() -> list[tuple[Stage, str, str]]:
    """Per move: a legal move by each kind of allowed actor, a refused actor, a wrong stage, a stranger."""
    cases = []
    for move, (sources, _target, allowed) in SPEC.items():
        legal = min(sources, key=list(Stage).index)
        wrong = next(s for s in Stage if s not in sources)
        movers = [a for a, (_login, relation, _visible) in ACTORS.items() if relation in allowed]
        refused = next(a for a, (_login, relation, visible) in ACTORS.items()
                       if visible and relation not in allowed and relation != "all")
        cases += [(legal, move, actor) for actor in movers] + [(legal, move, refused), (wrong, move, movers[0]),
                                                                (legal, move, "foreign_officer")]
    return cases


HTTP_CASES = _http_slice()


@pytest.mark.parametrize(("stage", "move", "actor"), HTTP_CASES, ids=[f"{s.value}-{m}-{a}" for s, m, a in HTTP_CASES])
def test_transition_over_http(workflow_app, stage: Stage, move: str, actor: str) -> None:
    app, _ids = workflow_app
    with app.extensions["sqlalchemy_sessionmaker"]() as session:
        project_id = _add_project(session, stage, f"HTTP {stage.value} {move} {actor}")
        session.commit()
        project = session.get_one(Project, project_id)
        version = project.version
        results: dict[str, Any] = {f"kpi_result_{k.id}": "１２０" for k in project.kpis}
    client = login(app.test_client(), ACTORS[actor][0])

    response = client.post(f"/projects/{project_id}/moves/{move}", data={**FORM, **results, "version": str(version)})

    expected = _expected(stage, move, actor)
    assert response.status_code == HTTP_STATUS[expected], response.text[-600:]
    with app.extensions["sqlalchemy_sessionmaker"]() as session:
        project = session.get_one(Project, project_id)
        history = _history(session, project_id)
        if expected == OK:
            assert project.stage is SPEC[move][1]
            assert [(h.move, h.from_stage, h.actor.email if h.actor else None) for h in history] == [(move, stage, ACCOUNTS[ACTORS[actor][0]])]
        else:
            assert project.stage is stage
            assert history == []
    if expected == REFUSED:
        assert "この操作はできません" in response.text
