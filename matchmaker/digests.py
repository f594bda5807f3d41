"""How notifications reach people: at once, in a daily or weekly digest, or only in the inbox.

`notify` is the one way to tell someone something: it keeps the notification for the inbox and,
by the reader's preference for its kind, queues the mail now, leaves it for the next digest, or
mails nothing. Every notification kind (notifications.MESSAGES) is governed this way, whoever
adds it; mails that are not notifications (password reset, application answers) are not.

Digests are a job (`send_digests`): every notification waiting for the period is claimed by
deleting its PendingDigest row (so two runs never put it in two mails), and each reader gets one
mail with everything claimed for them, grouped by project and issue (notifications.digest). A
DigestRun row per period (the JST date, or the ISO week) makes the periodic trigger idempotent:
whichever worker or scheduler runs first sends it, the others find the row and stop.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import (
    Delivery,
    DigestRun,
    Notification,
    NotificationPreference,
    OutboxEmail,
    PendingDigest,
    Role,
    User,
    utcnow,
)

from . import notifications
from .db import session_scope
from .jptime import JST

log = logging.getLogger(__name__)

# The choice a person has made for no kind yet: every kind is mailed at once.
DEFAULT_DELIVERY = Delivery.IMMEDIATELY
PERIODS = {"daily": Delivery.DAILY, "weekly": Delivery.WEEKLY}
# Who can receive a kind, for the settings page; a kind not listed here can reach anyone.
AUDIENCE: dict[str, frozenset[Role]] = {
    "alert_issue_match": frozenset({Role.COMPANY_MEMBER}),
    "alert_technology_match": frozenset({Role.MUNICIPAL_OFFICER}),
    "application_pending": frozenset({Role.COORDINATOR}),
    "reconfirm": frozenset({Role.MUNICIPAL_OFFICER}),
    "stale_closed": frozenset({Role.MUNICIPAL_OFFICER}),
}


def kinds_for(role: Role) -> list[str]:
    return [kind for kind in notifications.MESSAGES if role in AUDIENCE.get(kind, frozenset(Role))]
Clock = Callable[[], dt.datetime]


# -- preferences ------------------------------------------------------------------------------
def preferences(session: Session, user_ids: Iterable[int], kind: str) -> dict[int, Delivery]:
    """Each person's delivery for one kind (the default where they chose nothing)."""
    ids = list(set(user_ids))
    chosen = dict(session.execute(select(NotificationPreference.user_id, NotificationPreference.delivery)
                                  .where(NotificationPreference.user_id.in_(ids),
                                         NotificationPreference.kind == kind)).all()) if ids else {}
    return {user_id: chosen.get(user_id, DEFAULT_DELIVERY) for user_id in ids}


def all_preferences(session: Session, user_id: int) -> dict[str, Delivery]:
    chosen = dict(session.execute(select(NotificationPreference.kind, NotificationPreference.delivery)
                                  .where(NotificationPreference.user_id == user_id)).all())
    return {kind: chosen.get(kind, DEFAULT_DELIVERY) for kind in notifications.MESSAGES}


# -- telling people ---------------------------------------------------------------------------
def notify(session: Session, recipients: Sequence[User], kind: str, params: dict[str, Any], *,
           project_id: int | None = None, now: Clock = utcnow, mail: bool = True) -> list[Notification]:
    """Tell each recipient (an inbox entry each) and mail them as they chose for `kind`.

    Params are stored, not text: `title` names the item (a project's, an issue's), and
    `challenge_id` / `technology_id` say where the mail links when there is no project. With
    mail=False (demo data) only the inbox entries are written. Never commits.
    """
    if kind not in notifications.MESSAGES:
        raise KeyError(kind)
    chosen = preferences(session, (r.id for r in recipients), kind)
    made = []
    for person in recipients:
        at = now()
        notification = Notification(user_id=person.id, project_id=project_id, kind=kind, params=params, created_at=at)
        session.add(notification)
        made.append(notification)
        delivery = chosen[person.id]
        if not mail or not person.is_active or delivery is Delivery.NEVER:
            continue
        if delivery is Delivery.IMMEDIATELY:
            session.add(OutboxEmail(recipient=person.email, locale=person.locale, kind=kind,
                                    params={**params, "_user": person.id}, project_id=project_id, created_at=at))
        else:
            session.flush()  # the notification's id
            session.add(PendingDigest(notification_id=notification.id, user_id=person.id, kind=kind, created_at=at))
    return made


# -- digests ----------------------------------------------------------------------------------
def period_key(period: str, now: dt.datetime) -> str:
    local = now.astimezone(JST)
    if period == "daily":
        return local.date().isoformat()
    year, week, _day = local.isocalendar()
    return f"{year}-W{week:02d}"


def due_periods(app: Flask, now: dt.datetime) -> list[str]:
    """The periods whose digest time has come (daily from DIGEST_HOUR_JST, weekly from Monday then)."""
    local = now.astimezone(JST)
    if local.hour < int(app.config["DIGEST_HOUR_JST"]):
        return []
    return ["daily", "weekly"]  # weekly: the ISO week's key is new from Monday on


