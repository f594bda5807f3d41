"""Messages inside a project: part of its record, written once and never edited, with a few
attachments of a small allow-list of types and a size limit."""

from __future__ import annotations

import datetime as dt
import hashlib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from models import MessageAttachment, ProjectMessage, User, utcnow

from ..domain.errors import NotFound, ValidationError
from ..parsing import has_control_characters
from ..policies import Permission, require
from ..policies import projects as project_policy
from .audit import record_change
from .notify import notify
from .validation import clean_text, collect_errors
from .workflow import get_project

BODY_MAX = 4000
ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
ATTACHMENTS_MAX = 3
FILENAME_MAX = 200


def _is_text(data: bytes) -> bool:
    if b"\x00" in data:
        return False
    for encoding in ("utf-8-sig", "cp932"):  # Excel's CSV is often Shift_JIS
        try:
            data.decode(encoding)
            return True
        except UnicodeDecodeError:
            continue
    return False


def _zip(data: bytes) -> bool:
    return data.startswith(b"PK\x03\x04")


# extension -> (the type served, whether the bytes really are of that kind). The served type
# comes from here, never from what the sender's browser claimed.
ALLOWED: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "pdf": ("application/pdf", lambda d: d.startswith(b"%PDF-")),
    "png": ("image/png", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n")),
    "jpg": ("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    "jpeg": ("image/jpeg", lambda d: d.startswith(b"\xff\xd8\xff")),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", _zip),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", _zip),
    "pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", _zip),
    "csv": ("text/csv; charset=utf-8", _is_text),
    "txt": ("text/plain; charset=utf-8", _is_text),
}


@dataclass(frozen=True)
class Upload:
    """A file as the view read it: the name the sender gave and the bytes (at most the limit + 1)."""

    filename: str
    data: bytes


def _clean_filename(raw: str) -> str:
    # Browsers on Windows may send a whole path; keep the last part whatever the separator.
    name = PureWindowsPath(PurePosixPath(raw or "").name).name
    name = unicodedata.normalize("NFC", name).strip().strip(".")
    if not name or has_control_characters(name, multiline=False):
        raise ValidationError(field_errors={"attachments": [_l("ファイル名を読み取れません。")]})
    if len(name) > FILENAME_MAX:
        stem, _, extension = name.rpartition(".")
        name = f"{stem[:FILENAME_MAX - len(extension) - 1]}.{extension}"
    return name


def _attachment(upload: Upload) -> MessageAttachment:
    name = _clean_filename(upload.filename)
    extension = name.rpartition(".")[2].lower() if "." in name else ""
    kind = ALLOWED.get(extension)
    if kind is None:
        raise ValidationError(field_errors={"attachments": [_l(
            "「%(name)s」は添付できない種類です。PDF、画像（PNG・JPEG）、Word・Excel・PowerPoint（docx・xlsx・pptx）、"
            "CSV、テキストだけ添付できます。", name=name)]})
    if len(upload.data) > ATTACHMENT_MAX_BYTES:
        raise ValidationError(field_errors={"attachments": [_l(
            "「%(name)s」は大きすぎます。1ファイル%(mb)dMBまでです。", name=name, mb=ATTACHMENT_MAX_BYTES // (1024 * 1024))]})
    if not upload.data:
        raise ValidationError(field_errors={"attachments": [_l("「%(name)s」は空のファイルです。", name=name)]})
    content_type, looks_right = kind
    if not looks_right(upload.data):
        raise ValidationError(field_errors={"attachments": [_l(
            "「%(name)s」の中身が拡張子（%(extension)s）と一致しません。", name=name, extension=extension)]})
    return MessageAttachment(filename=name, content_type=content_type, size=len(upload.data),
                             sha256=hashlib.sha256(upload.data).hexdigest(), data=upload.data)


def post_message(session: Session, project_id: int, *, actor: User, body: str, uploads: Sequence[Upload] = (),
                 now: Callable[[], dt.datetime] = utcnow) -> ProjectMessage:
    """Write a message in a project. Raises NotFound, PermissionDenied or ValidationError."""
    project = get_project(session, project_id, actor=actor)
    require(actor, Permission.MESSAGE_POST, project)
    uploads = [u for u in uploads if u.filename or u.data]  # an empty file input sends an empty part

    def check_uploads() -> list[MessageAttachment]:
        if len(uploads) > ATTACHMENTS_MAX:
            raise ValidationError(field_errors={"attachments": [_l(
                "添付できるファイルは1通に%(n)d個までです。", n=ATTACHMENTS_MAX)]})
        return [_attachment(u) for u in uploads]

    body, attachments = collect_errors(
        lambda: clean_text(body, field="body", max_length=BODY_MAX, multiline=True), check_uploads)
    message = ProjectMessage(project_id=project.id, author_id=actor.id, body=body, created_at=now(),
                             attachments=attachments)
    session.add(message)
    session.flush()
    record_change(session, actor=actor, entity_type="project", entity_id=project.id, action="project:message",
                  after={"message_id": message.id, "attachments": [
                      {"filename": a.filename, "size": a.size, "sha256": a.sha256} for a in attachments]})
    people = project_policy.participants(session, project) + project_policy.field_coordinators(session, project)
    notify(session, people, kind="message", actor=actor, project_id=project.id, now=now,
           params={"title": project.title, "author": actor.display_name})
    return message


def get_attachment(session: Session, project_id: int, attachment_id: int, *, actor: User) -> MessageAttachment:
    """An attachment of a project the actor may open. Raises NotFound otherwise."""
    project = get_project(session, project_id, actor=actor)
    attachment = session.get(MessageAttachment, attachment_id)
    if attachment is None or attachment.message.project_id != project.id:
        raise NotFound()
    return attachment
