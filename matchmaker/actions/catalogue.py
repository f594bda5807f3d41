"""Actions on the two sides of a match: municipal issues and technologies."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from models import (
    BudgetRange,
    Challenge,
    ChallengeStatus,
    Field,
    Maturity,
    Municipality,
    PriceBand,
    ShortlistEntry,
    Technology,
    User,
    utcnow,
)

from .. import alerts, notifications
from ..domain.errors import Conflict, NotFound, ValidationError
from ..policies import Permission, can, require
from .audit import record_change
from .notify import members_of, notify
from .validation import clean_text, collect_errors

TITLE_MAX = 120
TEXT_MAX = 4000
SHORT_MAX = 200


@dataclass
class ChallengeInput:
    title: str
    description: str
    field_keys: Sequence[str]
    target: str = ""
    budget_range: str = BudgetRange.UNDECIDED.value
    desired_start: dt.date | None = None
    available_data: str = ""
    status: str = ChallengeStatus.OPEN.value  # at creation only: afterwards change_challenge_status owns it
    municipality_id: int | None = None  # admins choose; officers always post for their own


@dataclass
class TechnologyInput:
    title: str
    description: str
    field_keys: Sequence[str]
    maturity: str = Maturity.CONCEPT.value
    price_band: str = PriceBand.ON_REQUEST.value
    deployed_municipality_ids: Sequence[int] = field(default_factory=list)
    organization_id: int | None = None  # admins choose; members always act for their own


# What an edit form changes: a save that changes none of them is not an edit in the history.
_CHALLENGE_EDITED = ("title", "description", "target", "available_data", "fields", "budget_range", "desired_start")
_TECHNOLOGY_EDITED = ("title", "description", "fields", "maturity", "price_band", "deployed_in")


def _edited(instance: Any, names: Sequence[str]) -> bool:
    """Whether any of these attributes changed since load (read before the flush, which resets it).
    An empty text saved over a missing one (None → "") is no change."""
    state = inspect(instance)
    for name in names:
        history = state.attrs[name].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if len(history.added) <= 1 and len(history.deleted) <= 1 and old in (None, "") and new in (None, ""):
            continue  # None → "", or a never-set None set to None
        return True
    return False


def challenge_snapshot(challenge: Challenge) -> dict[str, Any]:
    return {
        "title": challenge.title, "status": challenge.status.value, "fields": [f.key for f in challenge.fields],
        "budget_range": challenge.budget_range.value,
        "desired_start": challenge.desired_start.isoformat() if challenge.desired_start else None,
        "version": challenge.version,
    }


def technology_snapshot(technology: Technology) -> dict[str, Any]:
    return {
        "title": technology.title, "maturity": technology.maturity.value, "retired": technology.is_retired,
        "offered": technology.offered,
        "fields": [f.key for f in technology.fields], "price_band": technology.price_band.value,
        "deployed_in": [m.code for m in technology.deployed_in], "version": technology.version,
    }


def _fields(session: Session, keys: Sequence[str]) -> list[Field]:
    keys = list(dict.fromkeys(k for k in keys if k))
    if not keys:
        raise ValidationError(field_errors={"field_keys": [_l("分野を1つ以上選んでください。")]})
    found = list(session.scalars(select(Field).where(Field.key.in_(keys)).order_by(Field.position)))
    if len(found) != len(keys):
        raise ValidationError(field_errors={"field_keys": [_l("不明な分野が含まれています。")]})
    return found


def _enum(enum_cls: type, value: str, field_name: str):  # type: ignore[no-untyped-def]
    try:
        return enum_cls(value)
    except ValueError:
        raise ValidationError(field_errors={field_name: [_l("選択肢から選んでください。")]}) from None


def _check_version(entity: Challenge | Technology, expected_version: int | None) -> None:
    if expected_version is not None and entity.version != expected_version:
        raise Conflict()


# -- challenges -------------------------------------------------------------------------
def get_challenge(session: Session, challenge_id: int, *, actor: User) -> Challenge:
    """A challenge the actor may see. Raises NotFound otherwise (drafts of others are not revealed)."""
    challenge = session.get(Challenge, challenge_id)
    if challenge is None or not can(actor, Permission.CHALLENGE_VIEW, challenge):
        raise NotFound()
    return challenge


def _apply_challenge(session: Session, challenge: Challenge, data: ChallengeInput) -> None:
    """The content of an issue; never its status, which only change_challenge_status changes."""
    title, description, target, available, fields, budget = collect_errors(
        lambda: clean_text(data.title, field="title", max_length=TITLE_MAX),
        lambda: clean_text(data.description, field="description", max_length=TEXT_MAX, multiline=True),
        lambda: clean_text(data.target, field="target", max_length=SHORT_MAX, required=False),
        lambda: clean_text(data.available_data, field="available_data", max_length=TEXT_MAX, required=False,
                           multiline=True),
        lambda: _fields(session, data.field_keys),
        lambda: _enum(BudgetRange, data.budget_range, "budget_range"),
    )
    challenge.title, challenge.description, challenge.target = title, description, target
    challenge.available_data, challenge.fields = available, fields
    challenge.budget_range, challenge.desired_start = budget, data.desired_start


def create_challenge(session: Session, data: ChallengeInput, *, actor: User) -> Challenge:
    """Raises PermissionDenied or ValidationError."""
    require(actor, Permission.CHALLENGE_CREATE)
    if can(actor, Permission.CHALLENGE_ASSIGN):
        municipality = session.get(Municipality, data.municipality_id) if data.municipality_id else None
        if municipality is None:
            raise ValidationError(field_errors={"municipality_id": [_l("自治体を選んでください。")]})
    else:
        municipality = actor.municipality
    status = data.status if data.status in (ChallengeStatus.OPEN.value, ChallengeStatus.DRAFT.value) else None
    if status is None:
        raise ValidationError(field_errors={"status": [_l("選択肢から選んでください。")]})
    challenge = Challenge(municipality=municipality, author=actor, status=ChallengeStatus(status))
    _apply_challenge(session, challenge, data)
    if challenge.status is ChallengeStatus.OPEN:
        challenge.confirmed_at = utcnow()  # publishing starts the freshness clock
    session.add(challenge)
    session.flush()
    record_change(session, actor=actor, entity_type="challenge", entity_id=challenge.id, action="challenge:create",
                  after=challenge_snapshot(challenge))
    if challenge.status is ChallengeStatus.OPEN:
        alerts.issue_published(session, challenge)  # the alert job runs after the commit
    return challenge


def update_challenge(session: Session, challenge_id: int, data: ChallengeInput, *, actor: User,
                     expected_version: int | None) -> Challenge:
    """Raises NotFound, PermissionDenied, ValidationError or Conflict (someone saved first)."""
    challenge = get_challenge(session, challenge_id, actor=actor)
    require(actor, Permission.CHALLENGE_EDIT, challenge)
    _check_version(challenge, expected_version)
    before = challenge_snapshot(challenge)
    _apply_challenge(session, challenge, data)
    edited = _edited(challenge, _CHALLENGE_EDITED)
    confirmed_before = challenge.confirmed_at
    if challenge.status is ChallengeStatus.OPEN:
        challenge.confirmed_at = utcnow()  # an officer who edits the issue has looked at it: it is current
    session.flush()
    if edited:
        record_change(session, actor=actor, entity_type="challenge", entity_id=challenge.id, action="challenge:update",
                      before=before, after=challenge_snapshot(challenge))
    elif challenge.confirmed_at != confirmed_before:
        # Saved unchanged: the history says what happened (still current), not an edit that changed nothing.
        _record_reconfirmed(session, challenge, confirmed_before, actor=actor)
    return challenge


def _record_reconfirmed(session: Session, challenge: Challenge, confirmed_before: dt.datetime | None, *,
                        actor: User) -> None:
    record_change(session, actor=actor, entity_type="challenge", entity_id=challenge.id, action="challenge:reconfirm",
                  before={"confirmed_at": confirmed_before.isoformat() if confirmed_before else None},
                  after={"confirmed_at": challenge.confirmed_at.isoformat() if challenge.confirmed_at else None})


def change_challenge_status(session: Session, challenge_id: int, status: str, *, actor: User,
                            expected_version: int | None, reason: str = "") -> Challenge:
    """Close, reopen or publish. Raises NotFound, PermissionDenied, ValidationError or Conflict."""
    challenge = get_challenge(session, challenge_id, actor=actor)
    require(actor, Permission.CHALLENGE_CHANGE_STATUS, challenge)
    _check_version(challenge, expected_version)
    new_status = _enum(ChallengeStatus, status, "status")
    reason = clean_text(reason, field="reason", max_length=SHORT_MAX, required=False)
    if new_status is challenge.status:
        raise Conflict(_l("この課題は既にその状態です。"))
    before = challenge_snapshot(challenge)
    challenge.status = new_status
    if new_status is ChallengeStatus.OPEN:
        challenge.confirmed_at = utcnow()  # publishing (again) restarts the freshness clock
        alerts.issue_published(session, challenge)
    session.flush()
    record_change(session, actor=actor, entity_type="challenge", entity_id=challenge.id, action="challenge:status",
                  before=before, after=challenge_snapshot(challenge), reason=reason)
    return challenge


def reconfirm_challenge(session: Session, challenge_id: int, *, actor: User) -> Challenge:
    """The officer confirms an open issue is still current: it is no longer possibly stale.
    Raises NotFound, PermissionDenied, or Conflict when the issue is not open."""
    challenge = get_challenge(session, challenge_id, actor=actor)
    require(actor, Permission.CHALLENGE_CHANGE_STATUS, challenge)
    if challenge.status is not ChallengeStatus.OPEN:
        raise Conflict(_l("公開中の課題だけ募集継続を確認できます。"))
    confirmed_before = challenge.confirmed_at
    challenge.confirmed_at = utcnow()
    session.flush()
    _record_reconfirmed(session, challenge, confirmed_before, actor=actor)
    return challenge


def shortlist(session: Session, challenge_id: int, technology_id: int, *, actor: User, note: str = "") -> ShortlistEntry:
    """Raises NotFound, PermissionDenied, ValidationError or Conflict (already shortlisted)."""
    challenge = get_challenge(session, challenge_id, actor=actor)
    require(actor, Permission.SHORTLIST_EDIT, challenge)
    technology = get_technology(session, technology_id, actor=actor)
    note = clean_text(note, field="note", max_length=SHORT_MAX, required=False)
    existing = session.scalar(select(ShortlistEntry).where(
        ShortlistEntry.challenge_id == challenge.id, ShortlistEntry.technology_id == technology.id))
    if existing is not None:
        raise Conflict(_l("既に候補リストに入っています。"))
    entry = ShortlistEntry(challenge=challenge, technology=technology, added_by_id=actor.id, note=note)
    session.add(entry)
    session.flush()
    record_change(session, actor=actor, entity_type="shortlist", entity_id=entry.id, action="shortlist:add",
                  after={"challenge_id": challenge.id, "technology_id": technology.id, "note": note})
    # The company learns that its own technology was shortlisted (never the rest of the list,
    # nor the officer's note, which stay private to the municipality and coordinators).
    notify(session, members_of(session, technology.organization_id), kind="shortlisted", actor=actor,
           params={"title": challenge.title, "challenge_id": challenge.id,
                   **notifications.municipality_params(challenge.municipality), "technology": technology.title})
    return entry


def remove_from_shortlist(session: Session, challenge_id: int, technology_id: int, *, actor: User) -> None:
    """Raises NotFound or PermissionDenied."""
    challenge = get_challenge(session, challenge_id, actor=actor)
    require(actor, Permission.SHORTLIST_EDIT, challenge)
    entry = session.scalar(select(ShortlistEntry).where(
        ShortlistEntry.challenge_id == challenge.id, ShortlistEntry.technology_id == technology_id))
    if entry is None:
        raise NotFound()
    record_change(session, actor=actor, entity_type="shortlist", entity_id=entry.id, action="shortlist:remove",
                  before={"challenge_id": challenge.id, "technology_id": technology_id})
    session.delete(entry)
    session.flush()


# -- technologies -----------------------------------------------------------------------
def get_technology(session: Session, technology_id: int, *, actor: User) -> Technology:
    """A technology the actor may see. Raises NotFound otherwise."""
    technology = session.get(Technology, technology_id)
    if technology is None or not can(actor, Permission.TECHNOLOGY_VIEW, technology):
        raise NotFound()
    return technology


def _apply_technology(session: Session, technology: Technology, data: TechnologyInput) -> None:
    title, description, fields, maturity, price = collect_errors(
        lambda: clean_text(data.title, field="title", max_length=TITLE_MAX),
        lambda: clean_text(data.description, field="description", max_length=TEXT_MAX, multiline=True),
        lambda: _fields(session, data.field_keys),
        lambda: _enum(Maturity, data.maturity, "maturity"),
        lambda: _enum(PriceBand, data.price_band, "price_band"),
    )
    ids = list(dict.fromkeys(data.deployed_municipality_ids))
    deployed = list(session.scalars(select(Municipality).where(Municipality.id.in_(ids)))) if ids else []
    if len(deployed) != len(ids):
        raise ValidationError(field_errors={"deployed_municipality_ids": [_l("不明な自治体が含まれています。")]})
    technology.title, technology.description, technology.fields = title, description, fields
    technology.maturity, technology.price_band, technology.deployed_in = maturity, price, deployed


def create_technology(session: Session, data: TechnologyInput, *, actor: User) -> Technology:
    """Raises PermissionDenied or ValidationError."""
    require(actor, Permission.TECHNOLOGY_CREATE)
    organization_id = data.organization_id if can(actor, Permission.TECHNOLOGY_ASSIGN) else actor.organization_id
    if organization_id is None:
        raise ValidationError(field_errors={"organization_id": [_l("団体を選んでください。")]})
    technology = Technology(organization_id=organization_id)
    _apply_technology(session, technology, data)
    session.add(technology)
    session.flush()
    record_change(session, actor=actor, entity_type="technology", entity_id=technology.id,
                  action="technology:create", after=technology_snapshot(technology))
    alerts.technology_registered(session, technology)
    return technology


def update_technology(session: Session, technology_id: int, data: TechnologyInput, *, actor: User,
                      expected_version: int | None) -> Technology:
    """Raises NotFound, PermissionDenied, ValidationError or Conflict."""
    technology = get_technology(session, technology_id, actor=actor)
    require(actor, Permission.TECHNOLOGY_EDIT, technology)
    _check_version(technology, expected_version)
    before = technology_snapshot(technology)
    _apply_technology(session, technology, data)
    edited = _edited(technology, _TECHNOLOGY_EDITED)
    session.flush()
    if edited:  # a save that changed nothing is not an edit in the history
        record_change(session, actor=actor, entity_type="technology", entity_id=technology.id,
                      action="technology:update", before=before, after=technology_snapshot(technology))
    return technology


def set_technology_retired(session: Session, technology_id: int, retired: bool, *, actor: User,
                           expected_version: int | None) -> Technology:
    """Retire (no longer matched) or reactivate. Raises NotFound, PermissionDenied or Conflict."""
    return _change_technology_status(session, technology_id, "is_retired", retired, actor=actor,
                                     expected_version=expected_version,
                                     action="technology:retire" if retired else "technology:reactivate")


def set_technology_offered(session: Session, technology_id: int, offered: bool, *, actor: User,
                           expected_version: int | None) -> Technology:
    """Mark a listed technology as not currently offered (kept on its page, left out of rankings
    and alerts) or offered again. Raises NotFound, PermissionDenied or Conflict."""
    return _change_technology_status(session, technology_id, "offered", offered, actor=actor,
                                     expected_version=expected_version,
                                     action="technology:offered" if offered else "technology:not_offered")


def _change_technology_status(session: Session, technology_id: int, attribute: str, value: bool, *, actor: User,
                              expected_version: int | None, action: str) -> Technology:
    """One of a technology's status flags, the company's own decision, checked and recorded."""
    technology = get_technology(session, technology_id, actor=actor)
    require(actor, Permission.TECHNOLOGY_CHANGE_STATUS, technology)
    _check_version(technology, expected_version)
    if getattr(technology, attribute) == value:
        raise Conflict(_l("この技術は既にその状態です。"))
    before = technology_snapshot(technology)
    setattr(technology, attribute, value)
    session.flush()
    record_change(session, actor=actor, entity_type="technology", entity_id=technology.id, action=action,
                  before=before, after=technology_snapshot(technology))
    return technology
