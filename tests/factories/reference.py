"""Reference rows (seeded once per template database): look them up by key or name."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import Field, Municipality


def field(session: Session, key: str) -> Field:
    found = session.scalar(select(Field).where(Field.key == key))
    assert found is not None, key
    return found


def municipality(session: Session, name: str) -> Municipality:
    found = session.scalar(select(Municipality).where(Municipality.name == name))
    assert found is not None, name
    return found
