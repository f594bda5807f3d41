"""Questions on issues: who may ask, answer and read them.

A company member asks about an open issue. The municipality's officers, coordinators of the
issue's fields and admins answer. An answered question is public to every signed-in member (every
company gets the same information before a procurement), unless the answerer kept it private
with a reason; until then only the asker's organisation, the municipality and coordinators read
it. Outside those, the asking company is not named.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, or_, true

from models import Challenge, ChallengeStatus, Field, Question, Role, User

from . import catalogue


def can_ask(user: User, challenge: Challenge) -> bool:
    """The deadline is the action's to check, with its own message."""
    return (user.organization_id is not None and challenge.status is ChallengeStatus.OPEN
            and catalogue.can_view_challenge(user, challenge))


def _answers_for(user: User, challenge: Challenge) -> bool:
    if user.role is Role.ADMIN:
        return True
    if user.role is Role.MUNICIPAL_OFFICER:
        return challenge.municipality_id == user.municipality_id
    if user.role is Role.COORDINATOR:
        return bool({f.id for f in user.coordinator_fields} & {f.id for f in challenge.fields})
    return False


def can_answer(user: User, question: Question) -> bool:
    return _answers_for(user, question.challenge)


def waiting_for(user: User) -> ColumnElement[bool]:
    """Questions this user is the one to answer, as a WHERE clause over Question: `_answers_for`
    without admins, who may answer anything but for whom not every question waits."""
    if not user.is_active:
        return false()
    if user.role is Role.MUNICIPAL_OFFICER and user.municipality_id is not None:
        return Question.challenge.has(Challenge.municipality_id == user.municipality_id)
    if user.role is Role.COORDINATOR and user.coordinator_fields:
        return Question.challenge.has(Challenge.fields.any(Field.id.in_([f.id for f in user.coordinator_fields])))
    return false()


def is_insider(user: User, question: Question) -> bool:
    """Sees every question on the issue and who asked it."""
    return (user.role in (Role.COORDINATOR, Role.ADMIN) or catalogue.owns_challenge(user, question.challenge)
            or (user.organization_id is not None and user.organization_id == question.organization_id))


def can_view(user: User, question: Question) -> bool:
    if not catalogue.can_view_challenge(user, question.challenge):
        return False
    return is_insider(user, question) or (question.answer is not None and not question.is_private)


def visible(user: User) -> ColumnElement[bool]:
    """`can_view` as a WHERE clause over Question (the issue's own visibility applies too)."""
    if not user.is_active:
        return false()
    if user.role in (Role.COORDINATOR, Role.ADMIN):
        return true()
    public = and_(Question.answer.is_not(None), Question.is_private.is_(False))
    insider = []
    if user.role is Role.MUNICIPAL_OFFICER and user.municipality_id is not None:
        insider.append(Question.challenge.has(Challenge.municipality_id == user.municipality_id))
    if user.organization_id is not None:
        insider.append(Question.organization_id == user.organization_id)
    return and_(Question.challenge.has(catalogue.challenges_visible(user)), or_(public, *insider))


__all__ = ["can_answer", "can_ask", "can_view", "is_insider", "visible", "waiting_for"]
