"""The dashboard as officers use it: fiscal years, periods, official order, charts, list exports."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter

import pytest
from sqlalchemy import select

from matchmaker import jptime
from models import Challenge, Municipality, Project, Stage

from .web import challenge_form, demo_project_in, login


def _read(app, query):
    session = app.extensions["sqlalchemy_sessionmaker"]()
    try:
        return query(session)
    finally:
        session.close()


def _rows(body: bytes) -> list[list[str]]:
    assert body.startswith("\ufeff".encode())
    text = body.decode("utf-8-sig")
    assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
    return list(csv.reader(io.StringIO(text)))


def _stage_counts(html: str) -> dict[str, int]:
    section = html[html.index('id="table-stages"'):html.index('id="table-by_field"')]
    return {label: int(count) for label, count in
            re.findall(r'<th scope="row">([^<]+)</th><td class="num">(\d+)</td>', section)}


def test_municipalities_come_in_official_code_order(demo_app) -> None:
    html = login(demo_app.test_client(), "admin").get("/dashboard").text
    section = html[html.index('id="table-by_municipality"'):html.index('id="table-conversion"')]
    shown = re.findall(r'<th scope="row">([^<]+)</th>', section)
    codes = _read(demo_app, lambda s: dict(s.execute(select(Municipality.name, Municipality.code)).all()))

    assert len(shown) >= 3
    assert [codes[name] for name in shown] == sorted(codes[name] for name in shown)


def test_a_fiscal_year_counts_only_the_projects_proposed_in_it(demo_app) -> None:
    demo_project_in(demo_app, Stage.PROPOSED, title="今年度の提案")
    by_year = _read(demo_app, lambda s: Counter(jptime.fiscal_year(p.created_at) for p in s.scalars(select(Project))))
    admin = login(demo_app.test_client(), "admin")
    everything = _stage_counts(admin.get("/dashboard").text)
    page = admin.get("/dashboard?fy=2025")
    fiscal_2025 = _stage_counts(page.text)
    from_to = _stage_counts(admin.get("/dashboard?from=2025年4月1日&to=2026-03-31").text)

    assert 0 < by_year[2025] < sum(by_year.values())  # the demo spans several fiscal years
    assert "令和7年度" in page.text
    assert sum(everything.values()) == sum(by_year.values())
    assert sum(fiscal_2025.values()) == by_year[2025]
    assert fiscal_2025 == from_to


@pytest.mark.parametrize("query", ["fy=令和", "fy=99999", "from=昨日", "from=2026-05-01&to=2026-04-01",
                                   "to=9999-12-31", "to=9999年12月31日", "from=0001-01-01", "from=²⁰²⁶-04-01",
                                   "fy=2026&from=x"])
def test_a_filter_that_does_not_parse_is_a_clear_400(demo_app, query: str) -> None:
    response = login(demo_app.test_client(), "officer").get(f"/dashboard?{query}")

    assert response.status_code == 400
    assert 'class="error-summary"' in response.text


def test_one_heading_per_table_and_more_than_one_chart(demo_app) -> None:
    html = login(demo_app.test_client(), "coordinator").get("/dashboard").text

    headings = re.findall(r"<h2[^>]*>([^<]+)</h2>", html)
    assert len(headings) == len(set(headings)), headings
    assert html.count('<figure class="chart">') >= 3
    assert "<script" not in html


def test_the_issue_list_export_is_excel_ready_formula_safe_and_visible_only(demo_app) -> None:
    officer = login(demo_app.test_client(), "officer")
    officer.post("/challenges/new", data=challenge_form(title="=HYPERLINK(\"https://evil.example\",\"x\")"))
    toyonaka = login(demo_app.test_client(), "officer_toyonaka")
    toyonaka.post("/challenges/new", data=challenge_form(title="豊中市の下書きの課題", status="draft"))

    response = officer.get("/dashboard/issues.csv")
    assert response.status_code == 200, response.text[-3000:]
    rows = _rows(response.data)

    titles = [row[1] for row in rows[1:]]
    assert rows[0][:3] == ["ID", "課題名", "自治体"]
    assert "'=HYPERLINK(\"https://evil.example\",\"x\")" in titles
    assert "豊中市の下書きの課題" not in titles  # another municipality's draft stays private
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d\+09:00", row[9]) for row in rows[1:])


def test_the_project_list_export_follows_visibility_and_the_period(demo_app) -> None:
    demo_project_in(demo_app, Stage.PROPOSED, title="今年度の提案")
    visible_to_member = _read(demo_app, lambda s: s.scalar(select(Project.id).where(Project.title == "今年度の提案")))
    member = login(demo_app.test_client(), "member_mimamori")
    admin = login(demo_app.test_client(), "admin")

    everything = _rows(admin.get("/dashboard/projects.csv").data)
    fiscal_2025 = _rows(admin.get("/dashboard/projects.csv?fy=2025").data)
    member_rows = _rows(member.get("/dashboard/projects.csv").data)

    assert str(visible_to_member) in [row[0] for row in everything[1:]]
    assert str(visible_to_member) not in [row[0] for row in fiscal_2025[1:]]
    assert len(fiscal_2025) < len(everything)
    assert "今年度の提案" not in [row[1] for row in member_rows[1:]]  # not mimamori's project


def test_the_english_dashboard_names_fiscal_years_and_municipalities_in_english(demo_app) -> None:
    admin = login(demo_app.test_client(), "admin")
    admin.post("/language", data={"lang": "en", "next": "/dashboard"})
    html = admin.get("/dashboard?fy=2025").text

    assert "FY2025" in html
    assert "Kawachinagano" in html
    assert _read(demo_app, lambda s: s.scalar(select(Challenge.id))) is not None


@pytest.mark.parametrize(("who", "scope"), [
    ("coordinator", "対象は担当分野（"), ("officer", "対象は河内長野市が関わるプロジェクトです。"),
    ("member", "対象はなにわモビリティ株式会社が関わるプロジェクトです。"), ("admin", "対象はすべてのプロジェクトです。")])
def test_the_dashboard_says_whose_projects_it_counts(demo_app, who: str, scope: str) -> None:
    html = login(demo_app.test_client(), who).get("/dashboard").text

    assert scope in html


def test_a_coordinator_without_fields_is_told_why_nothing_is_counted(app) -> None:
    from models import Role
    from tests import factories

    session = app.extensions["sqlalchemy_sessionmaker"]()
    coordinator = factories.make_user(session, Role.COORDINATOR, field_keys=())
    session.commit()
    client = app.test_client()
    client.post("/login", data={"email": coordinator.email, "password": factories.PASSWORD})
    session.close()

    html = client.get("/dashboard").text

    assert "担当分野が設定されていないため" in html and "担当分野（）" not in html
