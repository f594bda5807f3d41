"""Input checks shared by every action, so the database never sees what it would refuse."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from ..domain.errors import ValidationError

# C0 controls other than tab/newline; PostgreSQL refuses NUL outright.
_FORBIDDEN_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 10


def clean_text(value: str | None, *, field: str, max_length: int, required: bool = True, multiline: bool = False) -> str:
    """Strip and check a text value.

    Raises ValidationError naming `field` when it is missing, too long or has control characters.
    """
    text = (value or "").replace("\r\n", "\n").strip()
    if _FORBIDDEN_CONTROL.search(text) or (not multiline and "\n" in text):
        raise ValidationError(field_errors={field: [_l("使用できない制御文字が含まれています。")]})
    if required and not text:
        raise ValidationError(field_errors={field: [_l("入力してください。")]})
    if len(text) > max_length:
        raise ValidationError(
            field_errors={field: [_l("%(max)d文字以内で入力してください（現在%(length)d文字）。", max=max_length, length=len(text))]}
        )
    return text


def clean_email(value: str | None, *, field: str = "email") -> str:
    email = unicodedata.normalize("NFKC", clean_text(value, field=field, max_length=254)).lower()
    if not _EMAIL.match(email):
        raise ValidationError(field_errors={field: [_l("メールアドレスの形式が正しくありません。")]})
    return email


def check_password(password: str | None, *, field: str = "password") -> str:
    password = password or ""
    if _FORBIDDEN_CONTROL.search(password):
        raise ValidationError(field_errors={field: [_l("使用できない制御文字が含まれています。")]})
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationError(
            field_errors={field: [_l("パスワードは%(min)d文字以上にしてください。", min=MIN_PASSWORD_LENGTH)]}
        )
    if len(password) > 200:
        raise ValidationError(field_errors={field: [_l("パスワードは200文字以内にしてください。")]})
    return password


def merge_errors(*errors: ValidationError) -> ValidationError:
    merged: dict[str, list] = {}
    for error in errors:
        for key, messages in error.field_errors.items():
            merged.setdefault(key, []).extend(messages)
    return ValidationError(field_errors=merged)


def collect_errors(*checks: Callable[[], Any]) -> list[Any]:
    """Run every check and report all field errors together, not just the first.

    Returns each check's result in order. Raises one ValidationError merging every failure."""
    results: list[Any] = []
    errors: list[ValidationError] = []
    for check in checks:
        try:
            results.append(check())
        except ValidationError as error:
            errors.append(error)
            results.append(None)
    if errors:
        raise merge_errors(*errors)
    return results
