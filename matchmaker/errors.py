"""The one place where domain errors (matchmaker.domain.errors) become HTTP answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from .domain.errors import Conflict, DomainError, NotFound, PermissionDenied, TooManyRequests, ValidationError

# Re-exported so that `from matchmaker.errors import DomainError` keeps working in views.
__all__ = ["API_PREFIX", "ApiError", "Conflict", "DomainError", "NotFound", "PermissionDenied", "TooManyRequests",
           "ValidationError", "init_app", "status_of"]


# The one mapping from domain errors to HTTP statuses (the first matching class wins).
STATUS_CODES: dict[type[DomainError], int] = {
    ValidationError: 400, PermissionDenied: 403, NotFound: 404, Conflict: 409, TooManyRequests: 429,
}


def status_of(error: DomainError) -> int:
    return next((code for cls, code in STATUS_CODES.items() if isinstance(error, cls)), 400)


ERROR_TITLES = {
    400: _l("入力内容を確認してください"),
    403: _l("アクセスできません"),
    404: _l("ページが見つかりません"),
    405: _l("この方法では操作できません"),
    409: _l("更新が競合しました"),
    413: _l("送信された内容が大きすぎます"),
    429: _l("しばらく待ってからやり直してください"),
    500: _l("システムエラーが発生しました"),
}

HTTP_MESSAGES = {
    400: _l("リクエストの内容を処理できませんでした。"),
    403: _l("この操作を行う権限がありません。"),
    404: _l("お探しのページは見つかりませんでした。URLをご確認ください。"),
    405: _l("この方法では操作できません。"),
    413: _l("送信された内容が大きすぎます。入力を短くしてからやり直してください。"),
    500: _l("申し訳ありません。処理中に問題が発生しました。時間をおいて再度お試しください。"),
}


API_PREFIX = "/api/"
# The machine-readable code of every error answer under /api, by status (DomainError subclasses
# and ApiError may name a more precise one).
API_ERROR_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
    409: "conflict", 412: "precondition_failed", 413: "payload_too_large", 415: "unsupported_media_type",
    428: "precondition_required", 429: "rate_limited", 500: "internal_error",
}


class ApiError(HTTPException):
    """An answer only the JSON API gives (401, 412, 415, 428, a 429 with Retry-After...), with its
    machine code and a message for people."""

    def __init__(self, status: int, code: str, message: Any, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(description=str(message))
        self.code = status
        self.api_code = code
        self.message = message
        self.extra_headers = dict(headers or {})


def _is_api() -> bool:
    return request.path.startswith(API_PREFIX)


def _wants_json() -> bool:
    return _is_api() or request.accept_mimetypes.best == "application/json"


def api_error(status: int, message: Any, *, code: str | None = None,
              fields: Mapping[str, list[Any]] | None = None, headers: Mapping[str, str] | None = None) -> Response:
    """The one error format of the API: {"error": {"code", "message"[, "fields"]}}."""
    body: dict[str, Any] = {"code": code or API_ERROR_CODES.get(status, "error"), "message": str(message)}
    if fields:
        body["fields"] = {name: [str(m) for m in messages] for name, messages in fields.items()}
    response = jsonify({"error": body})
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _abandon_transaction() -> None:
    """An error page must not inherit a failed transaction: rendering may query (the signed-in
    user, field labels), and on PostgreSQL a flush that failed leaves the session unusable."""
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def _render(status: int, message: Any, *, code: str | None = None, fields: Mapping[str, list[Any]] | None = None,
            headers: Mapping[str, str] | None = None) -> Any:
    _abandon_transaction()
    if _is_api():
        return api_error(status, message, code=code, fields=fields, headers=headers)
    if _wants_json():
        return jsonify({"error": str(ERROR_TITLES.get(status, status)), "message": str(message)}), status
    return (
        render_template("errors/error.html", status=status, title=ERROR_TITLES.get(status, ""), message=message),
        status,
    )


def _run_again_after_race(app: Flask, error: Exception) -> Any:
    """A write that lost a race at the database (a version that moved under our UPDATE, a unique
    key that another transaction took after our check) runs once more from the start, in a fresh
    transaction. The second run reads the winner's commit, so the action's own checks answer:
    the edit form comes back as a conflict with everything the user typed (as it does when the
    race is lost before the write, and always on SQLite, which serialises writers), and a taken
    name is a form error. Nothing of the first run survives: it rolled back, and mail and jobs
    leave only after a commit. Returns None when this already was the second run."""
    if request.method in _READ_METHODS or g.get("ran_again_after_race") or request.endpoint is None:
        return None
    g.ran_again_after_race = True
    app.logger.info("write lost a race (%s); running %s again", type(error).__name__, request.endpoint)
    # The same session, rolled back: what it had loaded (the signed-in user too) is re-read.
    _abandon_transaction()
    try:
        # As Flask's own dispatch does: ensure_sync also runs an async view.
        return app.make_response(app.ensure_sync(app.view_functions[request.endpoint])(**(request.view_args or {})))
    except Exception as again:  # noqa: BLE001 - answered by the handler that fits, as on a first run
        return app.handle_user_exception(again)


_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):  # type: ignore[no-untyped-def]
        status = status_of(error)
        code = "validation_error" if isinstance(error, ValidationError) and error.field_errors else None
        return _render(status, error.message, code=code, fields=error.field_errors)

    @app.errorhandler(StaleDataError)
    def _stale(error: StaleDataError):  # type: ignore[no-untyped-def]
        # Another request changed the row between our read and our write.
        return _run_again_after_race(app, error) or _render(409, Conflict.default_message)

    @app.errorhandler(IntegrityError)
    def _integrity(error: IntegrityError):  # type: ignore[no-untyped-def]
        # A unique key taken by a request that committed after our check (ten /join at once).
        response = _run_again_after_race(app, error)
        if response is not None:
            return response
        app.logger.exception("constraint violated twice", exc_info=error)
        return _render(409, Conflict.default_message)

    @app.errorhandler(CSRFError)
    def _csrf_error(_error: CSRFError):  # type: ignore[no-untyped-def]
        from .i18n import no_replay

        no_replay()
        return _render(400, _l("フォームの有効期限が切れたか、不正な送信です。ページを再読み込みしてからやり直してください。"),
                       code="csrf_failed")

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):  # type: ignore[no-untyped-def]
        status = error.code or 500
        if isinstance(error, ApiError):
            return _render(status, error.message, code=error.api_code, headers=error.extra_headers)
        # Werkzeug's own headers matter to clients: Allow on a 405.
        headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"} if _is_api() else None
        return _render(status, HTTP_MESSAGES.get(status, error.description), headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):  # type: ignore[no-untyped-def]
        app.logger.exception("unhandled error", exc_info=error)
        return _render(500, HTTP_MESSAGES[500])
