"""Sign-in throttling that slows guessing down without locking anyone out.

Failures are counted per scope: the account from one client, and the client alone. Below a
scope's limit nothing happens; from the limit on, each further attempt from that scope must wait
a delay that doubles with every failure (1 s, 2 s, 4 s … at most LOGIN_DELAY_MAX_SECONDS), and an
attempt made too early is answered 429 with Retry-After without looking at the password. The real
owner signing in from another client is never slowed by someone else's guesses, and an attacker's
own client cannot lock the account: a correct password after the delay still works.

An attempt is counted *before* the password is checked, in its own short transaction that locks
the scope rows (SELECT … FOR UPDATE on PostgreSQL; BEGIN IMMEDIATE on SQLite), so thirty
simultaneous guesses evaluate at most the limit, whichever worker they reach. A correct password
clears the account's count for that client.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models import LoginThrottle, normalize_email, utcnow


@dataclass(frozen=True)
class Limits:
    per_account_and_client: int = 5
    per_client: int = 20
    first_delay_seconds: float = 1.0
    max_delay_seconds: float = 15 * 60
    # A scope with no failure for this long starts again from zero.
    forget_after_seconds: float = 60 * 60


def limits_from(config: Mapping[str, Any]) -> Limits:
    return Limits(
        per_account_and_client=int(config["LOGIN_MAX_FAILURES"]),
        per_client=int(config["LOGIN_MAX_FAILURES_PER_CLIENT"]),
        first_delay_seconds=float(config["LOGIN_FIRST_DELAY_SECONDS"]),
        max_delay_seconds=float(config["LOGIN_MAX_DELAY_SECONDS"]),
        forget_after_seconds=float(config["LOGIN_FAILURE_WINDOW_SECONDS"]),
    )


@dataclass(frozen=True)
class Scope:
    key: str
    limit: int


def login_scopes(email: str, client: str, limits: Limits) -> list[Scope]:
    """The scopes one sign-in attempt counts against. Unknown and known e-mails alike."""
    email = normalize_email(email or "")[:254]
    client = (client or "unknown")[:64]
    return [Scope(_digest("account+client", email, client), limits.per_account_and_client),
            Scope(_digest("client", client), limits.per_client)]


def account_scope(email: str, client: str, limits: Limits) -> Scope:
    return login_scopes(email, client, limits)[0]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode("utf-8")).hexdigest()


def delay_after(failures: int, limit: int, limits: Limits) -> float:
    """Seconds the next attempt must wait after `failures` failures in a scope with `limit`."""
    if failures < limit:
        return 0.0
    return min(limits.max_delay_seconds, limits.first_delay_seconds * 2 ** (failures - limit))


def reserve_attempt(session: Session, scopes: Sequence[Scope], limits: Limits,
                    now: dt.datetime | None = None) -> int:
    """Count one attempt against every scope, or refuse it. The caller commits at once, before
    checking the password, so that the count and the locks are short-lived and shared.

    Returns 0 when the attempt may go ahead (it is already counted as a failure), or the whole
    seconds to wait when a scope is still waiting out its delay (nothing is counted then).
    """
    now = now or utcnow()
    keys = sorted(scope.key for scope in scopes)  # one lock order for every request
    by_key = {scope.key: scope for scope in scopes}
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    for key in keys:
        session.execute(insert(LoginThrottle).values(key=key, failures=0).on_conflict_do_nothing())
    rows = session.execute(
        select(LoginThrottle.key, LoginThrottle.failures, LoginThrottle.last_failure_at, LoginThrottle.blocked_until)
        .where(LoginThrottle.key.in_(keys)).order_by(LoginThrottle.key).with_for_update()
    ).all()
    wait = 0.0
    for row in rows:
        if _fresh(row.last_failure_at, now, limits) and row.blocked_until is not None:
            wait = max(wait, (_aware(row.blocked_until) - now).total_seconds())
    if wait > 0:
        return max(1, math.ceil(wait))
    for row in rows:
        failures = (row.failures if _fresh(row.last_failure_at, now, limits) else 0) + 1
        delay = delay_after(failures, by_key[row.key].limit, limits)
        session.execute(update(LoginThrottle).where(LoginThrottle.key == row.key).values(
            failures=failures, last_failure_at=now,
            blocked_until=now + dt.timedelta(seconds=delay) if delay else None))
    return 0


def forget(session: Session, scope: Scope) -> None:
    """A correct password: this account starts again from zero on this client."""
    session.execute(update(LoginThrottle).where(LoginThrottle.key == scope.key).values(failures=0, blocked_until=None))


def take_back(session: Session, scope: Scope) -> None:
    """A correct password: the attempt counted in advance against this scope was not a guess.

    Without this, every successful sign-in would count as a failure of the client, and twenty
    colleagues signing in behind one office proxy would slow down the twenty-first.
    """
    session.execute(update(LoginThrottle).where(LoginThrottle.key == scope.key).values(
        failures=case((LoginThrottle.failures > 0, LoginThrottle.failures - 1), else_=0),
        blocked_until=case((LoginThrottle.failures - 1 < scope.limit, None), else_=LoginThrottle.blocked_until)))


def _fresh(last_failure_at: dt.datetime | None, now: dt.datetime, limits: Limits) -> bool:
    return last_failure_at is not None and (now - _aware(last_failure_at)).total_seconds() < limits.forget_after_seconds


def _aware(moment: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back without their zone; they were written in UTC.
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)
