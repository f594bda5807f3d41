"""Reads of questions on issues: only those the reader may see, in one query."""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, func, select
from sqlalchemy.orm import Session, selectinload

from models import Challenge, Field, Question, Role, User

from ..policies import questions as question_policy


def for_challenge(session: Session, challenge: Challenge, actor: User) -> list[Question]:
    """The issue's questions the actor may read: answered ones first (oldest first, as a FAQ
    reads), then those still waiting."""
    found = list(session.scalars(
        select(Question).where(Question.challenge_id == challenge.id, question_policy.visible(actor))
        .options(selectinload(Question.organization), selectinload(Question.asked_by))
        .order_by(Question.asked_at, Question.id)))
    return sorted(found, key=lambda q: q.answer is None)


# Unanswered questions shown among the things waiting for someone; the rest are on the issues.
UNANSWERED_SHOWN = 10


def _answerable(actor: User) -> ColumnElement[bool]:
    """Questions the actor is the one to answer (policies.questions._answers_for, in SQL): an
    officer's municipality's issues, a coordinator's fields. Admins may answer anything, but
    every question is not waiting for them."""
    if not actor.is_active:
        return false()
    if actor.role is Role.MUNICIPAL_OFFICER and actor.municipality_id is not None:
        return Question.challenge.has(Challenge.municipality_id == actor.municipality_id)
    if actor.role is Role.COORDINATOR and actor.coordinator_fields:
        return Question.challenge.has(Challenge.fields.any(Field.id.in_([f.id for f in actor.coordinator_fields])))
    return false()


def unanswered(session: Session, actor: User, limit: int = UNANSWERED_SHOWN) -> tuple[list[Question], int]:
    """Questions waiting for the actor's answer, the longest waiting first (at most `limit`), and
    how many wait in all. Also on closed issues: they can still be answered, and the asker waits."""
    where = (Question.answer.is_(None), _answerable(actor))
    total = session.scalar(select(func.count()).select_from(Question).where(*where)) or 0
    shown = list(session.scalars(select(Question).where(*where).options(selectinload(Question.challenge))
                                 .order_by(Question.asked_at, Question.id).limit(limit))) if total else []
    return shown, total
