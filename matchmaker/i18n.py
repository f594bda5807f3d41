"""Japanese first, English on request: the chosen language lives in the session."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from babel.support import NullTranslations
from flask import Flask, current_app, g, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale, get_translations
from flask_login import current_user
from werkzeug.exceptions import HTTPException


def translations() -> NullTranslations:
    """This context's translations, looked up once per locale.

    flask-babel resolves the domain, the context and the locale through several context-local
    proxies for every string, and a page translates hundreds (a fifth of a ranking page's CPU).
    The memo sits beside flask-babel's own locale in the same context and remembers which locale
    object it was made for, so force_locale (mail in the recipient's language) and refresh() are
    honoured: a different locale object means a new lookup.
    """
    try:
        context = g._flask_babel
    except (AttributeError, RuntimeError):  # not set up yet in this context, or no app context
        return get_translations()
    locale = getattr(context, "babel_locale", None)
    memo = getattr(context, "matchmaker_translations", None)
    if locale is not None and memo is not None and memo[0] is locale:
        return memo[1]
    found = get_translations()
    context.matchmaker_translations = (getattr(context, "babel_locale", None), found)
    return found


class _Domain(Domain):
    def get_translations(self):  # type: ignore[no-untyped-def]
        # The lookup behind flask-babel's gettext and lazy strings (labels in templates).
        try:
            context = g._flask_babel
        except (AttributeError, RuntimeError):
            return super().get_translations()
        locale = getattr(context, "babel_locale", None)
        memo = getattr(context, "matchmaker_translations", None)
        if locale is not None and memo is not None and memo[0] is locale:
            return memo[1]
        # Remembered here too, so that Python code's gettext and lazy labels share the memo even
        # before a template has asked for translations().
        found = super().get_translations()
        context.matchmaker_translations = (getattr(context, "babel_locale", None), found)
        return found


class _Babel(Babel):
    @cached_property
    def domain_instance(self) -> Domain:
        return _Domain(domain=self.domain)


babel = _Babel()

TRANSLATIONS_DIR = "translations"


def select_locale() -> str:
    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    chosen = session.get("lang")
    if isinstance(chosen, str) and chosen in languages:
        return chosen
    user_locale = getattr(current_user, "locale", None) if current_user else None
    if isinstance(user_locale, str) and user_locale in languages:
        return user_locale
    # A visitor who has chosen nothing yet: the browser's preference (Accept-Language), by quality.
    preferred = request.accept_languages.best_match(languages)
    if preferred:
        return preferred
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    try:
        context = g._flask_babel
    except (AttributeError, RuntimeError):
        return str(get_locale() or "ja")
    locale = getattr(context, "babel_locale", None)
    memo = getattr(context, "matchmaker_language", None)
    if locale is not None and memo is not None and memo[0] is locale:
        return memo[1]
    language = str(get_locale() or "ja")
    context.matchmaker_language = (getattr(context, "babel_locale", None), language)
    return language


def localized(obj: object, attribute: str = "name") -> str:
    """Pick obj.<attribute>_en in English when it is set, else the Japanese obj.<attribute>."""
    if current_language() == "en":
        english = getattr(obj, f"{attribute}_en", "") or ""
        if english:
            return english
    japanese = getattr(obj, f"{attribute}_ja", None)
    return japanese if japanese is not None else getattr(obj, attribute)


# Fields never written back into a page: secrets, and the switch's own fields.
_NOT_REPLAYED = ("csrf_token", "lang", "next", "replay")


@dataclass(frozen=True)
class LanguageSwitch:
    """What the language switch sends: the page to come back to and, on a page that answers a
    failed POST, what was typed there (`replay`)."""

    next: str
    replay: list[tuple[str, str]] | None


def no_replay() -> None:
    """This POST is answered with a page that is not a refused form (a success shown in place, or
    a refused forgery): the switch must come back by GET, never post it again (a second token, a
    second mail, or a forged post re-sent with a fresh CSRF token)."""
    g.no_replay = True


def language_switch() -> LanguageSwitch:
    """On a GET page the switch comes back to the same URL. A page answering a failed POST (its
    URL may accept only POST, and a GET would lose what was typed) carries the posted fields: the
    switch sends them back to that URL (307 keeps the method), so the same form is shown again in
    the other language with everything typed, and fails again the same way (its version and its
    input are the ones that were refused). Forms with a password are never written into a page:
    their switch comes back to the page by GET."""
    here = request.full_path if request.query_string else request.path
    if request.method == "GET":
        return LanguageSwitch(here, None)
    if g.get("no_replay"):
        return LanguageSwitch(request.path if _answers_get(request.path) else "/", None)
    # Only a body the view already read (never one refused unread: too large, malformed).
    parsed = "form" in request.__dict__ and not request.files
    fields = [(name, value) for name, values in request.form.lists() for value in values
              if name not in _NOT_REPLAYED] if parsed else []
    if not parsed or any("password" in name for name, _ in fields):
        return LanguageSwitch(request.path if _answers_get(request.path) else "/", None)
    return LanguageSwitch(here, fields)


def _answers_get(path: str) -> bool:
    try:
        current_app.url_map.bind("").match(path, method="GET")
    except HTTPException:
        return False
    return True


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS_DIR)
    # The same callables flask-babel installs, through the per-locale memo above.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals.update(current_language=current_language, localized=localized,
                                 language_switch=language_switch)
