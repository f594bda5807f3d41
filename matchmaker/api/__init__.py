"""The JSON API under /api/v1: bearer tokens, the same actions and queries as the pages, an
OpenAPI 3.1 document generated from the schemas that validate requests, and its reference page."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from .. import csrf
    from .views import bp

    # Tokens only, never the sign-in cookie (auth.py): a forged cross-site request carries no token.
    csrf.exempt(bp)
    app.register_blueprint(bp)
