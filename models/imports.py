"""A file uploaded for import, kept between its preview and its commit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .accounts import User
from .base import Base, utcnow


class StagedImport(Base):
    """The uploaded bytes live here, not in the cookie: the preview and the commit read the same
    file, identified by its SHA-256, and only its uploader may commit it before it expires."""

    __tablename__ = "staged_imports"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), comment="challenges or technologies")
    filename: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), comment="of the uploaded bytes; the commit form names it")
    content: Mapped[bytes] = mapped_column(LargeBinary)
    seen: Mapped[dict[str, Any] | None] = mapped_column(
        JSON, comment="per line, the id and version of the row the preview showed: a later edit is a conflict")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    committed_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    owner: Mapped[User] = relationship()
