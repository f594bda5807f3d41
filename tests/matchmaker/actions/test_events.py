"""Event actions: input rules, seats and the waiting list, reminders, proposals from an event."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any, TypeVar

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from matchmaker.actions import events
from matchmaker.domain.errors import Conflict, NotFound, ValidationError
from matchmaker.jpinput import JST, aware
from models import (
    ChallengeStatus,
    Event,
    EventProposal,
    EventRegistration,
    Notification,
    OutboxEmail,
    RegistrationStatus,
    Role,
)
from tests import factories


@pytest.fixture
def session(app: Any) -> Iterator[Session]:
    with app.extensions["sqlalchemy_write_sessionmaker"]() as session:
        yield session


@pytest.fixture
def world(session: Session) -> dict[str, Any]:
    place = factories.municipality(session, "豊中市")
    company = factories.make_organization(session)
    found = {
        "coordinator": factories.make_user(session, Role.COORDINATOR, field_keys=("mobility",)),
        "member": factories.make_user(session, Role.COMPANY_MEMBER, organization=company),
        "officer": factories.make_user(session, Role.MUNICIPAL_OFFICER, municipality=place),
        "issues": [factories.make_challenge(session, place, title=f"課題{n}") for n in range(3)],
        "draft": factories.make_challenge(session, place, title="下書き", status=ChallengeStatus.DRAFT),
        "technology": factories.make_technology(session, company),
        "place": place,
    }
    session.commit()
    return found


T = TypeVar("T")


def _row(session: Session, model: type[T], key: int) -> T:
    found = session.get(model, key)
    assert found is not None
    return found


def _input(world: dict[str, Any], **overrides: Any) -> events.EventInput:
    values: dict[str, Any] = {
        "title": "第12回 OSPFミートアップ", "kind": "meetup", "starts": "2027-04-15 14:00", "ends": "16:00",
        "place": "大阪府咲洲庁舎", "online_url": "", "capacity": "50", "description": "",
        "challenge_ids": [c.id for c in world["issues"]],
    }
    return events.EventInput(**(values | overrides))


@pytest.mark.parametrize(("typed", "expected"), [
    ("2027-04-15 14:00", dt.datetime(2027, 4, 15, 14, 0)),
    ("2027/4/15 9:05", dt.datetime(2027, 4, 15, 9, 5)),
    ("2027年4月15日 14:00", dt.datetime(2027, 4, 15, 14, 0)),
    ("２０２７年４月１５日　１４：００", dt.datetime(2027, 4, 15, 14, 0)),
    ("2027年4月15日（木）14時30分", dt.datetime(2027, 4, 15, 14, 30)),
    ("2027年4月15日 午後2時", dt.datetime(2027, 4, 15, 14, 0)),
    ("2027-04-15T14:00", dt.datetime(2027, 4, 15, 14, 0)),
])
def test_the_start_is_read_as_japan_time_and_stored_in_utc(session: Session, world: dict[str, Any], typed: str,
                                                           expected: dt.datetime) -> None:
    event = events.create_event(session, _input(world, starts=typed, ends=""), actor=world["coordinator"])
    session.commit()
    session.expire_all()

    stored = _row(session, Event, event.id)
    assert stored is not None
    assert aware(stored.starts_at) == expected.replace(tzinfo=JST)
    assert aware(stored.starts_at).utcoffset() == dt.timedelta(0)  # UTC on both databases


@pytest.mark.parametrize(("overrides", "field"), [
    ({"title": ""}, "title"),
    ({"title": "x" * 161}, "title"),
    ({"kind": "party"}, "kind"),
    ({"starts": "明日の午後"}, "starts"),
    ({"starts": "2027-02-30 10:00"}, "starts"),
    ({"starts": "2027-04-15 25:00"}, "starts"),
    ({"starts": "1999-04-15 10:00"}, "starts"),
    ({"ends": "13:00"}, "ends"),
    ({"ends": "夕方"}, "ends"),
    ({"online_url": "javascript:alert(1)"}, "online_url"),
    ({"online_url": "ftp://files.example.jp/"}, "online_url"),
    ({"online_url": "https://"}, "online_url"),
    ({"online_url": "https://example.jp/a b"}, "online_url"),
    ({"place": "", "online_url": ""}, "place"),
    ({"capacity": "0"}, "capacity"),
    ({"capacity": "十"}, "capacity"),
    ({"capacity": "²"}, "capacity"),
    ({"capacity": "⑫"}, "capacity"),
    ({"starts": "²⁰²⁷-04-01 10:00"}, "starts"),
    ({"capacity": "10001"}, "capacity"),
    ({"capacity": "-5"}, "capacity"),
    ({"description": "a\x00b"}, "description"),
])
def test_bad_input_names_the_field_and_saves_nothing(session: Session, world: dict[str, Any],
                                                     overrides: dict[str, str], field: str) -> None:
    with pytest.raises(ValidationError) as error:
        events.create_event(session, _input(world, **overrides), actor=world["coordinator"])
    session.rollback()

    assert field in error.value.field_errors
    assert session.scalar(select(func.count(Event.id))) == 0


def test_only_open_issues_and_at_most_ten_may_be_presented(session: Session, world: dict[str, Any]) -> None:
    with pytest.raises(ValidationError) as draft:
        events.create_event(session, _input(world, challenge_ids=[world["draft"].id]), actor=world["coordinator"])
    session.rollback()
    with pytest.raises(ValidationError) as missing:
        events.create_event(session, _input(world, challenge_ids=[999_999]), actor=world["coordinator"])
    session.rollback()
    many = [factories.make_challenge(session, world["place"], title=f"追加{n}").id for n in range(11)]
    with pytest.raises(ValidationError) as too_many:
        events.create_event(session, _input(world, challenge_ids=many), actor=world["coordinator"])

    assert "challenge_ids" in draft.value.field_errors
    assert "challenge_ids" in missing.value.field_errors
    assert "challenge_ids" in too_many.value.field_errors


def test_full_capacity_waitlists_and_a_cancellation_moves_the_first_waiting_up(session: Session,
                                                                               world: dict[str, Any]) -> None:
    event = factories.make_event(session, capacity=1)
    second = factories.make_user(session, Role.COMPANY_MEMBER, organization=world["member"].organization)
    session.commit()

    first = events.register(session, event.id, actor=world["member"])
    waiting = events.register(session, event.id, actor=world["officer"])
    later = events.register(session, event.id, actor=second)
    session.commit()
    assert (first.status, waiting.status, later.status) == (
        RegistrationStatus.REGISTERED, RegistrationStatus.WAITLISTED, RegistrationStatus.WAITLISTED)
    assert events.waiting_position(session, later) == 2

    events.cancel_registration(session, event.id, actor=world["member"])
    session.commit()
    session.expire_all()

    assert _row(session, EventRegistration, waiting.id).status is RegistrationStatus.REGISTERED
    assert _row(session, EventRegistration, later.id).status is RegistrationStatus.WAITLISTED
    assert _row(session, Event, event.id).registered_count == 1
    told = session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "event_seat")).all()
    assert [m.recipient for m in told] == [world["officer"].email]
    assert session.scalar(select(Notification.user_id).where(Notification.kind == "event_seat")) == world["officer"].id


def test_registering_twice_or_after_the_start_is_a_conflict(session: Session, world: dict[str, Any]) -> None:
    upcoming = factories.make_event(session)
    started = factories.make_event(session, starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    session.commit()
    events.register(session, upcoming.id, actor=world["member"])
    session.commit()

    with pytest.raises(Conflict):
        events.register(session, upcoming.id, actor=world["member"])
    session.rollback()
    with pytest.raises(Conflict):
        events.register(session, started.id, actor=world["member"])
    session.rollback()
    with pytest.raises(Conflict):
        events.cancel_registration(session, upcoming.id, actor=world["officer"])
    session.rollback()
    with pytest.raises(NotFound):
        events.register(session, 999_999, actor=world["member"])


def test_a_cancelled_registration_can_register_again(session: Session, world: dict[str, Any]) -> None:
    event = factories.make_event(session, capacity=2)
    session.commit()
    events.register(session, event.id, actor=world["member"])
    events.cancel_registration(session, event.id, actor=world["member"])
    again = events.register(session, event.id, actor=world["member"])
    session.commit()

    assert again.status is RegistrationStatus.REGISTERED
    assert session.scalar(select(func.count(EventRegistration.id))) == 1
    assert _row(session, Event, event.id).registered_count == 1


def test_capacity_cannot_drop_below_the_seats_taken_and_more_seats_move_the_list_up(
        session: Session, world: dict[str, Any]) -> None:
    event = events.create_event(session, _input(world, capacity="2"), actor=world["coordinator"])
    session.commit()
    events.register(session, event.id, actor=world["member"])
    events.register(session, event.id, actor=world["coordinator"])
    waiting = events.register(session, event.id, actor=world["officer"])
    session.commit()

    with pytest.raises(ValidationError) as error:
        events.update_event(session, event.id, _input(world, capacity="1"), actor=world["coordinator"],
                            expected_version=event.version)
    session.rollback()
    events.update_event(session, event.id, _input(world, capacity="３人"), actor=world["coordinator"],
                        expected_version=_row(session, Event, event.id).version)
    session.commit()
    session.expire_all()

    assert "capacity" in error.value.field_errors
    assert _row(session, EventRegistration, waiting.id).status is RegistrationStatus.REGISTERED
    assert _row(session, Event, event.id).registered_count == 3


def test_a_stale_edit_form_is_a_conflict(session: Session, world: dict[str, Any]) -> None:
    event = events.create_event(session, _input(world), actor=world["coordinator"])
    session.commit()
    events.update_event(session, event.id, _input(world, title="改題"), actor=world["coordinator"],
                        expected_version=event.version)
    session.commit()

    with pytest.raises(Conflict):
        events.update_event(session, event.id, _input(world, title="古いフォーム"), actor=world["coordinator"],
                            expected_version=1)


def test_concurrent_registrations_never_exceed_capacity(app: Any, session: Session, world: dict[str, Any]) -> None:
    capacity, people = 3, 12
    event = factories.make_event(session, capacity=capacity)
    user_ids = [factories.make_user(session, Role.COMPANY_MEMBER, organization=world["member"].organization).id
                for _ in range(people)]
    session.commit()
    start = threading.Barrier(people)
    failures: list[BaseException] = []

    def register(user_id: int) -> None:
        with app.extensions["sqlalchemy_write_sessionmaker"]() as own:
            try:
                start.wait()
                from models import User

                events.register(own, event.id, actor=own.get(User, user_id))
                own.commit()
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)

    threads = [threading.Thread(target=register, args=(user_id,)) for user_id in user_ids]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    session.expire_all()

    assert failures == []
    statuses = list(session.scalars(select(EventRegistration.status).where(EventRegistration.event_id == event.id)))
    assert statuses.count(RegistrationStatus.REGISTERED) == capacity
    assert statuses.count(RegistrationStatus.WAITLISTED) == people - capacity
    assert _row(session, Event, event.id).registered_count == capacity


# -- reminders ----------------------------------------------------------------------------------
def _at_jst(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=JST).astimezone(dt.UTC)


def test_the_reminder_is_queued_once_from_nine_on_the_day_before(session: Session, world: dict[str, Any]) -> None:
    day = dt.date(2027, 4, 15)
    event = factories.make_event(session, starts_at=_at_jst(day, 14), capacity=1)
    session.commit()
    events.register(session, event.id, actor=world["member"], now=lambda: _at_jst(day, 8) - dt.timedelta(days=2))
    events.register(session, event.id, actor=world["officer"], now=lambda: _at_jst(day, 8) - dt.timedelta(days=2))
    session.commit()
    the_day_before = day - dt.timedelta(days=1)

    early = events.queue_reminders(session, now=lambda: _at_jst(the_day_before, 8, 59))
    on_time = events.queue_reminders(session, now=lambda: _at_jst(the_day_before, 9))
    session.commit()
    again = events.queue_reminders(session, now=lambda: _at_jst(the_day_before, 9, 30))
    session.commit()
    after_start = events.queue_reminders(session, now=lambda: _at_jst(day, 15))

    mails = session.scalars(select(OutboxEmail).where(OutboxEmail.kind == "event_reminder")).all()
    assert (early, on_time, again, after_start) == (0, 1, 0, 0)
    assert [m.recipient for m in mails] == [world["member"].email]  # the waitlisted officer holds no seat
    assert (mails[0].params or {})["event_id"] == event.id


def test_two_reminder_jobs_at_once_queue_each_reminder_once(app: Any, session: Session,
                                                           world: dict[str, Any]) -> None:
    day = dt.date(2027, 4, 15)
    event = factories.make_event(session, starts_at=_at_jst(day, 14), capacity=10)
    session.commit()
    for who in ("member", "officer", "coordinator"):
        events.register(session, event.id, actor=world[who], now=lambda: _at_jst(day, 8) - dt.timedelta(days=3))
    session.commit()
    start = threading.Barrier(2)
    counts: list[int] = []

    def job() -> None:
        with app.extensions["sqlalchemy_write_sessionmaker"]() as own:
            start.wait()
            counts.append(events.queue_reminders(own, now=lambda: _at_jst(day, 10) - dt.timedelta(days=1)))
            own.commit()

    threads = [threading.Thread(target=job) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert sorted(counts) == [0, 3]
    assert session.scalar(select(func.count(OutboxEmail.id)).where(OutboxEmail.kind == "event_reminder")) == 3


# -- proposing from an event ------------------------------------------------------------------
def test_a_proposal_from_a_past_event_records_the_event(session: Session, world: dict[str, Any]) -> None:
    issue = world["issues"][0]
    past = factories.make_event(session, starts_at=dt.datetime.now(dt.UTC) - dt.timedelta(days=1), challenges=[issue])
    upcoming = factories.make_event(session, challenges=[issue])
    session.commit()

    with pytest.raises(Conflict):
        events.propose_from_event(session, upcoming.id, actor=world["member"], challenge_id=issue.id,
                                  technology_ids=[world["technology"].id], title="提案", summary="")
    session.rollback()
    with pytest.raises(NotFound):
        events.propose_from_event(session, past.id, actor=world["member"], challenge_id=world["issues"][1].id,
                                  technology_ids=[world["technology"].id], title="提案", summary="")
    session.rollback()
    project = events.propose_from_event(session, past.id, actor=world["member"], challenge_id=issue.id,
                                        technology_ids=[world["technology"].id], title="ミートアップからの提案",
                                        summary="")
    session.commit()

    assert _row(session, EventProposal, project.id).event_id == past.id
    assert [c.id for c in project.challenges] == [issue.id]
