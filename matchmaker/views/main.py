"""Site-wide pages: home, health check, language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for

from ..db import database_status, get_session
from ..parsing import is_safe_next
from ..queries.catalogue import public_counts

bp = Blueprint("main", __name__)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    return render_template("main/index.html", counts=public_counts(get_session()))


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    status = database_status()
    healthy = status["database"] == "ok"
    return jsonify({"status": "ok" if healthy else "degraded", **status}), 200 if healthy else 503


@bp.get("/favicon.ico")
def favicon():  # type: ignore[no-untyped-def]
    # Browsers and feed readers ask for /favicon.ico whatever the page links; answer with the one
    # icon instead of a 404 on every first visit.
    return redirect(url_for("static", filename="img/favicon.svg"), code=301)


@bp.post("/language")
def set_language():  # type: ignore[no-untyped-def]
    # The switch's own fields come after any replayed ones: read the last value of each.
    lang = (request.form.getlist("lang") or [""])[-1]
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    nexts = request.form.getlist("next")
    target = _safe_next(nexts[-1] if nexts else None)
    if (request.form.getlist("replay") or [""])[-1] == "1":
        # Back to the form that failed, with what was typed (i18n.language_switch): 307 posts again.
        return redirect(target, code=307)
    return redirect(target)


def _safe_next(target: str | None, default: str = "main.index") -> str:
    """Only same-site relative paths, so the switch cannot be used as an open redirect."""
    return target if target and is_safe_next(target) else url_for(default)
