"""Mail delivery: a job claims outbox rows, then sends them outside any transaction.

Actions only write OutboxEmail rows, in the transaction of the change they report. When such a
transaction commits, `init_app`'s hook hands the new ids to the job worker (never sending in the
request); the periodic sweep picks up whatever a lost wake-up or a retry leaves behind.

Never twice: a row is claimed by one atomic UPDATE … WHERE status = 'pending' (on PostgreSQL its
candidates are selected FOR UPDATE SKIP LOCKED, so concurrent jobs take disjoint rows), committed
before any SMTP traffic, and marked sent only by its owner. A failure before the message data is
handed over (connection refused or hanging, a 4xx reply) is retried with exponential backoff; a
failure while or after the data was handed over may have delivered it, so that row becomes
`failed` with the reason and is not retried. Claims left by a worker that died are failed the same
way. Each message carries a Message-ID derived from its row, for receivers that deduplicate.

Rows hold a kind and parameters, not text: the subject and body are rendered here, just before
sending, in the recipient's language (matchmaker/notifications.py), with absolute links when
MATCHMAKER_PUBLIC_BASE_URL is set.

With MATCHMAKER_SMTP_HOST set, mail goes out over SMTP; otherwise each message is written as an
.eml file under instance/outbox/, where a developer can open it.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path

from flask import Flask
from sqlalchemy import event, or_, select, update
from sqlalchemy.orm import Session

from models import OutboxEmail, User, utcnow

from . import notifications, tokens
from .db import session_scope

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
BATCH = 10
BACKOFF_BASE_S = 60
BACKOFF_CAP_S = 3600
STALE_CLAIM = dt.timedelta(minutes=30)
_NEW_MAIL = "matchmaker_new_mail"


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, … minutes after the n-th failed attempt, at most an hour."""
    return dt.timedelta(seconds=min(BACKOFF_BASE_S * 2 ** max(attempts - 1, 0), BACKOFF_CAP_S))


@dataclass(frozen=True)
class Claimed:
    id: int
    recipient: str
    subject: str
    body: str
    attempts: int
    kind: str = ""
    params: dict | None = None
    locale: str | None = None
    project_id: int | None = None


class Ambiguous(Exception):
    """The server may have accepted the message: never retried."""


# -- claiming ---------------------------------------------------------------------------------
def claim(app: Flask, ids: list[int] | None = None, limit: int = BATCH) -> list[Claimed]:
    """Take up to `limit` due rows (optionally among `ids`) for this job, committed at once."""
    now = utcnow()
    with session_scope(app) as session:
        candidates = (select(OutboxEmail.id)
                      .where(OutboxEmail.status == "pending",
                             or_(OutboxEmail.next_attempt_at.is_(None), OutboxEmail.next_attempt_at <= now))
                      .order_by(OutboxEmail.id).limit(limit))
        if ids is not None:
            candidates = candidates.where(OutboxEmail.id.in_(ids))
        if session.get_bind().dialect.name == "postgresql":
            candidates = candidates.with_for_update(skip_locked=True)
        rows = session.execute(
            update(OutboxEmail).where(OutboxEmail.id.in_(candidates.scalar_subquery()), OutboxEmail.status == "pending")
            .values(status="claimed", claimed_at=now)
            .returning(OutboxEmail.id, OutboxEmail.recipient, OutboxEmail.subject, OutboxEmail.body,
                       OutboxEmail.attempts, OutboxEmail.kind, OutboxEmail.params, OutboxEmail.locale,
                       OutboxEmail.project_id)
        ).all()
    return sorted((Claimed(*row) for row in rows), key=lambda c: c.id)


def _finish(app: Flask, mail_id: int, **values: object) -> None:
    with session_scope(app) as session:
        session.execute(update(OutboxEmail).where(OutboxEmail.id == mail_id, OutboxEmail.status == "claimed")
                        .values(**values))


def fail_stale_claims(app: Flask) -> int:
    """Claims older than STALE_CLAIM belong to a job that died: it may have sent them, so fail them."""
    with session_scope(app) as session:
        failed = session.scalars(
            update(OutboxEmail).where(OutboxEmail.status == "claimed", OutboxEmail.claimed_at < utcnow() - STALE_CLAIM)
            .values(status="failed", last_error="interrupted while claimed; not retried so it is never sent twice")
            .returning(OutboxEmail.id)).all()
        return len(failed)


