"""Actions on what a person hears about: notification preferences, unsubscribing, follows."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from models import Delivery, Field, Follow, Municipality, User

from .. import digests, notifications
from ..domain.errors import NotFound, ValidationError
from .audit import record_change


def set_preferences(session: Session, choices: Mapping[str, str], *, actor: User) -> int:
    """Each kind's delivery ('immediately', 'daily', 'weekly', 'never'); kinds not given keep theirs.
    Raises ValidationError naming a kind or a value that does not exist. Returns how many changed."""
    errors: dict[str, list] = {}
    parsed: dict[str, Delivery] = {}
    for kind, value in choices.items():
        if kind not in notifications.MESSAGES:
            errors.setdefault(f"kind_{kind}"[:60], []).append(_l("不明な通知の種類です。"))
            continue
        try:
            parsed[kind] = Delivery(value)
        except ValueError:
            errors.setdefault(f"kind_{kind}", []).append(_l("選択肢から選んでください。"))
    if errors:
        raise ValidationError(field_errors=errors)
    before = digests.all_preferences(session, actor.id)
    changed = {kind: delivery for kind, delivery in parsed.items() if digests.set_delivery(session, actor.id, kind, delivery)}
    if changed:
        record_change(session, actor=actor, entity_type="user", entity_id=actor.id, action="user:notification_preferences",
                      before={kind: before[kind].value for kind in changed},
                      after={kind: delivery.value for kind, delivery in changed.items()})
    return len(changed)


def unsubscribe(session: Session, user_id: int, kind: str) -> User:
    """The signed unsubscribe link was followed (no sign-in): that kind's mail stops.
    Raises NotFound for an account or kind that no longer exists."""
    user = session.get(User, user_id)
    if user is None or kind not in notifications.MESSAGES:
        raise NotFound()
    before = digests.preferences(session, [user.id], kind)[user.id]
    if digests.set_delivery(session, user.id, kind, Delivery.NEVER):
        record_change(session, actor=None, entity_type="user", entity_id=user.id, action="user:unsubscribe",
                      before={kind: before.value}, after={kind: Delivery.NEVER.value}, reason="unsubscribe link")
    return user


def follows(session: Session, user: User) -> tuple[set[int], set[int]]:
    """(field ids, municipality ids) the user follows."""
    rows = session.execute(select(Follow.field_id, Follow.municipality_id).where(Follow.user_id == user.id)).all()
    return {r.field_id for r in rows if r.field_id}, {r.municipality_id for r in rows if r.municipality_id}


def set_follows(session: Session, *, actor: User, field_ids: Sequence[int] | None = None,
                municipality_ids: Sequence[int] | None = None) -> None:
    """Replace what the actor follows (a None list is left as it is). Raises ValidationError for
    an unknown field or municipality."""
    fields_now, places_now = follows(session, actor)
    errors: dict[str, list] = {}
    if field_ids is not None:
        known = set(session.scalars(select(Field.id).where(Field.id.in_(field_ids))))
        if set(field_ids) - known:
            errors["field_ids"] = [_l("不明な分野が含まれています。")]
    if municipality_ids is not None:
        known = set(session.scalars(select(Municipality.id).where(Municipality.id.in_(municipality_ids))))
        if set(municipality_ids) - known:
            errors["municipality_ids"] = [_l("不明な自治体が含まれています。")]
    if errors:
        raise ValidationError(field_errors=errors)
    after_fields = set(field_ids) if field_ids is not None else fields_now
    after_places = set(municipality_ids) if municipality_ids is not None else places_now
    if (after_fields, after_places) == (fields_now, places_now):
        return
    for gone in fields_now - after_fields:
        session.execute(delete(Follow).where(Follow.user_id == actor.id, Follow.field_id == gone))
    for gone in places_now - after_places:
        session.execute(delete(Follow).where(Follow.user_id == actor.id, Follow.municipality_id == gone))
    session.add_all([Follow(user_id=actor.id, field_id=f) for f in sorted(after_fields - fields_now)])
    session.add_all([Follow(user_id=actor.id, municipality_id=m) for m in sorted(after_places - places_now)])
    record_change(session, actor=actor, entity_type="user", entity_id=actor.id, action="user:follows",
                  before={"fields": sorted(fields_now), "municipalities": sorted(places_now)},
                  after={"fields": sorted(after_fields), "municipalities": sorted(after_places)})


def follow(session: Session, *, actor: User, field_id: int | None = None, municipality_id: int | None = None,
           on: bool = True) -> None:
    """Follow (or stop following) one field or municipality, from an issue's page."""
    fields_now, places_now = follows(session, actor)
    if field_id is not None:
        if session.get(Field, field_id) is None:
            raise NotFound()
        set_follows(session, actor=actor, field_ids=sorted(fields_now | {field_id} if on else fields_now - {field_id}))
    elif municipality_id is not None:
        if session.get(Municipality, municipality_id) is None:
            raise NotFound()
        set_follows(session, actor=actor, municipality_ids=sorted(
            places_now | {municipality_id} if on else places_now - {municipality_id}))
    else:
        raise ValidationError(_l("フォローする分野か自治体を指定してください。"))
