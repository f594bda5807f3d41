"""Telling people about an issue or a project: one notification each (rendered in the reader's
language when shown), mailed as each reader chose for the kind (matchmaker/digests.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Role, User, utcnow

from .. import digests


def notify(session: Session, people: Iterable[User], *, kind: str, params: dict[str, Any], actor: User | None,
           project_id: int | None = None, now: Callable[[], dt.datetime] = utcnow) -> int:
    """Queue the news for every active person except the actor; returns how many were told."""
    told = [p for p in {p.id: p for p in people}.values()
            if p.is_active and (actor is None or p.id != actor.id)]
    digests.notify(session, told, kind, params, project_id=project_id, now=now)
    return len(told)


def members_of(session: Session, organization_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.organization_id == organization_id,
                                                   User.role == Role.COMPANY_MEMBER, User.is_active.is_(True))))


def officers_of(session: Session, municipality_id: int) -> list[User]:
    return list(session.scalars(select(User).where(User.municipality_id == municipality_id,
                                                   User.role == Role.MUNICIPAL_OFFICER, User.is_active.is_(True))))
