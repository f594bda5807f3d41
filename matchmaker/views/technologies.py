"""Technologies and solutions: browse, register, edit, retire, ranked issues."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from wtforms.fields.choices import SelectChoice

from models import Technology

from ..actions import catalogue
from ..db import get_session
from ..forms import RetireForm, TechnologyForm
from ..i18n import localized
from ..policies import Permission, require
from ..queries import catalogue as reads
from ..queries.paging import BadCursor
from ..queries.reference import all_fields, all_municipalities, municipality_options
from ..security import value_id, value_ids
from . import _helpers as h
from ._catalogue import onto_saved_version
from ._forms import submit

bp = Blueprint("technologies", __name__, url_prefix="/technologies")


@bp.get("")
@login_required
def index():  # type: ignore[no-untyped-def]
    session = get_session()
    try:
        page = reads.technology_list(session, h.actor(), request.args, h.page_number())
    except BadCursor:
        abort(400)  # a page link this list never wrote
    return render_template("technologies/index.html", page=page, fields=all_fields(session),
                           municipalities=municipality_options(session), args=request.args)


# The fields of the edit form, compared with the saved version after a conflict.
EDITED = ("title", "description", "field_keys", "maturity", "price_band", "deployed_municipality_ids")


def _form(obj: Technology | None = None, *, saved: bool = False) -> TechnologyForm:
    """The form; filled from `obj` on a GET, or (saved=True) from the saved row whatever the request."""
    session = get_session()
    fill = obj is not None and (saved or request.method == "GET")
    form = TechnologyForm(formdata=None, obj=obj) if saved else TechnologyForm(obj=obj if fill else None)
    form.field_keys.choices = [SelectChoice(f.key, localized(f)) for f in all_fields(session)]
    form.deployed_municipality_ids.choices = [SelectChoice(str(m.id), localized(m)) for m in all_municipalities(session)]
    form.organization_id.choices = [SelectChoice(str(o.id), o.name) for o in reads.listed_organizations(session)]
    if obj is not None and fill:
        form.field_keys.data = [f.key for f in obj.fields]
        form.maturity.data = obj.maturity.value
        form.price_band.data = obj.price_band.value
        form.deployed_municipality_ids.data = [str(m.id) for m in obj.deployed_in]
        form.organization_id.data = str(obj.organization_id)
    return form


def _input(form: TechnologyForm) -> catalogue.TechnologyInput:
    organization = form.organization_id.data
    return catalogue.TechnologyInput(
        title=form.title.data or "", description=form.description.data or "", field_keys=form.field_keys.data or [],
        maturity=form.maturity.data or "", price_band=form.price_band.data or "",
        deployed_municipality_ids=value_ids("deployed_municipality_ids", form.deployed_municipality_ids.data or []),
        organization_id=value_id("organization_id", organization),
    )


@bp.route("/new", methods=["GET", "POST"])
@login_required
def create():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.TECHNOLOGY_CREATE)
    form = _form()
    return submit(
        form, lambda: catalogue.create_technology(get_session(), _input(form), actor=user),
        page=lambda: render_template("technologies/form.html", form=form, technology=None),
        message=_("技術・ソリューションを登録しました。"), done=lambda t: url_for("technologies.show", technology_id=t.id))


@bp.route("/<int:technology_id>/edit", methods=["GET", "POST"])
@login_required
def edit(technology_id: int):  # type: ignore[no-untyped-def]
    user = h.actor()
    technology = catalogue.get_technology(get_session(), technology_id, actor=user)
    require(user, Permission.TECHNOLOGY_EDIT, technology)  # refuse before showing the form
    form = _form(technology)
    conflict = onto_saved_version(form, Technology, technology_id, lambda saved: _form(saved, saved=True), EDITED)
    return submit(
        form, lambda: catalogue.update_technology(get_session(), technology_id, _input(form), actor=user,
                                                  expected_version=form.version.data),
        page=lambda: render_template("technologies/form.html", form=form, technology=technology, conflict=conflict),
        on_conflict=conflict,
        message=_("技術・ソリューションを更新しました。"), done=lambda t: url_for("technologies.show", technology_id=t.id))


@bp.get("/<int:technology_id>/retire")
@login_required
def confirm_retire(technology_id: int):  # type: ignore[no-untyped-def]
    """The confirmation step before retiring a technology (it posts to retire)."""
    user = h.actor()
    technology = catalogue.get_technology(get_session(), technology_id, actor=user)
    require(user, Permission.TECHNOLOGY_CHANGE_STATUS, technology)
    if technology.is_retired:
        return redirect(url_for("technologies.show", technology_id=technology_id))
    return render_template(
        "confirm.html", danger=True, heading=_("この技術の掲載を終了しますか？"), subject=technology.title,
        consequences=[_("地域課題とのマッチングに表示されなくなり、新しい提案にも使えなくなります。"),
                      _("後から「掲載を再開する」で元に戻せます。")],
        details=[], action=url_for("technologies.retire", technology_id=technology_id),
        hidden={"retired": "1", "version": technology.version}, reason_field=None,
        confirm_label=_("掲載を終了する"), cancel=url_for("technologies.show", technology_id=technology_id))


@bp.post("/<int:technology_id>/retire")
@login_required
def retire(technology_id: int):  # type: ignore[no-untyped-def]
    retired = request.form.get("retired", "1") == "1"
    form = RetireForm()
    return submit(
        form, lambda: catalogue.set_technology_retired(get_session(), technology_id, retired, actor=h.actor(),
                                                       expected_version=form.version.data),
        message=_("掲載を終了しました。") if retired else _("掲載を再開しました。"),
        done=lambda t: url_for("technologies.show", technology_id=t.id))


@bp.get("/<int:technology_id>")
@login_required
def show(technology_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    page = reads.technology_page(session, catalogue.get_technology(session, technology_id, actor=user), user)
    return render_template("technologies/show.html", technology=page.technology, ranked=page.ranked,
                           challenges=page.challenges, history=page.history)
