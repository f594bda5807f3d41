"""Forum events: create and edit them, register and cancel, remind, and propose from them.

Seats are counted on the event row (`registered_count`). Every change to an event's registrations
first locks that row (SELECT … FOR UPDATE on PostgreSQL; SQLite's write transactions begin
IMMEDIATE and so are serialised already), and a seat is taken only by a conditional UPDATE
(`registered_count < capacity`), behind a CHECK constraint: however many people register at once,
the count never passes the capacity. Whoever finds it full is put on the waiting list, and the first
on it takes the seat that a cancellation frees, in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlsplit

from flask_babel import lazy_gettext as _l
from sqlalchemy import CursorResult, Table, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Challenge,
    ChallengeStatus,
    Event,
    EventKind,
    EventProposal,
    EventRegistration,
    OutboxEmail,
    Project,
    RegistrationStatus,
    User,
    utcnow,
)

from .. import digests
from ..domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..jpinput import JST, NotADateTime, in_jst, parse_datetime, parse_end, to_utc
from ..parsing import NotANumber, fold_typed, parse_int
from ..policies import Permission, can, require
from ..policies.events import has_started
from . import workflow
from .audit import record_change
from .catalogue import get_challenge
from .validation import clean_text, collect_errors

Clock = Callable[[], dt.datetime]

TITLE_MAX, PLACE_MAX, URL_MAX, TEXT_MAX = 160, 200, 500, 4000
MAX_CAPACITY = 10_000
# An event page ranks companies for each of its issues: a cap keeps that page's cost bounded.
MAX_ISSUES = 10
# The reminder goes out from this Japan-time hour on the day before the event.
REMINDER_HOUR_JST = 9

KIND_LABELS = {EventKind.MEETUP: _l("ミートアップ"), EventKind.WORKING_GROUP: _l("ワーキンググループ")}
REGISTRATION_LABELS = {RegistrationStatus.REGISTERED: _l("参加登録済み"), RegistrationStatus.WAITLISTED: _l("キャンセル待ち"),
                       RegistrationStatus.CANCELLED: _l("キャンセル済み")}


@dataclass
class EventInput:
    title: str = ""
    kind: str = ""
    starts: str = ""
    ends: str = ""
    place: str = ""
    online_url: str = ""
    capacity: str = ""
    description: str = ""
    challenge_ids: Sequence[int] = field(default_factory=list)


# -- reading one ----------------------------------------------------------------------------
def get_event(session: Session, event_id: int, *, actor: User) -> Event:
    """Raises PermissionDenied (a role without event:view) or NotFound."""
    require(actor, Permission.EVENT_VIEW)
    event = session.get(Event, event_id)
    if event is None:
        raise NotFound()
    return event


def _locked(session: Session, event_id: int, *, actor: User) -> Event:
    """The event, its row locked until the transaction ends, its values re-read."""
    require(actor, Permission.EVENT_VIEW)
    event = session.get(Event, event_id, with_for_update=True, populate_existing=True)
    if event is None:
        raise NotFound()
    return event


# -- creating and editing -------------------------------------------------------------------
def _parse_capacity(raw: str) -> int:
    try:
        text = fold_typed(raw).removesuffix("人").removesuffix("名").strip()
        return parse_int(text.replace(",", ""), minimum=1, maximum=MAX_CAPACITY)
    except NotANumber:
        raise ValidationError(field_errors={"capacity": [
            _l("定員は1〜%(max)dの整数で入力してください（例：50）。", max=MAX_CAPACITY)]}) from None


def _parse_kind(raw: str) -> EventKind:
    try:
        return EventKind(raw)
    except ValueError:
        raise ValidationError(field_errors={"kind": [_l("選択肢から選んでください。")]}) from None


def _parse_starts(raw: str) -> dt.datetime:
    try:
        return parse_datetime(raw)
    except NotADateTime:
        raise ValidationError(field_errors={"starts": [
            _l("開催日時は「2027年4月15日 14:00」や「2027-04-15 14:00」の形で入力してください（日本時間）。")]}) from None


def _parse_ends(raw: str, start: dt.datetime | None) -> dt.datetime | None:
    if not (raw or "").strip() or start is None:
        return None
    try:
        end = parse_end(raw, start)
    except NotADateTime:
        raise ValidationError(field_errors={"ends": [
            _l("終了時刻は「16:00」のように入力してください（別の日に終わる場合は日付も）。")]}) from None
    if end <= start:
        raise ValidationError(field_errors={"ends": [_l("終了時刻は開始より後にしてください。")]})
    return end


def _clean_url(raw: str) -> str:
    url = clean_text(unicodedata.normalize("NFKC", raw or ""), field="online_url", max_length=URL_MAX, required=False)
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or any(c.isspace() for c in url):
        raise ValidationError(field_errors={"online_url": [
            _l("オンライン参加のURLは http:// または https:// から始まる形で入力してください。")]})
    return url


def _presented_issues(session: Session, ids: Sequence[int]) -> list[Challenge]:
    found = {c.id: c for c in session.scalars(select(Challenge).where(Challenge.id.in_(ids)))} if ids else {}
    if len(found) != len(ids) or any(c.status is not ChallengeStatus.OPEN for c in found.values()):
        raise ValidationError(field_errors={"challenge_ids": [_l("受付中の地域課題から選んでください。")]})
    return [found[i] for i in ids]


@dataclass(frozen=True)
class _Clean:
    title: str
    kind: EventKind
    starts_at: dt.datetime
    ends_at: dt.datetime | None
    place: str
    online_url: str
    capacity: int
    description: str
    challenges: list[Challenge]


def _clean(session: Session, data: EventInput, *, previous: list[Challenge] | None = None) -> _Clean:
    """Every field checked, every error reported together. Raises ValidationError."""
    starts: list[dt.datetime | None] = [None]

    def starts_check() -> dt.datetime:
        start = _parse_starts(data.starts)
        starts[0] = start
        return start

    previous_ids = {c.id for c in previous or []}

    def issues() -> list[Challenge]:
        wanted = list(dict.fromkeys(data.challenge_ids))
        if len(wanted) > MAX_ISSUES:
            raise ValidationError(field_errors={"challenge_ids": [
                _l("紹介する地域課題は%(max)d件までにしてください。", max=MAX_ISSUES)]})
        # An issue closed since it was attached may stay; only a new one must be open.
        kept = [c for c in previous or [] if c.id in set(wanted)]
        added = _presented_issues(session, [i for i in wanted if i not in previous_ids])
        return sorted(kept + added, key=lambda c: wanted.index(c.id))

    title, kind, start, place, url, capacity, description, challenges = collect_errors(
        lambda: clean_text(data.title, field="title", max_length=TITLE_MAX),
        lambda: _parse_kind(data.kind),
        starts_check,
        lambda: clean_text(data.place, field="place", max_length=PLACE_MAX, required=False),
        lambda: _clean_url(data.online_url),
        lambda: _parse_capacity(data.capacity),
        lambda: clean_text(data.description, field="description", max_length=TEXT_MAX, required=False,
                           multiline=True),
        issues,
    )
    end = collect_errors(lambda: _parse_ends(data.ends, starts[0]))[0]
    if not place and not url:
        raise ValidationError(field_errors={"place": [_l("会場かオンライン参加のURLのどちらかを入力してください。")]})
    return _Clean(title, kind, to_utc(start), to_utc(end) if end else None, place, url, capacity, description,
                  challenges)


def _snapshot(event: Event) -> dict[str, Any]:
    return {"title": event.title, "kind": event.kind.value, "starts_at": in_jst(event.starts_at).isoformat(),
            "capacity": event.capacity, "place": event.place, "online_url": event.online_url,
            "challenge_ids": [c.id for c in event.challenges]}


def create_event(session: Session, data: EventInput, *, actor: User) -> Event:
    """Raises PermissionDenied or ValidationError."""
    require(actor, Permission.EVENT_CREATE)
    clean = _clean(session, data)
    event = Event(title=clean.title, kind=clean.kind, starts_at=clean.starts_at, ends_at=clean.ends_at,
                  place=clean.place, online_url=clean.online_url, capacity=clean.capacity,
                  description=clean.description, challenges=clean.challenges, created_by=actor, registered_count=0)
    session.add(event)
    session.flush()
    record_change(session, actor=actor, entity_type="event", entity_id=event.id, action="event:create",
                  after=_snapshot(event))
    return event


def update_event(session: Session, event_id: int, data: EventInput, *, actor: User,
                 expected_version: int | None, now: Clock = utcnow) -> Event:
    """Raises PermissionDenied, NotFound, Conflict (a stale form) or ValidationError (including a
    capacity below the seats already taken)."""
    require(actor, Permission.EVENT_EDIT)
    event = _locked(session, event_id, actor=actor)
    if expected_version is not None and expected_version != event.version:
        raise Conflict()
    clean = _clean(session, data, previous=list(event.challenges))
    if clean.capacity < event.registered_count:
        raise ValidationError(field_errors={"capacity": [
            _l("定員は、参加登録済みの人数（%(n)d人）より少なくできません。", n=event.registered_count)]})
    before = _snapshot(event)
    event.title, event.kind, event.starts_at, event.ends_at = clean.title, clean.kind, clean.starts_at, clean.ends_at
    event.place, event.online_url, event.capacity = clean.place, clean.online_url, clean.capacity
    event.description, event.challenges = clean.description, clean.challenges
    session.flush()
    # More seats: the waiting list moves up at once.
    for _ in range(max(event.capacity - event.registered_count, 0)):
        if _promote_first_waiting(session, event, actor=actor, now=now) is None:
            break
    record_change(session, actor=actor, entity_type="event", entity_id=event.id, action="event:edit",
                  before=before, after=_snapshot(event))
    return event


# -- registering ----------------------------------------------------------------------------
def own_registration(session: Session, event_id: int, user_id: int) -> EventRegistration | None:
    return session.scalar(select(EventRegistration).where(EventRegistration.event_id == event_id,
                                                          EventRegistration.user_id == user_id))


# The seat counter is written with Core statements on the table: an ORM update of the event would
# bump its version and make every open edit form stale whenever someone registers.
_EVENTS = cast(Table, Event.__table__)


def _take_seat(session: Session, event: Event) -> bool:
    """One seat, if one is free: the conditional UPDATE is what keeps the count within capacity."""
    result = session.execute(
        update(_EVENTS).where(_EVENTS.c.id == event.id, _EVENTS.c.registered_count < _EVENTS.c.capacity)
        .values(registered_count=_EVENTS.c.registered_count + 1))
    session.expire(event, ["registered_count"])
    return cast(CursorResult[Any], result).rowcount == 1


def _free_seat(session: Session, event: Event) -> None:
    session.execute(update(_EVENTS).where(_EVENTS.c.id == event.id, _EVENTS.c.registered_count > 0)
                    .values(registered_count=_EVENTS.c.registered_count - 1))
    session.expire(event, ["registered_count"])


def register(session: Session, event_id: int, *, actor: User, now: Clock = utcnow) -> EventRegistration:
    """A seat if one is free, else a place on the waiting list.

    Raises PermissionDenied, NotFound, or Conflict (the event has started, or already registered).
    """
    require(actor, Permission.EVENT_REGISTER)
    event = _locked(session, event_id, actor=actor)
    if has_started(event, now()):
        raise Conflict(_l("このイベントは開始済みのため、参加登録は締め切りました。"))
    registration = own_registration(session, event.id, actor.id)
    if registration is not None and registration.status is not RegistrationStatus.CANCELLED:
        raise Conflict(_l("このイベントには既に登録しています（%(status)s）。",
                          status=REGISTRATION_LABELS[registration.status]))
    if registration is None:
        registration = EventRegistration(event_id=event.id, user_id=actor.id)
        session.add(registration)
    seated = _take_seat(session, event)
    registration.status = RegistrationStatus.REGISTERED if seated else RegistrationStatus.WAITLISTED
    registration.registered_at, registration.cancelled_at = now(), None
    registration.waitlisted_at = None if seated else now()
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:  # the same person twice at once (only possible without the row lock)
        raise Conflict(_l("このイベントには既に登録しています。")) from None
    record_change(session, actor=actor, entity_type="event", entity_id=event.id, action="event:register",
                  after={"user_id": actor.id, "status": registration.status.value})
    return registration


def cancel_registration(session: Session, event_id: int, *, actor: User, now: Clock = utcnow) -> EventRegistration:
    """Give up a seat (the first on the waiting list takes it) or a place on the waiting list.

    Raises PermissionDenied, NotFound, or Conflict (started, or nothing to cancel).
    """
    require(actor, Permission.EVENT_REGISTER)
    event = _locked(session, event_id, actor=actor)
    if has_started(event, now()):
        raise Conflict(_l("このイベントは開始済みのため、キャンセルできません。"))
    registration = own_registration(session, event.id, actor.id)
    if registration is None or registration.status is RegistrationStatus.CANCELLED:
        raise Conflict(_l("このイベントへの参加登録はありません。"))
    held_seat = registration.status is RegistrationStatus.REGISTERED
    before = registration.status.value
    registration.status, registration.cancelled_at = RegistrationStatus.CANCELLED, now()
    session.flush()
    if held_seat:
        _free_seat(session, event)
        _promote_first_waiting(session, event, actor=actor, now=now)
    record_change(session, actor=actor, entity_type="event", entity_id=event.id, action="event:cancel_registration",
                  before={"user_id": actor.id, "status": before}, after={"user_id": actor.id, "status": "cancelled"})
    return registration


def _promote_first_waiting(session: Session, event: Event, *, actor: User, now: Clock) -> EventRegistration | None:
    """Give a free seat to the first on the waiting list and tell them. The event row is locked."""
    waiting = session.scalar(
        select(EventRegistration).where(EventRegistration.event_id == event.id,
                                        EventRegistration.status == RegistrationStatus.WAITLISTED)
        .order_by(EventRegistration.waitlisted_at, EventRegistration.id).limit(1))
    if waiting is None or not _take_seat(session, event):
        return None
    waiting.status, waiting.waitlisted_at = RegistrationStatus.REGISTERED, None
    session.flush()
    person = waiting.user
    # A notification like any other: the inbox entry, and mail as the person chose for the kind.
    digests.notify(session, [person], "event_seat", {"title": event.title, "event_id": event.id,
                                                     "path": f"/events/{event.id}"}, now=now)
    record_change(session, actor=actor, entity_type="event", entity_id=event.id, action="event:promote",
                  before={"user_id": person.id, "status": "waitlisted"},
                  after={"user_id": person.id, "status": "registered"})
    return waiting


def _mail_params(event: Event) -> dict[str, Any]:
    """What an event mail says, rendered later in the recipient's language."""
    return {"event_id": event.id, "title": event.title, "starts_at": in_jst(event.starts_at).isoformat(),
            "ends_at": in_jst(event.ends_at).isoformat() if event.ends_at else None, "place": event.place,
            "online_url": event.online_url}


