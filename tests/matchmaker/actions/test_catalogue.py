"""One owner per piece of state: only the status action changes an issue's status."""

from __future__ import annotations

from sqlalchemy import select

from matchmaker.actions import catalogue
from models import AuditEvent, ChallengeStatus, Role
from tests import factories

from ..web import challenge_form


def _closed_issue_and_officer(session):
    municipality = factories.municipality(session, "堺市")
    challenge = factories.make_challenge(session, municipality, status=ChallengeStatus.CLOSED)
    officer = factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=municipality)
    return challenge, officer


def test_editing_a_closed_issue_leaves_it_closed(db_session) -> None:
    challenge, officer = _closed_issue_and_officer(db_session)
    data = catalogue.ChallengeInput(title="新しい題名", description="説明", field_keys=["mobility"], status="open")

    catalogue.update_challenge(db_session, challenge.id, data, actor=officer, expected_version=challenge.version)

    assert challenge.title == "新しい題名" and challenge.status is ChallengeStatus.CLOSED
    event = db_session.scalar(select(AuditEvent).where(AuditEvent.entity_id == challenge.id))
    assert event.action == "challenge:update" and event.before["status"] == event.after["status"] == "closed"


def test_reopening_goes_through_the_status_action_with_its_reason(db_session) -> None:
    challenge, officer = _closed_issue_and_officer(db_session)

    catalogue.change_challenge_status(db_session, challenge.id, "open", actor=officer,
                                      expected_version=challenge.version, reason="予算が付いた")

    event = db_session.scalar(select(AuditEvent).where(AuditEvent.entity_id == challenge.id))
    assert challenge.status is ChallengeStatus.OPEN
    assert (event.action, event.before["status"], event.after["status"], event.reason) == (
        "challenge:status", "closed", "open", "予算が付いた")


def test_the_edit_form_neither_shows_nor_applies_a_status(app) -> None:
    session = app.extensions["sqlalchemy_sessionmaker"]()
    challenge, officer = _closed_issue_and_officer(session)
    session.commit()
    client = app.test_client()
    client.post("/login", data={"email": officer.email, "password": factories.PASSWORD})

    form_page = client.get(f"/challenges/{challenge.id}/edit").text
    saved = client.post(f"/challenges/{challenge.id}/edit", data=challenge_form(status="open", version="1"))

    assert 'name="status"' not in form_page
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(type(challenge), challenge.id).status is ChallengeStatus.CLOSED
    session.close()
