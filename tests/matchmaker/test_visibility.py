"""Role x page: nobody learns the title, stage or count of a project they cannot open.

For each outsider the pages are fetched before and after two projects they may not open are
added (an implemented one and its rollout): every page and every CSV must stay byte for byte the
same. For each insider the same pages must show them.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from models import Challenge, Organization, Stage, Technology
from tests import factories

from .web import login

SECRET = "極秘の見守り実証"
DASHBOARD_TABLES = ("stages", "by_field", "by_municipality", "conversion", "durations", "rollouts")
PAGES = ("/home", "/projects", "/projects?stage=implemented", "/projects?stage=pilot_requested", "/inbox",
         "/dashboard", *(f"/dashboard/{key}.csv" for key in DASHBOARD_TABLES))
# login: (may open the secret projects, why)
ROLES = {
    "officer": (True, "an officer of the participating municipality"),
    "officer_toyonaka": (False, "an officer of another municipality"),
    "member": (True, "a member of the lead company"),
    "member_mimamori": (False, "a member of another company"),
    "coordinator": (True, "a coordinator of the project's field (elderly)"),
    "coordinator2": (False, "a coordinator of other fields"),
    "admin": (True, "an admin"),
}


def _add_catalogue(app) -> tuple[int, int]:
    """An issue in 河内長野市 and a technology of なにわモビリティ, about elderly care only.

    Added before the "before" pages: new records rightly change everyone's rankings, which is not
    what this test is about.
    """
    session = app.extensions["sqlalchemy_sessionmaker"]()
    kawachinagano = factories.municipality(session, "河内長野市")
    naniwa = session.scalar(select(Organization).where(Organization.name == "なにわモビリティ株式会社"))
    challenge = factories.make_challenge(session, kawachinagano, title="団地の見守り", field_keys=("elderly",))
    technology = factories.make_technology(session, naniwa, title="見守りセンサー", field_keys=("elderly",))
    session.commit()
    ids = challenge.id, technology.id
    session.close()
    return ids


def _add_secret_projects(app, records: tuple[int, int] | None = None) -> tuple[int, int]:
    """An implemented project about those records, led by なにわモビリティ, and its rollout."""
    challenge_id, technology_id = records or _add_catalogue(app)
    session = app.extensions["sqlalchemy_sessionmaker"]()
    challenge, technology = session.get(Challenge, challenge_id), session.get(Technology, technology_id)
    origin = factories.make_project(session, challenge, technology, stage=Stage.IMPLEMENTED, title=SECRET)
    rollout = factories.make_project(session, challenge, technology, stage=Stage.PILOT_REQUESTED, origin=origin,
                                     title=f"{SECRET}（横展開）")
    session.commit()
    ids = origin.id, rollout.id
    session.close()
    return ids


def _pages(client) -> dict[str, str]:
    answers = {}
    for url in PAGES:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        # Tokens differ between requests by design; nothing else may.
        answers[url] = re.sub(r'name="csrf_token" value="[^"]*"', "", response.data.decode("utf-8-sig"))
    return answers


@pytest.mark.parametrize("role", ROLES, ids=[f"{name}-{why}" for name, (_, why) in ROLES.items()])
def test_projects_show_only_to_those_who_may_open_them(demo_app, role: str) -> None:
    may_open, _why = ROLES[role]
    client = login(demo_app.test_client(), role)
    client.get("/projects")  # shows and so clears the login message
    records = _add_catalogue(demo_app)
    before = _pages(client)

    origin_id, rollout_id = _add_secret_projects(demo_app, records)
    after = _pages(client)

    if may_open:
        assert SECRET in after["/projects"] and SECRET in after["/projects?stage=implemented"]
        assert SECRET in after["/dashboard"] and SECRET in after["/dashboard/rollouts.csv"]
        assert after["/dashboard/stages.csv"] != before["/dashboard/stages.csv"]
        assert client.get(f"/projects/{origin_id}").status_code == 200
        assert f"/projects/{rollout_id}" in client.get(f"/projects/{origin_id}").text
    else:
        for url in PAGES:
            assert SECRET not in after[url], url
            assert after[url] == before[url], f"{url} changed for {role} when a project it cannot open was added"
        assert client.get(f"/projects/{origin_id}").status_code == 404
        assert client.get(f"/projects/{rollout_id}").status_code == 404


def test_coordinator_of_the_field_finds_the_pilot_request_in_the_inbox(demo_app) -> None:
    _add_secret_projects(demo_app)

    inbox = login(demo_app.test_client(), "coordinator").get("/inbox").text

    assert f"{SECRET}（横展開）" in inbox


def test_the_receiving_officer_sees_what_the_rolled_out_project_achieved_but_not_its_conversation(demo_app) -> None:
    """横展開: 豊中市 is asked to adopt 河内長野市's implemented project. Its officer may not open that
    project, but reads its outcome (stage, evaluation, KPI results) on the rollout's page."""
    from models import Municipality, ProjectKpi, ProjectMessage, User

    challenge_id, technology_id = _add_catalogue(demo_app)
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    challenge, technology = session.get(Challenge, challenge_id), session.get(Technology, technology_id)
    origin = factories.make_project(session, challenge, technology, stage=Stage.IMPLEMENTED, title=SECRET,
                                    evaluation_summary="見守り登録者の異変を平均2日早く発見できた")
    origin.kpis = [ProjectKpi(name="早期発見の件数", unit="件", baseline=2, target=10, result=14)]
    author = session.scalar(select(User).where(User.email.like("officer.kawachinagano%")))
    session.add(ProjectMessage(project_id=origin.id, author_id=author.id, body="内部の相談メモ"))
    rollout = factories.make_project(session, challenge, technology, stage=Stage.PROPOSED, origin=origin,
                                     title="豊中市への横展開")
    rollout.municipalities = [session.scalar(select(Municipality).where(Municipality.name == "豊中市"))]
    session.commit()
    origin_id, rollout_id = origin.id, rollout.id
    session.close()
    receiving = login(demo_app.test_client(), "officer_toyonaka")

    page = receiving.get(f"/projects/{rollout_id}").text

    assert receiving.get(f"/projects/{origin_id}").status_code == 404
    outcome = page.split('id="origin-outcome"', 1)[1].split("</section>", 1)[0]
    assert SECRET in outcome and "見守り登録者の異変を平均2日早く発見できた" in outcome
    assert "早期発見の件数" in outcome and "14" in outcome and "達成" in outcome
    assert "内部の相談メモ" not in page and f'href="/projects/{origin_id}"' not in page
