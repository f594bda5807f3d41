"""Freshness of open issues: confirmed recently, possibly stale, or closed for want of a confirmation.

An open issue's clock starts when it is published and restarts whenever its officer confirms it
is still open (or edits it). After ISSUE_RECONFIRM_DAYS without that it is *possibly stale*: its
officers are asked once to confirm, pages mark it, alerts leave it out and rankings of issues
place it lower (STALE_FACTOR, a bounded penalty applied by the app, not by the engine). After
ISSUE_CLOSE_AFTER_DAYS more it is closed by the freshness job, with a notification and an audit
row; the officer can reopen it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from flask import Flask
from sqlalchemy import ColumnElement, and_, func

from models import Challenge, ChallengeStatus, utcnow

# A possibly stale issue keeps this share of its score in rankings of issues: it drops below
# fresh issues of similar relevance, never below a fresh one that matched much worse.
STALE_FACTOR = 0.7


def aware(moment: dt.datetime) -> dt.datetime:
    """SQLite hands timestamps back without their zone; they are all UTC."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def anchor(challenge: Challenge) -> dt.datetime:
    return aware(challenge.confirmed_at or challenge.created_at or utcnow())


def reconfirm_due(challenge: Challenge, config: Mapping[str, Any], now: dt.datetime | None = None) -> dt.datetime:
    return anchor(challenge) + dt.timedelta(days=int(config["ISSUE_RECONFIRM_DAYS"]))


def closes_at(challenge: Challenge, config: Mapping[str, Any]) -> dt.datetime:
    return reconfirm_due(challenge, config) + dt.timedelta(days=int(config["ISSUE_CLOSE_AFTER_DAYS"]))


def is_stale(challenge: Challenge, config: Mapping[str, Any], now: dt.datetime | None = None) -> bool:
    return challenge.status is ChallengeStatus.OPEN and (now or utcnow()) >= reconfirm_due(challenge, config)


def stale_clause(config: Mapping[str, Any], now: dt.datetime | None = None, *, extra_days: int = 0) -> ColumnElement[bool]:
    """`is_stale` as a WHERE clause (with extra_days: stale for that much longer)."""
    cutoff = (now or utcnow()) - dt.timedelta(days=int(config["ISSUE_RECONFIRM_DAYS"]) + extra_days)
    return and_(Challenge.status == ChallengeStatus.OPEN,
                func.coalesce(Challenge.confirmed_at, Challenge.created_at) <= cutoff)


# -- the job ------------------------------------------------------------------------------------
def run(app: Flask, now: dt.datetime | None = None) -> tuple[int, int]:
    """Ask the officers of newly stale issues to confirm them (once per publication or confirmation),
    and close the issues nobody confirmed in the further period. Returns (asked, closed)."""
    from sqlalchemy import select

    from models import AlertReceipt, Role, User

    from . import digests
    from .actions.audit import record_change
    from .actions.catalogue import challenge_snapshot
    from .db import session_scope

    now = now or utcnow()
    config = app.config
    asked = closed = 0
    reader = app.extensions["sqlalchemy_sessionmaker"]()  # the sweep asks often: no write lock to look
    try:
        if reader.scalar(select(Challenge.id).where(stale_clause(config, now)).limit(1)) is None:
            return asked, closed
    finally:
        reader.close()
    with session_scope(app) as session:
        for challenge in session.scalars(select(Challenge).where(stale_clause(config, now)).order_by(Challenge.id)):
            officers = list(session.scalars(select(User).where(
                User.role == Role.MUNICIPAL_OFFICER, User.municipality_id == challenge.municipality_id,
                User.is_active.is_(True)).order_by(User.id)))
            params = {"title": challenge.title, "challenge_id": challenge.id}
            if now >= closes_at(challenge, config):
                before = challenge_snapshot(challenge)
                challenge.status = ChallengeStatus.CLOSED
                session.flush()
                record_change(session, actor=None, entity_type="challenge", entity_id=challenge.id,
                              action="challenge:stale_close", before=before, after=challenge_snapshot(challenge),
                              reason=f"not reconfirmed since {anchor(challenge).date().isoformat()}")
                digests.notify(session, officers, "stale_closed", params)
                closed += 1
                continue
            key = f"reconfirm:{challenge.id}:{anchor(challenge).isoformat()}"[:80]
            told = set(session.scalars(select(AlertReceipt.user_id).where(AlertReceipt.key == key)))
            new = [officer for officer in officers if officer.id not in told]
            for officer in new:
                session.add(AlertReceipt(user_id=officer.id, key=key))
            if new:
                digests.notify(session, new, "reconfirm", {**params, "days": int(config["ISSUE_CLOSE_AFTER_DAYS"])})
                asked += 1
    return asked, closed


def rerank(ranked: list, challenges: Mapping[int, Challenge], config: Mapping[str, Any],
           now: dt.datetime | None = None) -> list:
    """Rankings of issues (items with challenge_id and score) with possibly stale issues placed as if
    their score were STALE_FACTOR of itself. The shown score and its reasons stay as the engine gave them."""
    now = now or utcnow()

    def weight(item: Any) -> float:
        challenge = challenges.get(item.challenge_id)
        stale = challenge is not None and is_stale(challenge, config, now)
        return item.score * (STALE_FACTOR if stale else 1.0)

    return sorted(ranked, key=weight, reverse=True)
