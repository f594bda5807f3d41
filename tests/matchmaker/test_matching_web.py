"""Rankings in the app: fresh after every save, consistent across worker processes."""

from __future__ import annotations

import math
import re

from sqlalchemy import select

from matchmaker import create_app
from models import Challenge, ChallengeStatus, Technology

from .web import challenge_form, login, technology_form


def _new_id(location: str) -> int:
    found = re.search(r"/(\d+)$", location)
    assert found is not None, location
    return int(found.group(1))


def test_an_officer_sees_ranked_companies_with_reasons_for_a_new_issue(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")

    created = client.post("/challenges/new", data=challenge_form(
        title="一人暮らし高齢者の異変に気づきたい", description="一人暮らしの高齢者の異変に早く気づく仕組みが欲しい。",
        field_keys=["elderly"]))
    page = client.get(created.headers["Location"])

    assert "みまもりテック株式会社" in page.text
    assert "電力データを使った高齢者見守りサービス" in page.text
    assert "課題の「異変」と技術の「見守り」" in page.text


def test_a_new_technology_is_ranked_against_existing_issues_at_once(demo_app) -> None:
    member = login(demo_app.test_client(), "member")

    created = member.post("/technologies/new", data=technology_form(
        title="認知症の方の位置検索サービス", description="認知症の方が行方不明になったとき、GPSで居場所を探します。",
        field_keys=["elderly", "safety"]))
    page = member.get(created.headers["Location"])

    assert created.status_code == 302
    assert "認知症の方の行方不明への対応" in page.text


def test_editing_and_closing_an_issue_updates_rankings(demo_app) -> None:
    officer = login(demo_app.test_client(), "officer")
    created = officer.post("/challenges/new", data=challenge_form(
        title="放置自転車の撤去", description="駅前の放置自転車が多い。シェアサイクルで自転車を減らしたい。"))
    challenge_id = _new_id(created.headers["Location"])
    technology = demo_app.extensions["sqlalchemy_sessionmaker"]().scalar(
        select(Technology).where(Technology.title == "電動アシスト付きシェアサイクル"))
    member = login(demo_app.test_client(), "member")
    before = member.get(f"/technologies/{technology.id}").text

    officer.post(f"/challenges/{challenge_id}/status", data={"status": "closed", "version": "1"})
    after = member.get(f"/technologies/{technology.id}").text

    assert "放置自転車の撤去" in before
    assert "放置自転車の撤去" not in after


def test_another_worker_process_sees_a_change_on_its_next_request(demo_app) -> None:
    worker_a = demo_app
    worker_b = create_app(dict(demo_app.config))  # its own engine, as a second gunicorn worker has
    login(worker_b.test_client(), "officer").get("/municipality")  # b loads its engine now

    created = login(worker_a.test_client(), "officer").post("/challenges/new", data=challenge_form(
        title="認知症の行方不明者の捜索", description="認知症の方が行方不明になる事案が多く、GPSで早く見つけたい。",
        field_keys=["elderly"]))
    page_from_b = login(worker_b.test_client(), "officer").get(created.headers["Location"])

    assert "GPS徘徊探索タグ" in page_from_b.text


def test_a_stale_edit_is_refused_and_changes_nothing(demo_app) -> None:
    first = login(demo_app.test_client(), "officer")
    second = login(demo_app.test_client(), "officer")
    created = first.post("/challenges/new", data=challenge_form(title="元のタイトル"))
    challenge_id = _new_id(created.headers["Location"])

    first.post(f"/challenges/{challenge_id}/edit", data=challenge_form(title="一人目の変更", version="1"))
    stale = second.post(f"/challenges/{challenge_id}/edit", data=challenge_form(title="二人目の変更", version="1"))

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    assert stale.status_code == 409
    assert "他の利用者が先に内容を更新しました" in stale.text
    assert "二人目の変更" in stale.text  # what the second person typed is still in the form
    assert session.get(Challenge, challenge_id).title == "一人目の変更"


def test_shortlisting_reveals_contact_details_to_the_officer(demo_app) -> None:
    officer = login(demo_app.test_client(), "officer")
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    technology = session.scalar(select(Technology).where(Technology.title == "GPS徘徊探索タグ"))
    challenge = session.scalar(select(Challenge).where(Challenge.title.like("ニュータウン%")))
    hidden = officer.get(f"/organizations/{technology.organization_id}").text

    officer.post(f"/challenges/{challenge.id}/shortlist", data={"technology_id": str(technology.id)})
    shown = officer.get(f"/organizations/{technology.organization_id}").text

    assert "contact@mimamori-tech.example.jp" not in hidden
    assert "contact@mimamori-tech.example.jp" in shown


def test_fuzzy_search_finds_municipalities_and_organizations(demo_app) -> None:
    client = login(demo_app.test_client(), "member")

    by_partial_name = client.get("/challenges?q=河内長野").text
    with_a_typo = client.get("/challenges?q=河内長の").text
    by_full_width_acronym = client.get("/technologies?q=ＫＮＳ").text

    assert "ニュータウンの坂道と路線バス縮小" in by_partial_name
    assert "ニュータウンの坂道と路線バス縮小" in with_a_typo
    assert "LGWAN対応の文書管理・電子決裁" in by_full_width_acronym


def test_filters_and_pagination(demo_app) -> None:
    client = login(demo_app.test_client(), "member")

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    open_titles = set(session.scalars(select(Challenge.title).where(Challenge.status == ChallengeStatus.OPEN)))
    closed_titles = set(session.scalars(select(Challenge.title).where(Challenge.status != ChallengeStatus.OPEN)))
    session.close()
    per_page = demo_app.config["PAGE_SIZE"]
    pages = math.ceil(len(open_titles) / per_page)
    assert pages >= 2, "the test needs more open challenges than one page holds"

    page_one = client.get("/challenges?status=open").text
    page_two = client.get("/challenges?status=open&page=2").text
    osaka_city = client.get("/challenges?region=大阪市").text

    def titles_on(page: str) -> set[str]:
        return {title for title in open_titles | closed_titles if title in page}

    assert f"{len(open_titles)} 件" in page_one and f"2 / {pages} ページ" in page_two
    assert len(titles_on(page_one)) == per_page and titles_on(page_one) <= open_titles
    assert titles_on(page_two) <= open_titles and not titles_on(page_one) & titles_on(page_two)
    assert "Multilingual support for foreign residents" in osaka_city
    assert "ニュータウンの坂道" not in osaka_city
