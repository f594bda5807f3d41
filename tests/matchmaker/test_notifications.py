"""Notifications are stored as a kind and parameters and read in the reader's language."""

from __future__ import annotations

from email import message_from_bytes
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import insert, select

from matchmaker import mail, notifications
from matchmaker.actions import workflow
from models import Municipality, Notification, OutboxEmail, Role, Stage, utcnow
from tests import factories


def test_every_kind_renders_in_japanese_and_english() -> None:
    params = {"title": "見守り", "from": "proposed", "to": "accepted", "municipality": "堺市", "technology": "センサー",
              "organization": "テスト株式会社", "days": 30}

    assert notifications.render("move", params, "ja") == "「見守り」: 提案 → 協議中"
    assert notifications.render("move", params, "en") == "“見守り”: Proposed → Under discussion"
    # Every parameter any kind names, so each kind renders.
    params |= {"municipality": "堺市", "technology": "見守りセンサー", "company": "テスト株式会社", "challenge_id": 1,
               "author": "山田"}
    for kind in notifications.MESSAGES:
        assert notifications.render(kind, params, "en") != notifications.render(kind, params, "ja")


@pytest.mark.parametrize("kind", ["invitation_to_propose", "shortlisted", "alert_issue_match", "alert_issue_follow"])
def test_a_municipality_is_named_in_the_readers_language(kind: str) -> None:
    params = {"title": "見守り", "technology": "センサー", "challenge_id": 1,
              **notifications.municipality_params(Municipality(name="堺市", name_en="Sakai"))}

    assert "Sakai" in notifications.render(kind, params, "en") and "堺市" not in notifications.render(kind, params, "en")
    assert "堺市" in notifications.render(kind, params, "ja") and "Sakai" not in notifications.render(kind, params, "ja")


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
    assert {(m.kind, m.locale, m.project_id) for m in mails.values()} >= {("move", "en", project.id)}
    # The action's transaction holds no rendered text: the delivery job renders it.
    assert all(m.subject == "" and m.body == "" for m in mails.values())
    # The mail's parameters are the notification's, plus its reader (for the unsubscribe link).
    assert mails[japanese.email].params == {**stored[english.id].params, "_user": japanese.id}
    assert mails[english.email].params == {**stored[english.id].params, "_user": english.id}


def test_each_recipient_of_a_move_gets_mail_in_their_language_rendered_at_delivery(app) -> None:
    app.config["PUBLIC_BASE_URL"] = "https://match.example.jp/"
    session = app.extensions["sqlalchemy_sessionmaker"]()
    municipality = factories.municipality(session, "堺市")
    company = factories.make_organization(session)
    project = factories.make_project(session, factories.make_challenge(session, municipality),
                                     factories.make_technology(session, company), stage=Stage.PROPOSED,
                                     title="坂道の乗合交通")
    officer = factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=municipality)
    english = factories.make_user(session, Role.COMPANY_MEMBER, organization=company, locale="en")
    japanese = factories.make_user(session, Role.COMPANY_MEMBER, organization=company)
    session.commit()

    workflow.make_move(session, project.id, "accept", workflow.MoveInput(project.version), actor=officer)
    session.commit()  # the inline job delivers after the commit, into instance/outbox
    session.close()

    delivered = {}
    for path in Path(app.config["MAIL_OUTBOX_DIR"]).glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=default)
        delivered[str(message["To"])] = (str(message["Subject"]), message.get_content())
    en_subject, en_body = delivered[english.email]
    ja_subject, ja_body = delivered[japanese.email]
    # The subject names the event (the stage reached) and the item.
    assert en_subject == "[OSPF Matching] Under discussion: 坂道の乗合交通"
    assert ja_subject == "[OSPFマッチング] 協議中: 坂道の乗合交通"
    assert "Proposed → Under discussion" in en_body and "協議中" not in en_body
    assert "提案 → 協議中" in ja_body
    assert f"https://match.example.jp/projects/{project.id}" in en_body


def test_a_mail_of_a_kind_this_version_cannot_render_fails_without_stopping_the_others(app) -> None:
    session = app.extensions["sqlalchemy_write_sessionmaker"]()
    ids = list(session.scalars(insert(OutboxEmail).returning(OutboxEmail.id), [
        {"recipient": "a@example.jp", "kind": "no_such_kind", "params": {}, "status": "pending", "attempts": 0,
         "last_error": "", "subject": "", "body": "", "created_at": utcnow()},
        {"recipient": "b@example.jp", "kind": "repeated_application", "locale": "en", "status": "pending",
         "attempts": 0, "last_error": "", "subject": "", "body": "", "created_at": utcnow()}]))
    session.commit()

    assert mail.deliver(app, sorted(ids)) == 1
    statuses = dict(session.execute(select(OutboxEmail.recipient, OutboxEmail.status)).all())
    session.close()
    assert statuses == {"a@example.jp": "failed", "b@example.jp": "sent"}


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
