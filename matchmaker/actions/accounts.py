"""Account actions: creating users, signing in and out, changing passwords."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from models import Field, Municipality, Organization, Role, User

from ..errors import Conflict, ValidationError
from ..permissions import Permission, require
from .audit import record_change
from .validation import check_password, clean_email, clean_text


def hash_password(password: str) -> str:
    # scrypt is memory-hard; tests may configure a cheaper method to stay fast.
    method = current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"
    return generate_password_hash(password, method=method)


def find_municipality(session: Session, code_or_name: str) -> Municipality | None:
    key = code_or_name.strip()
    return session.scalar(
        select(Municipality).where((Municipality.code == key) | (Municipality.name == key))
    )


def create_user(
    session: Session,
    *,
    actor: User | None,
    email: str,
    password: str,
    display_name: str,
    role: Role | str,
    municipality: str | None = None,
    organization: str | None = None,
    field_keys: Iterable[str] = (),
) -> User:
    """Create an account. actor=None means the system (CLI, seeding).

    Raises PermissionDenied, ValidationError (bad role, missing or unknown municipality or
    organization) and Conflict (email already registered).
    """
    if actor is not None:
        require(actor, Permission.USER_CREATE)
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError(
            _l("不明な役割です: %(role)s（%(choices)s のいずれか）", role=role, choices=", ".join(r.value for r in Role))
        ) from None
    email = clean_email(email)
    display_name = clean_text(display_name, field="display_name", max_length=80)
    password = check_password(password)

    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_l("このメールアドレスは既に登録されています: %(email)s", email=email))

    user = User(email=email, display_name=display_name, role=role, password_hash=hash_password(password))
    if role is Role.MUNICIPAL_OFFICER:
        if not municipality:
            raise ValidationError(_l("自治体職員には所属自治体（コードまたは名称）が必要です。"))
        found = find_municipality(session, municipality)
        if found is None:
            raise ValidationError(_l("自治体が見つかりません: %(name)s", name=municipality))
        user.municipality = found
    if role is Role.COMPANY_MEMBER:
        if not organization:
            raise ValidationError(_l("企業会員には所属団体が必要です。"))
        org = session.scalar(select(Organization).where(Organization.name == organization.strip()))
        if org is None:
            raise ValidationError(_l("団体が見つかりません: %(name)s", name=organization))
        user.organization = org
    keys = [key.strip() for key in field_keys if key.strip()]
    if keys:
        if role is not Role.COORDINATOR:
            raise ValidationError(_l("分野を担当できるのはコーディネーターだけです。"))
        fields = list(session.scalars(select(Field).where(Field.key.in_(keys))))
        unknown = set(keys) - {f.key for f in fields}
        if unknown:
            raise ValidationError(_l("不明な分野: %(keys)s", keys=", ".join(sorted(unknown))))
        user.coordinator_fields = fields
    session.add(user)
    session.flush()
    record_change(
        session, actor=actor, entity_type="user", entity_id=user.id, action="user:create",
        after={"email": email, "role": role.value},
    )
    return user