def run_due_digests(app: Flask, now: dt.datetime | None = None) -> dict[str, int]:
    """The periodic job: send each due period's digests once."""
    now = now or utcnow()
    return {period: send_digests(app, period, now=now) for period in due_periods(app, now)}


def send_digests(app: Flask, period: str, *, now: dt.datetime | None = None, force: bool = False) -> int:
    """Send the `period` digest to everyone with something waiting; returns the number of mails.

    Once per period key unless `force` (the CLI, tests). Notifications of a kind now set to
    `never` are dropped; of a kind now set to `immediately`, they go into the daily digest rather
    than wait a week."""
    if period not in PERIODS:
        raise ValueError(period)
    now = now or utcnow()
    key = period_key(period, now)
    if not force:
        # The periodic job asks every sweep: a read answers "already sent" without the write lock.
        reader = app.extensions["sqlalchemy_sessionmaker"]()
        try:
            if reader.get(DigestRun, (period, key)) is not None:
                return 0
        finally:
            reader.close()
    with session_scope(app) as session:
        if not force:
            try:
                with session.begin_nested():
                    session.execute(insert(DigestRun).values(period=period, key=key, at=now, mails=0))
            except IntegrityError:
                return 0  # this period's digest was sent already (or is being sent by another worker)
        mails = _send(session, period, now)
        if not force:
            session.query(DigestRun).filter_by(period=period, key=key).update({"mails": mails})
    if mails:
        log.info("%s digest %s: %d mail(s)", period, key, mails)
    return mails


def _send(session: Session, period: str, now: dt.datetime) -> int:
    waiting = session.execute(select(PendingDigest.user_id, PendingDigest.kind).distinct()).all()
    if not waiting:
        return 0
    chosen = {(row.user_id, row.kind): row.delivery for row in session.execute(
        select(NotificationPreference.user_id, NotificationPreference.kind, NotificationPreference.delivery)
        .where(NotificationPreference.user_id.in_({w.user_id for w in waiting})))}
    wanted: dict[int, list[str]] = {}
    dropped: dict[int, list[str]] = {}
    for user_id, kind in waiting:
        delivery = chosen.get((user_id, kind), DEFAULT_DELIVERY)
        if delivery is Delivery.NEVER:
            dropped.setdefault(user_id, []).append(kind)
        elif delivery is PERIODS[period] or (period == "daily" and delivery is Delivery.IMMEDIATELY):
            wanted.setdefault(user_id, []).append(kind)
    for user_id, kinds in dropped.items():
        session.execute(delete(PendingDigest).where(PendingDigest.user_id == user_id, PendingDigest.kind.in_(kinds)))
    users = {u.id: u for u in session.scalars(select(User).where(User.id.in_(wanted)))}
    mails = 0
    for user_id, kinds in sorted(wanted.items()):
        # Deleting the rows is the claim: a concurrent run gets none of the same notifications.
        claimed = session.scalars(delete(PendingDigest).where(PendingDigest.user_id == user_id,
                                                              PendingDigest.kind.in_(kinds))
                                  .returning(PendingDigest.notification_id)).all()
        person = users.get(user_id)
        if not claimed or person is None or not person.is_active:
            continue
        items = [{"kind": n.kind, "params": n.params or {}, "project_id": n.project_id, "at": n.created_at.isoformat()}
                 for n in session.scalars(select(Notification).where(Notification.id.in_(claimed))
                                          .order_by(Notification.created_at.desc(), Notification.id.desc()))]
        if not items:
            continue
        session.add(OutboxEmail(recipient=person.email, locale=person.locale, kind="digest",
                                params={"period": period, "items": items, "_user": person.id}, created_at=now))
        mails += 1
    return mails


# -- unsubscribing and settings ---------------------------------------------------------------
def set_delivery(session: Session, user_id: int, kind: str, delivery: Delivery) -> bool:
    """Record a choice; returns whether it changed anything."""
    if kind not in notifications.MESSAGES:
        raise KeyError(kind)
    row = session.get(NotificationPreference, (user_id, kind))
    if row is None:
        if delivery is DEFAULT_DELIVERY:
            return False
        session.add(NotificationPreference(user_id=user_id, kind=kind, delivery=delivery))
        return True
    if row.delivery is delivery:
        return False
    row.delivery = delivery
    return True


# -- command line -----------------------------------------------------------------------------
@click.command("send-digests")
@click.option("--period", type=click.Choice(sorted(PERIODS)), required=True)
@click.option("--force", is_flag=True, help="Send what is waiting even if this period's digest went out already.")
@with_appcontext
def send_digests_command(period: str, force: bool) -> None:
    """Send the daily or weekly digest now (the jobs do it at DIGEST_HOUR_JST by themselves)."""
    click.echo(f"{send_digests(current_app._get_current_object(), period, force=force)} digest mail(s) queued")  # type: ignore[attr-defined]


def init_app(app: Flask) -> None:
    app.cli.add_command(send_digests_command)
