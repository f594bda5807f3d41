"""Accounts that look after themselves: password reset, deactivation, a company's own people.

Password reset never tells who is registered: the page answers the same for every address and
only queues a job (`request_reset` runs there), which writes a mail for an active account. The
link is signed when the mail is sent (matchmaker/tokens.py) and names a fingerprint of the
password hash, so it works once and not after any later password change.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import AuditEvent, Organization, OutboxEmail, Role, User, normalize_email, utcnow

from .. import tokens
from ..domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from ..policies import Permission, require
from .accounts import _clean_url, hash_password
from .audit import record_change
from .validation import check_password, clean_email, clean_text, collect_errors

# At most this many reset mails per account in RESET_WINDOW: a stranger cannot flood a mailbox.
RESET_MAILS_PER_WINDOW = 3
RESET_WINDOW = dt.timedelta(hours=1)


# -- password reset ---------------------------------------------------------------------------
def request_reset(session: Session, email: str, *, hours: int) -> bool:
    """The job behind "forgot password": a reset mail for an active account with this address.
    Returns whether one was queued (the page never learns it)."""
    user = session.scalar(select(User).where(User.email == normalize_email(email or "")[:254]))
    if user is None or not user.is_active:
        return False
    recent = session.scalar(select(func.count()).select_from(OutboxEmail).where(
        OutboxEmail.recipient == user.email, OutboxEmail.kind == "password_reset",
        OutboxEmail.created_at >= utcnow() - RESET_WINDOW))
    if (recent or 0) >= RESET_MAILS_PER_WINDOW:
        return False
    session.add(OutboxEmail(recipient=user.email, locale=user.locale, kind="password_reset",
                            params={"user_id": user.id, "hours": hours}))
    record_change(session, actor=None, entity_type="user", entity_id=user.id, action="user:password_reset_requested")
    return True


def reset_target(session: Session, user_id: int, fingerprint: str) -> User:
    """The account a genuine, unexpired link opens. Raises ValidationError when the link was
    already used (the password changed since) or its account can no longer sign in."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or not tokens.fingerprint_matches(user.password_hash, fingerprint):
        raise ValidationError(_l("このリンクは使用済みか、期限が切れています。もう一度お手続きください。"))
    return user


def reset_password(session: Session, user_id: int, fingerprint: str, new_password: str) -> User:
    """Set the password a reset link was sent for; every existing session ends."""
    user = reset_target(session, user_id, fingerprint)
    new_password = check_password(new_password, field="new_password")
    user.password_hash = hash_password(new_password)
    user.session_version += 1
    record_change(session, actor=user, entity_type="user", entity_id=user.id, action="user:password_reset")
    return user


# -- deactivating people ----------------------------------------------------------------------
def _set_active(session: Session, person: User, active: bool, *, actor: User, action: str) -> User:
    if person.id == actor.id:
        raise ValidationError(_l("自分自身のアカウントは無効にできません。"))
    if person.is_active == active:
        raise Conflict(_l("このアカウントは既にその状態です。"))
    person.is_active = active
    if not active:
        person.session_version += 1  # every session of this person ends at its next request
    record_change(session, actor=actor, entity_type="user", entity_id=person.id,
                  action=f"{action}:{'activate' if active else 'deactivate'}",
                  before={"active": not active}, after={"active": active})
    return person


def set_user_active(session: Session, user_id: int, active: bool, *, actor: User) -> User:
    """An admin ends (or restores) someone's access. Raises PermissionDenied, NotFound, Conflict."""
    require(actor, Permission.USER_DEACTIVATE)
    person = session.get(User, user_id)
    if person is None:
        raise NotFound()
    return _set_active(session, person, active, actor=actor, action="user")


# -- a company's own people and profile -------------------------------------------------------
def managed_organization(session: Session, organization_id: int, *, actor: User) -> Organization:
    organization = session.get(Organization, organization_id)
    if organization is None:
        raise NotFound()
    require(actor, Permission.ORGANIZATION_MANAGE, organization)
    return organization


def set_colleague_active(session: Session, organization_id: int, user_id: int, active: bool, *, actor: User) -> User:
    organization = managed_organization(session, organization_id, actor=actor)
    person = session.get(User, user_id)
    if person is None or person.organization_id != organization.id:
        raise NotFound()
    if active and _last_deactivation(session, person) == "user:deactivate":
        # An admin's decision (a departed or misbehaving account) is not the company's to undo.
        raise PermissionDenied(_l("管理者が無効にしたアカウントは、管理者だけが有効に戻せます。"))
    return _set_active(session, person, active, actor=actor, action="colleague")


def _last_deactivation(session: Session, person: User) -> str | None:
    return session.scalar(
        select(AuditEvent.action)
        .where(AuditEvent.entity_type == "user", AuditEvent.entity_id == person.id,
               AuditEvent.action.in_(("user:deactivate", "colleague:deactivate")))
        .order_by(AuditEvent.id.desc()).limit(1))


def invite_colleague(session: Session, organization_id: int, *, actor: User, email: str, display_name: str,
                     hours: int) -> User:
    """A new member account of the organization; the invitee sets a password from the mailed link.
    Raises PermissionDenied, NotFound, ValidationError or Conflict (address already registered)."""
    organization = managed_organization(session, organization_id, actor=actor)
    email, display_name = collect_errors(
        lambda: clean_email(email, field="email"),
        lambda: clean_text(display_name, field="display_name", max_length=80),
    )
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(_l("このメールアドレスは既に登録されています: %(email)s", email=email))
    # Nobody knows this password: the invitee chooses one through the link.
    person = User(email=email, display_name=display_name, role=Role.COMPANY_MEMBER, organization=organization,
                  password_hash=hash_password(secrets.token_urlsafe(32)), locale=actor.locale)
    session.add(person)
    session.flush()
    session.add(OutboxEmail(recipient=email, locale=actor.locale, kind="invitation",
                            params={"user_id": person.id, "organization": organization.name,
                                    "inviter": actor.display_name, "hours": hours}))
    record_change(session, actor=actor, entity_type="user", entity_id=person.id, action="colleague:invite",
                  after={"email": email, "organization": organization.id})
    return person


@dataclass
class ProfileInput:
    website: str
    description: str
    contact_email: str
    contact_phone: str


def update_profile(session: Session, organization_id: int, data: ProfileInput, *, actor: User,
                   expected_version: int | None) -> Organization:
    """Raises PermissionDenied, NotFound, ValidationError or Conflict (someone saved first)."""
    organization = managed_organization(session, organization_id, actor=actor)
    if expected_version != organization.version:
        raise Conflict()
    website, description, contact_email, phone = collect_errors(
        lambda: _clean_url(data.website),
        lambda: clean_text(data.description, field="description", max_length=2000, required=False, multiline=True),
        lambda: clean_email(data.contact_email, field="contact_email"),
        lambda: clean_text(data.contact_phone, field="contact_phone", max_length=40, required=False),
    )
    before = {"website": organization.website, "description": organization.description,
              "contact_email": organization.contact_email, "contact_phone": organization.contact_phone}
    organization.website, organization.description = website, description
    organization.contact_email, organization.contact_phone = contact_email, phone
    session.flush()
    record_change(session, actor=actor, entity_type="organization", entity_id=organization.id,
                  action="organization:profile", before=before,
                  after={"website": website, "description": description, "contact_email": contact_email,
                         "contact_phone": phone})
    return organization


def colleagues(session: Session, organization: Organization) -> list[User]:
    return list(session.scalars(select(User).where(User.organization_id == organization.id).order_by(User.email)))

