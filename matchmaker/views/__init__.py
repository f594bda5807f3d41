"""HTTP views: parse, call one domain action, commit, answer."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from . import (
        auth,
        challenges,
        data,
        events,
        home,
        main,
        notices,
        opendata,
        people,
        projects,
        technologies,
        tokens,
        vocabulary,
    )

    for module in (main, auth, home, challenges, technologies, projects, vocabulary, notices, events, tokens, people,
                   data, opendata):
        app.register_blueprint(module.bp)
