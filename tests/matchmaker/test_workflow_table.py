"""Every stage x every move x every actor: the status, the resulting stage and the history row.

The expected behaviour is written out here from the specification, independently of the
workflow module, so that this test checks the code against the spec rather than against itself.
"""

from __future__ import annotations

import datetime as dt
import shutil

import pytest
from sqlalchemy import func, select

from matchmaker import create_app
from models import (
    Challenge,
    Field,
    Municipality,
    Organization,
    Project,
    ProjectKpi,
    ProjectStageChange,
    Stage,
    Technology,
)
from tests.conftest import _build_template

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

FORM = {
    "comment": "理由とコメント", "scope": "市営団地2か所", "months": "６", "data_handling": "匿名化して市に提供",
    "cost_yen": "1,200,000", "funding": "一般財源", "kpi_name": ["利用者数"], "kpi_unit": ["人"],
    "kpi_baseline": ["0"], "kpi_target": ["100"],
    "checklist": ["kpis_measurable", "data_handling_reviewed", "funding_confirmed", "municipality_consent"],
    "contract_type": "proposal", "start_date": "2027-04-01",
}


@pytest.fixture(scope="module")
def workflow_template(tmp_path_factory) -> tuple:  # type: ignore[type-arg]
    """The demo database plus one project per stage, all with the same participants."""
    path = _build_template(tmp_path_factory.mktemp("workflow") / "db.sqlite3", demo=True)
    from matchmaker.db import make_engine
    from sqlalchemy.orm import Session

    engine = make_engine(f"sqlite:///{path}")
    with Session(engine) as session:
        elderly = session.scalar(select(Field).where(Field.key == "elderly"))
        kawachinagano = session.scalar(select(Municipality).where(Municipality.name == "河内長野市"))
        naniwa = session.scalar(select(Organization).where(Organization.name == "なにわモビリティ株式会社"))
        challenge = Challenge(municipality=kawachinagano, title="団地の高齢者の見守り", description="異変に早く気づきたい",
                              status="open", fields=[elderly])
        technology = Technology(organization=naniwa, title="見守り送迎", description="高齢者の見守り", fields=[elderly])
        session.add_all([challenge, technology])
        ids = {}
        for stage in Stage:
            project = Project(title=f"表 {stage.value}", stage=stage, lead_organization=naniwa, challenges=[challenge],
                              technologies=[technology], municipalities=[kawachinagano], organizations=[naniwa],
                              kpis=[ProjectKpi(name="利用者数", unit="人", baseline=0, target=100)],
                              pilot_scope="範囲", pilot_months=6, pilot_started_on=dt.date(2026, 4, 1))
            session.add(project)
            session.flush()
            ids[stage] = project.id
        session.commit()
    engine.dispose()
    return path, ids


CASES = [(stage, move, actor) for stage in Stage for move in SPEC for actor in ACTORS]


def _expected(stage: Stage, move: str, actor: str) -> int:
    sources, _target, allowed = SPEC[move]
    _login, relation, visible = ACTORS[actor]
    if not visible:
        return 404
    if relation != "all" and relation not in allowed:
        return 403
    if stage not in sources:
        return 409
    return 302


@pytest.mark.parametrize(("stage", "move", "actor"), CASES, ids=[f"{s.value}-{m}-{a}" for s, m, a in CASES])
def test_transition_table(workflow_template, tmp_path, monkeypatch, stage: Stage, move: str, actor: str) -> None:
    template, ids = workflow_template
    database = tmp_path / "db.sqlite3"
    shutil.copy(template, database)
    monkeypatch.setenv("MATCHMAKER_INSTANCE_PATH", str(tmp_path / "instance"))
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{database}", "SECRET_KEY": "t",
                      "WTF_CSRF_ENABLED": False, "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "JOBS": "inline"})
    project_id = ids[stage]
    client = login(app.test_client(), ACTORS[actor][0])
    session = app.extensions["sqlalchemy_sessionmaker"]()
    project = session.get(Project, project_id)
    version = project.version
    results = {f"kpi_result_{k.id}": "１２０" for k in project.kpis}
    history_before = session.scalar(select(func.count(ProjectStageChange.id)).where(ProjectStageChange.project_id == project_id))
    session.close()

    response = client.post(f"/projects/{project_id}/moves/{move}", data={**FORM, **results, "version": str(version)})

    session = app.extensions["sqlalchemy_sessionmaker"]()
    project = session.get(Project, project_id)
    history = list(session.scalars(select(ProjectStageChange).where(ProjectStageChange.project_id == project_id)
                                   .order_by(ProjectStageChange.id)))
    expected = _expected(stage, move, actor)
    assert response.status_code == expected, response.text[-600:]
    if expected == 302:
        assert project.stage is SPEC[move][1]
        assert len(history) == history_before + 1
        assert (history[-1].move, history[-1].from_stage, history[-1].to_stage) == (move, stage, SPEC[move][1])
        assert history[-1].actor.email == ACCOUNTS[ACTORS[actor][0]]
    else:
        assert project.stage is stage
        assert len(history) == history_before
    if expected == 409:
        assert "この操作はできません" in response.text
    session.close()
    app.extensions["sqlalchemy_engine"].dispose()