# -- delivering -------------------------------------------------------------------------------
def deliver(app: Flask, ids: list[int] | None = None) -> int:
    """Send what is due (only `ids` when given); returns how many were sent."""
    if ids is None:
        stale = fail_stale_claims(app)
        if stale:
            log.error("%d mail(s) were left claimed by a job that stopped; marked failed", stale)
    sent = 0
    while True:
        batch = claim(app, ids)
        if not batch:
            return sent
        batch_sent, reachable = _send_batch(app, batch)
        sent += batch_sent
        if not reachable or (ids is not None and len(batch) < BATCH):
            return sent  # a server that does not answer is tried again at the next attempt time


def _send_batch(app: Flask, batch: list[Claimed]) -> tuple[int, bool]:
    """Send a claimed batch over one connection; every row leaves the 'claimed' state."""
    sent = tried = 0
    try:
        with _transport(app) as send:
            for mail in batch:
                tried += 1
                try:
                    message = _message(app, mail)
                except (KeyError, ValueError, TypeError) as error:  # a kind this version cannot render
                    _retry_or_fail(app, mail, error, permanent=True)
                    continue
                try:
                    send(message)
                except Ambiguous as error:
                    _finish(app, mail.id, status="failed", attempts=mail.attempts + 1,
                            last_error=f"outcome unknown, not retried: {error}"[:500])
                    log.error("mail %s to %s: %s", mail.id, mail.recipient, error)
                    _release(app, batch[tried:])
                    return sent, False
                except smtplib.SMTPRecipientsRefused as error:
                    _retry_or_fail(app, mail, error, permanent=True)
                    continue
                except smtplib.SMTPResponseException as error:
                    _retry_or_fail(app, mail, error, permanent=error.smtp_code >= 500)
                    continue
                _finish(app, mail.id, status="sent", sent_at=utcnow(), attempts=mail.attempts + 1, last_error="")
                sent += 1
    except (OSError, smtplib.SMTPException) as error:
        # Connecting, greeting or a command before the data failed: this message was not handed over.
        log.warning("mail server unavailable (%s: %s); retried later", type(error).__name__, error)
        for mail in batch[max(tried - 1, 0):]:
            _retry_or_fail(app, mail, error, permanent=False)
        return sent, False
    return sent, True


def _release(app: Flask, untried: list[Claimed]) -> None:
    for mail in untried:
        _finish(app, mail.id, status="pending", next_attempt_at=utcnow() + backoff(1))


def _retry_or_fail(app: Flask, mail: Claimed, error: Exception, *, permanent: bool) -> None:
    attempts = mail.attempts + 1
    reason = f"{type(error).__name__}: {error}"[:500]
    if permanent or attempts >= MAX_ATTEMPTS:
        _finish(app, mail.id, status="failed", attempts=attempts, last_error=reason)
        log.error("mail %s to %s failed for good: %s", mail.id, mail.recipient, reason)
    else:
        _finish(app, mail.id, status="pending", attempts=attempts, last_error=reason,
                next_attempt_at=utcnow() + backoff(attempts))
        log.warning("mail %s to %s failed (attempt %d): %s", mail.id, mail.recipient, attempts, reason)


def _render(app: Flask, mail: Claimed) -> tuple[str, str]:
    """Subject and body in the recipient's language, rendered here, outside the transaction
    that wrote the row; rows written before kinds existed carry their text. Signed links
    (password reset, unsubscribe) are made now, so no usable token is ever stored."""
    if not mail.kind:
        return mail.subject, mail.body
    params = dict(mail.params or {})
    if mail.kind in notifications.TOKEN_KINDS:
        params["token"] = _reset_token(app, int(params["user_id"]))
    return notifications.mail(mail.kind, params, locale=mail.locale, project_id=mail.project_id,
                              base_url=str(app.config.get("PUBLIC_BASE_URL") or ""),
                              unsubscribe=lambda user_id, kind: unsubscribe_path(app, user_id, kind))


