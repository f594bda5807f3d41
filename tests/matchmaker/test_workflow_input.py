"""Workflow forms read Japanese input habits, show KPI values cleanly and mark targets met or missed."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from models import Project, ProjectKpi, Stage

from .web import demo_project_in, found, login


def _version(client, project_id: int) -> str:
    return found(r'name="version"[^>]*value="(\d+)"', client.get(f"/projects/{project_id}").text).group(1)


def test_a_pilot_plan_in_japanese_habits_is_read(demo_app) -> None:
    project_id = demo_project_in(demo_app, Stage.ACCEPTED, title="入力習慣")
    client = login(demo_app.test_client(), "officer")
    answer = client.post(f"/projects/{project_id}/moves/request_pilot", data=MultiDict([
        ("version", _version(client, project_id)), ("scope", "河内長野市南部の2地区"), ("months", "３か月"),
        ("data_handling", "個人情報は市のサーバーに保存"), ("cost_yen", "120万円"), ("funding", "デジタル田園都市国家構想交付金"),
        ("kpi_name", "待ち時間"), ("kpi_unit", "分"), ("kpi_baseline", "1,440"), ("kpi_target", "６０分"),
    ]))
    assert answer.status_code == 302, answer.text[:2000]

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    project = session.get(Project, project_id)
    kpi = session.scalar(select(ProjectKpi).where(ProjectKpi.project_id == project_id))
    assert (project.pilot_months, project.pilot_cost_yen) == (3, 1_200_000)
    assert (kpi.baseline, kpi.target) == (1440.0, 60.0)
    session.close()
    page = client.get(f"/projects/{project_id}").text
    assert "1,440 分" in page and "1440.0" not in page


def _evaluated(demo_app, baseline: float, target: float, result: float) -> str:
    project_id = demo_project_in(demo_app, Stage.EVALUATED, title=f"評価{baseline}-{target}-{result}")
    session = demo_app.extensions["sqlalchemy_write_sessionmaker"]()
    kpi = session.scalar(select(ProjectKpi).where(ProjectKpi.project_id == project_id))
    kpi.name, kpi.unit, kpi.baseline, kpi.target, kpi.result = "待ち時間", "分", baseline, target, result
    session.commit()
    session.close()
    return login(demo_app.test_client(), "officer").get(f"/projects/{project_id}").text


def test_a_lower_is_better_kpi_is_marked_met_below_its_target(demo_app) -> None:
    met = _evaluated(demo_app, 1440, 60, 45)
    missed = _evaluated(demo_app, 1440, 60, 90)
    assert "kpi-mark--met" in met and "kpi-mark--missed" not in met
    assert "kpi-mark--missed" in missed and "kpi-mark--met" not in missed


def test_a_refused_approval_keeps_its_ticks_and_comment(demo_app) -> None:
    project_id = demo_project_in(demo_app, Stage.PILOT_REQUESTED, title="チェック保持")
    client = login(demo_app.test_client(), "coordinator")
    refused = client.post(f"/projects/{project_id}/moves/approve_pilot", data=MultiDict([
        ("version", _version(client, project_id)), ("checklist", "kpis_measurable"),
        ("checklist", "data_handling_reviewed"), ("comment", "財源の確認待ち")]))
    assert refused.status_code == 400
    ticked = set(re.findall(r'<input checked[^>]*value="(\w+)"|<input[^>]*value="(\w+)"[^>]*checked', refused.text))
    assert {a or b for a, b in ticked} == {"kpis_measurable", "data_handling_reviewed"}
    assert "財源の確認待ち" in refused.text


def test_an_issue_starting_in_a_month_written_in_japanese(demo_app) -> None:
    from models import Challenge

    from .web import challenge_form

    client = login(demo_app.test_client(), "officer")
    created = client.post("/challenges/new", data=challenge_form(title="令和の開始時期", desired_start="令和9年4月"))
    assert created.status_code == 302, created.text[:2000]
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    assert str(session.scalar(select(Challenge.desired_start).where(Challenge.title == "令和の開始時期"))) == "2027-04-01"
    session.close()
    shown = client.get(created.headers["Location"]).text
    assert '<time datetime="2027-04">2027年4月</time>（<time datetime="2027">令和9年度</time>）' in shown


def test_the_price_of_a_new_technology_is_a_required_choice(demo_app) -> None:
    from .web import technology_form

    client = login(demo_app.test_client(), "member")
    blank = client.get("/technologies/new").text
    select = found(r'<select[^>]*name="price_band".*?</select>', blank, re.DOTALL).group(0)
    refused = client.post("/technologies/new", data=technology_form(price_band=""))

    assert "selected" not in select
    assert refused.status_code == 400 and 'id="price_band"' in refused.text
    assert "選択肢から選んでください" in refused.text


def test_a_closed_issue_says_it_is_closed_not_that_nothing_was_found(demo_app) -> None:
    from models import Challenge, ChallengeStatus

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    challenge_id = session.scalar(select(Challenge.id).where(Challenge.status == ChallengeStatus.CLOSED))
    session.close()
    page = login(demo_app.test_client(), "coordinator").get(f"/challenges/{challenge_id}").text
    assert "受付を終了したため" in page
    assert "まだ相性の良い企業・団体は見つかっていません" not in page
    assert "相性の良い技術が登録されるとここに表示されます" not in page


def test_shortlisting_lands_on_the_message(demo_app) -> None:
    from models import Challenge, Municipality

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    challenge_id = session.scalar(select(Challenge.id).join(Municipality).where(
        Municipality.name == "河内長野市", Challenge.status == "open"))
    session.close()
    client = login(demo_app.test_client(), "officer")
    page = client.get(f"/challenges/{challenge_id}").text
    technology_id = found(r'name="technology_id" value="(\d+)"', page).group(1)
    answer = client.post(f"/challenges/{challenge_id}/shortlist", data={"technology_id": technology_id})
    assert answer.headers["Location"].endswith("#messages")
    assert 'id="messages"' in client.get(answer.headers["Location"]).text


@pytest.mark.parametrize(("typed", "saved"), [("令和9年度", "2027-04-01"), ("２０２７年度", "2027-04-01"),
                                              ("2028年2月（令和9年度）", "2028-02-01")])
def test_an_issue_starting_in_a_fiscal_year_or_as_the_page_shows_it(demo_app, typed: str, saved: str) -> None:
    """Officers plan by fiscal year (年度), and copy what the issue page shows back into the form."""
    from models import Challenge

    from .web import challenge_form

    client = login(demo_app.test_client(), "officer")
    created = client.post("/challenges/new", data=challenge_form(title="年度の開始時期", desired_start=typed))
    assert created.status_code == 302, created.text[:2000]
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    assert str(session.scalar(select(Challenge.desired_start).where(Challenge.title == "年度の開始時期"))) == saved
    session.close()
