"""The single way actions record a state change."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models import AuditEvent, User


def record_change(
    session: Session,
    *,
    actor: User | None,
    entity_type: str,
    entity_id: int,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor is not None else None,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        before=before,
        after=after,
        reason=reason,
    )
    session.add(event)
    return event


def history(session: Session, entity_type: str, entity_id: int, limit: int = 50) -> list[AuditEvent]:
    """Newest first, with actors loaded, for timelines."""
    from sqlalchemy import select
    from sqlalchemy.orm import selectinload

    return list(session.scalars(
        select(AuditEvent).where(AuditEvent.entity_type == entity_type, AuditEvent.entity_id == entity_id)
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id.desc()).limit(limit)
    ))