def waiting_position(session: Session, registration: EventRegistration) -> int | None:
    """1 for the first on the waiting list; None when not waiting."""
    if registration.status is not RegistrationStatus.WAITLISTED or registration.waitlisted_at is None:
        return None
    ahead = session.scalar(select(func.count()).select_from(EventRegistration).where(
        EventRegistration.event_id == registration.event_id,
        EventRegistration.status == RegistrationStatus.WAITLISTED,
        (EventRegistration.waitlisted_at < registration.waitlisted_at)
        | ((EventRegistration.waitlisted_at == registration.waitlisted_at)
           & (EventRegistration.id < registration.id))))
    return (ahead or 0) + 1


# -- reminders (the periodic job) ---------------------------------------------------------------
def reminder_due_at(starts_at: dt.datetime) -> dt.datetime:
    """09:00 Japan time on the day before the event."""
    day_before = in_jst(starts_at).date() - dt.timedelta(days=1)
    return dt.datetime.combine(day_before, dt.time(REMINDER_HOUR_JST), tzinfo=JST).astimezone(dt.UTC)


def queue_reminders(session: Session, *, now: Clock = utcnow) -> int:
    """Queue the day-before reminder for every seat whose reminder is due and not yet queued.

    Idempotent: a registration is marked reminded by a conditional UPDATE in the transaction that
    writes its mail, so two jobs at once (or a job run again) never queue one reminder twice.
    Returns how many were queued.
    """
    moment = now()
    # Due reminders belong to events starting within the next two days (the day before, from 09:00).
    candidates = session.execute(
        select(EventRegistration.id, Event.id, Event.starts_at)
        .join(Event, Event.id == EventRegistration.event_id)
        .where(EventRegistration.status == RegistrationStatus.REGISTERED, EventRegistration.reminded_at.is_(None),
               Event.starts_at > moment, Event.starts_at <= moment + dt.timedelta(days=2))).all()
    due = [registration_id for registration_id, _event_id, starts_at in candidates
           if reminder_due_at(starts_at) <= moment]
    if not due:
        return 0
    claimed = list(session.scalars(
        update(EventRegistration).where(EventRegistration.id.in_(due), EventRegistration.reminded_at.is_(None),
                                        EventRegistration.status == RegistrationStatus.REGISTERED)
        .values(reminded_at=moment).returning(EventRegistration.id),
        execution_options={"synchronize_session": False}))
    if not claimed:
        return 0
    rows = session.execute(select(EventRegistration, Event, User).join(Event, Event.id == EventRegistration.event_id)
                           .join(User, User.id == EventRegistration.user_id)
                           .where(EventRegistration.id.in_(claimed))).all()
    queued = 0
    for _registration, event, person in rows:
        if not person.is_active:
            continue
        session.add(OutboxEmail(recipient=person.email, locale=person.locale, kind="event_reminder",
                                params=_mail_params(event), created_at=moment))
        queued += 1
    return queued


