"""Signing in and out, password changes, membership applications."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user

from .. import throttle
from ..actions import accounts
from ..auth import SignedInUser
from ..db import get_session
from ..errors import ValidationError, status_of
from ..forms import LoginForm, MembershipForm, PasswordChangeForm
from ..i18n import current_language
from ..matching import reading_session
from ._forms import submit
from ._helpers import actor
from .main import _safe_next

bp = Blueprint("auth", __name__)


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if request.method == "POST" else 200
    # The client is the socket's address, or the proxies' X-Forwarded-For with TRUSTED_PROXIES.
    limits = throttle.limits_from(current_app.config)
    scopes = throttle.login_scopes(form.email.data or "", request.remote_addr or "", limits)
    session = get_session()
    wait = throttle.reserve_attempt(session, scopes, limits)
    session.commit()  # counted before the password is checked, whatever happens next
    if wait:
        form.form_errors.append(_("試行が続いたため、%(seconds)d 秒お待ちください。その後もう一度お試しください。",
                                  seconds=wait))
        return render_template("auth/login.html", form=form), 429, {"Retry-After": str(wait)}
    # The slow password check reads in its own session: the request's session would hold the
    # SQLite write lock (BEGIN IMMEDIATE) for the whole hash.
    reader = reading_session(current_app)
    try:
        user = accounts.sign_in(session, accounts.check_credentials(reader, form.email.data or "",
                                                                    form.password.data or ""))
    except ValidationError as error:
        form.form_errors.append(error.message)
        return render_template("auth/login.html", form=form), status_of(error)
    finally:
        reader.close()
    throttle.forget(session, scopes[0])
    for scope in scopes[1:]:
        throttle.take_back(session, scope)
    session.commit()
    login_user(SignedInUser(user))
    flash(_("ログインしました。"), "success")
    return redirect(_safe_next(request.args.get("next"), default="home.dashboard"))


@bp.post("/logout")
@login_required
def logout():  # type: ignore[no-untyped-def]
    session = get_session()
    accounts.end_sessions(session, actor=actor())
    session.commit()
    logout_user()
    flash(_("ログアウトしました。"), "success")
    return redirect(url_for("main.index"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():  # type: ignore[no-untyped-def]
    form = PasswordChangeForm()
    user = actor()

    def change() -> None:
        if form.new_password.data != form.confirm_password.data:
            raise ValidationError(field_errors={"confirm_password": [_("確認用のパスワードが一致しません。")]})
        accounts.change_password(get_session(), actor=user, current_password=form.current_password.data or "",
                                 new_password=form.new_password.data or "")

    return submit(
        form, change, page=lambda: render_template("auth/password.html", form=form),
        after_commit=lambda: login_user(SignedInUser(user)),  # this browser continues with the new session version
        message=_("パスワードを変更しました。他の端末ではログアウトされます。"), done=lambda _none: url_for("main.index"))


@bp.route("/join", methods=["GET", "POST"])
def apply():  # type: ignore[no-untyped-def]
    form = MembershipForm()
    return submit(
        form, lambda: accounts.apply_for_membership(get_session(), accounts.MembershipApplication(
            **{name: form[name].data or "" for name in (
                "organization_name", "organization_name_kana", "member_category", "website", "description",
                "contact_email", "contact_phone", "member_name", "member_email", "password")},
            locale=current_language())),
        page=lambda: render_template("auth/join.html", form=form),
        answer=lambda _organization: render_template("auth/join_done.html"))
