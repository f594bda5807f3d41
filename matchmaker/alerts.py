"""Alerts: who hears about a newly published issue or a newly registered technology.

The action that publishes an issue or registers a technology only writes an AlertTask row in its
own transaction; when that commits, a job computes the recipients (never the request). The job:

- a published issue: members of every company with a technology the engine labels *strong* for
  it (scoring/strength.py: within 0.9 of the list's best score and above the floor, calibrated on
  ../shared/eval/dev: 67% of real partners, 0.9 other entries per issue; bench/RESULTS.md), and
  everyone following one of its fields or its municipality;
- a registered technology: the officers of each open issue for which it would be labelled strong
  in that issue's own ranking (what the officer would see on the issue's page).

Technologies not currently offered and possibly stale issues take no part (matchmaker/freshness.py).
An AlertReceipt per person and item makes it idempotent: a repeated job, a lost wake-up caught by
the sweep, or an issue closed and published again never tells anyone twice. While the engine has
no state yet the task waits for the next sweep.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import event, or_, select
from sqlalchemy.orm import Session

from models import (
    AlertReceipt,
    AlertTask,
    Challenge,
    ChallengeStatus,
    Follow,
    MembershipStatus,
    Role,
    Technology,
    User,
    challenge_fields,
    utcnow,
)
from scoring.strength import STRONG, strengths

from . import digests, notifications
from .db import session_scope
from .freshness import is_stale
from .policies import Permission, can

log = logging.getLogger(__name__)

_NEW_TASKS = "matchmaker_new_alert_tasks"


def issue_published(session: Session, challenge: Challenge) -> None:
    session.add(AlertTask(subject="challenge", subject_id=challenge.id))


def technology_registered(session: Session, technology: Technology) -> None:
    session.add(AlertTask(subject="technology", subject_id=technology.id))


@dataclass(frozen=True)
class Alert:
    user: User
    key: str
    kind: str
    params: dict[str, Any]


# -- the job ------------------------------------------------------------------------------------
def run(app: Flask, ids: list[int] | None = None) -> int:
    """Process pending tasks (only `ids` when given); returns how many people were told."""
    query = select(AlertTask.id).where(AlertTask.done_at.is_(None)).order_by(AlertTask.id)
    if ids is not None:
        query = query.where(AlertTask.id.in_(ids))
    reader = app.extensions["sqlalchemy_sessionmaker"]()  # the sweep asks often: no write lock to look
    try:
        pending = list(reader.scalars(query.limit(200)))
    finally:
        reader.close()
    told = 0
    for task_id in pending:
        try:
            told += _process(app, task_id)
        except Exception:
            log.exception("alert task %s failed; retried by the next sweep", task_id)
    return told


def _process(app: Flask, task_id: int) -> int:
    from .matching import match_service, reading_session

    with app.app_context():
        reader = reading_session(app)
        try:
            task = reader.get(AlertTask, task_id)
            if task is None or task.done_at is not None:
                return 0
            if match_service().sync(reader) is None:
                return 0  # no engine state yet: the sweep tries again once the refit has saved one
            plan = (_for_issue(app, reader, task.subject_id) if task.subject == "challenge"
                    else _for_technology(app, reader, task.subject_id))
            recipients = [(a.user.id, a.key, a.kind, a.params) for a in plan]
        finally:
            reader.close()
    with session_scope(app) as session:
        task = session.get(AlertTask, task_id, with_for_update=True)
        if task is None or task.done_at is not None:
            return 0  # another worker finished it meanwhile
        keys = {key for _user, key, _kind, _params in recipients}
        told = {(r.user_id, r.key) for r in session.scalars(
            select(AlertReceipt).where(AlertReceipt.key.in_(keys)))} if keys else set()
        users = {u.id: u for u in session.scalars(select(User).where(User.id.in_({r[0] for r in recipients})))}
        count = 0
        for user_id, key, kind, params in recipients:
            if (user_id, key) in told:
                continue
            told.add((user_id, key))
            session.add(AlertReceipt(user_id=user_id, key=key))
            digests.notify(session, [users[user_id]], kind, params)
            count += 1
        task.done_at, task.recipients = utcnow(), count
    return count


def _for_issue(app: Flask, session: Session, challenge_id: int) -> list[Alert]:
    from .matching import match_service

    challenge = session.get(Challenge, challenge_id)
    if challenge is None or challenge.status is not ChallengeStatus.OPEN or is_stale(challenge, app.config):
        return []
    key = f"challenge:{challenge.id}"
    base = {"title": challenge.title, "challenge_id": challenge.id, **notifications.municipality_params(challenge.municipality)}
    ranked = match_service().technologies_for(session, challenge.id, int(app.config["MATCH_TOP_K"]))
    strong = [r.technology_id for r, label in zip(ranked, strengths([r.score for r in ranked]), strict=True)
              if label == STRONG]
    technologies = {t.id: t for t in session.scalars(select(Technology).where(
        Technology.id.in_(strong), Technology.is_retired.is_(False), Technology.offered.is_(True)))}
    best_by_company: dict[int, Technology] = {}
    for technology_id in strong:  # best first
        technology = technologies.get(technology_id)
        if technology is not None and technology.organization.membership_status is MembershipStatus.APPROVED:
            best_by_company.setdefault(technology.organization_id, technology)
    alerts: list[Alert] = []
    if best_by_company:
        for member in session.scalars(select(User).where(
                User.organization_id.in_(best_by_company), User.role == Role.COMPANY_MEMBER,
                User.is_active.is_(True)).order_by(User.id)):
            technology = best_by_company[member.organization_id]  # type: ignore[index]
            alerts.append(Alert(member, key, "alert_issue_match",
                                {**base, "technology": technology.title, "technology_id": technology.id}))
    matched = {a.user.id for a in alerts}
    field_ids = select(challenge_fields.c.field_id).where(challenge_fields.c.challenge_id == challenge.id)
    followers = session.scalars(
        select(User).join(Follow, Follow.user_id == User.id)
        .where(User.is_active.is_(True),
               or_(Follow.municipality_id == challenge.municipality_id, Follow.field_id.in_(field_ids)))
        .distinct().order_by(User.id))
    for follower in followers:
        if follower.id not in matched and follower.id != challenge.author_id:
            alerts.append(Alert(follower, key, "alert_issue_follow", dict(base)))
    return [a for a in alerts if can(a.user, Permission.CHALLENGE_VIEW, challenge)]


def _for_technology(app: Flask, session: Session, technology_id: int) -> list[Alert]:
    from .matching import match_service

    technology = session.get(Technology, technology_id)
    if (technology is None or technology.is_retired or not technology.offered
            or technology.organization.membership_status is not MembershipStatus.APPROVED):
        return []
    top_k = int(app.config["MATCH_TOP_K"])
    candidates = [r.challenge_id for r in match_service().challenges_for(session, technology.id, top_k)]
    challenges = {c.id: c for c in session.scalars(select(Challenge).where(
        Challenge.id.in_(candidates), Challenge.status == ChallengeStatus.OPEN))}
    fresh = [c for c in candidates if c in challenges and not is_stale(challenges[c], app.config)]
    lists = match_service().technologies_for_many(session, fresh, top_k)
    alerts: list[Alert] = []
    for challenge_id in fresh:
        ranked = lists[challenge_id]
        labels = dict(zip((r.technology_id for r in ranked), strengths([r.score for r in ranked]), strict=True))
        if labels.get(technology.id) != STRONG:
            continue
        challenge = challenges[challenge_id]
        officers = session.scalars(select(User).where(
            User.role == Role.MUNICIPAL_OFFICER, User.municipality_id == challenge.municipality_id,
            User.is_active.is_(True)).order_by(User.id))
        params = {"title": challenge.title, "challenge_id": challenge.id, "technology": technology.title,
                  "technology_id": technology.id, "organization": technology.organization.name}
        alerts += [Alert(officer, f"technology:{technology.id}:challenge:{challenge.id}", "alert_technology_match",
                         params) for officer in officers]
    return alerts


# -- waking the job up after commit -----------------------------------------------------------
def init_app(app: Flask) -> None:
    from . import jobs

    digests.init_app(app)

    def collect(session: Session, _context: object) -> None:
        new = [t for t in session.new if isinstance(t, AlertTask)]
        if new:
            session.info.setdefault(_NEW_TASKS, []).extend(new)

    def wake(session: Session) -> None:
        tasks = session.info.pop(_NEW_TASKS, [])
        if tasks:
            jobs.enqueue(app, "alerts", sorted(t.id for t in tasks))

    def forget(session: Session, transaction) -> None:  # type: ignore[no-untyped-def]
        if transaction.parent is None:
            session.info.pop(_NEW_TASKS, None)

    for factory in ("sqlalchemy_sessionmaker", "sqlalchemy_write_sessionmaker"):
        maker = app.extensions[factory]
        event.listen(maker, "after_flush", collect)
        event.listen(maker, "after_commit", wake)
        event.listen(maker, "after_transaction_end", forget)
