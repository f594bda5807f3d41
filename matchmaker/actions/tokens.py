"""API tokens: a person creates, lists and revokes their own; only a hash of each secret is kept."""

from __future__ import annotations

import hashlib
import secrets

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models import ApiToken, TokenScope, User, utcnow

from ..domain.errors import Conflict, NotFound, ValidationError
from ..policies import Permission, require
from .audit import record_change
from .validation import clean_text, collect_errors

NAME_MAX = 80
MAX_ACTIVE_TOKENS = 20
# 32 random bytes: guessing is hopeless, so a plain SHA-256 (no salt, no slow KDF) is enough at
# rest and lets a request find its token by an index lookup.
SECRET_BYTES = 32
SECRET_PREFIX = "mm_"
SHOWN_PREFIX_LENGTH = 10  # "mm_" and 7 characters: enough to tell one's tokens apart


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _scope(value: str) -> TokenScope:
    try:
        return TokenScope(value)
    except ValueError:
        raise ValidationError(field_errors={"scope": [_l("選択肢から選んでください。")]}) from None


def list_tokens(session: Session, *, actor: User) -> list[ApiToken]:
    """The actor's own tokens, active ones first, newest first. Raises PermissionDenied."""
    require(actor, Permission.API_TOKEN_MANAGE)
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == actor.id)
                                .order_by(ApiToken.revoked_at.is_not(None), ApiToken.id.desc())))


def create_token(session: Session, *, actor: User, name: str, scope: str) -> tuple[ApiToken, str]:
    """A new token for the actor; returns it with its secret, which is never available again.

    Raises PermissionDenied or ValidationError."""
    require(actor, Permission.API_TOKEN_MANAGE)
    clean_name, token_scope = collect_errors(
        lambda: clean_text(name, field="name", max_length=NAME_MAX),
        lambda: _scope(scope),
    )
    active = session.scalar(select(func.count(ApiToken.id)).where(
        ApiToken.user_id == actor.id, ApiToken.revoked_at.is_(None))) or 0
    if active >= MAX_ACTIVE_TOKENS:
        raise ValidationError(field_errors={"name": [
            _l("有効なトークンは%(max)d個までです。使っていないものを無効にしてください。", max=MAX_ACTIVE_TOKENS)]})
    secret = SECRET_PREFIX + secrets.token_urlsafe(SECRET_BYTES)
    token = ApiToken(user_id=actor.id, name=clean_name, token_hash=hash_secret(secret),
                     prefix=secret[:SHOWN_PREFIX_LENGTH], scope=token_scope)
    session.add(token)
    session.flush()
    record_change(session, actor=actor, entity_type="api_token", entity_id=token.id, action="api_token:create",
                  after={"name": token.name, "scope": token.scope.value, "prefix": token.prefix})
    return token, secret


def revoke_token(session: Session, token_id: int, *, actor: User) -> ApiToken:
    """Refuse the token from now on. Only its owner may; others' tokens are not revealed.

    Raises PermissionDenied, NotFound or Conflict (already revoked)."""
    require(actor, Permission.API_TOKEN_MANAGE)
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound()
    if token.is_revoked:
        raise Conflict(_l("このトークンは既に無効です。"))
    token.revoked_at = utcnow()
    session.flush()
    record_change(session, actor=actor, entity_type="api_token", entity_id=token.id, action="api_token:revoke",
                  before={"name": token.name, "scope": token.scope.value, "prefix": token.prefix})
    return token
