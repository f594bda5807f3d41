"""Sending what the outbox holds, after the transaction that wrote it has committed.

With MATCHMAKER_SMTP_HOST set, mail goes out over SMTP; otherwise each message is written as an
.eml file under instance/outbox/, where a developer can open it.
"""

from __future__ import annotations

import logging
import smtplib
from email.message import EmailMessage
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from models import OutboxEmail, utcnow

from .db import session_scope

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def deliver_pending(app: Flask, limit: int = 200) -> int:
    """Send unsent mail; failures are kept for a later try. Returns how many were sent."""
    sent = 0
    with session_scope(app) as session:
        pending = list(session.scalars(select(OutboxEmail).where(
            OutboxEmail.sent_at.is_(None), OutboxEmail.attempts < MAX_ATTEMPTS).order_by(OutboxEmail.id).limit(limit)))
        for mail in pending:
            mail.attempts += 1
            try:
                _send(app, mail)
            except (OSError, smtplib.SMTPException) as error:
                mail.last_error = f"{type(error).__name__}: {error}"[:500]
                log.warning("mail %s to %s failed: %s", mail.id, mail.recipient, mail.last_error)
                continue
            mail.sent_at = utcnow()
            sent += 1
    return sent


def _send(app: Flask, mail: OutboxEmail) -> None:
    message = EmailMessage()
    message["From"] = app.config["MAIL_FROM"]
    message["To"] = mail.recipient
    message["Subject"] = mail.subject
    message.set_content(mail.body)
    host = app.config.get("SMTP_HOST")
    if host:
        with smtplib.SMTP(host, int(app.config.get("SMTP_PORT", 25)), timeout=10) as smtp:
            smtp.send_message(message)
        return
    outbox = Path(app.config["MAIL_OUTBOX_DIR"])
    outbox.mkdir(parents=True, exist_ok=True)
    (outbox / f"{mail.id:06d}.eml").write_bytes(bytes(message))
