"""Technologies and solutions: browse, register, edit, retire, ranked issues."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from models import Field, Maturity, Organization, Technology

from ..actions import catalogue
from ..actions.audit import history
from ..db import get_session
from ..i18n import localized
from ..errors import Conflict, DomainError, status_of
from wtforms.fields.choices import SelectChoice

from ..forms import RetireForm, TechnologyForm, apply_errors
from ..matching import match_service
from ..policies import Permission, can, require
from ..policies import catalogue as catalogue_policy
from ..policies import organizations as organization_policy
from ..search import matching_ids
from . import _helpers as h
from .presenters import load_challenges

bp = Blueprint("technologies", __name__, url_prefix="/technologies")


@bp.get("")
@login_required
def index():  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    args = request.args
    query = (select(Technology).join(Organization).where(catalogue_policy.technologies_visible(user))
             .options(selectinload(Technology.fields), selectinload(Technology.organization),
                      selectinload(Technology.deployed_in)))
    # The retired list shows what this person may see of them (their own, or all for coordinators).
    query = query.where(Technology.is_retired.is_(args.get("retired") == "1"))
    if args.get("field"):
        query = query.where(Technology.fields.any(Field.key == args["field"]))
    if args.get("maturity") in {m.value for m in Maturity}:
        query = query.where(Technology.maturity == Maturity(args["maturity"]))
    if args.get("municipality", "").isdigit():
        query = query.where(Technology.deployed_in.any(id=int(args["municipality"])))
    text = args.get("q", "").strip()[:100]
    if text:
        organizations = matching_ids(text, [(o.id, (o.name, o.name_kana, o.name_en)) for o in session.scalars(
            select(Organization).where(organization_policy.visible(user)))])
        like = f"%{text}%"
        query = query.where(or_(Technology.title.ilike(like), Technology.description.ilike(like),
                                Technology.organization_id.in_(organizations)))
    page = h.paginate(session, query.order_by(Technology.updated_at.desc(), Technology.id.desc()), h.page_number(), 20)
    return render_template("technologies/index.html", page=page, fields=h.all_fields(session),
                           municipalities=h.all_municipalities(session), args=args)


def _form(session, form: TechnologyForm) -> TechnologyForm:  # type: ignore[no-untyped-def]
    form.field_keys.choices = [SelectChoice(f.key, localized(f)) for f in h.all_fields(session)]
    form.deployed_municipality_ids.choices = [SelectChoice(str(m.id), localized(m)) for m in h.all_municipalities(session)]
    form.organization_id.choices = [SelectChoice(str(o.id), o.name) for o in session.scalars(
        select(Organization).where(organization_policy.listed()).order_by(Organization.name))]
    return form


def _input(form: TechnologyForm) -> catalogue.TechnologyInput:
    organization = form.organization_id.data
    return catalogue.TechnologyInput(
        title=form.title.data or "", description=form.description.data or "", field_keys=form.field_keys.data or [],
        maturity=form.maturity.data or "", price_band=form.price_band.data or "",
        deployed_municipality_ids=[int(v) for v in form.deployed_municipality_ids.data or [] if str(v).isdigit()],
        organization_id=int(organization) if organization and organization.isdigit() else None,
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor_with(Permission.TECHNOLOGY_CREATE)
    form = _form(session, TechnologyForm())
    if not form.validate_on_submit():
        return render_template("technologies/form.html", form=form, technology=None), 400 if request.method == "POST" else 200
    try:
        technology = catalogue.create_technology(session, _input(form), actor=user)
    except DomainError as error:
        session.rollback()
        apply_errors(form, error)
        return render_template("technologies/form.html", form=form, technology=None), status_of(error)
    session.commit()
    flash(_("技術・ソリューションを登録しました。"), "success")
    return redirect(url_for("technologies.show", technology_id=technology.id))


@bp.route("/<int:technology_id>/edit", methods=["GET", "POST"])
@login_required
def edit(technology_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    technology = catalogue.get_technology(session, technology_id, actor=user)
    require(user, Permission.TECHNOLOGY_EDIT, technology)  # refuse before showing the form
    form = _form(session, TechnologyForm(obj=technology if request.method == "GET" else None))
    if request.method == "GET":
        form.field_keys.data = [f.key for f in technology.fields]
        form.maturity.data = technology.maturity.value
        form.price_band.data = technology.price_band.value
        form.deployed_municipality_ids.data = [str(m.id) for m in technology.deployed_in]
        form.organization_id.data = str(technology.organization_id)
        return render_template("technologies/form.html", form=form, technology=technology)
    if not form.validate_on_submit():
        return render_template("technologies/form.html", form=form, technology=technology), 400
    try:
        catalogue.update_technology(session, technology_id, _input(form), actor=user, expected_version=form.version.data)
    except DomainError as error:
        session.rollback()
        apply_errors(form, error)
        if isinstance(error, Conflict):
            # Keep what the user typed; the form now targets the saved version, so saving again
            # is a deliberate choice made after seeing the warning, never a silent overwrite.
            technology = session.get(Technology, technology_id)
            form.version.data = technology.version
        return render_template("technologies/form.html", form=form, technology=technology), status_of(error)
    session.commit()
    flash(_("技術・ソリューションを更新しました。"), "success")
    return redirect(url_for("technologies.show", technology_id=technology_id))


@bp.post("/<int:technology_id>/retire")
@login_required
def retire(technology_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    form = RetireForm()
    if not form.validate_on_submit():
        abort(400)
    retired = request.form.get("retired", "1") == "1"
    catalogue.set_technology_retired(session, technology_id, retired, actor=h.actor(), expected_version=form.version.data)
    session.commit()
    flash(_("掲載を終了しました。") if retired else _("掲載を再開しました。"), "success")
    return redirect(url_for("technologies.show", technology_id=technology_id))


@bp.get("/<int:technology_id>")
@login_required
def show(technology_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    technology = catalogue.get_technology(session, technology_id, actor=user)
    ranked = match_service().challenges_for(session, technology.id)
    return render_template(
        "technologies/show.html", technology=technology, ranked=ranked,
        challenges=load_challenges(session, [r.challenge_id for r in ranked]),
        can_edit=can(user, Permission.TECHNOLOGY_EDIT, technology), retire_form=RetireForm(),
        history=history(session, "technology", technology.id) if can(user, Permission.TECHNOLOGY_EDIT, technology) else [],
    )
