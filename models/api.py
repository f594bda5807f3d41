"""API tokens: a person's credentials for the JSON API, stored only as a hash."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, utcnow
from .enums import str_enum_column


class TokenScope(str, enum.Enum):
    READ = "read"
    WRITE = "write"  # read and write


class ApiToken(Base):
    """One token of one person. The secret is shown once, at creation; only its SHA-256 is kept.

    The rate-limit window and its count live on the row, so every worker process counts the
    same requests; `last_used_at` moves when a new minute's window opens (at most once a minute).
    """

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(80), comment="what the owner uses it for")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, comment="sha256 hex of the secret")
    prefix: Mapped[str] = mapped_column(String(16), comment="the secret's first characters, to recognise it")
    scope: Mapped[TokenScope] = mapped_column(str_enum_column(TokenScope, length=10), default=TokenScope.READ)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True), comment="a revoked token is refused")
    rate_window: Mapped[int] = mapped_column(default=0, comment="the minute (epoch seconds // 60) being counted")
    rate_count: Mapped[int] = mapped_column(default=0, comment="requests in that minute")

    user: Mapped[User] = relationship()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def __repr__(self) -> str:
        return f"<ApiToken {self.id} {self.prefix}… {self.scope.value}>"
