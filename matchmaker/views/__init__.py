"""HTTP views: parse, call one domain action, commit, answer."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import main

    app.register_blueprint(main.bp)
