"""Synonym pairs coordinators add, edit and remove; each change is audited with who and why.

The pairs reach rankings through the next refit (matchmaker/vocabulary.py builds the analyser
from them), which the view asks the job worker for after the commit, never inside the request.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import VOCABULARY_TERM_MAX, User, VocabularyEntry, vocabulary_pair_key

from ..domain.errors import Conflict, NotFound, ValidationError
from ..policies import Permission, require
from .audit import record_change
from .validation import clean_text, collect_errors

REASON_MAX = 500
# The synonym table is tab- and comma-separated and '#' starts a comment line: a term holding
# one of these would be read back as something else.
_TABLE_SEPARATORS = (",", "\t", "#")


@dataclass
class VocabularyInput:
    term: str
    variant: str
    reason: str


def entry_snapshot(entry: VocabularyEntry) -> dict[str, Any]:
    return {"term": entry.term, "variant": entry.variant, "version": entry.version}


def _word(value: str | None, field: str) -> str:
    word = unicodedata.normalize("NFKC", clean_text(value, field=field, max_length=VOCABULARY_TERM_MAX))
    word = " ".join(word.split())
    if any(separator in word for separator in _TABLE_SEPARATORS):
        raise ValidationError(field_errors={field: [_l("「,」「#」は使えません。")]})
    if len(word) > VOCABULARY_TERM_MAX:  # NFKC can lengthen (㍿ -> 株式会社)
        raise ValidationError(field_errors={field: [_l("%(max)d文字以内で入力してください（現在%(length)d文字）。",
                                                       max=VOCABULARY_TERM_MAX, length=len(word))]})
    return word


def _clean(session: Session, data: VocabularyInput, entry_id: int | None) -> tuple[str, str, str]:
    term, variant, reason = collect_errors(
        lambda: _word(data.term, "term"), lambda: _word(data.variant, "variant"),
        lambda: clean_text(data.reason, field="reason", max_length=REASON_MAX, multiline=True))
    if term.casefold() == variant.casefold():
        raise ValidationError(field_errors={"variant": [_l("同じ語どうしは登録できません。別の語を入力してください。")]})
    existing = session.scalar(select(VocabularyEntry).where(
        VocabularyEntry.pair_key == vocabulary_pair_key(term, variant), VocabularyEntry.id != (entry_id or 0)))
    if existing is not None:
        raise _duplicate(existing)
    return term, variant, reason


def _duplicate(existing: VocabularyEntry | None) -> ValidationError:
    message = _l("この組み合わせ（%(term)s ⇔ %(variant)s）は既に登録されています。", term=existing.term,
                 variant=existing.variant) if existing is not None else _l("この組み合わせは既に登録されています。")
    return ValidationError(field_errors={"variant": [message]})


def _flush(session: Session) -> None:
    """Two coordinators adding the same pair at once: the unique index refuses the second."""
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise _duplicate(None) from None


def list_entries(session: Session, *, actor: User) -> list[VocabularyEntry]:
    require(actor, Permission.VOCABULARY_EDIT)
    return list(session.scalars(select(VocabularyEntry).order_by(VocabularyEntry.term, VocabularyEntry.variant)))


def get_entry(session: Session, entry_id: int, *, actor: User) -> VocabularyEntry:
    require(actor, Permission.VOCABULARY_EDIT)
    entry = session.get(VocabularyEntry, entry_id)
    if entry is None:
        raise NotFound()
    return entry


def add_entry(session: Session, data: VocabularyInput, *, actor: User) -> VocabularyEntry:
    """Raises PermissionDenied or ValidationError (bad input, or the pair exists in either order)."""
    require(actor, Permission.VOCABULARY_EDIT)
    term, variant, reason = _clean(session, data, None)
    entry = VocabularyEntry(term=term, variant=variant, pair_key=vocabulary_pair_key(term, variant), reason=reason,
                            created_by=actor, updated_by=actor)
    session.add(entry)
    _flush(session)
    record_change(session, actor=actor, entity_type="vocabulary", entity_id=entry.id, action="vocabulary:create",
                  after=entry_snapshot(entry), reason=reason)
    return entry


def update_entry(session: Session, entry_id: int, data: VocabularyInput, *, actor: User,
                 expected_version: int) -> VocabularyEntry:
    """Raises NotFound, PermissionDenied, ValidationError or Conflict (someone saved first)."""
    entry = get_entry(session, entry_id, actor=actor)
    if entry.version != expected_version:
        raise Conflict()
    term, variant, reason = _clean(session, data, entry.id)
    before = entry_snapshot(entry)
    entry.term, entry.variant, entry.pair_key = term, variant, vocabulary_pair_key(term, variant)
    entry.reason, entry.updated_by = reason, actor
    _flush(session)
    record_change(session, actor=actor, entity_type="vocabulary", entity_id=entry.id, action="vocabulary:update",
                  before=before, after=entry_snapshot(entry), reason=reason)
    return entry


def remove_entry(session: Session, entry_id: int, *, actor: User, expected_version: int, reason: str) -> VocabularyEntry:
    """Raises NotFound, PermissionDenied, ValidationError (no reason) or Conflict (changed since)."""
    entry = get_entry(session, entry_id, actor=actor)
    if entry.version != expected_version:
        raise Conflict()
    why = clean_text(reason, field="reason", max_length=REASON_MAX, multiline=True)
    record_change(session, actor=actor, entity_type="vocabulary", entity_id=entry.id, action="vocabulary:delete",
                  before=entry_snapshot(entry), reason=why)
    session.delete(entry)
    session.flush()
    return entry
