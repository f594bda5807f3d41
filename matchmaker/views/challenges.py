"""Municipal issues: browse, post, edit, close and reopen, rankings, shortlist."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from models import Challenge, ChallengeStatus, Field, Municipality, ShortlistEntry, Technology

from ..actions import catalogue
from ..actions.audit import history
from ..db import get_session
from ..i18n import localized
from ..errors import Conflict, DomainError, status_of
from wtforms.fields.choices import SelectChoice

from ..forms import ChallengeForm, ShortlistForm, StatusForm, apply_errors
from ..matching import match_service
from ..policies import Permission, can, require
from ..policies import catalogue as catalogue_policy
from ..search import matching_ids
from . import _helpers as h
from .presenters import group_by_organization, load_technologies

bp = Blueprint("challenges", __name__, url_prefix="/challenges")


@bp.get("")
@login_required
def index():  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    args = request.args
    query = (select(Challenge).join(Municipality)
             .options(selectinload(Challenge.fields), selectinload(Challenge.municipality)))
    status = args.get("status", "open")
    if status in {s.value for s in ChallengeStatus}:
        query = query.where(Challenge.status == ChallengeStatus(status))
    query = query.where(catalogue_policy.challenges_visible(user))
    if args.get("field"):
        query = query.where(Challenge.fields.any(Field.key == args["field"]))
    if args.get("municipality", "").isdigit():
        query = query.where(Challenge.municipality_id == int(args["municipality"]))
    if args.get("region") in h.REGIONS:
        query = query.where(Municipality.region == args["region"])
    text = args.get("q", "").strip()[:100]
    if text:
        municipalities = matching_ids(text, [(m.id, (m.name, m.reading, m.name_en))
                                             for m in h.all_municipalities(session)])
        like = f"%{text}%"
        query = query.where(or_(Challenge.title.ilike(like), Challenge.description.ilike(like),
                                Challenge.municipality_id.in_(municipalities)))
    page = h.paginate(session, query.order_by(Challenge.updated_at.desc(), Challenge.id.desc()),
                      h.page_number(), 20)
    return render_template("challenges/index.html", page=page, fields=h.all_fields(session),
                           municipalities=h.all_municipalities(session), regions=h.REGIONS, args=args)


def _form(session, form: ChallengeForm) -> ChallengeForm:  # type: ignore[no-untyped-def]
    form.field_keys.choices = [SelectChoice(f.key, localized(f)) for f in h.all_fields(session)]
    form.municipality_id.choices = [SelectChoice(str(m.id), localized(m)) for m in h.all_municipalities(session)]
    return form


def _input(form: ChallengeForm) -> catalogue.ChallengeInput:
    municipality = form.municipality_id.data
    return catalogue.ChallengeInput(
        title=form.title.data or "", description=form.description.data or "", field_keys=form.field_keys.data or [],
        target=form.target.data or "", budget_range=form.budget_range.data or "",
        desired_start=form.desired_start.data, available_data=form.available_data.data or "",
        status=form.status.data or "", municipality_id=int(municipality) if municipality and municipality.isdigit() else None,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor_with(Permission.CHALLENGE_CREATE)
    form = _form(session, ChallengeForm())
    if not form.validate_on_submit():
        return render_template("challenges/form.html", form=form, challenge=None), 400 if request.method == "POST" else 200
    try:
        challenge = catalogue.create_challenge(session, _input(form), actor=user)
    except DomainError as error:
        session.rollback()
        apply_errors(form, error)
        return render_template("challenges/form.html", form=form, challenge=None), status_of(error)
    session.commit()
    flash(_("地域課題を登録しました。"), "success")
    return redirect(url_for("challenges.show", challenge_id=challenge.id))


@bp.route("/<int:challenge_id>/edit", methods=["GET", "POST"])
@login_required
def edit(challenge_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    challenge = catalogue.get_challenge(session, challenge_id, actor=user)
    require(user, Permission.CHALLENGE_EDIT, challenge)  # refuse before showing the form
    form = _form(session, ChallengeForm(obj=challenge if request.method == "GET" else None))
    if request.method == "GET":
        form.field_keys.data = [f.key for f in challenge.fields]
        form.budget_range.data = challenge.budget_range.value
        form.municipality_id.data = str(challenge.municipality_id)
        return render_template("challenges/form.html", form=form, challenge=challenge)
    if not form.validate_on_submit():
        return render_template("challenges/form.html", form=form, challenge=challenge), 400
    try:
        catalogue.update_challenge(session, challenge_id, _input(form), actor=user, expected_version=form.version.data)
    except DomainError as error:
        session.rollback()
        apply_errors(form, error)
        if isinstance(error, Conflict):
            # Keep what the user typed; the form now targets the saved version, so saving again
            # is a deliberate choice made after seeing the warning, never a silent overwrite.
            challenge = session.get(Challenge, challenge_id)
            form.version.data = challenge.version
        return render_template("challenges/form.html", form=form, challenge=challenge), status_of(error)
    session.commit()
    flash(_("地域課題を更新しました。"), "success")
    return redirect(url_for("challenges.show", challenge_id=challenge_id))


@bp.post("/<int:challenge_id>/status")
@login_required
def change_status(challenge_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    form = StatusForm()
    if not form.validate_on_submit():
        abort(400)
    catalogue.change_challenge_status(session, challenge_id, form.status.data or "", actor=h.actor(),
                                      expected_version=form.version.data, reason=form.reason.data or "")
    session.commit()
    flash(_("公開状態を変更しました。"), "success")
    return redirect(url_for("challenges.show", challenge_id=challenge_id))


@bp.get("/<int:challenge_id>")
@login_required
def show(challenge_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    challenge = catalogue.get_challenge(session, challenge_id, actor=user)
    ranked = match_service().technologies_for(session, challenge.id)
    technologies = load_technologies(session, [r.technology_id for r in ranked])
    shortlisted = {e.technology_id: e for e in session.scalars(
        select(ShortlistEntry).where(ShortlistEntry.challenge_id == challenge.id)
        .options(selectinload(ShortlistEntry.technology).selectinload(Technology.organization)))} \
        if can(user, Permission.SHORTLIST_VIEW, challenge) else {}
    return render_template(
        "challenges/show.html", challenge=challenge, ranked=ranked, technologies=technologies,
        companies=group_by_organization(ranked, technologies), shortlisted=shortlisted,
        can_edit=can(user, Permission.CHALLENGE_EDIT, challenge),
        can_shortlist=can(user, Permission.SHORTLIST_EDIT, challenge),
        history=history(session, "challenge", challenge.id) if can(user, Permission.CHALLENGE_EDIT, challenge) else [],
    )


@bp.post("/<int:challenge_id>/shortlist")
@login_required
def add_to_shortlist(challenge_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    form = ShortlistForm()
    if not form.validate_on_submit() or form.technology_id.data is None:
        abort(400)
    catalogue.shortlist(session, challenge_id, form.technology_id.data, actor=h.actor(), note=form.note.data or "")
    session.commit()
    flash(_("候補リストに追加しました。"), "success")
    return redirect(url_for("challenges.show", challenge_id=challenge_id) + "#shortlist")


@bp.post("/<int:challenge_id>/shortlist/<int:technology_id>/remove")
@login_required
def remove_from_shortlist(challenge_id: int, technology_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    if not ShortlistForm().validate_on_submit():
        abort(400)
    catalogue.remove_from_shortlist(session, challenge_id, technology_id, actor=h.actor())
    session.commit()
    flash(_("候補リストから外しました。"), "success")
    return redirect(url_for("challenges.show", challenge_id=challenge_id) + "#shortlist")
