"""Notification settings and follows, and the unsubscribe link that works without signing in."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from .. import csrf, digests, freshness, notifications, tokens
from ..actions import catalogue, notices
from ..db import get_session
from ..i18n import localized, no_replay
from ..jptime import JST
from ..notice_forms import FollowForm, OfferedForm, ReconfirmForm, UnsubscribeForm, preferences_form
from ..queries.reference import all_fields, all_municipalities
from ..security import value_id, value_ids
from . import _helpers as h
from ._forms import submit
from .main import _safe_next

bp = Blueprint("notices", __name__)


@bp.route("/account/notifications", methods=["GET", "POST"])
@login_required
def settings():  # type: ignore[no-untyped-def]
    user = h.actor()
    session = get_session()
    kinds = digests.kinds_for(user.role)
    current = digests.all_preferences(session, user.id)
    form = preferences_form([(kind, _(notifications.KIND_LABELS[kind])) for kind in kinds], current)
    fields, places = all_fields(session), all_municipalities(session)
    form.field_ids.choices = [SelectChoice(str(f.id), localized(f)) for f in fields]
    form.municipality_ids.choices = [SelectChoice(str(m.id), localized(m)) for m in places]
    if request.method == "GET":
        followed_fields, followed_places = notices.follows(session, user)
        form.field_ids.data = [str(i) for i in sorted(followed_fields)]
        form.municipality_ids.data = [str(i) for i in sorted(followed_places)]

    def save() -> None:
        notices.set_preferences(session, {kind: form[f"kind_{kind}"].data for kind in kinds}, actor=user)
        notices.set_follows(session, actor=user, field_ids=value_ids("field_ids", form.field_ids.data or []),
                            municipality_ids=value_ids("municipality_ids", form.municipality_ids.data or []))

    return submit(form, save, page=lambda: render_template("notices/settings.html", form=form, kinds=kinds),
                  message=_("通知の設定を保存しました。"), done=lambda _none: url_for("notices.settings"))


@bp.post("/follows")
@login_required
def follow():  # type: ignore[no-untyped-def]
    form = FollowForm()
    if form.on.data not in ("0", "1"):
        abort(400)
    on = form.on.data == "1"
    field_id = value_id("field_id", form.field_id.data)
    municipality_id = value_id("municipality_id", form.municipality_id.data)
    return submit(form, lambda: notices.follow(get_session(), actor=h.actor(), field_id=field_id,
                                               municipality_id=municipality_id, on=on),
                  message=_("フォローしました。新しい地域課題が公開されるとお知らせします。") if on
                  else _("フォローをやめました。"),
                  done=lambda _none: _safe_next(request.args.get("next"), default="notices.settings"))


def _unsubscribe_target(token: str) -> tuple[int, str]:
    try:
        user_id, kind = tokens.read_unsubscribe_token(current_app, token)
    except tokens.InvalidToken:
        abort(404)
    if kind not in notifications.MESSAGES:
        abort(404)
    return user_id, kind


@bp.get("/unsubscribe/<token>")
def unsubscribe_page(token: str):  # type: ignore[no-untyped-def]
    """Asks before changing anything: mail scanners open links, only a person presses the button."""
    _user_id, kind = _unsubscribe_target(token)
    return render_template("notices/unsubscribe.html", form=UnsubscribeForm(), kind_label=_(notifications.KIND_LABELS[kind]),
                           done=False)


@bp.post("/unsubscribe/<token>")
@csrf.exempt  # the signed token is the credential; mail clients post here for one-click unsubscribe (RFC 8058)
def unsubscribe(token: str):  # type: ignore[no-untyped-def]
    user_id, kind = _unsubscribe_target(token)
    session = get_session()
    notices.unsubscribe(session, user_id, kind)
    session.commit()
    no_replay()
    return render_template("notices/unsubscribe.html", form=UnsubscribeForm(), kind_label=_(notifications.KIND_LABELS[kind]),
                           done=True)


@bp.post("/challenges/<int:challenge_id>/reconfirm")
@login_required
def reconfirm(challenge_id: int):  # type: ignore[no-untyped-def]
    return submit(ReconfirmForm(), lambda: catalogue.reconfirm_challenge(get_session(), challenge_id, actor=h.actor()),
                  message=_("募集継続を確認しました。"),
                  done=lambda c: url_for("challenges.show", challenge_id=c.id))


@bp.post("/technologies/<int:technology_id>/offered")
@login_required
def offered(technology_id: int):  # type: ignore[no-untyped-def]
    form = OfferedForm()
    if form.offered.data not in ("0", "1"):
        abort(400)
    on = form.offered.data == "1"
    return submit(form, lambda: catalogue.set_technology_offered(get_session(), technology_id, on, actor=h.actor(),
                                                                 expected_version=form.version.data),
                  message=_("提供を再開しました。ランキングと通知に戻ります。") if on
                  else _("現在提供していない技術にしました。ランキングと通知から外れます。"),
                  done=lambda t: url_for("technologies.show", technology_id=t.id))


@bp.app_context_processor
def _notice_helpers() -> dict:
    def freshness_of(challenge):  # type: ignore[no-untyped-def]
        """(possibly stale, confirmation due, closes on) of an issue for its page; dates in JST."""
        config = current_app.config
        return (freshness.is_stale(challenge, config),
                freshness.reconfirm_due(challenge, config).astimezone(JST).date().isoformat(),
                freshness.closes_at(challenge, config).astimezone(JST).date().isoformat())

    def follow_targets(challenge):  # type: ignore[no-untyped-def]
        """(form field, id, label, followed?) for the issue's municipality and each of its fields."""
        if "followed" not in g:
            g.followed = notices.follows(get_session(), h.actor())
        fields, places = g.followed
        return [("municipality_id", challenge.municipality_id, localized(challenge.municipality),
                 challenge.municipality_id in places)] + [
            ("field_id", f.id, localized(f), f.id in fields) for f in challenge.fields]

    return {"freshness_of": freshness_of, "follow_targets": follow_targets}