# -- proposing from an event ------------------------------------------------------------------
def propose_from_event(session: Session, event_id: int, *, actor: User, challenge_id: int,
                       technology_ids: Sequence[int], title: str, summary: str, now: Clock = utcnow) -> Project:
    """After an event, a company proposes on one of the issues presented there; the project
    records the event. The proposal itself is the workflow's `propose`.

    Raises PermissionDenied, NotFound, Conflict (the event has not happened yet, or the issue is
    not open) or ValidationError.
    """
    event = get_event(session, event_id, actor=actor)
    require(actor, Permission.EVENT_PROPOSE)
    if not has_started(event, now()):
        raise Conflict(_l("イベントからの提案は、イベントの開始後にできます。"))
    challenge = get_challenge(session, challenge_id, actor=actor)
    if challenge.id not in {c.id for c in event.challenges}:
        raise NotFound()
    project = workflow.propose(session, actor=actor, challenge_ids=[challenge.id], technology_ids=technology_ids,
                               title=title, summary=summary, now=now)
    for technology in project.technologies:
        require(actor, Permission.EVENT_PROPOSE, (event, challenge, technology))
    session.add(EventProposal(project_id=project.id, event_id=event.id))
    record_change(session, actor=actor, entity_type="event", entity_id=event.id, action="event:propose",
                  after={"project_id": project.id, "challenge_id": challenge.id})
    return project


def calendar_event(session: Session, event_id: int, *, actor: User) -> Event:
    """The event whose .ics the actor may download: theirs when they hold a seat, and any for
    those who run events. Raises NotFound or PermissionDenied."""
    event = get_event(session, event_id, actor=actor)
    registration = own_registration(session, event.id, actor.id)
    if (registration is None or registration.status is not RegistrationStatus.REGISTERED) \
            and not can(actor, Permission.EVENT_EDIT):
        raise PermissionDenied(_l("カレンダーのファイルは、参加登録した人がダウンロードできます。"))
    return event
