"""English when English is chosen: reference names, history labels, the inbox."""

from __future__ import annotations

import re

from sqlalchemy import select

from models import Organization, Project, Technology

from .web import challenge_form, found, login

JAPANESE = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def _english(client):
    client.post("/language", data={"lang": "en", "next": "/"}, follow_redirects=True)  # shows any flash
    return client


def test_municipality_and_region_names_are_english(demo_app) -> None:
    client = _english(login(demo_app.test_client(), "member"))
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    technology_id = session.scalar(select(Technology.id).where(Technology.title == "デジタルスタンプラリー"))
    session.close()

    technology = client.get(f"/technologies/{technology_id}").text
    issues = client.get("/challenges").text

    assert "Kishiwada, Kaizuka" in technology and "岸和田市" not in technology
    assert ">Senshu</option>" in issues and ">泉州</option>" not in issues
    assert "（泉州）" not in issues and " (Senshu)" in issues


def test_in_service_at_names_english_municipalities(demo_app) -> None:
    client = _english(login(demo_app.test_client(), "officer"))
    page = client.get("/challenges?q=観光").text
    links = re.findall(r'href="/challenges/(\d+)"', page)
    shown = [client.get(f"/challenges/{i}").text for i in dict.fromkeys(links)]
    in_service = [line for text in shown for line in re.findall(r"In service at: ([^<(]*)", text)]
    assert in_service, "the demo data should show a track record on some tourism issue"
    assert not any(JAPANESE.search(line) for line in in_service), in_service


def test_history_says_what_happened_in_words(demo_app) -> None:
    client = login(demo_app.test_client(), "officer")
    created = client.post("/challenges/new", data=challenge_form(title="履歴の表示"))
    english = _english(client).get(created.headers["Location"]).text
    japanese = client.post("/language", data={"lang": "ja", "next": created.headers["Location"]},
                           follow_redirects=True).text

    assert "challenge:create" not in english and "Created the issue" in english
    assert "課題の登録" in japanese


def test_the_english_inbox_is_english(demo_app) -> None:
    client = _english(login(demo_app.test_client(), "officer"))
    page = client.get("/inbox").text
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    # What people typed stays as typed: project titles, organisation names.
    typed = sorted({*session.scalars(select(Project.title)), *session.scalars(select(Organization.name))},
                   key=len, reverse=True)
    session.close()
    main = found(r'<main.*?</main>', page, re.DOTALL).group(0)
    text = re.sub(r"<[^>]+>", " ", main)
    for value in typed:
        text = text.replace(value, "")
    assert "notifications-title" in page
    assert not JAPANESE.findall(text), [line for line in text.splitlines() if JAPANESE.search(line)][:5]


def test_the_dashboard_names_municipalities_in_english(demo_app) -> None:
    client = _english(login(demo_app.test_client(), "coordinator"))
    table = client.get("/dashboard/by_municipality.csv").data.decode("utf-8-sig")
    assert "Kawachinagano" in table and "河内長野市" not in table


def test_an_organisation_page_in_english_has_no_kana_reading(demo_app) -> None:
    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    organization = session.scalar(select(Organization).where(Organization.name == "なにわモビリティ株式会社"))
    reading, organization_id = organization.name_kana, organization.id
    session.close()
    client = login(demo_app.test_client(), "officer")

    japanese = client.get(f"/organizations/{organization_id}").text
    english = _english(client).get(f"/organizations/{organization_id}").text

    assert reading and reading in japanese and reading not in english


def test_an_invited_company_is_shown_with_english_brackets(demo_app) -> None:
    from models import Challenge

    session = demo_app.extensions["sqlalchemy_sessionmaker"]()
    challenge_id = session.scalar(select(Challenge.id).where(Challenge.title.like("ニュータウンの坂道%")))
    technology_id = session.scalar(select(Technology.id).where(Technology.title.like("AIオンデマンド乗合交通%")))
    session.close()
    client = login(demo_app.test_client(), "officer")
    client.post(f"/challenges/{challenge_id}/invitations", data={"technology_id": str(technology_id), "message": ""})

    page = _english(client).get(f"/challenges/{challenge_id}").text
    invited = page.split('id="invitations-title"', 1)[1].split("</section>", 1)[0]

    assert "（" not in invited and "）" not in invited and " (" in invited
