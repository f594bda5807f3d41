"""Password reset by mail, deactivating accounts, and a company looking after its own profile and people."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, render_template, url_for
from flask_babel import gettext as _
from flask_login import login_required

from .. import jobs, tokens
from ..actions import people
from ..db import get_session
from ..domain.errors import ValidationError
from ..errors import status_of
from ..i18n import no_replay
from ..notice_forms import ActiveForm, ForgotPasswordForm, InviteForm, OrganizationProfileForm, ResetPasswordForm
from ..policies import Permission
from . import _helpers as h
from ._forms import submit

bp = Blueprint("people", __name__)


def _hours() -> int:
    return int(current_app.config["PASSWORD_RESET_MAX_AGE_SECONDS"]) // 3600


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():  # type: ignore[no-untyped-def]
    """The same answer for every address, after the same work (queueing a job): nothing here
    tells whether an account exists."""
    form = ForgotPasswordForm()
    if not form.validate_on_submit():
        return render_template("people/forgot.html", form=form, sent=False), 400 if form.is_submitted() else 200
    jobs.enqueue(current_app, "password_reset", (form.email.data or "")[:254])
    no_replay()
    return render_template("people/forgot.html", form=ForgotPasswordForm(formdata=None), sent=True, hours=_hours())


def _reset_target(token: str) -> tuple[int, str]:
    try:
        return tokens.read_reset_token(current_app, token)
    except tokens.InvalidToken:
        raise ValidationError(_("このリンクは使用済みか、期限が切れています。もう一度お手続きください。")) from None


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):  # type: ignore[no-untyped-def]
    form = ResetPasswordForm()
    try:
        user_id, fingerprint = _reset_target(token)
        people.reset_target(get_session(), user_id, fingerprint)
    except ValidationError as error:
        return render_template("people/reset_invalid.html", message=error.message), status_of(error)

    def reset() -> None:
        if form.new_password.data != form.confirm_password.data:
            raise ValidationError(field_errors={"confirm_password": [_("確認用のパスワードが一致しません。")]})
        people.reset_password(get_session(), user_id, fingerprint, form.new_password.data or "")

    return submit(form, reset, page=lambda: render_template("people/reset.html", form=form),
                  message=_("パスワードを設定しました。新しいパスワードでログインしてください。"),
                  done=lambda _user: url_for("auth.login"))


@bp.post("/admin/users/<int:user_id>/active")
@login_required
def user_active(user_id: int):  # type: ignore[no-untyped-def]
    form = ActiveForm()
    if form.active.data not in ("0", "1"):
        abort(400)
    active = form.active.data == "1"
    return submit(form, lambda: people.set_user_active(get_session(), user_id, active, actor=h.actor()),
                  message=(lambda person: _("%(email)s を有効にしました。", email=person.email)) if active
                  else (lambda person: _("%(email)s を無効にしました。すべてのセッションが終了しました。", email=person.email)),
                  done=lambda _person: url_for("home.users"))


def _manage_page(organization_id: int, *, profile: OrganizationProfileForm | None = None,
                 invite: InviteForm | None = None) -> str:
    session = get_session()
    organization = people.managed_organization(session, organization_id, actor=h.actor())
    profile = profile or OrganizationProfileForm(obj=organization)
    if profile.version.data is None:
        profile.version.data = organization.version
    return render_template("people/manage.html", organization=organization, profile=profile,
                           invite=invite or InviteForm(), colleagues=people.colleagues(session, organization),
                           me=h.actor())


@bp.get("/organizations/<int:organization_id>/manage")
@login_required
def manage(organization_id: int):  # type: ignore[no-untyped-def]
    h.actor_with(Permission.ORGANIZATION_MANAGE)
    return _manage_page(organization_id)


@bp.post("/organizations/<int:organization_id>/profile")
@login_required
def profile(organization_id: int):  # type: ignore[no-untyped-def]
    form = OrganizationProfileForm()
    return submit(form, lambda: people.update_profile(get_session(), organization_id, people.ProfileInput(
        website=form.website.data or "", description=form.description.data or "",
        contact_email=form.contact_email.data or "", contact_phone=form.contact_phone.data or ""),
        actor=h.actor(), expected_version=form.version.data),
        page=lambda: _manage_page(organization_id, profile=form),
        message=_("団体の情報を更新しました。"), done=lambda _org: url_for("people.manage", organization_id=organization_id))


@bp.post("/organizations/<int:organization_id>/invite")
@login_required
def invite(organization_id: int):  # type: ignore[no-untyped-def]
    form = InviteForm()
    return submit(form, lambda: people.invite_colleague(get_session(), organization_id, actor=h.actor(),
                                                        email=form.email.data or "",
                                                        display_name=form.display_name.data or "", hours=_hours()),
                  page=lambda: _manage_page(organization_id, invite=form),
                  message=lambda person: _("%(email)s に招待メールを送りました。", email=person.email),
                  done=lambda _person: url_for("people.manage", organization_id=organization_id) + "#colleagues")


@bp.post("/organizations/<int:organization_id>/members/<int:user_id>/active")
@login_required
def colleague_active(organization_id: int, user_id: int):  # type: ignore[no-untyped-def]
    form = ActiveForm()
    if form.active.data not in ("0", "1"):
        abort(400)
    active = form.active.data == "1"
    return submit(form, lambda: people.set_colleague_active(get_session(), organization_id, user_id, active,
                                                            actor=h.actor()),
                  message=(lambda person: _("%(email)s を有効にしました。", email=person.email)) if active
                  else (lambda person: _("%(email)s を無効にしました。すべてのセッションが終了しました。", email=person.email)),
                  done=lambda _person: url_for("people.manage", organization_id=organization_id) + "#colleagues")
