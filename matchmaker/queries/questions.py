"""Reads of questions on issues: only those the reader may see, in one query."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from models import Challenge, Question, User

from ..policies import questions as question_policy


def for_challenge(session: Session, challenge: Challenge, actor: User) -> list[Question]:
    """The issue's questions the actor may read: answered ones first (oldest first, as a FAQ
    reads), then those still waiting."""
    found = list(session.scalars(
        select(Question).where(Question.challenge_id == challenge.id, question_policy.visible(actor))
        .options(selectinload(Question.organization), selectinload(Question.asked_by))
        .order_by(Question.asked_at, Question.id)))
    return sorted(found, key=lambda q: q.answer is None)
