"""Bearer tokens: who calls the API, with which scope, within the rate limit.

The API accepts tokens only, never the sign-in cookie: a browser tricked into sending a request
(CSRF) carries no token, so the API's write endpoints need no CSRF check, and the cookie-signed-in
pages keep theirs.

Each request counts against its token in one UPDATE … RETURNING, in a short transaction of its own
before the request reads anything: the count is shared by every worker process (it lives in the
database), cannot be lost between a read and a write, and `last_used_at` moves only when a new
minute's window opens, so it costs nothing extra.
"""

from __future__ import annotations

import hmac
import math
import time
from dataclasses import dataclass

from flask import current_app, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, update

from models import ApiToken, TokenScope, User, utcnow

from ..actions.tokens import hash_secret
from ..db import get_session
from ..errors import ApiError

WINDOW_SECONDS = 60
MAX_SECRET_LENGTH = 200
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="matchmaker"'}


@dataclass(frozen=True)
class Caller:
    user: User
    scope: TokenScope
    token_id: int


def clock() -> float:
    """Seconds since the epoch (a seam for tests of the minute windows)."""
    return time.time()


def _unauthorized(message: object, code: str = "unauthorized") -> ApiError:
    return ApiError(401, code, message, headers=_CHALLENGE)


def _secret_from_header() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    secret = secret.strip()
    if scheme.lower() != "bearer" or not secret:
        raise _unauthorized(_l("APIトークンを Authorization: Bearer ヘッダーで送ってください。"))
    if len(secret) > MAX_SECRET_LENGTH or not secret.isascii() or not secret.isprintable():
        raise _unauthorized(_l("APIトークンが無効です。"), "invalid_token")
    return secret


def authenticate() -> Caller:
    """The caller of this request. Raises ApiError: 401 for a missing, unknown or revoked token
    or an inactive account, 429 (with Retry-After) past the token's limit for this minute."""
    digest = hash_secret(_secret_from_header())
    now = clock()
    window = int(now // WINDOW_SECONDS)
    counting = current_app.extensions["sqlalchemy_write_sessionmaker"]()
    try:
        row = counting.execute(
            update(ApiToken).where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None))
            .values(rate_count=case((ApiToken.rate_window == window, ApiToken.rate_count + 1), else_=1),
                    last_used_at=case((ApiToken.rate_window == window, ApiToken.last_used_at), else_=utcnow()),
                    rate_window=window)
            .returning(ApiToken.id, ApiToken.user_id, ApiToken.scope, ApiToken.rate_count, ApiToken.token_hash)
            .execution_options(synchronize_session=False)
        ).one_or_none()
        counting.commit()
    finally:
        counting.close()
    # The index lookup already matched the digest; compare once more in constant time anyway.
    if row is None or not hmac.compare_digest(row.token_hash, digest):
        raise _unauthorized(_l("APIトークンが無効です。"), "invalid_token")
    user = get_session().get(User, row.user_id)
    if user is None or not user.is_active:
        raise _unauthorized(_l("APIトークンが無効です。"), "invalid_token")
    limit = int(current_app.config["API_RATE_LIMIT_PER_MINUTE"])
    if row.rate_count > limit:
        retry = max(1, math.ceil((window + 1) * WINDOW_SECONDS - now))
        raise ApiError(429, "rate_limited",
                       _l("リクエストが多すぎます。%(seconds)d秒後にやり直してください。", seconds=retry),
                       headers={"Retry-After": str(retry)})
    return Caller(user, TokenScope(row.scope), row.id)
