"""The errors actions raise. No Flask here: jobs, the CLI and tests call actions with only a session;
`matchmaker.errors` maps each error to an HTTP answer in one registered place."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l


class DomainError(Exception):
    """Base of errors that actions raise."""

    default_message = _l("リクエストを処理できませんでした。")

    def __init__(self, message: Any = None, *, field_errors: dict[str, list[Any]] | None = None) -> None:
        # The message stays lazy: it is rendered in the reader's language, not the raiser's.
        self.message = message or self.default_message
        super().__init__(self.message)
        self.field_errors = field_errors or {}


class ValidationError(DomainError):
    """Input that cannot be accepted; field_errors name the fields."""

    default_message = _l("入力内容に誤りがあります。")


class PermissionDenied(DomainError):
    """The actor may not do this (but may know the object exists)."""

    default_message = _l("この操作を行う権限がありません。")


class NotFound(DomainError):
    """No such object, or not one the actor may see (which must not be revealed)."""

    default_message = _l("お探しのページは見つかりませんでした。")


class Conflict(DomainError):
    """An illegal state change, or a form based on data someone else has changed since."""

    default_message = _l("他の利用者が先に内容を更新しました。最新の内容を確認してからやり直してください。")


class TooManyRequests(DomainError):
    """Too many attempts in a short time (sign-in throttling)."""

    default_message = _l("試行回数が上限に達しました。しばらく待ってからやり直してください。")
