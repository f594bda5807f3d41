"""Signed links that work without signing in (itsdangerous, keyed by the app's SECRET_KEY).

- Unsubscribe: names a person and a notification kind; it does not expire (an old digest's link
  still works) and only ever turns that kind's mail off.
- Password reset (also the link an invited colleague sets a first password with): names a person
  and a fingerprint of their current password hash, and expires after PASSWORD_RESET_MAX_AGE_SECONDS.
  Setting a password changes the hash, so the link works once; a newer link does not revive an
  older one, and a password change made any other way ends every link sent before it.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask
from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

UNSUBSCRIBE_SALT = "matchmaker.unsubscribe"
RESET_SALT = "matchmaker.password-reset"


class InvalidToken(Exception):
    """The link was altered, has expired or was already used."""


def unsubscribe_token(app: Flask, user_id: int, kind: str) -> str:
    return URLSafeSerializer(app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).dumps({"u": user_id, "k": kind})


def read_unsubscribe_token(app: Flask, token: str) -> tuple[int, str]:
    try:
        data = URLSafeSerializer(app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT).loads(token)
    except BadSignature:
        raise InvalidToken() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("k"), str):
        raise InvalidToken()
    return data["u"], data["k"]


def password_fingerprint(password_hash: str) -> str:
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def reset_token(app: Flask, user_id: int, password_hash: str) -> str:
    return URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=RESET_SALT).dumps(
        {"u": user_id, "p": password_fingerprint(password_hash)})


def read_reset_token(app: Flask, token: str) -> tuple[int, str]:
    """(user id, password fingerprint) of a token that is genuine and not expired; the caller
    compares the fingerprint with the account's current hash (used links no longer match)."""
    serializer = URLSafeTimedSerializer(app.config["SECRET_KEY"], salt=RESET_SALT)
    try:
        data = serializer.loads(token, max_age=int(app.config["PASSWORD_RESET_MAX_AGE_SECONDS"]))
    except (SignatureExpired, BadSignature):
        raise InvalidToken() from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), str):
        raise InvalidToken()
    return data["u"], data["p"]


def fingerprint_matches(password_hash: str, fingerprint: str) -> bool:
    return hmac.compare_digest(password_fingerprint(password_hash), fingerprint)
