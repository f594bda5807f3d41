"""Reads of questions on issues: only those the reader may see, in one query."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from models import Challenge, Question, User

from ..policies import questions as question_policy
from .paging import Shown


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


def unanswered(session: Session, actor: User, limit: int = UNANSWERED_SHOWN) -> Shown[Question]:
    """Questions waiting for the actor's answer, the longest waiting first (at most `limit`), and
    how many wait in all. Also on closed issues: they can still be answered, and the asker waits."""
    where = (Question.answer.is_(None), question_policy.waiting_for(actor))
    total = session.scalar(select(func.count()).select_from(Question).where(*where)) or 0
    shown = list(session.scalars(select(Question).where(*where).options(selectinload(Question.challenge))
                                 .order_by(Question.asked_at, Question.id).limit(limit))) if total else []
    return Shown(shown, total)
