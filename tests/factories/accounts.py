from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from models import MembershipStatus, Organization, Role, User

from .reference import field

_serial = itertools.count(1)
PASSWORD = "factory-password-1"


def make_organization(session: Session, *, name: str | None = None,
                      status: MembershipStatus = MembershipStatus.APPROVED, **values: Any) -> Organization:
    organization = Organization(name=name or f"テスト株式会社{next(_serial)}", kind="company",
                                member_category="corporate", membership_status=status, **values)
    session.add(organization)
    session.flush()
    return organization


def make_user(session: Session, role: Role, *, email: str | None = None, field_keys: tuple[str, ...] = (),
              **values: Any) -> User:
    """A user of the given role who can sign in with PASSWORD; pass municipality=… or
    organization=… as the role needs, field_keys for a coordinator."""
    user = User(email=email or f"user{next(_serial)}@factory.example",
                password_hash=generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000"),
                display_name=values.pop("display_name", "テスト利用者"), role=role, **values)
    user.coordinator_fields = [field(session, key) for key in field_keys]
    session.add(user)
    session.flush()
    return user
