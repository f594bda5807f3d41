"""Hostile input stops at the door, and every answer carries the browser's security headers.

Registered once in create_app, before the views: the strict `int` URL converter, a guard over
every query string and form, the proxy setting that decides who the client is, and the headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask import Flask, Request, Response, request, session
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter
from werkzeug.routing import ValidationError as RouteMismatch

from .domain.errors import ValidationError
from .parsing import MAX_ID, NotANumber, has_control_characters, optional_id, parse_id, parse_ids, parse_int


class StrictIntConverter(IntegerConverter):
    """`<int:…>` in every route: ASCII or 全角 digits up to 2^31 - 1, else the route does not
    match (404) instead of the database failing on an id no row can have."""

    regex = r"[0-9０-９]+"

    def __init__(self, map, *args: Any, **kwargs: Any) -> None:  # type: ignore[no-untyped-def]
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)

    def to_python(self, value: str) -> int:
        try:
            number = parse_int(value, minimum=self.min or 0, maximum=self.max if self.max is not None else MAX_ID)
        except NotANumber:
            raise RouteMismatch() from None
        return number


# Query-string and form parameters that carry ids or counts, by name. The guard refuses a bad
# value with a 400 before any view reads it, so no view can pass one on to the database.
# `version` is not here: a bad version is a conflict that must keep what the user typed.
INTEGER_PARAMETERS = frozenset({"page", "municipality", "challenge", "technology"})
INTEGER_SUFFIXES = ("_id", "_ids")
# Form values that no one types: a control character in them is an attack, not a pasted slip.
SINGLE_LINE_FORM_FIELDS = frozenset({"next", "lang", "csrf_token"})

_BAD_CHARACTERS = _l("使用できない制御文字が含まれています。")


def _is_integer_parameter(name: str) -> bool:
    return name in INTEGER_PARAMETERS or name.endswith(INTEGER_SUFFIXES)


def arg_int(name: str, default: int | None = None) -> int | None:
    """An id or count from the query string: `default` when absent or blank, a 400 with a
    clear message when it is not a whole number between 1 and 2^31 - 1."""
    raw = request.args.get(name, "")
    if not raw.strip():
        return default
    try:
        return parse_id(raw)
    except NotANumber:
        raise ValidationError(_l("%(name)s には 1 以上の整数を指定してください。", name=name)) from None


def value_id(name: str, raw: object) -> int | None:
    """An optional id typed or chosen in a form field: None when blank, a 400 naming the field
    when it is anything but a whole number between 1 and 2^31 - 1."""
    try:
        return optional_id(raw)
    except NotANumber:
        raise ValidationError(_l("%(name)s には 1 以上の整数を指定してください。", name=name)) from None


def value_ids(name: str, values: Iterable[object]) -> list[int]:
    """Ids of a multi-valued field (checkboxes, repeated query parameters), by the same rule."""
    try:
        return parse_ids(values)
    except NotANumber:
        raise ValidationError(_l("%(name)s には 1 以上の整数を指定してください。", name=name)) from None


# Views that take files, and how large their whole request may be (every other request keeps
# MAX_CONTENT_LENGTH). Registered by the views themselves with `accepts_uploads`.
UPLOAD_LIMITS: dict[str, int] = {}


def accepts_uploads(endpoint: str, max_request_bytes: int) -> None:
    UPLOAD_LIMITS[endpoint] = max_request_bytes


class UploadAwareRequest(Request):
    """The request size limit of the matched view: larger only where a view takes files, so the
    413 for everything else still comes before anything is read."""

    @property
    def max_content_length(self) -> int | None:
        limit = UPLOAD_LIMITS.get(self.endpoint or "")
        return limit if limit is not None else Request.max_content_length.fget(self)  # type: ignore[attr-defined]

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value


# Beyond its limit an upload is refused with a 413 page. Refusing it unread would leave the client
# still sending into a closed socket: gunicorn then resets the connection and the browser shows
# "connection reset" instead of our page. So a body up to this size is read and discarded first
# (loopback or LAN: about a second for 100 MB); a larger one is cut off.
DRAIN_LIMIT = 256 * 1024 * 1024
_DRAIN_CHUNK = 1024 * 1024


def _limit_uploads() -> None:
    """Refuse an upload over its view's limit before anything reads the form (CSRF protection
    does, and would answer 413 to a body left unread)."""
    limit = UPLOAD_LIMITS.get(request.endpoint or "") if request.method == "POST" else None
    length = request.content_length
    if limit is None or length is None or length <= limit:
        return
    # Reading the body first lets a browser show the 413 page instead of a reset connection; that
    # courtesy is for signed-in people only (every upload view needs a login), so an anonymous
    # client cannot make a worker read and discard 256 MB.
    if length <= DRAIN_LIMIT and session.get("_user_id"):
        stream = request.environ.get("wsgi.input")
        remaining = length
        while stream is not None and remaining > 0:
            chunk = stream.read(min(_DRAIN_CHUNK, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
    raise RequestEntityTooLarge()


def _refuse_hostile_input() -> None:
    if request.files and (request.endpoint or "") not in UPLOAD_LIMITS:
        # No other form takes an upload: a file part where text belongs is refused, not half-read.
        raise ValidationError(_l("この画面ではファイルを送信できません。"))
    for name, value in request.args.items(multi=True):
        if has_control_characters(name, multiline=False) or has_control_characters(value, multiline=False):
            raise ValidationError(_BAD_CHARACTERS)
        _check_integer(name, value)
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    # Form values themselves are checked field by field (forms.Form and the actions' clean_text),
    # so a pasted control character costs one field error, not everything else that was typed.
    for name, value in request.form.items(multi=True):
        if has_control_characters(name, multiline=False) or (
                name in SINGLE_LINE_FORM_FIELDS and has_control_characters(value, multiline=False)):
            raise ValidationError(_BAD_CHARACTERS)
        _check_integer(name, value)


def _check_integer(name: str, value: str) -> None:
    if _is_integer_parameter(name) and value.strip():
        try:
            parse_id(value)
        except NotANumber:
            raise ValidationError(_l("%(name)s には 1 以上の整数を指定してください。", name=name)) from None


CSP_DIRECTIVES = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
)
CONTENT_SECURITY_POLICY = "; ".join(CSP_DIRECTIVES)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
HSTS = "max-age=31536000; includeSubDomains"


def _add_security_headers(response: Response) -> Response:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    # Only over TLS: on plain HTTP the header is ignored, and on a development machine it would
    # pin localhost to HTTPS.
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def init_url_converters(app: Flask) -> None:
    """Before any blueprint is registered: rules bind their converters when they are added."""
    app.url_map.converters["int"] = StrictIntConverter


def init_app(app: Flask) -> None:
    proxies = int(app.config.get("TRUSTED_PROXIES", 0))
    if proxies:
        # Behind N reverse proxies the client is the Nth address from the right of
        # X-Forwarded-For; with none configured the header is ignored, as anyone can send it.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.request_class = UploadAwareRequest
    app.before_request(_refuse_hostile_input)
    # First of all before_request hooks: Flask-WTF's CSRF check, registered earlier, reads the form.
    app.before_request_funcs.setdefault(None, []).insert(0, _limit_uploads)
    app.after_request(_add_security_headers)

