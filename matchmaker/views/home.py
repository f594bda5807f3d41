"""Each role's home page, organization profiles, coordination and administration."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from models import (
    Challenge,
    ChallengeStatus,
    Field,
    MembershipStatus,
    Municipality,
    Organization,
    ShortlistEntry,
    Technology,
    User,
)

from ..actions import accounts
from ..db import get_session
from ..i18n import localized
from ..errors import DomainError, status_of
from wtforms.fields.choices import SelectChoice

from ..forms import ReviewForm, StaffUserForm, apply_errors
from ..matching import match_service
from ..policies import Permission, can
from ..policies import catalogue as catalogue_policy
from . import _helpers as h
from .presenters import load_challenges, load_technologies

bp = Blueprint("home", __name__)

# Each person lands on the first home page they may open.
HOMES = ((Permission.HOME_MUNICIPALITY, "home.municipality"), (Permission.HOME_COMPANY, "home.company"),
         (Permission.COORDINATION_VIEW, "home.coordination"))


@bp.get("/home")
@login_required
def dashboard():  # type: ignore[no-untyped-def]
    user = h.actor()
    return redirect(url_for(next((page for permission, page in HOMES if can(user, permission)), "projects.inbox")))


@bp.get("/municipality")
@login_required
def municipality():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.HOME_MUNICIPALITY)
    session = get_session()
    challenges = list(session.scalars(
        select(Challenge).where(Challenge.municipality_id == user.municipality_id)
        .options(selectinload(Challenge.fields)).order_by(Challenge.status, Challenge.updated_at.desc())))
    pairs = match_service().pairs(session, municipality_id=user.municipality_id, top=15)
    organizations = {o.id: o for o in session.scalars(
        select(Organization).where(Organization.id.in_([int(p.company) for p in pairs])))}
    return render_template("home/municipality.html", municipality=user.municipality, challenges=challenges,
                           pairs=pairs, organizations=organizations,
                           challenge_titles={c.id: c.title for c in challenges},
                           technologies=load_technologies(session, [int(c.technology_id) for p in pairs
                                                                    for c in p.contributions]))


@bp.get("/company")
@login_required
def company():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.HOME_COMPANY)
    session = get_session()
    organization = session.get(Organization, user.organization_id)
    technologies = list(session.scalars(
        select(Technology).where(Technology.organization_id == organization.id)
        .options(selectinload(Technology.fields)).order_by(Technology.is_retired, Technology.updated_at.desc())))
    pairs = match_service().pairs(session, organization_id=organization.id, top=15)
    municipalities = {m.id: m for m in session.scalars(
        select(Municipality).where(Municipality.id.in_([int(p.municipality) for p in pairs])))}
    return render_template("home/company.html", organization=organization, technologies=technologies, pairs=pairs,
                           municipalities=municipalities,
                           challenges=load_challenges(session, [int(c.challenge_id) for p in pairs for c in p.contributions]),
                           technology_titles={t.id: t.title for t in technologies})


@bp.get("/coordination")
@login_required
def coordination():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.COORDINATION_VIEW)
    session = get_session()
    field_ids = catalogue_policy.focus_field_ids(user)
    query = (select(Challenge).where(Challenge.status == ChallengeStatus.OPEN)
             .options(selectinload(Challenge.fields), selectinload(Challenge.municipality)))
    if field_ids is not None:
        query = query.where(Challenge.fields.any(Field.id.in_(field_ids)))
    open_challenges = list(session.scalars(query.order_by(Challenge.updated_at.desc())))
    shortlisted = set(session.execute(select(ShortlistEntry.challenge_id, ShortlistEntry.technology_id)).all())
    ranked_by_challenge = match_service().technologies_for_many(session, [c.id for c in open_challenges], k=3)
    unexplored = []
    for challenge in open_challenges:
        for ranked in ranked_by_challenge[challenge.id]:
            if (challenge.id, ranked.technology_id) not in shortlisted:
                unexplored.append((challenge, ranked))
    unexplored.sort(key=lambda pair: -pair[1].score)
    unexplored = unexplored[:20]
    pending = list(session.scalars(select(Organization).where(
        Organization.membership_status == MembershipStatus.PENDING).order_by(Organization.created_at))) \
        if can(user, Permission.ORGANIZATION_REVIEW) else []
    return render_template("home/coordination.html", open_challenges=open_challenges, unexplored=unexplored,
                           technologies=load_technologies(session, [r.technology_id for _, r in unexplored]),
                           pending=pending, review_form=ReviewForm())


@bp.post("/coordination/applications/<int:organization_id>")
@login_required
def review(organization_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    form = ReviewForm()
    if not form.validate_on_submit() or form.decision.data not in ("approve", "reject"):
        abort(400)
    try:
        organization = accounts.review_membership(session, organization_id, actor=h.actor(),
                                                  approve=form.decision.data == "approve", reason=form.reason.data or "")
    except DomainError as error:
        session.rollback()
        if status_of(error) != 400:
            raise
        flash(_("却下する場合は理由を入力してください。"), "error")
        return redirect(url_for("home.coordination") + "#applications")
    session.commit()
    message = _("%(name)s の入会を承認しました。", name=organization.name) if form.decision.data == "approve" \
        else _("%(name)s の入会申請を却下しました。", name=organization.name)
    flash(message, "success")
    return redirect(url_for("home.coordination") + "#applications")


@bp.get("/organizations/<int:organization_id>")
@login_required
def organization(organization_id: int):  # type: ignore[no-untyped-def]
    session = get_session()
    user = h.actor()
    org = session.get(Organization, organization_id)
    if org is None or not can(user, Permission.ORGANIZATION_VIEW, org):
        abort(404)
    technologies = list(session.scalars(
        select(Technology).where(Technology.organization_id == org.id, Technology.is_retired.is_(False))
        .options(selectinload(Technology.fields), selectinload(Technology.deployed_in)).order_by(Technology.title)))
    return render_template("home/organization.html", organization=org, technologies=technologies,
                           show_contact=can(user, Permission.CONTACT_VIEW, org))


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
def users():  # type: ignore[no-untyped-def]
    user = h.actor_with(Permission.USER_CREATE)
    session = get_session()
    form = StaffUserForm()
    form.municipality_id.choices = [SelectChoice("", "—")] + [SelectChoice(str(m.id), localized(m)) for m in h.all_municipalities(session)]
    form.field_keys.choices = [SelectChoice(f.key, localized(f)) for f in h.all_fields(session)]
    status = 200
    if request.method == "POST":
        status = 400
        if form.validate_on_submit():
            municipality = session.get(Municipality, int(form.municipality_id.data)) \
                if (form.municipality_id.data or "").isdigit() else None
            try:
                created = accounts.create_user(
                    session, actor=user, email=form.email.data or "", password=form.password.data or "",
                    display_name=form.display_name.data or "", role=form.role.data or "",
                    municipality=municipality.code if municipality else None,
                    field_keys=form.field_keys.data if form.role.data == "coordinator" else (),
                )
            except DomainError as error:
                session.rollback()
                apply_errors(form, error)
                status = status_of(error)
            else:
                session.commit()
                flash(_("%(email)s を登録しました。", email=created.email), "success")
                return redirect(url_for("home.users"))
    people = list(session.scalars(select(User).options(selectinload(User.municipality), selectinload(User.organization))
                                  .order_by(User.role, User.email)))
    return render_template("home/users.html", form=form, people=people), status
