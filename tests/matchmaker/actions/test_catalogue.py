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


def _unchanged_input(challenge) -> catalogue.ChallengeInput:
    return catalogue.ChallengeInput(title=challenge.title, description=challenge.description,
                                    field_keys=[f.key for f in challenge.fields], target=challenge.target or "",
                                    budget_range=challenge.budget_range.value, desired_start=challenge.desired_start,
                                    available_data=challenge.available_data or "")


def test_saving_an_open_issue_unchanged_is_recorded_as_confirming_it_not_as_an_edit(db_session) -> None:
    municipality = factories.municipality(db_session, "堺市")
    challenge = factories.make_challenge(db_session, municipality)
    officer = factories.make_user(db_session, Role.MUNICIPAL_OFFICER, municipality=municipality)

    catalogue.update_challenge(db_session, challenge.id, _unchanged_input(challenge), actor=officer,
                               expected_version=challenge.version)

    actions = list(db_session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == challenge.id)))
    assert actions == ["challenge:reconfirm"]


def test_saving_a_closed_issue_unchanged_records_nothing(db_session) -> None:
    challenge, officer = _closed_issue_and_officer(db_session)

    catalogue.update_challenge(db_session, challenge.id, _unchanged_input(challenge), actor=officer,
                               expected_version=challenge.version)

    assert db_session.scalar(select(AuditEvent).where(AuditEvent.entity_id == challenge.id)) is None


def test_every_recorded_action_has_a_name_people_can_read() -> None:
    """The history pages name each action; one without a label would show as a bare 「変更」."""
    import re
    from pathlib import Path

    from matchmaker.reference_labels import ACTION_LABELS

    source = "\n".join(p.read_text() for p in (Path(__file__).parents[3] / "matchmaker").rglob("*.py"))
    recorded = set(re.findall(r'action="([a-z_]+:[a-z_]+)"', source))
    named_elsewhere = {"challenge:status"}  # named with its new status

    assert len(recorded) > 20
    assert recorded - named_elsewhere - set(ACTION_LABELS) == set()


def test_editing_only_the_description_of_an_open_issue_is_an_edit(db_session) -> None:
    municipality = factories.municipality(db_session, "堺市")
    challenge = factories.make_challenge(db_session, municipality)
    officer = factories.make_user(db_session, Role.MUNICIPAL_OFFICER, municipality=municipality)
    data = _unchanged_input(challenge)
    data.description = challenge.description + "\n夜間の利用も知りたい。"

    catalogue.update_challenge(db_session, challenge.id, data, actor=officer, expected_version=challenge.version)

    actions = list(db_session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == challenge.id)))
    assert actions == ["challenge:update"]


def test_saving_a_technology_unchanged_records_nothing_and_an_edit_records_one(db_session) -> None:
    organization = factories.make_organization(db_session)
    technology = factories.make_technology(db_session, organization)
    member = factories.make_user(db_session, Role.COMPANY_MEMBER, organization=organization)

    def data(description: str) -> catalogue.TechnologyInput:
        return catalogue.TechnologyInput(title=technology.title, description=description,
                                         field_keys=[f.key for f in technology.fields],
                                         maturity=technology.maturity.value, price_band=technology.price_band.value)

    catalogue.update_technology(db_session, technology.id, data(technology.description), actor=member,
                                expected_version=technology.version)
    unchanged = list(db_session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == technology.id)))
    catalogue.update_technology(db_session, technology.id, data(technology.description + "追記"), actor=member,
                                expected_version=technology.version)

    assert unchanged == []
    assert list(db_session.scalars(select(AuditEvent.action).where(AuditEvent.entity_id == technology.id))) == [
        "technology:update"]
