"""Japanese first, English on request: the chosen language lives in the session."""

from __future__ import annotations

from flask import Flask, current_app, has_request_context, session
from flask_babel import Babel, get_locale
from flask_login import current_user

babel = Babel()

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
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str:
    return str(get_locale() or "ja")


def localized(obj: object, attribute: str = "name") -> str:
    """Pick obj.<attribute>_en in English when it is set, else the Japanese obj.<attribute>."""
    if current_language() == "en":
        english = getattr(obj, f"{attribute}_en", "") or ""
        if english:
            return english
    japanese = getattr(obj, f"{attribute}_ja", None)
    return japanese if japanese is not None else getattr(obj, attribute)


def init_app(app: Flask) -> None:
    babel.init_app(app, locale_selector=select_locale, default_translation_directories=TRANSLATIONS_DIR)
    app.jinja_env.globals.update(current_language=current_language, localized=localized)