def unsubscribe_path(app: Flask, user_id: int, kind: str) -> str:
    return f"/unsubscribe/{tokens.unsubscribe_token(app, user_id, kind)}"


def _reset_token(app: Flask, user_id: int) -> str:
    with session_scope(app) as session:
        password_hash = session.scalar(select(User.password_hash).where(User.id == user_id, User.is_active.is_(True)))
    if password_hash is None:
        raise ValueError(f"user {user_id} is gone or inactive: no reset link")
    return tokens.reset_token(app, user_id, password_hash)


def _message(app: Flask, mail: Claimed) -> EmailMessage:
    subject, body = _render(app, mail)
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"]
    message["To"] = mail.recipient
    message["Subject"] = subject
    domain = str(app.config["MAIL_FROM"]).rpartition("@")[2] or "matchmaker.invalid"
    message["Message-ID"] = make_msgid(f"outbox-{mail.id}", domain=domain)
    message["X-Matchmaker-Outbox-Id"] = str(mail.id)
    user_id = (mail.params or {}).get("_user")
    if user_id is not None and mail.kind in notifications.MESSAGES:
        # RFC 2369/8058: mail clients show an unsubscribe button that posts to the same link.
        base = str(app.config.get("PUBLIC_BASE_URL") or "").rstrip("/")
        if base:
            message["List-Unsubscribe"] = f"<{base}{unsubscribe_path(app, int(user_id), mail.kind)}>"
            message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(body)
    return message


@contextmanager
def _transport(app: Flask) -> Iterator:
    """One SMTP connection per batch, or the .eml folder without a host."""
    host = app.config.get("SMTP_HOST")
    if not host:
        outbox = Path(app.config["MAIL_OUTBOX_DIR"])
        outbox.mkdir(parents=True, exist_ok=True)

        def write(message: EmailMessage) -> None:
            (outbox / f"{int(message['X-Matchmaker-Outbox-Id']):06d}.eml").write_bytes(bytes(message))

        yield write
        return
    smtp = smtplib.SMTP(host, int(app.config.get("SMTP_PORT", 25)), timeout=float(app.config["SMTP_TIMEOUT_SECONDS"]))
    try:
        def send(message: EmailMessage) -> None:
            smtp.ehlo_or_helo_if_needed()
            sender, recipient = str(message["From"]), str(message["To"])
            code, reply = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                raise smtplib.SMTPSenderRefused(code, reply, sender)
            code, reply = smtp.rcpt(recipient)
            if code not in (250, 251):
                smtp.rset()
                raise smtplib.SMTPResponseException(code, reply)
            try:
                smtp.data(message.as_bytes())
            except smtplib.SMTPDataError as error:  # a definite refusal of the data
                smtp.rset()
                raise smtplib.SMTPResponseException(error.smtp_code, error.smtp_error) from None
            except (OSError, smtplib.SMTPServerDisconnected) as error:
                raise Ambiguous(f"{type(error).__name__}: {error}") from None

        yield send
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            pass  # everything was sent and recorded; a slow goodbye changes nothing
    finally:
        smtp.close()


# -- waking the job up after commit -----------------------------------------------------------
def init_app(app: Flask) -> None:
    from . import jobs

    def collect(session: Session, _context: object) -> None:
        new = [m for m in session.new if isinstance(m, OutboxEmail)]
        if new:
            session.info.setdefault(_NEW_MAIL, []).extend(new)

    def wake(session: Session) -> None:
        mails = session.info.pop(_NEW_MAIL, [])
        if mails:
            jobs.enqueue(app, "deliver_mail", sorted(m.id for m in mails))

    def forget(session: Session, transaction) -> None:  # type: ignore[no-untyped-def]
        if transaction.parent is None:
            session.info.pop(_NEW_MAIL, None)

    for factory in ("sqlalchemy_sessionmaker", "sqlalchemy_write_sessionmaker"):
        maker = app.extensions[factory]
        event.listen(maker, "after_flush", collect)
        event.listen(maker, "after_commit", wake)
        event.listen(maker, "after_transaction_end", forget)
