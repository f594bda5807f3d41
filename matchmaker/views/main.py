"""Site-wide pages: home, health check, language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, redirect, render_template, request, session, url_for
from sqlalchemy import func, select

from models import Challenge, ChallengeStatus, Municipality, Technology

from ..db import database_status, get_session
from ..parsing import is_safe_next

bp = Blueprint("main", __name__)


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    db = get_session()
    counts = {
        "municipalities": db.scalar(select(func.count(Municipality.id))),
        "open_challenges": db.scalar(
            select(func.count(Challenge.id)).where(Challenge.status == ChallengeStatus.OPEN)
        ),
        "technologies": db.scalar(select(func.count(Technology.id)).where(Technology.is_retired.is_(False))),
    }
    return render_template("main/index.html", counts=counts)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    status = database_status()
    healthy = status["database"] == "ok"
    return jsonify({"status": "ok" if healthy else "degraded", **status}), 200 if healthy else 503


@bp.post("/language")
def set_language():  # type: ignore[no-untyped-def]
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
    return redirect(_safe_next(request.form.get("next")))


def _safe_next(target: str | None, default: str = "main.index") -> str:
    """Only same-site relative paths, so the switch cannot be used as an open redirect."""
    return target if target and is_safe_next(target) else url_for(default)
