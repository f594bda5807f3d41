"""API tokens on the settings page: create (the secret is shown once), list with last use, revoke."""

from __future__ import annotations

from flask import Blueprint, Response, make_response, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from models import ApiToken, User

from ..actions import tokens as actions
from ..db import get_session
from ..forms import ApiTokenForm, ButtonForm
from ..i18n import no_replay
from ..policies import Permission
from . import _helpers as h
from ._forms import submit

bp = Blueprint("tokens", __name__, url_prefix="/settings/tokens")


def _page(user: User, form: ApiTokenForm | None = None, created: tuple[ApiToken, str] | None = None) -> str:
    return render_template("settings/tokens.html", tokens=actions.list_tokens(get_session(), actor=user),
                           form=form or ApiTokenForm(formdata=None), revoke_form=ButtonForm(), created=created)


def _shown_once(user: User, created: tuple[ApiToken, str]) -> Response:
    """The page with the new secret: answered, not redirected to, so the secret never travels in
    the (signed but readable) session cookie, and never stored by a cache."""
    no_replay()
    response = make_response(_page(user, created=created), 201)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("", methods=["GET", "POST"])
@login_required
def index():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.API_TOKEN_MANAGE)
    form = ApiTokenForm()
    return submit(
        form, lambda: actions.create_token(get_session(), actor=user, name=form.name.data or "",
                                           scope=form.scope.data or ""),
        page=lambda: _page(user, form), answer=lambda created: _shown_once(user, created))


@bp.post("/<int:token_id>/revoke")
@login_required
def revoke(token_id: int):  # type: ignore[no-untyped-def]
    user = h.actor()
    return submit(
        ButtonForm(), lambda: actions.revoke_token(get_session(), token_id, actor=user),
        message=lambda token: _("APIトークン「%(name)s」を無効にしました。", name=token.name),
        done=lambda _token: url_for("tokens.index"))
