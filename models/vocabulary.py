"""Synonym pairs that coordinators add in the app, on top of the engine's built-in table.

Only synonym pairs: the engine maps a variant onto one canonical term and has no notion of a
weaker "related" term, so there is no kind or weight to store (a weight nothing reads would be a
lie). `pair_key` is the unordered, normalised pair: (見守り, 安否確認) and (安否確認, 見守り) are
one entry, and the unique index refuses the second even when two coordinators race.
"""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, TimestampMixin

VOCABULARY_TERM_MAX = 60


def vocabulary_pair_key(term: str, variant: str) -> str:
    """The unordered pair, case-folded: what makes two entries the same entry."""
    return "\x1f".join(sorted((term.casefold(), variant.casefold())))


class VocabularyEntry(TimestampMixin, Base):
    __tablename__ = "vocabulary_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(VOCABULARY_TERM_MAX), comment="canonical term, NFKC")
    variant: Mapped[str] = mapped_column(String(VOCABULARY_TERM_MAX), comment="word that means the same, NFKC")
    pair_key: Mapped[str] = mapped_column(String(2 * VOCABULARY_TERM_MAX + 1), unique=True,
                                          comment="unordered case-folded pair: one entry per pair")
    reason: Mapped[str] = mapped_column(Text, default="", comment="why the pair was added or last changed")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(default=1, comment="optimistic lock: a stale form is refused")

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    __mapper_args__ = {"version_id_col": version}
