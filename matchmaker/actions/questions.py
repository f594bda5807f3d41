"""Questions and answers on an issue, and the issue's Q&A period."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from models import Challenge, Question, User, utcnow

from ..domain.errors import Conflict, NotFound, ValidationError
from ..policies import Permission, require
from ..policies import questions as question_policy
from .audit import record_change
from .catalogue import get_challenge
from .notify import notify, officers_of
from .validation import clean_text, collect_errors

JAPAN = ZoneInfo("Asia/Tokyo")
BODY_MAX = 2000
ANSWER_MAX = 4000
REASON_MAX = 500


def japan_today(now: Callable[[], dt.datetime] = utcnow) -> dt.date:
    """A Q&A deadline is a day in Japan: it ends at midnight JST, not UTC."""
    return now().astimezone(JAPAN).date()


def qa_closed(challenge: Challenge, now: Callable[[], dt.datetime] = utcnow) -> bool:
    """Whether the issue's Q&A period is over (no deadline: open while the issue is)."""
    return challenge.qa_deadline is not None and japan_today(now) > challenge.qa_deadline


def get_question(session: Session, question_id: int, *, actor: User) -> Question:
    """Raises NotFound unless the actor may read it."""
    question = session.get(Question, question_id)
    if question is None or not question_policy.can_view(actor, question):
        raise NotFound()
    return question


def ask(session: Session, challenge_id: int, *, actor: User, body: str,
        now: Callable[[], dt.datetime] = utcnow) -> Question:
    """A company member asks about an open issue before its Q&A deadline.

    Raises NotFound, PermissionDenied, ValidationError or Conflict (the Q&A period is over).
    """
    require(actor, Permission.QUESTION_ASK)
    challenge = get_challenge(session, challenge_id, actor=actor)
    require(actor, Permission.QUESTION_ASK, challenge)
    body = clean_text(body, field="body", max_length=BODY_MAX, multiline=True)
    if qa_closed(challenge, now) and challenge.qa_deadline is not None:
        raise Conflict(_l("この課題の質問受付は%(date)sで終了しました。", date=challenge.qa_deadline.isoformat()))
    question = Question(challenge=challenge, asked_by_id=actor.id, organization_id=actor.organization_id, body=body,
                        asked_at=now())
    session.add(question)
    session.flush()
    record_change(session, actor=actor, entity_type="challenge", entity_id=challenge.id, action="question:ask",
                  after={"question_id": question.id})
    # Officers are told who asked: the question is theirs to answer.
    notify(session, officers_of(session, challenge.municipality_id), kind="question", actor=actor, now=now,
           params={"title": challenge.title, "challenge_id": challenge.id, "company": question.organization.name})
    return question


def answer(session: Session, question_id: int, *, actor: User, text: str, private: bool = False, reason: str = "",
           expected_version: int | None, now: Callable[[], dt.datetime] = utcnow) -> Question:
    """Answer a question, public to every member unless kept private with a reason.

    Raises NotFound, PermissionDenied, ValidationError or Conflict (already answered, or stale).
    """
    question = get_question(session, question_id, actor=actor)
    require(actor, Permission.QUESTION_ANSWER, question)
    if expected_version != question.version:
        raise Conflict()
    if question.answer is not None:
        raise Conflict(_l("この質問には既に回答があります。"))

    def check_reason() -> str:
        cleaned = clean_text(reason, field="reason", max_length=REASON_MAX, required=private)
        return cleaned if private else ""

    text, reason = collect_errors(
        lambda: clean_text(text, field="answer", max_length=ANSWER_MAX, multiline=True), check_reason)
    question.answer, question.answered_by_id, question.answered_at = text, actor.id, now()
    question.is_private, question.private_reason = private, reason
    session.flush()
    record_change(session, actor=actor, entity_type="challenge", entity_id=question.challenge_id,
                  action="question:answer", after={"question_id": question.id, "private": private}, reason=reason)
    asker = [question.asked_by] if question.asked_by is not None else []
    notify(session, asker, kind="answer", actor=actor, now=now,
           params={"title": question.challenge.title, "challenge_id": question.challenge_id})
    return question


def set_qa_deadline(session: Session, challenge_id: int, deadline: dt.date | None, *, actor: User,
                    expected_version: int | None) -> None:
    """Set or clear the last day to ask (Japan time). Raises NotFound, PermissionDenied,
    ValidationError or Conflict (stale form)."""
    challenge = get_challenge(session, challenge_id, actor=actor)
    require(actor, Permission.CHALLENGE_EDIT, challenge)
    if expected_version != challenge.version:
        raise Conflict()
    if deadline is not None and not dt.date(2000, 1, 1) <= deadline <= dt.date(2100, 12, 31):
        raise ValidationError(field_errors={"qa_deadline": [_l("日付は 2027-04-01、2027年4月、令和9年4月 のように入力してください。")]})
    before = challenge.qa_deadline
    if before == deadline:
        return
    challenge.qa_deadline = deadline
    session.flush()
    record_change(session, actor=actor, entity_type="challenge", entity_id=challenge.id, action="challenge:qa_deadline",
                  before={"qa_deadline": before.isoformat() if before else None},
                  after={"qa_deadline": deadline.isoformat() if deadline else None})
