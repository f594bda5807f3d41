"""Domain errors, and the one place where they become HTTP answers."""

from __future__ import annotations

from typing import Any

from flask import Flask, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException


class DomainError(Exception):
    """Base of errors that actions raise; each maps to one HTTP status."""

    status_code = 400
    default_message = _l("リクエストを処理できませんでした。")

    def __init__(self, message: Any = None, *, field_errors: dict[str, list[Any]] | None = None) -> None:
        # The message stays lazy: it is rendered in the reader's language, not the raiser's.
        self.message = message or self.default_message
        super().__init__(self.message)
        self.field_errors = field_errors or {}


class ValidationError(DomainError):
    status_code = 400
    default_message = _l("入力内容に誤りがあります。")


class PermissionDenied(DomainError):
    status_code = 403
    default_message = _l("この操作を行う権限がありません。")


class NotFound(DomainError):
    status_code = 404
    default_message = _l("お探しのページは見つかりませんでした。")


class Conflict(DomainError):
    """An illegal state change, or a form based on data someone else has changed since."""

    status_code = 409
    default_message = _l("他の利用者が先に内容を更新しました。最新の内容を確認してからやり直してください。")


class TooManyRequests(DomainError):
    status_code = 429
    default_message = _l("試行回数が上限に達しました。しばらく待ってからやり直してください。")


ERROR_TITLES = {
    400: _l("入力内容を確認してください"),
    403: _l("アクセスできません"),
    404: _l("ページが見つかりません"),
    405: _l("この方法では操作できません"),
    409: _l("更新が競合しました"),
    413: _l("ファイルが大きすぎます"),
    429: _l("しばらく待ってからやり直してください"),
    500: _l("システムエラーが発生しました"),
}

HTTP_MESSAGES = {
    400: _l("リクエストの内容を処理できませんでした。"),
    403: _l("この操作を行う権限がありません。"),
    404: _l("お探しのページは見つかりませんでした。URLをご確認ください。"),
    405: _l("この方法では操作できません。"),
    413: _l("アップロードされたファイルが大きすぎます。"),
    500: _l("申し訳ありません。処理中に問題が発生しました。時間をおいて再度お試しください。"),
}


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def _abandon_transaction() -> None:
    """An error page must not inherit a failed transaction: rendering may query (the signed-in
    user, field labels), and on PostgreSQL a flush that failed leaves the session unusable."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def _render(status: int, message: Any) -> tuple[Any, int]:
    _abandon_transaction()
    if _wants_json():
        return jsonify({"error": str(ERROR_TITLES.get(status, status)), "message": str(message)}), status
    return (
        render_template("errors/error.html", status=status, title=ERROR_TITLES.get(status, ""), message=message),
        status,
    )


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        return _render(error.status_code, error.message)

    @app.errorhandler(StaleDataError)
    def _stale(_error: StaleDataError):  # type: ignore[no-untyped-def]
        # Another request changed the row between our read and our write.
        return _render(409, Conflict.default_message)

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError):  # type: ignore[no-untyped-def]
        return _render(400, _l("フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてからやり直してください。"))

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        return _render(status, HTTP_MESSAGES.get(status, error.description))

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error", exc_info=error)
        return _render(500, HTTP_MESSAGES[500])
