"""Workflow behaviour beyond the table: concurrency, stale forms, notifications, rollout, dashboard."""

from __future__ import annotations

import threading

from sqlalchemy import func, select

from models import (
    Challenge,
    Municipality,
    Notification,
    OutboxEmail,
    Project,
    ProjectStageChange,
    Role,
    Stage,
    Technology,
)
from tests import factories

from .web import demo_project_in, login

PILOT_PLAN = {"scope": "市営団地2か所", "months": "6", "data_handling": "匿名化", "cost_yen": "1200000",
              "funding": "一般財源", "kpi_name": ["利用者数"], "kpi_unit": ["人"], "kpi_baseline": ["0"],
              "kpi_target": ["100"]}
APPROVE = {"checklist": ["kpis_measurable", "data_handling_reviewed", "funding_confirmed", "municipality_consent"]}


def _project_in(demo_app, stage: Stage, field_key: str = "mobility") -> int:
    return demo_project_in(demo_app, stage, title="同時承認の検証", field_key=field_key)


def test_two_coordinators_approving_the_same_pilot_at_once_exactly_one_succeeds(demo_app) -> None:
    project_id = _project_in(demo_app, Stage.PILOT_REQUESTED)  # both demo coordinators cover mobility
    clients = [login(demo_app.test_client(), "coordinator"), login(demo_app.test_client(), "coordinator2")]
    start = threading.Barrier(2)
    statuses: list[int] = []

    def approve(client) -> None:
        start.wait()
        statuses.append(client.post(f"/projects/{project_id}/moves/approve_pilot", data={**APPROVE, "version": "1"}).status_code)

    threads = [threading.Thread(target=approve, args=(c,)) for c in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    approvals = session.scalar(select(func.count(ProjectStageChange.id)).where(
        ProjectStageChange.project_id == project_id, ProjectStageChange.move == "approve_pilot"))
    assert sorted(statuses) == [302, 409]
    assert approvals == 1
    assert session.get(Project, project_id).stage is Stage.PILOT_APPROVED


def _version(demo_app, project_id: int) -> str:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return str(session.get(Project, project_id).version)
    finally:
        session.close()


def test_a_stale_form_is_refused_keeps_what_was_typed_and_changes_nothing(demo_app) -> None:
    project_id = _project_in(demo_app, Stage.ACCEPTED, field_key="elderly")
    member, officer = login(demo_app.test_client(), "member"), login(demo_app.test_client(), "officer")
    coordinator = login(demo_app.test_client(), "coordinator")
    # While the company's page still shows version 1, the officer requests a pilot and the
    # coordinator returns it: the project is back in the same stage, at a newer version.
    requested = officer.post(f"/projects/{project_id}/moves/request_pilot", data={**PILOT_PLAN, "version": "1"})
    returned = coordinator.post(f"/projects/{project_id}/moves/return_pilot",
                                data={"comment": "KPIを見直してください", "version": _version(demo_app, project_id)})
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    project = session.get(Project, project_id)
    stage, history, version = project.stage, len(project.changes), project.version
    session.close()

    stale = member.post(f"/projects/{project_id}/moves/request_pilot",
                        data={**PILOT_PLAN, "scope": "古い画面で書いた範囲", "version": "1"})

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    project = session.get(Project, project_id)
    assert (requested.status_code, returned.status_code, stage, history) == (302, 302, Stage.ACCEPTED, 2)
    assert stale.status_code == 409
    assert "古い画面で書いた範囲" in stale.text  # what was typed comes back
    assert (project.stage, len(project.changes), project.version) == (Stage.ACCEPTED, history, version)
    session.close()


def test_a_move_notifies_the_other_participants_and_mails_after_commit(demo_app, tmp_path) -> None:
    project_id = _project_in(demo_app, Stage.PROPOSED)
    officer = login(demo_app.test_client(), "officer")

    officer.post(f"/projects/{project_id}/moves/accept", data={"version": "1", "comment": "前向きに協議します"})

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    recipients = {n.user_id for n in session.scalars(select(Notification).where(Notification.project_id == project_id))}
    emails = list(session.scalars(select(OutboxEmail).where(OutboxEmail.project_id == project_id,
                                                            OutboxEmail.kind == "move")))
    outbox = sorted((tmp_path / "instance" / "outbox").glob("*.eml"))
    assert recipients  # the company's members
    assert emails and all(e.sent_at is not None for e in emails)
    assert outbox and "member@naniwa-mobility.example" in outbox[-1].read_text(encoding="utf-8")
    member_inbox = login(demo_app.test_client(), "member").get("/inbox").text
    assert "同時承認の検証" in member_inbox and "協議中" in member_inbox


def test_a_failed_move_leaves_nothing_in_the_outbox(demo_app) -> None:
    project_id = _project_in(demo_app, Stage.ACCEPTED)
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    before = session.scalar(select(func.count(OutboxEmail.id)))
    session.close()

    response = login(demo_app.test_client(), "member").post(
        f"/projects/{project_id}/moves/request_pilot", data={"version": "1", "scope": "", "months": "百"})

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    assert response.status_code == 400
    assert "期間は1〜36か月で入力してください" in response.text
    assert session.scalar(select(func.count(OutboxEmail.id))) == before


def _municipality_id(app, name: str) -> int:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return session.scalar(select(Municipality.id).where(Municipality.name == name))
    finally:
        session.close()


def test_an_implemented_project_recommends_where_to_roll_out_and_links_both_ways(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    origin = session.scalar(select(Project).where(Project.title == "電力データによる一人暮らし高齢者の見守り"))
    origin_id = origin.id
    session.close()
    officer = login(demo_app.test_client(), "officer_toyonaka")
    officer.post(f"/projects/{origin_id}/moves/implement",
                 data={"version": str(origin.version), "contract_type": "proposal", "start_date": "2027-04-01"})
    coordinator = login(demo_app.test_client(), "coordinator")

    recommendations = coordinator.get(f"/projects/{origin_id}/rollout").text
    created = coordinator.post(f"/projects/{origin_id}/rollout", data={
        "municipality_ids": [str(_municipality_id(demo_app, "堺市"))], "pattern": "joint_order", "summary": "堺市での導入案"})
    rollout_page = coordinator.get(created.headers["Location"]).text
    origin_page = coordinator.get(f"/projects/{origin_id}").text

    assert "似た地域課題" in recommendations
    assert created.status_code == 302
    assert "電力データによる一人暮らし高齢者の見守り" in rollout_page and "C 共同発注" in rollout_page
    assert "堺市" in origin_page  # the rollout shows on its origin


def test_a_rollouts_title_does_not_depend_on_the_language_of_whoever_started_it(demo_app) -> None:
    # The title is data everyone reads (and seeding writes it in Japanese): an English-speaking
    # coordinator must not store "… (rollout to 大阪市)".
    origin_title = "急坂の住宅地でのグリーンスローモビリティ運行"
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    origin_id = session.scalar(select(Project.id).where(Project.title == origin_title))
    session.close()
    coordinator = login(demo_app.test_client(), "coordinator")
    coordinator.post("/language", data={"lang": "en", "next": "/"})

    created = coordinator.post(f"/projects/{origin_id}/rollout", data={
        "municipality_ids": [str(_municipality_id(demo_app, "堺市"))], "pattern": "as_is", "summary": "導入案"})

    assert created.status_code == 302
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    rollout = session.get(Project, int(created.headers["Location"].rsplit("/", 1)[1]))
    assert rollout.title == f"{origin_title}（堺市への横展開）"
    session.close()


def test_only_an_implemented_project_can_be_rolled_out(demo_app) -> None:
    project_id = _project_in(demo_app, Stage.IN_PILOT)
    coordinator = login(demo_app.test_client(), "coordinator")

    response = coordinator.post(f"/projects/{project_id}/rollout", data={
        "municipality_ids": [str(_municipality_id(demo_app, "堺市"))], "pattern": "as_is", "summary": "導入案"})

    assert response.status_code == 409


def test_dashboard_counts_stages_and_exports_csv_for_excel(app) -> None:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    company = factories.make_organization(session)
    challenge = factories.make_challenge(session, factories.municipality(session, "堺市"))
    technology = factories.make_technology(session, company)
    for stage in (Stage.IMPLEMENTED, Stage.IN_PILOT, Stage.PROPOSED):
        factories.make_project(session, challenge, technology, stage=stage)
    admin = factories.make_user(session, Role.ADMIN)
    session.commit()
    client = app.test_client()
    client.post("/login", data={"email": admin.email, "password": factories.PASSWORD})
    session.close()

    page = client.get("/dashboard").text
    stages = client.get("/dashboard/stages.csv")
    conversion = client.get("/dashboard/conversion.csv").data.decode("utf-8-sig")

    assert "分野別・段階別のプロジェクト数" in page and "<svg" in page
    assert stages.data.startswith("\ufeff".encode()) and b"\r\n" in stages.data
    assert {"社会実装,1", "実証中,1", "提案,1", "協議中,0"} <= set(stages.data.decode("utf-8-sig").split("\r\n"))
    assert conversion.split("\r\n")[1:5] == ["提案,3,100%", "実証に到達,2,67%", "社会実装に到達,1,33%",
                                             "実証から社会実装へ,1,50%"]
    assert client.get("/dashboard/nope.csv").status_code == 404


def test_a_company_can_propose_only_its_own_technology(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    challenge = session.scalar(select(Challenge).where(Challenge.title.like("ニュータウンの坂道%")))
    foreign = session.scalar(select(Technology).where(Technology.title == "GPS徘徊探索タグ"))
    session.close()
    member = login(demo_app.test_client(), "member")

    response = member.post("/projects/new", data={"challenge": str(challenge.id), "technology": str(foreign.id),
                                                   "title": "他社の技術で提案"})

    assert response.status_code == 403
