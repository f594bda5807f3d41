"""Account actions: creating users, signing in and out, changing passwords."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass

from flask import current_app, has_app_context
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from models import (
    AlertTask,
    Field,
    MemberCategory,
    MembershipStatus,
    Municipality,
    Organization,
    OrganizationKind,
    OutboxEmail,
    Role,
    Technology,
    User,
    normalize_email,
    utcnow,
)

from .. import digests
from ..domain.errors import Conflict, NotFound, ValidationError
from ..policies import Permission, require
from .audit import record_change
from .validation import check_password, clean_email, clean_text, collect_errors


def hash_password(password: str) -> str:
    # scrypt is memory-hard; tests may configure a cheaper method to stay fast.
    return generate_password_hash(password, method=_hash_method())


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


# -- signing in and out -------------------------------------------------------------------
_GENERIC_LOGIN_ERROR = _l("メールアドレスまたはパスワードが正しくありません。")
_APPLICATION_MESSAGES = {
    MembershipStatus.PENDING: _l("入会申請は審査中です。コーディネーターが承認すると、このメールアドレスとパスワードで"
                                 "ログインできるようになります。"),
    MembershipStatus.REJECTED: _l("入会申請は承認されませんでした。詳しくは事務局にお問い合わせください。"),
}


def check_credentials(session: Session, email: str, password: str) -> int:
    """The id of the account these credentials open. Raises ValidationError (deliberately vague)
    for a wrong e-mail or password; with the right password, an applicant whose organization is
    still pending (or was refused) is told so instead.

    Only reads, so the caller runs it outside any write transaction: the hash check is slow on
    purpose (scrypt), and on SQLite a write transaction held meanwhile would stop every other
    writer of the site for that long on each sign-in attempt.

    Every kind of account costs the same work, so the answer's timing tells nothing: an unknown
    e-mail or an account that may not sign in (pending, rejected, deactivated) is checked against
    a dummy hash made with the same method as real ones. Throttling is the caller's
    (matchmaker.throttle), counted before this runs.
    """
    email = normalize_email(email or "")[:254]
    user = session.scalar(select(User).where(User.email == email))
    stored = user.password_hash if user is not None else _dummy_hash(_hash_method())
    matches = check_password_hash(stored, password or "")
    if user is None or not matches:
        raise ValidationError(_GENERIC_LOGIN_ERROR)
    if not user.is_active:
        # Only someone who knows the password learns why: an application still waiting or
        # refused. Anyone else got the generic answer above, after the same work.
        message = (_APPLICATION_MESSAGES.get(user.organization.membership_status, _GENERIC_LOGIN_ERROR)
                   if user.organization is not None else _GENERIC_LOGIN_ERROR)
        raise ValidationError(message)
    return user.id


def sign_in(session: Session, user_id: int) -> User:
    """Record a sign-in whose credentials check_credentials accepted. Raises ValidationError
    when the account was deactivated in between."""
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise ValidationError(_GENERIC_LOGIN_ERROR)
    user.last_login_at = utcnow()
    return user


def _hash_method() -> str:
    return current_app.config.get("PASSWORD_HASH_METHOD", "scrypt") if has_app_context() else "scrypt"


@functools.cache
def _dummy_hash(method: str) -> str:
    # Computed on first use, not at import: scrypt is deliberately slow.
    return generate_password_hash("not-a-real-password", method=method)


def end_sessions(session: Session, *, actor: User) -> None:
    """Logout: every cookie issued for this user stops working, kept copies included."""
    actor.session_version += 1
    record_change(session, actor=actor, entity_type="user", entity_id=actor.id, action="user:logout")


def change_password(session: Session, *, actor: User, current_password: str, new_password: str) -> None:
    """Raises ValidationError for a wrong current password or a weak new one."""
    if not check_password_hash(actor.password_hash, current_password or ""):
        raise ValidationError(field_errors={"current_password": [_l("現在のパスワードが正しくありません。")]})
    new_password = check_password(new_password, field="new_password")
    if new_password == current_password:
        raise ValidationError(field_errors={"new_password": [_l("現在と異なるパスワードにしてください。")]})
    actor.password_hash = hash_password(new_password)
    actor.session_version += 1  # other sessions (another browser, a stolen cookie) end here
    record_change(session, actor=actor, entity_type="user", entity_id=actor.id, action="user:password")


# -- membership -------------------------------------------------------------------------
@dataclass
class MembershipApplication:
    organization_name: str
    organization_name_kana: str
    member_category: str
    website: str
    description: str
    contact_email: str
    contact_phone: str
    member_name: str
    member_email: str
    password: str
    locale: str | None = None  # the language the applicant used: their mails are in it


def apply_for_membership(session: Session, data: MembershipApplication) -> Organization | None:
    """A company applies: organization and first member, both waiting for a coordinator.

    Returns None, creating nothing, when the member e-mail is already registered: its owner is
    sent a mail instead. Raises ValidationError, or Conflict when the organization name is taken.
    """

    name, kana, website, description, contact_email, phone, member_name, member_email, password, category = collect_errors(
        lambda: clean_text(data.organization_name, field="organization_name", max_length=120),
        lambda: clean_text(data.organization_name_kana, field="organization_name_kana", max_length=200, required=False),
        lambda: _clean_url(data.website),
        lambda: clean_text(data.description, field="description", max_length=2000, required=False, multiline=True),
        lambda: clean_email(data.contact_email, field="contact_email"),
        lambda: clean_text(data.contact_phone, field="contact_phone", max_length=40, required=False),
        lambda: clean_text(data.member_name, field="member_name", max_length=80),
        lambda: clean_email(data.member_email, field="member_email"),
        lambda: check_password(data.password, field="password"),
        lambda: _member_category(data.member_category),
    )
    # Hashed before the first query, whatever the outcome: the same work for a registered address
    # as for a new one (timing tells nothing), and on SQLite the slow hash runs before this
    # anonymous request's transaction takes the write lock, not while it holds it.
    password_hash = hash_password(password)
    if session.scalar(select(Organization.id).where(Organization.name == name)) is not None:
        raise Conflict(_l("この団体名は既に登録されています。"))
    existing = session.scalar(select(User).where(User.email == member_email))
    if existing is not None:
        # The page must not tell a stranger which addresses are registered: the applicant sees
        # the usual confirmation, and the address's owner is told by mail instead.
        _tell_owner_of_repeated_application(session, existing)
        return None
    organization = Organization(
        name=name, name_kana=kana, kind=OrganizationKind.COMPANY, member_category=category,
        membership_status=MembershipStatus.PENDING, website=website, description=description,
        contact_email=contact_email, contact_phone=phone,
    )
    member = User(email=member_email, display_name=member_name, role=Role.COMPANY_MEMBER,
                  password_hash=password_hash, organization=organization, is_active=False,
                  locale=data.locale if data.locale in ("ja", "en") else None)
    session.add_all([organization, member])
    session.flush()
    record_change(session, actor=None, entity_type="organization", entity_id=organization.id,
                  action="organization:apply", after={"name": name, "status": "pending", "member": member_email})
    # The applicant hears it arrived; the coordinators that it waits for them.
    session.add(OutboxEmail(recipient=member_email, locale=member.locale, kind="application_received",
                            params={"organization": name}))
    reviewers = list(session.scalars(select(User).where(User.role == Role.COORDINATOR, User.is_active.is_(True))
                                     .order_by(User.id)))
    digests.notify(session, reviewers, "application_pending",
                   {"title": name, "organization_id": organization.id, "path": "/coordination#applications"})
    return organization


def _tell_owner_of_repeated_application(session: Session, owner: User) -> None:
    session.add(OutboxEmail(recipient=owner.email, locale=owner.locale, kind="repeated_application"))
    record_change(session, actor=None, entity_type="user", entity_id=owner.id, action="user:repeated_application")


def _clean_url(value: str | None) -> str:
    url = clean_text(value, field="website", max_length=300, required=False)
    if url and not (url.startswith(("https://", "http://"))):
        raise ValidationError(field_errors={"website": [_l("http:// または https:// で始まるURLを入力してください。")]})
    return url


def _member_category(value: str) -> MemberCategory:
    try:
        return MemberCategory(value)
    except ValueError:
        raise ValidationError(field_errors={"member_category": [_l("選択肢から選んでください。")]}) from None


def review_membership(session: Session, organization_id: int, *, actor: User, approve: bool,
                      reason: str = "") -> Organization:
    """Approve or reject a pending application. Raises NotFound, PermissionDenied or Conflict."""
    require(actor, Permission.ORGANIZATION_REVIEW)
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    if organization.membership_status is not MembershipStatus.PENDING:
        raise Conflict(_l("この申請は既に審査済みです。"))
    reason = clean_text(reason, field="reason", max_length=200, required=not approve)
    organization.membership_status = MembershipStatus.APPROVED if approve else MembershipStatus.REJECTED
    for member in organization.members:
        member.is_active = approve
    session.flush()
    record_change(session, actor=actor, entity_type="organization", entity_id=organization.id,
                  action="organization:approve" if approve else "organization:reject",
                  before={"status": "pending"}, after={"status": organization.membership_status.value}, reason=reason)
    if approve:  # its technologies become matchable now: tell the officers they fit, as for new ones
        for technology_id in session.scalars(select(Technology.id).where(Technology.organization_id == organization.id)):
            session.add(AlertTask(subject="technology", subject_id=technology_id))
    for member in organization.members:
        session.add(OutboxEmail(recipient=member.email, locale=member.locale,
                                kind="application_approved" if approve else "application_rejected",
                                params={"organization": organization.name, "reason": reason}))
    return organization
