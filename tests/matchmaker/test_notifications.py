"""Notifications are stored as a kind and parameters and read in the reader's language."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker import notifications
from matchmaker.actions import workflow
from models import Notification, OutboxEmail, Role, Stage
from tests import factories


def test_every_kind_renders_in_japanese_and_english() -> None:
    params = {"title": "見守り", "from": "proposed", "to": "accepted"}

    assert notifications.render("move", params, "ja") == "「見守り」: 提案 → 協議中"
    assert notifications.render("move", params, "en") == "“見守り”: Proposed → Under discussion"
    for kind in notifications.MESSAGES:
        assert notifications.render(kind, params, "en") != notifications.render(kind, params, "ja")


def test_a_move_notifies_in_each_readers_language_without_an_app(db_session) -> None:
    municipality = factories.municipality(db_session, "堺市")
    company = factories.make_organization(db_session)
    project = factories.make_project(db_session, factories.make_challenge(db_session, municipality),
                                     factories.make_technology(db_session, company), stage=Stage.PROPOSED,
                                     title="坂道の乗合交通")
    officer = factories.make_user(db_session, Role.MUNICIPAL_OFFICER, municipality=municipality)
    english = factories.make_user(db_session, Role.COMPANY_MEMBER, organization=company, locale="en")
    japanese = factories.make_user(db_session, Role.COMPANY_MEMBER, organization=company)

    workflow.make_move(db_session, project.id, "accept", workflow.MoveInput(project.version), actor=officer)

    stored = {n.user_id: n for n in db_session.scalars(select(Notification).where(Notification.project_id == project.id))}
    mails = {m.recipient: m for m in db_session.scalars(select(OutboxEmail))}
    assert (stored[english.id].kind, stored[english.id].params) == (
        "move", {"title": "坂道の乗合交通", "from": "proposed", "to": "accepted"})
    assert mails[english.email].subject == "[OSPF Matching] 坂道の乗合交通"
    assert "Under discussion" in mails[english.email].body and "協議中" in mails[japanese.email].body


def test_the_inbox_shows_a_notification_in_the_language_chosen_now(app) -> None:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    municipality = factories.municipality(session, "堺市")
    officer = factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=municipality)
    company = factories.make_organization(session)
    member = factories.make_user(session, Role.COMPANY_MEMBER, organization=company)
    challenge, technology = factories.make_challenge(session, municipality), factories.make_technology(session, company)
    workflow.propose(session, actor=member, challenge_ids=[challenge.id], technology_ids=[technology.id],
                     title="駅前の放置自転車対策", summary="")
    session.commit()
    client = app.test_client()
    client.post("/login", data={"email": officer.email, "password": factories.PASSWORD})
    session.close()

    japanese = client.get("/inbox").text
    client.post("/language", data={"lang": "en", "next": "/inbox"})
    english = client.get("/inbox").text

    assert "新しい提案「駅前の放置自転車対策」が届きました。" in japanese
    assert "New proposal: “駅前の放置自転車対策”." in english
